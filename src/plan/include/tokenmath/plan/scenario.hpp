// The planner's scenario: every option declared once (key, unit, range, help, the member it sets) in
// scenario_options(); loading, validation, the shipped default (data/plan/default.yaml) and `--write-default`
// are all derived from that one table.
#pragma once

#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "tokenmath/common/schema.hpp"
#include "tokenmath/context.hpp"
#include "tokenmath/cost/assumptions.hpp"

namespace tokenmath::plan {

// All scenario inputs. Field names carry units. No field has a built-in default: the shipped defaults, each
// with its source, live in data/plan/default.yaml (see default_scenario()).
struct Scenario {
  std::string name;
  std::string quality_assumption;  // what the reader assumes when comparing $/token across models

  // demand: engineers x budget priced at a reference API model, spread over working days and hours
  double engineers = 0;
  double budget_usd_per_engineer_year = 0;
  std::string reference_api_model;  // key in the price list
  std::string price_list;           // LiteLLM model_prices json; relative paths resolve against data_dir()
  double working_days_per_year = 0;
  double off_day_share = 0;  // tokens of each non-working day / a working day's, flat over its 24 hours
  std::vector<double> hourly_profile;  // 24 relative weights of a working day's tokens, hour 0..23
  double burst_factor = 0;             // short-window peak / peak-hour average

  // workload shape, per agent step (one LLM call)
  std::string workload_name;
  double input_tokens_per_step = 0;  // whole context sent with the call (cached prefix + new tokens)
  double cache_hit_rate = 0;         // token-weighted fraction of input served from the prefix cache
  double output_tokens_per_step = 0;
  std::string api_fresh_input_pricing;  // "input" or "cache_write": price of uncached input on the API
  // Prefix retention (capacity.cpp): the prefill amplification (tokens prefilled / the eviction-free minimum) at
  // each storage ratio (KV kept for idle sessions / KV of active steps); the API's own amplification.
  std::vector<double> prefix_retention_storage_ratio;
  std::vector<double> prefix_retention_prefill_amplification;
  double api_prefill_amplification = 0;

  // service-level objectives of one replica
  double max_ttft_s = 0;
  double min_output_tok_s_per_user = 0;
  double peak_load_target = 0;  // fraction of a replica's SLO capacity used at the burst peak
  double slo_percentile = 0.9;  // share of requests the decode-speed SLO holds for at the sizing point

  // candidates
  std::vector<std::string> models;
  std::vector<std::string> systems;
  std::vector<std::string> hosted_api_models;  // per model (same order): price-list key of the same open model
                                               // served by an API provider, "-" for none; [] = none at all
  std::vector<std::string> weight_precisions;  // tried where the GPU computes at that precision
  std::string kv_precision;
  std::string engine;       // engine profile name, or "none"
  std::string speculative;  // "auto" | "off"

  // owned hardware: the catalog's system prices x this multiplier; every other cost input (power, PUE,
  // facility, lifetime, cost of capital, residual, ops, network and installation shares) is a cost assumption
  // (data/costs.yaml), overridable in the scenario's `cost:` group
  double gpu_price_multiplier = 0;
  // Per system, in candidates.systems order (empty = the catalog's; 0 in a slot = the catalog's for that system):
  // a quoted price per GPU and a measured or contracted wall power per GPU.
  std::vector<double> system_price_usd_per_gpu;
  std::vector<double> system_wall_w_per_gpu;
  double host_kv_fraction = 0;  // share of host memory used as a KV tier for idle sessions (0 = HBM only)
  cost::CostAssumptions cost;

  // rented GPUs
  std::string rented_tier;
  double rented_hours_per_year = 0;  // billed hours per GPU per year (8760 = reserved 24/7), billing = reserved
  std::string rented_billing;        // "reserved": the peak fleet for hours_per_year; "autoscaled": per hour only
                                     // the replicas that hour's load needs

  // API
  double api_price_multiplier = 0;  // x the price list (negotiated discount < 1)

  // hybrid, simulator check and sensitivity
  int hybrid_points = 0;
  std::string hybrid_overflow_api;  // "same_model" (hosted API of the owned model, if priced) or "reference"
  std::string hybrid_overflow_cache = "cold";  // "cold": overflowed steps pay their whole context as fresh input
  double hybrid_api_rate_limit_tokens_per_min = 0;  // the overflow API's rate limit (0 = none)
  double hybrid_api_commitment_usd_per_year = 0;     // committed API spend, paid whatever is used
  double hybrid_api_commitment_discount = 0;         // discount the commitment buys usage at
  int simulate_requests = 0;        // simulator check of the chosen replica (0 = off)
  int horizon_years = 5;                  // multi-year view (finance.hpp horizon_view)
  double horizon_demand_growth = 0;       // per year
  double horizon_api_price_decline = 0;   // per year
  // Monte Carlo over the sensitivity ranges and the perf model's error (plan/uncertainty.hpp).
  int uncertainty_draws = 0;             // 0 = off
  int uncertainty_seed = 1;
  double uncertainty_perf_error_sigma = 0;  // log-space sigma of replica throughput (perf model error)
  double uncertainty_perf_error_bias = 0;   // median ln(modelled / real) of that error (> 0: the model over-predicts)
  std::vector<double> sensitivity_gpu_price_multiplier;  // [low, high] of each uncertain input
  std::vector<double> sensitivity_power_usd_per_kwh;
  std::vector<double> sensitivity_lifetime_years;
  std::vector<double> sensitivity_cache_hit_rate;
  std::vector<double> sensitivity_peak_load_target;
  std::vector<double> sensitivity_api_price_multiplier;
  std::vector<double> sensitivity_staff_fte_per_mw;
  std::vector<double> sensitivity_software_usd_per_gpu_year;
  std::vector<double> sensitivity_idle_power_fraction;

  // Where each option's value came from: key -> source text (data/plan/default.yaml `source:` entries, or
  // "scenario file <path>" for values a user file set).
  std::map<std::string, std::string> sources;
  std::string file;  // the scenario file read last ("" = built-in default)
  std::string defaults_file;  // the complete scenario the defaults came from (named in errors when file is "")
};

// An option of the `cost:` group: a key of cost::assumption_keys(), stored in Scenario::cost.
struct CostKey {
  std::string key;
};

using FieldRef = std::variant<double Scenario::*, int Scenario::*, std::string Scenario::*,
                              std::vector<std::string> Scenario::*, std::vector<double> Scenario::*, CostKey>;

// A scenario option: its schema declaration (key path "group.name", unit, range, items, choices, help) and the
// Scenario member it sets.
struct OptionSpec : schema::Field {
  FieldRef field;

  std::string type_name() const;  // number, integer, text, list of text, list of numbers
};

// The inputs the tornado varies, declared once: the option varied, its label, the unit and bounds of its
// [low, high] range option (sensitivity.<name>), the range's member and the varied value's place in a Scenario.
struct SensitivityInput {
  std::string key;          // e.g. "cost.power_usd_per_kwh"
  std::string range_key;    // its [low, high] option, e.g. "sensitivity.power_usd_per_kwh"
  std::string label;        // e.g. "power price"
  std::string range_unit;
  double lo = 0, hi = 0;
  std::vector<double> Scenario::*range;
  double& (*value)(Scenario&);
};
const std::vector<SensitivityInput>& sensitivity_inputs();

// The one declaration of every scenario option, in report order.
const std::vector<OptionSpec>& scenario_options();
// The same as a schema (`tokenmath schema plan`): defaults are the values of `defaults` (the shipped plan).
schema::Schema plan_schema(const Scenario& defaults);

// Reads a scenario. Each option may be given as a plain value or as {value: ..., source: "..."}. Keys not
// given keep the value of `base`. Unknown keys, wrong types, out-of-range values throw InputError naming the
// file, the key path and the value.
Scenario load_scenario(const std::filesystem::path& path, const Scenario& base);
// Same from YAML text (`file` names it in errors).
Scenario parse_scenario(const std::string& yaml_text, const std::string& file, const Scenario& base);

// The default plan of a context: DATA/plan/default.yaml, which must set every option with a source, except the
// `cost:` group, whose defaults and sources are the context's cost assumptions (DATA/costs.yaml).
Scenario default_scenario(const Context& ctx);
// Reads a complete scenario (every option but cost.* required, each with a source), e.g. the shipped default;
// cost.* start from the context's assumptions.
Scenario load_complete_scenario(const Context& ctx, const std::filesystem::path& path);

// Checks relations between options (e.g. sensitivity ranges are [low, high]); throws InputError.
void validate_scenario(const Scenario& s);

// The scenario as editable YAML: every option with its value, and a comment with unit, range, help, source.
std::string scenario_to_yaml(const Scenario& s);

// Value of an option as display text ("1000", "[a, b]").
std::string option_value_text(const Scenario& s, const OptionSpec& o);

}  // namespace tokenmath::plan
