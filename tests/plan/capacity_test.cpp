#include <gtest/gtest.h>

#include <cmath>

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/throughput.hpp"
#include "tokenmath/plan/capacity.hpp"

using namespace tokenmath;
using namespace tokenmath::plan;

namespace {
perf::StepModel model(const std::string& model_id, const std::string& system_id, int tp) {
  const auto& cat = test::shipped().catalog;
  perf::Deployment d;
  d.model = std::make_shared<const catalog::ModelSpec>(cat.model(model_id));
  d.gpu = cat.gpu(cat.system(system_id).gpu_id);
  d.tp = tp;
  d.weight_precision = catalog::Precision::fp8;
  d.activation_precision = perf::default_activation_precision(d.weight_precision, d.gpu);
  d.kv_precision = catalog::Precision::fp8;
  d.knobs.max_num_seqs = 4096;
  return perf::StepModel(d, test::shipped().efficiency.for_gpu(d.gpu));
}
const StepShape kAgentStep{{0.04 * 126857, 0.96 * 126857, 252}, 5};
const Slo kSlo{3.0, 40};
}  // namespace

TEST(Capacity, BestPointMeetsEveryConstraintAndOneMoreDoesNot) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  const ReplicaCapacity rc = replica_capacity(m, kAgentStep, kSlo);
  ASSERT_TRUE(rc.feasible) << rc.reason;
  EXPECT_TRUE(rc.best.limit.empty());
  EXPECT_GE(rc.best.tok_s_per_user, kSlo.min_output_tok_s_per_user);
  EXPECT_LE(rc.best.ttft_s, kSlo.max_ttft_s);
  EXPECT_LE(rc.best.kv_used_fraction, 1.0);
  EXPECT_FALSE(replica_point(m, kAgentStep, kSlo, rc.best.concurrency + 1).limit.empty());
}

TEST(Capacity, TimeAttributionAddsUpToBusyTime) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  const ReplicaCapacity rc = replica_capacity(m, kAgentStep, kSlo);
  ASSERT_TRUE(rc.feasible) << rc.reason;
  const auto& b = rc.best;
  EXPECT_NEAR(b.share_fresh + b.share_cached + b.share_output, 1.0, 1e-12);
  const auto& t = kAgentStep.tokens;
  const double busy = rc.seconds_per_fresh_token * t.fresh_input + rc.seconds_per_cached_token * t.cached_input +
                      rc.seconds_per_output_token * t.output;
  EXPECT_NEAR(busy, 1.0 / b.steps_per_s, 1e-9 / b.steps_per_s);
}

TEST(Capacity, TighterSlosOrLongerPrefixHoldsNeverRaiseCapacity) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  double prev = 1e300;
  for (double tok_s : {20.0, 30.0, 40.0, 50.0}) {
    const ReplicaCapacity rc = replica_capacity(m, kAgentStep, {3.0, tok_s});
    const double sps = rc.feasible ? rc.best.steps_per_s : 0;
    EXPECT_LE(sps, prev * (1 + 1e-12)) << tok_s;
    prev = sps;
  }
  prev = 1e300;
  for (double hold : {0.0, 5.0, 30.0, 120.0}) {
    StepShape shape = kAgentStep;
    shape.prefix_hold_s = hold;
    const ReplicaCapacity rc = replica_capacity(m, shape, kSlo);
    const double sps = rc.feasible ? rc.best.steps_per_s : 0;
    EXPECT_LE(sps, prev * (1 + 1e-12)) << hold;
    prev = sps;
  }
}

TEST(Capacity, LumpyPrefillShareFollowsPoissonArrivals) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  for (std::int64_t n : {1, 4, 16}) {
    const ReplicaPoint p = replica_point(m, kAgentStep, kSlo, n);
    // Without budget saturation: p = 1 - exp(-N/S) and the chunks carry all prefill tokens.
    const double expected_share = 1.0 - std::exp(-static_cast<double>(n) / p.iterations_per_step);
    if (p.prefill_chunk_tokens < 8192 * 1.0 - p.decode_seqs) {
      EXPECT_NEAR(p.prefill_iteration_share, expected_share, 1e-12);
    }
    EXPECT_NEAR(p.prefill_iteration_share * p.prefill_chunk_tokens, p.prefill_tokens, 1e-9 * p.prefill_tokens);
  }
}

TEST(Capacity, ModelThatDoesNotFitIsInfeasibleWithTheMemoryReason) {
  const auto m = model("deepseek-v3", "hgx-h100", 8);
  const ReplicaCapacity rc = replica_capacity(m, kAgentStep, kSlo);
  EXPECT_FALSE(rc.feasible);
  EXPECT_NE(rc.reason.find("weights"), std::string::npos) << rc.reason;
}
