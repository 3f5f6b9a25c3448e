#include "tokenmath/cost/assumptions.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/yaml_file.hpp"

namespace tokenmath::cost {

namespace {

// Each key: its schema declaration (unit, accepted range [min, max] or (min, max], help) and its member.
struct KeySpec {
  schema::Field key;
  double CostAssumptions::*member;
};

KeySpec spec(std::string key, std::string unit, std::string help, double CostAssumptions::*member, double min,
             bool min_inclusive, double max) {
  schema::Field f;
  f.key = std::move(key);
  f.type = "number";
  f.unit = std::move(unit);
  f.help = std::move(help);
  f.min = min;
  f.min_exclusive = !min_inclusive;
  f.max = max;
  return {std::move(f), member};
}

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      spec("power_usd_per_kwh", "$/kWh", "electricity price", &CostAssumptions::power_usd_per_kwh, 0, true, 10),
      spec("pue_air", "ratio", "facility power / IT power, air-cooled systems", &CostAssumptions::pue_air, 1, true, 5),
      spec("pue_liquid", "ratio", "facility power / IT power, liquid-cooled systems", &CostAssumptions::pue_liquid, 1, true, 5),
      spec("colo_usd_per_kw_month", "$/kW-month", "facility or colocation charge per kW of IT load", &CostAssumptions::colo_usd_per_kw_month, 0, true, 10000),
      spec("lifetime_years", "years", "economic life of the hardware", &CostAssumptions::lifetime_years, 0, false, 30),
      spec("cost_of_capital", "fraction/yr", "annual cost of capital r in the annuity (0.10 = 10%)", &CostAssumptions::cost_of_capital, 0, true, 1),
      spec("residual_fraction", "fraction", "resale value at end of life, share of capex", &CostAssumptions::residual_fraction, 0, true, 1),
      spec("busy_power_fraction", "fraction", "IT power drawn while serving, share of the system's rated wall power (wall_w_per_gpu)", &CostAssumptions::busy_power_fraction, 0, false, 1),
      spec("idle_power_fraction", "fraction", "IT power drawn while idle with the model loaded, share of the rated wall power", &CostAssumptions::idle_power_fraction, 0, true, 1),
      spec("staff_fte_per_mw", "FTE/MW", "owner's operations staff per MW of rated IT load (facility staff are in the colocation charge)", &CostAssumptions::staff_fte_per_mw, 0, true, 1000),
      spec("staff_usd_per_fte_year", "$/FTE-yr", "loaded yearly cost of one operations FTE", &CostAssumptions::staff_usd_per_fte_year, 0, true, 1e7),
      spec("spares_fraction", "fraction", "spare systems bought with the fleet, share of system price (capex, annualised like it)", &CostAssumptions::spares_fraction, 0, true, 1),
      spec("software_usd_per_gpu_year", "$/GPU-yr", "software licences and support subscriptions per deployed GPU", &CostAssumptions::software_usd_per_gpu_year, 0, true, 1e6),
      spec("network_share", "fraction", "scale-out fabric, share of system price", &CostAssumptions::network_share, 0, true, 2),
      spec("installation_share", "fraction", "installation and integration, share of system price", &CostAssumptions::installation_share, 0, true, 2),
      spec("utilization", "fraction", "busy share of paid GPU-hours for `tokenmath cost` ($ per busy hour, the power line); the plan uses its fleet's own", &CostAssumptions::utilization, 0, false, 1),
  };
  return specs;
}

const KeySpec* find_spec(std::string_view key) {
  for (const auto& s : key_specs())
    if (s.key.key == key) return &s;
  return nullptr;
}

std::vector<std::string> key_names() {
  std::vector<std::string> out;
  for (const auto& s : key_specs()) out.push_back(s.key.key);
  return out;
}

std::string number_text(double v) { return fmt::format("{}", v); }

// Checks `value` against the key's range; throws InputError naming origin/field/value.
void check_range(const KeySpec& s, double value, std::string_view origin, std::string_view field) {
  if (!s.key.accepts(value))
    throw InputError(std::string(origin), std::string(field), number_text(value),
                     fmt::format("{} must be {} {} and <= {} ({})", s.key.key, s.key.min_exclusive ? ">" : ">=",
                                 number_text(s.key.min), number_text(s.key.max), s.key.unit));
}

}  // namespace

schema::Schema cost_schema(const CostAssumptions& defaults) {
  schema::Schema out;
  out.name = "cost";
  out.file = "data/costs.yaml (assumptions: KEY: {value, source, date}); also `cost.*` in a plan scenario and "
             "`tokenmath cost --KEY VALUE`";
  out.doc = "TCO assumptions per GPU-hour. Every value needs a source and a date in the file. Defaults below are "
            "data/costs.yaml's. Money in USD, energy in kWh, time in years.";
  for (const auto& s : key_specs()) {
    schema::Field f = s.key;
    f.default_value = number_text(defaults.*(s.member));
    out.fields.push_back(std::move(f));
  }
  return out;
}

const std::vector<AssumptionKey>& assumption_keys() {
  static const std::vector<AssumptionKey> keys = [] {
    std::vector<AssumptionKey> out;
    for (const auto& s : key_specs()) out.push_back(s.key);
    return out;
  }();
  return keys;
}

void set_assumption(CostAssumptions& a, std::string_view key, double value, std::string_view origin,
                    std::string_view field) {
  const KeySpec* s = find_spec(key);
  if (!s)
    throw InputError(std::string(origin), std::string(field), std::string(key),
                     "unknown cost assumption" + did_you_mean(key, key_names()));
  check_range(*s, value, origin, field);
  a.*(s->member) = value;
  a.provenance[s->key.key] = Provenance{fmt::format("override: {} {}", origin, field), ""};
}

double get_assumption(const CostAssumptions& a, std::string_view key) {
  const KeySpec* s = find_spec(key);
  if (!s)
    throw InputError("<cost>", "assumption", std::string(key), "unknown cost assumption" + did_you_mean(key, key_names()));
  return a.*(s->member);
}

double pue_for(const CostAssumptions& a, std::string_view cooling) {
  if (cooling == "air") return a.pue_air;
  if (cooling == "liquid") return a.pue_liquid;
  throw InputError("<cost>", "cooling", std::string(cooling), "expected 'air' or 'liquid'");
}

CostAssumptions load_cost_assumptions(const std::filesystem::path& path) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node root = load_yaml_file(path);
    const YAML::Node list = root["assumptions"];
    if (!list || !list.IsMap()) throw InputError(file, "assumptions", "", "expected a mapping of key -> {value, source, date}");
    for (const auto& kv : list) {
      const std::string k = kv.first.as<std::string>();
      if (!find_spec(k)) throw InputError(file, "assumptions." + k, "", "unknown cost assumption" + did_you_mean(k, key_names()));
    }
    CostAssumptions a;
    for (const auto& s : key_specs()) {
      const std::string base = "assumptions." + s.key.key;
      const YAML::Node n = list[s.key.key];
      if (!n || !n.IsMap()) throw InputError(file, base, "", "missing (expected {value, source, date})");
      const YAML::Node v = n["value"];
      if (!v || !v.IsScalar()) throw InputError(file, base + ".value", "", "missing number");
      double value = 0;
      try {
        value = v.as<double>();
      } catch (const YAML::Exception&) {
        throw InputError(file, base + ".value", v.Scalar(), "expected a number");
      }
      check_range(s, value, file, base + ".value");
      const YAML::Node src = n["source"];
      if (!src || !src.IsScalar() || src.Scalar().empty()) throw InputError(file, base + ".source", "", "every value needs a source");
      const YAML::Node date = n["date"];
      if (!date || !date.IsScalar() || date.Scalar().empty()) throw InputError(file, base + ".date", "", "every value needs a date");
      a.*(s.member) = value;
      a.provenance[s.key.key] = Provenance{src.Scalar(), date.Scalar()};
    }
    if (a.idle_power_fraction > a.busy_power_fraction)
      throw InputError(file, "assumptions.idle_power_fraction.value", number_text(a.idle_power_fraction),
                       "idle draw must be <= busy_power_fraction (" + number_text(a.busy_power_fraction) + ")");
    return a;
  });
}

}  // namespace tokenmath::cost
