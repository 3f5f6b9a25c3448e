// `tokenmath bench --url URL [--model NAME] --concurrency N --requests M --isl I --osl O [--format json]`: load an
// OpenAI-compatible endpoint and measure it (src/loadgen). Ctrl-C ends the run and writes what was measured.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

namespace {
volatile std::sig_atomic_t g_bench_stop = 0;
void on_bench_signal(int) { g_bench_stop = 1; }

template <class T>
std::vector<T> parse_list(const std::string& text, const char* flag, double lo, double hi) {
  std::vector<T> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    double v = 0;
    std::size_t used = 0;
    try {
      v = std::stod(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(v >= lo && v <= hi) ||
        (std::is_integral_v<T> && v != static_cast<double>(static_cast<long long>(v))))
      throw InputError("<command line>", flag, item,
                       fmt::format("expected a comma-separated list of {} in [{}, {}]",
                                   std::is_integral_v<T> ? "whole numbers" : "numbers", lo, hi));
    out.push_back(static_cast<T>(v));
  }
  if (out.empty()) throw InputError("<command line>", flag, text, "expected at least one value");
  return out;
}
}  // namespace

void add_bench_commands(CLI::App& app) {
  struct Opts {
    loadgen::BenchConfig cfg;
    report::BenchDeployment dep;
    std::string trace, trace_format;
    double speedup = 1;
    std::string concurrency, rate, arrival = "poisson", format, raw, validation_csv, api_key_env = "OPENAI_API_KEY";
    bool no_ignore_eos = false, no_usage = false, no_progress = false, force = false, sessions = false;
    double think_ms = 0, think_ms_max = 0;
    double slo_ttft_ms = 0, slo_tpot_ms = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("bench", "measure an OpenAI-compatible endpoint (streaming load generator)");
  cmd->add_option("--url", o->cfg.url, "server base URL, e.g. http://127.0.0.1:8000 (with or without /v1)")->required();
  cmd->add_option("--model", o->cfg.model, "model name sent (default: the first of GET /v1/models)");
  cmd->add_option("--endpoint", o->cfg.endpoint, "completions (/v1/completions) | chat (/v1/chat/completions)")
      ->capture_default_str();
  cmd->add_option("--api-key-env", o->api_key_env,
                  "environment variable holding the API key (sent as Authorization: Bearer; unset: no key)")
      ->capture_default_str();
  cmd->add_option("--concurrency", o->concurrency,
                  "closed-loop levels, comma-separated (e.g. 1,4,16); with --rate: the cap on requests in flight");
  cmd->add_option("--rate", o->rate, "open-loop levels, requests/s, comma-separated (instead of a concurrency sweep)");
  cmd->add_option("--trace", o->trace,
                  "replay a trace instead of levels: each row sent at its time with its lengths (Mooncake hash ids "
                  "as shared prefix blocks); --concurrency then caps requests in flight, --requests takes the first rows");
  cmd->add_option("--trace-format", o->trace_format, "azure | mooncake (default: mooncake for .jsonl, else azure)");
  cmd->add_option("--speedup", o->speedup, "trace replay: divide the trace's times by this")->capture_default_str()
      ->check(finite_range(1e-6, 1e9));
  cmd->add_option("--arrival", o->arrival, "open-loop arrivals: poisson | constant")->capture_default_str();
  cmd->add_option("--requests", o->cfg.requests, "requests per level")->check(finite_range(1, 1e9));
  cmd->add_option("--duration", o->cfg.duration_s, "seconds per level: no new request after this")->check(finite_range(1e-3, 1e7));
  cmd->add_option("--isl", o->cfg.isl, "prompt length, words (one token each in serve-sim)")->capture_default_str()
      ->check(finite_range(1, 1e7));
  cmd->add_option("--osl", o->cfg.osl, "output length: max_tokens")->capture_default_str()->check(finite_range(1, 1e7));
  cmd->add_option("--isl-max", o->cfg.isl_max, "distributed prompts: each request's length uniform in [--isl, this]")
      ->check(finite_range(1, 1e7));
  cmd->add_option("--osl-max", o->cfg.osl_max, "distributed outputs: each request's max_tokens uniform in [--osl, this]")
      ->check(finite_range(1, 1e7));
  cmd->add_option("--shared-prefix", o->cfg.shared_prefix,
                  "fraction of the prompt identical in every request (the rest is salted per request)")
      ->capture_default_str()->check(finite_range(0, 1));
  cmd->add_flag("--sessions", o->sessions,
                "multi-turn agentic sessions: --concurrency sessions in flight, each turn sending the whole conversation "
                "so far (earlier prompts and answers) plus --turn-isl new words; --requests counts turns");
  CLI::Option* turns_opt = cmd->add_option("--turns", o->cfg.turns, "sessions: turns per session (default 4)")
                               ->check(finite_range(1, 1e6));
  CLI::Option* turns_max_opt = cmd->add_option("--turns-max", o->cfg.turns_max,
                                               "sessions: each session's turns uniform in [--turns, this]")
                                   ->check(finite_range(1, 1e6));
  CLI::Option* turn_isl_opt = cmd->add_option("--turn-isl", o->cfg.turn_isl,
                                              "sessions: new words per turn after the first (default: --isl; turn 1 "
                                              "sends --isl words)")
                                  ->check(finite_range(1, 1e7));
  CLI::Option* think_opt = cmd->add_option("--think-ms", o->think_ms,
                                           "sessions: think time before each turn after the first (the agent's tool "
                                           "call), ms of the server's time (divided by --time-scale)")
                               ->check(finite_range(0, 1e9));
  CLI::Option* think_max_opt = cmd->add_option("--think-ms-max", o->think_ms_max,
                                               "sessions: think times uniform in [--think-ms, this]")
                                   ->check(finite_range(0, 1e9));
  cmd->add_flag("--no-ignore-eos", o->no_ignore_eos, "do not send ignore_eos (the server may stop early)");
  cmd->add_flag("--no-usage", o->no_usage, "do not ask for stream_options.include_usage (count text chunks instead)");
  CLI::Option* seed_opt = cmd->add_option(
      "--seed", o->cfg.seed,
      "seed of the prompts and the arrivals (default: a fresh one per run, so two runs never share a prompt that a "
      "prefix cache could hit)");
  cmd->add_option("--timeout", o->cfg.timeout_s, "seconds a request may take")->capture_default_str()->check(finite_range(1e-3, 1e6));
  cmd->add_option("--connect-timeout", o->cfg.connect_timeout_s, "seconds to connect")->capture_default_str()
      ->check(finite_range(1e-3, 1e6));
  cmd->add_option("--slo-ttft-ms", o->slo_ttft_ms, "goodput: TTFT bound, ms (0: none)")->check(finite_range(0, 1e9));
  cmd->add_option("--slo-tpot-ms", o->slo_tpot_ms, "goodput: TPOT bound, ms (0: none)")->check(finite_range(0, 1e9));
  cmd->add_option("--saturation-gain", o->cfg.saturation_gain,
                  "stop a sweep when output tok/s rose less than this fraction over the best earlier level (0: never)")
      ->capture_default_str()->check(finite_range(0, 100));
  cmd->add_option("--time-scale", o->cfg.time_scale,
                  "the endpoint is `serve-sim --time-scale S`: report times x S and rates / S, send --rate levels S times "
                  "faster (the simulated GPUs' time; --duration and --timeout stay wall seconds)")
      ->capture_default_str()->check(finite_range(1e-6, 1e6));
  add_format_option(cmd, o->format, {"table", "json", "csv"});
  cmd->add_option("--raw", o->raw, "write every request as a JSON line (send, chunk arrivals, usage, status, error)");
  cmd->add_option("--validation-csv", o->validation_csv,
                  "write the levels as rows of data/validation/published.csv's format (for validate / calibrate --from)");
  cmd->add_flag("--force", o->force, "overwrite existing --raw / --validation-csv files");
  cmd->add_flag("--no-progress", o->no_progress, "no progress line (it is shown only when stderr is a terminal)");
  cmd->add_option("--gpu", o->dep.gpu, "validation rows: the endpoint's GPU (catalog name)");
  cmd->add_option("--num-gpus", o->dep.num_gpus, "validation rows: GPUs behind the endpoint")->capture_default_str()
      ->check(finite_range(1, 1e6));
  cmd->add_option("--tp", o->dep.tp, "validation rows: tensor parallelism")->capture_default_str()->check(finite_range(1, 4096));
  cmd->add_option("--pp", o->dep.pp, "validation rows: pipeline parallelism")->capture_default_str()->check(finite_range(1, 1024));
  cmd->add_option("--ep", o->dep.ep, "validation rows: expert parallelism")->capture_default_str()->check(finite_range(1, 4096));
  cmd->add_option("--precision", o->dep.precision, "validation rows: weight precision (e.g. BF16, FP8)");
  cmd->add_option("--engine", o->dep.engine, "validation rows: engine profile name (data/perf/engines.yaml)");
  cmd->add_option("--catalog-model", o->dep.model, "validation rows: catalog model name (default: the model sent)");
  cmd->callback([o, seed_opt, turns_opt, turns_max_opt, turn_isl_opt, think_opt, think_max_opt] {
    loadgen::BenchConfig cfg = o->cfg;
    if (seed_opt->count() == 0)
      cfg.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                 static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const auto f = report::parse_format(o->format, {report::Format::table, report::Format::json, report::Format::csv});
    if (!o->concurrency.empty()) cfg.concurrency = parse_list<int>(o->concurrency, "--concurrency", 1, 100000);
    if (!o->rate.empty()) cfg.rates = parse_list<double>(o->rate, "--rate", 1e-9, 1e9);
    if (!o->trace.empty()) {
      if (!cfg.rates.empty()) throw InputError("<command line>", "--rate", o->rate, "give --rate or --trace, not both");
      std::string fmt_name = o->trace_format;
      if (fmt_name.empty())
        fmt_name = o->trace.size() >= 6 && o->trace.compare(o->trace.size() - 6, 6, ".jsonl") == 0 ? "mooncake" : "azure";
      cfg.schedule = api::bench_schedule(o->trace, fmt_name, o->speedup);
      if (cfg.schedule.empty()) throw InputError(o->trace, "", "", "the trace has no rows");
    }
    if (o->sessions) {
      if (turns_opt->count() == 0) cfg.turns = 4;
      if (!cfg.rates.empty())
        throw InputError("<command line>", "--rate", o->rate, "sessions are a closed loop: give --concurrency (sessions in flight)");
      if (!cfg.schedule.empty()) throw InputError("<command line>", "--trace", o->trace, "give --sessions or --trace, not both");
      if (think_max_opt->count() > 0 && o->think_ms_max < o->think_ms)
        throw InputError("<command line>", "--think-ms-max", think_max_opt->as<std::string>(), "must be >= --think-ms");
      cfg.think_s = o->think_ms / 1e3;
      cfg.think_max_s = o->think_ms_max / 1e3;
    } else {
      for (const CLI::Option* opt : {turns_opt, turns_max_opt, turn_isl_opt, think_opt, think_max_opt})
        if (opt->count() > 0)
          throw InputError("<command line>", opt->get_name(), opt->as<std::string>(), "needs --sessions");
    }
    if (cfg.rates.empty() && cfg.concurrency.empty() && cfg.schedule.empty())
      throw InputError("<command line>", "--concurrency", "", "give --concurrency levels, --rate levels or --trace");
    if (!cfg.rates.empty() && cfg.concurrency.size() > 1)
      throw InputError("<command line>", "--concurrency", o->concurrency, "with --rate, one value: the in-flight cap");
    if (o->arrival != "poisson" && o->arrival != "constant")
      throw InputError("<command line>", "--arrival", o->arrival, "expected poisson or constant");
    cfg.poisson = o->arrival == "poisson";
    cfg.ignore_eos = !o->no_ignore_eos;
    cfg.include_usage = !o->no_usage;
    cfg.slo_ttft_s = o->slo_ttft_ms / 1e3;
    cfg.slo_tpot_s = o->slo_tpot_ms / 1e3;
    if (!o->api_key_env.empty())
      if (const char* k = std::getenv(o->api_key_env.c_str()); k && *k) cfg.api_key = k;
    std::unique_ptr<OutputFile> raw;
    if (!o->raw.empty()) raw = std::make_unique<OutputFile>(o->raw, "--raw", o->force, std::vector<std::string>{});
    std::unique_ptr<OutputFile> vcsv;
    if (!o->validation_csv.empty())
      vcsv = std::make_unique<OutputFile>(o->validation_csv, "--validation-csv", o->force, std::vector<std::string>{});
    loadgen::BenchHooks hooks;
    if (raw) hooks.on_request = [&raw](const loadgen::RequestRecord& r) { raw->write(report::bench_request_jsonl(r)); };
    const bool progress = !o->no_progress && isatty(fileno(stderr));
    if (progress)
      hooks.on_progress = [](const loadgen::Progress& p) {
        fmt::print(stderr, "\rlevel {}/{}: {} sent, {} done, {} failed, {} in flight, {:.0f} out tok/s, client CPU {:.0f}%   ",
                   p.level, p.levels, p.sent, p.done, p.failed, p.in_flight, p.output_tok_per_s, p.client_cpu_cores * 100);
        std::fflush(stderr);
      };
    g_bench_stop = 0;
    std::signal(SIGINT, on_bench_signal);
    std::signal(SIGTERM, on_bench_signal);
    hooks.stop = [] { return g_bench_stop != 0; };
    loadgen::BenchResult r;
    try {
      r = api::bench(cfg, hooks);
    } catch (...) {
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      throw;
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (progress) fmt::print(stderr, "\r{:<110}\r", "");
    if (raw) raw->commit();
    if (vcsv) {
      vcsv->write(report::bench_validation_csv(r, o->dep));
      vcsv->commit();
    }
    std::cout << report::render_bench(r, f);
    if (f != report::Format::table) {
      for (const auto& w : r.warnings) fmt::print(stderr, "tokenmath: warning: {}\n", w);
      for (const auto& L : r.levels)
        for (const auto& [k, n] : L.errors) fmt::print(stderr, "tokenmath: {} request(s) failed ({}): {}\n", n, k, L.first_error.at(k));
    }
    if (r.interrupted) {
      std::cout.flush();
      fmt::print(stderr, "tokenmath: interrupted: partial results printed\n");
      std::exit(130);
    }
    // Every request failed: the measurement is empty (exit 1; the errors are printed above).
    if (std::none_of(r.levels.begin(), r.levels.end(), [](const loadgen::LevelResult& L) { return L.ok > 0; })) {
      std::cout.flush();
      std::exit(1);
    }
  });
}

}  // namespace tokenmath::cli
