#include "tokenmath/cost/rental.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/yaml_file.hpp"

namespace tokenmath::cost {

namespace {

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::string required_text(const YAML::Node& entry, const std::string& file, const std::string& path, const char* key) {
  const YAML::Node n = entry[key];
  if (!n || !n.IsScalar() || n.Scalar().empty()) throw InputError(file, path + "." + key, "", "missing required text");
  return n.Scalar();
}

double price(const YAML::Node& entry, const std::string& file, const std::string& path, const char* key) {
  const YAML::Node n = entry[key];
  if (!n || n.IsNull()) throw InputError(file, path + "." + key, "", "missing price");
  double v = 0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(file, path + "." + key, scalar_text(n), "expected a number (USD per GPU-hour)");
  }
  if (!std::isfinite(v) || v <= 0) throw InputError(file, path + "." + key, scalar_text(n), "price must be > 0");
  return v;
}

}  // namespace

std::vector<RentalPrice> load_rental_prices(const std::filesystem::path& path, const std::vector<std::string>& gpu_ids) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node root = load_yaml_file(path);
    const YAML::Node list = root["rental_prices"];
    if (!list || !list.IsSequence()) throw InputError(file, "rental_prices", "", "expected a list");
    static const std::set<std::string> known = {"gpu", "tier", "usd_per_gpu_hour", "low_usd_per_gpu_hour",
                                                "high_usd_per_gpu_hour", "source", "date", "derived", "notes"};
    const std::vector<std::string> tiers = {std::string(kTierHyperscaler), std::string(kTierNeocloud),
                                            std::string(kTierReserved), std::string(kTierSpot)};
    std::vector<RentalPrice> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = fmt::format("rental_prices[{}]", i);
      const YAML::Node e = list[i];
      if (!e.IsMap()) throw InputError(file, p, scalar_text(e), "expected a mapping");
      for (const auto& kv : e) {
        const std::string k = kv.first.as<std::string>();
        if (!known.count(k))
          throw InputError(file, p + "." + k, "", "unknown field" + did_you_mean(k, {known.begin(), known.end()}));
      }
      RentalPrice r;
      r.gpu_id = required_text(e, file, p, "gpu");
      if (!gpu_ids.empty() && std::find(gpu_ids.begin(), gpu_ids.end(), r.gpu_id) == gpu_ids.end())
        throw InputError(file, p + ".gpu", r.gpu_id, "no GPU with this id in gpus.yaml" + did_you_mean(r.gpu_id, gpu_ids));
      r.tier = required_text(e, file, p, "tier");
      if (std::find(tiers.begin(), tiers.end(), r.tier) == tiers.end())
        throw InputError(file, p + ".tier", r.tier, "unknown tier" + did_you_mean(r.tier, tiers) +
                                                       " (hyperscaler_on_demand, neocloud_on_demand, reserved, spot)");
      r.usd_per_gpu_hour = price(e, file, p, "usd_per_gpu_hour");
      r.low_usd_per_gpu_hour = e["low_usd_per_gpu_hour"] ? price(e, file, p, "low_usd_per_gpu_hour") : r.usd_per_gpu_hour;
      r.high_usd_per_gpu_hour = e["high_usd_per_gpu_hour"] ? price(e, file, p, "high_usd_per_gpu_hour") : r.usd_per_gpu_hour;
      if (r.low_usd_per_gpu_hour > r.usd_per_gpu_hour || r.usd_per_gpu_hour > r.high_usd_per_gpu_hour)
        throw InputError(file, p + ".usd_per_gpu_hour", fmt::format("{}", r.usd_per_gpu_hour),
                         fmt::format("must lie within low..high ({}..{})", r.low_usd_per_gpu_hour, r.high_usd_per_gpu_hour));
      r.source = required_text(e, file, p, "source");
      r.date = required_text(e, file, p, "date");
      if (const YAML::Node d = e["derived"]) {
        try {
          r.derived = d.as<bool>();
        } catch (const YAML::Exception&) {
          throw InputError(file, p + ".derived", scalar_text(d), "expected true or false");
        }
      }
      if (const YAML::Node n = e["notes"]; n && n.IsScalar()) r.notes = n.Scalar();
      for (const auto& prev : out)
        if (prev.gpu_id == r.gpu_id && prev.tier == r.tier)
          throw InputError(file, p + ".tier", r.tier, "duplicate tier for GPU '" + r.gpu_id + "'");
      out.push_back(std::move(r));
    }
    return out;
  });
}

std::vector<RentalPrice> rental_prices_for(const std::vector<RentalPrice>& all, std::string_view gpu_id) {
  std::vector<RentalPrice> out;
  for (const auto& r : all)
    if (r.gpu_id == gpu_id) out.push_back(r);
  return out;
}

const RentalPrice* find_rental_price(const std::vector<RentalPrice>& all, std::string_view gpu_id, std::string_view tier) {
  for (const auto& r : all)
    if (r.gpu_id == gpu_id && r.tier == tier) return &r;
  return nullptr;
}

}  // namespace tokenmath::cost
