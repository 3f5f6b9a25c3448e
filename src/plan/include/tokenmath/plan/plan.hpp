// The organisation planner: demand -> for each candidate (model x system) the cheapest deployment meeting the
// SLOs -> fleet -> money (owned, rented, API) -> break-even, payback, hybrid split, sensitivity.
#pragma once

#include <string>
#include <vector>

#include "tokenmath/cost/api_price.hpp"
#include "tokenmath/cost/owned.hpp"
#include "tokenmath/cost/tokens.hpp"
#include "tokenmath/perf/accuracy.hpp"
#include "tokenmath/plan/capacity.hpp"
#include "tokenmath/plan/demand.hpp"
#include "tokenmath/plan/finance.hpp"
#include "tokenmath/plan/scenario.hpp"
#include "tokenmath/plan/verify.hpp"

namespace tokenmath::plan {

// The owned fleet's yearly cost by line (cost/owned.hpp has each formula); the lines sum to the annualised TCO.
struct OwnedLines {
  double capital_usd = 0;   // annuity of system, network and installation capex, net of residual
  double spares_usd = 0;    // annuity of the spare systems
  double power_usd = 0;     // busy draw for the busy share, idle draw for the rest, x PUE x $/kWh
  double facility_usd = 0;  // colocation per rated kW
  double staff_usd = 0;     // operations staff per MW of rated IT load
  double software_usd = 0;  // licences and support per GPU
  double total_usd() const { return capital_usd + spares_usd + power_usd + facility_usd + staff_usd + software_usd; }
};
// Per-GPU-hour lines x gpus x 8760.
OwnedLines owned_lines(const cost::OwnedCost& per_gpu, double gpus);

struct Candidate {
  std::string model_id, model_name;
  std::string system_id, system_name, gpu_id;
  bool preliminary = false;  // system or GPU figures announced, not shipping
  bool feasible = false;
  std::string reason;  // infeasible: why (memory, SLO) for the best deployment tried
  int deployments_tried = 0;
  ReplicaCapacity replica;  // the chosen deployment
  StepShape shape;          // the step it was sized for (step_shape: API token mix, retention, the host tier)

  // Fleet sized for the burst peak: replicas = ceil(peak steps/s / (replica steps/s x peak_load_target)).
  long long replicas = 0;
  long long gpus = 0;
  long long nodes = 0, racks = 0, scaleup_domains = 0;  // ceil(gpus / per-node, per-rack, per-domain)
  double it_mw = 0;                                     // gpus x wall W per GPU / 1e6
  double facility_mw = 0;                               // it_mw x PUE(cooling)
  double utilisation = 0;  // average steps/s / (replicas x replica steps/s): busy share of paid hours

  // Money (USD). Owned: cost::owned_cost per GPU x gpus.
  cost::OwnedCost per_gpu;
  double capex_usd = 0;
  double annual_capital_usd = 0;             // capital + spares lines
  double annual_opex_usd = 0;                // power + facility + staff + software lines
  double annual_owned_usd = 0;               // capital + opex = annualised TCO
  OwnedLines annual_lines;                   // the same by line (sum = annual_owned_usd)
  double annual_owned_idle_usd = 0;          // annual_owned_usd with the fleet idle all year (power at idle draw)
  double owned_usd_per_step = 0;             // power above idle of one agent step served on the fleet
  cost::TokenPrices owned_prices;            // $/M by kind at the fleet's utilisation (cost::owned_token_prices)
  double owned_blended_usd_per_mtok = 0;     // annual_owned_usd / tokens per year x 1e6
  std::string hosted_api_model;              // price-list key of the same model on a hosted API ("" = none)
  std::string hosted_api_unusable;           // why that API cannot serve the step (its context limit); "" = it can
  double annual_hosted_api_usd = 0;          // the demand's tokens at that price x api.price_multiplier (0 = none)
  TokenPrices hosted_prices;                 // that API's $/M by kind as this workload is billed
  double hosted_break_even_utilisation = 0;  // as break_even_utilisation, against the same model's API
  double rented_usd_per_gpu_hour = 0;        // 0 = no published price for the tier
  double rented_gpu_hours_per_year = 0;      // see rented.billing
  double annual_rented_usd = 0;              // rented GPU-hours x tier price (0 when no price)
  cost::TokenPrices rented_prices;           // owned_prices x annual_rented / annual_owned (same time attribution)
  double break_even_utilisation = 0;         // finance.hpp; the API is cheaper below it
  double break_even_engineers = 0;           // smallest organisation (same budget each) for which owning wins
  double payback_years = 0;                  // capex / (API per year - owned opex per year)
  double discounted_payback_years = 0;       // the same with the saving discounted at cost_of_capital
  double hosted_payback_years = 0;           // against the model's hosted API (+inf: never, or no hosted API)
  double hosted_discounted_payback_years = 0;
  std::string hybrid_overflow_api;           // price-list key the hybrid's overflow is bought from
  HybridResult hybrid;                       // all-API end = that API's cost of the whole demand
  ApiTerms hybrid_terms;                     // the overflow API's rate limit and commitment (scenario hybrid.api_*)
  HorizonView horizon;                       // multi-year NPV of owning, the APIs and the hybrid (scenario horizon)
};

struct TornadoBar {
  std::string input;  // scenario key
  std::string label;  // what it is, e.g. "GPU price"
  std::string unit;
  double base_value = 0, low_value = 0, high_value = 0;
  // Outcome with the input at its low / high value, the chosen model and system re-planned:
  double low_cost_usd = 0, high_cost_usd = 0;      // the plan's annual cost: cheapest point of the hybrid curve
  double low_saving_usd = 0, high_saving_usd = 0;  // all-API cost - all-owned cost per year
  double swing_usd() const;                        // |high_cost - low_cost|
};

// Monte Carlo of the chosen candidate (plan/uncertainty.hpp says what is drawn).
struct Percentiles {
  double p10 = 0, p50 = 0, p90 = 0;
};

struct Uncertainty {
  int draws = 0;  // 0 = not run
  std::uint64_t seed = 0;
  double perf_error_sigma = 0;
  double perf_error_bias = 0;     // median ln(modelled/real): the draws centre real throughput at exp(-bias)
  Percentiles annual_owned_usd;   // owned fleet, annualised TCO
  Percentiles gpus;               // fleet size for the drawn peak and throughput
  Percentiles owned_fresh_input_usd_per_mtok, owned_cached_input_usd_per_mtok, owned_output_usd_per_mtok;
  Percentiles owned_blended_usd_per_mtok;
  Percentiles annual_reference_api_usd;
  double p_own_beats_reference_api = 0;  // share of draws where owning costs less than the reference API
  double p_own_beats_hosted_api = -1;    // the same against the model's hosted API (-1 = none usable)
  std::vector<double> annual_owned_samples;  // every draw, sorted (the distribution chart)
};

struct PlanResult {
  Scenario scenario;
  cost::ApiPrice reference_api;
  Demand demand;
  double api_annual_usd = 0;  // the demand bought from the API: tokens x list prices x price_multiplier
  double api_blended_usd_per_mtok = 0;
  std::string reference_api_unusable;  // why the reference API cannot serve the step (context limit); "" = it can
  std::vector<Candidate> candidates;  // feasible first, cheapest annual owned cost first
  int chosen = -1;                    // index of the cheapest feasible candidate, -1 when none
  double base_saving_usd = 0;         // chosen candidate's saving vs the API
  double base_cost_usd = 0;           // the plan's annual cost: the chosen candidate's best hybrid point
  std::vector<TornadoBar> tornado;    // largest swing of the plan's cost first
  SimCheck sim_check;                 // simulator run of the chosen replica at slo.peak_load_target
  Uncertainty uncertainty;            // Monte Carlo of the chosen candidate (uncertainty.draws; 0 = not run)
  // What validation measured for the chosen model, its GPU and engine (the context's validation/accuracy.json):
  // where the fleet's throughput sits on the checked frontier. No lines when nothing is chosen or none shipped.
  perf::AccuracyNote accuracy;
  // The data the plan was priced with, for the report's assumption table: the candidate systems (price and
  // power, with sources) and the rental prices published for their GPUs.
  std::vector<catalog::SystemSpec> systems;
  std::vector<cost::RentalPrice> rentals;
  const Candidate* best() const { return chosen >= 0 ? &candidates[static_cast<std::size_t>(chosen)] : nullptr; }
};

// An API's $/M by kind as the scenario's workload is billed (fresh input at the input or cache-write price).
TokenPrices workload_prices(const Scenario& s, const cost::ApiPrice& p);

// Runs the whole plan over the context's data. Throws InputError for unknown models, systems, price-list keys
// or precisions.
PlanResult run_plan(const Context& ctx, const Scenario& s);

// The step a replica of `sys` is asked to serve: the API's token mix and the scenario's prefix-retention curve,
// with the system's host memory x owned.host_kv_fraction as the KV tier for idle sessions (capacity.cpp).
StepShape step_shape(const Scenario& s, const TokenMix& tokens, const catalog::SystemSpec& sys);

}  // namespace tokenmath::plan
