// Facade: API price lists and system costs (see tokenmath/api/cost.hpp).
#include "tokenmath/api/cost.hpp"

#include <fmt/format.h>

#include "tokenmath/common/error.hpp"

namespace tokenmath::api {

std::vector<cost::ApiPrice> prices(const Context& ctx, const std::string& filter, const std::string& litellm_file) {
  const std::vector<cost::ApiPrice> loaded =
      litellm_file.empty() ? std::vector<cost::ApiPrice>{} : cost::load_litellm_prices(litellm_file);
  const auto& all = litellm_file.empty() ? ctx.api_prices : loaded;
  const std::string needle = to_lower(filter);
  std::vector<cost::ApiPrice> out;
  for (const auto& p : all)
    if (needle.empty() || to_lower(p.model).find(needle) != std::string::npos ||
        to_lower(p.provider).find(needle) != std::string::npos)
      out.push_back(p);
  if (out.empty())
    throw InputError(litellm_file.empty() ? ctx.api_prices_path.string() : litellm_file, "`filter`", filter,
                     "no text-model price matches");
  return out;
}

std::vector<CostFlag> cost_flags() {
  std::vector<CostFlag> out;
  for (const auto& k : cost::assumption_keys()) out.push_back({k.key, k.unit, k.help + " (default: data/costs.yaml)"});
  out.push_back({"pue", "ratio", "PUE for the system's cooling kind (sets pue_air or pue_liquid)"});
  out.push_back({"price_usd_per_gpu", "$/GPU", "system purchase price per GPU (overrides systems.yaml)"});
  out.push_back({"wall_w_per_gpu", "W", "wall power per GPU incl. CPU, NICs, fans (overrides systems.yaml)"});
  return out;
}

cost::SystemCost system_cost(const Context& ctx, const std::string& system_name,
                             const std::vector<CostOverride>& overrides) {
  cost::SystemCost sc;
  sc.system = ctx.catalog.system(system_name);
  const catalog::SystemSpec& sys = sc.system;
  cost::CostAssumptions a = ctx.costs;
  cost::OwnedInputs in = cost::owned_inputs(sys);
  sc.price_note = sys.price_source;
  sc.power_note = sys.source;
  for (const auto& o : overrides) {
    if (o.key == "pue") {
      cost::set_assumption(a, sys.cooling == "liquid" ? "pue_liquid" : "pue_air", o.value, o.origin, o.field);
    } else if (o.key == "price_usd_per_gpu" || o.key == "wall_w_per_gpu") {
      if (!(o.value > 0)) throw InputError(o.origin, o.field, fmt::format("{}", o.value), "must be > 0");
      (o.key == "price_usd_per_gpu" ? in.price_usd_per_gpu : in.wall_w_per_gpu) = o.value;
      (o.key == "price_usd_per_gpu" ? sc.price_note : sc.power_note) = "override: " + o.origin + " " + o.field;
    } else {
      cost::set_assumption(a, o.key, o.value, o.origin, o.field);
    }
  }
  sc.owned = cost::owned_cost(in, a);
  sc.assumptions = std::move(a);
  sc.rented = cost::rental_prices_for(ctx.rentals, sys.gpu_id);
  return sc;
}

std::vector<cost::SystemCost> system_costs(const Context& ctx, const std::vector<CostOverride>& overrides) {
  std::vector<cost::SystemCost> out;
  for (const auto& sys : ctx.catalog.systems()) {
    cost::CostAssumptions a = ctx.costs;
    for (const auto& o : overrides) {
      if (o.key == "pue")
        cost::set_assumption(a, sys.cooling == "liquid" ? "pue_liquid" : "pue_air", o.value, o.origin, o.field);
      else if (o.key == "price_usd_per_gpu" || o.key == "wall_w_per_gpu")
        throw InputError(o.origin, o.field, fmt::format("{}", o.value), "needs `system` (it is a per-system figure)");
      else
        cost::set_assumption(a, o.key, o.value, o.origin, o.field);
    }
    cost::SystemCost sc;
    sc.system = sys;
    sc.owned = cost::owned_cost(sys, a);
    sc.assumptions = std::move(a);
    sc.rented = cost::rental_prices_for(ctx.rentals, sys.gpu_id);
    sc.price_note = sys.price_source;
    sc.power_note = sys.source;
    out.push_back(std::move(sc));
  }
  return out;
}

}  // namespace tokenmath::api
