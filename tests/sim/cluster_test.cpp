// Cluster-level behaviour: prefix caching against an independently computed ideal, routing policies, the host
// tier, disaggregated KV transfer, and the two scheduling policies.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "tokenmath/sim/simulator.hpp"
#include "tokenmath/sim/step_timer.hpp"

using namespace tokenmath::sim;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const Trace> mooncake() {
  static auto t = std::make_shared<const Trace>(
      load_mooncake_trace(fs::path(TOKENMATH_SOURCE_DIR) / "data/traces/mooncake_conversation_head1000.jsonl"));
  return t;
}

PoolSpec pool(int replicas, std::int64_t kv_tokens, const std::string& router = "round-robin") {
  auto t = std::make_shared<LinearStepTimer>();
  t->base_s = 0.006;
  t->per_token_s = 2.7e-5;
  t->per_ctx_token_s = 4.7e-8;
  PoolSpec p;
  p.replicas = replicas;
  p.router = router;
  p.config.kv_blocks = kv_tokens / 16;
  p.config.max_batched_tokens = 8192;
  p.config.chunk_tokens = 8192;
  p.config.max_num_seqs = 128;
  p.config.kv_bytes_per_token = 131072;  // Llama-3.1-8B bf16: 32 layers x 8 heads x 128 x 2 (K,V) x 2 bytes
  p.config.timer = t;
  return p;
}

SimResult run(const SimConfig& c, const WorkloadSpec& w, std::vector<RequestRecord>* recs = nullptr) {
  auto wl = make_workload(w, 1);
  SimOptions o;
  o.check_invariants = true;
  if (recs) o.on_request = [recs](const RequestRecord& r) { recs->push_back(r); };
  return simulate(c, *wl, o);
}

WorkloadSpec replay() {
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::trace;
  w.trace = mooncake();
  return w;
}

}  // namespace

TEST(Cluster, UnboundedCacheReachesTheTracesIdealHitRate) {
  // Ideal: a prompt's cached prefix is its longest chain of hash blocks seen in any earlier request (at least one
  // token computed), as an infinite cache with no concurrency would find.
  std::set<std::vector<std::uint64_t>> seen;
  double hit = 0, total = 0;
  for (const auto& r : mooncake()->rows) {
    std::vector<std::uint64_t> prefix;
    double matched = 0;
    bool broken = false;
    for (std::size_t k = 0; k < r.hash_ids.size(); ++k) {
      prefix.push_back(r.hash_ids[k]);
      const double t = std::min<double>(512, r.input_tokens - 512.0 * static_cast<double>(k));
      if (!broken && seen.count(prefix)) matched += t;
      else broken = true;
      seen.insert(prefix);
    }
    hit += std::min<double>(matched, r.input_tokens - 1);
    total += r.input_tokens;
  }
  const double ideal = hit / total;
  SimConfig c;
  c.pools = {pool(1, 40'000'000)};
  const SimResult r = run(c, replay());
  EXPECT_EQ(r.finished, 1000);
  // The simulator can only miss what is still being prefilled by a concurrent request.
  EXPECT_LE(r.prefix_hit_rate, ideal + 1e-12);
  EXPECT_GT(r.prefix_hit_rate, ideal - 0.005);
  std::printf("[cluster] mooncake head1000 ideal hit %.4f, simulated (unbounded cache) %.4f\n", ideal, r.prefix_hit_rate);
}

TEST(Cluster, PrefixAffinityBeatsRoundRobinOnSharedPrefixes) {
  SimConfig rr, pa;
  rr.pools = {pool(4, 400'000, "round-robin")};
  pa.pools = {pool(4, 400'000, "prefix-affinity")};
  pa.pools[0].affinity_slack_tokens = 200'000;
  const SimResult a = run(rr, replay()), b = run(pa, replay());
  EXPECT_GT(b.prefix_hit_rate, a.prefix_hit_rate * 1.1);
  std::printf("[cluster] mooncake 4 replicas: hit round-robin %.4f, prefix-affinity %.4f\n", a.prefix_hit_rate,
              b.prefix_hit_rate);
}

TEST(Cluster, LeastOutstandingBalancesBetterThanRoundRobinUnderSkew) {
  // Alternating huge and tiny requests: round-robin sends every huge one to the same replica.
  WorkloadSpec w;
  w.arrival.kind = ArrivalSpec::Kind::constant;
  w.arrival.rate_per_s = 4;
  w.input_tokens = Dist{Dist::Kind::empirical, 0, 0, 1, 1e18, std::make_shared<std::vector<double>>(std::vector<double>{100})};
  w.output_tokens = Dist::fixed(50);
  w.max_requests = 400;
  w.length_trace = std::make_shared<Trace>();
  auto* tr = const_cast<Trace*>(w.length_trace.get());
  tr->rows = {{0, 6000, 400, {}}, {0, 50, 10, {}}};
  // Joint rows drawn at random: roughly half huge; compare busy-fraction spread.
  SimConfig rr, lo;
  rr.pools = {pool(2, 400'000, "round-robin")};
  lo.pools = {pool(2, 400'000, "least-outstanding-tokens")};
  const SimResult a = run(rr, w), b = run(lo, w);
  const double spread_a = a.busy_fraction_max - a.busy_fraction_min;
  const double spread_b = b.busy_fraction_max - b.busy_fraction_min;
  EXPECT_LE(spread_b, spread_a + 1e-9);
  EXPECT_LE(b.e2e_s.p99, a.e2e_s.p99 * 1.05);
}

// 60 groups sharing 4000-token prefixes (240k prefix tokens: 6x the 40k-token HBM pool of the tests below), 4
// requests/s of 200 new and 50 output tokens.
namespace {
WorkloadSpec sixty_shared_prefixes(std::int64_t max_requests) {
  WorkloadSpec w;
  w.arrival.kind = ArrivalSpec::Kind::poisson;
  w.arrival.rate_per_s = 4;
  w.input_tokens = Dist::fixed(200);
  w.output_tokens = Dist::fixed(50);
  w.shared_prefix_tokens = 4000;
  w.shared_prefix_groups = 60;
  w.max_requests = max_requests;
  return w;
}
}  // namespace

TEST(Cluster, HostTierServesEvictedPrefixes) {
  const WorkloadSpec w = sixty_shared_prefixes(1500);
  SimConfig hbm, host;
  hbm.pools = {pool(1, 40'000)};
  host.pools = {pool(1, 40'000)};
  host.pools[0].config.host_cache_tokens = 400'000;
  host.pools[0].config.host_bytes_per_s = 25e9;
  const SimResult a = run(hbm, w), b = run(host, w);
  EXPECT_EQ(b.finished, 1500);
  EXPECT_GT(b.prefix_hit_rate, a.prefix_hit_rate + 0.3);
  EXPECT_LT(b.ttft_s.mean, a.ttft_s.mean);
}

TEST(Cluster, InclusiveHostTierHoldsWhatHbmCannotAndWarmStartSkipsColdPrefills) {
  // 60 prefixes of 4000 tokens: 240k tokens, 6x the HBM pool and within the host tier. The tier is written
  // through, so after the warm start (HBM first, every prefix on the host) no request prefills its prefix.
  const WorkloadSpec w = sixty_shared_prefixes(600);
  SimConfig host;
  host.pools = {pool(1, 40'000)};
  host.pools[0].config.host_cache_tokens = 300'000;
  host.pools[0].config.host_bytes_per_s = 25e9;
  std::vector<RequestRecord> cold_recs, warm_recs;
  auto cold_w = make_workload(w, 1), warm_w = make_workload(w, 1);
  SimOptions cold_o, warm_o;
  cold_o.check_invariants = warm_o.check_invariants = true;
  cold_o.on_request = [&](const RequestRecord& r) { cold_recs.push_back(r); };
  warm_o.on_request = [&](const RequestRecord& r) { warm_recs.push_back(r); };
  warm_o.warm_prompts = shared_prefix_prompts(w);
  ASSERT_EQ(warm_o.warm_prompts.size(), 60u);
  simulate(host, *cold_w, cold_o);
  simulate(host, *warm_w, warm_o);
  ASSERT_EQ(warm_recs.size(), 600u);
  for (const auto& r : warm_recs) EXPECT_EQ(r.cached_tokens, 4000) << r.id;
  std::size_t cold_misses = 0;
  for (const auto& r : cold_recs) cold_misses += r.cached_tokens == 0;
  EXPECT_GE(cold_misses, 55u);  // each group's first request, at least (cold start)
  EXPECT_LE(cold_misses, 60u);  // and only those: the host tier keeps every prefix once written
}

TEST(Cluster, DisaggregationAddsTransferTimeAndConservesRequests) {
  WorkloadSpec w;
  w.arrival.kind = ArrivalSpec::Kind::constant;
  w.arrival.rate_per_s = 0.5;  // one request every 2 s: TTFT and E2E are pure service times
  w.input_tokens = Dist::fixed(4000);
  w.output_tokens = Dist::fixed(11);
  w.max_requests = 30;
  SimConfig c;
  PoolSpec p = pool(1, 400'000), d = pool(2, 400'000);
  p.config.role = ReplicaRole::prefill;
  d.config.role = ReplicaRole::decode;
  c.pools = {p, d};
  c.kv_link_bytes_per_s = 50e9;
  std::vector<RequestRecord> recs;
  const SimResult r = run(c, w, &recs);
  EXPECT_EQ(r.finished, 30);
  EXPECT_EQ(r.blocks_in_use_end, 0);
  // TTFT: one 4000-token prefill step. Then KV transfer 4000 x 131072 B / 50 GB/s, then 10 decode steps, the first
  // of which (on an idle decode replica) starts when the KV arrives.
  const double prefill = 0.006 + 4000 * 2.7e-5;
  const double transfer = 4000 * 131072 / 50e9;
  for (const auto& x : recs) {
    EXPECT_NEAR(x.ttft_s, prefill, 1e-6);
    EXPECT_GT(x.e2e_s, prefill + transfer + 10 * 0.006);
    EXPECT_LT(x.e2e_s, prefill + transfer + 10 * (0.006 + 2.7e-5 + 4011 * 4.7e-8) + 1e-6);
  }
  EXPECT_EQ(r.replicas[0].decode_tokens, 0);  // the prefill replica never decodes
  EXPECT_EQ(r.replicas[1].decode_tokens + r.replicas[2].decode_tokens, 30 * 10);
}

TEST(Cluster, PrefillFirstTradesInterTokenLatencyForTtft) {
  WorkloadSpec w;
  w.arrival.kind = ArrivalSpec::Kind::poisson;
  w.arrival.rate_per_s = 6;
  w.input_tokens = Dist{Dist::Kind::lognormal, 2000, 0.7, 1, 16000, nullptr};
  w.output_tokens = Dist{Dist::Kind::lognormal, 200, 0.7, 1, 2000, nullptr};
  w.max_requests = 2000;
  SimConfig df, pf;
  df.pools = {pool(1, 400'000)};
  df.pools[0].config.chunk_tokens = 512;  // small chunks: decode-first keeps inter-token gaps short
  df.pools[0].config.max_batched_tokens = 1024;
  pf.pools = df.pools;
  pf.pools[0].config.scheduler = SchedulerKind::prefill_first;
  const SimResult a = run(df, w), b = run(pf, w);
  EXPECT_LT(b.ttft_s.mean, a.ttft_s.mean);
  EXPECT_GT(b.itl_s.p99, a.itl_s.p99);
}
