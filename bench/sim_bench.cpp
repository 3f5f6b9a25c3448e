// Simulator speed on the benchmark scenario (16 x Llama-3.1-70B TP4 H100, Azure-conversation lengths, Poisson at
// 90% of modelled capacity). Reports simulated requests/s (items_per_second) and events/s.
//   build/<dir>/bench/tm_bench --benchmark_filter=Sim
#include <benchmark/benchmark.h>

#include <filesystem>

#include "shipped.hpp"
#include "tokenmath/sim/scenario.hpp"

namespace {

const tokenmath::sim::Scenario& bench_scenario() {
  static const tokenmath::sim::Scenario sc = tokenmath::sim::load_scenario(::tokenmath::test::shipped(), 
      std::filesystem::path(TOKENMATH_SOURCE_DIR) / "data/scenarios/bench_16x_llama70b_tp4_h100.yaml");
  return sc;
}

void BM_SimBenchScenario(benchmark::State& state) {
  tokenmath::sim::Scenario sc = bench_scenario();
  sc.workload.max_requests = state.range(0);
  std::int64_t events = 0, requests = 0;
  for (auto _ : state) {
    auto wl = tokenmath::sim::make_workload(sc.workload, sc.seed);
    const auto r = tokenmath::sim::simulate(sc.config, *wl);
    events += r.events;
    requests += r.arrived;
    benchmark::DoNotOptimize(r.ttft_s.mean);
  }
  state.SetItemsProcessed(requests);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimBenchScenario)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimBenchScenario)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
