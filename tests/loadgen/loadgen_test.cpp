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

TEST(Loadgen, SessionPromptsGrowByAppendingAndShareOnlyTheirOwnPrefix) {
  // Turn 1: 40 words (the first 16 shared by every session); answer 1: 7 words; turn 2 adds 12; answer 2: 5; turn 3 adds 12.
  const std::vector<std::int32_t> t1 = {40}, t2 = {40, 7, 12}, t3 = {40, 7, 12, 5, 12};
  const auto p1 = session_prompt(9, 3, t1, 16), p2 = session_prompt(9, 3, t2, 16), p3 = session_prompt(9, 3, t3, 16);
  const auto w1 = words(p1), w2 = words(p2), w3 = words(p3);
  ASSERT_EQ(w1.size(), 40u);
  ASSERT_EQ(w2.size(), 59u);
  ASSERT_EQ(w3.size(), 76u);
  // Each turn's prompt is the previous one, word for word (and character for character), plus what came since.
  EXPECT_EQ(p2.compare(0, p1.size(), p1), 0);
  EXPECT_EQ(p3.compare(0, p2.size(), p2), 0);
  EXPECT_EQ(p2[p1.size()], ' ');
  // The answer and the new words are the segments, in order.
  EXPECT_EQ(p2, p1 + " " + session_segment(9, 3, 1, 7, 0) + " " + session_segment(9, 3, 2, 12, 0));
  EXPECT_EQ(words(session_segment(9, 3, 1, 7, 0)).size(), 7u);
  // Another session: the 16 shared words (those of make_prompt's shared prefix), then salted apart.
  const auto o = words(session_prompt(9, 4, t3, 16));
  const auto m = words(make_prompt(9, 123, 40, 16));
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(o[i], w3[i]);
    EXPECT_EQ(m[i], w3[i]);
  }
  int same = 0;
  for (std::size_t i = 16; i < o.size(); ++i) same += o[i] == w3[i];
  EXPECT_LT(same, 8);
  // Segments of one session differ from each other (an answer is not a copy of the prompt's start).
  EXPECT_NE(session_segment(9, 3, 2, 12, 0), session_segment(9, 3, 4, 12, 0));
  EXPECT_NE(session_prompt(10, 3, t3, 16), p3);  // another seed, other prompts
  EXPECT_EQ(session_prompt(9, 3, t3, 16), p3);   // deterministic
  // An empty answer (0 tokens) adds nothing, not a double space.
  EXPECT_EQ(words(session_prompt(9, 3, {40, 0, 12}, 16)).size(), 52u);
  EXPECT_EQ(session_prompt(9, 3, {40, 0, 12}, 16).find("  "), std::string::npos);
}

TEST(Loadgen, SessionTurnsAndThinkTimesAreDrawnInTheirRanges) {
  BenchConfig cfg;
  cfg.seed = 5;
  cfg.turns = 2;
  cfg.turns_max = 6;
  cfg.think_s = 0.5;
  cfg.think_max_s = 1.5;
  double turns = 0, think = 0;
  for (int s = 0; s < 2000; ++s) {
    const auto t = session_turns(cfg, s);
    EXPECT_GE(t, 2);
    EXPECT_LE(t, 6);
    turns += t;
    const double th = think_time_s(cfg, s, 2);
    EXPECT_GE(th, 0.5);
    EXPECT_LE(th, 1.5);
    think += th;
  }
  EXPECT_NEAR(turns / 2000, 4, 0.15);
  EXPECT_NEAR(think / 2000, 1.0, 0.05);
  EXPECT_EQ(think_time_s(cfg, 7, 1), 0);  // no think before the first turn
  cfg.turns_max = 0;
  EXPECT_EQ(session_turns(cfg, 11), 2);
}

TEST(Loadgen, SessionSummaryCountsTurnsTimesAndCachedShare) {
  BenchConfig cfg;
  auto turn = [](std::int64_t session, int t, int of, double send, double end, int prompt, int cached) {
    RequestRecord r = rec(0, send, {send + 0.01, end - 0.01}, 3, end);
    r.session = session;
    r.turn = t;
    r.session_turns = of;
    r.prompt_tokens = prompt;
    r.cached_tokens = cached;
    return r;
  };
  // Session 0: three turns (complete) from 0 to 3; session 1: one of two turns (cut); session 2: its turn 2 failed.
  std::vector<RequestRecord> rs = {turn(0, 1, 3, 0, 0.5, 100, 0),     turn(0, 2, 3, 1, 1.5, 200, 96),
                                   turn(0, 3, 3, 2, 3.0, 300, 192),   turn(1, 1, 2, 0, 0.5, 100, 0),
                                   turn(2, 1, 2, 0, 0.4, 100, 0)};
  RequestRecord bad = turn(2, 2, 2, 1, 1.2, 200, 0);
  bad.ok = false;
  bad.error_kind = "timeout";
  rs.push_back(bad);
  const LevelResult L = summarize(rs, cfg, 0);
  const SessionSummary& S = L.sessions;
  EXPECT_EQ(S.started, 3);
  EXPECT_EQ(S.complete, 1);
  EXPECT_EQ(S.cut, 1);
  EXPECT_EQ(S.failed, 1);
  EXPECT_DOUBLE_EQ(S.turns.mean, 3);
  EXPECT_DOUBLE_EQ(S.session_s.mean, 3.0);  // first send -> last end, think times included
  EXPECT_NEAR(S.cached_share.mean, 288.0 / 600.0, 1e-12);
  EXPECT_NEAR(S.cached_share_all, 288.0 / 800.0, 1e-12);  // every completed turn of the level
  EXPECT_DOUBLE_EQ(S.mean_last_prompt_tokens, 300);
  ASSERT_EQ(S.by_turn.size(), 3u);
  EXPECT_EQ(S.by_turn[0].count, 3);
  EXPECT_DOUBLE_EQ(S.by_turn[1].mean_cached_tokens, 96);
  EXPECT_EQ(summarize({rec(0, 0, {0.1}, 1, 0.2)}, cfg, 0).sessions.started, 0);  // single requests: no sessions
}

TEST(Loadgen, BadSessionOptionsNameTheOption) {
  auto field = [](BenchConfig cfg) {
    cfg.url = "http://127.0.0.1:1";
    cfg.requests = 1;
    if (cfg.concurrency.empty() && cfg.rates.empty()) cfg.concurrency = {1};
    try {
      check_bench_config(cfg);
    } catch (const tokenmath::InputError& e) {
      return e.field();
    }
    return std::string("none");
  };
  BenchConfig c;
  c.turns = 2;
  c.rates = {1};
  EXPECT_EQ(field(c), "`rate`");
  c = {};
  c.turns = 3;
  c.turns_max = 2;
  EXPECT_EQ(field(c), "`turns_max`");
  c = {};
  c.turns = 3;
  c.think_s = 1;
  c.think_max_s = 0.5;
  EXPECT_EQ(field(c), "`think_max`");
  c = {};
  c.turn_isl = 5;  // without sessions
  EXPECT_EQ(field(c), "`turns`");
  c = {};
  c.turns = 3;
  c.turn_isl = 5;
  c.think_s = 0.1;
  EXPECT_EQ(field(c), "none");
}
