// Facade: run a serving simulation scenario and render its result.
#pragma once
#include <cstdint>
#include <string>

#include "tokenmath/context.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::api {

struct SimulateRequest {
  std::string scenario_path;
  std::string requests_csv;     // per-request CSV export ("" = none; memory stays bounded either way)
  bool progress = false;        // progress bar on stderr
  bool bench = false;           // wall time, simulated requests/s and events/s on stderr
  std::int64_t requests = -1;   // > 0: overrides workload.requests (0 is an error)
  std::int64_t seed = -1;       // >= 0: overrides the scenario's seed
  std::int64_t replicas = -1;   // > 0: overrides cluster.replicas (single-pool scenarios)
  double rate = -1;             // > 0: overrides the arrival rate, requests/s (synthetic open-loop workloads)
  double load = -1;             // > 0: arrival rate = load x the simulated saturation (after --replicas)
  std::string step_log;         // one CSV row per engine step of every replica ("" = none)
};

// Loads the scenario, simulates it, renders the summary (table|json|csv) (src/api/sim.cpp).
std::string simulate(const Context& ctx, const SimulateRequest& req, report::Format f);

}  // namespace tokenmath::api
