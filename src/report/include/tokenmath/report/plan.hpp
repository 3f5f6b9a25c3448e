// Renderers for the organisation planner: the five-line answer, tables (table/md), a JSON document and a
// self-contained HTML report with inline SVG charts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenmath/plan/plan.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::report {

// The answer in five lines: demand, what to buy, annual cost of each option, break-even/payback/hybrid, and the
// quality caveat with the largest uncertainty.
std::vector<std::string> plan_answer(const plan::PlanResult& r);

// One row per model: its cheapest feasible system (or "none feasible"), owned vs same-model and reference API.
Table plan_per_model_table(const plan::PlanResult& r);
// One row per candidate (feasible first, cheapest first; infeasible ones with their reason).
Table plan_candidates_table(const plan::PlanResult& r);
// Average, busiest-hour and burst-peak rates of agent steps and of tokens by kind, and the yearly totals.
Table plan_demand_table(const plan::PlanResult& r);
// $/M by token kind for one candidate: owned, rented, the same model's hosted API, the reference API.
Table plan_token_kinds_table(const plan::PlanResult& r, const plan::Candidate& c);
// The owned fleet's yearly cost by line (capital, spares, power, facility, staff, software, total), each with its
// share, $/GPU-hour and the formula's inputs.
Table plan_owned_lines_table(const plan::PlanResult& r, const plan::Candidate& c);
// Analytic vs simulated latency, hit rate and throughput of the chosen replica (empty when not simulated).
Table plan_sim_check_table(const plan::PlanResult& r);
// Monte Carlo: P10 / P50 / P90 of annual owned cost, fleet, $/M by kind, the API; probabilities owning wins.
Table plan_uncertainty_table(const plan::PlanResult& r);
// Every scenario option (key, value, unit, source), then the catalog and price-list entries the plan used.
Table plan_assumptions_table(const plan::PlanResult& r);

// Everything the reports print, as one JSON document (figures at full precision).
nlohmann::json plan_json(const plan::PlanResult& r);

// table: the five lines, then the candidates, the chosen plan's details, sensitivity and assumptions;
// md: the same in Markdown; json: plan_json; html: plan_html.
std::string render_plan(const plan::PlanResult& r, Format f);
std::string plan_html(const plan::PlanResult& r);

}  // namespace tokenmath::report
