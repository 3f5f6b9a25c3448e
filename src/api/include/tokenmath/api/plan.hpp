// Facade: the organisation planner (`tokenmath plan`).
#pragma once
#include <string>

#include "tokenmath/context.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::api {
// Runs a scenario and renders the report. `scenario_path` empty = the built-in default
// (data/plan/default.yaml); otherwise the file's options overlay the default. Formats: table (five-line answer,
// then tables), json, md, html (self-contained, inline SVG charts).
std::string run_plan(const Context& ctx, const std::string& scenario_path, report::Format f);
// The built-in default scenario as editable YAML (every option with unit, range, help and source).
std::string default_scenario_yaml(const Context& ctx);
}  // namespace tokenmath::api
