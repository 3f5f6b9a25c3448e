#include "tokenmath/report/table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tokenmath/common/error.hpp"

namespace tokenmath::report {

Format parse_format(std::string_view s, const std::vector<Format>& allowed) {
  static const std::vector<std::pair<std::string, Format>> names = {
      {"table", Format::table}, {"json", Format::json}, {"csv", Format::csv}, {"md", Format::md}, {"html", Format::html}};
  std::vector<std::string> ok;
  for (const auto& [n, f] : names) {
    if (std::find(allowed.begin(), allowed.end(), f) == allowed.end()) continue;
    ok.push_back(n);
    if (to_lower(s) == n) return f;
  }
  std::string list;
  for (const auto& n : ok) list += (list.empty() ? "" : "|") + n;
  throw InputError(kRequest, "`format`", std::string(s), "unknown format; expected " + list);
}

std::string format_number(double v, int decimals) {
  if (!std::isfinite(v)) return std::isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf");
  std::string s = fmt::format("{:.{}f}", std::fabs(v), decimals);
  auto dot = s.find('.');
  std::string intpart = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot);
  std::string grouped;
  for (std::size_t i = 0; i < intpart.size(); ++i) {
    if (i && (intpart.size() - i) % 3 == 0) grouped += ',';
    grouped += intpart[i];
  }
  const bool negative = v < 0 && std::stod(s) != 0.0;
  return (negative ? "-" : "") + grouped + frac;
}

std::string csv_escape(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

nlohmann::json cell_to_json(const Cell& c) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
        else if constexpr (std::is_same_v<T, double>) return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
        else return v;
      },
      c);
}

namespace {
std::string cell_text(const Cell& c, int decimals) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "-";
        else if constexpr (std::is_same_v<T, std::string>) return v;
        else if constexpr (std::is_same_v<T, double>) return format_number(v, decimals);
        else if constexpr (std::is_same_v<T, long long>) return format_number(static_cast<double>(v), 0);
        else return v ? "yes" : "no";
      },
      c);
}
std::string cell_raw(const Cell& c) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "";
        else if constexpr (std::is_same_v<T, std::string>) return v;
        else if constexpr (std::is_same_v<T, double>) return std::isfinite(v) ? fmt::format("{}", v) : "";
        else if constexpr (std::is_same_v<T, long long>) return std::to_string(v);
        else return v ? "true" : "false";
      },
      c);
}
bool is_numeric(const Cell& c) { return std::holds_alternative<double>(c) || std::holds_alternative<long long>(c); }
}  // namespace

Table& Table::add_row(std::vector<Cell> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
  return *this;
}

std::string Table::to_text() const { return to_text(0); }

// max_width 0: no limit (one block, cells whole, the header padded to the full width as it always was).
std::string Table::to_text(std::size_t max_width) const {
  const bool limited = max_width > 0;
  if (columns_.empty()) return "\n\n" + std::string(rows_.size(), '\n');
  constexpr std::size_t kMaxText = 48;
  std::vector<std::size_t> width(columns_.size());
  std::vector<std::vector<std::string>> text;
  for (std::size_t j = 0; j < columns_.size(); ++j) width[j] = columns_[j].header.size();
  for (const auto& row : rows_) {
    auto& t = text.emplace_back();
    for (std::size_t j = 0; j < columns_.size(); ++j) {
      std::string c = cell_text(row[j], columns_[j].decimals);
      if (limited && !is_numeric(row[j]) && c.size() > kMaxText) c = c.substr(0, kMaxText - 3) + "...";
      width[j] = std::max(width[j], c.size());
      t.push_back(std::move(c));
    }
  }
  // Column blocks: the key column, then as many others as fit.
  std::vector<std::vector<std::size_t>> blocks;
  std::vector<std::size_t> cur = {0};
  std::size_t used = width[0];
  for (std::size_t j = 1; j < columns_.size(); ++j) {
    if (limited && cur.size() > 1 && used + 2 + width[j] > max_width) {
      blocks.push_back(cur);
      cur = {0};
      used = width[0];
    }
    cur.push_back(j);
    used += 2 + width[j];
  }
  blocks.push_back(cur);
  std::string out;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    if (b) out += "\n";
    const auto& cols = blocks[b];
    for (std::size_t k = 0; k < cols.size(); ++k)
      out += (k ? "  " : "") + fmt::format("{:<{}}", columns_[cols[k]].header, width[cols[k]]);
    if (limited)
      while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
    for (std::size_t k = 0; k < cols.size(); ++k) out += (k ? "  " : "") + std::string(width[cols[k]], '-');
    out += "\n";
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      for (std::size_t k = 0; k < cols.size(); ++k) {
        const std::size_t j = cols[k];
        const bool right = is_numeric(rows_[i][j]);
        out += (k ? "  " : "") +
               (right ? fmt::format("{:>{}}", text[i][j], width[j]) : fmt::format("{:<{}}", text[i][j], width[j]));
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += "\n";
    }
  }
  return out;
}

std::string Table::to_csv() const {
  std::string out;
  for (std::size_t j = 0; j < columns_.size(); ++j) out += (j ? "," : "") + csv_escape(columns_[j].key);
  out += "\n";
  for (const auto& row : rows_) {
    for (std::size_t j = 0; j < columns_.size(); ++j) out += (j ? "," : "") + csv_escape(cell_raw(row[j]));
    out += "\n";
  }
  return out;
}

nlohmann::json Table::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& row : rows_) {
    nlohmann::json obj = nlohmann::json::object();
    for (std::size_t j = 0; j < columns_.size(); ++j) obj[columns_[j].key] = cell_to_json(row[j]);
    arr.push_back(std::move(obj));
  }
  return arr;
}

std::string Table::to_markdown() const {
  std::string out = "|";
  for (const auto& c : columns_) out += " " + c.header + " |";
  out += "\n|";
  for (std::size_t j = 0; j < columns_.size(); ++j) out += "---|";
  out += "\n";
  for (const auto& row : rows_) {
    out += "|";
    for (std::size_t j = 0; j < columns_.size(); ++j) out += " " + cell_text(row[j], columns_[j].decimals) + " |";
    out += "\n";
  }
  return out;
}

std::string Table::render(Format f) const {
  switch (f) {
    case Format::json: return to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    case Format::csv: return to_csv();
    case Format::md: return to_markdown();
    default: return to_text();
  }
}

std::string render_kv(const std::vector<std::pair<std::string, Cell>>& items, Format f) {
  if (f == Format::json) {
    nlohmann::json obj = nlohmann::json::object();
    for (const auto& [k, v] : items) obj[k] = cell_to_json(v);
    return obj.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  Table t({{"field", "field"}, {"value", "value", 4}});
  for (const auto& [k, v] : items) t.add_row({k, v});
  return t.render(f);
}

}  // namespace tokenmath::report
