#include "tokenmath/api/sim.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "tokenmath/common/error.hpp"
#include "tokenmath/report/sim.hpp"
#include "tokenmath/sim/scenario.hpp"

namespace tokenmath::api {

std::string simulate(const Context& ctx, const SimulateRequest& req, report::Format f) {
  sim::Scenario sc = sim::load_scenario(ctx, req.scenario_path);
  if (req.seed >= 0) sc.seed = static_cast<std::uint64_t>(req.seed);
  if (req.requests == 0) throw InputError("<command line>", "--requests", "0", "must be >= 1");
  if (req.requests > 0) {
    sc.workload.max_requests = req.requests;
    sc.expected_requests = req.requests;
  }
  const char* cli = "<command line>";
  if (req.replicas == 0 || req.replicas > 100000)
    throw InputError(cli, "--replicas", std::to_string(req.replicas), "must be in [1, 100000]");
  if (req.replicas > 0) {
    if (sc.config.pools.size() != 1)
      throw InputError(cli, "--replicas", std::to_string(req.replicas),
                       "applies to single-pool scenarios; set replicas per pool in the scenario's disaggregation block");
    sc.config.pools[0].replicas = static_cast<int>(req.replicas);
    sc.pools[0].replicas = static_cast<int>(req.replicas);
  }
  if (req.rate != -1 || req.load != -1) {
    if (req.rate != -1 && req.load != -1)
      throw InputError(cli, "--rate/--load", "", "give one of --rate or --load");
    const double v = req.rate != -1 ? req.rate : req.load;
    const char* flag = req.rate != -1 ? "--rate" : "--load";
    if (!(v > 0) || !std::isfinite(v) || (req.load != -1 && v > 10))
      throw InputError(cli, flag, fmt::format("{}", v), req.load != -1 ? "must be in (0, 10]" : "must be a positive number");
    if (sc.workload.kind != sim::WorkloadSpec::Kind::synthetic || sc.workload.arrival.kind == sim::ArrivalSpec::Kind::closed)
      throw InputError(cli, flag, fmt::format("{}", v), "applies to synthetic open-loop workloads (not traces, agentic sessions or closed loops)");
    if (req.load != -1) {
      // The scenario's own `load` already measured this cluster's saturation; re-measure only for a new one.
      if (req.replicas > 0 || !(sc.saturation_req_per_s > 0))
        sc.saturation_req_per_s = sim::simulated_saturation(sc.config, sc.workload, sc.seed);
      if (!(sc.saturation_req_per_s > 0))
        throw InputError(cli, flag, fmt::format("{}", v), "the cluster's saturation could not be measured; give --rate");
      sc.workload.arrival.rate_per_s = v * sc.saturation_req_per_s;
    } else {
      sc.workload.arrival.rate_per_s = v;
    }
    sc.offered_rate_per_s = sc.workload.arrival.rate_per_s;
  } else if (req.replicas > 0 && sc.saturation_req_per_s > 0 && sc.offered_rate_per_s > 0) {
    // The scenario's `load` refers to the cluster it describes: keep the same load on the new replica count.
    const double load = sc.offered_rate_per_s / sc.saturation_req_per_s;
    sc.saturation_req_per_s = sim::simulated_saturation(sc.config, sc.workload, sc.seed);
    sc.workload.arrival.rate_per_s = load * sc.saturation_req_per_s;
    sc.offered_rate_per_s = sc.workload.arrival.rate_per_s;
  }
  sim::SimOptions opt;
  opt.expected_requests = sc.expected_requests;
  opt.expected_sim_s = sc.workload.duration_s;
  std::ofstream csv;
  if (!req.requests_csv.empty()) {
    csv.open(req.requests_csv);
    if (!csv) throw InputError("<command line>", "--requests-csv", req.requests_csv, "cannot write this file");
    csv << report::sim_request_csv_header();
    opt.on_request = [&csv](const sim::RequestRecord& r) { csv << report::sim_request_csv_row(r); };
  }
  std::ofstream steps;
  if (!req.step_log.empty()) {
    steps.open(req.step_log);
    if (!steps) throw InputError("<command line>", "--step-log", req.step_log, "cannot write this file");
    steps << "replica,start_s,duration_s,prefill_tokens,prefill_seqs,decode_seqs,kv_blocks_used,kv_blocks\n";
    opt.on_step = [&steps](const sim::StepRecord& s) {
      steps << fmt::format("{},{:.9f},{:.9f},{},{},{},{},{}\n", s.replica, s.start_s, s.duration_s, s.prefill_tokens,
                           s.prefill_seqs, s.decode_seqs, s.kv_blocks_used, s.kv_blocks);
    };
  }
  int last_pct = -1;
  if (req.progress) {
    opt.on_progress = [&last_pct](double frac) {
      const int pct = static_cast<int>(frac * 100);
      if (pct == last_pct) return;
      last_pct = pct;
      const int bar = pct * 40 / 100;
      fmt::print(stderr, "\r[{:<40}] {:3d}%", std::string(static_cast<std::size_t>(bar), '#'), pct);
      std::fflush(stderr);
    };
  }
  auto wl = sim::make_workload(sc.workload, sc.seed);
  const auto t0 = std::chrono::steady_clock::now();
  const sim::SimResult r = sim::simulate(sc.config, *wl, opt);
  if (steps.is_open()) {
    steps.flush();
    if (!steps) throw InputError("<command line>", "--step-log", req.step_log, "write failed (disk full?)");
  }
  if (csv.is_open()) {
    csv.flush();
    if (!csv) throw InputError("<command line>", "--requests-csv", req.requests_csv, "write failed (disk full?)");
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (req.progress) fmt::print(stderr, "\r{:<48}\r", "");
  if (req.bench)
    fmt::print(stderr, "bench: {} requests, {} events, {} steps in {:.3f} s wall: {:.0f} simulated requests/s, {:.0f} events/s\n",
               r.arrived, r.events, r.steps, wall_s, static_cast<double>(r.arrived) / wall_s,
               static_cast<double>(r.events) / wall_s);
  return report::render_sim(sc, r, f);
}

}  // namespace tokenmath::api
