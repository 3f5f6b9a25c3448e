// Workloads: what arrives, when, and with which prompt/output lengths and shared prefixes.
//
// A request's prompt is described by a chain of content chunks (e.g. Mooncake's 512-token hash blocks, or one
// chunk per turn of an agentic session). Each chunk carries the chained hash of itself and everything before it,
// so two requests share a cached prefix exactly as far as their chunk hashes agree. Requests without chunks share
// nothing. The simulator pulls requests from a Workload, which may react to finishes (closed loops, sessions).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tokenmath/sim/rng.hpp"

namespace tokenmath::sim {

using SimTime = std::int64_t;  // simulated nanoseconds
constexpr SimTime kNsPerS = 1'000'000'000;
inline SimTime seconds_to_ns(double s) { return static_cast<SimTime>(std::llround(s * 1e9)); }
inline double ns_to_seconds(SimTime t) { return static_cast<double>(t) * 1e-9; }

struct Chunk {
  std::uint64_t hash = 0;  // chained: hash(previous chunk's hash, this chunk's content id)
  std::int32_t tokens = 0;
};

// Chained hash of a content id after a prefix hash (0 for the first chunk).
inline std::uint64_t chain_hash(std::uint64_t prefix_hash, std::uint64_t content_id) {
  return mix64(prefix_hash * 0x9e3779b97f4a7c15ULL ^ mix64(content_id));
}

struct Request {
  std::int64_t id = 0;          // assigned by the simulator in arrival order
  SimTime arrival_ns = 0;
  std::int32_t prompt_tokens = 1;
  std::int32_t output_tokens = 1;
  std::vector<Chunk> chunks;    // prefix structure of the prompt (may cover fewer tokens than the prompt)
  std::uint64_t output_hash = 0;  // != 0: the output is cached under this chain hash when the request finishes
  std::int64_t session = -1;    // workload bookkeeping (closed-loop client or agentic session), -1 if none
  std::int32_t turn = 0;
  std::int64_t tag = -1;        // the submitter's handle (LiveSimulator), carried unchanged
};

// A scalar distribution (lengths, think times). Samples are clipped to [min, max].
struct Dist {
  enum class Kind { fixed, uniform, normal, lognormal, exponential, empirical };
  Kind kind = Kind::fixed;
  double a = 1;  // fixed: value; uniform: lo; normal: mean; lognormal: median; exponential: mean
  double b = 0;  // uniform: hi; normal: stddev; lognormal: sigma (of ln)
  double min = 0;
  double max = 1e18;
  std::shared_ptr<const std::vector<double>> values;  // empirical: sampled uniformly

  static Dist fixed(double v) { Dist d; d.a = v; return d; }
  double sample(Rng& rng) const;
  // Rounded to an integer >= 1 (token counts).
  std::int32_t sample_tokens(Rng& rng) const;
  // Expected value before clipping (used for capacity estimates and reports).
  double mean() const;
};

// Arrival process of an open-loop workload.
struct ArrivalSpec {
  enum class Kind { poisson, gamma, constant, profile, closed };
  Kind kind = Kind::poisson;
  double rate_per_s = 1;          // mean rate (profile: rate when the hourly multiplier is 1)
  double cv = 1;                  // gamma: coefficient of variation of inter-arrival gaps
  std::vector<double> hourly;     // profile: 24 multipliers of rate_per_s, hour 0 = simulation start + start_hour
  double start_hour = 0;
  int concurrency = 1;            // closed: clients each sending the next request when the previous finishes
  Dist think_time_s = Dist::fixed(0);  // closed: pause between a finish and the client's next request
  double ramp_s = 0;              // closed: client c sends its first request at ramp_s * c / concurrency
};

// One trace row.
struct TraceRow {
  double time_s = 0;
  std::int32_t input_tokens = 1;
  std::int32_t output_tokens = 1;
  std::vector<std::uint64_t> hash_ids;  // Mooncake prefix blocks (empty for Azure)
};
struct Trace {
  std::string file;
  std::string format;  // "azure" or "mooncake"
  int block_tokens = 512;  // tokens per hash id (Mooncake)
  std::vector<TraceRow> rows;  // sorted by time, times relative to the first row
};
// Azure LLM inference trace 2023/2024: CSV with header TIMESTAMP,ContextTokens,GeneratedTokens, timestamps
// "YYYY-MM-DD hh:mm:ss.fffffff". Throws InputError naming file, line and value on malformed rows.
Trace load_azure_trace(const std::filesystem::path& path);
// Mooncake JSONL: {"timestamp": ms, "input_length", "output_length", "hash_ids": [...]} per line.
Trace load_mooncake_trace(const std::filesystem::path& path);
// Dispatches on format ("azure" | "mooncake").
Trace load_trace(const std::filesystem::path& path, const std::string& format);

// Agentic coding sessions: each session starts with a shared prefix (system prompt + tool definitions, the same
// for every session) plus a session-specific initial context, then runs turns. Turn k's prompt is everything so
// far (shared prefix, initial context, all earlier new inputs and outputs) plus new_tokens; the next turn starts
// think_time_s after the previous one finishes. A session ends after `turns` turns or when the next prompt would
// exceed max_context_tokens.
struct AgenticSpec {
  ArrivalSpec session_arrival;        // when sessions start (closed: `concurrency` engineers, one session each
                                      // at a time, a new session starting when one ends)
  std::int64_t sessions = 0;          // sessions to start in total (0 = unlimited, bounded by requests/duration)
  std::int32_t shared_prefix_tokens = 0;
  Dist initial_context_tokens = Dist::fixed(1);
  Dist turns = Dist::fixed(1);
  Dist new_tokens = Dist::fixed(1);
  Dist output_tokens = Dist::fixed(1);
  Dist think_time_s = Dist::fixed(0);
  std::int32_t max_context_tokens = 1'000'000;
};

// The complete workload description of a scenario.
struct WorkloadSpec {
  enum class Kind { synthetic, trace, agentic };
  Kind kind = Kind::synthetic;
  // synthetic
  ArrivalSpec arrival;
  Dist input_tokens = Dist::fixed(1);
  Dist output_tokens = Dist::fixed(1);
  std::shared_ptr<const Trace> length_trace;  // when set, (input, output) pairs are drawn jointly from its rows
  std::int32_t shared_prefix_tokens = 0;      // every request starts with one of `shared_prefix_groups` prefixes
  std::int32_t shared_prefix_groups = 1;
  // trace replay
  std::shared_ptr<const Trace> trace;
  double speedup = 1;                         // replay time = trace time / speedup
  // agentic
  AgenticSpec agentic;
  // limits (0 = none): stop generating arrivals after this many requests / this much simulated time
  std::int64_t max_requests = 0;
  double duration_s = 0;
};

// Receives the requests a workload generates. Arrival times must not lie in the simulated past.
class ArrivalSink {
 public:
  virtual ~ArrivalSink() = default;
  virtual void schedule_arrival(Request r) = 0;
  virtual SimTime now() const = 0;
};

// A request generator. start() schedules the first arrival(s); on_arrival() lets open-loop generators schedule
// the next one (so only one future arrival is pending at a time); on_finish() lets closed loops and sessions
// follow up.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual void start(ArrivalSink& sink) = 0;
  virtual void on_arrival(const Request& /*r*/, ArrivalSink& /*sink*/) {}
  virtual void on_finish(const Request& /*r*/, ArrivalSink& /*sink*/) {}
};

// Builds the generator for a spec (copied); its random streams derive from `seed`.
std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec, std::uint64_t seed);

// One prompt per shared-prefix group of a synthetic workload (its prefix chunk only): what its cache holds after
// a long run, for SimOptions::warm_prompts. Empty when the spec has no shared prefix.
std::vector<Request> shared_prefix_prompts(const WorkloadSpec& spec);

}  // namespace tokenmath::sim
