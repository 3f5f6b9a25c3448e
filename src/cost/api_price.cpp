#include "tokenmath/cost/api_price.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/common/json_text.hpp"

namespace tokenmath::cost {

namespace {

// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string pointer_token(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// USD per token -> USD per 1M tokens. Absent or null -> nullopt; a non-number or negative value is an error.
std::optional<double> per_mtok(const nlohmann::json& entry, const std::string& file, const std::string& model,
                               const char* field) {
  const auto it = entry.find(field);
  if (it == entry.end() || it->is_null()) return std::nullopt;
  const std::string ptr = fmt::format("/{}/{}", pointer_token(model), field);
  if (!it->is_number()) throw InputError(file, ptr, it->dump(), "expected a number (USD per token)");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) throw InputError(file, ptr, it->dump(), "price must be >= 0 (USD per token)");
  return v * 1e6;
}

bool is_text_mode(const std::string& mode) { return mode == "chat" || mode == "completion" || mode == "responses"; }

}  // namespace

std::vector<ApiPrice> load_litellm_prices(const std::filesystem::path& path) {
  const std::string file = path.string();
  const nlohmann::json root = parse_json_text(read_input_file(path), file);
  if (!root.is_object()) throw InputError(file, "", "", "expected a JSON object mapping model name -> price entry");
  std::vector<ApiPrice> out;
  for (const auto& [model, entry] : root.items()) {
    // "sample_spec" documents the format; "last_updated" and similar top-level values are not entries.
    if (model == "sample_spec" || !entry.is_object()) continue;
    const std::string ptr = fmt::format("/{}", pointer_token(model));
    std::string mode;
    if (const auto m = entry.find("mode"); m != entry.end()) {
      if (!m->is_string()) throw InputError(file, ptr + "/mode", m->dump(), "expected text");
      mode = m->get<std::string>();
    }
    const auto input = per_mtok(entry, file, model, "input_cost_per_token");
    const auto output = per_mtok(entry, file, model, "output_cost_per_token");
    const auto cache_read = per_mtok(entry, file, model, "cache_read_input_token_cost");
    const auto cache_write = per_mtok(entry, file, model, "cache_creation_input_token_cost");
    if (!is_text_mode(mode) || !input || !output) continue;
    ApiPrice p;
    p.model = model;
    if (const auto pr = entry.find("litellm_provider"); pr != entry.end() && pr->is_string())
      p.provider = pr->get<std::string>();
    p.mode = mode;
    p.input_usd_per_mtok = *input;
    p.output_usd_per_mtok = *output;
    p.cached_input_usd_per_mtok = cache_read;
    p.cache_write_usd_per_mtok = cache_write;
    if (const auto mi = entry.find("max_input_tokens"); mi != entry.end() && mi->is_number())
      p.max_input_tokens = mi->get<long long>();
    out.push_back(std::move(p));
  }
  return out;
}

std::filesystem::path api_prices_path(const std::filesystem::path& data_dir) {
  return data_dir / "prices" / "litellm_subset_2026-07-24.json";
}

const ApiPrice* find_api_price(const std::vector<ApiPrice>& prices, std::string_view model) {
  for (const auto& p : prices)
    if (p.model == model) return &p;
  const std::string lower = to_lower(model);
  for (const auto& p : prices)
    if (to_lower(p.model) == lower) return &p;
  for (const auto& p : prices) {
    const std::string lm = to_lower(p.model);
    const auto slash = lm.rfind('/');
    if (slash != std::string::npos && lm.substr(slash + 1) == lower) return &p;
  }
  return nullptr;
}

const ApiPrice& api_price(const std::vector<ApiPrice>& prices, std::string_view model, std::string_view origin) {
  if (const ApiPrice* p = find_api_price(prices, model)) return *p;
  std::vector<std::string> names;
  for (const auto& p : prices) names.push_back(p.model);
  throw InputError(std::string(origin), "model", std::string(model),
                   "no API price for this model" + did_you_mean(model, names) + " (see `tokenmath prices`)");
}

}  // namespace tokenmath::cost
