// The analytical step model. Every quantity is per GPU of one pipeline stage unless named otherwise.
//
// Notation: t = tp (GPUs in a stage's tensor/expert group), p = pp, e = ep, h = hidden size, V = vocab,
// wb = bytes per weight element (deployment weight precision), kb = bytes per KV element.
// A "replica token" is one token of the whole replica batch (all attention-DP ranks, all microbatches).
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "tokenmath/perf/step.hpp"
#include "tokenmath/perf/kernel.hpp"

namespace tokenmath::perf {

namespace {
using catalog::AttentionSpec;
using catalog::ComputeClass;
using catalog::FfnSpec;
using catalog::Precision;

// Peak FLOP/s for a compute class, falling back to the next wider class the GPU supports
// (fp4 -> fp8 -> bf16): a format without hardware support runs on the wider units.
double peak_with_fallback(const catalog::GpuSpec& g, ComputeClass c, ComputeClass* used) {
  const ComputeClass order[] = {ComputeClass::fp4, ComputeClass::fp8, ComputeClass::bf16};
  bool started = false;
  for (ComputeClass k : order) {
    if (k == c) started = true;
    if (!started) continue;
    const double f = g.peak_flops(k);
    if (f > 0) {
      if (used) *used = k;
      return f;
    }
  }
  if (used) *used = ComputeClass::bf16;
  return g.peak_flops(ComputeClass::bf16);
}

// Parameter groups of a model, summed over layers (elements, not bytes). Parameter counts come from the
// catalog's one counting path (catalog::count_layer_weight_params: biases, norms and replaced_by_linear layers
// included); the layer walk here only reads the MoE shape (experts, top-k) and the widest FFN.
struct ModelShape {
  double attn_proj = 0;        // q/k/v/o (and MLA down/up) projections, Mamba in/out projections
  double replicated = 0;       // of attn_proj and shared: whole on every tensor-parallel rank (MLA q_a, kv_a; latent projections)
  double moe_width = 0;        // width routed rows travel at: the hidden size, or LatentMoE's latent size
  double dense_ffn = 0;        // dense FFN layers
  double shared = 0;           // shared experts
  double router = 0;           // MoE gates (kept in bf16)
  double other = 0;            // biases, norms, conv/SSM parameters (bf16)
  double expert = 0;           // one routed expert of one layer (mean over MoE layers)
  double expert_total = 0;     // all routed experts of all layers
  double moe_layers = 0;
  double num_experts = 0;
  double top_k = 0;
  double embedding = 0;        // V*h input table
  double lm_head = 0;          // V*h output projection (a matmul for every sampled token, tied or not)
  bool tied = false;
  double layers = 0;
  double max_ffn_width = 0;    // widest FFN intermediate (activation estimate)
  // The replicated projections' elements one rank of t holds beyond its 1/t share of them (none under attention
  // DP, where every rank holds every dense weight whole anyway).
  double replicated_extra(int t, bool dp) const { return dp ? 0.0 : replicated * (1.0 - 1.0 / std::max(1, t)); }
};

ModelShape shape_of(const catalog::ModelSpec& m) {
  ModelShape s;
  const double h = static_cast<double>(m.hidden_size);
  const catalog::LayerWeightParams w = catalog::count_layer_weight_params(m);
  s.attn_proj = w.attn_linear + w.mamba_linear;
  s.replicated = w.attn_replicated + w.ffn_replicated;
  s.moe_width = h;
  s.dense_ffn = w.dense_linear;
  s.shared = w.shared_linear;
  s.router = w.router;
  s.other = w.other;
  s.layers = static_cast<double>(m.layers.size());
  double expert_slots = 0;  // sum over MoE layers of their expert count
  for (const auto& l : m.layers) {
    const FfnSpec& f = l.ffn;
    if (f.kind == FfnSpec::Kind::dense) {
      s.max_ffn_width = std::max(s.max_ffn_width, static_cast<double>(f.intermediate_size));
    } else if (f.kind == FfnSpec::Kind::moe) {
      s.moe_layers += 1;
      expert_slots += f.num_experts;
      s.num_experts = f.num_experts;
      s.top_k = f.experts_per_token;
      s.max_ffn_width = std::max(s.max_ffn_width, static_cast<double>(f.expert_intermediate_size) * f.experts_per_token);
      if (f.latent_size > 0) s.moe_width = static_cast<double>(f.latent_size);
    }
  }
  s.expert_total = w.expert_linear;
  s.expert = expert_slots > 0 ? w.expert_linear / expert_slots : 0;
  s.embedding = static_cast<double>(m.vocab_size) * h;
  s.lm_head = s.embedding;
  s.tied = m.tie_word_embeddings;
  return s;
}

bool is_windowed(const AttentionSpec& a) { return a.sliding_window > 0; }

// Most tokens a capped layer attends: the model's sliding window, or the top-k of DeepSeek Sparse Attention
// (0 = every layer attends its whole context). The catalog reads no model with both.
double model_window(const catalog::ModelSpec& m) {
  double w = 0;
  for (const auto& l : m.layers)
    w = std::max({w, static_cast<double>(l.attn.sliding_window), static_cast<double>(l.attn.sparse_topk)});
  return w;
}

// Share of one layer's KV cache that each GPU of the tensor group stores and reads.
//   attention DP: each GPU holds its own sequences: 1/t of the replica's KV on average.
//   TP, standard attention: KV heads split, at least one per GPU: ceil(nkv/t)/nkv.
//   TP, MLA: the compressed latent is shared by all heads, so every GPU keeps all of it: 1.
double kv_share(const AttentionSpec& a, int t, bool dp) {
  if (dp) return 1.0 / t;
  if (a.kind == AttentionSpec::Kind::mla) return 1.0;
  if (a.kind == AttentionSpec::Kind::standard && a.num_kv_heads > 0)
    return std::ceil(static_cast<double>(a.num_kv_heads) / t) / a.num_kv_heads;
  return 1.0 / t;
}

// KV bytes one token adds to one layer's attention cache: standard nkv*(hd+vhd)*kb; MLA (kv_lora + rope)*kb.
double attn_kv_bytes_layer(const AttentionSpec& a, double kb) {
  if (a.kind == AttentionSpec::Kind::standard) {
    const double vhd = a.v_head_dim > 0 ? a.v_head_dim : a.head_dim;
    return a.num_kv_heads * (a.head_dim + vhd) * kb;
  }
  if (a.kind == AttentionSpec::Kind::mla) return (a.kv_lora_rank + a.qk_rope_head_dim) * kb;
  return 0;
}

// All a token stores in one layer: its attention KV plus, under DeepSeek Sparse Attention, the indexer's FP8 key
// (catalog::indexer_cache_bytes_per_token; held and shared across tensor-parallel ranks like the MLA latent).
double kv_bytes_layer(const AttentionSpec& a, double kb) {
  return attn_kv_bytes_layer(a, kb) + catalog::indexer_cache_bytes_per_token(a);
}

// DSA lightning-indexer FLOPs per (query token, context token) in one layer: FP8 q.k logits over every indexer
// head, 2 x heads x head_dim (the per-head ReLU and weighting add 3 x heads, kept for completeness).
double indexer_pair_flops(const AttentionSpec& a) {
  if (a.sparse_topk <= 0) return 0;
  return 2.0 * a.indexer_heads * a.indexer_head_dim + 3.0 * a.indexer_heads;
}

// Recurrent state per sequence per layer (Mamba2, Gated DeltaNet): SSM state heads*head_dim*state, in bf16 or, where
// the model keeps it so, fp32 (ssm_state_fp32), + conv state (d_inner+2*g*state)*(k-1) in bf16.
double mamba_state_bytes(const AttentionSpec& a) {
  if (!a.is_recurrent()) return 0;
  const double d_inner = static_cast<double>(a.mamba_num_heads) * a.mamba_head_dim;
  return (a.ssm_state_fp32 ? 4.0 : 2.0) * d_inner * a.ssm_state_size +
         2.0 * (d_inner + 2.0 * a.mamba_n_groups * a.ssm_state_size) * std::max(0, a.conv_kernel - 1);
}

// Attention FLOPs per (query token, attended token) in one layer, split over the tensor group.
//   standard: QK^T + PV = 2*nh*(hd + vhd) FLOPs.
//   MLA decode runs "absorbed": scores and values over the latent, 2*nh*(2*kv_lora + rope).
//   MLA prefill runs decompressed: 2*nh*(nope + rope + v).
double attn_pair_flops(const AttentionSpec& a, bool decode) {
  if (a.kind == AttentionSpec::Kind::standard) {
    const double vhd = a.v_head_dim > 0 ? a.v_head_dim : a.head_dim;
    return 2.0 * a.num_heads * (a.head_dim + vhd);
  }
  if (a.kind == AttentionSpec::Kind::mla) {
    return decode ? 2.0 * a.num_heads * (2.0 * a.kv_lora_rank + a.qk_rope_head_dim)
                  : 2.0 * a.num_heads * (a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim);
  }
  return 0;
}

// Bytes of link traffic per GPU for a ring all-reduce of `bytes`: 2*(t-1)/t * bytes.
double ring_allreduce_factor(int t) { return t > 1 ? 2.0 * (t - 1) / t : 0.0; }

// A q/k RMSNorm over all heads (qk_norm_full_width) whose heads are split over tensor-parallel ranks.
bool split_full_width_norm(const AttentionSpec& a, int t, bool attention_dp) {
  return a.qk_norm && a.qk_norm_full_width && t > 1 && !attention_dp;
}

// GPUs that talk over the scale-up fabric: its domain, and at least a node of 8 for PCIe cards (domain 1),
// which reach each other over PCIe at scaleup_gb_s.
int intra_fabric_gpus(const catalog::GpuSpec& g) { return std::max(g.scaleup_domain_gpus, 8); }

constexpr double kActBytes = 2.0;  // activations and collectives in bf16

// Kernels one layer launches on each GPU per step (each pays Efficiency::kernel_fixed_s; perf/kernel.hpp).
// A structural count of what engines run unfused: attention block = its projection GEMMs (standard: fused qkv
// and o = 2; Mamba2: in/out projections, conv, scan = 4) + 1 attention kernel; MLA decodes in the absorbed
// form, 9 kernels (SGLang deepseek_v2.py forward_absorb: fused q_a/kv_a projection, q_a and kv_a RMSNorms,
// q_b projection, q x W_UK batched GEMM, rotary embedding, attention, attention x W_UV batched GEMM, o_proj);
// FFN: dense = gate/up GEMM, activation, down GEMM = 3; MoE = router GEMM, top-k, token sort/align, two grouped
// GEMMs, activation, combine = 7 (SGLang / vLLM fused_moe path), + 3 for shared experts, + 2 for LatentMoE's latent
// projections; + 2 residual-add/RMSNorm kernels.
double kernels_per_layer(const catalog::LayerSpec& l) {
  double k = 2;
  switch (l.attn.kind) {
    case AttentionSpec::Kind::standard: k += 3; break;
    // DSA adds the indexer's kernels: wq_b, wk and weights_proj GEMMs, k LayerNorm, q and k rotary+FP8 quantise
    // (one fused kernel each), the logits kernel and the top-k = 8 (DeepSeek-V3.2-Exp Indexer.forward, its
    // rotary, Hadamard and act_quant steps taken as fused per tensor).
    case AttentionSpec::Kind::mla: k += 9 + (l.attn.sparse_topk > 0 ? 8 : 0); break;
    case AttentionSpec::Kind::mamba2: k += 4; break;
    // Gated DeltaNet: in_proj_qkvz and in_proj_ba GEMMs, the conv update, the gating (g, beta) kernel, the fused
    // recurrent delta-rule kernel, the gated RMSNorm and out_proj = 7 (vLLM qwen3_next.py: fused_gdn_gating,
    // causal_conv1d_update, fused_recurrent_gated_delta_rule, RMSNormGated).
    case AttentionSpec::Kind::gated_deltanet: k += 7; break;
    case AttentionSpec::Kind::none: break;
  }
  if (l.ffn.kind == FfnSpec::Kind::dense) k += 3;
  if (l.ffn.kind == FfnSpec::Kind::moe) k += 7 + (l.ffn.num_shared_experts > 0 ? 3 : 0) + (l.ffn.latent_size > 0 ? 2 : 0);
  return k;
}

// Whether an engine's fused gate kernel leaves this MoE layer's grouped routing to a fallback
// (Efficiency::grouped_router_fallback_s). SGLang's rule (python/sglang/srt/layers/moe/topk.py
// biased_grouped_topk_gpu): moe_fused_gate takes a power-of-two expert count with at most 32 experts per group
// (its MAX_VPT), kimi_k2_moe_fused_gate one group of 384 experts; any other shape runs the torch.compile'd
// biased_grouped_topk_impl. Plain top-k routers (Qwen3, gpt-oss, MiniMax-M2's sigmoid top-k) have fused kernels.
bool grouped_router_falls_back(const catalog::FfnSpec& f, const Efficiency& eff) {
  if (eff.grouped_router_fallback_s <= 0 || f.kind != FfnSpec::Kind::moe || f.router_groups <= 0) return false;
  const int e = f.num_experts, g = f.router_groups;
  const bool pow2 = e > 0 && (e & (e - 1)) == 0;
  if (pow2 && static_cast<double>(e / g) <= eff.grouped_router_group_experts) return false;
  if (g == 1 && eff.grouped_router_single_group_experts > 0 && e == static_cast<int>(eff.grouped_router_single_group_experts))
    return false;
  return true;
}

// Whether an engine runs this model's experts through its Triton fused-MoE path (Efficiency::triton_moe_layer_extra_s,
// 0 except where a profile sets it). SGLang 0.5.x (python/sglang/srt/server_args.py, moe_runner_backend auto)
// picks FlashInfer's TensorRT-LLM MoE on Blackwell for DeepseekV3ForCausalLM FP8/FP4 checkpoints (DeepSeek-V3/R1,
// V3.2, which it loads as that class, and Kimi-K2; sgl-project/sglang PR #11816), FlashInfer's MXFP4 MoE for
// gpt-oss (its BF16 checkpoints take the triton_kernels matmul_ogs path, a kernel family of its own) and
// FlashInfer/CUTLASS kernels for FP4 and INT4 experts; BF16 and FP8 experts of other architectures
// (Qwen3-MoE, GLM-4.x, MiniMax-M2, ...) run Triton's fused_moe (Fp8MoEMethod / UnquantizedFusedMoEMethod) unless
// the launch names another --moe-runner-backend (validate reads that from a row).
bool runs_triton_fused_moe(const catalog::ModelSpec& m, Precision experts) {
  if (experts != Precision::bf16 && experts != Precision::fp16 && experts != Precision::fp8) return false;
  return m.model_type != "deepseek_v3" && m.model_type != "deepseek_v32" && m.model_type != "kimi_k2" &&
         m.model_type != "gpt_oss";
}

// Whether an engine's piecewise prefill CUDA graph (Efficiency::piecewise_prefill_launch_share < 1) runs this
// deployment's prefill forwards. SGLang enables it by default from early 2026 (sglang PR #16331) but leaves it off
// under attention DP, expert parallelism, pipeline parallelism and on ROCm (server_args _handle_piecewise_cuda_graph),
// and had no piecewise graph for DeepSeek sparse attention (sglang issue #18148, 2026-02: "support deepseekv3.2
// Prefill piecewise cuda graph", open); recurrent hybrids (Mamba2, Gated DeltaNet) are left eager too, an assumption
// (a summary of server_args lists Mamba models among the exclusions; not read in SGLang's source). `recurrent`:
// the model has Mamba2 / Gated DeltaNet layers; `sparse`: DeepSeek sparse attention layers.
bool piecewise_prefill(const Deployment& d, const Efficiency& eff, bool recurrent, bool sparse) {
  return eff.piecewise_prefill_launch_share < 1 && !d.attention_dp && d.ep <= 1 && d.pp <= 1 && d.gpu.vendor != "AMD" &&
         !recurrent && !sparse;
}

// Share of HBM bandwidth the dense GEMMs of a step reach when their kernel has no split-K at decode sizes: dense
// FP4 GEMMs with Efficiency::fp4_gemm_tile_n > 0 (AITER's gemm_a4w4, whose tuned decode configs on MI355X all run
// split-K 0) and block-scaled FP8 GEMMs with block_fp8_gemm_tile_n > 0 (DeepGEMM's and CUTLASS's blockwise GEMMs
// on Hopper: one thread block per output tile walks all of K, 128 columns of K per pipeline step).
// At decode batch sizes such a GEMM is one workgroup per tile of `tile_n` output columns, each streaming its
// columns' weights: a GEMM of N output columns per GPU runs n = ceil(N / tile_n) workgroups. While n is below
// the GPU's compute units they all run at once and stream at min(n x `tile_bytes_s`, the HBM share `base`);
// otherwise they run in ceil(n / units) waves and the last wave's idle units cost their share:
// base x n / (ceil(n / units) x units). The step's dense weights stream at
// the byte-weighted harmonic mean of their GEMMs' rates (returned as a share of HBM bandwidth). GEMM shapes per
// GPU: standard attention qkv (N = (heads + 2 kv heads) x head_dim) and o (N = hidden); MLA q_a and kv_a as
// engines run them, one replicated GEMM (fused_qkv_a_proj) when there is a q_a, then q_b, kv_b and o; dense FFN
// and shared experts gate/up (N = 2 x width, gated) and down (N = hidden); column-parallel N is split t ways (not
// under attention DP), row-parallel K is. Projections of other layer kinds (Mamba2) are not shaped and take the
// share of the shaped ones. Returns `base` when the GPU's compute units are not given, the kernel family is off
// (tile_n or tile_bytes_s 0), or no GEMM is shaped.
double dense_stream_share(const catalog::ModelSpec& m, int t, bool dp, const catalog::GpuSpec& gpu, double tile_n,
                          double tile_bytes_s, double base) {
  const double units = gpu.compute_units;
  const double hbm = gpu.mem_bytes_per_s();
  if (units <= 0 || hbm <= 0 || tile_n <= 0 || tile_bytes_s <= 0) return base;
  const double split = dp ? 1.0 : 1.0 / std::max(1, t);
  double bytes = 0, time = 0;  // in weight elements and element-seconds (the element byte size cancels)
  const auto gemm = [&](double n, double k) {
    if (n <= 0 || k <= 0) return;
    const double tiles = std::ceil(n / tile_n);
    const double rate = tiles < units ? std::min(hbm * base, tiles * tile_bytes_s)
                                      : hbm * base * tiles / (std::ceil(tiles / units) * units);
    bytes += n * k;
    time += n * k / rate;
  };
  const double h = static_cast<double>(m.hidden_size);
  for (const auto& l : m.layers) {
    const auto& a = l.attn;
    if (a.kind == AttentionSpec::Kind::standard) {
      gemm(static_cast<double>(a.num_heads + 2 * a.num_kv_heads) * a.head_dim * split, h);
      gemm(h, static_cast<double>(a.num_heads) * (a.v_head_dim > 0 ? a.v_head_dim : a.head_dim) * split);
    } else if (a.kind == AttentionSpec::Kind::mla) {
      const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
      if (a.q_lora_rank > 0) {
        gemm(a.q_lora_rank + a.kv_lora_rank + a.qk_rope_head_dim, h);
        gemm(a.num_heads * qk * split, a.q_lora_rank);
      } else {
        gemm(a.num_heads * qk * split, h);
        gemm(a.kv_lora_rank + a.qk_rope_head_dim, h);
      }
      gemm(a.num_heads * (a.qk_nope_head_dim + a.v_head_dim) * split, a.kv_lora_rank);
      gemm(h, a.num_heads * a.v_head_dim * split);
    }
    const auto ffn = [&](double width) {
      gemm((l.ffn.gated ? 2.0 : 1.0) * width * split, h);
      gemm(h, width * split);
    };
    if (l.ffn.kind == FfnSpec::Kind::dense) ffn(static_cast<double>(l.ffn.intermediate_size));
    if (l.ffn.kind == FfnSpec::Kind::moe && l.ffn.num_shared_experts > 0)
      ffn(static_cast<double>(l.ffn.num_shared_experts) * static_cast<double>(l.ffn.shared_intermediate_size));
    if (l.ffn.replaced_by_linear) gemm(h * split, h);
  }
  if (bytes <= 0 || time <= 0) return base;
  return bytes / time / hbm;
}
}  // namespace

void use_native_weights(Deployment& d) {
  if (!d.model) return;
  d.weight_precision = d.model->native_weight_precision;
  d.non_expert_weight_precision.reset();
  if (d.model->native_precision_experts_only && d.model->is_moe()) d.non_expert_weight_precision = Precision::bf16;
}

MemoryPlan plan_memory(const Deployment& d, const Efficiency& eff) {
  MemoryPlan plan;
  if (!d.model) {
    plan.reason = "no model";
    return plan;
  }
  const auto& m = *d.model;
  const ModelShape s = shape_of(m);
  const int t = std::max(1, d.tp), p = std::max(1, d.pp);
  // A layout the engines cannot shard: more tensor-parallel ranks than attention heads (without attention DP),
  // more pipeline stages than layers, expert parallelism that does not divide the tensor-parallel group.
  int max_heads = 0;
  for (const auto& l : m.layers) max_heads = std::max({max_heads, l.attn.num_heads, l.attn.mamba_num_heads});
  if (!d.attention_dp && max_heads > 0 && t > max_heads) {
    plan.reason = fmt::format("TP{} shards attention over more ranks than the model's {} heads", t, max_heads);
    return plan;
  }
  if (p > static_cast<int>(m.layers.size())) {
    plan.reason = fmt::format("PP{} has more pipeline stages than the model's {} layers", p, m.layers.size());
    return plan;
  }
  if (d.ep < 1 || d.ep > t || t % d.ep != 0) {
    plan.reason = fmt::format("EP{} must divide the tensor-parallel group (TP{})", d.ep, t);
    return plan;
  }
  const double wb = catalog::bytes_per_element(d.weight_precision);
  const double wb_dense = catalog::bytes_per_element(d.dense_weight_precision());
  const double bf16 = 2.0;
  const double dense_split = d.attention_dp ? 1.0 : 1.0 / t;
  // Weights per GPU = [dense linears * wb_dense * split + routed experts * wb / t + (routers, biases, norms) in
  // bf16 * split] / p + (embedding [+ untied lm_head]) in bf16 * split, with wb_dense the bytes per element of
  // the non-expert weight precision. Pipeline stages are taken as equal slices of the model.
  // Projections kept whole on every tensor-parallel rank (ModelShape::replicated) are not split.
  const double dense =
      ((s.attn_proj + s.dense_ffn + s.shared) * dense_split + s.replicated_extra(t, d.attention_dp)) * wb_dense;
  const double experts = s.expert_total * wb / t;
  // Embedding and lm_head sit on the first and last stage: with p > 1 the fullest stage holds one V*h matrix
  // besides its 1/p of the layers; with p = 1 the GPU holds both (one if tied).
  const double vocab_mats = p > 1 ? std::max(s.embedding, s.lm_head) : s.embedding + (s.tied ? 0 : s.lm_head);
  plan.weight_bytes_per_gpu =
      (dense + experts + (s.router + s.other) * bf16 * dense_split) / p + vocab_mats * bf16 * dense_split;
  // Activations: max_batched_tokens * bf16 * (4h for residual/qkv/attention output + 3*ffn_width/t for the
  // gate/up/activation buffers), plus fp32 logits for max_num_seqs sequences over V/t vocabulary entries.
  const double h = static_cast<double>(m.hidden_size);
  const double width_local = s.max_ffn_width / (d.attention_dp ? 1 : t);
  plan.activation_bytes_per_gpu = d.knobs.max_batched_tokens * kActBytes * (4 * h + 3 * width_local) +
                                  static_cast<double>(d.knobs.max_num_seqs) * static_cast<double>(m.vocab_size) / t * 4.0;
  plan.reserve_bytes_per_gpu = eff.runtime_reserve_bytes;
  // Capacity: the catalog prints vendor "GB", which for HBM parts are binary units (see efficiency.yaml).
  const double hbm = d.gpu.mem_gb * eff.hbm_bytes_per_gb;
  const double free = hbm - plan.weight_bytes_per_gpu - plan.activation_bytes_per_gpu - plan.reserve_bytes_per_gpu;
  double state = 0;
  const double kb = catalog::bytes_per_element(d.kv_precision);
  // KV per token of context: full-attention layers grow with the context; sliding-window layers hold at most
  // their window per sequence (engines free blocks that slide out: vLLM's hybrid KV manager, SGLang's SWA pool).
  double kv_full = 0, kv_win = 0, window = 0;
  for (const auto& l : m.layers) {
    const double b = kv_bytes_layer(l.attn, kb) * kv_share(l.attn, t, d.attention_dp) / p;
    if (l.attn.sliding_window > 0) {
      kv_win += b;
      window = std::max(window, static_cast<double>(l.attn.sliding_window));
    } else {
      kv_full += b;
    }
    state += mamba_state_bytes(l.attn) * (d.attention_dp ? 1.0 / t : 1.0 / t) / p;
  }
  plan.state_bytes_per_seq = state;
  if (free <= 0) {
    plan.reason = fmt::format(
        "weights need {:.1f} GB per GPU (+ {:.1f} GB activations, {:.1f} GB runtime reserve); {} has {:.1f} GB",
        plan.weight_bytes_per_gpu / 1e9, plan.activation_bytes_per_gpu / 1e9, plan.reserve_bytes_per_gpu / 1e9,
        d.gpu.name, hbm / 1e9);
    return plan;
  }
  // vLLM / SGLang: the fraction caps everything the engine holds (KV = f * HBM - the rest); TensorRT-LLM: it is a
  // share of what is free after the rest (KV = f * free).
  plan.kv_bytes_per_gpu = d.knobs.kv_fraction_of_total ? std::max(0.0, free - (1 - d.knobs.kv_mem_fraction) * hbm)
                                                       : free * d.knobs.kv_mem_fraction;
  if (plan.kv_bytes_per_gpu <= 0) {
    plan.reason = fmt::format(
        "weights need {:.1f} GB per GPU (+ {:.1f} GB activations, {:.1f} GB runtime reserve); {:g} of {}'s {:.1f} GB "
        "leaves no KV cache",
        plan.weight_bytes_per_gpu / 1e9, plan.activation_bytes_per_gpu / 1e9, plan.reserve_bytes_per_gpu / 1e9,
        d.knobs.kv_mem_fraction, d.gpu.name, hbm / 1e9);
    return plan;
  }
  // Capacity in tokens of full-attention context: the windowed layers' share is set aside for max_num_seqs
  // sequences (per attention-DP rank) each holding a full window. Models whose every layer is windowed count
  // their windowed tokens instead.
  double kv_per_token = kv_full;
  double pool = plan.kv_bytes_per_gpu;
  if (kv_full > 0 && kv_win > 0) {
    // max_num_seqs is per attention-DP rank, i.e. per GPU under attention DP; under TP every GPU holds a slice
    // of every sequence: either way max_num_seqs windows per GPU.
    const double seqs = static_cast<double>(std::max(1, d.knobs.max_num_seqs));
    pool = std::max(0.0, pool - seqs * window * kv_win);
  } else if (kv_full <= 0) {
    kv_per_token = kv_win;
  }
  plan.window_kv_bytes_per_seq = window * kv_win;
  plan.kv_capacity_tokens = kv_per_token > 0 ? pool / kv_per_token : 0;
  plan.feasible = true;
  return plan;
}


namespace {
// The deployment as the engine runs it: with speculative decoding on, the engine's own running cap applies
// (EngineKnobs::spec_max_num_seqs) unless max_num_seqs was set.
Deployment as_run(Deployment d) {
  if (d.spec.enabled() && d.knobs.spec_max_num_seqs > 0)
    d.knobs.max_num_seqs = std::min(d.knobs.max_num_seqs, d.knobs.spec_max_num_seqs);
  return d;
}
}  // namespace

StepModel::StepModel(const Deployment& deployment, const Efficiency& eff) : dep_(as_run(deployment)), eff_(eff) {
  const Deployment& d = dep_;
  mem_ = plan_memory(d, eff);
  if (!d.model) return;
  const auto& m = *d.model;
  const ModelShape s = shape_of(m);
  const int t = std::max(1, d.tp), p = std::max(1, d.pp), e = std::clamp(d.ep, 1, t);
  const bool dp = d.attention_dp;
  const double h = static_cast<double>(m.hidden_size);
  const double wb = catalog::bytes_per_element(d.weight_precision);
  const double wb_dense = catalog::bytes_per_element(d.dense_weight_precision());
  const double kb = catalog::bytes_per_element(d.kv_precision);
  window_ = model_window(m);
  recurrent_ = std::any_of(m.layers.begin(), m.layers.end(), [](const catalog::LayerSpec& l) { return l.attn.is_recurrent(); });

  // Roofline rates. Weight GEMMs run at the activation precision's peak x efficiency; attention computes in
  // bf16 (an fp8 KV cache is dequantised on load), whatever the weight precision.
  // Non-expert GEMMs whose weights are wider than the activation format (gpt-oss: bf16 attention beside mxfp4
  // experts) compute at the weights' precision: the wider of the two formats sets their rate.
  ComputeClass lin_cls = ComputeClass::bf16;
  const double lin_peak = peak_with_fallback(d.gpu, catalog::compute_class(d.activation_precision), &lin_cls);
  const Precision dense_act = wb_dense > catalog::bytes_per_element(d.activation_precision) ? d.dense_weight_precision()
                                                                                            : d.activation_precision;
  ComputeClass dense_cls = ComputeClass::bf16;
  const double dense_peak = peak_with_fallback(d.gpu, catalog::compute_class(dense_act), &dense_cls);
  const double attn_peak = d.gpu.peak_flops(ComputeClass::bf16);
  const double bf16_peak = d.gpu.peak_flops(ComputeClass::bf16);
  // Kernel families some engines run with kernels of their own (Efficiency block_fp8_*, mla_*; 0 = the generic
  // factor): a block-scaled FP8 checkpoint run in FP8 (weights and activations) takes the block_fp8_* shares for
  // its linears and experts, an MLA model the mla_* shares for its attention (DeepSeek-V3: every layer is MLA).
  const auto pick = [](double family, double generic) { return family > 0 ? family : generic; };
  const bool block_fp8 = m.block_scaled_fp8 && d.weight_precision == Precision::fp8 && lin_cls == ComputeClass::fp8;
  const bool mla = std::any_of(m.layers.begin(), m.layers.end(),
                               [](const catalog::LayerSpec& l) { return l.attn.kind == AttentionSpec::Kind::mla; });
  const double dense_compute = block_fp8 && dense_cls == ComputeClass::fp8 ? pick(eff.block_fp8_compute, eff.compute_fp8)
                                                                            : eff.compute(dense_cls);
  inv_lin_flops_rate_ = 1.0 / std::max(1.0, dense_peak * dense_compute);
  // Expert GEMMs are grouped GEMMs with uneven tokens per expert: a further factor (compute_moe for bf16,
  // compute_moe_lowp for fp8/fp4, both measured: data/validation/kernels/h100-sxm_grouped_*.csv).
  const double moe_rate = block_fp8 ? lin_peak * pick(eff.block_fp8_compute, eff.compute_fp8) *
                                          pick(eff.block_fp8_moe_compute, eff.compute_moe_lowp)
                                    : lin_peak * eff.compute(lin_cls) * eff.grouped(lin_cls);
  inv_moe_flops_rate_ = 1.0 / std::max(1.0, moe_rate);
  inv_attn_flops_rate_ = 1.0 / std::max(1.0, attn_peak * (mla ? pick(eff.mla_attention_compute, eff.attention_compute)
                                                              : eff.attention_compute));
  inv_mem_rate_ = 1.0 / std::max(1.0, d.gpu.mem_bytes_per_s() * eff.memory_bw);
  // The dense weights themselves (activations, lm_head and logits stay at memory_bw).
  inv_lin_mem_rate_ = block_fp8 ? 1.0 / std::max(1.0, d.gpu.mem_bytes_per_s() * pick(eff.block_fp8_memory_bw, eff.memory_bw))
                                : inv_mem_rate_;
  // Dense FP4 GEMMs (FP4 weights computed in FP4) and block-scaled FP8 GEMMs of kernels without split-K: the
  // occupancy-limited share (dense_stream_share above, which returns its base itself when the family's tile_n is 0).
  if (dense_cls == ComputeClass::fp4)
    inv_lin_mem_rate_ = 1.0 / std::max(1.0, d.gpu.mem_bytes_per_s() *
                                                dense_stream_share(m, t, dp, d.gpu, eff.fp4_gemm_tile_n,
                                                                   eff.fp4_gemm_workgroup_bytes_s, eff.memory_bw));
  else if (block_fp8 && dense_cls == ComputeClass::fp8)
    inv_lin_mem_rate_ =
        1.0 / std::max(1.0, d.gpu.mem_bytes_per_s() *
                                dense_stream_share(m, t, dp, d.gpu, eff.block_fp8_gemm_tile_n, eff.block_fp8_gemm_tile_bytes_s,
                                                   pick(eff.block_fp8_memory_bw, eff.memory_bw)));
  // Grouped expert GEMMs stream their weights less efficiently than dense GEMMs (measured per card).
  inv_moe_mem_rate_ = 1.0 / std::max(1.0, d.gpu.mem_bytes_per_s() *
                                              (block_fp8 ? pick(eff.block_fp8_moe_memory_bw, eff.moe_memory_bw)
                                                         : eff.moe_memory_bw));
  // Decode attention streams the KV cache with its own kernels (paged, split-K): its own bandwidth fraction.
  // A 1-byte KV cache is dequantised element by element: its share of bandwidth is attention_fp8kv_bw_ratio of
  // the 2-byte one's.
  const double kv_bw_share = (mla ? pick(eff.mla_attention_memory_bw, eff.attention_memory_bw) : eff.attention_memory_bw) *
                             (kb < 2.0 ? eff.attention_fp8kv_bw_ratio : 1.0);
  inv_kv_mem_rate_ = 1.0 / std::max(1.0, d.gpu.mem_bytes_per_s() * kv_bw_share);
  const double head_rate = std::max(1.0, bf16_peak * eff.compute_bf16);

  // Dense linears: 2 FLOPs per weight per token. Under TP each GPU holds 1/t of the weights and sees every
  // token; under attention DP each GPU holds all of them and sees 1/t of the tokens. FLOPs per replica token
  // per GPU are 2*P/t either way; bytes read per step are P*wb/t (TP) or P*wb (DP). Divided by p per stage.
  // Projections every tensor-parallel rank keeps whole (MLA's q_a and kv_a) are read and computed in full by each
  // rank for every token: t x their split share.
  const double p_dense = s.attn_proj + s.dense_ffn + s.shared;
  const double whole = s.replicated_extra(t, dp);
  lin_flops_per_tok_ = 2.0 * (p_dense / t + whole) / p;
  lin_bytes_ = ((p_dense * wb_dense + (s.router + s.other) * 2.0) * (dp ? 1.0 : 1.0 / t) + whole * wb_dense) / p;
  // Routers: 2*h*E FLOPs per token, folded into the dense group (bf16 weights, negligible time).
  lin_flops_per_tok_ += 2.0 * s.router / t / p;
  // lm_head: 2*V*h FLOPs per sampled sequence (only the last position of a prefill chunk is sampled),
  // vocabulary-parallel under TP; kept in bf16. It runs on the last pipeline stage, which is therefore the
  // slowest: the modelled stage is the last one (1/p of the layers plus the whole lm_head).
  head_flops_per_seq_ = 2.0 * s.lm_head / t;
  head_bytes_ = s.lm_head * 2.0 * (dp ? 1.0 : 1.0 / t);
  // The lm_head runs at the bf16 rate; rescale its FLOPs so step() can multiply by the linear-GEMM rate:
  // f / head_rate = f' * inv_lin_flops_rate_.
  head_flops_per_seq_ *= (1.0 / head_rate) / inv_lin_flops_rate_;
  // Logits: the lm_head writes V fp32 logits per sampled sequence and the sampler reads them back (greedy or
  // top-k/top-p: at least one pass), 2 x 4 x V bytes, vocabulary-parallel under TP (per rank under attention DP).
  logits_bytes_per_seq_ = 2.0 * 4.0 * static_cast<double>(m.vocab_size) / t;

  // Routed experts: each GPU holds E/e experts per layer, each sliced t/e ways. A batch of T tokens with top-k
  // routing over E experts touches E*(1-(1-k/E)^T) distinct experts per layer in expectation (uniform routing);
  // each touched expert's slice is read once. FLOPs: 2*k*P_expert per token, spread over t GPUs.
  if (s.moe_layers > 0 && s.num_experts > 0) {
    moe_flops_per_tok_ = 2.0 * s.top_k * s.expert * s.moe_layers / t / p;
    moe_bytes_per_expert_ = s.expert * wb * s.moe_layers / p / (static_cast<double>(t) / e);
    moe_local_experts_ = s.num_experts / e;
    moe_log_miss_ = std::log1p(-std::min(s.top_k / s.num_experts, 0.999999));
    // Expert parallelism: routing is not uniform, so the GPU holding the most popular experts sets the pace of
    // every MoE layer; its token load (hence expert FLOPs) is ep_imbalance x the mean. Its weight traffic is that
    // of its own experts, as for any rank. Tensor-sliced experts are balanced by construction.
    moe_imbalance_ = e > 1 ? std::max(1.0, eff.ep_imbalance) : 1.0;
    // Grouped expert GEMMs run one tile-padded GEMM per touched expert: besides its routed tokens each touched
    // expert costs moe_tile_tokens rows of compute (partial M tiles, wave quantisation, per-expert prologue),
    // 2 * P_expert * moe_tile_tokens FLOPs per layer on its t/e-way slice (see stage_time for how it overlaps).
    moe_row_flops_ = 2.0 * s.expert * s.moe_layers / p / (static_cast<double>(t) / e);
    moe_route_frac_ = std::min(s.top_k / s.num_experts, 1.0);
    moe_experts_ = s.num_experts;
    // Routed rows' activations. Each of a token's k routed rows is processed by the t/e GPUs holding its
    // expert's slices, so a GPU handles k/e rows per token (all k under pure TP: every GPU runs every routed row
    // through its slice). Per row the grouped GEMMs gather the token's hidden state (activation format) and write
    // an h-wide bf16 output (the down projection's output is full width whatever the slice); a separate combine
    // kernel reads the k rows and writes the token's sum. At TP8, DeepSeek-V3's down projection has K = 2048/8
    // = 256 per row against 7168 outputs: the output write outweighs the FLOPs' time (measured on an H200,
    // data/validation/kernels/h200-sxm_slices_2026-11-30.csv).
    const double a_in = catalog::bytes_per_element(d.activation_precision);
    const double rows_per_tok = s.top_k / e;
    // LatentMoE rows travel at the latent width (the projections back to h are dense GEMMs of their own).
    moe_row_bytes_per_tok_ = rows_per_tok * s.moe_width * (a_in + kActBytes) * s.moe_layers / p;
    moe_combine_bytes_per_tok_ = (rows_per_tok + 1.0 / e) * s.moe_width * kActBytes * s.moe_layers / p;
  }

  // Attention (per layer, summed over the stage's layers = all layers / p).
  for (const auto& l : m.layers) {
    const auto& a = l.attn;
    const double share = kv_share(a, t, dp);
    const double kvl = kv_bytes_layer(a, kb) * share / p;
    // KV read per (sequence, attended token); written once per new token. A decode kernel that walks each
    // query head separately re-reads the K/V of a GQA group: reads grow by 1 + gqa_kv_reread * (nh/nkv - 1)
    // (gqa_kv_reread = share of those re-reads that miss on-chip caches; 0 for group-aware kernels).
    const double group = a.kind == AttentionSpec::Kind::standard && a.num_kv_heads > 0
                             ? static_cast<double>(a.num_heads) / a.num_kv_heads
                             : 1.0;
    const double reread = 1.0 + eff.gqa_kv_reread * (group - 1.0);
    kv_write_per_tok_ += kvl;
    if (a.sparse_topk > 0) {
      // DeepSeek Sparse Attention: the latent attention reads and computes over at most sparse_topk tokens per
      // query (the capped sums, like a window), in the absorbed (MQA) form for prefill as for decode (the
      // V3.2-Exp report instantiates DSA under MLA's MQA mode; FlashMLA's sparse kernels). The indexer reads
      // every context token's FP8 key and scores it (full sums). Its FLOPs run at the FP8 rate where the GPU has
      // one: rescaled to the bf16 attention rate the step divides by. Under TP every rank runs the whole
      // indexer for every sequence (replicated, not split by heads); under attention DP each rank its own.
      const double idx = catalog::indexer_cache_bytes_per_token(a) * share / p;
      kv_read_win_ += kvl - idx;
      kv_read_full_ += idx;
      const double fp8 = d.gpu.peak_flops(ComputeClass::fp8);
      const double idx_rate = fp8 > 0 ? attn_peak / fp8 : 1.0;
      const double idx_flops = indexer_pair_flops(a) * idx_rate / (dp ? t : 1) / p;
      const double sparse_pair = attn_pair_flops(a, true);
      attn_dec_flops_win_ += sparse_pair / t / p;
      attn_dec_flops_full_ += idx_flops;
      attn_pre_flops_win_ += sparse_pair * attention_head_dim_scale(eff, sparse_pair / a.num_heads) / t / p;
      attn_pre_flops_full_ += idx_flops;
      continue;
    }
    (is_windowed(a) ? kv_read_win_ : kv_read_full_) += kvl * reread;
    if (eff.triton_decode_max_kv_splits > 0 && eff.triton_decode_cta_bytes_s > 0 &&
        (a.kind == AttentionSpec::Kind::standard || a.kind == AttentionSpec::Kind::mla) && a.num_heads > 0) {
      // The grid of SGLang's Triton decode kernel on this GPU: query heads here (all of them under attention DP,
      // 1/t under TP), KV heads here (MLA: the one latent head), one thread block per min(block_h, heads per KV
      // head) query heads of a KV head (per head when each has its own KV head); each block streams one KV head's
      // K and V (MLA: the latent) for every token of its split.
      const bool latent = a.kind == AttentionSpec::Kind::mla;
      const double hq = dp ? a.num_heads : std::max(1.0, static_cast<double>(a.num_heads) / t);
      const double hkv = latent ? 1.0 : std::max(1.0, (dp ? a.num_kv_heads : std::ceil(static_cast<double>(a.num_kv_heads) / t)));
      const double per_kv = hq / hkv;
      const double groups =
          per_kv <= 1.0 ? hq : hkv * std::ceil(per_kv / std::clamp(eff.triton_decode_block_h, 1.0, per_kv));
      const double bytes = attn_kv_bytes_layer(a, kb) / (latent ? 1.0 : std::max(1, a.num_kv_heads));
      const bool win = is_windowed(a);
      auto it = std::find_if(triton_layers_.begin(), triton_layers_.end(), [&](const TritonDecodeLayers& g) {
        return g.head_groups == groups && g.block_bytes_per_token == bytes && g.windowed == win;
      });
      if (it == triton_layers_.end()) it = triton_layers_.insert(triton_layers_.end(), {groups, bytes, 0.0, win});
      it->layers += 1.0 / p;
    }
    (is_windowed(a) ? attn_dec_flops_win_ : attn_dec_flops_full_) += attn_pair_flops(a, true) / t / p;
    // Prefill: FLOPs of the score and value matmuls, scaled by the softmax's relative cost at this head dim.
    const double pre_heads = a.num_heads > 0 ? static_cast<double>(a.num_heads) : 1.0;
    const double pre_pair = attn_pair_flops(a, false);
    (is_windowed(a) ? attn_pre_flops_win_ : attn_pre_flops_full_) +=
        pre_pair * attention_head_dim_scale(eff, pre_pair / pre_heads) / t / p;
    // Mamba2 / Gated DeltaNet: the state is read and written once per sequence per step (2x bytes); the scan costs
    // about 6*heads*head_dim*state FLOPs per token (Mamba2's state update and output; the delta rule's S k, rank-1
    // update and q S).
    state_bytes_per_seq_ += 2.0 * mamba_state_bytes(a) / t / p;
    if (a.kind == AttentionSpec::Kind::gated_deltanet) {
      gdn_layers_ += 1.0 / p;
      gdn_value_heads_ = static_cast<double>(a.mamba_num_heads) / t;
    }
    if (a.kind == AttentionSpec::Kind::mamba2) {
      mamba2_layers_ += 1.0 / p;
      mamba2_heads_ = static_cast<double>(a.mamba_num_heads) / t * a.mamba_head_dim * a.ssm_state_size / (64.0 * 128.0);
    }
    if (a.is_recurrent())
      recurrent_flops_per_tok_ += 6.0 * a.mamba_num_heads * a.mamba_head_dim * a.ssm_state_size / t / p;
  }
  // Elementwise kernels between the GEMMs (residual add + RMSNorm twice per layer: read x and residual, write
  // both = 4h elements each; the FFN activation: read the gate/up output, write the product = 3 x FFN width,
  // the width on this GPU = dense I/t, or k x I_expert/t + shared/t for MoE) move activation bytes per token
  // on top of the GEMMs; rotary and activation quantisation are taken as fused into their neighbours.
  // They are memory-bound kernels of their own, so their time adds to the GEMMs' (stage_time).
  // Fixed kernel costs of the modelled (last) stage: its 1/p of the layers, plus lm_head GEMM and sampling.
  double kernels = 0, mla_layers = 0, router_fallback_layers = 0;
  bool sparse_attention = false;  // DeepSeek sparse attention layers (no piecewise prefill graph)
  // Block-scaled FP8 experts start slower than BF16 ones on the same path (block_fp8_triton_moe_layer_extra_s).
  const double triton_moe_extra_s =
      block_fp8 ? pick(eff.block_fp8_triton_moe_layer_extra_s, eff.triton_moe_layer_extra_s) : eff.triton_moe_layer_extra_s;
  const bool triton_moe = triton_moe_extra_s > 0 && runs_triton_fused_moe(m, d.weight_precision);
  // Engine-specific unfused kernels (Efficiency::unfused_kernels_per_layer, act_quant_kernels): GEMM input
  // groups per layer are attention in/out (2) and the FFN's two (dense or expert) plus the shared experts' two.
  const bool lowp_act = lin_cls != ComputeClass::bf16;
  // MXFP4 experts on a GPU without FP4 units run weight-only (W4A16) kernels; engines pick their MoE path for that
  // format by it (vLLM: triton_kernels matmul_ogs; NVFP4 and INT4 go to Marlin-style kernels, not itemised).
  const bool w4a16_experts = d.weight_precision == Precision::mxfp4 &&
                             catalog::compute_class(d.activation_precision) != ComputeClass::fp4;
  for (const auto& l : m.layers) {
    // MLA's structural count already has its rotary kernel; standard attention's has none. The latent KV-cache
    // write is a kernel of its own wherever an engine leaves rotary and cache write unfused (SGLang
    // set_mla_kv_buffer, vLLM concat_and_cache_mla); TensorRT-LLM's MLA writes the cache in its rotary kernel.
    if (l.attn.kind == AttentionSpec::Kind::standard) kernels += eff.unfused_kernels_per_layer;
    if (l.attn.kind == AttentionSpec::Kind::mla) kernels += std::max(0.0, eff.unfused_kernels_per_layer - 1.0);
    // Per-head q/k norms (Qwen3, GLM-4.5, Llama-4 RoPE layers): kernels of their own, or one fused with rotary.
    // A norm over the full width of q and of k (MiniMax-M2) split across tensor-parallel ranks needs the ranks'
    // sums of squares: a reduction kernel, a small all-reduce of them (counted with the collectives below) and
    // an apply kernel, in vLLM and SGLang alike (vLLM minimax_qk_norm_fusion's fallback, SGLang
    // MiniMaxM2QKRMSNorm._forward_naive; both engines' fused all-reduce + norm kernels are opt-in or
    // build-dependent). One rank (TP1, attention DP) holds the whole width: an ordinary norm.
    if (l.attn.qk_norm) kernels += split_full_width_norm(l.attn, t, dp) ? 2.0 : eff.qk_norm_kernels;
    if (w4a16_experts && l.ffn.kind == FfnSpec::Kind::moe) kernels += eff.w4a16_moe_kernels;
    if (lowp_act) {
      // Only GEMMs that compute in the low-precision format quantise their input: non-expert GEMMs whose weights
      // are wider (gpt-oss: bf16 attention and shared layers beside MXFP4 experts) run in bf16 and quantise nothing.
      const double dense_inputs = dense_cls != ComputeClass::bf16 ? 1.0 : 0.0;
      double inputs = l.attn.kind == AttentionSpec::Kind::none ? 0 : 2 * dense_inputs;
      if (l.ffn.kind == FfnSpec::Kind::dense) inputs += 2 * dense_inputs;
      if (l.ffn.kind == FfnSpec::Kind::moe) inputs += 2 + (l.ffn.num_shared_experts > 0 ? 2 * dense_inputs : 0);
      kernels += eff.act_quant_kernels * inputs;
    }
    const FfnSpec& f = l.ffn;
    double width = 0;
    if (f.kind == FfnSpec::Kind::dense) width = static_cast<double>(f.intermediate_size);
    if (f.kind == FfnSpec::Kind::moe)
      width = static_cast<double>(f.expert_intermediate_size) * f.experts_per_token +
              static_cast<double>(f.shared_intermediate_size) * f.num_shared_experts;
    act_bytes_per_tok_ += kActBytes * (2.0 * 4.0 * h + 3.0 * width / t) / p;
    kernels += kernels_per_layer(l);
    if (l.attn.kind == AttentionSpec::Kind::mla) mla_layers += 1;
    if (grouped_router_falls_back(f, eff)) router_fallback_layers += 1;
    if (l.attn.sparse_topk > 0) sparse_attention = true;
  }
  // An engine's per-layer floor on MLA layers (Efficiency::mla_layer_fixed_s; 0 unless a profile sets it) is
  // fixed time of the same kind: it does not grow with the batch.
  kernels_stage_ = kernels / p + 2.0;
  piecewise_prefill_ = piecewise_prefill(d, eff, recurrent_, sparse_attention);
  // An uncovered grouped router's fallback (grouped_router_falls_back) and the Triton fused-MoE path's start-up beyond
  // its itemised kernels (runs_triton_fused_moe) are fixed time of the same kind per MoE layer.
  fixed_kernels_s_ = kernels_stage_ * eff.kernel_fixed_s + mla_layers / p * eff.mla_layer_fixed_s +
                     router_fallback_layers / p * eff.grouped_router_fallback_s +
                     (triton_moe ? s.moe_layers / p * triton_moe_extra_s : 0.0);
  layers_stage_ = std::max(1.0, s.layers / p);
  spec_q_ = d.spec.enabled() ? d.spec.verified() : 1.0;
  attn_token_share_ = 1.0 / t;
  dp_ranks_ = dp ? t : 1;
  graph_cap_ = d.knobs.graph_cap(d.gpu.mem_gb, t);

  // Collectives. Link: scale-up when the tensor group fits the fabric, else the scale-out NIC.
  const double scaleup = d.gpu.scaleup_gb_s * 1e9;
  const double link = (t <= intra_fabric_gpus(d.gpu) && scaleup > 0) ? scaleup : eff.scaleout_bytes_per_s;
  inv_link_rate_ = 1.0 / std::max(1.0, link * eff.comm_bw);
  const double pp_link = (t * p <= intra_fabric_gpus(d.gpu) && scaleup > 0) ? scaleup : eff.scaleout_bytes_per_s;
  inv_pp_link_rate_ = 1.0 / std::max(1.0, pp_link * eff.comm_bw);
  const double layers_stage = s.layers / p;
  const double moe_layers_stage = s.moe_layers / p;
  if (!dp && t > 1) {
    // TP: two all-reduces per layer (after attention, after the FFN/MoE) of T*h bf16 values; ring traffic
    // 2*(t-1)/t of the message per GPU.
    ar_bytes_per_tok_ = ring_allreduce_factor(t) * h * kActBytes * 2.0 * layers_stage;
    ar_count_ = 2.0 * layers_stage;
    // Full-width q/k norms: one more all-reduce per such layer, of two fp32 sums of squares per token.
    const double split_norms = static_cast<double>(std::count_if(
        m.layers.begin(), m.layers.end(), [&](const catalog::LayerSpec& l) { return split_full_width_norm(l.attn, t, dp); }));
    ar_bytes_per_tok_ += ring_allreduce_factor(t) * 2.0 * 4.0 * split_norms / p;
    ar_count_ += split_norms / p;
  } else if (dp && t > 1 && s.moe_layers > 0) {
    if (e > 1) {
      // EP all-to-all per MoE layer: each of this GPU's T/t tokens is dispatched to k experts (fp8, 1 byte per
      // element) and combined back (bf16); a fraction (e-1)/e of them leaves the GPU.
      a2a_bytes_per_tok_ = (1.0 / t) * s.top_k * s.moe_width * (1.0 + kActBytes) * (e - 1.0) / e * moe_layers_stage;
    } else {
      // DP attention + TP experts: all-gather the tokens before and reduce-scatter after each MoE layer:
      // (t-1)/t of all T*h bf16 values each way.
      a2a_bytes_per_tok_ = 2.0 * (t - 1.0) / t * h * kActBytes * moe_layers_stage;
    }
    a2a_count_ = 2.0 * moe_layers_stage;
  }
  // PP: each stage sends its microbatch's hidden states (T*h bf16) to the next stage.
  if (p > 1) pp_bytes_per_tok_ = h * kActBytes;
}

double StepModel::kv_bytes_per_seq_per_gpu(double context_len) const {
  if (!dep_.model) return 0;
  const int t = std::max(1, dep_.tp), p = std::max(1, dep_.pp);
  const double kb = catalog::bytes_per_element(dep_.kv_precision);
  double bytes = mem_.state_bytes_per_seq;
  for (const auto& l : dep_.model->layers) {
    const double held = l.attn.sliding_window > 0 ? std::min(context_len, static_cast<double>(l.attn.sliding_window))
                                                  : context_len;
    bytes += kv_bytes_layer(l.attn, kb) * kv_share(l.attn, t, dep_.attention_dp) / p * held;
  }
  return bytes;
}

std::int64_t StepModel::max_concurrent_seqs(double seq_len) const {
  if (!mem_.feasible) return 0;
  const double per_seq = kv_bytes_per_seq_per_gpu(seq_len);
  // max_num_seqs applies per attention-DP rank (engines schedule each rank separately).
  const double cap = static_cast<double>(dep_.knobs.max_num_seqs) * (dep_.attention_dp ? std::max(1, dep_.tp) : 1);
  const double fit = per_seq > 0 ? std::floor(mem_.kv_bytes_per_gpu / per_seq) : cap;
  return static_cast<std::int64_t>(std::max(0.0, std::min(cap, fit)));
}

void StepModel::add_decode(BatchSummary& b, double context_len, std::int64_t n) const {
  b.decode_seqs += n;
  b.decode_ctx_sum += static_cast<double>(n) * context_len;
  if (window_ > 0) b.decode_ctx_windowed_sum += static_cast<double>(n) * std::min(context_len, window_);
}

void StepModel::add_prefill(BatchSummary& b, double start_pos, double chunk_tokens) const {
  if (chunk_tokens <= 0) return;
  const double s = start_pos, c = chunk_tokens;
  b.prefill_tokens += static_cast<std::int64_t>(std::llround(c));
  b.prefill_seqs += 1;
  // Token at position q (0-based) attends q+1 tokens: sum_{q=s}^{s+c-1} (q+1) = c*s + c*(c+1)/2.
  b.prefill_attn_pairs += c * s + c * (c + 1) / 2;
  if (window_ > 0) {
    const double w = window_;
    // Same sum with each term clipped to w: positions below w contribute q+1, the rest w.
    const double below = std::clamp(w - s, 0.0, c);
    b.prefill_attn_pairs_windowed += below * s + below * (below + 1) / 2 + (c - below) * w;
  }
}

// One pipeline stage processing one microbatch (all arguments already divided by the microbatch count).
// Each group is a roofline over its kernels: time = roofline_s(FLOPs / (peak x eff), bytes / (bandwidth x eff),
// roof_p) (perf/kernel.hpp; the kernels of a group share one arithmetic intensity, so the roofline of their sums
// is the sum of their rooflines), plus kernel_fixed_s per kernel launched; groups run one after another (no
// overlap between groups), collectives are not overlapped with compute.
//
// Speculative decoding (q = draft_tokens + 1): the verify pass runs q query tokens of every decoding sequence
// through the weight GEMMs, experts and lm_head (logits for each position), attends with q queries over the
// same KV (read once per sequence, FLOPs x q) and writes q new KV entries.
double StepModel::stage_time(double dec, double q, double ctx, double ctx_w, double pre, double pre_seqs,
                             double pairs, double pairs_w, StepTime* out) const {
  const double dec_q = dec * q;
  const double tokens = dec_q + pre;
  const double sampled = dec_q + pre_seqs;
  // Attention DP: every MoE layer synchronises the t ranks, so the rank-local groups (dense linears, attention)
  // last as long as the busiest rank. Decode sequences spread evenly, but a prompt chunk lands on one rank:
  // the busiest rank prefills pre / r tokens with r = min(t, prefill sequences) ranks prefilling, i.e. the
  // prefill work of those groups is scaled by t / r (1 without attention DP).
  const double pre_scale = dp_ranks_ > 1 ? dp_ranks_ / std::clamp(pre_seqs, 1.0, dp_ranks_) : 1.0;
  const double rank_tokens = dec_q + pre * pre_scale;
  pairs *= pre_scale;
  pairs_w *= pre_scale;
  // Dense linears and the lm_head.
  const double rp = eff_.roof_p;
  const double lin = roofline_s(lin_flops_per_tok_ * rank_tokens * inv_lin_flops_rate_, lin_bytes_ * inv_lin_mem_rate_, rp) +
                     act_bytes_per_tok_ * rank_tokens * inv_mem_rate_ +
                     roofline_s(head_flops_per_seq_ * sampled * inv_lin_flops_rate_, head_bytes_ * inv_mem_rate_, rp) +
                     logits_bytes_per_seq_ * sampled * inv_mem_rate_ +
                     fixed_kernels_s_;
  // Routed experts: expected distinct experts touched on this GPU = (E/e) * (1 - (1-k/E)^T).
  double moe = 0;
  if (moe_flops_per_tok_ > 0) {
    const double touched_frac = 1.0 - std::exp(tokens * moe_log_miss_);
    const double touched = moe_local_experts_ * touched_frac;
    // Serving MoE kernels pad each touched expert's rows to their M tile. A touched expert gets
    // k_e = T k / E / touched_frac rows. While the batch has no more tokens than experts the kernels use a small
    // tile (moe_serving_tile_small rows: Triton fused_moe BLOCK_SIZE_M 16) and an expert with k_e below it costs
    // tile - k_e padded rows; otherwise each touched expert pays moe_serving_pad_rows (the measured grouped-GEMM
    // padding by default; half a 64-row tile for the Triton kernels of vLLM and SGLang). The padding is hidden
    // while the expert weights stream in (grouped_roofline_s).
    const double rows = touched_frac > 0 ? tokens * moe_route_frac_ / touched_frac : 0.0;
    const double pad_rows = serving_moe_pad_rows(eff_, tokens, moe_experts_, rows);
    const double routed_c = moe_imbalance_ * moe_flops_per_tok_ * tokens * inv_moe_flops_rate_;
    const double busiest_tokens = moe_imbalance_ * tokens;
    moe = grouped_roofline_s(routed_c, touched * pad_rows * moe_row_flops_ * inv_moe_flops_rate_,
                             touched * moe_bytes_per_expert_ * inv_moe_mem_rate_ +
                                 busiest_tokens * moe_row_bytes_per_tok_ * inv_moe_mem_rate_,
                             rp) +
          busiest_tokens * moe_combine_bytes_per_tok_ * inv_mem_rate_;
  }
  // Attention. Decode: KV streamed once per (sequence, attended token) vs score/value FLOPs. Prefill: compute
  // over attended pairs. New tokens write their KV; recurrent layers read and write their state.
  const double dec_flops = (ctx * attn_dec_flops_full_ + ctx_w * attn_dec_flops_win_) * q + tokens * recurrent_flops_per_tok_;
  const double dec_bytes = ctx * kv_read_full_ + ctx_w * kv_read_win_ + tokens * kv_write_per_tok_ +
                           dec * state_bytes_per_seq_;
  // Prefill attention runs at prefill_attention_efficiency() of the prompt length, taken as twice the mean
  // number of tokens a prefill token attends on the full-attention layers (exact for whole prompts; `pairs`
  // already carries the attention-DP scale), or on the windowed layers for all-windowed models.
  double pre_eff_scale = 1.0;
  if (pre > 0) {
    const double prompt_len = 2.0 * (pairs > 0 ? pairs : pairs_w) / (pre * pre_scale);
    pre_eff_scale = eff_.attention_compute / prefill_attention_efficiency(eff_, prompt_len);
  }
  double dec_attn = roofline_s(dec_flops * inv_attn_flops_rate_, dec_bytes * inv_kv_mem_rate_, rp);
  if (!triton_layers_.empty()) dec_attn = std::max(dec_attn, triton_decode_serial_s(dec, ctx, ctx_w));
  // Chunked Gated DeltaNet prefill: one kernel call per GDN layer over the forward's prompt tokens, bounded below
  // by its measured floor, by the serial walk over the longest prompt's chunks and by its work (efficiency.yaml
  // gdn_prefill_*; the scan FLOPs above stay, a few microseconds beside it).
  double recurrent_prefill = 0;
  if (pre > 0 && gdn_layers_ > 0 && eff_.gdn_prefill_floor_s > 0) {
    const double prompt = pre / std::max(1.0, pre_seqs);
    const double chunks = std::ceil(prompt / std::max(1.0, eff_.gdn_chunk_tokens));
    recurrent_prefill = gdn_layers_ * std::max({eff_.gdn_prefill_floor_s, chunks * eff_.gdn_prefill_chunk_s,
                                                pre * pre_scale * gdn_value_heads_ * eff_.gdn_prefill_token_head_s});
  }
  // Chunked Mamba2 (SSD) prefill: the same, a floor per call or its work (efficiency.yaml mamba2_prefill_*).
  if (pre > 0 && mamba2_layers_ > 0 && eff_.mamba2_prefill_floor_s > 0)
    recurrent_prefill += mamba2_layers_ * std::max(eff_.mamba2_prefill_floor_s,
                                                   pre * pre_scale * mamba2_heads_ * eff_.mamba2_prefill_token_head_s);
  const double attn = dec_attn + recurrent_prefill +
                      (pairs * attn_pre_flops_full_ + pairs_w * attn_pre_flops_win_) * inv_attn_flops_rate_ * pre_eff_scale;
  // Collectives: bytes on the wire / (link x eff) + a fixed latency per collective.
  double comm = 0;
  if (ar_count_ > 0) comm += ar_bytes_per_tok_ * tokens * inv_link_rate_ + ar_count_ * eff_.collective_latency_s;
  if (a2a_count_ > 0) comm += a2a_bytes_per_tok_ * tokens * inv_link_rate_ + a2a_count_ * eff_.collective_latency_s;
  if (pp_bytes_per_tok_ > 0) comm += pp_bytes_per_tok_ * tokens * inv_pp_link_rate_ + eff_.collective_latency_s;
  if (out) {
    out->linear_s += lin;
    out->moe_s += moe;
    out->attention_s += attn;
    out->comm_s += comm;
  }
  return lin + moe + attn + comm;
}

// SGLang's split-KV Triton decode attention (--attention-backend triton: decode_attention_fwd, one thread block
// per (sequence, query-head group, KV split), then a reduction over the splits). A block walks its split's tokens
// one tile after another at Efficiency::triton_decode_cta_bytes_s (a latency-bound loop: sglang PR #21775's
// one-request steps grow 9x faster with context than FlashInfer's, data/perf/efficiency.yaml). Splits per
// sequence follow the backend's rule for equal lengths (triton_backend.py get_num_kv_splits_triton):
// S = min(max_kv_splits, ceil(SMs x max(1, log2(L / 64)) / (sequences x head groups))), so the split shrinks as the
// grid fills the GPU. The kernel lasts at least its blocks' walk, L / S tokens of each layer, at the sequences'
// mean context L (the longest sequence of a mixed batch walks longer: not modelled). Many resident blocks per SM
// are taken to walk in parallel (no wave limit); once the grid is large the HBM roofline of stage_time binds
// instead. Under attention DP each rank runs its own sequences. Speculative verification's extra query tokens
// per sequence are not counted here.
double StepModel::triton_decode_serial_s(double dec, double ctx, double ctx_w) const {
  if (dec <= 0) return 0;
  const double seqs = std::max(1.0, dec / dp_ranks_);
  const double units = dep_.gpu.compute_units;
  const double max_splits = std::max(1.0, std::floor(eff_.triton_decode_max_kv_splits));
  double s = 0;
  for (const auto& g : triton_layers_) {
    const double len = (g.windowed ? ctx_w : ctx) / dec;
    if (len <= 0) continue;
    double splits = max_splits;
    if (units > 0) {
      const double grid_target = units * std::max(1.0, std::log2(len / 64.0));
      splits = std::clamp(std::ceil(grid_target / (seqs * g.head_groups)), 1.0, max_splits);
    }
    s += g.layers * (len / splits) * g.block_bytes_per_token / eff_.triton_decode_cta_bytes_s;
  }
  return s;
}

// A step advances every sequence of the batch once. With p pipeline stages the batch is cut into
// m = min(p, sequences) microbatches; each stage processes each microbatch once per step, and a microbatch
// cannot start its next step before leaving the last stage, so the step lasts max(m, p) stage-times; the
// (p - m) idle slots are the pipeline bubble. Host overhead (scheduling, sampling, launches) is added per
// step: step_overhead per microbatch + seq_overhead * sequences / attention-DP ranks (each rank schedules its
// own).
// Engines that run prefill eagerly (Efficiency::prefill_eager_kernel_s > 0: SGLang without piecewise CUDA
// graphs) do not mix prefill into the decode batch either (SGLang's enable_mixed_chunk is off by default): a
// step that carries both is a prefill forward followed by a decode forward, each with its own fixed costs. An
// eager forward has the host launch its kernels one by one (H = kernels_stage_ x prefill_eager_kernel_s) beside
// its GPU time G; it lasts G + H - eager_launch_overlap x min(G, H): the larger of the two when the host runs ahead
// of the GPU (overlap 1), their sum when the two do not overlap (0). The excess over G is host overhead. SGLang's
// add (0; efficiency.yaml sglang: sglang PR #13094's eager TTFT of Llama-3.1-8B, and SGLang's one-request TTFT
// growing with the prompt as the GPU time does where the larger of the two would stay flat).
// Decode forwards replay a CUDA graph (kernel_fixed_s per kernel, in the GPU groups) up to the engine's largest
// captured batch (EngineKnobs::cuda_graph_max_bs); above it they are eager too.
StepTime StepModel::eager_forward(StepTime r, bool prefill) const {
  const double pp = dep_.pp > 1 ? dep_.pp : 1;
  const double share = prefill && piecewise_prefill_ ? std::clamp(eff_.piecewise_prefill_launch_share, 0.0, 1.0) : 1.0;
  const double launch_s = pp * kernels_stage_ * eff_.prefill_eager_kernel_s * share;
  const double hidden = std::clamp(eff_.eager_launch_overlap, 0.0, 1.0) * std::min(launch_s, r.total_s);
  r.overhead_s += launch_s - hidden;
  r.total_s += launch_s - hidden;
  return r;
}

StepTime StepModel::step(const BatchSummary& b) const {
  // A decode batch above the engine's largest captured CUDA graph (per attention-DP rank) runs eagerly too
  // (SGLang: cuda_graph_max_bs, 256-512 by default; EngineKnobs::cuda_graph_max_bs).
  const bool eager_decode = eff_.prefill_eager_kernel_s > 0 && graph_cap_ > 0 &&
                            static_cast<double>(b.decode_seqs) / dp_ranks_ > graph_cap_;
  if (eff_.prefill_eager_kernel_s <= 0 || b.prefill_tokens <= 0) return eager_decode ? eager_forward(forward(b), false) : forward(b);
  BatchSummary pre = b;
  pre.decode_seqs = 0;
  pre.decode_ctx_sum = pre.decode_ctx_windowed_sum = 0;
  StepTime r = eager_forward(forward(pre), true);
  if (b.decode_seqs <= 0) return r;
  BatchSummary dec = b;
  dec.prefill_tokens = dec.prefill_seqs = 0;
  dec.prefill_attn_pairs = dec.prefill_attn_pairs_windowed = 0;
  const StepTime d = eager_decode ? eager_forward(forward(dec), false) : forward(dec);
  for (auto field : kStepTimeFields) r.*field += d.*field;
  return r;
}

StepTime StepModel::forward(const BatchSummary& b) const {
  StepTime r;
  const double seqs = static_cast<double>(b.decode_seqs + b.prefill_seqs);
  const double p = dep_.pp > 1 ? dep_.pp : 1;
  const double m = p > 1 ? std::clamp(seqs, 1.0, p) : 1.0;
  const double inv_m = 1.0 / m;
  StepTime parts;
  const double stage = stage_time(static_cast<double>(b.decode_seqs) * inv_m, spec_q_, b.decode_ctx_sum * inv_m,
                                  b.decode_ctx_windowed_sum * inv_m, static_cast<double>(b.prefill_tokens) * inv_m,
                                  static_cast<double>(b.prefill_seqs) * inv_m, b.prefill_attn_pairs * inv_m,
                                  b.prefill_attn_pairs_windowed * inv_m, &parts);
  r.linear_s = parts.linear_s * m;
  r.moe_s = parts.moe_s * m;
  r.attention_s = parts.attention_s * m;
  r.comm_s = parts.comm_s * m;
  r.pipeline_bubble_s = (std::max(m, p) - m) * stage;
  // Attention-DP ranks each run their own scheduler over their own sequences: per-sequence host work is
  // spread over dp_ranks_ processes.
  // Under pipeline parallelism the host launches each of the m microbatches as its own iteration, so the fixed
  // per-iteration cost is paid m times per step.
  // Speculative decoding: draft_tokens sequential draft passes over the decoding sequences before the verify
  // pass (each pass a draft model of draft_layers decoder layers plus the lm_head), on the last stage.
  if (dep_.spec.enabled() && b.decode_seqs > 0)
    r.draft_s = dep_.spec.draft_tokens *
                draft_pass_time(static_cast<double>(b.decode_seqs) * std::max(1, dep_.spec.draft_width),
                                b.decode_ctx_sum * std::max(1, dep_.spec.draft_width),
                                b.decode_ctx_windowed_sum * std::max(1, dep_.spec.draft_width));
  const double gpu_s = std::max(m, p) * stage + r.draft_s;
  // Per-step costs outside the modelled kernels: step_overhead per microbatch (scheduling the batch, preparing
  // inputs, launching the graph: host work) + seq_overhead per sequence per attention-DP rank (per-request
  // sampling, stop checks and bookkeeping on the critical path between two steps). An overlap scheduler
  // (TensorRT-LLM PyTorch backend, SGLang >= 0.4, vLLM async scheduling) prepares step n+1 while the GPU runs
  // step n: it hides host_overlap of the per-step host work under the GPU step. The per-sequence part is not
  // hidden: saturated Blackwell runs with the overlap scheduler on (TensorRT-LLM blogs 3 and 9) match the model
  // only with it still paid (it also absorbs per-sequence GPU work the kernels above do not itemise).
  const double step_host_s = eff_.step_overhead_s * m;
  const double seq_s = eff_.seq_overhead_s * seqs / dp_ranks_;
  // With speculative decoding spec_host_overlap (0 unless an engine overlaps it) replaces host_overlap.
  r.overhead_s = seq_s + step_host_s - host_overlap() * std::min(step_host_s, gpu_s);
  r.total_s = gpu_s + r.overhead_s;
  return r;
}

double StepModel::draft_pass_time(double dec, double ctx, double ctx_w) const {
  if (dec <= 0) return 0;
  const double rp = eff_.roof_p;
  // The lm_head (and logits) of the draft tokens: the target's head (MTP shares it; EAGLE-3's smaller draft
  // vocabulary is not modelled, an overestimate).
  const double head = roofline_s(head_flops_per_seq_ * dec * inv_lin_flops_rate_, head_bytes_ * inv_mem_rate_, rp) +
                      logits_bytes_per_seq_ * dec * inv_mem_rate_;
  // One target layer's share of a single-token decode step over the same sequences (one query each), scaled to
  // draft_layers: weights, attention, experts and collectives as the target model runs them.
  const double p = dep_.pp > 1 ? dep_.pp : 1;
  const double stage = stage_time(dec / p, 1.0, ctx / p, ctx_w / p, 0, 0, 0, 0, nullptr) * p;
  const double body = std::max(0.0, stage - head * 1.0 - fixed_kernels_s_);
  const double per_layer = (body + fixed_kernels_s_) / (layers_stage_ * p);
  return dep_.spec.draft_layers * per_layer + head;
}

}  // namespace tokenmath::perf
