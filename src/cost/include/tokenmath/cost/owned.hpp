// Owned GPUs: fully loaded cost per GPU-hour from the system price and the cost assumptions.
//
//   capex/GPU       = price/GPU x (1 + network_share + installation_share)
//   CRF(r, N)       = r / (1 - (1 + r)^-N)            (r = 0: 1/N)
//   capital $/yr    = (capex - residual x capex x (1 + r)^-N) x CRF(r, N)      residual received at year N
//   capital $/h     = capital $/yr / 8760
//   power $/h       = wall kW/GPU x PUE(cooling) x $/kWh
//   facility $/h    = colo $/kW-month x wall kW/GPU / 730                       (730 h per month = 8760 / 12)
//   ops $/h         = ops_fraction_per_year x capex / 8760
//   total $/h       = capital + power + facility + ops
//
// The total is per GPU-hour owned, busy or idle: the owner pays every hour. Utilisation enters where hours are
// turned into tokens (tokens.hpp), never here. Power is charged as if the GPU drew its wall power all the time
// (a conservative simplification: idle GPUs draw less).
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
  double residual_usd_per_gpu = 0;   // undiscounted resale value at end of life
  double crf = 0;
  double pue = 0;
  double wall_kw_per_gpu = 0;
  double facility_kw_per_gpu = 0;    // wall kW x PUE
  // USD per GPU-hour owned (busy or idle)
  double capital_usd_per_gpu_hour = 0;
  double power_usd_per_gpu_hour = 0;
  double facility_usd_per_gpu_hour = 0;
  double ops_usd_per_gpu_hour = 0;
  double total_usd_per_gpu_hour = 0;

  double annual_usd_per_gpu() const { return total_usd_per_gpu_hour * kHoursPerYear; }
  // Yearly running costs without capital (power, facility, ops): what owning costs after the capex is paid.
  double opex_usd_per_gpu_year() const {
    return (power_usd_per_gpu_hour + facility_usd_per_gpu_hour + ops_usd_per_gpu_hour) * kHoursPerYear;
  }
};

// Throws InputError when inputs are out of range (non-positive price or power, unknown cooling).
OwnedCost owned_cost(const OwnedInputs& in, const CostAssumptions& a);
OwnedCost owned_cost(const catalog::SystemSpec& s, const CostAssumptions& a);

}  // namespace tokenmath::cost
