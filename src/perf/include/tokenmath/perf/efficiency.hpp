// Achievable-efficiency factors: what fraction of an accelerator's peak FLOPS, memory bandwidth and link
// bandwidth serving engines reach, plus fixed costs. Values live in data/perf/efficiency.yaml (each with a note
// on how it was obtained); `tokenmath calibrate` refits the fitted ones on published measurements.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tokenmath/common/schema.hpp"
#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/catalog/precision.hpp"

namespace tokenmath::perf {

// Factors resolved for one accelerator (defaults + the overrides of the class it belongs to).
struct Efficiency {
  std::string gpu_class = "default";
  // Fraction of dense peak FLOPS reached by large weight GEMMs, per compute class.
  double compute_bf16 = 0.65;
  double compute_fp8 = 0.55;
  double compute_fp4 = 0.45;
  double compute_moe = 1.0;               // extra factor for bf16 grouped expert GEMMs (x compute_bf16)
  double compute_moe_lowp = 1.0;          // same for fp8/fp4 grouped expert GEMMs (x compute_fp8 / compute_fp4)
  // Fraction of (bf16 or fp8) peak reached by attention kernels (FMHA / MLA): score and value products.
  double attention_compute = 0.45;
  double attention_half_tokens = 0;       // prompt length at which prefill attention reaches half of the above
  // Prefill attention pays the softmax exponentials of every score beside its two matmuls. In matmul-FLOP
  // equivalents one score costs softmax_flop_equiv (dense matmul peak / special-function exp rate) per head on
  // top of 2 x (qk + v head dims) x 2 FLOPs; attention_compute was measured at head dims 128/128 (512 FLOPs),
  // so other head dims are scaled from there (perf/kernel.hpp attention_head_dim_scale). 0 = no scaling.
  double softmax_flop_equiv = 0;
  double attention_ref_head_flops = 512;  // matmul FLOPs per score per head of the measured kernels
  double memory_bw = 0.80;                // fraction of HBM bandwidth reached streaming weights
  double moe_memory_bw = 0.80;            // same for expert weights streamed by grouped expert GEMMs
  // One kernel's time is kernel_fixed_s + (c^p + m^p)^(1/p) for compute time c and memory time m at the
  // achievable rates above, p = roof_p (p -> infinity is the ideal roofline max(c, m), p = 1 no overlap).
  double roof_p = 6.0;
  double kernel_fixed_s = 4e-6;           // per kernel: launch gap, wave ramp-up and tail
  // Kernels an engine runs unfused beyond the structural count (step.cpp kernels_per_layer): per attention
  // layer (rotary embedding, KV-cache write as their own kernels), and per GEMM input when activations are
  // quantised to FP8/FP4 on the fly (a dynamic-quantisation kernel before each linear group).
  double unfused_kernels_per_layer = 0;
  // Kernels per attention layer with per-head q/k norms (Qwen3; GLM-4.5 and Llama-4 with use_qk_norm) for them.
  double qk_norm_kernels = 0;
  double act_quant_kernels = 0;
  // Kernels per MoE layer beyond the structural count when MXFP4 experts run weight-only (W4A16: on a GPU without
  // FP4 units, dequantised in the GEMM), for engines whose path for them builds its routing metadata kernel by
  // kernel (vLLM's triton_kernels matmul_ogs backend on Hopper).
  double w4a16_moe_kernels = 0;
  // Dense FP4 GEMMs (FP4 weights and activations) of kernels without split-K at decode batch sizes (AITER's
  // gemm_a4w4 on MI355X): one workgroup per fp4_gemm_tile_n output columns streams its weight columns at
  // fp4_gemm_workgroup_bytes_s, so a GEMM with fewer tiles than the GPU has compute units cannot reach the HBM
  // rate (perf/step.cpp dense_stream_share). 0 = off (split-K/stream-K kernels fill the GPU).
  double fp4_gemm_tile_n = 0;
  double fp4_gemm_workgroup_bytes_s = 0;
  // The same for block-scaled FP8 linears (ModelSpec::block_scaled_fp8 run in FP8: DeepGEMM's and CUTLASS's
  // blockwise GEMMs on Hopper, which at decode sizes run one thread block per block_fp8_gemm_tile_n output columns,
  // each walking the whole K dimension). 0 = off.
  double block_fp8_gemm_tile_n = 0;
  double block_fp8_gemm_tile_bytes_s = 0;
  double attention_memory_bw = 0.80;      // fraction reached streaming the KV cache in decode attention
  // Kernel families with kernels of their own in some engines, used instead of the generic factors above when
  // the model has them (perf/step.cpp); 0 = the generic factor. Block-scaled FP8 checkpoints
  // (ModelSpec::block_scaled_fp8, run in FP8): dense linears' HBM share and FP8-peak share, expert GEMMs' HBM
  // share and rate relative to the block-scaled dense rate. MLA models: decode attention's HBM share streaming
  // the latent KV cache and prefill attention's share of the BF16 peak.
  double block_fp8_memory_bw = 0;
  double block_fp8_compute = 0;
  double block_fp8_moe_memory_bw = 0;
  double block_fp8_moe_compute = 0;
  double mla_attention_memory_bw = 0;
  double mla_attention_compute = 0;
  // Fixed GPU time per MLA layer per step beyond the kernels the step model itemises (0 in current engines):
  // early-2025 DeepSeek-V3 runtimes on Hopper paid a batch-independent floor per layer (efficiency.yaml).
  double mla_layer_fixed_s = 0;
  // Grouped (DeepSeek-V3-style, noaux_tc) MoE routing an engine's fused gate kernel does not cover: extra GPU time
  // per MoE layer per step of its fallback (a chain of small kernels) over the fused kernel. The fused gate covers
  // a power-of-two expert count of at most grouped_router_group_experts experts per group, and a single group of
  // exactly grouped_router_single_group_experts experts (a model-specific kernel); every other shape falls back
  // (perf/step.cpp grouped_router_falls_back). 0 = the engine's routing kernels cover every shape.
  double grouped_router_fallback_s = 0;
  double grouped_router_group_experts = 0;
  double grouped_router_single_group_experts = 0;
  // Fixed GPU time per MoE layer per step that an engine's Triton fused-MoE path takes beyond the kernels the step
  // model itemises for it, on GPUs where its GEMM kernels start slower than the structural count allows (0 = none).
  // Applies where the engine runs that path for the model (perf/step.cpp runs_triton_fused_moe).
  double triton_moe_layer_extra_s = 0;
  double block_fp8_triton_moe_layer_extra_s = 0;  // the same for block-scaled FP8 experts (0 = triton_moe_layer_extra_s)
  // Host time to launch one kernel of a forward run eagerly, without a CUDA graph (0 = every forward replays a
  // graph or hides its launches). Engines that prefill eagerly also run prefill and decode as separate forwards
  // (StepModel::step).
  double prefill_eager_kernel_s = 0;
  // Share of the shorter of an eager forward's host launch time and its GPU time hidden under the longer (1: the
  // host runs ahead of the GPU, the forward lasts the larger; 0: they add). perf/step.cpp eager_forward.
  double eager_launch_overlap = 1;
  // SGLang's piecewise CUDA graph for prefill: a prefill forward replays captured pieces and launches only the
  // attention between them, paying this share of its eager launch time (1 = no piecewise graph). Engines apply it
  // only where they enable the graph (perf/step.cpp piecewise_prefill).
  double piecewise_prefill_launch_share = 1;
  // Split-KV Triton decode attention (SGLang's --attention-backend triton; decode_attention_fwd): one thread block
  // per (sequence, group of up to triton_decode_block_h query heads sharing a KV head, KV split) walks its share of
  // the context token by token, streaming triton_decode_cta_bytes_s; splits per sequence follow SGLang's rule (up to
  // triton_decode_max_kv_splits, fewer as the grid fills the GPU). While few blocks run, that serial walk, not the
  // HBM rate, bounds the kernel (perf/step.cpp triton_decode_serial_s). 0 splits = off (other decode kernels).
  double triton_decode_max_kv_splits = 0;
  double triton_decode_block_h = 16;
  double triton_decode_cta_bytes_s = 0;
  // Chunked Gated DeltaNet prefill (FLA's chunk_gated_delta_rule Triton kernels, which SGLang, vLLM and TensorRT-LLM
  // run for Qwen3-Next / Qwen3.5 linear-attention layers): one call per GDN layer per forward with prompt tokens
  // lasts max(gdn_prefill_floor_s, chunks of gdn_chunk_tokens in the longest prompt x gdn_prefill_chunk_s (the
  // state pass walks a sequence's chunks in turn), prompt tokens x value heads on the GPU x
  // gdn_prefill_token_head_s) (perf/step.cpp). 0 floor = off (the layer's scan FLOPs at the attention rate only).
  double gdn_prefill_floor_s = 0;
  double gdn_prefill_chunk_s = 0;
  double gdn_prefill_token_head_s = 0;
  double gdn_chunk_tokens = 64;
  // Chunked Mamba2 (SSD) prefill (the Triton mamba_chunk_scan_combined kernels engines carry for Nemotron-H and
  // Nemotron 3): one call per Mamba2 layer per forward with prompt tokens lasts max(mamba2_prefill_floor_s, prompt
  // tokens x heads on the GPU x mamba2_prefill_token_head_s x (head_dim x state) / (64 x 128)). 0 floor = off.
  double mamba2_prefill_floor_s = 0;
  double mamba2_prefill_token_head_s = 0;
  // The same with a 1-byte (FP8) KV cache, relative to the above: the kernel dequantises and rescales every
  // element it loads, so halving the bytes does not halve the time (vLLM FA3/FlashInfer: 0.92).
  double attention_fp8kv_bw_ratio = 1.0;
  double ep_imbalance = 1.0;              // busiest expert-parallel rank's load / mean load
  double moe_tile_tokens = 0.0;           // torch._grouped_mm: extra token rows per touched expert (validate-kernels)
  double moe_serving_tile_small = 16;     // serving MoE kernels: M tile while batch tokens <= experts
  double moe_serving_pad_rows = 160;      // ... padded rows per touched expert beyond that
  double gqa_kv_reread = 0.0;             // share of per-query-head K/V re-reads on GQA layers (0 = none)
  double comm_bw = 0.70;                  // fraction of link bandwidth reached by collectives (NCCL)
  double collective_latency_s = 8e-6;     // fixed cost per collective (launch + sync)
  double step_overhead_s = 1.5e-3;        // per engine step: scheduling, sampling, launch gaps
  double seq_overhead_s = 0.0;            // per running sequence per step (host-side bookkeeping)
  // Share of the host time hidden under the GPU time of the previous step: 1 for engines with an overlap
  // scheduler (the host prepares step n+1 while the GPU runs step n), 0 for runtimes that wait.
  double host_overlap = 0.0;
  // The same with speculative decoding on: the next step's draft needs this step's accepted tokens on the host,
  // so engines run it without the overlap scheduler unless they say otherwise (SGLang: only "SpecV2", opt-in).
  double spec_host_overlap = 0.0;
  // Cap on the share hidden for models with recurrent-state layers (Mamba2, Gated DeltaNet): engines whose scheduler
  // for those states cannot run ahead of the GPU turn the overlap off (SGLang's default mamba no_buffer strategy
  // with the radix cache on). 1 = no cap.
  double recurrent_host_overlap = 1.0;
  // 1 when an attention-DP engine balances prefill across ranks (waits until every rank has a prompt to
  // prefill, so the ranks prefill together instead of one rank stalling the others at each MoE layer).
  double dp_prefill_balance = 0.0;
  // 1 when the engine's KV admission reserves a request's whole output before running it (TensorRT-LLM's
  // GUARANTEED_NO_EVICT), so the KV pool bounds concurrency at ISL + OSL tokens a sequence; 0 when sequences hold
  // only the KV they have written (vLLM, SGLang: blocks allocated as tokens are produced, preemption on overflow),
  // so the bound is the in-flight sequences' mean context (LengthMoments::decode_ctx).
  double kv_reserve_output = 1.0;
  double runtime_reserve_bytes = 3e9;     // per GPU: CUDA context, GEMM workspaces, NCCL buffers, graphs
  double scaleout_bytes_per_s = 50e9;     // per GPU per direction when a replica spans scale-up domains
  double hbm_bytes_per_gb = 1e9;          // bytes per GB of capacity as the catalog prints it

  // Compute efficiency for a compute class (fp32 uses the bf16 figure).
  double compute(catalog::ComputeClass c) const;
  // Extra factor of grouped expert GEMMs in a compute class: compute_moe (bf16) or compute_moe_lowp.
  double grouped(catalog::ComputeClass c) const { return c == catalog::ComputeClass::fp8 || c == catalog::ComputeClass::fp4 ? compute_moe_lowp : compute_moe; }
  // Reads/writes a factor by its YAML key ("compute_fp8", "memory_bw", ...); throws InputError on unknown keys.
  double get(const std::string& key) const;
  void set(const std::string& key, double value);
  static const std::vector<std::string>& keys();
};

// The table as stored: defaults, then classes matched against accelerator ids/names (first match wins).
struct EfficiencyClass {
  std::string name;                   // e.g. "nvidia-hopper"
  std::vector<std::string> match;     // lower-case substrings of GpuSpec id/name/aliases, e.g. "h100"
  std::map<std::string, double> overrides;
  // Engines only: factors of this engine on one accelerator class (`on_classes`), applied after `overrides`
  // when the accelerator belongs to that class (a kernel library's behaviour on one hardware generation).
  std::map<std::string, std::map<std::string, double>> class_overrides;
  // Engines only: an earlier engine entry whose factors (and `on_classes`) this one starts from (`base`), so an
  // older release of a runtime states only where its kernels differ. Empty: none.
  std::string base;
};

struct EfficiencyTable {
  Efficiency defaults;
  std::vector<EfficiencyClass> classes;
  // Per serving engine (names of data/perf/engines.yaml profiles): factors that belong to the software, such
  // as host overhead per sequence. `match` is unused for engines.
  std::vector<EfficiencyClass> engines;
  // Keys `tokenmath calibrate` fits: "key" (defaults), "engine-name/key" (an engine override) or
  // "class-name/key" (an accelerator-class override).
  std::vector<std::string> fitted_keys;
  std::string source_path;

  // Factors for `gpu` (and optionally a named engine): defaults, overridden by the first accelerator class
  // whose pattern matches, then by the engine's factors: its `base` engine's overrides and class overrides
  // first (recursively), then its own overrides, then its own overrides on that class.
  Efficiency for_gpu(const catalog::GpuSpec& gpu, const std::string& engine = "") const;
  // Read/write a fitted key ("memory_bw", "trtllm-bench/seq_overhead_us", "pcie/comm_bw"); an engine or class
  // key that is not set reads as the default. Throws InputError on unknown keys.
  double get(const std::string& key) const;
  void set(const std::string& key, double value);
};

// Throws InputError(file, key, value, problem) on malformed entries.
EfficiencyTable load_efficiency(const std::filesystem::path& path);
// The keys of the file as a schema (`tokenmath schema efficiency`), defaults the table's.
schema::Schema efficiency_schema(const EfficiencyTable& table);

}  // namespace tokenmath::perf
