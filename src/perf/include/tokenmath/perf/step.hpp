// The step model: duration of one engine iteration of a deployment for a batch (mix of prefill chunks and
// decode tokens). This is the contract the simulator and the planner build on; the formulas live in step.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/catalog/model.hpp"

namespace tokenmath::perf {

struct EngineKnobs {
  int max_batched_tokens = 8192;  // token budget per step (chunked prefill)
  int max_num_seqs = 512;         // running sequences cap
  double kv_mem_fraction = 0.90;  // fraction of free HBM (after weights, activations, reserve) given to KV
  int chunked_prefill_tokens = 8192;
};

// One model replica. tp = GPUs in the tensor/expert-parallel group of one pipeline stage;
// ep (<= tp, divides tp) experts are sharded ep-ways, each expert tensor-parallel tp/ep ways;
// attention_dp: attention runs data-parallel across the tp GPUs (each holds full attention weights and its
// own sequences), as SGLang/TRT-LLM run DeepSeek ("DEP"). GPUs per replica = tp * pp.
struct Deployment {
  std::shared_ptr<const catalog::ModelSpec> model;
  catalog::GpuSpec gpu;
  int tp = 1;
  int pp = 1;
  int ep = 1;
  bool attention_dp = false;
  catalog::Precision weight_precision = catalog::Precision::bf16;
  catalog::Precision activation_precision = catalog::Precision::bf16;  // GEMM compute precision
  catalog::Precision kv_precision = catalog::Precision::bf16;
  EngineKnobs knobs;
  int num_gpus() const { return tp * pp; }
};

// Aggregates of one step's batch, cheap to update incrementally (the simulator keeps one per step).
struct BatchSummary {
  std::int64_t decode_seqs = 0;          // sequences emitting one token
  double decode_ctx_sum = 0;             // sum over decode seqs of tokens attended (full-attention layers)
  double decode_ctx_windowed_sum = 0;    // same, each clipped to the model's sliding window (0 if none)
  std::int64_t prefill_tokens = 0;       // new tokens prefilled this step (all chunks)
  std::int64_t prefill_seqs = 0;
  double prefill_attn_pairs = 0;         // sum over prefill tokens of tokens attended (full layers)
  double prefill_attn_pairs_windowed = 0;

  std::int64_t tokens() const { return decode_seqs + prefill_tokens; }
};

struct StepTime {
  double total_s = 0;
  // Breakdown (seconds); they may overlap, total_s is not their plain sum. See step.cpp.
  double linear_s = 0;      // weight GEMMs (max of compute and weight-read time per layer group)
  double attention_s = 0;   // attention score/value incl. KV reads
  double moe_s = 0;         // expert GEMMs / expert-weight reads
  double comm_s = 0;        // TP all-reduce, EP all-to-all, PP send/recv
  double overhead_s = 0;    // fixed per-step cost (scheduling, launch)
  double pipeline_bubble_s = 0;
};

struct MemoryPlan {
  bool feasible = false;
  std::string reason;              // why not, e.g. "weights need 141.2 GB per GPU, 80.0 GB available"
  double weight_bytes_per_gpu = 0;
  double activation_bytes_per_gpu = 0;
  double reserve_bytes_per_gpu = 0;
  double kv_bytes_per_gpu = 0;     // KV pool
  double kv_capacity_tokens = 0;   // tokens of context the replica can hold (all layers)
  double state_bytes_per_seq = 0;  // Mamba state per sequence
};

}  // namespace tokenmath::perf
