// Facade: API price listings and the $/GPU-hour breakdown of a system, rendered in a chosen format.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/context.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::api {

// API prices per 1M tokens. `filter`: case-insensitive substring of model or provider ("" = all).
// `litellm_file`: a LiteLLM model_prices_and_context_window.json ("" = the shipped dated subset).
std::string list_prices(const Context& ctx, const std::string& filter, const std::string& litellm_file, report::Format f);

// One overridden cost assumption: key as in data/costs.yaml, value, and the flag it came from (for errors).
struct CostOverride {
  std::string key;
  double value = 0;
  std::string field;
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
std::string show_cost(const Context& ctx, const std::string& system, const std::vector<CostOverride>& overrides, report::Format f);

// One row per system: owned $/GPU-hour and its components, next to the rented tiers of its GPU, under the
// same assumptions (with `overrides` applied; the per-system keys price_usd_per_gpu / wall_w_per_gpu are refused).
std::string list_costs(const Context& ctx, const std::vector<CostOverride>& overrides, report::Format f);

}  // namespace tokenmath::api
