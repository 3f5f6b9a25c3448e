// The step model: duration of one engine iteration of a deployment for a batch (mix of prefill chunks and
// decode tokens). This is the contract the simulator and the planner build on; the formulas live in step.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/catalog/model.hpp"
#include "tokenmath/perf/efficiency.hpp"

namespace tokenmath::perf {

// With attention data parallelism (Deployment::attention_dp) the token budget and the sequence cap apply to
// each of the tp attention ranks, as engines schedule each rank separately.
struct EngineKnobs {
  int max_batched_tokens = 8192;  // token budget per step (chunked prefill)
  int max_num_seqs = 512;         // running sequences cap
  double kv_mem_fraction = 0.90;  // fraction of memory given to KV: of the free HBM, or of all of it (below)
  // What kv_mem_fraction is a fraction of. false: the HBM left after weights, activations and the runtime reserve
  // (TensorRT-LLM's kv_cache_free_gpu_mem_fraction). true: the whole HBM, of which weights, activations and reserve
  // are then taken (vLLM's gpu_memory_utilization, SGLang's mem_fraction_static).
  bool kv_fraction_of_total = false;
  int chunked_prefill_tokens = 8192;
  // Running-sequence cap the engine sets by itself when speculative decoding is on and max_num_seqs was not given
  // (SGLang: max_running_requests = 48 for EAGLE / EAGLE3 / NEXTN); 0 = none. StepModel applies it to deployments
  // with speculative decoding; whoever sets max_num_seqs explicitly clears it.
  int spec_max_num_seqs = 0;
  // A running cap set explicitly (a flag, a launch command, a scenario): the engine's own cap under speculative
  // decoding no longer applies.
  void set_max_num_seqs(int n) {
    max_num_seqs = n;
    spec_max_num_seqs = 0;
  }
  // Prefill tokens one sequence can take in one step: its chunk, within its rank's budget.
  int sequence_chunk_tokens() const { return std::max(1, std::min(chunked_prefill_tokens, max_batched_tokens)); }
  // The largest decode batch (per attention-DP rank) the engine captures a CUDA graph for, by the GPU's memory and
  // the tensor-parallel size (SGLang's cuda_graph_max_bs defaults); the first rule whose min_gb and max_tp hold
  // applies. A larger decode batch runs eagerly. Empty = every decode batch replays a graph.
  struct GraphCapRule {
    double min_gb = 0;  // GPU memory at least this (GB as vendors print it)
    int max_tp = 0;     // tensor-parallel size at most this (0 = any)
    int max_bs = 0;
  };
  std::vector<GraphCapRule> cuda_graph_max_bs;
  // The rule for `mem_gb` and `tp`: its max_bs, or 0 when no rule applies (no cap).
  int graph_cap(double mem_gb, int tp) const {
    for (const auto& r : cuda_graph_max_bs)
      if (mem_gb >= r.min_gb && (r.max_tp <= 0 || tp <= r.max_tp)) return r.max_bs;
    return 0;
  }
};

// Speculative decoding (MTP, EAGLE-3, n-gram): every decode step a draft model proposes `draft_tokens` tokens per
// sequence (one draft pass each), then the target model verifies draft_tokens + 1 positions of every sequence in
// one forward pass; on average `acceptance_length` tokens (accepted drafts + the bonus token) are emitted per
// sequence per step. Off when draft_tokens == 0. Defaults per model family: data/perf/speculative.yaml.
struct SpecDecode {
  std::string method;            // "mtp", "eagle3", "ngram" ("" = off)
  int draft_tokens = 0;          // k: tokens drafted per sequence per step
  double acceptance_length = 1;  // mean tokens emitted per sequence per step, in [1, k + 1]
  double draft_layers = 0;       // decoder layers one draft pass runs (MTP module, EAGLE head: 1; n-gram: 0)
  // Tree drafts (EAGLE with top-k > 1): each draft pass expands `draft_width` candidates per sequence and the
  // verify pass checks `verify_tokens` positions (0 = a chain: draft_tokens + 1).
  int draft_width = 1;
  int verify_tokens = 0;
  bool enabled() const { return draft_tokens > 0; }
  // Query positions per sequence in the verify pass.
  int verified() const { return verify_tokens > 0 ? verify_tokens : draft_tokens + 1; }
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
  catalog::Precision weight_precision = catalog::Precision::bf16;  // routed experts (and all else when unset below)
  // Precision of every weight except routed experts (attention, dense FFN, shared experts); unset = the same as
  // weight_precision. gpt-oss ships mxfp4 routed experts and bf16 elsewhere.
  std::optional<catalog::Precision> non_expert_weight_precision;
  catalog::Precision activation_precision = catalog::Precision::bf16;  // GEMM compute precision
  catalog::Precision kv_precision = catalog::Precision::bf16;
  EngineKnobs knobs;
  SpecDecode spec;
  int num_gpus() const { return tp * pp; }
  catalog::Precision dense_weight_precision() const { return non_expert_weight_precision.value_or(weight_precision); }
};

// Sets d's weights to the checkpoint's native precision (d.model must be set): weight_precision =
// native_weight_precision, and non-expert weights bf16 where the catalog marks the native precision as
// routed-experts-only (ModelSpec::native_precision_experts_only), unset otherwise.
void use_native_weights(Deployment& d);

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
  double linear_s = 0;      // weight GEMMs (roofline of compute and weight reads) + fixed kernel costs
  double attention_s = 0;   // attention score/value incl. KV reads
  double moe_s = 0;         // expert GEMMs / expert-weight reads
  double comm_s = 0;        // TP all-reduce, EP all-to-all, PP send/recv
  double overhead_s = 0;    // host cost per step left visible (scheduling, sampling, launch; hidden under an
                            // overlap scheduler while the GPU is busy)
  double draft_s = 0;       // speculative decoding: draft passes (verify cost is in the groups above)
  double pipeline_bubble_s = 0;
};
// Every field of a StepTime, for sums and weighted averages of steps (StepModel::step, steady_state).
inline constexpr double StepTime::*kStepTimeFields[] = {&StepTime::total_s, &StepTime::linear_s,
                                                        &StepTime::attention_s, &StepTime::moe_s,
                                                        &StepTime::comm_s, &StepTime::overhead_s,
                                                        &StepTime::draft_s, &StepTime::pipeline_bubble_s};

struct MemoryPlan {
  bool feasible = false;
  std::string reason;              // why not, e.g. "weights need 141.2 GB per GPU, 80.0 GB available"
  double weight_bytes_per_gpu = 0;
  double activation_bytes_per_gpu = 0;
  double reserve_bytes_per_gpu = 0;
  double kv_bytes_per_gpu = 0;     // KV pool
  // Tokens of context one GPU's pool holds on the full-attention layers, after setting aside a full sliding
  // window per sequence (max_num_seqs of them) for windowed layers; an attention-DP replica holds tp pools.
  double kv_capacity_tokens = 0;
  double window_kv_bytes_per_seq = 0;  // windowed layers' KV of one sequence at a full window (0 if none)
  double state_bytes_per_seq = 0;  // Mamba state per sequence
};


// Memory feasibility of a deployment: weights + activations + runtime reserve <= HBM per GPU; what is left
// (times knobs.kv_mem_fraction) is the KV pool. Never throws for an infeasible deployment: feasible=false and a
// reason.
MemoryPlan plan_memory(const Deployment& d, const Efficiency& eff);

// The step model of one deployment. The constructor precomputes per-GPU coefficients (weight bytes, FLOPs per
// token, KV bytes per attended token, collective sizes) so that step() is a few multiply-adds, one exp() and a
// few max() (see step.cpp for every formula). Immutable and cheap to copy; safe to share between threads.
//
// A BatchSummary describes the whole replica's batch (all sequences of all attention-DP ranks and pipeline
// microbatches); step() returns the time until every sequence in it has advanced once.
class StepModel {
 public:
  StepModel(const Deployment& d, const Efficiency& eff);

  StepTime step(const BatchSummary& b) const;
  double step_s(const BatchSummary& b) const { return step(b).total_s; }

  const Deployment& deployment() const { return dep_; }
  const Efficiency& efficiency() const { return eff_; }
  const MemoryPlan& memory() const { return mem_; }
  bool feasible() const { return mem_.feasible; }

  // Most tokens a capped layer attends: the sliding window of the model's windowed layers, or the top-k of its
  // sparse-attention layers (0 = none). Batch summaries clip their per-sequence attention sums at it.
  double sliding_window() const { return window_; }
  // Share of the per-step host work an overlap scheduler hides under the GPU step, in [0, 1]: host_overlap, or
  // spec_host_overlap with speculative decoding on (the engine needs the accepted tokens before drafting), at most
  // recurrent_host_overlap for models with recurrent-state layers.
  double host_overlap() const {
    const double base = dep_.spec.enabled() ? eff_.spec_host_overlap : eff_.host_overlap;
    return std::clamp(recurrent_ ? std::min(base, eff_.recurrent_host_overlap) : base, 0.0, 1.0);
  }
  // KV (+ recurrent state) bytes one sequence of `context_len` tokens occupies on each GPU of the replica.
  double kv_bytes_per_seq_per_gpu(double context_len) const;
  // Sequences of `seq_len` tokens (prompt + output) the replica holds at once: KV pool / per-sequence bytes,
  // capped by knobs.max_num_seqs. 0 when the deployment is infeasible.
  std::int64_t max_concurrent_seqs(double seq_len) const;

  // Batch builders (also usable incrementally by the simulator).
  static BatchSummary new_batch() { return {}; }
  // `n` decode sequences, each attending `context_len` tokens.
  void add_decode(BatchSummary& b, double context_len, std::int64_t n = 1) const;
  // One prefill chunk of `chunk_tokens` tokens at positions [start_pos, start_pos + chunk_tokens) of a sequence:
  // token at position p attends p + 1 tokens (clipped to the window for windowed layers).
  void add_prefill(BatchSummary& b, double start_pos, double chunk_tokens) const;

 private:
  // A forward run without a CUDA graph: its GPU time with its kernels' host launch time (Efficiency::
  // prefill_eager_kernel_s each, every pipeline stage) added, less the share eager_launch_overlap hides.
  // A prefill forward (`prefill`) that the engine's piecewise graph runs pays only its share of the launches.
  StepTime eager_forward(StepTime r, bool prefill) const;
  // `q` = query tokens per decoding sequence (1, or draft_tokens + 1 when verifying a speculative draft).
  double stage_time(double dec, double q, double ctx, double ctx_w, double pre, double pre_seqs, double pairs,
                    double pairs_w, StepTime* out) const;
  // One draft pass of speculative decoding over `dec` sequences (per pipeline stage-equivalent).
  double draft_pass_time(double dec, double ctx, double ctx_w) const;
  // Split-KV Triton decode attention: the time its longest thread blocks take walking their share of the context
  // (0 when the engine runs other decode kernels). See step.cpp.
  double triton_decode_serial_s(double dec, double ctx, double ctx_w) const;

  Deployment dep_;
  Efficiency eff_;
  MemoryPlan mem_;
  double window_ = 0;
  // Per GPU, per pipeline stage (see step.cpp for their derivation).
  double lin_flops_per_tok_ = 0;       // dense linear FLOPs per token (attention projections, dense FFN, shared)
  double lin_bytes_ = 0;               // dense weight bytes read once per step
  double head_flops_per_seq_ = 0;      // lm_head FLOPs per sequence that samples a token
  double head_bytes_ = 0;
  double moe_flops_per_tok_ = 0;       // routed-expert FLOPs per token (top-k experts)
  double moe_bytes_per_expert_ = 0;    // bytes of one expert (all MoE layers of the stage, this GPU's slice)
  double moe_local_experts_ = 0;       // experts per layer held by this GPU
  double moe_log_miss_ = 0;            // ln(1 - k/E): a token misses a given expert
  double moe_imbalance_ = 1;           // busiest EP rank's expert load / mean
  double moe_row_flops_ = 0;           // FLOPs of one token row through one local expert (all MoE layers, this GPU's slice)
  double moe_route_frac_ = 0;          // k / E: share of experts one token is routed to
  double moe_experts_ = 0;             // routed experts per layer (E)
  double moe_row_bytes_per_tok_ = 0;   // routed rows' activations the grouped GEMMs move per token (gathered input, output)
  double moe_combine_bytes_per_tok_ = 0; // the combine kernel's traffic per token (routed rows read, one row written)
  bool recurrent_ = false;             // the model has recurrent-state (Mamba2, Gated DeltaNet) layers
  double kv_read_full_ = 0;            // bytes per (sequence, attended token) on full-attention layers
  double kv_read_win_ = 0;             // same for windowed layers
  double kv_write_per_tok_ = 0;        // KV bytes written per new token
  double state_bytes_per_seq_ = 0;     // recurrent state read+written per sequence per step
  double attn_dec_flops_full_ = 0;     // FLOPs per (decode token, attended token), full layers
  double attn_dec_flops_win_ = 0;
  double attn_pre_flops_full_ = 0;     // FLOPs per (prefill token, attended token)
  double attn_pre_flops_win_ = 0;
  double recurrent_flops_per_tok_ = 0; // Mamba scan FLOPs per token
  // Split-KV Triton decode attention (Efficiency::triton_decode_max_kv_splits > 0): layers of the stage that share
  // one grid shape, with the thread blocks one sequence launches per KV split (query-head groups) and the bytes of
  // one context token each block streams.
  struct TritonDecodeLayers {
    double head_groups = 0;
    double block_bytes_per_token = 0;
    double layers = 0;
    bool windowed = false;
  };
  std::vector<TritonDecodeLayers> triton_layers_;
  double gdn_layers_ = 0;              // Gated DeltaNet layers of the stage
  double gdn_value_heads_ = 0;         // their value heads per GPU (per replica token share, as the other groups)
  double mamba2_layers_ = 0;           // Mamba2 layers of the stage
  double mamba2_heads_ = 0;            // their SSM heads per GPU x (head_dim x state) / (64 x 128)
  double inv_lin_flops_rate_ = 0;      // 1 / (peak x efficiency) for weight GEMMs
  double inv_attn_flops_rate_ = 0;
  double inv_moe_flops_rate_ = 0;
  double inv_mem_rate_ = 0;            // 1 / (HBM bandwidth x efficiency)
  double inv_lin_mem_rate_ = 0;        // same for the dense weights (block-scaled FP8 kernels may differ)
  double inv_moe_mem_rate_ = 0;        // same for expert weights in grouped GEMMs
  double inv_kv_mem_rate_ = 0;         // same for KV-cache streaming in decode attention
  double ar_bytes_per_tok_ = 0;        // all-reduce bytes on the wire per token per stage (ring)
  double ar_count_ = 0;                // collectives per stage per step
  double a2a_bytes_per_tok_ = 0;       // EP all-to-all bytes per token per stage (dispatch + combine)
  double a2a_count_ = 0;
  double pp_bytes_per_tok_ = 0;        // activation bytes sent to the next stage per token
  double inv_link_rate_ = 0;           // 1 / (link bandwidth x efficiency)
  double inv_pp_link_rate_ = 0;
  double logits_bytes_per_seq_ = 0;    // fp32 logits written and read back per sampled sequence
  double act_bytes_per_tok_ = 0;       // elementwise-kernel activation bytes per token (norms, FFN activation)
  double fixed_kernels_s_ = 0;         // kernel_fixed_s x kernels the stage launches per step
  double kernels_stage_ = 0;           // kernels the stage launches per forward (incl. lm_head and sampling)
  bool piecewise_prefill_ = false;     // prefill forwards run the engine's piecewise CUDA graph (step.cpp)
  double attn_token_share_ = 1;        // fraction of the replica's sequences whose attention this GPU runs
  double dp_ranks_ = 1;                // attention-DP ranks (1 without attention DP)
  int graph_cap_ = 0;                  // largest decode batch per rank replayed as a CUDA graph (0 = every batch)
  double layers_stage_ = 1;            // decoder layers per pipeline stage
  double spec_q_ = 1;                  // query tokens per decoding sequence in the (verify) forward pass

  // One forward over the batch (step() splits a batch into two forwards for engines that do not mix prefill
  // with decode).
  StepTime forward(const BatchSummary& b) const;
};

}  // namespace tokenmath::perf
