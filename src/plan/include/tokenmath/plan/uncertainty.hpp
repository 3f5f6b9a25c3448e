// Monte Carlo of a plan's chosen candidate: every sensitivity input drawn from a triangular distribution over its
// declared [low, high] range with the scenario's value as the mode (GPU price, power price, hardware lifetime, cache hit rate, load target at peak, API price multiplier) and
// the replica's throughput scaled by exp(-perf_error_bias + N(0, perf_error_sigma)) (the perf model's measured error:
// its median over-prediction and its spread on the frontier points). Each draw
// re-prices the same work (steps per year): the chosen deployment's capacity for the drawn workload shape and SLO
// headroom, the fleet for the peak, owned TCO, and both APIs. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenmath/plan/plan.hpp"

namespace tokenmath::plan {

// Runs `s.uncertainty_draws` draws for `r`'s chosen candidate (nothing when 0 or when no candidate is feasible).
Uncertainty run_uncertainty(const Scenario& s, const PlanResult& r);

}  // namespace tokenmath::plan
