// A second path to the chosen replica's figures: the discrete-event simulator (src/sim) runs one replica of the
// deployment with Poisson arrivals at the planned peak load and a workload built to match the analytic one
// (every request = a cached prefix of C tokens shared by its session group + F fresh tokens, O output tokens).
#pragma once

#include <cstdint>
#include <string>

#include "tokenmath/plan/capacity.hpp"

namespace tokenmath::plan {

struct SimCheck {
  bool ran = false;
  std::string note;                 // what was simulated, or why not
  std::int64_t requests = 0;        // finished
  double arrival_rate_per_s = 0;    // replica steps/s x load fraction
  std::int64_t session_groups = 0;  // distinct cached prefixes (active + retained idle sessions)
  double ttft_p50_s = 0, ttft_p90_s = 0;
  double tpot_p50_s = 0, tpot_p90_s = 0;
  double prefix_hit_rate = 0;  // token-weighted, finished requests
  double output_tok_s = 0;     // finished requests' output over the simulated time
  double busy_fraction = 0;
  std::int64_t preemptions = 0;
  double slo_attainment = 0;  // finished requests meeting the TTFT and TPOT SLOs
  double ttft_attainment = 0, tpot_attainment = 0;  // each SLO on its own
};

// Simulates `requests` requests (0 = skip) on one replica of `rc` at `load_fraction` of its steps/s.
// Deterministic for a given seed.
SimCheck simulate_replica(const ReplicaCapacity& rc, const StepShape& shape, const Slo& slo, double load_fraction,
                          std::int64_t requests, std::uint64_t seed = 1);

}  // namespace tokenmath::plan
