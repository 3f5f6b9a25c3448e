// `tokenmath serve [--host 127.0.0.1] [--port 8080]`: the facade over HTTP (cpp-httplib from Debian) and the web
// page. Every JSON answer is exactly the CLI's `--format json`; bad input is HTTP 400 with the CLI's one-line
// message; bodies are capped; simulations are bounded (requests) and at most two run at once.
#include "commands.hpp"

#if TOKENMATH_HAVE_HTTPLIB
#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <semaphore>
#include <thread>

#include "commands.hpp"
#include "http_bind.hpp"
#include "tokenmath/plan/plan.hpp"
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

// A simulation run in the background (POST /api/simulate/jobs): its progress is polled, it can be cancelled (the
// simulator's stop hook; the answer is then the partial result, "interrupted"), and its JSON is kept until
// kMaxJobs newer jobs have been created.
struct SimJob {
  std::atomic<double> progress{0};
  std::atomic<bool> cancel{false};
  std::mutex m;
  std::string state = "running";  // running | done | cancelled | failed
  std::string result;             // the CLI's simulate --format json, when done or cancelled
  std::string error;              // the one-line message, when failed
};

class SimJobs {
 public:
  static constexpr std::size_t kMaxJobs = 32;
  std::pair<long long, std::shared_ptr<SimJob>> create() {
    std::lock_guard<std::mutex> lock(m_);
    const long long id = ++last_;
    auto job = std::make_shared<SimJob>();
    jobs_[id] = job;
    while (jobs_.size() > kMaxJobs) jobs_.erase(jobs_.begin());  // oldest first (ids grow)
    return {id, job};
  }
  std::shared_ptr<SimJob> find(long long id) {
    std::lock_guard<std::mutex> lock(m_);
    const auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second;
  }

 private:
  std::mutex m_;
  long long last_ = 0;
  std::map<long long, std::shared_ptr<SimJob>> jobs_;
};

json job_status(long long id, SimJob& job) {
  std::lock_guard<std::mutex> lock(job.m);
  json j{{"id", id}, {"state", job.state}, {"progress", job.progress.load()},
         {"url", fmt::format("/api/simulate/jobs/{}", id)}};
  if (!job.result.empty()) j["result"] = json::parse(job.result);
  if (!job.error.empty()) j["error"] = job.error;
  return j;
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
                             {"body", "JSON object of perf options (schema `perf`: model, gpu, tp, ...)"},
                             {"returns", "tokenmath perf ... --format json"}},
                            {{"method", "POST"}, {"path", "/api/simulate"},
                             {"body", fmt::format("a simulation scenario, YAML or JSON (schema `simulate`); at most {} "
                                                  "requests", kMaxSimRequests)},
                             {"returns", "tokenmath simulate --format json"}},
                            {{"method", "POST"}, {"path", "/api/simulate/jobs"},
                             {"body", "a simulation scenario, as POST /api/simulate"},
                             {"returns", "202 and {id, state, progress, url}: the simulation runs in the background"}},
                            {{"method", "GET"}, {"path", "/api/simulate/jobs/{id}"},
                             {"returns", "{id, state: running|done|cancelled|failed, progress 0-1, result (when done or "
                                         "cancelled: tokenmath simulate --format json, partial if cancelled), error}"}},
                            {{"method", "DELETE"}, {"path", "/api/simulate/jobs/{id}"},
                             {"returns", "cancels the job; its partial result is kept (state cancelled)"}},
                            {{"method", "POST"}, {"path", "/api/plan"},
                             {"body", "a plan scenario overlaying the default, YAML or JSON (schema `plan`); empty = the default"},
                             {"content_type", "application/json or application/yaml (a form-encoded body is capped at 8 KiB by cpp-httplib)"},
                             {"query", "format=json (default) | html (the report page) | md | yaml (the scenario as run, "
                                       "editable: what `tokenmath plan FILE` reads)"},
                             {"returns", "tokenmath plan --format json (or the format asked)"}},
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
      guarded(res, [&] { return report::render_perf(api::perf(ctx, api::perf_request_from_json(req.body.empty() ? "{}" : req.body)), report::Format::json); });
    });
    srv.Post("/api/plan", [&ctx](const httplib::Request& req, httplib::Response& res) {
      const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
      guarded(res, [&] {
        if (format != "json" && format != "html" && format != "md" && format != "yaml")
          throw InputError(kRequest, "`format`", format, "expected json, html, md or yaml");
        const plan::PlanResult r = api::plan_text(ctx, req.body, "<request body>");
        if (format == "yaml") return api::scenario_yaml(r);
        return report::render_plan(r, report::parse_format(format, {report::Format::json, report::Format::html,
                                                                    report::Format::md}));
      });
      if (res.status == 200 && format == "html") res.set_header("Content-Type", "text/html; charset=utf-8");
      if (res.status == 200 && format == "md") res.set_header("Content-Type", "text/markdown; charset=utf-8");
      if (res.status == 200 && format == "yaml") res.set_header("Content-Type", "application/yaml; charset=utf-8");
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
    auto jobs = std::make_shared<SimJobs>();
    srv.Post("/api/simulate/jobs", [&ctx, sims, jobs](const httplib::Request& req, httplib::Response& res) {
      if (req.body.empty()) {
        reply_error(res, 400, http_wording(InputError(kRequest, "", "", "the body must be a simulation scenario")));
        return;
      }
      if (!sims->try_acquire()) {
        reply_error(res, 503, "two simulations are already running; retry later");
        return;
      }
      auto [id, job] = jobs->create();
      std::thread([&ctx, sims, job = job, body = req.body] {
        struct Release {
          std::counting_semaphore<2>* s;
          ~Release() { s->release(); }
        } release{sims.get()};
        api::SimulateRequest r;
        r.scenario_text = body;
        r.max_requests = kMaxSimRequests;
        r.on_progress = [job](double f) { job->progress = f; };
        r.stop = [job] { return job->cancel.load(); };
        std::string result, error;
        try {
          const auto out = api::simulate(ctx, r);
          result = report::render_sim(out.scenario, out.result, report::Format::json);
        } catch (const InputError& e) {
          error = http_wording(e);
        } catch (const std::exception& e) {
          error = std::string("internal error: ") + e.what();
        }
        std::lock_guard<std::mutex> lock(job->m);
        job->result = std::move(result);
        job->error = std::move(error);
        job->state = !job->error.empty() ? "failed" : job->cancel ? "cancelled" : "done";
        if (job->state == "done") job->progress = 1.0;
      }).detach();
      reply_json(res, job_status(id, *job).dump(2) + "\n", 202);
    });
    auto job_of = [jobs](const httplib::Request& req, httplib::Response& res) -> std::pair<long long, std::shared_ptr<SimJob>> {
      const long long id = std::stoll(req.matches[1].str().substr(0, 15));
      auto job = jobs->find(id);
      if (!job) reply_error(res, 404, fmt::format("no simulation job {} (finished jobs are kept until {} newer ones exist)",
                                                  id, SimJobs::kMaxJobs));
      return {id, job};
    };
    srv.Get(R"(/api/simulate/jobs/(\d+))", [job_of](const httplib::Request& req, httplib::Response& res) {
      auto [id, job] = job_of(req, res);
      if (job) reply_json(res, job_status(id, *job).dump(2) + "\n");
    });
    srv.Delete(R"(/api/simulate/jobs/(\d+))", [job_of](const httplib::Request& req, httplib::Response& res) {
      auto [id, job] = job_of(req, res);
      if (!job) return;
      job->cancel = true;
      reply_json(res, job_status(id, *job).dump(2) + "\n");
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
