// Owned GPUs: fully loaded cost per GPU-hour from the system price and the cost assumptions. u is the busy share
// of owned hours (the plan's fleet utilisation, or cost.utilization for `tokenmath cost`).
//
//   system/GPU      = price/GPU
//   spares/GPU      = spares_fraction x price/GPU                           spare systems held, bought with the fleet
//   capex/GPU       = price/GPU x (1 + network_share + installation_share + spares_fraction)
//   CRF(r, N)       = r / (1 - (1 + r)^-N)            (r = 0: 1/N)
//   annuity(x)      = (x - residual x x x (1 + r)^-N) x CRF(r, N)           residual received at year N
//   capital $/h     = annuity(capex - spares) / 8760
//   spares $/h      = annuity(spares) / 8760                                capital + spares = annuity(capex) / 8760
//   busy kW/GPU     = wall kW/GPU x busy_power_fraction                     wall = the system's rated wall power
//   idle kW/GPU     = wall kW/GPU x idle_power_fraction
//   power $/h       = (u x busy kW + (1 - u) x idle kW) x PUE(cooling) x $/kWh
//   facility $/h    = colo $/kW-month x wall kW/GPU / 730                   rated kW: the space is sized for peak
//   staff $/h       = staff_fte_per_mw x wall kW/GPU / 1000 x staff_usd_per_fte_year / 8760
//   software $/h    = software_usd_per_gpu_year / 8760
//   total $/h       = capital + spares + power + facility + staff + software
//
// The total is per GPU-hour owned, busy or idle: every line but power is paid whatever the load, and power is
// the idle draw plus the busy draw's excess for the busy share u. Utilisation also enters where hours are turned
// into tokens (tokens.hpp). Spares draw no power and need no staff or licence; staff and licences count the
// deployed GPUs only.
#pragma once

#include <string>

#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/cost/assumptions.hpp"

namespace tokenmath::cost {

inline constexpr double kHoursPerYear = 8760.0;
inline constexpr double kHoursPerMonth = kHoursPerYear / 12.0;  // 730

// CRF(r, N) = r / (1 - (1 + r)^-N); r = 0 gives 1/N. Requires years > 0, rate >= 0.
double capital_recovery_factor(double rate_per_year, double years);

// Level annual payment that repays `capex_usd` over `years` at `rate_per_year`, net of a residual value
// (fraction of capex) received at the end: (capex - residual x capex x (1 + r)^-n) x CRF(r, n).
double annualised_capex_usd(double capex_usd, double rate_per_year, double years, double residual_fraction);

struct OwnedInputs {
  double price_usd_per_gpu = 0;   // system (server or rack) price / GPUs
  double wall_w_per_gpu = 0;      // IT power at the wall per GPU
  std::string cooling = "air";    // "air" or "liquid": selects the PUE
};
OwnedInputs owned_inputs(const catalog::SystemSpec& s);

struct OwnedCost {
  // capex per GPU and its parts, USD
  double system_usd_per_gpu = 0;
  double network_usd_per_gpu = 0;
  double installation_usd_per_gpu = 0;
  double capex_usd_per_gpu = 0;
  double spares_usd_per_gpu = 0;
  double residual_usd_per_gpu = 0;   // undiscounted resale value at end of life
  double crf = 0;
  double pue = 0;
  double utilization = 0;            // u the power line was priced at
  double wall_kw_per_gpu = 0;        // rated
  double facility_kw_per_gpu = 0;    // rated wall kW x PUE (what the facility is built for)
  double busy_kw_per_gpu = 0, idle_kw_per_gpu = 0;  // IT draw serving / idle
  double average_kw_per_gpu = 0;     // u x busy + (1 - u) x idle (IT)
  // Power $/GPU-hour if every hour were idle / busy (power = u x busy + (1 - u) x idle of these).
  double idle_power_usd_per_gpu_hour = 0, busy_power_usd_per_gpu_hour = 0;
  // USD per GPU-hour owned (busy or idle), one per line; they sum to the total
  double capital_usd_per_gpu_hour = 0;   // system, network, installation
  double spares_usd_per_gpu_hour = 0;
  double power_usd_per_gpu_hour = 0;
  double facility_usd_per_gpu_hour = 0;
  double staff_usd_per_gpu_hour = 0;
  double software_usd_per_gpu_hour = 0;
  double total_usd_per_gpu_hour = 0;

  double annual_usd_per_gpu() const { return total_usd_per_gpu_hour * kHoursPerYear; }
  // Capital charge per year, spares included (the annuity of the whole capex).
  double capital_usd_per_gpu_year() const { return (capital_usd_per_gpu_hour + spares_usd_per_gpu_hour) * kHoursPerYear; }
  // Yearly running costs without capital (power, facility, staff, software): what owning costs after the capex is paid.
  double opex_usd_per_gpu_year() const {
    return (power_usd_per_gpu_hour + facility_usd_per_gpu_hour + staff_usd_per_gpu_hour + software_usd_per_gpu_hour) *
           kHoursPerYear;
  }
  // The total per year with the power at the idle draw (u = 0): what an owned GPU costs before it serves anything.
  double idle_usd_per_gpu_year() const {
    return (total_usd_per_gpu_hour - power_usd_per_gpu_hour + idle_power_usd_per_gpu_hour) * kHoursPerYear;
  }
  // Power above the idle draw for one busy GPU-hour: what serving adds to an owned GPU that is on anyway.
  double busy_extra_power_usd_per_gpu_hour() const { return busy_power_usd_per_gpu_hour - idle_power_usd_per_gpu_hour; }
};

// Throws InputError when inputs are out of range (non-positive price or power, unknown cooling, u outside [0, 1],
// idle draw above the busy draw). The two-argument forms price power at cost.utilization.
OwnedCost owned_cost(const OwnedInputs& in, const CostAssumptions& a, double utilization);
OwnedCost owned_cost(const OwnedInputs& in, const CostAssumptions& a);
OwnedCost owned_cost(const catalog::SystemSpec& s, const CostAssumptions& a);

}  // namespace tokenmath::cost
