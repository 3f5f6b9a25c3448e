// Facade: API price lists and the $/GPU-hour of systems. Render with report/cost.hpp.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/common/error.hpp"
#include "tokenmath/context.hpp"
#include "tokenmath/cost/cost.hpp"

namespace tokenmath::api {

// API prices per 1M tokens. `filter`: case-insensitive substring of model or provider ("" = all).
// `litellm_file`: a LiteLLM model_prices_and_context_window.json ("" = the context's price list).
// Throws InputError when the filter matches nothing.
std::vector<cost::ApiPrice> prices(const Context& ctx, const std::string& filter, const std::string& litellm_file);

// One overridden cost assumption: key as in data/costs.yaml, value, and where it came from (for errors and the
// source column): the frontend's origin ("<command line>") and field (its flag, or JSON field).
struct CostOverride {
  std::string key;
  double value = 0;
  std::string field;
  std::string origin = kRequest;
};

// The flags `tokenmath cost` accepts, derived from the cost assumption keys plus three per-system ones:
// key (snake_case as in data/costs.yaml), unit, help. "pue" sets the PUE of the system's cooling kind;
// "price_usd_per_gpu" and "wall_w_per_gpu" override the system's figures.
struct CostFlag {
  std::string key;
  std::string unit;
  std::string help;
};
std::vector<CostFlag> cost_flags();

// $/GPU-hour of `system` owned (capital, power, facility, ops) next to the rented tiers of its GPU, with the
// assumptions used and their sources.
cost::SystemCost system_cost(const Context& ctx, const std::string& system, const std::vector<CostOverride>& overrides);

// Every system under the same assumptions (with `overrides` applied; the per-system keys price_usd_per_gpu /
// wall_w_per_gpu are refused).
std::vector<cost::SystemCost> system_costs(const Context& ctx, const std::vector<CostOverride>& overrides);

}  // namespace tokenmath::api
