// Demand: an organisation's token budget in API dollars, turned into tokens by kind and into rates over the
// year. Pure functions of the scenario and the reference model's prices.
#pragma once

#include <vector>

#include "tokenmath/plan/scenario.hpp"

namespace tokenmath::plan {

// Tokens by kind (per step, per year or per second, as the name of the variable says).
struct TokenMix {
  double fresh_input = 0;   // uncached input: prefilled by the server
  double cached_input = 0;  // prefix-cache hits: no prefill, but held in KV and read by attention
  double output = 0;        // decoded tokens
  double input() const { return fresh_input + cached_input; }
  double total() const { return fresh_input + cached_input + output; }
  TokenMix scaled(double k) const { return {fresh_input * k, cached_input * k, output * k}; }
};

// USD per 1M tokens of each kind, as the workload is billed (fresh input already resolved to the input or the
// cache-write price).
struct TokenPrices {
  double fresh_input_usd_per_mtok = 0;
  double cached_input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
};

// Dollars = sum over kinds of tokens x price / 1e6.
double cost_usd(const TokenMix& tokens, const TokenPrices& prices);

// One step of the workload: fresh = (1 - cache_hit_rate) x input, cached = cache_hit_rate x input, output.
TokenMix tokens_per_step(const Scenario& s);

// A level of load held for some hours of the year (the load-duration curve is a list of these).
struct LoadBlock {
  double steps_per_s = 0;
  double hours_per_year = 0;
};

struct Demand {
  double budget_usd_per_year = 0;  // engineers x budget per engineer
  TokenPrices reference_prices;    // reference API model, x api.price_multiplier
  TokenMix tokens_per_step;
  double usd_per_step = 0;                  // cost_usd(tokens_per_step, reference_prices)
  double steps_per_year = 0;                // budget / usd_per_step
  TokenMix tokens_per_year;                 // tokens_per_step x steps_per_year
  std::vector<double> steps_per_s_by_hour;  // 24 values, a working day: steps/day x weight_h / sum(w) / 3600
  double average_steps_per_s = 0;           // steps_per_year / (8760 h x 3600)
  double peak_hour_steps_per_s = 0;         // busiest hour of a working day
  double peak_steps_per_s = 0;              // peak hour x burst_factor: what capacity is sized for
  std::vector<LoadBlock> load_duration;     // 24 working-day hours x working days, plus the idle days at 0
  TokenMix rate(double steps_per_s) const { return tokens_per_step.scaled(steps_per_s); }
};

// Budget -> steps -> tokens by kind -> hourly rates. The API cost of the resulting demand equals the budget.
Demand compute_demand(const Scenario& s, const TokenPrices& reference_prices);
// The same work (steps per year) with this scenario's workload shape and hourly profile; the budget becomes
// whatever those steps cost at `reference_prices`. Used to vary the shape (e.g. cache hit rate) at equal work.
Demand demand_for_steps(const Scenario& s, const TokenPrices& reference_prices, double steps_per_year);

}  // namespace tokenmath::plan
