// Money maths of the planner as pure functions: the capital annuity, break-even, payback, and the
// owned/API hybrid split over a load-duration curve.
#pragma once

#include <limits>
#include <vector>

#include "tokenmath/plan/demand.hpp"

namespace tokenmath::plan {

// The capital annuity (CRF, annualised capex net of residual) is cost::capital_recovery_factor and
// cost::annualised_capex_usd (src/cost/owned.hpp).

// Utilisation u of owned capacity at which its cost equals the API's for the same work. Owned capacity costs
// owned_idle_usd_per_year whether used or not, plus owned_usd_per_unit (the power above idle) for each unit served:
//   owned_idle + u x capacity x owned_per_unit = u x capacity x api_per_unit
//   u = owned_idle_usd_per_year / (capacity_per_year x (api_usd_per_unit - owned_usd_per_unit))
// Below it the API is cheaper. May exceed 1 (owning never wins); +infinity when the API is not dearer per unit.
double break_even_utilisation(double owned_idle_usd_per_year, double capacity_per_year, double api_usd_per_unit,
                              double owned_usd_per_unit = 0);

// Years until the capex is repaid by the yearly saving (API spend avoided minus owned running costs):
// capex / (api_usd_per_year - owned_opex_usd_per_year); +infinity when there is no saving.
double payback_years(double capex_usd, double api_usd_per_year, double owned_opex_usd_per_year);

// Discounted payback: years until the yearly saving, discounted at `rate` per year (paid continuously through
// each year, i.e. its present value sum_{t<n} S (1+r)^-t approximated by the annuity S (1 - (1+r)^-n) / r),
// repays the capex: n = -ln(1 - r capex / S) / ln(1 + r); +infinity when the saving never repays it (S <= r
// capex, or no saving). rate 0 gives the undiscounted payback.
double discounted_payback_years(double capex_usd, double api_usd_per_year, double owned_opex_usd_per_year, double rate);

// The API's contract terms as constraints on the hybrid (scenario hybrid.api_*):
// - a rate limit: the API accepts at most max_steps_per_s steps a second (its tokens-per-minute limit / tokens per
//   step / 60); a split whose overflow in any hour of the load curve exceeds it cannot be served (infeasible);
// - a committed spend: commit_usd_per_year is paid whatever is used, and buys usage at (1 - commit_discount) of
//   list until it is consumed; usage beyond it is billed at list. The commitment is sunk: it is paid at every
//   split, including all-owned.
struct ApiTerms {
  double max_steps_per_s = std::numeric_limits<double>::infinity();
  double commit_usd_per_year = 0;
  double commit_discount = 0;
  // Usage at list price the commitment prepays: commit / (1 - discount).
  double prepaid_list_usd() const;
  // The API bill for `list_usd` of usage at list price.
  double bill(double list_usd) const;
};

struct HybridPoint {
  bool feasible = true;       // false when the overflow exceeds the API's rate limit in some hour
  double api_peak_steps_per_s = 0;  // largest overflow to the API over the load curve
  double owned_fraction = 0;  // owned replicas / replicas of the all-owned fleet
  long long replicas = 0;
  double owned_usd_per_year = 0;    // replicas x annual cost of one idle replica + owned steps x owned_usd_per_step
  double api_usd_per_year = 0;      // overflow steps x API price per step
  double owned_share_of_steps = 0;  // steps served on owned capacity / all steps
  double total_usd_per_year() const { return owned_usd_per_year + api_usd_per_year; }
};

struct HybridResult {
  std::vector<HybridPoint> curve;  // `points` evenly spaced owned fractions, 0 (all API) .. 1 (all owned)
  HybridPoint best;                // cheapest feasible split over every whole number of replicas 0..full_replicas
  long long min_replicas = 0;      // fewest owned replicas the API's rate limit allows (0 without a limit)
};

// Own R replicas, send what exceeds their capacity to the API. In each block of the load-duration curve the
// owned fleet serves min(load, R x steps_per_s_per_replica) and the API the rest:
//   api_usd = sum_blocks hours x 3600 x max(0, load - R x c) x api_usd_per_step
// total(R) is convex in R for R >= 1 (a cold overflow price makes R = 0 its own case), so the scan over R = 0 and
// the block crossings finds the optimum; R = 0 and R = full_replicas are the pure options, hence best is never
// worse than either.
// The cost of one hybrid point: own `replicas` (of a `full_replicas` all-owned fleet), overflow to the API.
// api_usd_per_step prices the all-API point (whole sessions on the API); overflow_usd_per_step (< 0: the same)
// prices overflow beside owned replicas. owned_usd_per_replica_year is an idle replica's yearly cost and
// owned_usd_per_step what serving one step adds (power above idle); owned steps x owned_usd_per_step is concave in
// R like the API saving, so total(R) stays convex (it is R x fixed + steps x api - owned steps x (api - owned)).
HybridPoint hybrid_point(const std::vector<LoadBlock>& load, double steps_per_s_per_replica, long long replicas,
                         long long full_replicas, double owned_usd_per_replica_year, double api_usd_per_step,
                         double overflow_usd_per_step = -1, double owned_usd_per_step = 0,
                         const ApiTerms& terms = {});

HybridResult hybrid_split(const std::vector<LoadBlock>& load, double steps_per_s_per_replica, long long full_replicas,
                          double owned_usd_per_replica_year, double api_usd_per_step, int points,
                          double overflow_usd_per_step = -1, double owned_usd_per_step = 0,
                          const ApiTerms& terms = {});

// The multi-year view (scenario `horizon`): year y = 0 .. years-1 of a demand growing by `growth` a year, an API
// whose prices fall by `api_decline` a year, and hardware bought as needed and replaced at the end of its life.
struct HorizonInputs {
  int years = 5;
  double growth = 0;            // demand growth per year (0.5 = +50%/yr)
  double api_decline = 0;       // API price decline per year (0.3 = -30%/yr)
  double rate = 0.1;            // discount rate per year (the cost of capital)
  double lifetime_years = 5;    // hardware life: a cohort bought in year b serves years b .. b + life - 1
  double residual_fraction = 0; // resale value at end of life, share of capex (linear in between)
  long long replicas_year0 = 0; // all-owned fleet sized for year 0's peak
  double capex_per_replica = 0;
  double opex_per_replica_year = 0;  // running costs of one installed replica, idle (power at idle draw, facility,
                                     // staff, software)
  double owned_usd_per_step = 0;     // power above idle of one step served on owned hardware (both options)
  double api_usd_year0 = 0;          // year 0's demand bought from the reference API (all-API option)
  double hosted_api_usd_year0 = 0;   // the same from the model's hosted API (0 = none)
  // Hybrid: each year owns the replicas that minimise that year's owned (annualised) + overflow cost for its load
  // (hybrid_split), buying more as the load grows (never selling early); the rest of the load goes to the overflow
  // API at that year's price.
  double owned_usd_per_replica_year = 0;  // annualised capex + idle opex of one replica: the hybrid's decision price
  std::vector<LoadBlock> load_year0;  // year 0's load-duration curve (steps/s x hours)
  double steps_per_s_per_replica = 0; // usable capacity of one replica against that curve
  double api_usd_per_step_year0 = 0;       // the overflow API's price of a step run there whole (warm)
  double overflow_usd_per_step_year0 = 0;  // ... of an overflowed step (cold when hybrid.overflow_cache is cold)
  ApiTerms terms;                          // the overflow API's rate limit and commitment, every year
};

struct HorizonYear {
  int year = 0;
  double demand_factor = 1;      // demand / year 0's
  long long owned_replicas = 0;  // installed in the all-owned option
  double capex_usd = 0;          // bought at the start of the year (growth and end-of-life replacement)
  double resale_usd = 0;         // residual value of the cohorts retired at the start of the year
  double opex_usd = 0;
  double api_usd = 0;            // the all-API option's bill (reference API)
  double hosted_api_usd = 0;     // the same at the model's hosted API
  long long hybrid_replicas = 0;  // installed in the hybrid option
  double hybrid_capex_usd = 0, hybrid_resale_usd = 0, hybrid_opex_usd = 0, hybrid_api_usd = 0;
};

struct HorizonView {
  HorizonInputs in;
  std::vector<HorizonYear> years;
  // Present values at the discount rate: capex at the start of its year, running costs mid-year, resale of retired
  // cohorts (residual_fraction of capex) at the start of the year they retire, and the value of the hardware still
  // in life at the end (linear depreciation to residual_fraction over its life) received at the horizon's end.
  double npv_owned_usd = 0, npv_api_usd = 0, npv_hosted_api_usd = 0, npv_hybrid_usd = 0;
  double residual_owned_usd = 0, residual_hybrid_usd = 0;  // undiscounted resale value at the end
};

HorizonView horizon_view(const HorizonInputs& in);

}  // namespace tokenmath::plan
