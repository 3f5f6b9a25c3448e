// Step-model evaluations per second: a typical mixed batch (decode sequences at assorted contexts plus one
// prefill chunk) for a dense GQA model (Llama-3.1-70B, TP4 H100, fp8) and an MoE model (Qwen3-30B-A3B, DEP2).
#include <benchmark/benchmark.h>

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/step.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace {
using namespace tokenmath;

perf::StepModel make(const char* model, const char* gpu, int tp, bool dp) {
  const auto& cat = test::shipped().catalog;
  perf::Deployment d;
  d.model = std::make_shared<const catalog::ModelSpec>(cat.model(model));
  d.gpu = cat.gpu(gpu);
  d.tp = tp;
  d.ep = dp ? tp : 1;
  d.attention_dp = dp;
  d.weight_precision = d.activation_precision = d.kv_precision = catalog::Precision::fp8;
  return perf::StepModel(d, test::shipped().efficiency.for_gpu(d.gpu));
}

perf::BatchSummary mixed(const perf::StepModel& sm) {
  perf::BatchSummary b;
  sm.add_decode(b, 1500, 100);
  sm.add_decode(b, 6000, 28);
  sm.add_prefill(b, 2048, 1024);
  return b;
}

void BM_StepDense(benchmark::State& state) {
  const auto sm = make("llama-3.1-70b", "h100-sxm", 4, false);
  perf::BatchSummary b = mixed(sm);
  for (auto _ : state) {
    b.decode_seqs ^= 1;  // vary the input so the call is not hoisted
    benchmark::DoNotOptimize(sm.step_s(b));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StepDense);

void BM_StepMoeDep(benchmark::State& state) {
  const auto sm = make("qwen3-30b-a3b", "h100-sxm", 2, true);
  perf::BatchSummary b = mixed(sm);
  for (auto _ : state) {
    b.decode_seqs ^= 1;
    benchmark::DoNotOptimize(sm.step_s(b));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StepMoeDep);

void BM_Frontier(benchmark::State& state) {
  const auto sm = make("llama-3.1-70b", "h100-sxm", 4, false);
  for (auto _ : state) benchmark::DoNotOptimize(perf::frontier(sm, 1000, 1000));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Frontier);

// `tokenmath perf --model deepseek-r1 --gpu b200 --min-tok-s-user 50`: the whole deployment search (TP/EP/DEP,
// wide EP, xPyD groups, speculative drafts, precisions) and the interactivity search over it. Goal: <= 1 s.
void BM_SearchAtInteractivity(benchmark::State& state) {
  const auto& cat = test::shipped().catalog;
  perf::SearchRequest req;
  req.model = std::make_shared<const catalog::ModelSpec>(cat.model("deepseek-r1"));
  req.gpu = cat.gpu("b200");
  req.engine = "trtllm-pytorch";
  req.spec_options = test::shipped().speculative.search_options(*req.model);
  const auto& eff = test::shipped().efficiency;
  for (auto _ : state) {
    const auto opts = perf::search_deployments(req, eff);
    benchmark::DoNotOptimize(perf::best_option_at_interactivity(opts, eff, req.isl, req.osl, 50));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SearchAtInteractivity)->Unit(benchmark::kMillisecond);
}  // namespace
