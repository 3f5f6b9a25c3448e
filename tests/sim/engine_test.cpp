// Engine tests with a hand-computable step timer: exact timings of single requests, chunked prefill, conservation
// of requests and KV blocks under memory pressure, prefix caching, routing, disaggregation and determinism.
#include <gtest/gtest.h>

#include <memory>

#include "tokenmath/sim/simulator.hpp"
#include "tokenmath/sim/step_timer.hpp"
#include "tokenmath/sim/workload.hpp"

using namespace tokenmath::sim;

namespace {

std::shared_ptr<LinearStepTimer> timer(double base_s, double per_token_s = 0) {
  auto t = std::make_shared<LinearStepTimer>();
  t->base_s = base_s;
  t->per_token_s = per_token_s;
  return t;
}

SimConfig one_replica(std::int64_t kv_blocks, std::shared_ptr<const StepTimer> t, int replicas = 1) {
  SimConfig c;
  PoolSpec p;
  p.replicas = replicas;
  p.config.kv_blocks = kv_blocks;
  p.config.block_tokens = 16;
  p.config.max_batched_tokens = 2048;
  p.config.max_num_seqs = 64;
  p.config.chunk_tokens = 2048;
  p.config.timer = std::move(t);
  c.pools.push_back(p);
  return c;
}

WorkloadSpec fixed_workload(int in, int out, double rate, std::int64_t n) {
  WorkloadSpec w;
  w.arrival.kind = ArrivalSpec::Kind::poisson;
  w.arrival.rate_per_s = rate;
  w.input_tokens = Dist::fixed(in);
  w.output_tokens = Dist::fixed(out);
  w.max_requests = n;
  return w;
}

SimResult run(const SimConfig& c, const WorkloadSpec& w, std::uint64_t seed = 1,
              std::vector<RequestRecord>* records = nullptr) {
  auto wl = make_workload(w, seed);
  SimOptions opt;
  opt.check_invariants = true;
  if (records) opt.on_request = [records](const RequestRecord& r) { records->push_back(r); };
  return simulate(c, *wl, opt);
}

}  // namespace

TEST(Engine, SingleRequestTimingIsExact) {
  // One request of 100 prompt tokens and 5 output tokens; step = 10 ms + 0.1 ms per token.
  // Prefill step: 10 + 100*0.1 = 20 ms -> first token. Then 4 decode steps of 10.1 ms.
  auto c = one_replica(1000, timer(0.010, 0.0001));
  WorkloadSpec w = fixed_workload(100, 5, 1.0, 1);
  std::vector<RequestRecord> recs;
  SimResult r = run(c, w, 1, &recs);
  ASSERT_EQ(r.finished, 1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_NEAR(recs[0].ttft_s, 0.020, 1e-9);
  EXPECT_NEAR(recs[0].e2e_s, 0.020 + 4 * 0.0101, 1e-9);
  EXPECT_NEAR(recs[0].tpot_s, 0.0101, 1e-9);
  EXPECT_NEAR(r.itl_s.mean, 0.0101, 1e-9);
  EXPECT_EQ(r.itl_s.count, 4);
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(r.blocks_allocated, r.blocks_freed);
  EXPECT_EQ(r.blocks_in_use_end, 0);
}

TEST(Engine, SpeculativeDecodingEmitsTheAcceptanceLengthPerStep) {
  // Same request as above with a = 2.5 tokens accepted per step: the 4 tokens after the first take
  // ceil(4 / 2.5) = 2 decode steps; TPOT = 2 steps / 4 tokens.
  auto c = one_replica(1000, timer(0.010, 0.0001));
  c.pools[0].config.decode_tokens_per_step = 2.5;
  c.pools[0].config.decode_budget_tokens = 3;
  WorkloadSpec w = fixed_workload(100, 5, 1.0, 1);
  std::vector<RequestRecord> recs;
  SimResult r = run(c, w, 1, &recs);
  ASSERT_EQ(r.finished, 1);
  EXPECT_EQ(r.steps, 3);
  EXPECT_NEAR(recs[0].e2e_s, 0.020 + 2 * 0.0101, 1e-9);
  EXPECT_NEAR(recs[0].tpot_s, 2 * 0.0101 / 4, 1e-9);
  EXPECT_EQ(r.output_tokens, 5);
  EXPECT_EQ(r.blocks_allocated, r.blocks_freed);
  // Many requests under memory pressure keep every invariant (checked each step) and finish.
  auto big = one_replica(400, timer(0.005, 0.00001));
  big.pools[0].config.decode_tokens_per_step = 1.9;
  big.pools[0].config.decode_budget_tokens = 2;
  SimResult rb = run(big, fixed_workload(300, 120, 200.0, 300), 5);
  EXPECT_EQ(rb.finished, 300);
  EXPECT_EQ(rb.output_tokens, 300 * 120);
}

// KV pressure: long prompts in a small pool. Per-chunk admission (vLLM v1) admits on the first chunk and then
// preempts and recomputes; reserving the whole prompt with a watermark (vLLM v0 / Sarathi / Vidur) admits fewer
// and thrashes far less; guaranteed-no-evict (TensorRT-LLM) never preempts. Every policy keeps the invariants
// (checked each step) and finishes every request.
TEST(Engine, AdmissionPoliciesUnderKvPressure) {
  auto run_with = [](AdmissionKind a) {
    auto c = one_replica(900, timer(0.004, 0.00002));
    c.pools[0].config.chunk_tokens = 512;
    c.pools[0].config.max_batched_tokens = 512;
    c.pools[0].config.admission = a;
    c.pools[0].config.admission_watermark = 0.01;
    return run(c, fixed_workload(3000, 400, 30.0, 200), 11);
  };
  const SimResult chunk = run_with(AdmissionKind::per_chunk);
  const SimResult reserve = run_with(AdmissionKind::reserve_full_prompt);
  const SimResult conservative = run_with(AdmissionKind::conservative);
  const SimResult no_evict = run_with(AdmissionKind::guaranteed_no_evict);
  for (const SimResult* r : {&chunk, &reserve, &conservative, &no_evict}) {
    EXPECT_EQ(r->finished, 200);
    EXPECT_EQ(r->blocks_allocated, r->blocks_freed);
  }
  EXPECT_GT(chunk.preemptions, 0);
  EXPECT_LT(reserve.preemptions, chunk.preemptions);
  EXPECT_LE(conservative.preemptions, chunk.preemptions);
  EXPECT_EQ(no_evict.preemptions, 0);
}

// Swap preemption: a decoding sequence's KV goes to the host tier and comes back instead of being recomputed, so
// the same KV-pressure run prefills fewer tokens; the copies cost host-link time; every invariant holds.
TEST(Engine, SwapPreemptionParksKvOnTheHostInsteadOfRecomputing) {
  auto run_with = [](bool swap, std::vector<RequestRecord>* recs) {
    auto c = one_replica(900, timer(0.004, 0.00002));
    c.pools[0].config.chunk_tokens = 512;
    c.pools[0].config.max_batched_tokens = 512;
    c.pools[0].config.host_cache_tokens = 1e6;
    c.pools[0].config.host_bytes_per_s = 50e9;
    c.pools[0].config.kv_bytes_per_token = 160e3;
    c.pools[0].config.swap_preemption = swap;
    // Short prompts, long outputs: the pool runs out while sequences decode, so decoders are preempted.
    return run(c, fixed_workload(300, 1500, 30.0, 200), 11, recs);
  };
  std::vector<RequestRecord> a, b;
  const SimResult recompute = run_with(false, &a);
  const SimResult swap = run_with(true, &b);
  EXPECT_EQ(recompute.finished, 200);
  EXPECT_EQ(swap.finished, 200);
  ASSERT_GT(recompute.preemptions, 0);
  EXPECT_EQ(recompute.swapped_out, 0);
  EXPECT_GT(swap.swapped_out, 0);
  EXPECT_LE(swap.swapped_out, swap.preemptions);
  EXPECT_LT(swap.replicas[0].prefill_tokens, recompute.replicas[0].prefill_tokens);
  EXPECT_EQ(swap.blocks_allocated, swap.blocks_freed);
  EXPECT_EQ(swap.output_tokens, 200.0 * 1500);
}

TEST(Engine, ChunkedPrefillSplitsLongPrompts) {
  // 5000-token prompt with a 2048-token budget: chunks 2048, 2048, 904 -> three prefill steps.
  auto c = one_replica(10000, timer(0.010, 0.0));
  WorkloadSpec w = fixed_workload(5000, 2, 1.0, 1);
  std::vector<RequestRecord> recs;
  SimResult r = run(c, w, 1, &recs);
  ASSERT_EQ(r.finished, 1);
  EXPECT_NEAR(recs[0].ttft_s, 0.030, 1e-9);
  EXPECT_EQ(r.steps, 4);
  EXPECT_EQ(r.replicas[0].prefill_tokens, 5000);
  EXPECT_EQ(r.replicas[0].decode_tokens, 1);
}

TEST(Engine, ConservationUnderMemoryPressure) {
  // KV for ~2.5 requests of 600+400 tokens while 40 arrive quickly: preemption by recompute must occur, and
  // every request still finishes with all blocks returned.
  auto c = one_replica(160, timer(0.005, 0.00001));
  WorkloadSpec w = fixed_workload(600, 400, 50.0, 40);
  w.input_tokens = Dist{Dist::Kind::uniform, 100, 900, 1, 1e9, nullptr};
  SimResult r = run(c, w, 7);
  EXPECT_EQ(r.arrived, 40);
  EXPECT_EQ(r.finished + r.unfinished + r.rejected, r.arrived);
  EXPECT_EQ(r.finished, 40);
  EXPECT_GT(r.preemptions, 0);
  EXPECT_EQ(r.blocks_in_use_end, 0);
  EXPECT_EQ(r.blocks_cached_end, 0);  // no chunks: nothing is cached
  EXPECT_EQ(r.blocks_allocated, r.blocks_freed);
}

TEST(Engine, OversizedRequestIsRejectedNotLost) {
  auto c = one_replica(10, timer(0.01));
  WorkloadSpec w = fixed_workload(1000, 10, 1.0, 3);
  SimResult r = run(c, w);
  EXPECT_EQ(r.arrived, 3);
  EXPECT_EQ(r.rejected, 3);
  EXPECT_EQ(r.finished, 0);
}

TEST(Engine, SharedPrefixHitsOnlyWithCaching) {
  auto c = one_replica(4000, timer(0.005, 0.00001));
  WorkloadSpec w = fixed_workload(200, 20, 5.0, 200);
  w.shared_prefix_tokens = 1000;
  w.shared_prefix_groups = 2;
  SimResult on = run(c, w, 3);
  EXPECT_EQ(on.finished, 200);
  // All but the first request of each group find 1000 of 1200 prompt tokens cached (concurrent first requests
  // of a group may both miss).
  EXPECT_GT(on.prefix_hit_rate, 0.95 * 1000.0 / 1200.0);
  EXPECT_LE(on.prefix_hit_rate, 1000.0 / 1200.0 + 1e-12);
  EXPECT_EQ(on.blocks_in_use_end, 0);
  EXPECT_EQ(on.blocks_allocated, on.blocks_freed + on.blocks_cached_end);

  c.pools[0].config.prefix_caching = false;
  SimResult off = run(c, w, 3);
  EXPECT_EQ(off.prefix_hit_rate, 0.0);
  EXPECT_EQ(off.blocks_cached_end, 0);
  EXPECT_EQ(off.blocks_allocated, off.blocks_freed);
  EXPECT_GT(off.ttft_s.mean, on.ttft_s.mean);
}

TEST(Engine, SameSeedSameResultDifferentSeedDifferent) {
  auto c = one_replica(2000, timer(0.005, 0.00002), 3);
  WorkloadSpec w = fixed_workload(300, 50, 40.0, 300);
  w.input_tokens = Dist{Dist::Kind::lognormal, 300, 0.8, 1, 4000, nullptr};
  SimResult a = run(c, w, 11), b = run(c, w, 11), d = run(c, w, 12);
  EXPECT_EQ(a.ttft_s.mean, b.ttft_s.mean);
  EXPECT_EQ(a.e2e_s.p99, b.e2e_s.p99);
  EXPECT_EQ(a.events, b.events);
  EXPECT_NE(a.ttft_s.mean, d.ttft_s.mean);
}

TEST(Engine, LittlesLawHolds) {
  auto c = one_replica(3000, timer(0.004, 0.00002), 2);
  WorkloadSpec w = fixed_workload(400, 100, 20.0, 2000);
  SimResult r = run(c, w, 5);
  ASSERT_EQ(r.finished, 2000);
  EXPECT_NEAR(r.mean_in_system, r.littles_lambda_w, 0.01 * r.mean_in_system);
}
