#include "tokenmath/api/plan.hpp"

#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/scenario.hpp"
#include "tokenmath/report/plan.hpp"

namespace tokenmath::api {

std::string run_plan(const std::string& scenario_path, report::Format f) {
  const plan::Scenario s =
      scenario_path.empty() ? plan::default_scenario() : plan::load_scenario(scenario_path, plan::default_scenario());
  return report::render_plan(plan::run_plan(s), f);
}

std::string default_scenario_yaml() { return plan::scenario_to_yaml(plan::default_scenario()); }

}  // namespace tokenmath::api
