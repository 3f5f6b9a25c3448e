// Randomised configurations under memory pressure, with every aggregate recomputed from scratch after every
// step (check_invariants): block accounting, decode aggregates, residue classes, window sums, cache reference
// counts. Each seed draws a different mix of scheduler, eviction, chunk sizes, prefix sharing, host tier,
// sliding window and disaggregation.
#include <gtest/gtest.h>

#include <memory>

#include "tokenmath/sim/simulator.hpp"
#include "tokenmath/sim/step_timer.hpp"

using namespace tokenmath::sim;

class Stress : public ::testing::TestWithParam<int> {};

TEST_P(Stress, InvariantsAndConservationHold) {
  Rng rng(static_cast<std::uint64_t>(GetParam()), "stress-config");
  auto pick = [&](int n) { return static_cast<int>(rng.bits() % static_cast<std::uint64_t>(n)); };
  auto timer = std::make_shared<LinearStepTimer>();
  timer->base_s = 0.002 + 0.01 * rng.uniform();
  timer->per_token_s = 2e-5 * rng.uniform();
  timer->per_ctx_token_s = 1e-7 * rng.uniform();

  ReplicaConfig rc;
  rc.block_tokens = std::vector<int>{1, 4, 16, 32}[static_cast<std::size_t>(pick(4))];
  rc.kv_blocks = (3000 + pick(20000)) / rc.block_tokens;
  rc.max_batched_tokens = 256 + pick(4096);
  rc.max_num_seqs = 1 + pick(std::min(200, rc.max_batched_tokens));
  rc.chunk_tokens = 16 + pick(rc.max_batched_tokens);
  rc.prefix_caching = pick(4) != 0;
  rc.scheduler = pick(2) ? SchedulerKind::decode_first : SchedulerKind::prefill_first;
  rc.eviction = pick(2) ? EvictionKind::lru : EvictionKind::fifo;
  rc.window_tokens = pick(3) == 0 ? 64 + pick(512) : 0;
  rc.kv_bytes_per_token = 1e5;
  if (pick(3) == 0) {
    rc.host_cache_tokens = 5000 + pick(50000);
    rc.host_bytes_per_s = 2e10;
  }
  rc.timer = timer;

  SimConfig cfg;
  const bool disagg = pick(3) == 0;
  PoolSpec p;
  p.config = rc;
  p.replicas = 1 + pick(3);
  p.router = std::vector<std::string>{"round-robin", "least-outstanding-tokens", "prefix-affinity"}[static_cast<std::size_t>(pick(3))];
  if (disagg) {
    p.config.role = ReplicaRole::prefill;
    PoolSpec d = p;
    d.config.role = ReplicaRole::decode;
    d.config.kv_blocks *= 2;
    cfg.pools = {p, d};
    cfg.kv_link_bytes_per_s = 1e10;
  } else {
    cfg.pools = {p};
  }

  WorkloadSpec w;
  w.arrival.kind = pick(2) ? ArrivalSpec::Kind::poisson : ArrivalSpec::Kind::gamma;
  w.arrival.rate_per_s = 5 + 40 * rng.uniform();
  w.arrival.cv = 0.5 + 3 * rng.uniform();
  w.input_tokens = Dist{Dist::Kind::lognormal, 200 + 800 * rng.uniform(), 1.0, 1, 2500, nullptr};
  w.output_tokens = Dist{Dist::Kind::lognormal, 20 + 200 * rng.uniform(), 1.0, 1, 1000, nullptr};
  if (pick(2)) {
    w.shared_prefix_tokens = 50 + pick(1500);
    w.shared_prefix_groups = 1 + pick(20);
  }
  w.max_requests = 400;
  if (pick(4) == 0) {  // agentic sessions instead
    w.kind = WorkloadSpec::Kind::agentic;
    w.agentic.session_arrival.kind = ArrivalSpec::Kind::closed;
    w.agentic.session_arrival.concurrency = 2 + pick(8);
    w.agentic.shared_prefix_tokens = pick(2000);
    w.agentic.initial_context_tokens = Dist{Dist::Kind::uniform, 100, 2000, 1, 1e9, nullptr};
    w.agentic.turns = Dist{Dist::Kind::uniform, 1, 30, 1, 1e9, nullptr};
    w.agentic.new_tokens = Dist{Dist::Kind::lognormal, 100, 1, 1, 3000, nullptr};
    w.agentic.output_tokens = Dist{Dist::Kind::lognormal, 50, 1, 1, 500, nullptr};
    w.agentic.think_time_s = Dist{Dist::Kind::exponential, 1.0, 0, 0, 100, nullptr};
    w.agentic.max_context_tokens = 12000;
  }

  auto wl = make_workload(w, static_cast<std::uint64_t>(GetParam()));
  SimOptions opt;
  opt.check_invariants = true;
  SimResult r;
  try {
    r = simulate(cfg, *wl, opt);
  } catch (const std::exception& e) {
    FAIL() << "seed " << GetParam() << ": " << e.what();
  }
  EXPECT_EQ(r.arrived, w.max_requests);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_EQ(r.finished + r.rejected, r.arrived);
  EXPECT_EQ(r.blocks_in_use_end, 0);
  EXPECT_EQ(r.blocks_allocated, r.blocks_freed + r.blocks_cached_end);
  if (!rc.prefix_caching) {
    EXPECT_EQ(r.prefix_hit_rate, 0.0);
    EXPECT_EQ(r.blocks_cached_end, 0);
  }
  EXPECT_NEAR(r.mean_in_system, r.littles_lambda_w * r.finished / std::max<double>(1, r.arrived),
              1e-6 * r.mean_in_system + 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Stress, ::testing::Range(1, 61));
