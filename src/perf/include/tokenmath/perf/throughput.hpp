// Steady-state serving of a fixed workload (ISL prompt tokens, OSL output tokens per request) at a given
// concurrency, the throughput-interactivity frontier, and the search over deployments of a model on a GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenmath/perf/step.hpp"

namespace tokenmath::perf {

struct OperatingPoint {
  std::int64_t concurrency = 0;       // sequences in flight in one replica
  double step_s = 0;                  // the average engine step at steady state
  double decode_seqs_per_step = 0;    // sequences decoding in an average step
  double prefill_tokens_per_step = 0; // prompt tokens prefilled in an average step
  double output_tok_s = 0;            // output tokens/s of one replica
  double output_tok_s_per_gpu = 0;
  double tok_s_per_user = 0;          // 1 / TPOT
  double tpot_s = 0;                  // time per output token seen by a user (one step)
  double ttft_s = 0;                  // prompt prefill at this load (no queueing: closed loop)
  double e2e_s = 0;                   // ttft + (osl - 1) * tpot
  StepTime breakdown;                 // of the average step
};

// Continuous batching at steady state with `concurrency` requests of fixed ISL/OSL in flight (a closed loop:
// a finished request is replaced at once). Every step runs the decoding sequences plus prompt tokens at the
// rate that keeps the loop full: a request needs OSL decode steps and ISL prefill tokens, so per step
// P = N*ISL/S prefill tokens with S = max(OSL, N*ISL/(budget - decode)) steps per request cycle, where
// budget = knobs.max_batched_tokens. Prefill comes in lumps of one prompt (or chunk): a share P / lump of the
// steps carries one, the rest only decode (throughput.cpp). Decode contexts average ISL + OSL/2; prefill
// tokens attend ISL/2 on average. Output tokens/s = N*OSL / (S * average step).
OperatingPoint steady_state(const StepModel& model, double isl, double osl, std::int64_t concurrency);

struct Frontier {
  bool feasible = false;
  std::string reason;                 // why not, when infeasible
  std::int64_t max_concurrency = 0;   // KV capacity / max_num_seqs bound for ISL+OSL
  std::vector<OperatingPoint> points; // concurrency 1, 2, 4, ... up to max_concurrency
  OperatingPoint best;                // the max-throughput point
};

// Sweeps concurrency in powers of two up to the memory/engine bound (and includes the bound itself).
Frontier frontier(const StepModel& model, double isl, double osl);

struct DeploymentOption {
  Deployment deployment;
  Frontier frontier;
  std::string label;  // e.g. "TP4 fp8 kv=fp8" / "DEP8 fp8"
};

struct SearchRequest {
  std::shared_ptr<const catalog::ModelSpec> model;
  catalog::GpuSpec gpu;
  std::vector<catalog::Precision> precisions;  // weight precisions to try (empty: bf16, fp8, nvfp4 as supported,
                                               // and the checkpoint's native format)
  std::vector<catalog::Precision> kv_precisions;  // empty: fp8 when the GPU has fp8, else bf16
  std::vector<int> gpu_counts = {1, 2, 4, 8};  // GPUs per replica to try
  double isl = 1024, osl = 1024;
  EngineKnobs knobs;
};

// Tries TP (and PP for counts beyond the scale-up domain), attention-DP + EP for MoE models, over precisions
// and GPU counts; keeps feasible deployments, best output tokens/s per GPU first. Infeasible ones are returned
// after the feasible ones with their reason.
std::vector<DeploymentOption> search_deployments(const SearchRequest& req, const EfficiencyTable& eff);

// Default activation (GEMM) precision for a weight precision on a GPU: fp8 weights -> fp8 GEMMs, nvfp4/mxfp4 ->
// fp4 GEMMs where the GPU has fp4, int4 -> bf16 (weight-only).
catalog::Precision default_activation_precision(catalog::Precision weights, const catalog::GpuSpec& gpu);
std::string deployment_label(const Deployment& d);

}  // namespace tokenmath::perf
