// Renderers of cost records: API price lists and owned $/GPU-hour next to rented tiers.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/cost/cost.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::report {
// API prices per 1M tokens, one row per entry given.
std::string render_prices(const std::vector<cost::ApiPrice>& prices, Format f);
// One system: capex, owned $/GPU-hour by component, rented tiers, assumptions with sources (json nests them).
std::string render_system_cost(const cost::SystemCost& c, Format f);
// One row per system: owned $/GPU-hour and its components next to the rented tiers.
std::string render_system_costs(const std::vector<cost::SystemCost>& systems, Format f);
}  // namespace tokenmath::report
