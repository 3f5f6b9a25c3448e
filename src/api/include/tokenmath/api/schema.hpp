// Facade: the declared schema of each input file (`tokenmath schema [plan|simulate|cost|efficiency]`).
#pragma once
#include <string>
#include <vector>

#include "tokenmath/common/schema.hpp"
#include "tokenmath/context.hpp"

namespace tokenmath::api {
// The names `schema` accepts, in display order.
std::vector<std::string> schema_names();
// One schema by name, defaults filled from the context's data (the shipped plan, costs.yaml, efficiency.yaml).
// Throws InputError (field "schema") for an unknown name.
schema::Schema input_schema(const Context& ctx, const std::string& name);
}  // namespace tokenmath::api
