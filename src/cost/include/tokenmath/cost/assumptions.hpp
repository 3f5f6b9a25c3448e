// Cost assumptions: every number the cost model uses that is not a property of a system (electricity price,
// PUE, colocation, lifetime, cost of capital, ...). Defaults live in data/costs.yaml, each with a source and a
// date; a scenario or the command line overrides any of them by key.
#pragma once

#include "tokenmath/common/schema.hpp"
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tokenmath::cost {

// Where a value came from: the data file's `source` and `date`, or the override's origin ("--pue",
// "scenario.yaml: cost.pue_air").
struct Provenance {
  std::string source;
  std::string date;
};

struct CostAssumptions {
  double power_usd_per_kwh = 0;           // electricity, $/kWh
  double pue_air = 0;                     // facility kW / IT kW for air-cooled systems (>= 1)
  double pue_liquid = 0;                  // same, direct-liquid-cooled systems (>= 1)
  double colo_usd_per_kw_month = 0;       // facility / colocation charge per kW of IT load per month (energy billed separately)
  double lifetime_years = 0;              // economic life of the hardware (> 0)
  double cost_of_capital = 0;             // annual rate r used in the annuity (0.10 = 10%/yr; >= 0)
  double residual_fraction = 0;           // resale value at end of life, fraction of capex (0..1)
  double busy_power_fraction = 1;         // IT draw while serving, share of the system's rated wall power (0..1]
  double idle_power_fraction = 1;         // IT draw while idle (powered, model loaded), share of rated wall power (0..1)
  double staff_fte_per_mw = 0;            // owner's operations staff, full-time people per MW of rated IT load
  double staff_usd_per_fte_year = 0;      // loaded cost of one of them per year
  double spares_fraction = 0;             // spare systems held (bought with the fleet), share of system price
  double software_usd_per_gpu_year = 0;   // software licences and support subscriptions per deployed GPU per year
  double network_share = 0;               // scale-out fabric (switches, optics, cables): fraction of system price
  double installation_share = 0;          // integration and installation: fraction of system price
  double utilization = 0;                 // fraction of paid GPU-hours doing useful work (0..1]

  // Provenance per key (keys as in assumption_keys()).
  std::map<std::string, Provenance> provenance;
};

// Keys accepted by set_assumption / data/costs.yaml, in display order: the schema declaration of each (unit,
// accepted range, one-line help).
using AssumptionKey = schema::Field;
const std::vector<AssumptionKey>& assumption_keys();
// The same as a schema (`tokenmath schema cost`), defaults the values of `defaults` (data/costs.yaml).
schema::Schema cost_schema(const CostAssumptions& defaults);

// Reads data/costs.yaml (`assumptions:` mapping key -> {value, source, date}). Every key of
// assumption_keys() must be present with a source; errors name file, key path and value.
CostAssumptions load_cost_assumptions(const std::filesystem::path& path);

// Sets one assumption by key after range-checking it; `origin` and `field` name where the value came from
// for the error message and the provenance (e.g. origin "<command line>", field "--pue-air").
// Throws InputError on an unknown key (with did-you-mean) or an out-of-range value.
void set_assumption(CostAssumptions& a, std::string_view key, double value, std::string_view origin,
                    std::string_view field);
double get_assumption(const CostAssumptions& a, std::string_view key);

// PUE for a cooling kind ("air" or "liquid").
double pue_for(const CostAssumptions& a, std::string_view cooling);

}  // namespace tokenmath::cost
