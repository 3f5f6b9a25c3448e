#include "tokenmath/api/schema.hpp"

#include "tokenmath/api/perf.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/cost/assumptions.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/plan/scenario.hpp"
#include "tokenmath/sim/scenario.hpp"

namespace tokenmath::api {

std::vector<std::string> schema_names() { return {"plan", "simulate", "cost", "efficiency", "perf"}; }

schema::Schema input_schema(const Context& ctx, const std::string& name) {
  if (name == "plan") return plan::plan_schema(plan::default_scenario(ctx));
  if (name == "simulate") return sim::scenario_schema();
  if (name == "cost") return cost::cost_schema(ctx.costs);
  if (name == "efficiency") return perf::efficiency_schema(ctx.efficiency);
  if (name == "perf") return perf_request_schema();
  throw InputError("<request>", "schema", name, "unknown input" + did_you_mean(name, schema_names()) +
                                                   " (plan, simulate, cost, efficiency, perf)");
}

}  // namespace tokenmath::api
