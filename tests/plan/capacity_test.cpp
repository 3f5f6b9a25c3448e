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
const StepShape kAgentStep{{0.04 * 126857, 0.96 * 126857, 252}, {}};
// The default scenario's TraceLab retention curve (data/plan/default.yaml), no host tier.
StepShape retained(double host_gb_per_gpu) {
  StepShape s = kAgentStep;
  s.retention.storage_ratio = {0, 0.74, 1.9, 5.07};
  s.retention.prefill_amplification = {130, 18.9, 7.4, 1.8};
  s.retention.api_amplification = 5.5;
  s.retention.host_kv_bytes_per_gpu = host_gb_per_gpu * 1e9;
  s.retention.host_link_bytes_per_s = 63e9;
  return s;
}
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

TEST(Capacity, TighterSlosNeverRaiseCapacity) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  double prev = 1e300;
  for (double tok_s : {20.0, 30.0, 40.0, 50.0}) {
    const ReplicaCapacity rc = replica_capacity(m, kAgentStep, {3.0, tok_s});
    const double sps = rc.feasible ? rc.best.steps_per_s : 0;
    EXPECT_LE(sps, prev * (1 + 1e-12)) << tok_s;
    prev = sps;
  }
}

TEST(Capacity, RetentionCurveInterpolatesAndHoldsBeyondItsEnds) {
  const PrefixRetention r = retained(0).retention;
  EXPECT_DOUBLE_EQ(r.amplification(0), 130);
  EXPECT_DOUBLE_EQ(r.amplification(0.74), 18.9);
  EXPECT_NEAR(r.amplification((0.74 + 1.9) / 2), (18.9 + 7.4) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(r.amplification(100), 1.8);
  EXPECT_DOUBLE_EQ(PrefixRetention{}.amplification(3), 1.0);  // no curve: the API's own
}

TEST(Capacity, OwnedMissesFollowTheRoomLeftForIdleSessions) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  const StepShape shape = retained(0);
  const double context = shape.tokens.input(), o = shape.tokens.output;
  for (std::int64_t n : {2, 8, 32}) {
    const ReplicaPoint p = replica_point(m, shape, kSlo, n);
    const double active = perf::kv_tokens_per_seq(m, perf::LengthMoments::fixed(context, o));
    const double room = m.memory().kv_bytes_per_gpu - static_cast<double>(n) * m.kv_bytes_per_seq_per_gpu(active);
    const double r = std::max(0.0, room) / m.kv_bytes_per_seq_per_gpu(context + o) / static_cast<double>(n);
    EXPECT_NEAR(p.idle_storage_ratio, r, 1e-9 * r) << n;
    const double fresh = std::min(context, shape.tokens.fresh_input * shape.retention.amplification(r) / 5.5);
    EXPECT_NEAR(p.tokens.fresh_input, fresh, 1e-6) << n;
    EXPECT_NEAR(p.cache_hit_rate, 1 - fresh / context, 1e-12) << n;
    EXPECT_DOUBLE_EQ(p.host_hit_tokens, 0) << n;  // no host tier
  }
  // More sequences leave less room: the hit rate falls with concurrency.
  EXPECT_GT(replica_point(m, shape, kSlo, 4).cache_hit_rate, replica_point(m, shape, kSlo, 40).cache_hit_rate);
}

TEST(Capacity, HostTierRaisesHitRateAndCapacityAndCostsReloadTime) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  const double pool = m.memory().kv_bytes_per_gpu;
  double prev_sps = 0, prev_hit = 0;
  for (double host_gb : {0.0, 0.5 * pool / 1e9, 2 * pool / 1e9, 8 * pool / 1e9}) {
    const ReplicaCapacity rc = replica_capacity(m, retained(host_gb), kSlo);
    ASSERT_TRUE(rc.feasible) << host_gb << ": " << rc.reason;
    EXPECT_GE(rc.best.steps_per_s, prev_sps * (1 - 1e-12)) << host_gb;
    prev_sps = rc.best.steps_per_s;
    const ReplicaPoint p = replica_point(m, retained(host_gb), kSlo, 16);
    EXPECT_GE(p.cache_hit_rate, prev_hit - 1e-12) << host_gb;
    prev_hit = p.cache_hit_rate;
    // The tier is inclusive: smaller than the HBM pool it adds nothing; larger, it serves hits that cost reloads.
    EXPECT_EQ(p.host_hit_tokens > 0, host_gb * 1e9 > pool) << host_gb;
    EXPECT_EQ(p.host_reload_s > 0, host_gb * 1e9 > pool) << host_gb;
  }
  // The owned fleet never hits more than an eviction-free cache would (amplification >= 1 x the fresh floor).
  const ReplicaPoint p = replica_point(m, retained(1e6), kSlo, 1);
  EXPECT_NEAR(p.tokens.fresh_input, kAgentStep.tokens.fresh_input * 1.8 / 5.5, 1e-6);
}

TEST(Capacity, WithRetentionBestIsTheMostStepsPerSecondAmongFeasiblePoints) {
  const auto m = model("llama-3.3-70b", "hgx-h200", 8);
  const StepShape shape = retained(0);
  const ReplicaCapacity rc = replica_capacity(m, shape, kSlo);
  ASSERT_TRUE(rc.feasible) << rc.reason;
  for (std::int64_t n = 1; n <= rc.best.concurrency * 2; ++n) {
    const ReplicaPoint p = replica_point(m, shape, kSlo, n);
    if (p.limit.empty()) {
      EXPECT_LE(p.steps_per_s, rc.best.steps_per_s * 1.02) << n;  // 5% grid: within 2%
    }
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
