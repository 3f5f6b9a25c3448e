// The load generator's pure parts: percentiles, prompts (length, shared prefix, per-request salt), the metric
// definitions of a level summary (TTFT, TPOT excluding the first token, ITL, throughput, goodput, time scale).
// The network part runs against serve-sim in tests/serve/test_serve_sim.py.
#include <gtest/gtest.h>

#include <sstream>

#include "tokenmath/common/error.hpp"
#include "tokenmath/loadgen/loadgen.hpp"

using namespace tokenmath::loadgen;

namespace {
std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

RequestRecord rec(int level, double send, std::vector<double> chunks, int out, double end) {
  RequestRecord r;
  r.level = level;
  r.send_s = send;
  r.chunk_s = std::move(chunks);
  r.output_tokens = out;
  r.completion_tokens = out;
  r.prompt_tokens = 100;
  r.end_s = end;
  r.ok = true;
  r.status = 200;
  return r;
}
}  // namespace

TEST(Loadgen, PercentilesInterpolateBetweenRanks) {
  const Stats s = stats_of({4, 1, 3, 2, 5});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.p50, 3);
  EXPECT_DOUBLE_EQ(s.p90, 4.6);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_EQ(stats_of({}).count, 0);
}

TEST(Loadgen, PromptsHaveTheLengthAndShareOnlyTheSharedPrefix) {
  const auto a = words(make_prompt(7, 1, 200, 50));
  const auto b = words(make_prompt(7, 2, 200, 50));
  ASSERT_EQ(a.size(), 200u);
  ASSERT_EQ(b.size(), 200u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a[static_cast<std::size_t>(i)], b[static_cast<std::size_t>(i)]);
  // The salted part: two requests agree on a word only by chance (96 words), never on a 16-word block.
  int same = 0;
  for (std::size_t i = 50; i < 200; ++i) same += a[i] == b[i];
  EXPECT_LT(same, 15);
  EXPECT_EQ(make_prompt(7, 1, 200, 50), make_prompt(7, 1, 200, 50));  // deterministic for a seed
  EXPECT_NE(make_prompt(8, 1, 200, 0), make_prompt(7, 1, 200, 0));    // another run, other prompts
}

TEST(Loadgen, DistributedLengthsStayInTheirRangesAndAreSeeded) {
  BenchConfig cfg;
  cfg.seed = 3;
  cfg.isl = 100;
  cfg.isl_max = 200;
  cfg.osl = 10;
  double sum = 0;
  for (int id = 0; id < 2000; ++id) {
    const auto [i, o] = request_lengths(cfg, id);
    EXPECT_GE(i, 100);
    EXPECT_LE(i, 200);
    EXPECT_EQ(o, 10);  // fixed
    sum += i;
  }
  EXPECT_NEAR(sum / 2000, 150, 3);
  EXPECT_EQ(request_lengths(cfg, 7), request_lengths(cfg, 7));
}

TEST(Loadgen, LevelSummaryFollowsTheDefinitions) {
  BenchConfig cfg;
  cfg.slo_ttft_s = 0.15;
  // Request A: sent at 0, text chunks at 0.1, 0.2, 0.4 (3 tokens), ends at 0.45.
  // Request B: sent at 0.05, chunks at 0.3, 0.35 (2 tokens), ends at 0.5. Request C failed. Another level's row.
  std::vector<RequestRecord> rs = {rec(0, 0.0, {0.1, 0.2, 0.4}, 3, 0.45), rec(0, 0.05, {0.3, 0.35}, 2, 0.5),
                                   rec(1, 9.0, {9.5}, 1, 9.6)};
  RequestRecord bad;
  bad.level = 0;
  bad.send_s = 0.1;
  bad.end_s = 0.2;
  bad.error_kind = "http_error";
  bad.error = "HTTP 500: boom";
  rs.push_back(bad);
  const LevelResult L = summarize(rs, cfg, 0);
  EXPECT_EQ(L.sent, 3);
  EXPECT_EQ(L.ok, 2);
  EXPECT_EQ(L.failed, 1);
  EXPECT_EQ(L.errors.at("http_error"), 1);
  EXPECT_EQ(L.first_error.at("http_error"), "HTTP 500: boom");
  EXPECT_DOUBLE_EQ(L.duration_s, 0.5);  // first send -> last end
  EXPECT_DOUBLE_EQ(L.output_tok_per_s, 5 / 0.5);
  EXPECT_NEAR(L.ttft_s.mean, (0.1 + 0.25) / 2, 1e-12);
  // TPOT excludes the first token: A (0.4 - 0.1) / 2, B (0.35 - 0.3) / 1.
  EXPECT_NEAR(L.tpot_s.mean, (0.15 + 0.05) / 2, 1e-12);
  EXPECT_EQ(L.itl_s.count, 3);  // gaps 0.1, 0.2, 0.05
  EXPECT_NEAR(L.itl_s.max, 0.2, 1e-12);
  EXPECT_NEAR(L.tok_s_per_user.mean, (1 / 0.15 + 1 / 0.05) / 2, 1e-9);
  EXPECT_NEAR(L.goodput_req_per_s, 1 / 0.5, 1e-12);  // only A meets TTFT <= 150 ms
  EXPECT_NEAR(L.slo_attainment, 0.5, 1e-12);
  // A serve-sim at --time-scale 4 is four times faster than the GPUs it simulates: times x4, rates / 4.
  cfg.time_scale = 4;
  const LevelResult S = summarize(rs, cfg, 0);
  EXPECT_NEAR(S.ttft_s.mean, 4 * L.ttft_s.mean, 1e-12);
  EXPECT_NEAR(S.output_tok_per_s, L.output_tok_per_s / 4, 1e-12);
  EXPECT_NEAR(S.tpot_s.mean, 4 * L.tpot_s.mean, 1e-12);
}

TEST(Loadgen, BadOptionsNameTheOption) {
  BenchConfig cfg;
  cfg.url = "127.0.0.1:8000";
  cfg.concurrency = {1};
  cfg.requests = 1;
  try {
    run_bench(cfg);
    FAIL();
  } catch (const tokenmath::InputError& e) {
    EXPECT_EQ(e.field(), "`url`");
  }
  cfg.url = "http://127.0.0.1:1";
  cfg.requests = 0;  // and no duration: an unbounded level
  try {
    run_bench(cfg);
    FAIL();
  } catch (const tokenmath::InputError& e) {
    EXPECT_EQ(e.field(), "`requests`");
  }
}
