// An open-weight model as tokenmath sees it: a normalised, per-layer description read from a Hugging Face
// config.json, and pure functions that derive parameter counts, weight bytes, FLOPs and KV/state bytes from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tokenmath/catalog/precision.hpp"

namespace tokenmath::catalog {

struct AttentionSpec {
  // gated_deltanet (Qwen3-Next, Qwen3.5 linear-attention layers) reuses the Mamba2 fields: mamba_num_heads = value
  // heads, mamba_head_dim = value head dim, ssm_state_size = key head dim, mamba_n_groups = key heads; its state is one
  // key_dim x value_dim matrix per value head, its conv runs over q, k and v (2 kh kd + vh vd channels).
  enum class Kind { none, standard, mla, mamba2, gated_deltanet };
  Kind kind = Kind::none;
  // standard = MHA / GQA / MQA
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;        // q/k head dim
  int v_head_dim = 0;      // == head_dim unless the model says otherwise (MLA)
  int sliding_window = 0;  // tokens attended by this layer; 0 = full context
  bool qkv_bias = false;
  bool o_bias = false;
  // MLA (DeepSeek-V2/V3, Kimi-K2): q_lora_rank == 0 means q is not compressed.
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  // Mamba2 (Nemotron-H): state per sequence, no KV cache.
  int mamba_num_heads = 0;
  int mamba_head_dim = 0;
  int ssm_state_size = 0;
  int mamba_n_groups = 0;
  int conv_kernel = 0;
  int mamba_expand = 0;
  // Additions (catalog helper): small per-layer parameters and structural variants.
  bool qk_norm = false;             // per-head RMSNorm on q and k (Qwen3, GLM-4.5): 2 x head_dim weights
  bool qk_norm_weightless = false;  // the q/k norm has no weights (Llama-4's L2 norm on its RoPE layers)
  bool qk_norm_full_width = false;  // one RMSNorm over all of q and all of k (MiniMax-M2 per_layer): (heads + kv heads) x head_dim weights
  bool sinks = false;               // learned attention-sink logit per head (gpt-oss): num_heads weights
  bool v_from_k = false;            // no v projection: the k projection's output is the value (Gemma 4 full layers); the cache still holds K and V
  bool replaced_by_linear = false;  // Kind::none but a hidden x hidden linear instead (DeciLM/Nemotron-NAS)
  bool conv_bias = true;            // Mamba2 conv1d bias
  bool ssm_state_fp32 = false;      // recurrent state kept in fp32 (config mamba_ssm_dtype float32; SGLang's default)
  bool output_gate = false;         // q projection also emits a per-channel sigmoid gate on the attention output
                                    // (Qwen3-Next / Qwen3.5 gated attention): q_proj is 2 x heads x head_dim wide
  // Llama-4 chunked local attention: a token attends only within its sliding_window-sized chunk. KV and
  // attention work are bounded like a window of that size (an upper bound: mid-chunk tokens see fewer).
  bool chunked = false;
  // DeepSeek Sparse Attention (DeepSeek-V3.2, model_type deepseek_v32): MLA whose every query attends only the
  // sparse_topk tokens a lightning indexer selects. The indexer scores the whole context with indexer_heads heads
  // of indexer_head_dim (FP8 keys cached per token beside the latent; indexer_cache_bytes_per_token). 0 = dense.
  int sparse_topk = 0;
  int indexer_heads = 0;
  int indexer_head_dim = 0;

  // A layer whose per-sequence state is a fixed-size recurrent state (Mamba2, Gated DeltaNet), not a KV cache.
  bool is_recurrent() const { return kind == Kind::mamba2 || kind == Kind::gated_deltanet; }
};

// Bytes the DSA lightning indexer caches per token in one layer: FP8 keys of indexer_head_dim plus one fp32 scale
// per 128-element quantisation block (DeepSeek-V3.2-Exp inference code, act_quant block 128; vLLM's indexer cache
// is 128 + 4 = 132 B per token for DeepSeek-V3.2). 0 for dense attention.
double indexer_cache_bytes_per_token(const AttentionSpec& a);

struct FfnSpec {
  enum class Kind { none, dense, moe };
  Kind kind = Kind::none;
  std::int64_t intermediate_size = 0;  // dense FFN width
  bool gated = true;                   // gated (gate, up, down = 3 matrices) or plain (up, down = 2)
  bool bias = false;
  // MoE
  int num_experts = 0;                        // routed experts
  int experts_per_token = 0;                  // top-k
  std::int64_t expert_intermediate_size = 0;  // per routed expert
  int num_shared_experts = 0;
  std::int64_t shared_intermediate_size = 0;  // per shared expert
  bool router_bias = false;
  // DeepSeek-V3-style grouped routing (noaux_tc: sigmoid scores plus the selection bias, the experts split into
  // n_group groups of which topk_group are kept before the top-k): n_group; 0 = a plain top-k over all experts.
  int router_groups = 0;
  // Additions (catalog helper).
  bool replaced_by_linear = false;  // Kind::none but a hidden x hidden linear instead (DeciLM/Nemotron-NAS)
  bool shared_expert_gate = false;  // sigmoid gate (hidden x 1) on the shared expert output (Qwen2-MoE)
  // LatentMoE (Nemotron 3 Super/Ultra): the routed experts run at this width, between a hidden -> latent projection
  // and a latent -> hidden one (always active, kept whole on every tensor-parallel rank); 0 = at the hidden size.
  std::int64_t latent_size = 0;
};

struct LayerSpec {
  AttentionSpec attn;
  FfnSpec ffn;
  std::int64_t norm_params = 0;  // this layer's normalisation weights (RMSNorm: hidden; LayerNorm: 2 x hidden)
};

struct ModelSpec {
  std::string id;            // catalog id, e.g. "llama-3.1-70b"
  std::string display_name;  // e.g. "Llama-3.1-70B"
  std::string hf_repo;       // e.g. "meta-llama/Llama-3.1-70B-Instruct"
  std::string model_type;    // config.json model_type
  std::string source;        // provenance of the config file
  std::string config_path;   // file it was read from
  std::vector<std::string> aliases;  // other names sources print (lower-case match)

  std::int64_t hidden_size = 0;
  std::int64_t vocab_size = 0;
  bool tie_word_embeddings = false;
  std::int64_t max_context = 0;
  Precision native_weight_precision = Precision::bf16;  // as shipped (DeepSeek-V3: fp8, gpt-oss: mxfp4 experts)
  int mtp_layers = 0;  // multi-token-prediction layers shipped beside the main model; not counted in params

  std::vector<LayerSpec> layers;

  // Additions (catalog helper).
  std::int64_t final_norm_params = 0;  // norm before lm_head
  bool lm_head_bias = false;           // GPT-J
  // When true, native_weight_precision applies to routed experts only and everything else is bf16 (gpt-oss).
  bool native_precision_experts_only = false;
  // FP8 checkpoint with block-wise weight scales (quantization_config.weight_block_size, DeepSeek-V3: 128 x 128):
  // engines run its linears with block-scaled FP8 kernels (DeepGEMM, Triton w8a8_block_fp8_matmul, AITER), a
  // kernel family of its own (perf Efficiency block_fp8_*).
  bool block_scaled_fp8 = false;
  std::int64_t vision_params = 0;      // vision encoder + projector shipped in the same checkpoint (Llama-4)
  std::vector<std::string> notes;      // derived facts worth printing (e.g. "MTP layer excluded")

  bool is_moe() const;
  int num_layers() const { return static_cast<int>(layers.size()); }
};

// Loads a Hugging Face config.json (with an optional tokenmath `_meta` block). Throws InputError naming the
// file, the JSON pointer and the value for malformed or unsupported configs.
ModelSpec load_model_config(const std::filesystem::path& path);

struct ParamCounts {
  double embedding = 0;      // input embedding (+ lm_head when untied)
  double attention = 0;      // q/k/v/o projections incl. MLA down/up projections, biases, norms
  double mamba = 0;          // Mamba2 in/out projections, conv, A/D/dt
  double dense_ffn = 0;      // dense FFN layers
  double routed_experts = 0; // all routed experts
  double shared_experts = 0;
  double router = 0;
  double norms = 0;
  double vision = 0;         // vision encoder + projector (Llama-4); in total, not in active
  double mtp = 0;            // multi-token-prediction modules shipped beside the model; NOT in total or active
  double total = 0;          // everything stored
  double active = 0;         // used per token: total minus routed experts not selected
  // active minus the input-embedding table when it is not tied to lm_head (a lookup, no FLOPs). DeepSeek
  // (V3: 36.6B) and OpenAI (gpt-oss: 5.1B / 3.6B) publish this; Meta, Mistral and Qwen publish `active`.
  double active_excl_embedding = 0;
};
ParamCounts count_params(const ModelSpec& m);

// Parameters of the decoder layers (all layers summed; no embedding, lm_head, final norm or vision tower) by
// role and storage class: `*_linear` are weight matrices (stored at the deployment's precision), `router` the
// MoE gates and `other` the biases, norms, conv and SSM parameters (bf16). Same counting path as count_params.
struct LayerWeightParams {
  double attn_linear = 0, mamba_linear = 0, dense_linear = 0;
  // Of attn_linear, the projections engines keep whole on every tensor-parallel rank: MLA's low-rank q_a and kv_a
  // (vLLM's and SGLang's fused_qkv_a_proj, TensorRT-LLM's fused_a: replicated linears whose small outputs the
  // q_a/kv_a norms need whole).
  double attn_replicated = 0;
  // Of shared_linear, the LatentMoE projections (fc1/fc2_latent_proj), likewise whole on every rank.
  double ffn_replicated = 0;
  double expert_linear = 0;  // all routed experts of all layers
  double shared_linear = 0;
  double router = 0;
  double other = 0;
};
LayerWeightParams count_layer_weight_params(const ModelSpec& m);

// Bytes of weights when linear layers are stored at `p`; embeddings, lm_head, norms and routers stay bf16.
double weight_bytes(const ModelSpec& m, Precision p);
// Bytes of weights as the checkpoint ships (native_weight_precision; experts only when
// native_precision_experts_only).
double weight_bytes_native(const ModelSpec& m);

// Forward FLOPs (2 per multiply-add) to process one token whose position attends to `context_len` tokens.
struct FlopsPerToken {
  double linear = 0;     // all matmuls with weights, incl. lm_head, active experts only
  double attention = 0;  // QK^T and PV (score/value), bounded by sliding windows; Mamba scan
  double router = 0;     // MoE gate
  double total() const { return linear + attention + router; }
};
FlopsPerToken flops_per_token(const ModelSpec& m, double context_len);

// KV-cache bytes per token summed over layers, for a sequence of `context_len` tokens: full-attention layers
// store every token; a sliding-window layer stores at most `sliding_window` tokens (so its per-token share
// falls as context grows). context_len <= 0 means "unbounded" (asymptotic: window layers contribute 0).
double kv_bytes_per_token(const ModelSpec& m, Precision kv_dtype, double context_len = 0);
// KV bytes for a whole sequence of `context_len` tokens.
double kv_bytes_for_sequence(const ModelSpec& m, Precision kv_dtype, double context_len);
// Mamba2 state bytes per sequence (SSM state + conv state), independent of length. 0 for pure transformers.
double state_bytes_per_sequence(const ModelSpec& m, Precision state_dtype);

}  // namespace tokenmath::catalog
