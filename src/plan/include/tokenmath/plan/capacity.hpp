// Capacity of one model replica for the planner's workload: agent steps with a long cached prefix, a few
// fresh input tokens and a short output. Built on the perf step model; every formula is in capacity.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenmath/perf/step.hpp"
#include "tokenmath/plan/demand.hpp"

namespace tokenmath::plan {

struct Slo {
  double max_ttft_s = 0;
  double min_output_tok_s_per_user = 0;
  double percentile = 0.9;  // share of requests the decode-speed SLO must hold for (the sizing point)
};

// How much of a session's prefix survives between its steps, as a function of the KV room the replica has for
// idle sessions (formula in capacity.cpp replica_point). Empty curve: the owned fleet hits the cache as the API
// does and idle sessions take no KV (the analytic upper bound).
struct PrefixRetention {
  std::vector<double> storage_ratio;          // idle-session KV / active KV, ascending from 0
  std::vector<double> prefill_amplification;  // tokens prefilled / the eviction-free minimum, at each point
  double api_amplification = 1;               // the same for the API cache the workload's hit rate was measured on
  double host_kv_bytes_per_gpu = 0;           // host-memory KV tier per GPU (0 = none)
  double host_link_bytes_per_s = 0;           // host -> GPU reload bandwidth per GPU
  bool enabled() const { return !storage_ratio.empty(); }
  // Amplification at storage ratio r: linear between points, the last point's beyond it.
  double amplification(double r) const;
};

// What an agent step asks of a replica.
struct StepShape {
  TokenMix tokens;  // per step as the API serves it: fresh (prefilled), cached (KV re-used), output
  PrefixRetention retention;
};

// One replica at steady state with `concurrency` steps in flight.
struct ReplicaPoint {
  std::int64_t concurrency = 0;
  // The step as this replica serves it: its own cache misses at this concurrency (PrefixRetention).
  TokenMix tokens;
  double cache_hit_rate = 0;        // tokens.cached_input / input
  double idle_storage_ratio = 0;    // KV room for idle sessions (HBM left by active steps + host tier) / active KV
  double host_hit_tokens = 0;       // per step on average: cached tokens reloaded from the host tier
  double host_reload_s = 0;         // per step on average: their reload time over the host link (in TTFT)
  double iterations_per_step = 0;  // engine iterations per agent step, S = max(O, N (F + O) / B)
  double decode_seqs = 0;          // per iteration, N x O / S
  double prefill_tokens = 0;       // per iteration on average, N x F / S
  double prefill_iteration_share = 0;  // share of iterations carrying prefill chunks (Poisson arrivals)
  double prefill_chunk_tokens = 0;     // prefill tokens in such an iteration
  double iteration_s = 0;          // mean step-model time of an iteration (mixed and decode-only)
  double steps_per_s = 0;          // agent steps completed per second, N / (S x t)
  double output_tok_s = 0;         // steps_per_s x O
  double output_tok_s_per_gpu = 0;
  double tok_s_per_user = 0;    // a / t (mean)
  double tok_s_per_user_p90 = 0;  // at the SLO's percentile of requests (prefill lumps a request meets vary), see capacity.cpp
  double ttft_s = 0;            // see capacity.cpp
  double ttft_miss_s = 0;       // a step whose whole context misses the cache: prefill of C + F tokens
  double kv_used_fraction = 0;  // active sequences' KV / KV pool
  // Shares of iteration time attributed to each token kind (sum to 1): output = decode at zero context,
  // cached = extra decode time from attending the context, fresh = extra time of the prefill tokens.
  double share_fresh = 0, share_cached = 0, share_output = 0;
  std::string limit;  // "" when all SLOs and memory hold, else the first that fails
};

struct ReplicaCapacity {
  bool feasible = false;
  std::string reason;  // why no concurrency meets the SLOs (or memory) when infeasible
  perf::Deployment deployment;
  perf::Efficiency efficiency;  // the factors it was priced with (engine profile included); the sim check reuses them
  std::string label;
  int gpus = 0;
  ReplicaPoint best;                   // the concurrency meeting every constraint with the most steps/s
  std::vector<ReplicaPoint> frontier;  // concurrency 1, 2, 4, ... (for the frontier chart), constraint flags set
  // Busy replica-seconds per token of each kind at `best`: share_k x (1 / steps_per_s) / tokens_k per step, the
  // tokens as the API bills them (StepShape::tokens); prefill of the owned cache's extra misses counts as cached.
  double seconds_per_fresh_token = 0, seconds_per_cached_token = 0, seconds_per_output_token = 0;
};

// Evaluates one concurrency (no constraint checks beyond setting `limit`).
ReplicaPoint replica_point(const perf::StepModel& m, const StepShape& shape, const Slo& slo, std::int64_t concurrency);

// The concurrency with the most steps/s among those meeting the SLOs and fitting in memory. Feasibility is
// monotone (iteration time, KV use, prefill load and cache misses all grow with concurrency): a binary search
// finds the largest feasible N; with a retention curve, fewer sequences can miss less and serve more, so
// concurrencies below it are scanned too (geometric steps of 5%).
ReplicaCapacity replica_capacity(const perf::StepModel& m, const StepShape& shape, const Slo& slo);

}  // namespace tokenmath::plan
