#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

void add_sim_commands(CLI::App& app) {
  struct Opts {
    api::SimulateRequest req;
    std::string format;
    bool no_progress = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("simulate", "discrete-event simulation of a serving cluster (scenario YAML)");
  cmd->add_option("scenario", o->req.scenario_path, "scenario file (see data/scenarios/README.md)")->required();
  add_format_option(cmd, o->format, {"table", "json", "csv"});
  cmd->add_option("--requests-csv", o->req.requests_csv, "write one CSV row per finished request to this file");
  cmd->add_option("--requests", o->req.requests, "override workload.requests");
  cmd->add_option("--seed", o->req.seed, "override the scenario's seed");
  cmd->add_option("--replicas", o->req.replicas, "override cluster.replicas (single-pool scenarios)");
  cmd->add_option("--rate", o->req.rate, "override the arrival rate, requests/s (synthetic open-loop workloads)");
  cmd->add_option("--load", o->req.load,
                  "arrival rate = this fraction of the simulated saturation of the cluster (after --replicas)");
  cmd->add_option("--step-log", o->req.step_log,
                  "write one CSV row per engine step (replica, start, duration, prefill tokens/sequences, decode "
                  "sequences, KV blocks used/total)");
  cmd->add_flag("--bench", o->req.bench, "print wall time, simulated requests/s and events/s on stderr");
  cmd->add_flag("--no-progress", o->no_progress, "no progress bar (it is shown only when stderr is a terminal)");
  cmd->callback([o] {
    const auto f = report::parse_format(o->format, {report::Format::table, report::Format::json, report::Format::csv});
    o->req.progress = !o->no_progress && isatty(fileno(stderr));
    std::cout << api::simulate(context(), o->req, f);
  });
}

}  // namespace tokenmath::cli
