// `import tokenmath`: the library facade for Python (pybind11). Every result is the CLI's `--format json` document,
// parsed into plain dicts and lists by tokenmath/__init__.py, so keys match the CLI and the HTTP API exactly.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "tokenmath/tokenmath.hpp"

namespace py = pybind11;
using namespace tokenmath;

namespace {

// InputError becomes ValueError with the same one-line text (request options named as keyword arguments).
std::string python_wording(const InputError& e) {
  return reword_request_error(e, "<arguments>", [](std::string_view name) { return std::string(name); });
}

template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    py::gil_scoped_release release;
    return f();
  } catch (const InputError& e) {
    throw py::value_error(python_wording(e));
  }
}

struct TmContext {
  std::shared_ptr<const Context> ctx;
  explicit TmContext(const std::string& data_dir)
      : ctx(std::make_shared<const Context>(guarded([&] {
          return data_dir.empty() ? Context::load_default() : Context::load(data_dir);
        }))) {}

  std::string models() const { return guarded([&] { return report::render_models(api::models(*ctx), report::Format::json); }); }
  std::string gpus() const { return guarded([&] { return report::render_gpus(api::gpus(*ctx), report::Format::json); }); }
  std::string systems() const {
    return guarded([&] { return report::render_systems(api::systems(*ctx), report::Format::json); });
  }
  std::string model(const std::string& id) const {
    return guarded([&] { return report::render_model(api::model(*ctx, id), report::Format::json); });
  }
  std::string perf(const api::PerfRequest& req) const {
    return guarded([&] { return report::render_perf(api::perf(*ctx, req), report::Format::json); });
  }
  // Keyword arguments as a JSON object, checked against api::perf_request_schema (as the HTTP body is).
  std::string perf_text(const std::string& options_json) const {
    return guarded(
        [&] { return report::render_perf(api::perf(*ctx, api::perf_request_from_json(options_json)), report::Format::json); });
  }
  std::string plan(const std::string& scenario_text) const {
    return guarded([&] { return report::render_plan(api::plan_text(*ctx, scenario_text, "<scenario>"), report::Format::json); });
  }
  std::string simulate(const std::string& scenario_text, long long requests, long long seed) const {
    return guarded([&] {
      api::SimulateRequest req;
      req.scenario_text = scenario_text;
      if (requests > 0) req.requests = requests;
      if (seed >= 0) req.seed = seed;
      const auto r = api::simulate(*ctx, req);
      return report::render_sim(r.scenario, r.result, report::Format::json);
    });
  }
  std::string schema(const std::string& name) const {
    return guarded([&] { return report::render_schema(api::input_schema(*ctx, name), report::Format::json); });
  }
};

}  // namespace

PYBIND11_MODULE(_tokenmath, m) {
  m.doc() = "tokenmath: the token economics of open models (C++ core; see the tokenmath package)";
  py::class_<api::PerfRequest>(m, "PerfRequest")
      .def(py::init<>())
      .def_readwrite("model", &api::PerfRequest::model)
      .def_readwrite("gpu", &api::PerfRequest::gpu)
      .def_readwrite("tp", &api::PerfRequest::tp)
      .def_readwrite("pp", &api::PerfRequest::pp)
      .def_readwrite("ep", &api::PerfRequest::ep)
      .def_readwrite("dp_attn", &api::PerfRequest::dp_attn)
      .def_readwrite("precision", &api::PerfRequest::precision)
      .def_readwrite("kv_dtype", &api::PerfRequest::kv_dtype)
      .def_readwrite("isl", &api::PerfRequest::isl)
      .def_readwrite("osl", &api::PerfRequest::osl)
      .def_readwrite("max_num_seqs", &api::PerfRequest::max_num_seqs)
      .def_readwrite("max_batched_tokens", &api::PerfRequest::max_batched_tokens)
      .def_readwrite("kv_mem_fraction", &api::PerfRequest::kv_mem_fraction)
      .def_readwrite("top", &api::PerfRequest::top)
      .def_readwrite("min_tok_s_user", &api::PerfRequest::min_tok_s_user)
      .def_readwrite("engine", &api::PerfRequest::engine)
      .def_readwrite("spec", &api::PerfRequest::spec);
  py::class_<TmContext>(m, "Context")
      .def(py::init<const std::string&>(), py::arg("data_dir") = "")
      .def("models_json", &TmContext::models)
      .def("gpus_json", &TmContext::gpus)
      .def("systems_json", &TmContext::systems)
      .def("model_json", &TmContext::model)
      .def("perf_json", &TmContext::perf)
      .def("perf_options_json", &TmContext::perf_text)
      .def("plan_json", &TmContext::plan)
      .def("simulate_json", &TmContext::simulate)
      .def("schema_json", &TmContext::schema);
}
