#include "tokenmath/report/schema.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace tokenmath::report {
namespace {

using nlohmann::json;

json schema_json(const schema::Schema& s) {
  json fields = json::array();
  for (const auto& f : s.fields) {
    json j{{"key", f.key}, {"type", f.type}, {"unit", f.unit}, {"default", f.default_value}, {"help", f.help}};
    j["min"] = std::isfinite(f.min) ? json(f.min) : json(nullptr);
    j["max"] = std::isfinite(f.max) ? json(f.max) : json(nullptr);
    if (f.min_exclusive) j["min_exclusive"] = true;
    if (!f.choices.empty()) j["choices"] = f.choices;
    if (f.min_items > 0) j["min_items"] = f.min_items;
    if (f.max_items != std::numeric_limits<std::size_t>::max()) j["max_items"] = f.max_items;
    fields.push_back(std::move(j));
  }
  return json{{"name", s.name}, {"file", s.file}, {"doc", s.doc}, {"fields", std::move(fields)}};
}

Table schema_table(const schema::Schema& s) {
  Table t({{"key", "key", 0}, {"type", "type", 0}, {"unit", "unit", 0}, {"default", "default", 0},
           {"range", "range", 0}, {"help", "help", 0}});
  for (const auto& f : s.fields) t.add_row({f.key, f.type, f.unit, f.default_value, f.range_text(), f.help});
  return t;
}

}  // namespace

std::string render_schema(const schema::Schema& s, Format f) {
  if (f == Format::json) return schema_json(s).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string body = schema_table(s).render(f);
  if (f == Format::csv) return body;
  if (f == Format::md) return fmt::format("### `{}`: {}\n\n{}\n\n{}", s.name, s.file, s.doc, body);
  return fmt::format("{}: {}\n{}\n\n{}", s.name, s.file, s.doc, body);
}

std::string render_schemas(const std::vector<schema::Schema>& all, Format f) {
  if (f == Format::json) {
    json arr = json::array();
    for (const auto& s : all) arr.push_back(schema_json(s));
    return arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out;
  for (const auto& s : all) out += (out.empty() ? "" : "\n") + render_schema(s, f);
  return out;
}

}  // namespace tokenmath::report
