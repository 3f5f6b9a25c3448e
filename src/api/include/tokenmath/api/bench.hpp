// Facade: measure a live OpenAI-compatible endpoint (`tokenmath bench`). Render with report::render_bench.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/loadgen/loadgen.hpp"

namespace tokenmath::api {

// Runs the load sweep of `config` (loadgen::run_bench); hooks stream records and progress to the frontend.
loadgen::BenchResult bench(const loadgen::BenchConfig& config, const loadgen::BenchHooks& hooks = {});

// A trace (the simulator's readers: format "azure" or "mooncake") as a replay schedule: times divided by
// `speedup`, lengths per row, Mooncake hash ids as shared prefix blocks of the trace's block size.
std::vector<loadgen::ScheduledRequest> bench_schedule(const std::string& path, const std::string& format,
                                                      double speedup);

}  // namespace tokenmath::api
