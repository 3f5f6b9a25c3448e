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

// What an agent step asks of a replica.
struct StepShape {
  TokenMix tokens;           // per step: fresh (prefilled), cached (KV re-used), output
  double prefix_hold_s = 0;  // seconds a session's prefix stays in HBM between its steps (tool time)
};

// One replica at steady state with `concurrency` steps in flight.
struct ReplicaPoint {
  std::int64_t concurrency = 0;
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
  double kv_used_fraction = 0;  // (active + held sequences' KV) / KV pool
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
  ReplicaPoint best;                   // the largest concurrency meeting every constraint
  std::vector<ReplicaPoint> frontier;  // concurrency 1, 2, 4, ... (for the frontier chart), constraint flags set
  // Busy replica-seconds per token of each kind at `best`: share_k x (1 / steps_per_s) / tokens_k per step.
  double seconds_per_fresh_token = 0, seconds_per_cached_token = 0, seconds_per_output_token = 0;
};

// Evaluates one concurrency (no constraint checks beyond setting `limit`).
ReplicaPoint replica_point(const perf::StepModel& m, const StepShape& shape, const Slo& slo, std::int64_t concurrency);

// Largest concurrency whose point meets the SLOs and fits in memory (binary search: iteration time, KV use and
// prefill load all grow with concurrency).
ReplicaCapacity replica_capacity(const perf::StepModel& m, const StepShape& shape, const Slo& slo);

}  // namespace tokenmath::plan
