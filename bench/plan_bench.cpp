// Planner benchmarks. `tokenmath plan` (default scenario) must finish in <= 2 s; a 100,000-GPU plan in seconds.
//   build/<dir>/bench/tm_bench --benchmark_filter=Plan
#include <benchmark/benchmark.h>

#include "shipped.hpp"
#include "tokenmath/tokenmath.hpp"
#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/uncertainty.hpp"

namespace {

using namespace tokenmath;

// Plans `s` once per iteration and reports the GPUs of the chosen candidate.
void plan_loop(benchmark::State& state, const plan::Scenario& s) {
  long long gpus = 0;
  for (auto _ : state) {
    const plan::PlanResult r = plan::run_plan(test::shipped(), s);
    gpus = r.best() ? r.best()->gpus : 0;
    benchmark::DoNotOptimize(r.candidates.data());
  }
  state.counters["chosen_gpus"] = static_cast<double>(gpus);
}

// The planner alone on the default scenario: 5 models x 6 systems, deployment search, fleet, money, hybrid,
// 12 tornado re-plans.
void BM_PlanDefault(benchmark::State& state) { plan_loop(state, plan::default_scenario(test::shipped())); }
BENCHMARK(BM_PlanDefault)->Unit(benchmark::kMillisecond);

// What `tokenmath plan` does after start-up: load the default scenario, plan, render the table report.
void BM_PlanDefaultReport(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(report::render_plan(api::plan(test::shipped(), ""), report::Format::table));
}
BENCHMARK(BM_PlanDefaultReport)->Unit(benchmark::kMillisecond);

// An AI-factory-sized organisation: 1,000,000 engineers at the default budget, so that the cheapest candidate
// needs over 100,000 GPUs (and the dearest several million).
void BM_Plan100kGpus(benchmark::State& state) {
  plan::Scenario s = plan::default_scenario(test::shipped());
  s.engineers = 1000000;
  plan_loop(state, s);
}
BENCHMARK(BM_Plan100kGpus)->Unit(benchmark::kMillisecond);

}  // namespace

// The default plan's Monte Carlo alone (issue 13 target: 1,000 draws in <= 2 s).
void BM_PlanUncertainty1000(benchmark::State& state) {
  plan::Scenario s = plan::default_scenario(test::shipped());
  s.uncertainty_draws = 0;
  const plan::PlanResult r = plan::run_plan(test::shipped(), s);
  s.uncertainty_draws = 1000;
  for (auto _ : state) benchmark::DoNotOptimize(plan::run_uncertainty(s, r).annual_owned_usd.p50);
}
BENCHMARK(BM_PlanUncertainty1000)->Unit(benchmark::kMillisecond);

