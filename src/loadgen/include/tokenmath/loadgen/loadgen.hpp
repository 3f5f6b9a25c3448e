// Load generator for OpenAI-compatible endpoints (`tokenmath bench`): one thread drives every stream through
// libcurl's multi interface. Workload: fixed prompt/output lengths, random-word prompts with a per-request salt
// (a prefix cache hits only the shared fraction asked for), `max_tokens` + `ignore_eos`, the measured output
// length when the server stops early. Load: closed-loop concurrency levels or open-loop request rates (Poisson or
// constant), each for a request count or a duration; a sweep stops at saturation.
//
// Metrics (every time is the client's, seconds; a request counts when it completed with status 200 and a
// `data: [DONE]`):
//   TTFT   = first chunk with non-empty text - send
//   ITL    = gap between consecutive chunks with text (one sample per gap)
//   TPOT   = (last text chunk - first text chunk) / (output tokens - 1)   (excludes the first token; output > 1)
//   E2E    = end of the response - send
//   output tokens = usage.completion_tokens when the server sends usage, else the text chunks received
//   output tok/s  = output tokens of completed requests / (last end - first send) of the level
//   tok/s per user = 1 / TPOT of a request (the decode rate one user sees)
//   goodput = completed requests with TTFT <= slo_ttft_s and TPOT <= slo_tpot_s (0 = no bound), per second
//
// Multi-turn agentic sessions (`turns` > 0): closed loop, `concurrency` = sessions in flight (a finished session is
// replaced by a new one). Turn 1 sends `isl` words; turn k > 1 sends the whole conversation so far (every earlier
// prompt segment and every earlier answer, the answers as placeholder words of their measured length) plus
// `turn_isl` new words, after a think time (the agent's tool call). A session's prompts share their prefix exactly;
// sessions are salted apart (only the `shared_prefix` fraction of turn 1 is common to every session).
//   session time   = last turn's end - first turn's send (think times included), complete sessions
//   cached share   = usage cached tokens / usage prompt tokens, over a session's turns (what the server reports)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tokenmath::loadgen {

// One request of a replayed trace: when (the server's seconds from the start), its lengths and its prefix
// blocks (Mooncake hash ids: each id is the same `block_words` words in every request that lists it).
struct ScheduledRequest {
  double time_s = 0;
  std::int32_t isl = 1, osl = 1;
  std::vector<std::uint64_t> blocks;
  std::int32_t block_words = 512;
};

struct BenchConfig {
  std::string url;                        // server base URL (http://host:port or .../v1)
  std::string endpoint = "completions";   // "completions" (/v1/completions) | "chat" (/v1/chat/completions)
  std::string model;                      // "" = the first model of GET /v1/models
  std::string api_key;                    // "" = no Authorization header
  std::int32_t isl = 128;                 // prompt words (one token each in serve-sim; ~one in BPE tokenizers)
  std::int32_t osl = 128;                 // max_tokens
  std::int32_t isl_max = 0, osl_max = 0;  // > isl / osl: each request's length uniform in [isl, isl_max] etc.
  double shared_prefix = 0;               // fraction of the prompt identical in every request
  bool ignore_eos = true;
  bool include_usage = true;              // stream_options.include_usage
  std::uint64_t seed = 0;
  std::vector<int> concurrency;           // closed-loop levels (clients each sending the next request at a finish)
  std::vector<double> rates;              // open-loop levels, requests/s of the server's time (see time_scale);
                                          // concurrency.front() then caps requests in flight
  bool poisson = true;                    // open loop: Poisson (else constant) arrivals
  std::int64_t requests = 0;              // per level (0: by duration)
  double duration_s = 0;                  // per level: no new request after this (0: by requests)
  double timeout_s = 600;                 // per request
  double connect_timeout_s = 10;
  double saturation_gain = 0.05;          // stop a sweep when output tok/s rose less than this fraction over the
                                          // best earlier level, or TTFT p50 exceeds 10x the first level's (0: never)
  double slo_ttft_s = 0, slo_tpot_s = 0;  // goodput bounds (0 = none)
  // Summaries in the server's own time: a serve-sim endpoint run with --time-scale S is S times faster than the
  // GPUs it simulates, so times are multiplied and rates divided by S (raw records stay in wall seconds), and
  // --rate levels are sent S times faster. Durations and timeouts stay wall seconds.
  double time_scale = 1;
  // Trace replay (one level, instead of concurrency or rate levels): requests sent at their times (divided by
  // time_scale on the wall clock) with their lengths and prefix blocks, up to `requests` / `duration_s`.
  std::vector<ScheduledRequest> schedule;
  // Multi-turn sessions (closed loop only; 0 = single requests). `requests` then counts turns.
  std::int32_t turns = 0, turns_max = 0;  // turns per session (uniform in [turns, turns_max] when turns_max > turns)
  std::int32_t turn_isl = 0;              // new words per turn after the first (0: `isl`)
  double think_s = 0, think_max_s = 0;    // think time before each turn after the first, the server's seconds
                                          // (divided by time_scale on the wall clock); uniform up to think_max_s
};

struct RequestRecord {
  std::int64_t id = 0;
  int level = 0;                   // index of the load level
  double send_s = 0;               // since the start of the run
  double end_s = 0;
  std::vector<double> chunk_s;     // arrival of every chunk carrying text
  std::vector<std::int32_t> chunk_chars;  // its text length (placeholder servers: tokens = words)
  int status = 0;                  // HTTP status (0: no response)
  bool ok = false;
  std::string error_kind;          // "" when ok; else connection_refused, unauthorized, not_found, http_error,
                                   // non_sse, truncated, timeout, server_error_event, transport, interrupted
  std::string error;               // one line
  std::int32_t prompt_tokens = -1, completion_tokens = -1, cached_tokens = -1;  // usage (-1: not sent)
  std::int32_t output_tokens = 0;  // completion_tokens, else text chunks
  std::string finish_reason;
  std::int64_t session = -1;       // sessions: the session's id (-1: a single request)
  std::int32_t turn = 0;           // sessions: 1-based turn index
  std::int32_t session_turns = 0;  // sessions: the turns the session was to have
  std::int32_t prompt_words = 0;   // words sent (the prompt as built)
  double ttft_s() const { return chunk_s.empty() ? -1 : chunk_s.front() - send_s; }
  double tpot_s() const {
    return output_tokens > 1 && chunk_s.size() >= 2 ? (chunk_s.back() - chunk_s.front()) / (output_tokens - 1) : -1;
  }
  double e2e_s() const { return end_s - send_s; }
};

struct Stats {
  std::int64_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Stats stats_of(std::vector<double> v);

struct TurnSummary {              // sessions: the turns of one index within a level (completed turns)
  std::int32_t turn = 0;
  std::int64_t count = 0;
  double mean_prompt_tokens = 0, mean_cached_tokens = 0;
  Stats ttft_s;
};

struct SessionSummary {           // sessions of one level (from the request records)
  std::int64_t started = 0;        // sessions with at least one turn sent
  std::int64_t complete = 0;       // every planned turn completed
  std::int64_t failed = 0;         // ended by a failed turn
  std::int64_t cut = 0;            // ended by the level's request count or duration, or by Ctrl-C
  Stats turns;                     // turns of complete sessions
  Stats session_s;                 // session time of complete sessions (server time)
  Stats cached_share;              // per complete session: cached / prompt tokens of its turns
  double cached_share_all = 0;     // cached / prompt tokens over every completed turn of the level
  double mean_last_prompt_tokens = 0;  // the context reached by the last turn of complete sessions
  std::vector<TurnSummary> by_turn;
};

struct LevelResult {
  int concurrency = 0;             // closed loop: clients; open loop: the in-flight cap; trace replay: 0
  double rate_per_s = 0;           // open loop (0: closed loop)
  std::int64_t sent = 0, ok = 0, failed = 0;
  std::map<std::string, std::int64_t> errors;       // error kind -> count
  std::map<std::string, std::string> first_error;   // error kind -> its first one-line message
  double duration_s = 0;           // first send -> last end
  double output_tok_per_s = 0, input_tok_per_s = 0, request_per_s = 0;
  double mean_prompt_tokens = 0, mean_output_tokens = 0, mean_cached_tokens = 0;
  Stats ttft_s, itl_s, tpot_s, e2e_s, tok_s_per_user;
  double goodput_req_per_s = 0, slo_attainment = 0;
  double mean_in_flight = 0;       // time-average requests in flight
  double client_cpu_cores = 0;     // the client's CPU seconds per wall second (1 = one core busy)
  std::int64_t chunks = 0;
  double chunks_per_s = 0;
  SessionSummary sessions;         // sessions mode only (started == 0 otherwise)
};

struct BenchResult {
  BenchConfig config;              // as run (api_key blanked)
  std::string model;               // as sent
  std::vector<LevelResult> levels;
  bool interrupted = false;
  std::string stop_reason;         // why a sweep ended before its last level ("" = ran every level)
  std::vector<std::string> warnings;
};

struct Progress {
  int level = 0, levels = 0;
  std::int64_t sent = 0, done = 0, failed = 0, in_flight = 0;
  double elapsed_s = 0, output_tok_per_s = 0, client_cpu_cores = 0;
};

struct BenchHooks {
  std::function<void(const RequestRecord&)> on_request;  // every finished or failed request
  std::function<void(const Progress&)> on_progress;      // about 4 times a second
  std::function<bool()> stop;                            // polled: true ends the run (what ran is kept)
};

// Runs the sweep. Bad options throw InputError (field named `like_this`); failing requests are counted, never thrown.
BenchResult run_bench(const BenchConfig& config, const BenchHooks& hooks = {});

// The option checks run_bench makes first (InputError naming the field); no network.
void check_bench_config(const BenchConfig& config);

// Prompt words and max_tokens of request `id`: fixed, or uniform in [isl, isl_max] / [osl, osl_max] (seeded).
std::pair<std::int32_t, std::int32_t> request_lengths(const BenchConfig& config, std::int64_t id);

// The prompt of a scheduled request: its blocks' words (shared by every request listing a block), then words
// salted per request up to its length.
std::string scheduled_prompt(std::uint64_t seed, std::int64_t id, const ScheduledRequest& r);

// The prompt of request `id` (words; `shared` leading words are the same for every id of a seed).
std::string make_prompt(std::uint64_t seed, std::int64_t id, std::int32_t words, std::int32_t shared);

// Sessions: the words of segment `segment` of session `session` (segment 0: turn 1's prompt, whose `shared`
// leading words are the same in every session of a seed, as make_prompt's; then, alternately, the answer to turn k
// and the new words of turn k + 1), salted per seed, session and segment.
std::string session_segment(std::uint64_t seed, std::int64_t session, std::int32_t segment, std::int32_t words,
                            std::int32_t shared);
// The prompt of a session's turn: its segments (lengths `segment_words`, an odd count: turn k has 2k - 1) joined by
// spaces. Each turn's prompt is a word-for-word prefix of the next one's.
std::string session_prompt(std::uint64_t seed, std::int64_t session, const std::vector<std::int32_t>& segment_words,
                           std::int32_t shared);
// Turns of session `session` (uniform in [turns, turns_max], seeded) and the think time before turn `turn`.
std::int32_t session_turns(const BenchConfig& config, std::int64_t session);
double think_time_s(const BenchConfig& config, std::int64_t session, std::int32_t turn);

// Summaries of one level from its request records (exposed for tests and for recomputing from raw JSONL).
LevelResult summarize(const std::vector<RequestRecord>& recs, const BenchConfig& config, int level);

}  // namespace tokenmath::loadgen
