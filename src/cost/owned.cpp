#include "tokenmath/cost/owned.hpp"

#include <fmt/format.h>

#include <cmath>

#include "tokenmath/common/error.hpp"

namespace tokenmath::cost {

double capital_recovery_factor(double rate_per_year, double years) {
  if (!(years > 0) || !std::isfinite(years))
    throw InputError("<cost>", "lifetime_years", fmt::format("{}", years), "must be > 0");
  if (!(rate_per_year >= 0) || !std::isfinite(rate_per_year))
    throw InputError("<cost>", "cost_of_capital", fmt::format("{}", rate_per_year), "must be >= 0");
  if (rate_per_year == 0) return 1.0 / years;
  return rate_per_year / (1.0 - std::pow(1.0 + rate_per_year, -years));
}

double annualised_capex_usd(double capex_usd, double rate_per_year, double years, double residual_fraction) {
  const double crf = capital_recovery_factor(rate_per_year, years);
  const double discounted_residual = residual_fraction * capex_usd * std::pow(1.0 + rate_per_year, -years);
  return (capex_usd - discounted_residual) * crf;
}

OwnedInputs owned_inputs(const catalog::SystemSpec& s) {
  return OwnedInputs{s.price_usd_per_gpu, s.wall_w_per_gpu, s.cooling};
}

OwnedCost owned_cost(const OwnedInputs& in, const CostAssumptions& a, double utilization) {
  if (!(in.price_usd_per_gpu > 0) || !std::isfinite(in.price_usd_per_gpu))
    throw InputError("<cost>", "price_usd_per_gpu", fmt::format("{}", in.price_usd_per_gpu), "must be > 0");
  if (!(in.wall_w_per_gpu > 0) || !std::isfinite(in.wall_w_per_gpu))
    throw InputError("<cost>", "wall_w_per_gpu", fmt::format("{}", in.wall_w_per_gpu), "must be > 0");
  if (!(utilization >= 0 && utilization <= 1))
    throw InputError("<cost>", "utilization", fmt::format("{}", utilization), "must be in [0, 1]");
  if (a.idle_power_fraction > a.busy_power_fraction)
    throw InputError("<cost>", "idle_power_fraction", fmt::format("{}", a.idle_power_fraction),
                     fmt::format("must be <= busy_power_fraction ({})", a.busy_power_fraction));
  OwnedCost c;
  c.system_usd_per_gpu = in.price_usd_per_gpu;
  c.network_usd_per_gpu = in.price_usd_per_gpu * a.network_share;
  c.installation_usd_per_gpu = in.price_usd_per_gpu * a.installation_share;
  c.spares_usd_per_gpu = in.price_usd_per_gpu * a.spares_fraction;
  c.capex_usd_per_gpu = c.system_usd_per_gpu + c.network_usd_per_gpu + c.installation_usd_per_gpu + c.spares_usd_per_gpu;
  c.residual_usd_per_gpu = c.capex_usd_per_gpu * a.residual_fraction;
  c.crf = capital_recovery_factor(a.cost_of_capital, a.lifetime_years);
  // Annuity on capex net of the residual value received at year N, discounted to today; spares as their own line.
  c.capital_usd_per_gpu_hour =
      annualised_capex_usd(c.capex_usd_per_gpu - c.spares_usd_per_gpu, a.cost_of_capital, a.lifetime_years,
                           a.residual_fraction) /
      kHoursPerYear;
  c.spares_usd_per_gpu_hour =
      annualised_capex_usd(c.spares_usd_per_gpu, a.cost_of_capital, a.lifetime_years, a.residual_fraction) /
      kHoursPerYear;
  c.pue = pue_for(a, in.cooling);
  c.utilization = utilization;
  c.wall_kw_per_gpu = in.wall_w_per_gpu / 1000.0;
  c.facility_kw_per_gpu = c.wall_kw_per_gpu * c.pue;
  c.busy_kw_per_gpu = c.wall_kw_per_gpu * a.busy_power_fraction;
  c.idle_kw_per_gpu = c.wall_kw_per_gpu * a.idle_power_fraction;
  c.average_kw_per_gpu = utilization * c.busy_kw_per_gpu + (1.0 - utilization) * c.idle_kw_per_gpu;
  c.busy_power_usd_per_gpu_hour = c.busy_kw_per_gpu * c.pue * a.power_usd_per_kwh;
  c.idle_power_usd_per_gpu_hour = c.idle_kw_per_gpu * c.pue * a.power_usd_per_kwh;
  c.power_usd_per_gpu_hour = c.average_kw_per_gpu * c.pue * a.power_usd_per_kwh;
  c.facility_usd_per_gpu_hour = a.colo_usd_per_kw_month * c.wall_kw_per_gpu / kHoursPerMonth;
  c.staff_usd_per_gpu_hour = a.staff_fte_per_mw * c.wall_kw_per_gpu / 1000.0 * a.staff_usd_per_fte_year / kHoursPerYear;
  c.software_usd_per_gpu_hour = a.software_usd_per_gpu_year / kHoursPerYear;
  c.total_usd_per_gpu_hour = c.capital_usd_per_gpu_hour + c.spares_usd_per_gpu_hour + c.power_usd_per_gpu_hour +
                             c.facility_usd_per_gpu_hour + c.staff_usd_per_gpu_hour + c.software_usd_per_gpu_hour;
  return c;
}

OwnedCost owned_cost(const OwnedInputs& in, const CostAssumptions& a) { return owned_cost(in, a, a.utilization); }

OwnedCost owned_cost(const catalog::SystemSpec& s, const CostAssumptions& a) { return owned_cost(owned_inputs(s), a); }

}  // namespace tokenmath::cost
