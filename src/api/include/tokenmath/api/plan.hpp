// Facade: the organisation planner.
#pragma once
#include <string>

#include "tokenmath/context.hpp"
#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/scenario.hpp"

namespace tokenmath::api {

// The plan of a scenario file whose options overlay the context's default plan ("" = the default itself).
// Throws InputError naming the file, the option and the value.
plan::PlanResult plan(const Context& ctx, const std::string& scenario_path);
// The same from YAML text (an HTTP body, a notebook cell); `name` names it in errors ("" = the default plan).
plan::PlanResult plan_text(const Context& ctx, const std::string& yaml_text, const std::string& name);
// The scenario a plan ran, as editable YAML (every option with its value, unit, range, help and source): what
// `tokenmath plan FILE` reads back.
std::string scenario_yaml(const plan::PlanResult& r);
// The default scenario as editable YAML (every option with unit, range, help and source).
std::string default_scenario_yaml(const Context& ctx);

}  // namespace tokenmath::api
