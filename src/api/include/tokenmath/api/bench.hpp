// Facade: measure a live OpenAI-compatible endpoint (`tokenmath bench`). Render with report::render_bench.
#pragma once
#include "tokenmath/loadgen/loadgen.hpp"

namespace tokenmath::api {

// Runs the load sweep of `config` (loadgen::run_bench); hooks stream records and progress to the frontend.
loadgen::BenchResult bench(const loadgen::BenchConfig& config, const loadgen::BenchHooks& hooks = {});

}  // namespace tokenmath::api
