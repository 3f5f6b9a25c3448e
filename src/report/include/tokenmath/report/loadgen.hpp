// Renderers for `tokenmath bench` (loadgen::BenchResult): a summary per load level (table/json/csv), raw request
// records as JSON lines, and rows in the validation CSV format of data/validation/published.csv.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tokenmath/loadgen/loadgen.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::report {

nlohmann::json bench_json(const loadgen::BenchResult& r);
// table: one row per level (latencies in ms) plus warnings; csv: the same rows; json: bench_json pretty-printed.
std::string render_bench(const loadgen::BenchResult& r, Format f);
// One JSON object per line (no newline inside): send, end and chunk times in wall seconds since the run's start.
std::string bench_request_jsonl(const loadgen::RequestRecord& rec);

// What the endpoint runs, for the validation rows (the endpoint does not say): names the catalog resolves.
struct BenchDeployment {
  std::string source = "tokenmath bench";
  std::string engine;     // e.g. an engine profile name of data/perf/engines.yaml
  std::string model;      // "" = the model name sent
  std::string precision;  // weights, e.g. BF16
  std::string gpu;
  int num_gpus = 1, tp = 1, pp = 1, ep = 1;
  std::string notes;      // appended to each row's notes
};
// Header + for every completed level: output_tokens_per_s_total, ttft_ms, tpot_ms, itl_ms, e2e_s (means) and
// tokens_per_s_per_user (1 / mean TPOT), at the level's concurrency.
std::string bench_validation_csv(const loadgen::BenchResult& r, const BenchDeployment& d);

}  // namespace tokenmath::report
