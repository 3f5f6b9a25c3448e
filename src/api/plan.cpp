#include "tokenmath/api/plan.hpp"

#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/scenario.hpp"
#include "tokenmath/report/plan.hpp"

namespace tokenmath::api {

std::string run_plan(const Context& ctx, const std::string& scenario_path, report::Format f) {
  const plan::Scenario base = plan::default_scenario(ctx);
  const plan::Scenario s = scenario_path.empty() ? base : plan::load_scenario(scenario_path, base);
  return report::render_plan(plan::run_plan(ctx, s), f);
}

std::string default_scenario_yaml(const Context& ctx) { return plan::scenario_to_yaml(plan::default_scenario(ctx)); }

}  // namespace tokenmath::api
