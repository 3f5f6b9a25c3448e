// One mechanism for declaring the keys of an input file (plan scenario, simulation scenario, cost assumptions,
// efficiency overrides): each key once, with its type, unit, default, allowed range and one line of doc. Readers
// check values against the declaration, unknown keys get "did you mean" from it, and `tokenmath schema` prints it
// (the README's option tables are generated from that output).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tokenmath::schema {

struct Field {
  std::string key;   // path in the file, dotted for nested keys ("demand.engineers")
  std::string type;  // number, integer, text, boolean, list of text, list of numbers, mapping
  std::string unit;  // "" = dimensionless or not a quantity
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;                                      // (min, max] instead of [min, max]
  std::size_t min_items = 0;                                       // lists
  std::size_t max_items = std::numeric_limits<std::size_t>::max();
  std::vector<std::string> choices;  // text: accepted values (empty = any)
  std::string default_value;         // as text; "" = required, or given by a data file (see the schema's doc)
  std::string help;                  // one line

  // Whether `v` is inside [min, max] (or (min, max]).
  bool accepts(double v) const;
  // "[0, 1]", "(0, 30]", ">= 1", "" when unbounded; choices as "a|b|c".
  std::string range_text() const;
};

struct Schema {
  std::string name;  // plan, simulate, cost, efficiency
  std::string file;  // the input it describes
  std::string doc;   // one paragraph: where defaults come from, unit conventions
  std::vector<Field> fields;

  const Field* find(std::string_view key) const;
  std::vector<std::string> keys() const;
  // Keys directly under `prefix` ("" = top level): "cluster" -> replicas, router, ... (first path segment only).
  std::vector<std::string> children(std::string_view prefix) const;
};

}  // namespace tokenmath::schema
