#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

namespace {
// SIGINT / SIGTERM end the simulation early; the partial summary is still printed (and files written).
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

void add_sim_commands(CLI::App& app) {
  struct Opts {
    api::SimulateRequest req;
    std::string format;
    std::string requests_csv, step_log;
    bool no_progress = false, bench = false, force = false;
    std::string engine_profile;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("simulate", "discrete-event simulation of a serving cluster (scenario YAML)");
  cmd->add_option("scenario", o->req.scenario_path, "scenario file (see data/scenarios/README.md)")->required();
  add_format_option(cmd, o->format, {"table", "json", "csv"});
  add_engine_profile_option(cmd, o->engine_profile);
  cmd->add_option("--requests-csv", o->requests_csv, "write one CSV row per finished request to this file");
  cmd->add_option("--requests", o->req.requests, "override workload.requests")->check(finite_range(1, 2147483647));
  cmd->add_option("--seed", o->req.seed, "override the scenario's seed")->check(finite_range(0, 9007199254740992.0));
  cmd->add_option("--replicas", o->req.replicas, "override cluster.replicas (single-pool scenarios)")->check(finite_range(1, 100000));
  cmd->add_option("--rate", o->req.rate, "override the arrival rate, requests/s (synthetic open-loop workloads)")->check(finite_range(1e-9, 1e9));
  cmd->add_option("--load", o->req.load,
                  "arrival rate = this fraction of the simulated saturation of the cluster (after --replicas)")->check(finite_range(1e-6, 10));
  cmd->add_option("--step-log", o->step_log,
                  "write one CSV row per engine step (replica, start, duration, prefill tokens/sequences, decode "
                  "sequences, KV blocks used/total)");
  cmd->add_flag("--force", o->force, "overwrite existing --requests-csv / --step-log files");
  cmd->add_flag("--bench", o->bench, "print wall time, simulated requests/s and events/s on stderr");
  cmd->add_flag("--no-progress", o->no_progress, "no progress bar (it is shown only when stderr is a terminal)");
  cmd->callback([o] {
    const auto f = report::parse_format(o->format, {report::Format::table, report::Format::json, report::Format::csv});
    // Output files open once the scenario and overrides are accepted (a bad scenario leaves no file); rows stream
    // into a temporary file renamed into place at the end.
    std::unique_ptr<OutputFile> csv, steps;
    api::SimulateRequest req = o->req;
    const std::vector<std::string> inputs = {o->req.scenario_path};
    req.before_run = [&] {
      if (!o->requests_csv.empty()) {
        csv = std::make_unique<OutputFile>(o->requests_csv, "--requests-csv", o->force, inputs);
        csv->write(report::sim_request_csv_header());
      }
      if (!o->step_log.empty()) {
        steps = std::make_unique<OutputFile>(o->step_log, "--step-log", o->force, inputs);
        steps->write(report::sim_step_csv_header());
      }
    };
    if (!o->requests_csv.empty())
      req.on_request = [&csv](const sim::RequestRecord& r) { csv->write(report::sim_request_csv_row(r)); };
    if (!o->step_log.empty()) req.on_step = [&steps](const sim::StepRecord& s) { steps->write(report::sim_step_csv_row(s)); };
    const bool progress = !o->no_progress && isatty(fileno(stderr));
    int last_pct = -1;
    const auto started = std::chrono::steady_clock::now();
    auto last_line = started;
    if (progress) {
      req.on_progress = [&last_pct](double frac) {
        const int pct = static_cast<int>(frac * 100);
        if (pct == last_pct) return;
        last_pct = pct;
        const int bar = pct * 40 / 100;
        fmt::print(stderr, "\r[{:<40}] {:3d}%", std::string(static_cast<std::size_t>(bar), '#'), pct);
        std::fflush(stderr);
      };
    } else if (!o->no_progress) {
      // Not a terminal (a log, CI): one line every 30 s of a long run, none for short ones.
      req.on_progress = [&](double frac) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_line < std::chrono::seconds(30)) return;
        last_line = now;
        fmt::print(stderr, "simulate: {:.0f}% after {:.0f} s\n", frac * 100,
                   std::chrono::duration<double>(now - started).count());
      };
    }
    g_stop = 0;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    req.stop = [] { return g_stop != 0; };
    std::optional<Context> profiled;
    const api::SimulateResult r = api::simulate(context_for(o->engine_profile, profiled), req);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (steps) steps->commit();
    if (csv) csv->commit();
    if (progress) fmt::print(stderr, "\r{:<48}\r", "");
    if (o->bench)
      fmt::print(stderr,
                 "bench: {} requests, {} events, {} steps in {:.3f} s wall: {:.0f} simulated requests/s, {:.0f} events/s\n",
                 r.result.arrived, r.result.events, r.result.steps, r.wall_s,
                 static_cast<double>(r.result.arrived) / r.wall_s, static_cast<double>(r.result.events) / r.wall_s);
    std::cout << report::render_sim(r.scenario, r.result, f);
    if (r.result.interrupted) {
      std::cout.flush();
      fmt::print(stderr, "tokenmath: interrupted: partial results printed\n");
      std::exit(130);
    }
  });
}

}  // namespace tokenmath::cli
