// Renders an input schema (`tokenmath schema NAME`): one row per key with type, unit, default, range and help.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/common/schema.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::report {
// table|csv|md: a header line (name, file, doc) then the key table; json: {name, file, doc, fields: [...]}, each
// field with key, type, unit, default, min, max (null when unbounded), choices, help.
std::string render_schema(const schema::Schema& s, Format f);
// Several schemas: one after another (json: an array).
std::string render_schemas(const std::vector<schema::Schema>& all, Format f);
}  // namespace tokenmath::report
