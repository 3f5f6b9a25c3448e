// A small typed table that every listing renders through, so `--format table|json|csv` behave the same on
// every command. Cells hold text or numbers; numbers keep full precision in json/csv and are rounded in tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tokenmath::report {

enum class Format { table, json, csv, md, html };
// Parses "table", "json", "csv", "md", "html"; throws InputError(field "--format") otherwise.
Format parse_format(std::string_view s, const std::vector<Format>& allowed);

struct Column {
  std::string key;      // json/csv key, snake_case with unit suffix (e.g. "hbm_tb_s")
  std::string header;   // table header (may be the same)
  int decimals = 2;     // table rounding for numbers
};

using Cell = std::variant<std::monostate, std::string, double, long long, bool>;

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  Table& add_row(std::vector<Cell> cells);

  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  std::string to_text() const;            // aligned columns, numbers right-aligned with thousands separators
  // The same within `max_width` columns of a terminal: text cells longer than 48 characters are cut ("..."), and a
  // table still too wide is printed in column blocks, each repeating the first (key) column.
  std::string to_text(std::size_t max_width) const;
  std::string to_csv() const;             // RFC 4180 quoting
  nlohmann::json to_json() const;         // array of objects keyed by column key
  std::string to_markdown() const;
  std::string render(Format f) const;     // table|csv|json|md

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// Key/value block for "show" commands: rendered as two aligned columns, or one json object / csv of key,value.
std::string render_kv(const std::vector<std::pair<std::string, Cell>>& items, Format f);

// "12,345.68" style number formatting used in tables.
std::string format_number(double v, int decimals);
std::string csv_escape(std::string_view s);
nlohmann::json cell_to_json(const Cell& c);

}  // namespace tokenmath::report
