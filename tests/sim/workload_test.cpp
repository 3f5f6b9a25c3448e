// Workload generators, trace readers and statistics: arrival processes have their stated rate and burstiness,
// traces parse exactly, quantile sketches stay within their error bound, agentic sessions grow their context.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "run_cli.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/sim/stats.hpp"
#include "tokenmath/sim/workload.hpp"

using namespace tokenmath;
using namespace tokenmath::sim;
namespace fs = std::filesystem;

namespace {

// Collects what a workload emits (open loop: drives on_arrival itself).
struct Collector final : ArrivalSink {
  std::vector<Request> reqs;
  SimTime t = 0;
  void schedule_arrival(Request r) override { reqs.push_back(std::move(r)); }
  SimTime now() const override { return t; }
};

std::vector<Request> drive_open(const WorkloadSpec& w, std::uint64_t seed) {
  auto wl = make_workload(w, seed);
  Collector c;
  wl->start(c);
  for (std::size_t i = 0; i < c.reqs.size(); ++i) {
    c.t = c.reqs[i].arrival_ns;
    wl->on_arrival(c.reqs[i], c);
  }
  return c.reqs;
}

std::pair<double, double> gap_mean_cv(const std::vector<Request>& r) {
  std::vector<double> g;
  for (std::size_t i = 1; i < r.size(); ++i) g.push_back(ns_to_seconds(r[i].arrival_ns - r[i - 1].arrival_ns));
  double m = 0, v = 0;
  for (double x : g) m += x;
  m /= static_cast<double>(g.size());
  for (double x : g) v += (x - m) * (x - m);
  v /= static_cast<double>(g.size() - 1);
  return {m, std::sqrt(v) / m};
}

fs::path data(const std::string& p) { return fs::path(TOKENMATH_SOURCE_DIR) / "data" / p; }

}  // namespace

TEST(Arrivals, PoissonGammaConstantHaveStatedRateAndCv) {
  WorkloadSpec w;
  w.arrival.rate_per_s = 20;
  w.max_requests = 50000;
  w.arrival.kind = ArrivalSpec::Kind::poisson;
  auto [m1, cv1] = gap_mean_cv(drive_open(w, 1));
  EXPECT_NEAR(m1, 0.05, 0.05 * 0.02);
  EXPECT_NEAR(cv1, 1.0, 0.03);
  w.arrival.kind = ArrivalSpec::Kind::gamma;
  w.arrival.cv = 3;
  auto [m2, cv2] = gap_mean_cv(drive_open(w, 1));
  EXPECT_NEAR(m2, 0.05, 0.05 * 0.05);
  EXPECT_NEAR(cv2, 3.0, 0.25);
  w.arrival.kind = ArrivalSpec::Kind::constant;
  auto [m3, cv3] = gap_mean_cv(drive_open(w, 1));
  EXPECT_NEAR(m3, 0.05, 1e-9);
  EXPECT_LT(cv3, 1e-6);
}

TEST(Arrivals, HourlyProfileShapesTheRate) {
  WorkloadSpec w;
  w.arrival.kind = ArrivalSpec::Kind::profile;
  w.arrival.rate_per_s = 2;
  w.arrival.hourly.assign(24, 0.0);
  w.arrival.hourly[0] = 1.0;  // hour 0 at 2/s, hour 1 at 6/s, nothing after
  w.arrival.hourly[1] = 3.0;
  w.duration_s = 3 * 3600;
  const auto r = drive_open(w, 2);
  std::int64_t h0 = 0, h1 = 0, h2 = 0;
  for (const auto& q : r) {
    const double t = ns_to_seconds(q.arrival_ns);
    (t < 3600 ? h0 : t < 7200 ? h1 : h2)++;
  }
  EXPECT_NEAR(static_cast<double>(h0), 7200, 4 * std::sqrt(7200.0));
  EXPECT_NEAR(static_cast<double>(h1), 21600, 4 * std::sqrt(21600.0));
  EXPECT_EQ(h2, 0);
}

TEST(Lengths, DistributionsHaveTheirMoments) {
  Rng rng(1, "t");
  const Dist ln{Dist::Kind::lognormal, 1000, 0.5, 1, 1e18, nullptr};
  std::vector<double> v;
  double s = 0;
  for (int i = 0; i < 200000; ++i) {
    v.push_back(ln.sample(rng));
    s += v.back();
  }
  std::nth_element(v.begin(), v.begin() + 100000, v.end());
  EXPECT_NEAR(v[100000], 1000, 10);
  EXPECT_NEAR(s / 200000, ln.mean(), ln.mean() * 0.01);
  const Dist u{Dist::Kind::uniform, 10, 20, 0, 1e18, nullptr};
  double su = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = u.sample(rng);
    ASSERT_GE(x, 10);
    ASSERT_LT(x, 20);
    su += x;
  }
  EXPECT_NEAR(su / 100000, 15, 0.05);
  const Dist clipped{Dist::Kind::normal, 100, 500, 1, 150, nullptr};
  for (int i = 0; i < 1000; ++i) {
    const auto t = clipped.sample_tokens(rng);
    ASSERT_GE(t, 1);
    ASSERT_LE(t, 150);
  }
}

TEST(Rng, StreamsAreIndependentAndReproducible) {
  Rng a(42, "arrivals"), b(42, "arrivals"), c(42, "lengths"), d(43, "arrivals");
  const auto x = a.bits();
  EXPECT_EQ(x, b.bits());
  EXPECT_NE(x, c.bits());
  EXPECT_NE(x, d.bits());
}

TEST(Stats, QuantilesWithinRelativeError) {
  Metric m;
  std::vector<double> v;
  Rng rng(3, "q");
  for (int i = 0; i < 100000; ++i) {
    v.push_back(rng.lognormal(0.2, 1.5));
    m.add(v.back());
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = v[static_cast<std::size_t>(std::ceil(q * v.size())) - 1];
    EXPECT_NEAR(m.quantile(q), exact, exact * 0.006) << q;
  }
  EXPECT_DOUBLE_EQ(m.max(), v.back());
  Metric one;
  one.add(0.123);
  EXPECT_DOUBLE_EQ(one.quantile(0.5), 0.123);
  Metric weighted;
  weighted.add(1.0, 99);
  weighted.add(10.0, 1);
  EXPECT_NEAR(weighted.quantile(0.5), 1.0, 0.006);
  EXPECT_NEAR(weighted.quantile(1.0), 10.0, 0.06);
  EXPECT_DOUBLE_EQ(weighted.mean(), (99.0 + 10.0) / 100.0);
}

TEST(Traces, AzureSampleParsesExactly) {
  const Trace t = load_azure_trace(data("traces/azure_conv_2023_head2000.csv"));
  ASSERT_EQ(t.rows.size(), 2000u);
  EXPECT_EQ(t.rows[0].time_s, 0.0);
  EXPECT_EQ(t.rows[0].input_tokens, 374);
  EXPECT_EQ(t.rows[0].output_tokens, 44);
  // 18:15:46.6805900 -> 18:15:50.9951690
  EXPECT_NEAR(t.rows[1].time_s, 4.314579, 1e-6);
  EXPECT_TRUE(std::is_sorted(t.rows.begin(), t.rows.end(),
                             [](const TraceRow& a, const TraceRow& b) { return a.time_s < b.time_s; }));
}

TEST(Traces, MooncakeSampleParsesWithHashBlocks) {
  const Trace t = load_mooncake_trace(data("traces/mooncake_conversation_head1000.jsonl"));
  ASSERT_EQ(t.rows.size(), 1000u);
  EXPECT_EQ(t.rows[0].input_tokens, 6758);
  EXPECT_EQ(t.rows[0].output_tokens, 500);
  ASSERT_EQ(t.rows[0].hash_ids.size(), 14u);
  EXPECT_EQ(t.rows[1].hash_ids[0], 0u);  // shared first block
  EXPECT_NEAR(t.rows.back().time_s, 330.0, 1e-9);

  // Replay: chunks are 512 tokens except the last, chained so equal prefixes give equal hashes.
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::trace;
  w.trace = std::make_shared<Trace>(t);
  const auto r = drive_open(w, 1);
  ASSERT_EQ(r.size(), 1000u);
  std::int64_t covered = 0;
  for (const auto& c : r[0].chunks) covered += c.tokens;
  EXPECT_EQ(covered, 6758);
  EXPECT_EQ(r[0].chunks.front().tokens, 512);
  EXPECT_EQ(r[0].chunks.front().hash, r[1].chunks.front().hash);
  EXPECT_NE(r[0].chunks[1].hash, r[1].chunks[1].hash);
}

TEST(Traces, MalformedRowsNameLineAndValue) {
  const std::string bad = tokenmath::testing::write_temp(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47,abc,3\n", ".csv");
  try {
    load_azure_trace(bad);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "line 3");
    EXPECT_EQ(e.value(), "2023-11-16 18:15:47,abc,3");
  }
  fs::remove(bad);
  const std::string badj = tokenmath::testing::write_temp("{\"timestamp\": 1, \"input_length\": 5}\n", ".jsonl");
  try {
    load_mooncake_trace(badj);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "line 1");
    EXPECT_NE(std::string(e.what()).find("output_length"), std::string::npos) << e.what();
  }
  fs::remove(badj);
}

TEST(Traces, NumericSecondsKeepTheTraceOriginInBothCsvForms) {
  // Splitwise form: Azure header, timestamps in seconds; Vidur form: arrived_at,num_prefill_tokens,num_decode_tokens.
  const std::string splitwise =
      tokenmath::testing::write_temp("TIMESTAMP,ContextTokens,GeneratedTokens\n2.5,100,10\n0.75,200,20\n", ".csv");
  const Trace a = load_azure_trace(splitwise);
  ASSERT_EQ(a.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(a.rows[0].time_s, 0.75);  // sorted, origin kept
  EXPECT_EQ(a.rows[0].input_tokens, 200);
  EXPECT_DOUBLE_EQ(a.rows[1].time_s, 2.5);
  const std::string vidur = tokenmath::testing::write_temp(
      "arrived_at,num_prefill_tokens,num_decode_tokens\n0.1,512,64\n0.4,1024,8\n", ".csv");
  const Trace v = load_azure_trace(vidur);
  ASSERT_EQ(v.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(v.rows[0].time_s, 0.1);
  EXPECT_EQ(v.rows[1].output_tokens, 8);
  // Calendar timestamps still start at the first request.
  const Trace c = load_azure_trace(data("traces/azure_conv_2023_head2000.csv"));
  EXPECT_DOUBLE_EQ(c.rows.front().time_s, 0.0);
  // Mixed forms and negative seconds are refused with the line.
  const std::string mixed = tokenmath::testing::write_temp(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n1.5,10,1\n2023-11-16 18:15:47,10,1\n", ".csv");
  try {
    load_azure_trace(mixed);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "line 3");
    EXPECT_NE(std::string(e.what()).find("mixes"), std::string::npos) << e.what();
  }
  const std::string neg =
      tokenmath::testing::write_temp("arrived_at,num_prefill_tokens,num_decode_tokens\n-1,10,1\n", ".csv");
  EXPECT_THROW(load_azure_trace(neg), InputError);
  for (const auto& f : {splitwise, vidur, mixed, neg}) fs::remove(f);
}

TEST(Agentic, SessionsGrowContextAndChainPrefixes) {
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::agentic;
  w.agentic.session_arrival.kind = ArrivalSpec::Kind::closed;
  w.agentic.session_arrival.concurrency = 1;
  w.agentic.shared_prefix_tokens = 1000;
  w.agentic.initial_context_tokens = Dist::fixed(5000);
  w.agentic.turns = Dist::fixed(3);
  w.agentic.new_tokens = Dist::fixed(900);
  w.agentic.output_tokens = Dist::fixed(250);
  w.agentic.think_time_s = Dist::fixed(2.0);
  w.max_requests = 4;
  auto wl = make_workload(w, 9);
  Collector c;
  wl->start(c);
  ASSERT_EQ(c.reqs.size(), 1u);
  for (int turn = 0; turn < 3; ++turn) {
    const Request r = c.reqs.back();
    EXPECT_EQ(r.turn, turn);
    // prompt = shared + initial + turn * (new + output) + new
    EXPECT_EQ(r.prompt_tokens, 1000 + 5000 + turn * (900 + 250) + 900);
    std::int64_t covered = 0;
    for (const auto& ch : r.chunks) covered += ch.tokens;
    EXPECT_EQ(covered, r.prompt_tokens);  // the whole prompt is chained
    c.t = r.arrival_ns + seconds_to_ns(1.0);
    wl->on_finish(r, c);
  }
  // Turn 1 extends turn 0's chain: its chunks start with turn 0's chunks and turn 0's output.
  const Request& t0 = c.reqs[0];
  const Request& t1 = c.reqs[1];
  for (std::size_t i = 0; i < t0.chunks.size(); ++i) EXPECT_EQ(t0.chunks[i].hash, t1.chunks[i].hash);
  EXPECT_EQ(t1.chunks[t0.chunks.size()].hash, t0.output_hash);
  EXPECT_EQ(t1.arrival_ns - (t0.arrival_ns + seconds_to_ns(1.0)), seconds_to_ns(2.0));  // think time
  // After 3 turns the session ends and (closed loop) a new one starts with a different context but the same
  // shared prefix.
  ASSERT_EQ(c.reqs.size(), 4u);
  EXPECT_EQ(c.reqs[3].turn, 0);
  EXPECT_EQ(c.reqs[3].chunks[0].hash, t0.chunks[0].hash);
  EXPECT_NE(c.reqs[3].chunks[1].hash, t0.chunks[1].hash);
}
