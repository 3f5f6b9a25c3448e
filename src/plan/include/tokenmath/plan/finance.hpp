// Money maths of the planner as pure functions: the capital annuity, break-even, payback, and the
// owned/API hybrid split over a load-duration curve.
#pragma once

#include <vector>

#include "tokenmath/plan/demand.hpp"

namespace tokenmath::plan {

// The capital annuity (CRF, annualised capex net of residual) is cost::capital_recovery_factor and
// cost::annualised_capex_usd (src/cost/owned.hpp).

// Utilisation of owned capacity at which its cost per token equals the API's:
// owned_usd_per_year / (capacity_tokens_per_year x api_usd_per_token). Owned capacity costs the same whether
// used or idle, so below this utilisation the API is cheaper. May exceed 1 (owning never wins).
double break_even_utilisation(double owned_usd_per_year, double capacity_tokens_per_year, double api_usd_per_token);

// Years until the capex is repaid by the yearly saving (API spend avoided minus owned running costs):
// capex / (api_usd_per_year - owned_opex_usd_per_year); +infinity when there is no saving.
double payback_years(double capex_usd, double api_usd_per_year, double owned_opex_usd_per_year);

struct HybridPoint {
  double owned_fraction = 0;  // owned replicas / replicas of the all-owned fleet
  long long replicas = 0;
  double owned_usd_per_year = 0;    // replicas x annual cost of one replica (idle or not)
  double api_usd_per_year = 0;      // overflow steps x API price per step
  double owned_share_of_steps = 0;  // steps served on owned capacity / all steps
  double total_usd_per_year() const { return owned_usd_per_year + api_usd_per_year; }
};

struct HybridResult {
  std::vector<HybridPoint> curve;  // `points` evenly spaced owned fractions, 0 (all API) .. 1 (all owned)
  HybridPoint best;                // cheapest over every whole number of replicas 0..full_replicas
};

// Own R replicas, send what exceeds their capacity to the API. In each block of the load-duration curve the
// owned fleet serves min(load, R x steps_per_s_per_replica) and the API the rest:
//   api_usd = sum_blocks hours x 3600 x max(0, load - R x c) x api_usd_per_step
// total(R) is convex in R, so the scan over all R finds the optimum; R = 0 and R = full_replicas are the pure
// options, hence best is never worse than either.
HybridResult hybrid_split(const std::vector<LoadBlock>& load, double steps_per_s_per_replica, long long full_replicas,
                          double owned_usd_per_replica_year, double api_usd_per_step, int points);

}  // namespace tokenmath::plan
