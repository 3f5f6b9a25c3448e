// Renderers for simulation results: a summary block, a latency table and a per-replica table (table/csv), or one
// json object {scenario, summary, latency_s, replicas} whose keys carry units.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tokenmath/report/table.hpp"
#include "tokenmath/sim/scenario.hpp"
#include "tokenmath/sim/simulator.hpp"

namespace tokenmath::report {

nlohmann::json sim_json(const sim::Scenario& sc, const sim::SimResult& r);
// table: summary, latency and replica tables; csv: one "key,value" row per summary and latency figure;
// json: sim_json() pretty-printed.
std::string render_sim(const sim::Scenario& sc, const sim::SimResult& r, Format f);
// Header of the per-request CSV export and one row.
std::string sim_request_csv_header();
std::string sim_request_csv_row(const sim::RequestRecord& rec);
// `simulate --step-log`: one row per engine step of every replica.
std::string sim_step_csv_header();
std::string sim_step_csv_row(const sim::StepRecord& s);

}  // namespace tokenmath::report
