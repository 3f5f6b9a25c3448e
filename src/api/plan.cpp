#include "tokenmath/api/plan.hpp"

namespace tokenmath::api {

plan::PlanResult plan(const Context& ctx, const std::string& scenario_path) {
  const plan::Scenario base = plan::default_scenario(ctx);
  const plan::Scenario s = scenario_path.empty() ? base : plan::load_scenario(scenario_path, base);
  return plan::run_plan(ctx, s);
}

plan::PlanResult plan_text(const Context& ctx, const std::string& yaml_text, const std::string& name) {
  const plan::Scenario base = plan::default_scenario(ctx);
  if (yaml_text.empty()) return plan::run_plan(ctx, base);
  return plan::run_plan(ctx, plan::parse_scenario(yaml_text, name.empty() ? "<request body>" : name, base));
}

std::string scenario_yaml(const plan::PlanResult& r) { return plan::scenario_to_yaml(r.scenario); }

std::string default_scenario_yaml(const Context& ctx) { return plan::scenario_to_yaml(plan::default_scenario(ctx)); }

}  // namespace tokenmath::api
