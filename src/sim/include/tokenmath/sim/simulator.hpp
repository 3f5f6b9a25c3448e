// The cluster simulator: an event loop over integer nanoseconds with events ordered by (time, sequence number),
// replicas grouped in pools (one unified pool, or prefill + decode pools for disaggregation), a router per pool,
// KV transfer between pools, and memory-bounded result statistics.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tokenmath/sim/replica.hpp"
#include "tokenmath/sim/workload.hpp"

namespace tokenmath::sim {

struct PoolSpec {
  std::string name = "main";
  int replicas = 1;
  ReplicaConfig config;  // config.role: unified, or prefill/decode for disaggregation
  std::string router = "round-robin";
  double affinity_slack_tokens = 1e6;
};

struct Slo {
  double ttft_s = 0;  // 0 = not constrained
  double tpot_s = 0;
};

struct SimConfig {
  std::vector<PoolSpec> pools;       // [unified] or [prefill, decode]
  double kv_link_bytes_per_s = 0;    // disaggregation: each prefill replica's link to the decode pool
  Slo slo;
  double horizon_s = 0;              // stop at this simulated time (0 = run until every request finished)
  // A request longer than the model's context: reject it (an API's 400) or clip its prompt from the end so that
  // prompt + output fit (prefix chunks beyond the cut are dropped). Requests longer than the whole KV pool are
  // rejected either way.
  bool clip_context_overflow = false;
};

// One finished request (per-request export).
struct RequestRecord {
  std::int64_t id = 0;
  std::int32_t replica = -1;          // replica that emitted the last token
  double arrival_s = 0, first_token_s = 0, finish_s = 0;
  std::int32_t prompt_tokens = 0, output_tokens = 0, cached_tokens = 0, preemptions = 0;
  double ttft_s = 0, tpot_s = 0, e2e_s = 0, queue_s = 0;
  std::int64_t session = -1;
  std::int32_t turn = 0;
};

struct SimOptions {
  std::function<void(const RequestRecord&)> on_request;  // called at every finish when set
  std::function<void(const StepRecord&)> on_step;        // called at every step start when set
  std::function<void(double fraction)> on_progress;      // called every 2^16 events when set
  std::function<bool()> stop;                            // polled every 2^12 events: true ends the run early
  std::int64_t expected_requests = 0;                    // for progress: finished / expected_requests
  double expected_sim_s = 0;                             // or simulated time / expected_sim_s, whichever is ahead
  bool check_invariants = false;                         // after every step (slow; tests)
  // Warm start: every replica's prefix cache begins holding these prompts' chunks (Replica::warm), as after a
  // long run, instead of cold; e.g. a synthetic workload's shared prefixes (shared_prefix_prompts).
  std::vector<Request> warm_prompts;
};

struct LatencyStats {
  std::int64_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct ReplicaResult {
  std::int32_t id = 0;
  std::string pool;
  std::int64_t routed = 0;
  std::int64_t steps = 0;
  double busy_fraction = 0;      // busy time / simulated time
  double kv_util_mean = 0;       // time-average of blocks in use / KV blocks, over the simulated time
  double kv_util_peak = 0;
  std::int64_t preemptions = 0;
  double prefix_hit_rate = 0;    // HBM hit tokens / prompt tokens at admissions (incl. recomputes)
  std::int64_t prefill_tokens = 0;
  std::int64_t decode_tokens = 0;
  std::int64_t evicted_blocks = 0;
};

struct SimResult {
  bool interrupted = false;  // ended early by SimOptions::stop (a partial run: the figures cover what ran)
  std::int64_t arrived = 0, finished = 0, unfinished = 0, rejected = 0;
  std::int64_t clipped = 0;  // prompts shortened to the model's context (clip_context_overflow)
  double sim_time_s = 0;         // simulated time until the last event
  double input_tokens = 0, output_tokens = 0, cached_tokens = 0;  // finished requests
  double request_rate_per_s = 0, input_tok_per_s = 0, output_tok_per_s = 0;
  LatencyStats ttft_s, tpot_s, itl_s, e2e_s, queue_s;
  double prefix_hit_rate = 0;    // token-weighted: cached prefix tokens / prompt tokens, finished requests
  double goodput_req_per_s = 0;  // finished requests meeting every SLO, per second
  double slo_attainment = 0;     // their fraction of finished requests
  double kv_util_mean = 0;       // mean over replicas
  double busy_fraction_mean = 0;
  double busy_fraction_min = 0, busy_fraction_max = 0;
  std::int64_t preemptions = 0;
  std::int64_t swapped_out = 0;  // of the preemptions, those whose KV went to the host tier (swap_preemption)
  // Little's law: time-average number in system vs arrival rate x mean time in system.
  double mean_in_system = 0;
  double littles_lambda_w = 0;
  // KV conservation (blocks): allocated == freed + held at the end (held = private + referenced + cached).
  std::int64_t blocks_allocated = 0, blocks_freed = 0, blocks_in_use_end = 0, blocks_cached_end = 0;
  std::int64_t events = 0, steps = 0;
  std::vector<ReplicaResult> replicas;
};

// Runs `workload` on the cluster of `config`. Deterministic: same inputs -> same result.
SimResult simulate(const SimConfig& config, Workload& workload, const SimOptions& options = {});

// Token progress of one request submitted to a LiveSimulator, reported when it changes.
struct TokenUpdate {
  std::int64_t tag = -1;            // Request::tag as submitted
  SimTime time_ns = 0;              // simulated time of the step end that emitted them
  std::int32_t tokens = 0;          // output tokens emitted so far (increases from update to update)
  bool done = false;                // the last token: tokens == output_tokens
  bool rejected = false;            // never ran (longer than the model's context or the replica's KV pool)
  std::int32_t prompt_tokens = 0;   // done: the prompt as served (after clipping)
  std::int32_t cached_tokens = 0;   // done: prompt tokens found in the prefix cache at the first admission
};

// The simulator driven from outside, one event at a time: the caller submits requests at simulated times of its
// choosing (a real-time driver maps wall-clock arrivals to them) and advances the clock; every step end reports
// the tokens each running request has emitted. The same event loop as simulate(): requests submitted at the same
// times as a workload would generate them give the same timings (tests). Reporting walks the stepping replica's
// running list, O(running) per step. Not thread-safe: one driver thread owns it.
class LiveSimulator {
 public:
  explicit LiveSimulator(const SimConfig& config, const SimOptions& options = {});
  ~LiveSimulator();
  LiveSimulator(const LiveSimulator&) = delete;
  LiveSimulator& operator=(const LiveSimulator&) = delete;
  // Schedules `r` to arrive at max(r.arrival_ns, now()); r.tag names it in the updates.
  void submit(Request r);
  // Runs every event at or before `t`, appending token progress to `out`; then now() == max(now(), t).
  void advance_to(SimTime t, std::vector<TokenUpdate>& out);
  // Time of the next scheduled event (INT64_MAX when none).
  SimTime next_event_ns() const;
  SimTime now() const;
  // Statistics of everything run so far.
  SimResult result();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenmath::sim
