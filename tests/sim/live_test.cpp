// LiveSimulator (the event loop driven from outside, serve-sim's core): requests submitted at the times a
// workload generates them get exactly the timings of a batch simulate() run; token progress is reported step by
// step and ends with the served usage; the real-time driver streams the same tokens on a scaled clock.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "tokenmath/sim/realtime.hpp"
#include "tokenmath/sim/simulator.hpp"
#include "tokenmath/sim/step_timer.hpp"
#include "tokenmath/sim/workload.hpp"

using namespace tokenmath::sim;

namespace {

SimConfig cluster(std::int64_t kv_blocks, int replicas) {
  auto t = std::make_shared<LinearStepTimer>();
  t->base_s = 0.010;
  t->per_token_s = 0.0001;
  t->per_ctx_token_s = 1e-7;
  SimConfig c;
  PoolSpec p;
  p.replicas = replicas;
  p.router = "least-outstanding-tokens";
  p.config.kv_blocks = kv_blocks;
  p.config.block_tokens = 16;
  p.config.max_batched_tokens = 1024;
  p.config.max_num_seqs = 16;
  p.config.chunk_tokens = 1024;
  p.config.timer = t;
  c.pools.push_back(p);
  return c;
}

// Records the arrivals of a batch run so they can be replayed into a LiveSimulator.
struct Capture final : Workload {
  std::unique_ptr<Workload> inner;
  std::vector<Request>* seen;
  void start(ArrivalSink& s) override { inner->start(s); }
  void on_arrival(const Request& r, ArrivalSink& s) override {
    seen->push_back(r);
    inner->on_arrival(r, s);
  }
  void on_finish(const Request& r, ArrivalSink& s) override { inner->on_finish(r, s); }
};

}  // namespace

TEST(Live, ReplayedArrivalsGiveTheBatchRunsTimings) {
  // A Poisson workload that overloads a small KV pool (queueing, preemption) on two replicas.
  const SimConfig c = cluster(150, 2);
  WorkloadSpec w;
  w.arrival.rate_per_s = 200;
  w.input_tokens = Dist{Dist::Kind::uniform, 50, 400, 1, 1e18, {}};
  w.output_tokens = Dist{Dist::Kind::uniform, 5, 120, 1, 1e18, {}};
  w.max_requests = 300;
  std::vector<Request> arrivals;
  std::map<std::int64_t, RequestRecord> batch;
  Capture cap;
  cap.inner = make_workload(w, 7);
  cap.seen = &arrivals;
  SimOptions opt;
  opt.on_request = [&](const RequestRecord& r) { batch[r.id] = r; };
  const SimResult b = simulate(c, cap, opt);
  ASSERT_EQ(arrivals.size(), 300u);
  ASSERT_GT(b.preemptions, 0);  // the case is not trivial

  LiveSimulator live(c);
  std::vector<TokenUpdate> updates;
  std::map<std::int64_t, std::vector<TokenUpdate>> by_tag;
  // Advance in irregular slices, submitting each request when the clock reaches its arrival.
  for (const auto& r0 : arrivals) {
    live.advance_to(r0.arrival_ns, updates);
    Request r = r0;
    r.tag = r0.id;
    live.submit(r);
  }
  live.advance_to(INT64_MAX - 1, updates);
  for (const auto& u : updates) by_tag[u.tag].push_back(u);
  ASSERT_EQ(by_tag.size(), 300u);
  for (const auto& [tag, us] : by_tag) {
    const RequestRecord& rec = batch.at(tag);
    ASSERT_TRUE(us.back().done);
    EXPECT_EQ(us.back().tokens, rec.output_tokens);
    EXPECT_EQ(us.back().prompt_tokens, rec.prompt_tokens);
    EXPECT_EQ(us.back().cached_tokens, rec.cached_tokens);
    EXPECT_EQ(us.front().time_ns, seconds_to_ns(rec.first_token_s)) << tag;
    EXPECT_EQ(us.back().time_ns, seconds_to_ns(rec.finish_s)) << tag;
    for (std::size_t i = 1; i < us.size(); ++i) {
      EXPECT_GT(us[i].tokens, us[i - 1].tokens);
      EXPECT_GE(us[i].time_ns, us[i - 1].time_ns);
    }
  }
  const SimResult l = live.result();
  EXPECT_EQ(l.finished, b.finished);
  EXPECT_DOUBLE_EQ(l.ttft_s.mean, b.ttft_s.mean);
  EXPECT_DOUBLE_EQ(l.tpot_s.mean, b.tpot_s.mean);
  EXPECT_EQ(l.preemptions, b.preemptions);
}

TEST(Live, DecodeTokensAreReportedEveryStep) {
  // One request alone: prefill step 10 + 0.1*100 ms (+ context) -> token 1; then one token per decode step.
  LiveSimulator live(cluster(1000, 1));
  Request r;
  r.prompt_tokens = 100;
  r.output_tokens = 6;
  r.tag = 42;
  live.submit(r);
  std::vector<TokenUpdate> u;
  live.advance_to(seconds_to_ns(10), u);
  ASSERT_EQ(u.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(u[static_cast<std::size_t>(i)].tag, 42);
    EXPECT_EQ(u[static_cast<std::size_t>(i)].tokens, i + 1);
  }
  EXPECT_TRUE(u.back().done);
  EXPECT_EQ(u.back().prompt_tokens, 100);
  EXPECT_EQ(live.now(), seconds_to_ns(10));
  EXPECT_EQ(live.next_event_ns(), INT64_MAX);
}

TEST(Live, RejectsARequestLongerThanTheKvPool) {
  LiveSimulator live(cluster(20, 1));  // 320 tokens of KV
  Request r;
  r.prompt_tokens = 1000;
  r.output_tokens = 4;
  r.tag = 3;
  live.submit(r);
  std::vector<TokenUpdate> u;
  live.advance_to(seconds_to_ns(1), u);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_TRUE(u[0].rejected);
}

TEST(Live, BlockChunksShareExactlyTheCommonFullBlocks) {
  std::vector<std::uint64_t> a(40), b(40);
  for (std::uint64_t i = 0; i < 40; ++i) a[i] = b[i] = i;
  b[35] = 999;  // differs in the third block
  const auto ca = block_chunks(a, 16), cb = block_chunks(b, 16);
  ASSERT_EQ(ca.size(), 2u);  // 40 tokens: two full blocks
  EXPECT_EQ(ca[0].hash, cb[0].hash);
  EXPECT_EQ(ca[1].hash, cb[1].hash);
  b[3] = 7;
  const auto cc = block_chunks(b, 16);
  EXPECT_NE(ca[0].hash, cc[0].hash);
  EXPECT_NE(ca[1].hash, cc[1].hash);  // chained: a difference early changes every later block
}

TEST(Live, RealtimeClusterStreamsOnAScaledClock) {
  // 1000x faster than real time: a 10-step request (~0.1 s simulated) streams in about 0.1 ms of wall time.
  RealtimeCluster rt(cluster(1000, 1), 1000.0);
  Request r;
  r.prompt_tokens = 64;
  r.output_tokens = 10;
  auto s = rt.submit(r);
  Stream::State st;
  std::int32_t seen = 0;
  for (int i = 0; i < 1000 && !st.done; ++i) {
    st = s->wait(seen, 5.0);
    ASSERT_GE(st.tokens, seen);
    seen = st.tokens;
  }
  ASSERT_TRUE(st.done);
  EXPECT_EQ(st.tokens, 10);
  EXPECT_EQ(st.prompt_tokens, 64);
  const SimResult res = rt.result();
  EXPECT_EQ(res.finished, 1);
  // The simulated timing is the simulator's own, independent of the wall clock: 10 ms + 6.4 ms prefill.
  EXPECT_NEAR(res.ttft_s.mean, 0.0164, 1e-6);
}
