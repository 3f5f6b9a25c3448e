#include "tokenmath/plan/scenario.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/common/yaml_file.hpp"
#include "tokenmath/cost/assumptions.hpp"

namespace tokenmath::plan {
namespace {

// A numeric option with a range; `F` is the Scenario member (double or int) it writes.
template <class F>
OptionSpec bounded(std::string key, std::string unit, double lo, double hi, std::string help, F Scenario::*f) {
  OptionSpec o;
  o.key = std::move(key);
  o.unit = std::move(unit);
  o.min = lo;
  o.max = hi;
  o.help = std::move(help);
  o.field = f;
  return o;
}
OptionSpec num(std::string key, std::string unit, double lo, double hi, std::string help, double Scenario::*f) {
  return bounded(std::move(key), std::move(unit), lo, hi, std::move(help), f);
}
OptionSpec integer(std::string key, std::string unit, double lo, double hi, std::string help, int Scenario::*f) {
  return bounded(std::move(key), std::move(unit), lo, hi, std::move(help), f);
}
OptionSpec text(std::string key, std::vector<std::string> choices, std::string help, std::string Scenario::*f) {
  OptionSpec o;
  o.key = std::move(key);
  o.choices = std::move(choices);
  o.help = std::move(help);
  o.field = f;
  return o;
}
OptionSpec texts(std::string key, std::size_t min_items, std::string help, std::vector<std::string> Scenario::*f) {
  OptionSpec o;
  o.key = std::move(key);
  o.min_items = min_items;
  o.help = std::move(help);
  o.field = f;
  return o;
}
OptionSpec nums(std::string key, std::string unit, std::size_t items_lo, std::size_t items_hi, double lo, double hi,
                std::string help, std::vector<double> Scenario::*f) {
  OptionSpec o;
  o.key = std::move(key);
  o.unit = std::move(unit);
  o.min_items = items_lo;
  o.max_items = items_hi;
  o.min = lo;
  o.max = hi;
  o.help = std::move(help);
  o.field = f;
  return o;
}
OptionSpec range(std::string key, std::string unit, double lo, double hi, std::string what,
                 std::vector<double> Scenario::*f) {
  return nums(std::move(key), std::move(unit), 2, 2, lo, hi,
              "[low, high] of " + what + " for the tornado; every other input stays at its scenario value", f);
}

}  // namespace

const std::vector<SensitivityInput>& sensitivity_inputs() {
  using S = Scenario;
  static const std::vector<SensitivityInput> inputs = {
      {"owned.gpu_price_multiplier", "sensitivity.gpu_price_multiplier", "GPU price", "x catalog price", 0.01, 100, &S::sensitivity_gpu_price_multiplier,
       [](S& s) -> double& { return s.gpu_price_multiplier; }},
      {"cost.power_usd_per_kwh", "sensitivity.power_usd_per_kwh", "power price", "USD/kWh", 0, 10, &S::sensitivity_power_usd_per_kwh,
       [](S& s) -> double& { return s.cost.power_usd_per_kwh; }},
      {"cost.lifetime_years", "sensitivity.lifetime_years", "hardware lifetime", "years", 0.5, 30, &S::sensitivity_lifetime_years,
       [](S& s) -> double& { return s.cost.lifetime_years; }},
      {"workload.cache_hit_rate", "sensitivity.cache_hit_rate", "cache hit rate", "fraction", 0, 1, &S::sensitivity_cache_hit_rate,
       [](S& s) -> double& { return s.cache_hit_rate; }},
      {"slo.peak_load_target", "sensitivity.peak_load_target", "utilisation at peak", "fraction", 0.05, 1, &S::sensitivity_peak_load_target,
       [](S& s) -> double& { return s.peak_load_target; }},
      {"api.price_multiplier", "sensitivity.api_price_multiplier", "API price", "x list price", 0.01, 100, &S::sensitivity_api_price_multiplier,
       [](S& s) -> double& { return s.api_price_multiplier; }},
      {"cost.staff_fte_per_mw", "sensitivity.staff_fte_per_mw", "operations staff", "FTE/MW", 0, 1000, &S::sensitivity_staff_fte_per_mw,
       [](S& s) -> double& { return s.cost.staff_fte_per_mw; }},
      {"cost.software_usd_per_gpu_year", "sensitivity.software_usd_per_gpu_year", "software licences", "USD/GPU-yr", 0, 1e6,
       &S::sensitivity_software_usd_per_gpu_year, [](S& s) -> double& { return s.cost.software_usd_per_gpu_year; }},
      {"cost.idle_power_fraction", "sensitivity.idle_power_fraction", "idle power draw", "fraction", 0, 1, &S::sensitivity_idle_power_fraction,
       [](S& s) -> double& { return s.cost.idle_power_fraction; }},
  };
  return inputs;
}

namespace {
std::vector<OptionSpec> make_options() {
  using S = Scenario;
  std::vector<OptionSpec> out = {
      text("scenario.name", {}, "label printed on the report", &S::name),
      text("scenario.quality_assumption", {},
           "what the comparison assumes about model quality; printed beside every $/token comparison",
           &S::quality_assumption),

      num("demand.engineers", "engineers", 1, 1e7, "people whose token budget is planned", &S::engineers),
      num("demand.budget_usd_per_engineer_year", "USD/engineer-year", 0.01, 1e9,
          "annual token budget per engineer, in API dollars at the reference model's prices",
          &S::budget_usd_per_engineer_year),
      text("demand.reference_api_model", {},
           "price-list key whose prices turn the budget into tokens (and price the API option)",
           &S::reference_api_model),
      text("demand.price_list", {},
           "LiteLLM model_prices_and_context_window.json; a relative path resolves against the data directory",
           &S::price_list),
      num("demand.working_days_per_year", "days", 1, 366, "days per year with the working-day profile",
          &S::working_days_per_year),
      num("demand.off_day_share", "fraction", 0, 1,
          "tokens on each other day (weekends, holidays) as a share of a working day's, spread evenly over its 24 "
          "hours (background agents, batch jobs); 0 = none",
          &S::off_day_share),
      nums("demand.hourly_profile", "relative weight", 24, 24, 0, 1e6,
           "24 weights, hour 0..23 of a working day; normalised to the day's tokens", &S::hourly_profile),
      num("demand.burst_factor", "ratio", 1, 100,
          "short-window peak over the busiest hour's average rate; capacity is sized for it", &S::burst_factor),

      text("workload.name", {}, "label of the workload shape", &S::workload_name),
      num("workload.input_tokens_per_step", "tokens/step", 1, 1e7,
          "context sent with each LLM call: cached prefix plus newly appended tokens", &S::input_tokens_per_step),
      num("workload.cache_hit_rate", "fraction", 0, 1,
          "token-weighted share of input served from the prefix cache (not prefilled again)", &S::cache_hit_rate),
      num("workload.output_tokens_per_step", "tokens/step", 1, 1e6, "tokens generated per LLM call",
          &S::output_tokens_per_step),
      text("workload.api_fresh_input_pricing", {"input", "cache_write"},
           "API price of uncached input: plain input price, or the cache-write price where the list has one",
           &S::api_fresh_input_pricing),
      nums("workload.prefix_retention_storage_ratio", "suspended KV / active KV", 2, 32, 0, 1e4,
           "points of the workload's prefix-retention curve: KV kept for idle sessions (between their steps) per "
           "unit of KV of active steps, ascending from 0; see workload.prefix_retention_prefill_amplification",
           &S::prefix_retention_storage_ratio),
      nums("workload.prefix_retention_prefill_amplification", "x the fresh minimum", 2, 32, 1, 1e6,
           "at each storage-ratio point: input tokens prefilled per token an eviction-free cache would prefill "
           "(the owned fleet's miss rate follows from the KV room it has for idle sessions, capacity.cpp); a flat "
           "curve at workload.api_prefill_amplification gives it the API's hit rate",
           &S::prefix_retention_prefill_amplification),
      num("workload.api_prefill_amplification", "x the fresh minimum", 1, 1e6,
          "the same amplification for the API cache that workload.cache_hit_rate was measured on",
          &S::api_prefill_amplification),

      num("slo.max_ttft_s", "s", 0.01, 3600, "time to first token of a cache-hit step, at load", &S::max_ttft_s),
      num("slo.min_output_tok_s_per_user", "tokens/s", 0.1, 10000, "decode speed each request sees, at load",
          &S::min_output_tok_s_per_user),
      num("slo.percentile", "fraction", 0.5, 0.999,
          "share of requests the decode-speed SLO must hold for: replicas are sized at this percentile of requests' "
          "tokens/s per user, not the mean", &S::slo_percentile),
      num("slo.peak_load_target", "fraction", 0.05, 1,
          "share of a replica's SLO-limited capacity used at the burst peak (queueing headroom)", &S::peak_load_target),

      texts("candidates.models", 1, "open models to evaluate (catalog ids or names)", &S::models),
      texts("candidates.systems", 1, "systems to evaluate (catalog ids or names)", &S::systems),
      texts("candidates.hosted_api_models", 0,
            "per model, in the same order: price-list key of the same model on a hosted API ('-' for none)",
            &S::hosted_api_models),
      texts("candidates.weight_precisions", 1,
            "weight formats tried for each model, where the GPU computes at that precision", &S::weight_precisions),
      text("candidates.kv_precision", {}, "KV-cache format", &S::kv_precision),
      text("candidates.engine", {},
           "serving-engine profile (data/perf/engines.yaml) whose software factors apply: host overlap, "
           "attention-DP prefill balancing; 'none' = the fitted perf-overview runtime",
           &S::engine),
      text("candidates.speculative", {"auto", "off"},
           "auto: each deployment is also tried with the model's speculative drafts (MTP, EAGLE-3; "
           "data/perf/speculative.yaml); off: never",
           &S::speculative),

      num("owned.gpu_price_multiplier", "x catalog price", 0.01, 100,
          "scales each system's catalog price per GPU (volume discounts, quotes)", &S::gpu_price_multiplier),
      nums("owned.system_price_usd_per_gpu", "USD/GPU", 0, 1000, 0, 1e7,
           "per system, in candidates.systems order: your quoted price per GPU (0 = the catalog's); empty = all "
           "catalog prices",
           &S::system_price_usd_per_gpu),
      num("owned.host_kv_fraction", "fraction", 0, 0.95,
          "share of each system's host memory (systems.yaml host_memory_gb_per_gpu) used as a KV-cache tier for "
          "idle sessions' prefixes (LMCache, SGLang HiCache, engine host offload); 0 = HBM only",
          &S::host_kv_fraction),
      nums("owned.system_wall_w_per_gpu", "W/GPU", 0, 1000, 0, 1e5,
           "per system, in candidates.systems order: wall power per GPU (0 = the catalog's); empty = all catalog "
           "figures",
           &S::system_wall_w_per_gpu),

      text("rented.tier", {}, "rental price tier (cost module's price table)", &S::rented_tier),
      num("rented.hours_per_year", "hours", 1, 8784,
          "billed hours per rented GPU per year when billing = reserved (8760 = 24/7)", &S::rented_hours_per_year),
      text("rented.billing", {"reserved", "autoscaled"},
           "reserved: the peak-sized fleet is paid for hours_per_year; autoscaled: each hour pays only the replicas "
           "that hour's load needs (on-demand capacity assumed available)",
           &S::rented_billing),

      num("api.price_multiplier", "x list price", 0.01, 100, "scales the price list (negotiated discounts)",
          &S::api_price_multiplier),

      integer("hybrid.points", "points", 2, 1001, "points on the owned-fraction curve", &S::hybrid_points),
      text("hybrid.overflow_api", {"same_model", "reference"},
           "where peaks beyond the owned capacity go: the owned model's hosted API (candidates.hosted_api_models; "
           "the reference API when it has none) or the reference API",
           &S::hybrid_overflow_api),
      text("hybrid.overflow_cache", {"cold", "warm"},
           "how an overflowed step is billed: cold = its whole context as uncached input (the API holds no prefix of a "
           "session served on the owned fleet), warm = at the workload's cache hit rate (whole sessions routed to "
           "the API)",
           &S::hybrid_overflow_cache),
      num("hybrid.api_rate_limit_tokens_per_min", "tokens/min", 0, 1e15,
          "the overflow API's rate limit (input + output tokens a minute; 0 = none): splits whose overflow exceeds it "
          "in any hour are infeasible, so the hybrid owns at least enough replicas to keep the overflow under it",
          &S::hybrid_api_rate_limit_tokens_per_min),
      num("hybrid.api_commitment_usd_per_year", "USD/yr", 0, 1e13,
          "committed spend with the overflow API (0 = none): paid at every split, it buys usage at "
          "hybrid.api_commitment_discount off list until used up; usage beyond it pays list",
          &S::hybrid_api_commitment_usd_per_year),
      num("hybrid.api_commitment_discount", "fraction", 0, 0.95, "discount off list the API commitment buys usage at",
          &S::hybrid_api_commitment_discount),
      integer("horizon.years", "years", 1, 30,
              "multi-year view: years evaluated (NPV of owning, the APIs and the hybrid; hardware refreshed at the "
              "end of cost.lifetime_years)",
              &S::horizon_years),
      num("horizon.demand_growth_per_year", "fraction/yr", -0.9, 10,
          "yearly growth of the token demand (0.5 = +50%/yr); the owned fleet grows with it", &S::horizon_demand_growth),
      num("horizon.api_price_decline_per_year", "fraction/yr", 0, 0.99,
          "yearly fall of API prices (0.3 = -30%/yr), for the reference, hosted and overflow APIs alike",
          &S::horizon_api_price_decline),
      integer("verify.simulate_requests", "requests", 0, 1000000,
              "simulate one replica of the chosen deployment at the planned peak load for this many requests "
              "(a second path to its TTFT and decode speed; 0 = off)",
              &S::simulate_requests),
      integer("uncertainty.draws", "draws", 0, 100000,
              "Monte Carlo draws over the sensitivity ranges and the perf model's error (0 = off): P10/P50/P90 of "
              "cost, $/M and fleet, and the probability that owning beats each API",
              &S::uncertainty_draws),
      integer("uncertainty.seed", "", 0, 2147483647, "seed of the Monte Carlo draws (same seed, same answer)",
              &S::uncertainty_seed),
      num("uncertainty.perf_error_sigma", "log-space sigma", 0, 2,
          "spread of a replica's real throughput around the model's: ln(real/modelled) ~ Normal(-bias, sigma)",
          &S::uncertainty_perf_error_sigma),
      num("uncertainty.perf_error_bias", "log-space", -2, 2,
          "the perf model's measured median ln(modelled/real) (> 0: it over-predicts throughput); the draws centre "
          "a replica's real throughput at modelled x exp(-bias)",
          &S::uncertainty_perf_error_bias),

  };
  for (const auto& in : sensitivity_inputs())
    out.push_back(range(in.range_key, in.range_unit, in.lo, in.hi, in.key, in.range));
  // The cost module's assumptions, after owned.*; `utilization` is left out: the planner derives utilisation
  // from the demand profile and the fleet it sizes.
  auto at = std::find_if(out.begin(), out.end(), [](const OptionSpec& o) { return o.key == "rented.tier"; });
  std::vector<OptionSpec> cost_options;
  for (const auto& k : cost::assumption_keys()) {
    if (k.key == "utilization") continue;
    OptionSpec o;
    o.key = "cost." + k.key;
    o.unit = k.unit;  // the range is checked by the cost module (set_assumption)
    o.help = k.help + " (cost assumption; default and source from data/costs.yaml)";
    o.field = CostKey{k.key};
    cost_options.push_back(std::move(o));
  }
  out.insert(at, cost_options.begin(), cost_options.end());
  for (auto& o : out) o.type = o.type_name();
  return out;
}

std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

std::string node_text(const YAML::Node& n) {
  if (!n || n.IsNull()) return "";
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::string range_text(const OptionSpec& o) {
  const bool lo = std::isfinite(o.min), hi = std::isfinite(o.max);
  if (lo && hi) return fmt::format("[{}, {}]", number_text(o.min), number_text(o.max));
  if (lo) return ">= " + number_text(o.min);
  if (hi) return "<= " + number_text(o.max);
  return "";
}

double parse_number(const YAML::Node& n, const OptionSpec& o, const std::string& file, const std::string& where) {
  if (!n.IsScalar()) throw InputError(file, where, node_text(n), "expected a number");
  double v = 0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(file, where, n.Scalar(), "expected a number" + (o.unit.empty() ? "" : " in " + o.unit));
  }
  if (!std::isfinite(v) || v < o.min || v > o.max)
    throw InputError(file, where, n.Scalar(),
                     fmt::format("out of range; expected {}{}", range_text(o), o.unit.empty() ? "" : " " + o.unit));
  return v;
}

void set_value(Scenario& s, const OptionSpec& o, const YAML::Node& n, const std::string& file) {
  if (const auto* ck = std::get_if<CostKey>(&o.field)) {
    cost::set_assumption(s.cost, ck->key, parse_number(n, o, file, o.key), file, o.key);
    return;
  }
  std::visit(
      [&](auto member) {
        if constexpr (std::is_same_v<decltype(member), CostKey>) {
          return;
        } else {
          using T = std::remove_cvref_t<decltype(s.*member)>;
          if constexpr (std::is_same_v<T, double>) {
            s.*member = parse_number(n, o, file, o.key);
          } else if constexpr (std::is_same_v<T, int>) {
            const double v = parse_number(n, o, file, o.key);
            if (v != std::floor(v)) throw InputError(file, o.key, n.Scalar(), "expected a whole number");
            s.*member = static_cast<int>(v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            if (!n.IsScalar()) throw InputError(file, o.key, node_text(n), "expected text");
            const std::string v = n.Scalar();
            if (!o.choices.empty() && std::find(o.choices.begin(), o.choices.end(), v) == o.choices.end()) {
              std::string list;
              for (const auto& c : o.choices) list += (list.empty() ? "" : "|") + c;
              throw InputError(file, o.key, v, "expected one of " + list + did_you_mean(v, o.choices));
            }
            if (o.choices.empty() && v.empty()) throw InputError(file, o.key, v, "must not be empty");
            s.*member = v;
          } else {
            using E = typename T::value_type;
            if (!n.IsSequence()) throw InputError(file, o.key, node_text(n), "expected a list, e.g. [a, b]");
            if (n.size() < o.min_items || n.size() > o.max_items) {
              const std::string want = o.min_items == o.max_items ? fmt::format("exactly {}", o.min_items)
                                       : o.max_items == std::numeric_limits<std::size_t>::max()
                                           ? fmt::format("at least {}", o.min_items)
                                           : fmt::format("{} to {}", o.min_items, o.max_items);
              throw InputError(file, o.key, node_text(n), fmt::format("has {} items; expected {}", n.size(), want));
            }
            T out;
            for (std::size_t i = 0; i < n.size(); ++i) {
              const std::string where = fmt::format("{}[{}]", o.key, i);
              if constexpr (std::is_same_v<E, double>) {
                out.push_back(parse_number(n[i], o, file, where));
              } else {
                if (!n[i].IsScalar() || n[i].Scalar().empty())
                  throw InputError(file, where, node_text(n[i]), "expected non-empty text");
                out.push_back(n[i].Scalar());
              }
            }
            s.*member = std::move(out);
          }
        }
      },
      o.field);
}

std::vector<std::string> all_keys() {
  std::vector<std::string> keys;
  for (const auto& o : scenario_options()) keys.push_back(o.key);
  return keys;
}

// Applies the YAML document to `s`; returns the keys it set.
std::vector<std::string> apply(Scenario& s, const YAML::Node& root, const std::string& file, bool sources_required) {
  std::vector<std::string> set;
  if (!root || root.IsNull()) return set;
  if (!root.IsMap()) throw InputError(file, "", node_text(root), "a scenario is a YAML mapping of option groups");
  const auto& options = scenario_options();
  for (const auto& group : root) {
    const std::string g = group.first.as<std::string>();
    std::vector<std::string> groups;
    for (const auto& o : options) {
      std::string prefix = o.key.substr(0, o.key.find('.'));
      if (std::find(groups.begin(), groups.end(), prefix) == groups.end()) groups.push_back(prefix);
    }
    if (std::find(groups.begin(), groups.end(), g) == groups.end())
      throw InputError(file, g, "", "unknown option group" + did_you_mean(g, groups));
    if (!group.second.IsMap())
      throw InputError(file, g, node_text(group.second), "expected a mapping of options under '" + g + "'");
    for (const auto& item : group.second) {
      const std::string key = g + "." + item.first.as<std::string>();
      auto it = std::find_if(options.begin(), options.end(), [&](const OptionSpec& o) { return o.key == key; });
      if (it == options.end()) throw InputError(file, key, "", "unknown option" + did_you_mean(key, all_keys()));
      YAML::Node value = item.second;
      std::string source;
      if (value.IsMap()) {
        for (const auto& kv : value) {
          const std::string k = kv.first.as<std::string>();
          if (k != "value" && k != "source")
            throw InputError(file, key + "." + k, "", "expected only 'value' and 'source' under an option");
        }
        if (!value["value"]) throw InputError(file, key, "", "missing 'value'");
        if (value["source"]) source = value["source"].as<std::string>();
        value = value["value"];
      }
      if (sources_required && source.empty())
        throw InputError(file, key, node_text(value), "every default needs a 'source'");
      set_value(s, *it, value, file);
      s.sources[key] = source.empty() ? "scenario file " + file : source;
      set.push_back(key);
    }
  }
  return set;
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  check_nesting(text, file);  // every scenario text: files, HTTP bodies, Python strings
  try {
    YAML::Node root = YAML::Load(text);
    check_duplicate_keys(root, file);
    return root;
  } catch (const YAML::ParserException& e) {
    throw InputError(file, fmt::format("line {}", e.mark.line + 1), "", "YAML syntax: " + e.msg);
  }
}

std::string read_file(const std::filesystem::path& path) { return read_input_file(path); }

}  // namespace

std::string OptionSpec::type_name() const {
  switch (field.index()) {
    case 0:
      return "number";
    case 1:
      return "integer";
    case 2:
      return "text";
    case 3:
      return "list of text";
    case 4:
      return "list of numbers";
    default:
      return "number";
  }
}

const std::vector<OptionSpec>& scenario_options() {
  static const std::vector<OptionSpec> options = make_options();
  return options;
}

schema::Schema plan_schema(const Scenario& defaults) {
  schema::Schema s;
  s.name = "plan";
  s.file = "a plan scenario (tokenmath plan SCENARIO.yaml; the default: data/plan/default.yaml)";
  s.doc = "Every option may be a plain value or {value: ..., source: \"...\"}; options not given keep the "
          "default's value. Defaults below are the shipped default plan's (cost.* from data/costs.yaml). "
          "Units: USD, tokens, seconds, fractions in [0, 1] unless stated.";
  for (const auto& o : scenario_options()) {
    schema::Field f = o;
    f.default_value = option_value_text(defaults, o);
    if (std::holds_alternative<CostKey>(o.field))
      for (const auto& k : cost::assumption_keys())
        if ("cost." + k.key == o.key) f.min = k.min, f.max = k.max, f.min_exclusive = k.min_exclusive;
    s.fields.push_back(std::move(f));
  }
  return s;
}

Scenario parse_scenario(const std::string& yaml_text, const std::string& file, const Scenario& base) {
  return with_yaml_errors(file, [&] {
    Scenario s = base;
    apply(s, parse_yaml(yaml_text, file), file, false);
    s.file = file;
    validate_scenario(s);
    return s;
  });
}

Scenario load_scenario(const std::filesystem::path& path, const Scenario& base) {
  return parse_scenario(read_file(path), path.string(), base);
}

Scenario load_complete_scenario(const Context& ctx, const std::filesystem::path& path) {
  Scenario s;
  s.defaults_file = path.string();
  s.cost = ctx.costs;
  for (const auto& o : scenario_options())
    if (const auto* ck = std::get_if<CostKey>(&o.field)) {
      const auto& p = s.cost.provenance[ck->key];
      s.sources[o.key] = p.date.empty() ? p.source : p.source + " (" + p.date + ")";
    }
  const std::string file = path.string();
  const auto set = apply(s, parse_yaml(read_file(path), file), file, true);
  for (const auto& o : scenario_options())
    if (!std::holds_alternative<CostKey>(o.field) && std::find(set.begin(), set.end(), o.key) == set.end())
      throw InputError(file, o.key, "", "missing; a complete scenario sets every option");
  validate_scenario(s);
  return s;
}

Scenario default_scenario(const Context& ctx) {
  return load_complete_scenario(ctx, ctx.data_dir / "plan" / "default.yaml");
}

void validate_scenario(const Scenario& s) {
  const std::string file = s.file.empty() ? s.defaults_file : s.file;
  for (const auto& o : scenario_options()) {
    if (o.field.index() != 4 || o.min_items != 2 || o.max_items != 2) continue;
    const auto& v = s.*std::get<4>(o.field);
    if (v.size() == 2 && v[0] > v[1])
      throw InputError(file, o.key, fmt::format("[{}, {}]", v[0], v[1]), "expected [low, high] with low <= high");
  }
  for (const auto& [key, list] : {std::pair<const char*, const std::vector<double>*>{"owned.system_price_usd_per_gpu",
                                                                                   &s.system_price_usd_per_gpu},
                                   {"owned.system_wall_w_per_gpu", &s.system_wall_w_per_gpu}})
    if (!list->empty() && list->size() != s.systems.size())
      throw InputError(file, key, fmt::format("{} items", list->size()),
                       fmt::format("needs one value per candidates.systems entry ({}), 0 for the catalog's",
                                   s.systems.size()));
  if (!s.hosted_api_models.empty() && s.hosted_api_models.size() != s.models.size())
    throw InputError(file, "candidates.hosted_api_models", fmt::format("{} items", s.hosted_api_models.size()),
                     fmt::format("expected one entry per model ({}), or an empty list", s.models.size()));
  if (s.cost.idle_power_fraction > s.cost.busy_power_fraction)
    throw InputError(file, "cost.idle_power_fraction", number_text(s.cost.idle_power_fraction),
                     "must be <= cost.busy_power_fraction (" + number_text(s.cost.busy_power_fraction) + ")");
  const auto& rx = s.prefix_retention_storage_ratio;
  const auto& ry = s.prefix_retention_prefill_amplification;
  if (rx.size() != ry.size())
    throw InputError(file, "workload.prefix_retention_prefill_amplification", fmt::format("{} items", ry.size()),
                     fmt::format("needs one value per workload.prefix_retention_storage_ratio point ({})", rx.size()));
  for (std::size_t i = 0; i < rx.size(); ++i) {
    if (i == 0 && rx[0] != 0)
      throw InputError(file, "workload.prefix_retention_storage_ratio", number_text(rx[0]),
                       "the curve must start at 0 (no room for idle sessions)");
    if (i > 0 && !(rx[i] > rx[i - 1]))
      throw InputError(file, "workload.prefix_retention_storage_ratio", number_text(rx[i]), "points must ascend");
    if (i > 0 && ry[i] > ry[i - 1])
      throw InputError(file, "workload.prefix_retention_prefill_amplification", number_text(ry[i]),
                       "must not grow with the storage ratio (more room cannot miss more)");
  }
  double total = 0;
  for (double w : s.hourly_profile) total += w;
  if (!s.hourly_profile.empty() && total <= 0)
    throw InputError(file, "demand.hourly_profile", "", "weights must not all be zero");
}

std::string option_value_text(const Scenario& s, const OptionSpec& o) {
  if (const auto* ck = std::get_if<CostKey>(&o.field)) return number_text(cost::get_assumption(s.cost, ck->key));
  return std::visit(
      [&](auto member) -> std::string {
        if constexpr (std::is_same_v<decltype(member), CostKey>) {
          return {};
        } else {
          using T = std::remove_cvref_t<decltype(s.*member)>;
          const auto& v = s.*member;
          if constexpr (std::is_same_v<T, double> || std::is_same_v<T, int>) {
            return number_text(static_cast<double>(v));
          } else if constexpr (std::is_same_v<T, std::string>) {
            return v;
          } else {
            std::string out = "[";
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (i) out += ", ";
              if constexpr (std::is_same_v<typename T::value_type, double>)
                out += number_text(v[i]);
              else
                out += v[i];
            }
            return out + "]";
          }
        }
      },
      o.field);
}

std::string scenario_to_yaml(const Scenario& s) {
  std::string out =
      "# tokenmath plan scenario. Each option: a plain value, or {value: ..., source: \"...\"}.\n"
      "# Options left out keep the built-in default (data/plan/default.yaml). Run: tokenmath plan THIS_FILE.yaml\n";
  std::string group;
  for (const auto& o : scenario_options()) {
    const std::string g = o.key.substr(0, o.key.find('.'));
    const std::string name = o.key.substr(o.key.find('.') + 1);
    if (g != group) {
      out += "\n" + g + ":\n";
      group = g;
    }
    std::string comment = o.type_name();
    if (!o.unit.empty()) comment += ", " + o.unit;
    if (const auto r = range_text(o); !r.empty() && o.field.index() != 2 && o.field.index() != 3)
      comment += ", range " + r;
    if (!o.choices.empty()) {
      std::string list;
      for (const auto& c : o.choices) list += (list.empty() ? "" : "|") + c;
      comment += ", one of " + list;
    }
    out += "  # " + o.help + " (" + comment + ")\n";
    YAML::Emitter value;
    value << YAML::Flow;
    std::visit(
        [&](auto member) {
          if constexpr (std::is_same_v<decltype(member), CostKey>) {
            value << number_text(cost::get_assumption(s.cost, member.key));
          } else {
            using T = std::remove_cvref_t<decltype(s.*member)>;
            if constexpr (std::is_same_v<T, std::vector<double>> || std::is_same_v<T, std::vector<std::string>>) {
              value << YAML::BeginSeq;
              for (const auto& x : s.*member) {
                if constexpr (std::is_same_v<T, std::vector<double>>)
                  value << number_text(x);
                else
                  value << x;
              }
              value << YAML::EndSeq;
            } else if constexpr (std::is_same_v<T, std::string>) {
              value << YAML::DoubleQuoted << s.*member;
            } else {
              value << number_text(static_cast<double>(s.*member));
            }
          }
        },
        o.field);
    YAML::Emitter source;
    auto it = s.sources.find(o.key);
    source << YAML::DoubleQuoted << (it == s.sources.end() ? std::string() : it->second);
    out += fmt::format("  {}: {{value: {}, source: {}}}\n", name, value.c_str(), source.c_str());
  }
  return out;
}

}  // namespace tokenmath::plan
