// Facade: run a serving simulation scenario.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tokenmath/context.hpp"
#include "tokenmath/sim/realtime.hpp"
#include "tokenmath/sim/scenario.hpp"
#include "tokenmath/sim/simulator.hpp"

namespace tokenmath::api {

struct SimulateRequest {
  std::string scenario_path;
  std::string scenario_text;    // YAML or JSON text instead of a file ("" = read scenario_path)
  std::int64_t max_requests = 0;  // > 0: a frontend's bound; the workload must stop within this many requests
  std::int64_t requests = -1;   // > 0: overrides workload.requests (0 is an error)
  std::int64_t seed = -1;       // >= 0: overrides the scenario's seed
  std::int64_t replicas = -1;   // > 0: overrides cluster.replicas (single-pool scenarios)
  double rate = -1;             // > 0: overrides the arrival rate, requests/s (synthetic open-loop workloads)
  double load = -1;             // > 0: arrival rate = load x the simulated saturation (after replicas)
  // Streaming hooks (memory stays bounded): called once before the run, once per finished request, once per
  // engine step, and with the fraction done. The facade writes nothing itself; frontends attach files here.
  std::function<void()> before_run;
  std::function<void(const sim::RequestRecord&)> on_request;
  std::function<void(const sim::StepRecord&)> on_step;
  std::function<void(double)> on_progress;
  std::function<bool()> stop;  // polled during the run: true ends it early with a partial result (interrupted)
};

struct SimulateResult {
  sim::Scenario scenario;  // as run (overrides applied)
  sim::SimResult result;
  double wall_s = 0;       // wall time of the simulation itself
};

// Loads the scenario, applies the overrides, simulates it. Render with report::render_sim(r.scenario, r.result, f).
SimulateResult simulate(const Context& ctx, const SimulateRequest& req);

// `tokenmath serve-sim`: the scenario's cluster served in real time (its workload is not used: the requests that
// come in are the workload). time_scale = simulated seconds per wall second.
struct ServeSimRequest {
  std::string scenario_path;
  double time_scale = 1;
  std::int64_t replicas = -1;  // > 0: overrides cluster.replicas (single-pool scenarios)
};
struct ServeSim {
  sim::Scenario scenario;
  std::unique_ptr<sim::RealtimeCluster> cluster;  // its driver thread runs until it is destroyed
  std::int32_t block_tokens = 16;                 // prefix-cache block of the first pool (block_chunks)
  bool prefix_caching = true;
  std::int64_t max_context_tokens = 0;            // the model's context (0 = no limit)
  std::int64_t kv_capacity_tokens = 0;            // smallest replica KV pool of the first pool
};
ServeSim serve_sim(const Context& ctx, const ServeSimRequest& req);

}  // namespace tokenmath::api
