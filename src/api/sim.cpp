#include "tokenmath/api/sim.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "tokenmath/common/error.hpp"
#include "tokenmath/sim/scenario.hpp"

namespace tokenmath::api {

SimulateResult simulate(const Context& ctx, const SimulateRequest& req) {
  // A scenario file, or YAML/JSON text (an HTTP body, a notebook cell: relative trace paths resolve against the
  // working directory, then the data directory).
  sim::Scenario sc = req.scenario_text.empty()
                         ? sim::load_scenario(ctx, req.scenario_path)
                         : sim::parse_scenario(ctx, req.scenario_text, "<scenario text>", std::filesystem::current_path());
  if (req.seed >= 0) sc.seed = static_cast<std::uint64_t>(req.seed);
  if (req.max_requests > 0 && req.requests <= 0 &&
      (sc.workload.max_requests <= 0 || sc.workload.max_requests > req.max_requests))
    throw InputError(sc.file, "workload.requests", std::to_string(sc.workload.max_requests),
                     fmt::format("must be set and at most {} here (this frontend bounds each simulation)",
                                 req.max_requests));
  if (req.requests == 0) throw InputError(kRequest, "`requests`", "0", "must be >= 1");
  if (req.requests > 0) {
    sc.workload.max_requests = req.requests;
    sc.expected_requests = req.requests;
  }
  const char* cli = kRequest;
  if (req.replicas == 0 || req.replicas > 100000)
    throw InputError(cli, "`replicas`", std::to_string(req.replicas), "must be in [1, 100000]");
  if (req.replicas > 0) {
    if (sc.config.pools.size() != 1)
      throw InputError(cli, "`replicas`", std::to_string(req.replicas),
                       "applies to single-pool scenarios; set replicas per pool in the scenario's disaggregation block");
    sc.config.pools[0].replicas = static_cast<int>(req.replicas);
    sc.pools[0].replicas = static_cast<int>(req.replicas);
  }
  if (req.rate != -1 || req.load != -1) {
    if (req.rate != -1 && req.load != -1)
      throw InputError(cli, "`rate`/`load`", "", "give one of `rate` or `load`");
    const double v = req.rate != -1 ? req.rate : req.load;
    const char* flag = req.rate != -1 ? "`rate`" : "`load`";
    if (!(v > 0) || !std::isfinite(v) || (req.load != -1 && v > 10))
      throw InputError(cli, flag, fmt::format("{}", v), req.load != -1 ? "must be in (0, 10]" : "must be a positive number");
    if (sc.workload.kind != sim::WorkloadSpec::Kind::synthetic || sc.workload.arrival.kind == sim::ArrivalSpec::Kind::closed)
      throw InputError(cli, flag, fmt::format("{}", v), "applies to synthetic open-loop workloads (not traces, agentic sessions or closed loops)");
    if (req.load != -1) {
      // The scenario's own `load` already measured this cluster's saturation; re-measure only for a new one.
      if (req.replicas > 0 || !(sc.saturation_req_per_s > 0))
        sc.saturation_req_per_s = sim::simulated_saturation(sc.config, sc.workload, sc.seed);
      if (!(sc.saturation_req_per_s > 0))
        throw InputError(cli, flag, fmt::format("{}", v), "the cluster's saturation could not be measured; give `rate`");
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
  opt.on_request = req.on_request;
  opt.on_step = req.on_step;
  opt.on_progress = req.on_progress;
  opt.stop = req.stop;
  if (req.before_run) req.before_run();
  auto wl = sim::make_workload(sc.workload, sc.seed);
  const auto t0 = std::chrono::steady_clock::now();
  SimulateResult out;
  out.result = sim::simulate(sc.config, *wl, opt);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.scenario = std::move(sc);
  return out;
}

ServeSim serve_sim(const Context& ctx, const ServeSimRequest& req) {
  if (!(req.time_scale > 0) || !std::isfinite(req.time_scale) || req.time_scale > 1e6)
    throw InputError(kRequest, "`time_scale`", fmt::format("{}", req.time_scale), "must be in (0, 1e6]");
  ServeSim out;
  out.scenario = sim::load_scenario(ctx, req.scenario_path);
  sim::Scenario& sc = out.scenario;
  if (req.replicas == 0 || req.replicas > 100000)
    throw InputError(kRequest, "`replicas`", std::to_string(req.replicas), "must be in [1, 100000]");
  if (req.replicas > 0) {
    if (sc.config.pools.size() != 1)
      throw InputError(kRequest, "`replicas`", std::to_string(req.replicas),
                       "applies to single-pool scenarios; set replicas per pool in the scenario's disaggregation block");
    sc.config.pools[0].replicas = static_cast<int>(req.replicas);
    sc.pools[0].replicas = static_cast<int>(req.replicas);
  }
  sc.config.horizon_s = 0;  // the server runs until it is stopped
  const sim::ReplicaConfig& rc = sc.config.pools.front().config;
  out.block_tokens = rc.block_tokens;
  out.prefix_caching = rc.prefix_caching;
  out.max_context_tokens = rc.max_context_tokens;
  out.kv_capacity_tokens = INT64_MAX;
  for (const auto& p : sc.config.pools)
    out.kv_capacity_tokens = std::min(out.kv_capacity_tokens, p.config.kv_blocks * p.config.block_tokens);
  out.cluster = std::make_unique<sim::RealtimeCluster>(sc.config, req.time_scale);
  return out;
}

}  // namespace tokenmath::api
