// `tokenmath serve [--host 127.0.0.1] [--port 8080]`: the facade over HTTP (cpp-httplib from Debian) and the web
// page. Every JSON answer is exactly the CLI's `--format json`; bad input is HTTP 400 with the CLI's one-line
// message; bodies are capped; simulations are bounded (requests) and at most two run at once.
#include "commands.hpp"

#if TOKENMATH_HAVE_HTTPLIB
#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <semaphore>

#include "commands.hpp"
#include "http_bind.hpp"
#include "tokenmath/tokenmath.hpp"
#include "web_page.hpp"

namespace tokenmath::cli {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxBody = 1 << 20;           // 1 MiB of scenario or options
constexpr long long kMaxSimRequests = 200'000;      // per simulation request

// Request options named `like_this` become JSON fields; the origin is the request body.
std::string http_wording(const InputError& e) {
  return reword_request_error(e, "<request body>", [](std::string_view name) { return std::string(name); });
}

void reply_json(httplib::Response& res, const std::string& body, int status = 200) {
  res.status = status;
  res.set_content(body, "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", status);
}

// Runs `f` and answers its JSON; InputError -> 400, anything else -> 500 (never a crash of the server).
template <class F>
void guarded(httplib::Response& res, F&& f) {
  try {
    reply_json(res, f());
  } catch (const InputError& e) {
    reply_error(res, 400, http_wording(e));
  } catch (const std::exception& e) {
    reply_error(res, 500, std::string("internal error: ") + e.what());
  }
}

json body_object(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InputError(kRequest, "", "", "the body must be a JSON object");
  return j;
}

api::PerfRequest perf_request(const json& j) {
  api::PerfRequest r;
  for (const auto& [k, v] : j.items()) {
    auto num = [&]() -> double {
      if (!v.is_number()) throw InputError(kRequest, "`" + k + "`", v.dump(), "expected a number");
      return v.get<double>();
    };
    auto text = [&]() -> std::string {
      if (!v.is_string()) throw InputError(kRequest, "`" + k + "`", v.dump(), "expected a string");
      return v.get<std::string>();
    };
    auto whole = [&](double lo, double hi) {
      const double d = num();
      if (d != static_cast<double>(static_cast<long long>(d)) || d < lo || d > hi)
        throw InputError(kRequest, "`" + k + "`", v.dump(), fmt::format("expected a whole number in [{}, {}]", lo, hi));
      return static_cast<int>(d);
    };
    auto finite = [&](double lo, double hi) {
      const double d = num();
      if (!(d >= lo && d <= hi)) throw InputError(kRequest, "`" + k + "`", v.dump(), fmt::format("must be in [{}, {}]", lo, hi));
      return d;
    };
    if (k == "model") r.model = text();
    else if (k == "gpu") r.gpu = text();
    else if (k == "tp") r.tp = whole(1, 4096);
    else if (k == "pp") r.pp = whole(1, 1024);
    else if (k == "ep") r.ep = whole(1, 4096);
    else if (k == "dp_attn") r.dp_attn = v.is_boolean() ? v.get<bool>() : throw InputError(kRequest, "`dp_attn`", v.dump(), "expected true or false");
    else if (k == "precision") r.precision = text();
    else if (k == "kv_dtype") r.kv_dtype = text();
    else if (k == "isl") r.isl = finite(1, 1e8);
    else if (k == "osl") r.osl = finite(1, 1e8);
    else if (k == "max_num_seqs") r.max_num_seqs = whole(1, 1e6);
    else if (k == "max_batched_tokens") r.max_batched_tokens = whole(1, 1e8);
    else if (k == "kv_mem_fraction") r.kv_mem_fraction = finite(1e-6, 1);
    else if (k == "top") r.top = whole(1, 10000);
    else if (k == "min_tok_s_user") r.min_tok_s_user = finite(0, 1e6);
    else if (k == "engine") r.engine = text();
    else if (k == "spec") r.spec = text();
    else
      throw InputError(kRequest, "`" + k + "`", "", "unknown perf option" +
                                                       did_you_mean(k, {"model", "gpu", "tp", "pp", "ep", "dp_attn",
                                                                        "precision", "kv_dtype", "isl", "osl",
                                                                        "max_num_seqs", "max_batched_tokens",
                                                                        "kv_mem_fraction", "top", "min_tok_s_user",
                                                                        "engine", "spec"}));
  }
  if (r.model.empty() || r.gpu.empty()) throw InputError(kRequest, "`model`/`gpu`", "", "both are required");
  return r;
}

json endpoints(const Context& ctx) {
  json schemas = json::object();
  for (const auto& n : api::schema_names())
    schemas[n] = json::parse(report::render_schema(api::input_schema(ctx, n), report::Format::json));
  return json{{"endpoints",
               json::array({{{"method", "GET"}, {"path", "/api"}, {"returns", "this list, with the input schemas"}},
                            {{"method", "GET"}, {"path", "/api/models"}, {"returns", "tokenmath models --format json"}},
                            {{"method", "GET"}, {"path", "/api/gpus"}, {"returns", "tokenmath gpus --format json"}},
                            {{"method", "GET"}, {"path", "/api/systems"}, {"returns", "tokenmath systems --format json"}},
                            {{"method", "GET"}, {"path", "/api/prices"}, {"returns", "tokenmath prices --format json"}},
                            {{"method", "POST"}, {"path", "/api/perf"},
                             {"body", "JSON object: perf options as the CLI flags with underscores (model, gpu, tp, ...)"},
                             {"returns", "tokenmath perf ... --format json"}},
                            {{"method", "POST"}, {"path", "/api/simulate"},
                             {"body", fmt::format("a simulation scenario, YAML or JSON (schema `simulate`); at most {} "
                                                  "requests", kMaxSimRequests)},
                             {"returns", "tokenmath simulate --format json"}},
                            {{"method", "POST"}, {"path", "/api/plan"},
                             {"body", "a plan scenario overlaying the default, YAML or JSON (schema `plan`); empty = the default"},
                             {"returns", "tokenmath plan --format json"}},
                            {{"method", "GET"}, {"path", "/"}, {"returns", "the web page"}}})},
              {"schemas", schemas}};
}

}  // namespace

void add_serve_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "HTTP JSON API (the CLI's --format json) and a web page, on 127.0.0.1 by default");
  auto host = std::make_shared<std::string>("127.0.0.1");
  auto port = std::make_shared<int>(8080);
  cmd->add_option("--host", *host, "address to bind (127.0.0.1: this machine only)")->capture_default_str();
  cmd->add_option("--port", *port, "TCP port (0: any free port, printed)")->capture_default_str()->check(finite_range(0, 65535));
  cmd->callback([host, port] {
    const Context& ctx = context();
    httplib::Server srv;
    srv.set_payload_max_length(kMaxBody);
    // A request may wait in the worker queue while others compute (a plan, a search): wait for its bytes long
    // enough instead of closing its connection after cpp-httplib's default 5 s.
    srv.set_read_timeout(120, 0);
    srv.set_write_timeout(120, 0);
    auto sims = std::make_shared<std::counting_semaphore<2>>(2);
    srv.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kWebPage, "text/html; charset=utf-8"); });
    srv.Get("/api", [&ctx](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] { return endpoints(ctx).dump(2) + "\n"; });
    });
    srv.Get("/api/models", [&ctx](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] { return report::render_models(api::models(ctx), report::Format::json); });
    });
    srv.Get("/api/gpus", [&ctx](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] { return report::render_gpus(api::gpus(ctx), report::Format::json); });
    });
    srv.Get("/api/systems", [&ctx](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] { return report::render_systems(api::systems(ctx), report::Format::json); });
    });
    srv.Get("/api/prices", [&ctx](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] { return report::render_prices(api::prices(ctx, "", ""), report::Format::json); });
    });
    srv.Post("/api/perf", [&ctx](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { return report::render_perf(api::perf(ctx, perf_request(body_object(req))), report::Format::json); });
    });
    srv.Post("/api/plan", [&ctx](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { return report::render_plan(api::plan_text(ctx, req.body, "<request body>"), report::Format::json); });
    });
    srv.Post("/api/simulate", [&ctx, sims](const httplib::Request& req, httplib::Response& res) {
      if (!sims->try_acquire()) {
        reply_error(res, 503, "two simulations are already running; retry later");
        return;
      }
      guarded(res, [&] {
        struct Release {
          std::counting_semaphore<2>* s;
          ~Release() { s->release(); }
        } release{sims.get()};
        api::SimulateRequest r;
        r.scenario_text = req.body;
        r.max_requests = kMaxSimRequests;
        if (r.scenario_text.empty()) throw InputError(kRequest, "", "", "the body must be a simulation scenario");
        const auto out = api::simulate(ctx, r);
        return report::render_sim(out.scenario, out.result, report::Format::json);
      });
    });
    srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      reply_error(res, 500, "internal error");
    });
    // Listen backlog raised (bind_http): bursts of connections were reset under a loaded CI.
    const int bound = bind_http(srv, *host, *port);
    if (bound < 0) throw InputError("<command line>", "--port", std::to_string(*port), "cannot listen on this address and port");
    fmt::print("tokenmath serve: http://{}:{}/ (API: /api)\n", *host, bound);
    std::fflush(stdout);
    srv.listen_after_bind();
  });
}

}  // namespace tokenmath::cli
#else
namespace tokenmath::cli {
void add_serve_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "HTTP JSON API and web page (this build has no cpp-httplib)");
  cmd->callback([] {
    throw InputError("<command line>", "serve", "", "built without cpp-httplib (scripts/deps.sh installs libcpp-httplib-dev)");
  });
}
}  // namespace tokenmath::cli
#endif
