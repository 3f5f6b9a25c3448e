// The cost module: owned and rented $/GPU-hour, API prices, and $/M tokens by token kind.
#pragma once
#include "tokenmath/cost/api_price.hpp"
#include "tokenmath/cost/assumptions.hpp"
#include "tokenmath/cost/owned.hpp"
#include "tokenmath/cost/rental.hpp"
#include "tokenmath/cost/tokens.hpp"

namespace tokenmath::cost {
// One system's owned cost per GPU-hour with everything it was computed from (`tokenmath cost`): the system, the
// assumptions (overrides applied), the published rental tiers of its GPU, and where price and power came from.
struct SystemCost {
  catalog::SystemSpec system;
  CostAssumptions assumptions;
  OwnedCost owned;
  std::vector<RentalPrice> rented;
  std::string price_note, power_note;  // systems.yaml's sources, or "override: <command line> --flag"
};
}  // namespace tokenmath::cost
