// Reading Hugging Face config.json files into ModelSpec, and the quantities derived from a ModelSpec.
//
// Every architecture is normalised to a list of layers, each an attention block (standard, MLA, Mamba2, none)
// and an FFN block (dense, MoE, none). Parameter counts follow the module layout of the Hugging Face
// `transformers` implementation of each model_type (which matrices exist, which carry biases, which norms);
// the formulas sit beside the code that applies them.
#include "tokenmath/catalog/model.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/common/json_text.hpp"

namespace tokenmath::catalog {

namespace {

using json = nlohmann::json;

std::string short_dump(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Largest value a config dimension may take (real models: <= 200 layers, <= 512 experts, hidden <= 30k,
// vocabularies <= 300k): per kind, so that products of dimensions stay far inside 64-bit and int arithmetic.
std::int64_t dimension_cap(const std::string& key) {
  auto has = [&](const char* s) { return key.find(s) != std::string::npos; };
  if (has("layers") || has("num_hidden_layers")) return 10'000;
  if (has("experts")) return 1 << 16;
  if (has("heads") || has("head_dim") || has("groups")) return 1 << 14;
  if (has("vocab")) return 1 << 24;
  if (has("hidden") || has("intermediate") || has("dim") || has("rank") || has("size")) return 1 << 20;
  return 2147483647;
}

std::string type_name(const json& v) {
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

// A JSON object inside a config file, with typed, validated accessors whose errors name the file, the JSON
// pointer and the value. A present `null` counts as absent (HF configs write null for "not used").
class Obj {
 public:
  Obj(const json& j, std::string ptr, const std::string& file, const std::string& model_type)
      : j_(&j), ptr_(std::move(ptr)), file_(&file), model_type_(&model_type) {}

  const json* find(const std::string& key) const {
    auto it = j_->find(key);
    if (it == j_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }
  std::string ptr(const std::string& key) const { return ptr_ + "/" + key; }
  const std::string& file() const { return *file_; }

  [[noreturn]] void fail(const std::string& key, const json* v, const std::string& problem) const {
    throw InputError(*file_, ptr(key), v ? short_dump(*v) : "", problem);
  }
  [[noreturn]] void missing(const std::string& key) const {
    fail(key, nullptr, "missing required field for model_type '" + *model_type_ + "'");
  }

  // Integer >= min_value. Accepts integral floats (128.0) as HF files sometimes write them.
  std::int64_t as_int(const std::string& key, const json& v, std::int64_t min_value) const {
    std::int64_t out = 0;
    if (v.is_number_integer() || v.is_number_unsigned()) {
      out = v.get<std::int64_t>();
    } else if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
               std::abs(v.get<double>()) < 9e15) {
      out = static_cast<std::int64_t>(v.get<double>());
    } else {
      fail(key, &v, "expected an integer, got " + type_name(v));
    }
    if (out < min_value)
      fail(key, &v, min_value == 1 ? "must be a positive integer" : "must be >= " + std::to_string(min_value));
    // Every dimension is stored in an int or multiplied with others: per-kind limits far above any real model
    // keep every product in range (and a 2^31-layer config from building 2^31 layer specs).
    const std::int64_t cap = dimension_cap(key);
    if (out > cap) fail(key, &v, fmt::format("is implausibly large (the reader's limit is {})", cap));
    return out;
  }
  std::int64_t req_int(const std::string& key, std::int64_t min_value = 1) const {
    const json* v = find(key);
    if (!v) missing(key);
    return as_int(key, *v, min_value);
  }
  std::int64_t opt_int(const std::string& key, std::int64_t def, std::int64_t min_value = 1) const {
    const json* v = find(key);
    return v ? as_int(key, *v, min_value) : def;
  }
  double as_num(const std::string& key, const json& v) const {
    if (!v.is_number()) fail(key, &v, "expected a number, got " + type_name(v));
    const double d = v.get<double>();
    if (!(d > 0) || !std::isfinite(d)) fail(key, &v, "must be a positive number");
    return d;
  }
  double req_num(const std::string& key) const {
    const json* v = find(key);
    if (!v) missing(key);
    return as_num(key, *v);
  }
  bool opt_bool(const std::string& key, bool def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_boolean()) fail(key, v, "expected true or false, got " + type_name(*v));
    return v->get<bool>();
  }
  std::string opt_str(const std::string& key, const std::string& def = "") const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_string()) fail(key, v, "expected a string, got " + type_name(*v));
    return v->get<std::string>();
  }
  Obj child(const std::string& key) const {
    const json* v = find(key);
    if (!v) missing(key);
    if (!v->is_object()) fail(key, v, "expected an object, got " + type_name(*v));
    return Obj(*v, ptr(key), *file_, *model_type_);
  }
  const json& array(const std::string& key) const {
    const json* v = find(key);
    if (!v) missing(key);
    if (!v->is_array()) fail(key, v, "expected an array, got " + type_name(*v));
    return *v;
  }
  // Element i of array `key` as an object.
  Obj element(const std::string& key, std::size_t i) const {
    const json& a = array(key);
    const json& e = a.at(i);
    const std::string p = ptr(key) + "/" + std::to_string(i);
    if (!e.is_object()) throw InputError(*file_, p, short_dump(e), "expected an object, got " + type_name(e));
    return Obj(e, p, *file_, *model_type_);
  }
  std::vector<std::int64_t> int_list(const std::string& key) const {
    std::vector<std::int64_t> out;
    const json* v = find(key);
    if (!v) return out;
    if (!v->is_array()) fail(key, v, "expected an array of integers, got " + type_name(*v));
    for (std::size_t i = 0; i < v->size(); ++i) {
      Obj holder(*v, ptr(key), *file_, *model_type_);
      out.push_back(holder.as_int(std::to_string(i), (*v)[i], 0));
    }
    return out;
  }

 private:
  const json* j_;
  std::string ptr_;
  const std::string* file_;
  const std::string* model_type_;
};

// Standard (MHA/GQA/MQA) attention with implicit head_dim = hidden / heads when the config omits head_dim.
AttentionSpec standard_attention(const Obj& c, std::int64_t hidden, const std::string& heads_key = "num_attention_heads",
                                 const std::string& kv_key = "num_key_value_heads",
                                 const std::string& head_dim_key = "head_dim") {
  AttentionSpec a;
  a.kind = AttentionSpec::Kind::standard;
  a.num_heads = static_cast<int>(c.req_int(heads_key));
  a.num_kv_heads = static_cast<int>(c.opt_int(kv_key, a.num_heads));
  if (a.num_heads % a.num_kv_heads != 0)
    c.fail(kv_key, c.find(kv_key),
           "must divide " + heads_key + " (" + std::to_string(a.num_heads) + ")");
  if (c.has(head_dim_key)) {
    a.head_dim = static_cast<int>(c.req_int(head_dim_key));
  } else {
    if (hidden % a.num_heads != 0)
      c.fail(heads_key, c.find(heads_key),
             "head_dim is absent and hidden_size (" + std::to_string(hidden) + ") is not a multiple of it");
    a.head_dim = static_cast<int>(hidden / a.num_heads);
  }
  a.v_head_dim = a.head_dim;
  return a;
}

FfnSpec dense_ffn(std::int64_t intermediate, bool gated, bool bias) {
  FfnSpec f;
  f.kind = FfnSpec::Kind::dense;
  f.intermediate_size = intermediate;
  f.gated = gated;
  f.bias = bias;
  return f;
}

FfnSpec moe_ffn(int experts, int top_k, std::int64_t expert_intermediate, int shared, std::int64_t shared_intermediate) {
  FfnSpec f;
  f.kind = FfnSpec::Kind::moe;
  f.num_experts = experts;
  f.experts_per_token = top_k;
  f.expert_intermediate_size = expert_intermediate;
  f.num_shared_experts = shared;
  f.shared_intermediate_size = shared_intermediate;
  return f;
}

int checked_top_k(const Obj& c, const std::string& key, int experts) {
  const int k = static_cast<int>(c.req_int(key));
  if (k > experts) c.fail(key, c.find(key), "exceeds the number of routed experts (" + std::to_string(experts) + ")");
  return k;
}

// n_group of a grouped (DeepSeek-V3-style) router: at least 1 (the default when absent) and a divisor of the
// routed experts, which the router splits into that many equal groups.
int checked_router_groups(const Obj& c, int experts) {
  const int g = static_cast<int>(c.opt_int("n_group", 1, 1));
  if (experts > 0 && experts % g != 0)
    c.fail("n_group", c.find("n_group"), "does not divide the number of routed experts (" + std::to_string(experts) + ")");
  return g;
}

// The layer stack of the MoE families whose layers differ only in their FFN: every layer attends with `attn`;
// layer i runs `moe` where is_moe(i), else `dense`; two RMSNorms a layer and a final one.
template <typename IsMoe>
void push_moe_stack(ModelSpec& m, int num_layers, const AttentionSpec& attn, const FfnSpec& moe, const FfnSpec& dense,
                    IsMoe is_moe) {
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    l.attn = attn;
    l.ffn = is_moe(i) ? moe : dense;
    l.norm_params = 2 * m.hidden_size;
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// Qwen-MoE FFN layout (qwen2_moe, qwen3_moe, qwen3_next, qwen3_5): layer i is sparse unless listed in
// mlp_only_layers, and only every decoder_sparse_step-th; sparse layers run `experts` routed experts (top_k of
// expert_i) plus, with shared_i > 0, one sigmoid-gated shared expert; the others a gated MLP of dense_i.
struct QwenMoeLayout {
  int experts = 0, top_k = 0, sparse_step = 1;
  std::int64_t expert_i = 0, shared_i = 0, dense_i = 0;
  bool mlp_bias = false;
  std::vector<std::int64_t> mlp_only;

  FfnSpec ffn(const Obj& c, int i) const {
    const bool moe = experts > 0 && std::find(mlp_only.begin(), mlp_only.end(), i) == mlp_only.end() &&
                     (i + 1) % sparse_step == 0;
    if (!moe) {
      if (dense_i <= 0) c.missing("intermediate_size");
      return dense_ffn(dense_i, true, mlp_bias);
    }
    FfnSpec f = moe_ffn(experts, top_k, expert_i, shared_i > 0 ? 1 : 0, shared_i);
    f.shared_expert_gate = shared_i > 0;
    return f;
  }
};

// Llama, Mistral, Qwen2, Qwen3 (dense) and the MoE variants Mixtral, Qwen2-MoE, Qwen3-MoE.
void build_llama_like(const Obj& c, ModelSpec& m, int num_layers) {
  const std::string& t = m.model_type;
  AttentionSpec attn = standard_attention(c, m.hidden_size);
  // Bias: Llama/Qwen3 put `attention_bias` on q, k, v and o; Qwen2 always biases q, k, v and never o.
  if (t == "qwen2" || t == "qwen2_moe") {
    attn.qkv_bias = true;
  } else {
    attn.qkv_bias = attn.o_bias = c.opt_bool("attention_bias", false);
  }
  attn.qk_norm = (t == "qwen3" || t == "qwen3_moe");
  // Sliding window: Mistral/Mixtral apply `sliding_window` to every layer; Qwen2/3 only when
  // use_sliding_window is true, and then to layers with index >= max_window_layers.
  const std::int64_t window = c.opt_int("sliding_window", 0, 0);
  const bool qwen = t.rfind("qwen", 0) == 0;
  const bool use_window = qwen ? c.opt_bool("use_sliding_window", false) : window > 0;
  const std::int64_t max_window_layers = qwen ? c.opt_int("max_window_layers", 0, 0) : 0;
  const bool mlp_bias = c.opt_bool("mlp_bias", false);

  QwenMoeLayout ffn;  // Mixtral: every layer sparse, no shared expert; dense models: no experts
  ffn.mlp_bias = mlp_bias;
  if (t == "mixtral") {
    ffn.experts = static_cast<int>(c.req_int("num_local_experts"));
    ffn.top_k = checked_top_k(c, "num_experts_per_tok", ffn.experts);
    ffn.expert_i = c.req_int("intermediate_size");
  } else if (t == "qwen3_moe" || t == "qwen2_moe") {
    ffn.experts = static_cast<int>(c.req_int("num_experts"));
    ffn.top_k = checked_top_k(c, "num_experts_per_tok", ffn.experts);
    ffn.expert_i = c.req_int("moe_intermediate_size");
    ffn.sparse_step = static_cast<int>(c.opt_int("decoder_sparse_step", 1));
    ffn.mlp_only = c.int_list("mlp_only_layers");
    if (t == "qwen2_moe") ffn.shared_i = c.opt_int("shared_expert_intermediate_size", 0, 0);
    ffn.dense_i = c.opt_int("intermediate_size", 0, 0);
  } else {
    ffn.dense_i = c.req_int("intermediate_size");
  }
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    l.attn = attn;
    if (use_window && window > 0 && i >= max_window_layers) l.attn.sliding_window = static_cast<int>(window);
    l.ffn = ffn.ffn(c, i);
    l.norm_params = 2 * m.hidden_size;  // input + post-attention RMSNorm
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// DeepSeek-V2/V3, Kimi-K2, GLM-4.7-Flash (glm4_moe_lite, transformers Glm4MoeLite: DeepSeek-V3's MLA and MoE layout
// under its own model_type): MLA attention; MoE from layer first_k_dense_replace on, every moe_layer_freq-th.
// DeepSeek-V3.2 (deepseek_v32) is DeepSeek-V3 with DeepSeek Sparse Attention in every layer: a lightning indexer of
// index_n_heads heads of index_head_dim picks index_topk tokens per query (DeepSeek-V3.2-Exp technical report);
// GLM-5 (glm_moe_dsa) the same at its own sizes. An indexer shared across layers (GLM-5.2's index_topk_freq) is
// refused: each layer here runs its own.
void build_deepseek(const Obj& c, ModelSpec& m, int num_layers, bool sparse) {
  AttentionSpec a;
  a.kind = AttentionSpec::Kind::mla;
  a.num_heads = static_cast<int>(c.req_int("num_attention_heads"));
  a.num_kv_heads = a.num_heads;  // nominal: MLA caches one shared latent per token, not per head
  a.q_lora_rank = static_cast<int>(c.opt_int("q_lora_rank", 0, 0));
  a.kv_lora_rank = static_cast<int>(c.req_int("kv_lora_rank"));
  a.qk_nope_head_dim = static_cast<int>(c.req_int("qk_nope_head_dim"));
  a.qk_rope_head_dim = static_cast<int>(c.req_int("qk_rope_head_dim"));
  a.v_head_dim = static_cast<int>(c.req_int("v_head_dim"));
  a.head_dim = a.qk_nope_head_dim + a.qk_rope_head_dim;
  a.qkv_bias = a.o_bias = c.opt_bool("attention_bias", false);
  if (sparse) {
    if (c.opt_int("index_topk_freq", 1) > 1)
      c.fail("index_topk_freq", c.find("index_topk_freq"), "an indexer shared across layers is not modelled");
    a.sparse_topk = static_cast<int>(c.req_int("index_topk"));
    a.indexer_heads = static_cast<int>(c.req_int("index_n_heads"));
    a.indexer_head_dim = static_cast<int>(c.req_int("index_head_dim"));
  }

  const int experts = static_cast<int>(c.opt_int("n_routed_experts", 0, 0));
  const int top_k = experts > 0 ? checked_top_k(c, "num_experts_per_tok", experts) : 0;
  const std::int64_t expert_i = experts > 0 ? c.req_int("moe_intermediate_size") : 0;
  const int shared = static_cast<int>(c.opt_int("n_shared_experts", 0, 0));
  const int first_dense = static_cast<int>(c.opt_int("first_k_dense_replace", 0, 0));
  const int freq = static_cast<int>(c.opt_int("moe_layer_freq", 1));
  const std::int64_t dense_i = c.req_int("intermediate_size");
  // noaux_tc routing adds a per-expert score-correction bias (e_score_correction_bias).
  const bool router_bias = c.opt_str("topk_method") == "noaux_tc";
  m.mtp_layers = static_cast<int>(c.opt_int("num_nextn_predict_layers", 0, 0));
  FfnSpec moe = moe_ffn(experts, top_k, expert_i, shared, expert_i);
  moe.router_bias = router_bias;
  if (router_bias) moe.router_groups = checked_router_groups(c, experts);
  push_moe_stack(m, num_layers, a, moe, dense_ffn(dense_i, true, false),
                 [&](int i) { return experts > 0 && i >= first_dense && i % freq == 0; });
}

// GLM-4.5 (glm4_moe): GQA with q/k/v bias and optional qk-norm; DeepSeek-style MoE layout and router bias.
void build_glm4_moe(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec a = standard_attention(c, m.hidden_size);
  a.qkv_bias = c.opt_bool("attention_bias", false);  // o_proj has no bias in Glm4MoeAttention
  a.qk_norm = c.opt_bool("use_qk_norm", false);
  const int experts = static_cast<int>(c.req_int("n_routed_experts"));
  const int top_k = checked_top_k(c, "num_experts_per_tok", experts);
  const std::int64_t expert_i = c.req_int("moe_intermediate_size");
  const int shared = static_cast<int>(c.opt_int("n_shared_experts", 0, 0));
  const int first_dense = static_cast<int>(c.opt_int("first_k_dense_replace", 0, 0));
  const std::int64_t dense_i = c.req_int("intermediate_size");
  m.mtp_layers = static_cast<int>(c.opt_int("num_nextn_predict_layers", 0, 0));
  FfnSpec moe = moe_ffn(experts, top_k, expert_i, shared, expert_i);
  moe.router_bias = true;  // e_score_correction_bias
  moe.router_groups = checked_router_groups(c, experts);  // Glm4MoeTopkRouter: DeepSeek-V3's grouped selection
  push_moe_stack(m, num_layers, a, moe, dense_ffn(dense_i, true, false), [&](int i) { return i >= first_dense; });
}

// ERNIE-4.5 MoE (ernie4_5_moe; transformers Ernie4_5_MoeForCausalLM): GQA without biases (use_bias); layer i is MoE
// when moe_layer_start_index <= i <= moe_layer_end_index (-1: the last layer) and (i + 1) % moe_layer_interval == 0,
// else a dense SwiGLU of intermediate_size. Each MoE layer has moe_num_experts routed experts (moe_intermediate_size)
// of which moe_k are picked, with a selection-only score-correction bias, and one always-on shared MLP of width
// moe_intermediate_size x moe_num_shared_experts (Ernie4_5_MoeSparseMoeBlock), kept as one shared expert of that width.
void build_ernie4_5_moe(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec a = standard_attention(c, m.hidden_size);
  a.qkv_bias = a.o_bias = c.opt_bool("use_bias", false);
  const int experts = static_cast<int>(c.req_int("moe_num_experts"));
  const int top_k = checked_top_k(c, "moe_k", experts);
  const std::int64_t expert_i = c.req_int("moe_intermediate_size");
  const std::int64_t shared_i = expert_i * c.opt_int("moe_num_shared_experts", 0, 0);
  const std::int64_t start = c.opt_int("moe_layer_start_index", 0, 0);
  const std::int64_t end_raw = c.opt_int("moe_layer_end_index", -1, -1);
  const std::int64_t end = end_raw < 0 ? num_layers - 1 : end_raw;
  const std::int64_t interval = c.opt_int("moe_layer_interval", 1, 1);
  const std::int64_t dense_i = c.req_int("intermediate_size");
  const bool mlp_bias = c.opt_bool("use_bias", false);
  FfnSpec moe = moe_ffn(experts, top_k, expert_i, shared_i > 0 ? 1 : 0, shared_i);
  moe.router_bias = true;  // moe_statics.e_score_correction_bias
  push_moe_stack(m, num_layers, a, moe, dense_ffn(dense_i, true, mlp_bias),
                 [&](int i) { return i >= start && i <= end && (i + 1) % interval == 0; });
}

// MiniMax-M2 (minimax_m2; MiniMaxM2ForCausalLM): GQA with q/k RMSNorm (qk_norm_type "per_layer": one norm over
// the whole q and k projections, "per_head" as Qwen3), every layer MoE with num_local_experts experts of
// intermediate_size, num_experts_per_tok picked by sigmoid scores with a selection bias (use_routing_bias), and a
// shared expert only when shared_intermediate_size > 0. use_mtp ships num_mtp_modules x mtp_transformer_layers
// multi-token-prediction layers beside the model.
void build_minimax_m2(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec a = standard_attention(c, m.hidden_size);
  a.qk_norm = c.opt_bool("use_qk_norm", false);
  a.qk_norm_full_width = a.qk_norm && c.opt_str("qk_norm_type") != "per_head";
  const int experts = static_cast<int>(c.req_int("num_local_experts"));
  const int top_k = checked_top_k(c, "num_experts_per_tok", experts);
  const std::int64_t expert_i = c.req_int("intermediate_size");
  const std::int64_t shared_i = c.opt_int("shared_intermediate_size", 0, 0);
  const bool router_bias = c.opt_bool("use_routing_bias", false);
  if (c.opt_bool("use_mtp", false))
    m.mtp_layers = static_cast<int>(c.opt_int("num_mtp_modules", 0, 0) * c.opt_int("mtp_transformer_layers", 1));
  FfnSpec moe = moe_ffn(experts, top_k, expert_i, shared_i > 0 ? 1 : 0, shared_i);
  moe.router_bias = router_bias;
  push_moe_stack(m, num_layers, a, moe, FfnSpec{}, [](int) { return true; });
}

std::vector<std::string> string_list(const Obj& o, const std::string& key);  // defined below

// A per-layer `layer_types` list (Gemma 4, Qwen3.5): strings, one per layer.
std::vector<std::string> layer_types(const Obj& c, int num_layers) {
  std::vector<std::string> types = string_list(c, "layer_types");
  if (static_cast<int>(types.size()) != num_layers)
    c.fail("layer_types", c.find("layer_types"),
           "has " + std::to_string(types.size()) + " entries for " + std::to_string(num_layers) + " layers");
  return types;
}

// Qwen3-Next (qwen3_next) and Qwen3.5 (qwen3_5 / qwen3_5_moe, decoder nested in text_config as qwen3_5_text /
// qwen3_5_moe_text; transformers modeling_qwen3_next.py and modeling_qwen3_5*.py): hybrid stacks of Gated DeltaNet
// linear-attention layers and gated full-attention layers, one full layer every full_attention_interval (or as an
// explicit layer_types list says). Gated DeltaNet: in_proj_qkvz (h -> 2 kh kd + 2 vh vd) and in_proj_ba (h -> 2 vh)
// projections, a depthwise causal conv of linear_conv_kernel_dim taps over q, k, v (no bias), dt_bias and A_log per
// value head, a gated RMSNorm of vd weights, out_proj (vh vd -> h); its state per sequence is vh matrices of kd x vd
// (fp32 when mamba_ssm_dtype says so) plus the conv window. Full attention: q_proj also emits the output gate
// (2 x heads x head_dim), per-head q/k RMSNorm, partial rotary, no biases. FFN: Qwen-MoE routed experts
// (num_experts, top num_experts_per_tok, moe_intermediate_size) with a sigmoid-gated shared expert
// (shared_expert_intermediate_size), except layers in mlp_only_layers; without num_experts (Qwen3.5 dense) a dense
// MLP of intermediate_size. The MTP block (mtp_num_hidden_layers) stays out of the totals; the vision tower of the
// Qwen3.5 checkpoints is not counted.
void build_qwen3_next(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec full = standard_attention(c, m.hidden_size);
  full.qk_norm = true;
  full.output_gate = m.model_type == "qwen3_next" || c.opt_bool("attn_output_gate", false);
  full.qkv_bias = full.o_bias = c.opt_bool("attention_bias", false);
  AttentionSpec linear;
  linear.kind = AttentionSpec::Kind::gated_deltanet;
  linear.mamba_n_groups = static_cast<int>(c.req_int("linear_num_key_heads"));
  linear.ssm_state_size = static_cast<int>(c.req_int("linear_key_head_dim"));
  linear.mamba_num_heads = static_cast<int>(c.req_int("linear_num_value_heads"));
  linear.mamba_head_dim = static_cast<int>(c.req_int("linear_value_head_dim"));
  if (linear.mamba_num_heads % linear.mamba_n_groups != 0)
    c.fail("linear_num_value_heads", c.find("linear_num_value_heads"), "must be a multiple of linear_num_key_heads");
  linear.conv_kernel = static_cast<int>(c.opt_int("linear_conv_kernel_dim", 4));
  linear.conv_bias = false;
  const std::string ssm_dtype = c.opt_str("mamba_ssm_dtype", "bfloat16");
  if (ssm_dtype != "float32" && ssm_dtype != "bfloat16" && ssm_dtype != "float16")
    c.fail("mamba_ssm_dtype", c.find("mamba_ssm_dtype"), "expected float32, bfloat16 or float16");
  linear.ssm_state_fp32 = ssm_dtype == "float32";

  std::vector<std::string> types;
  if (c.has("layer_types")) {
    types = layer_types(c, num_layers);
  } else {
    const std::int64_t interval = c.req_int("full_attention_interval");
    for (int i = 0; i < num_layers; ++i)
      types.push_back((i + 1) % interval == 0 ? "full_attention" : "linear_attention");
  }
  QwenMoeLayout ffn;
  ffn.experts = static_cast<int>(c.opt_int("num_experts", 0, 0));
  if (ffn.experts > 0) {
    ffn.top_k = checked_top_k(c, "num_experts_per_tok", ffn.experts);
    ffn.expert_i = c.req_int("moe_intermediate_size");
    ffn.shared_i = c.opt_int("shared_expert_intermediate_size", 0, 0);
  }
  ffn.dense_i = c.opt_int("intermediate_size", 0, 0);
  ffn.mlp_only = c.int_list("mlp_only_layers");
  ffn.sparse_step = static_cast<int>(c.opt_int("decoder_sparse_step", 1));
  m.mtp_layers = static_cast<int>(c.opt_int("mtp_num_hidden_layers", 0, 0));
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    if (types[i] == "full_attention") {
      l.attn = full;
    } else if (types[i] == "linear_attention") {
      l.attn = linear;
    } else {
      throw InputError(c.file(), c.ptr("layer_types") + "/" + std::to_string(i), types[i],
                       "expected linear_attention or full_attention");
    }
    l.ffn = ffn.ffn(c, i);
    l.norm_params = 2 * m.hidden_size;  // input + post-attention RMSNorm
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// Gemma 4 (gemma4 nests the decoder in text_config as gemma4_text; transformers modular_gemma4.py): the explicit
// layer_types list says which layers attend a sliding window of sliding_window tokens and which attend everything.
// Sliding layers: head_dim, num_key_value_heads. Full layers: global_head_dim and, with attention_k_eq_v, the
// num_global_key_value_heads of a k projection whose output is also the value (no v projection; K and V are still
// cached). Per-head q/k RMSNorms (the v norm has no weights), no biases. Every layer has a gated-GELU MLP of
// intermediate_size; with enable_moe_block a routed block (num_experts of moe_intermediate_size, top_k_experts)
// runs beside it and the two are summed: kept as a shared expert of intermediate_size. Per-layer input embeddings
// (hidden_size_per_layer_input > 0) and KV sharing (num_kv_shared_layers > 0), used by the E2B/E4B models, are not
// modelled and are rejected. The vision tower is not counted.
void build_gemma4(const Obj& c, ModelSpec& m, int num_layers) {
  if (c.opt_int("hidden_size_per_layer_input", 0, 0) > 0)
    c.fail("hidden_size_per_layer_input", c.find("hidden_size_per_layer_input"),
           "per-layer input embeddings (Gemma 4 E2B/E4B) are not modelled");
  if (c.opt_int("num_kv_shared_layers", 0, 0) > 0)
    c.fail("num_kv_shared_layers", c.find("num_kv_shared_layers"), "KV sharing across layers is not modelled");
  AttentionSpec sliding = standard_attention(c, m.hidden_size);
  sliding.qk_norm = true;
  sliding.qkv_bias = sliding.o_bias = c.opt_bool("attention_bias", false);
  AttentionSpec full = sliding;
  const bool k_eq_v = c.opt_bool("attention_k_eq_v", false);
  if (c.has("global_head_dim")) full.head_dim = full.v_head_dim = static_cast<int>(c.req_int("global_head_dim"));
  if (k_eq_v) {
    full.num_kv_heads = static_cast<int>(c.req_int("num_global_key_value_heads"));
    if (full.num_heads % full.num_kv_heads != 0)
      c.fail("num_global_key_value_heads", c.find("num_global_key_value_heads"), "must divide num_attention_heads");
    full.v_from_k = true;
  }
  const std::int64_t window = c.req_int("sliding_window");
  const std::vector<std::string> types = layer_types(c, num_layers);
  const std::int64_t dense_i = c.req_int("intermediate_size");
  const bool moe = c.opt_bool("enable_moe_block", false);
  int experts = 0, top_k = 0;
  std::int64_t expert_i = 0;
  if (moe) {
    experts = static_cast<int>(c.req_int("num_experts"));
    top_k = checked_top_k(c, "top_k_experts", experts);
    expert_i = c.req_int("moe_intermediate_size");
  }
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    if (types[i] == "sliding_attention") {
      l.attn = sliding;
      l.attn.sliding_window = static_cast<int>(window);
    } else if (types[i] == "full_attention") {
      l.attn = full;
    } else {
      throw InputError(c.file(), c.ptr("layer_types") + "/" + std::to_string(i), types[i],
                       "expected sliding_attention or full_attention");
    }
    l.ffn = moe ? moe_ffn(experts, top_k, expert_i, 1, dense_i) : dense_ffn(dense_i, true, false);
    l.norm_params = 4 * m.hidden_size;  // input, post-attention, pre- and post-feedforward RMSNorms
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// Llama-4 text model. MoE layers are every interleave_moe_layer_step-th layer (or the explicit moe_layers
// list); each has routed experts of intermediate_size plus one shared expert of the same size; dense layers use
// intermediate_size_mlp. RoPE layers use chunked local attention (attention_chunk_size): a token attends only
// within its chunk, so KV and attention work are bounded like a sliding window of that size; NoPE layers
// (every no_rope_layer_interval-th, or no_rope_layers[i] == 0) attend globally.
void build_llama4(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec a = standard_attention(c, m.hidden_size);
  a.qkv_bias = a.o_bias = c.opt_bool("attention_bias", false);
  const int experts = static_cast<int>(c.req_int("num_local_experts"));
  const int top_k = checked_top_k(c, "num_experts_per_tok", experts);
  const std::int64_t expert_i = c.req_int("intermediate_size");
  const std::int64_t dense_i = c.opt_int("intermediate_size_mlp", expert_i);
  const int step = static_cast<int>(c.opt_int("interleave_moe_layer_step", 1));
  std::vector<std::int64_t> moe_layers = c.int_list("moe_layers");
  if (moe_layers.empty())
    for (int i = step - 1; i < num_layers; i += step) moe_layers.push_back(i);
  const std::int64_t chunk = c.opt_int("attention_chunk_size", 0, 0);
  // use_qk_norm: an L2 norm without weights on q and k of the RoPE layers (transformers Llama4TextAttention).
  const bool qk_norm = c.opt_bool("use_qk_norm", false);
  const std::vector<std::int64_t> rope_flags = c.int_list("no_rope_layers");
  const std::int64_t nope_interval = c.opt_int("no_rope_layer_interval", 4);
  if (!rope_flags.empty() && static_cast<int>(rope_flags.size()) != num_layers)
    c.fail("no_rope_layers", c.find("no_rope_layers"),
           "has " + std::to_string(rope_flags.size()) + " entries, expected num_hidden_layers = " +
               std::to_string(num_layers));
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    l.attn = a;
    const bool uses_rope = rope_flags.empty() ? ((i + 1) % nope_interval != 0) : rope_flags[i] != 0;
    if (uses_rope && chunk > 0) {
      l.attn.sliding_window = static_cast<int>(chunk);
      l.attn.chunked = true;
    }
    l.attn.qk_norm = qk_norm && uses_rope;
    l.attn.qk_norm_weightless = l.attn.qk_norm;
    if (std::find(moe_layers.begin(), moe_layers.end(), i) != moe_layers.end()) {
      l.ffn = moe_ffn(experts, top_k, expert_i, 1, expert_i);
    } else {
      l.ffn = dense_ffn(dense_i, true, false);
    }
    l.norm_params = 2 * m.hidden_size;
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// Llama-4 vision encoder and projector, following transformers' Llama4VisionModel module list:
// unfold patch embedding (C*p*p x H, no bias), class embedding (H), positional embedding ((n_patches+1) x H),
// pre/post LayerNorm (2H each), per layer q/k/v/o with bias (4H^2 + 4H), fc1/fc2 with bias (2*H*I + I + H),
// two LayerNorms (4H); pixel-shuffle MLP (I x proj_in + proj_out x proj_out, no bias); projector
// (vision_output_dim x text hidden, no bias).
std::int64_t llama4_vision_params(const Obj& v, std::int64_t text_hidden) {
  const std::int64_t h = v.req_int("hidden_size");
  const std::int64_t layers = v.req_int("num_hidden_layers");
  const std::int64_t inter = v.req_int("intermediate_size");
  const std::int64_t patch = v.req_int("patch_size");
  const std::int64_t image = v.req_int("image_size");
  const std::int64_t channels = v.opt_int("num_channels", 3);
  const std::int64_t proj_in = v.req_int("projector_input_dim");
  const std::int64_t proj_out = v.req_int("projector_output_dim");
  const std::int64_t out_dim = v.req_int("vision_output_dim");
  const std::int64_t n_patches = (image / patch) * (image / patch);
  std::int64_t p = channels * patch * patch * h + h + (n_patches + 1) * h + 4 * h;
  p += layers * (4 * h * h + 4 * h + 2 * h * inter + inter + h + 4 * h);
  p += inter * proj_in + proj_out * proj_out;
  p += out_dim * text_hidden;
  return p;
}

// gpt-oss: alternating sliding/full attention per layer_types, attention sinks, biases everywhere, MoE with
// biased experts and router; experts ship in MXFP4.
void build_gpt_oss(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec a = standard_attention(c, m.hidden_size);
  a.qkv_bias = a.o_bias = c.opt_bool("attention_bias", true);
  a.sinks = true;
  const int experts = static_cast<int>(c.req_int("num_local_experts"));
  const std::string k_key = c.has("num_experts_per_tok") ? "num_experts_per_tok" : "experts_per_token";
  const int top_k = checked_top_k(c, k_key, experts);
  const std::int64_t expert_i = c.req_int("intermediate_size");
  const std::int64_t window = c.opt_int("sliding_window", 0, 0);
  const json& types = c.array("layer_types");
  if (static_cast<int>(types.size()) != num_layers)
    c.fail("layer_types", &types,
           "has " + std::to_string(types.size()) + " entries, expected num_hidden_layers = " + std::to_string(num_layers));
  for (int i = 0; i < num_layers; ++i) {
    const json& t = types[i];
    const std::string p = c.ptr("layer_types") + "/" + std::to_string(i);
    if (!t.is_string() || (t != "sliding_attention" && t != "full_attention"))
      throw InputError(c.file(), p, short_dump(t), "expected \"sliding_attention\" or \"full_attention\"");
    LayerSpec l;
    l.attn = a;
    if (t == "sliding_attention") {
      if (window <= 0) c.missing("sliding_window");
      l.attn.sliding_window = static_cast<int>(window);
    }
    l.ffn = moe_ffn(experts, top_k, expert_i, 0, 0);
    l.ffn.bias = true;
    l.ffn.router_bias = true;
    l.norm_params = 2 * m.hidden_size;
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
  m.native_weight_precision = Precision::mxfp4;
  m.native_precision_experts_only = true;
}

// DeciLM / Nemotron-NAS: per-layer block_configs. Attention is GQA with n_heads_in_group query heads per KV head,
// a no_op (absent) or a hidden x hidden linear; the FFN is gated with an intermediate size derived from ffn_mult
// (transformers' _ffn_mult_to_intermediate_size: int(2 * ffn_mult * hidden / 3) rounded up to a multiple of
// 256), a no_op or a linear. A layer has its input norm only when attention is not a no_op, and its
// post-attention norm only when the FFN is not a no_op.
void build_nemotron_nas(const Obj& c, ModelSpec& m, int num_layers) {
  const int heads = static_cast<int>(c.req_int("num_attention_heads"));
  if (m.hidden_size % heads != 0) c.fail("num_attention_heads", c.find("num_attention_heads"), "must divide hidden_size");
  const int head_dim = static_cast<int>(c.opt_int("head_dim", m.hidden_size / heads));
  const json& blocks = c.array("block_configs");
  if (static_cast<int>(blocks.size()) != num_layers)
    c.fail("block_configs", nullptr,
           "has " + std::to_string(blocks.size()) + " entries, expected num_hidden_layers = " + std::to_string(num_layers));
  const bool mlp_bias = c.opt_bool("mlp_bias", false);
  const bool attn_bias = c.opt_bool("attention_bias", false);
  for (int i = 0; i < num_layers; ++i) {
    const Obj b = c.element("block_configs", static_cast<std::size_t>(i));
    const Obj at = b.child("attention");
    const Obj ff = b.child("ffn");
    LayerSpec l;
    if (at.opt_bool("no_op", false)) {
      l.attn.kind = AttentionSpec::Kind::none;
    } else {
      l.norm_params += m.hidden_size;
      if (at.opt_bool("replace_with_linear", false)) {
        l.attn.kind = AttentionSpec::Kind::none;
        l.attn.replaced_by_linear = true;
      } else {
        const int group = static_cast<int>(at.req_int("n_heads_in_group"));
        if (heads % group != 0)
          at.fail("n_heads_in_group", at.find("n_heads_in_group"),
                  "must divide num_attention_heads (" + std::to_string(heads) + ")");
        l.attn.kind = AttentionSpec::Kind::standard;
        l.attn.num_heads = heads;
        l.attn.num_kv_heads = heads / group;
        l.attn.head_dim = l.attn.v_head_dim = head_dim;
        l.attn.qkv_bias = l.attn.o_bias = attn_bias;
        l.attn.sliding_window = static_cast<int>(at.opt_int("window_length", 0, 0));
      }
    }
    if (ff.opt_bool("no_op", false)) {
      l.ffn.kind = FfnSpec::Kind::none;
    } else {
      l.norm_params += m.hidden_size;
      if (ff.opt_bool("replace_with_linear", false)) {
        l.ffn.kind = FfnSpec::Kind::none;
        l.ffn.replaced_by_linear = true;
      } else {
        const double mult = ff.req_num("ffn_mult");
        const auto raw = static_cast<std::int64_t>(2.0 * mult * static_cast<double>(m.hidden_size) / 3.0);
        const std::int64_t inter = (raw + 255) / 256 * 256;
        l.ffn = dense_ffn(inter, true, mlp_bias);
      }
    }
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// Nemotron-H: hybrid_override_pattern gives one character per layer: 'M' Mamba2 mixer, '*' attention,
// '-' MLP (squared-ReLU, not gated), 'E' MoE (below). Every block has one RMSNorm before its mixer.
void build_nemotron_h(const Obj& c, ModelSpec& m, int num_layers) {
  const std::string pattern = c.opt_str("hybrid_override_pattern");
  if (pattern.empty()) c.missing("hybrid_override_pattern");
  if (static_cast<int>(pattern.size()) != num_layers)
    c.fail("hybrid_override_pattern", c.find("hybrid_override_pattern"),
           "has " + std::to_string(pattern.size()) + " characters, expected num_hidden_layers = " +
               std::to_string(num_layers));
  AttentionSpec attn;
  AttentionSpec mamba;
  FfnSpec mlp;
  if (pattern.find('*') != std::string::npos) {
    const std::string hd_key = c.has("attention_head_dim") ? "attention_head_dim" : "head_dim";
    attn = standard_attention(c, m.hidden_size, "num_attention_heads", "num_key_value_heads", hd_key);
    attn.qkv_bias = attn.o_bias = c.opt_bool("attention_bias", false);
  }
  if (pattern.find('M') != std::string::npos) {
    mamba.kind = AttentionSpec::Kind::mamba2;
    mamba.mamba_num_heads = static_cast<int>(c.req_int("mamba_num_heads"));
    mamba.mamba_head_dim = static_cast<int>(c.req_int("mamba_head_dim"));
    mamba.ssm_state_size = static_cast<int>(c.req_int("ssm_state_size"));
    mamba.mamba_n_groups = static_cast<int>(c.opt_int("n_groups", 1));
    mamba.conv_kernel = static_cast<int>(c.opt_int("conv_kernel", 4));
    mamba.mamba_expand = static_cast<int>(c.opt_int("expand", 2));
    mamba.conv_bias = c.opt_bool("use_conv_bias", true);
    mamba.ssm_state_fp32 = c.opt_str("mamba_ssm_cache_dtype", "bfloat16") == "float32";
  }
  if (pattern.find('-') != std::string::npos) mlp = dense_ffn(c.req_int("intermediate_size"), false, c.opt_bool("mlp_bias", false));
  // 'E' (Nemotron 3; vLLM nemotron_h.py NemotronHMoE): n_routed_experts squared-ReLU experts (up and down, not gated)
  // of moe_intermediate_size, num_experts_per_tok picked by sigmoid scores with a selection bias, plus
  // n_shared_experts always-on experts of moe_shared_expert_intermediate_size. LatentMoE (moe_latent_size, Nemotron 3
  // Super): the router reads the hidden state, fc1_latent_proj takes it to moe_latent_size, the routed experts run
  // there, fc2_latent_proj brings their sum back; the shared expert stays at the hidden width.
  FfnSpec moe;
  if (pattern.find('E') != std::string::npos) {
    const int experts = static_cast<int>(c.req_int("n_routed_experts"));
    const int shared = static_cast<int>(c.opt_int("n_shared_experts", 0, 0));
    moe = moe_ffn(experts, checked_top_k(c, "num_experts_per_tok", experts), c.req_int("moe_intermediate_size"), shared,
                  shared > 0 ? c.req_int("moe_shared_expert_intermediate_size") : 0);
    moe.gated = false;
    moe.router_bias = true;  // e_score_correction_bias
    moe.router_groups = checked_router_groups(c, experts);  // NemotronHTopkRouter: DeepSeek-V3's grouped selection
    moe.latent_size = c.opt_int("moe_latent_size", 0, 0);
  }
  m.mtp_layers = static_cast<int>(c.opt_int("num_nextn_predict_layers", 0, 0));  // beside the pattern, not in it
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    switch (pattern[i]) {
      case 'M': l.attn = mamba; break;
      case '*': l.attn = attn; break;
      case '-': l.ffn = mlp; break;
      case 'E': l.ffn = moe; break;
      default:
        c.fail("hybrid_override_pattern", c.find("hybrid_override_pattern"),
               std::string("layer ") + std::to_string(i) + " has kind '" + pattern[i] +
                   "'; supported: M (Mamba2), * (attention), - (MLP), E (MoE)");
    }
    l.norm_params = m.hidden_size;
    m.layers.push_back(l);
  }
  m.final_norm_params = m.hidden_size;
}

// GPT-J: parallel attention + MLP sharing one LayerNorm (weight and bias); q/k/v/o without bias; plain GELU MLP
// with biases; untied lm_head with a bias.
void build_gptj(const Obj& c, ModelSpec& m, int num_layers) {
  AttentionSpec a = standard_attention(c, m.hidden_size, "n_head", "n_head", "head_dim");
  const std::int64_t inner = c.opt_int("n_inner", 4 * m.hidden_size);
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    l.attn = a;
    l.ffn = dense_ffn(inner, false, true);
    l.norm_params = 2 * m.hidden_size;
    m.layers.push_back(l);
  }
  m.final_norm_params = 2 * m.hidden_size;
  m.lm_head_bias = true;
}

// Falcon: fused QKV; new_decoder_architecture uses num_kv_heads KV groups and two parallel LayerNorms
// (ln_attn, ln_mlp); older variants use multi_query (1 KV head) and one input LayerNorm (plus a post-attention
// one when attention and MLP are sequential). Plain GELU MLP of ffn_hidden_size (default 4 x hidden).
void build_falcon(const Obj& c, ModelSpec& m, int num_layers) {
  const bool new_arch = c.opt_bool("new_decoder_architecture", false);
  AttentionSpec a = standard_attention(c, m.hidden_size, "num_attention_heads", "num_kv_heads", "head_dim");
  if (!new_arch) a.num_kv_heads = c.opt_bool("multi_query", true) ? 1 : a.num_heads;
  const bool bias = c.opt_bool("bias", false);
  a.qkv_bias = a.o_bias = bias;
  const bool parallel = c.opt_bool("parallel_attn", true);
  const std::int64_t ffn = c.opt_int("ffn_hidden_size", 4 * m.hidden_size);
  const std::int64_t ln_count = new_arch ? c.opt_int("num_ln_in_parallel_attn", 2) : (parallel ? 1 : 2);
  for (int i = 0; i < num_layers; ++i) {
    LayerSpec l;
    l.attn = a;
    l.ffn = dense_ffn(ffn, false, bias);
    l.norm_params = ln_count * 2 * m.hidden_size;
    m.layers.push_back(l);
  }
  m.final_norm_params = 2 * m.hidden_size;
}

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> types = {
      "llama",   "mistral",     "qwen2",      "qwen3",        "mixtral", "qwen2_moe", "qwen3_moe",
      "llama4",  "llama4_text", "deepseek_v2", "deepseek_v3", "kimi_k2", "glm4_moe",  "gpt_oss",
      "nemotron-nas", "deci",   "nemotron_h", "gptj",         "falcon",      "ernie4_5_moe", "glm4_moe_lite",
      "minimax_m2",   "gemma4",     "gemma4_text", "deepseek_v32", "qwen3_next", "qwen3_5", "qwen3_5_text",
      "qwen3_5_moe",  "qwen3_5_moe_text", "glm_moe_dsa"};
  return types;
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path.string(), "", "", "is a directory without a config.json");
  return read_input_file(path);  // parse_json_text caps the nesting
}

std::vector<std::string> string_list(const Obj& o, const std::string& key) {
  std::vector<std::string> out;
  const json* v = o.find(key);
  if (!v) return out;
  if (!v->is_array()) o.fail(key, v, "expected an array of strings, got " + type_name(*v));
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string())
      throw InputError(o.file(), o.ptr(key) + "/" + std::to_string(i), short_dump((*v)[i]), "expected a string");
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

// Python's json module (which writes HF configs) emits the non-standard literals Infinity, -Infinity and NaN
// (Nemotron-H: "time_step_limit": [0.0, Infinity]). Outside strings they become null, padded with spaces so
// that byte offsets in later parse errors still point into the original file (NaN -> null shifts by one).
std::string replace_python_literals(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      out += ch;
      if (ch == '\\' && i + 1 < text.size()) out += text[++i];
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') {
      in_string = true;
      out += ch;
      continue;
    }
    bool replaced = false;
    for (std::string_view lit : {"-Infinity", "Infinity", "NaN"}) {
      if (text.compare(i, lit.size(), lit) == 0) {
        out += "null";
        if (lit.size() > 4) out += std::string(lit.size() - 4, ' ');
        i += lit.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += ch;
  }
  return out;
}

}  // namespace

bool ModelSpec::is_moe() const {
  return std::any_of(layers.begin(), layers.end(), [](const LayerSpec& l) { return l.ffn.kind == FfnSpec::Kind::moe; });
}

ModelSpec load_model_config(const std::filesystem::path& path_in) {
  // A Hugging Face model directory stands for its config.json.
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::is_directory(path_in, ec) &&
                                             std::filesystem::exists(path_in / "config.json", ec)
                                         ? path_in / "config.json"
                                         : path_in;
  const std::string file = path.string();
  const std::string text = read_file(path);
  json root = parse_json_text(replace_python_literals(text), file);
  const std::string no_type = "?";
  if (!root.is_object()) throw InputError(file, "", short_dump(root), "expected a JSON object (a config.json)");

  ModelSpec m;
  m.config_path = file;
  m.id = path.stem().string();
  if (m.id == "config" && path.has_parent_path()) m.id = path.parent_path().filename().string();

  // Optional tokenmath metadata. `_meta.fill` supplies fields the published config lacks (each stated in the
  // file with its source); fields present in the config are never overridden.
  if (const auto it = root.find("_meta"); it != root.end() && !it->is_null()) {
    const Obj meta(root, "", file, no_type);
    const Obj mo = meta.child("_meta");
    m.id = mo.opt_str("id", mo.opt_str("model", m.id));
    m.display_name = mo.opt_str("display_name");
    m.hf_repo = mo.opt_str("hf_repo");
    m.source = mo.opt_str("source");
    m.aliases = string_list(mo, "aliases");
    if (const json* fill = mo.find("fill")) {
      if (!fill->is_object()) mo.fail("fill", fill, "expected an object");
      for (const auto& [k, v] : fill->items())
        if (!root.contains(k) || root[k].is_null()) root[k] = v;
    }
  }
  if (m.id.empty()) throw InputError(file, "/_meta/id", "", "must not be empty");
  if (m.display_name.empty()) {
    const auto slash = m.hf_repo.find('/');
    std::string repo = slash == std::string::npos ? "" : m.hf_repo.substr(slash + 1);
    if (auto sp = repo.find(' '); sp != std::string::npos) repo = repo.substr(0, sp);
    m.display_name = repo.empty() ? m.id : repo;
  }

  const Obj top(root, "", file, no_type);
  const json* mt = top.find("model_type");
  if (!mt) throw InputError(file, "/model_type", "", "missing; cannot tell the architecture (supported: llama, mistral, qwen3, mixtral, deepseek_v3, gpt_oss, ...)");
  if (!mt->is_string()) top.fail("model_type", mt, "expected a string, got " + type_name(*mt));
  m.model_type = mt->get<std::string>();
  const auto& types = supported_model_types();
  if (std::find(types.begin(), types.end(), m.model_type) == types.end()) {
    std::string list;
    for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
    throw InputError(file, "/model_type", m.model_type,
                     "unsupported architecture (supported: " + list + ")" + did_you_mean(m.model_type, types));
  }

  // Llama-4, Gemma 4 and Qwen3.5 checkpoints nest the language model in text_config.
  const bool llama4 = m.model_type == "llama4" || m.model_type == "llama4_text";
  const bool gemma4 = m.model_type == "gemma4" || m.model_type == "gemma4_text";
  const bool qwen3_5_wrapped = m.model_type == "qwen3_5" || m.model_type == "qwen3_5_moe";
  const Obj c = (m.model_type == "llama4" || m.model_type == "gemma4" || qwen3_5_wrapped)
                    ? Obj(root, "", file, m.model_type).child("text_config")
                    : Obj(root, "", file, m.model_type);
  const Obj rootc(root, "", file, m.model_type);
  const bool gptj = m.model_type == "gptj";
  m.hidden_size = c.req_int(gptj ? "n_embd" : "hidden_size");
  m.vocab_size = c.req_int("vocab_size");
  const int num_layers = static_cast<int>(c.req_int(gptj ? "n_layer" : "num_hidden_layers"));
  // Falcon ties lm_head to the input embedding by default; the others do not.
  const bool tie_default = m.model_type == "falcon";
  m.tie_word_embeddings = c.has("tie_word_embeddings") ? c.opt_bool("tie_word_embeddings", tie_default)
                                                       : rootc.opt_bool("tie_word_embeddings", tie_default);
  m.max_context = c.opt_int(gptj ? "n_positions" : "max_position_embeddings", m.model_type == "falcon" ? 2048 : 0);

  // Native precision: quantization_config.quant_method (fp8, mxfp4) else torch_dtype, else bf16.
  if (rootc.has("quantization_config")) {
    const Obj qo = rootc.child("quantization_config");
    const std::string method = qo.opt_str("quant_method");
    if (method == "fp8") m.native_weight_precision = Precision::fp8;
    else if (method == "mxfp4") m.native_weight_precision = Precision::mxfp4;
    m.block_scaled_fp8 = method == "fp8" && qo.has("weight_block_size");
  }

  const std::string& t = m.model_type;
  if (t == "llama" || t == "mistral" || t == "qwen2" || t == "qwen3" || t == "mixtral" || t == "qwen2_moe" ||
      t == "qwen3_moe") {
    build_llama_like(c, m, num_layers);
  } else if (t == "deepseek_v2" || t == "deepseek_v3" || t == "kimi_k2" || t == "glm4_moe_lite" || t == "deepseek_v32" ||
             t == "glm_moe_dsa") {
    build_deepseek(c, m, num_layers, t == "deepseek_v32" || t == "glm_moe_dsa");
  } else if (t == "glm4_moe") {
    build_glm4_moe(c, m, num_layers);
  } else if (t == "qwen3_next" || t.rfind("qwen3_5", 0) == 0) {
    build_qwen3_next(c, m, num_layers);
  } else if (t == "ernie4_5_moe") {
    build_ernie4_5_moe(c, m, num_layers);
  } else if (t == "minimax_m2") {
    build_minimax_m2(c, m, num_layers);
  } else if (gemma4) {
    build_gemma4(c, m, num_layers);
  } else if (llama4) {
    build_llama4(c, m, num_layers);
    if (t == "llama4" && rootc.has("vision_config"))
      m.vision_params = llama4_vision_params(rootc.child("vision_config"), m.hidden_size);
  } else if (t == "gpt_oss") {
    build_gpt_oss(c, m, num_layers);
  } else if (t == "nemotron-nas" || t == "deci") {
    build_nemotron_nas(c, m, num_layers);
  } else if (t == "nemotron_h") {
    build_nemotron_h(c, m, num_layers);
  } else if (t == "gptj") {
    build_gptj(c, m, num_layers);
  } else if (t == "falcon") {
    build_falcon(c, m, num_layers);
  }
  if (m.mtp_layers > 0)
    m.notes.push_back(std::to_string(m.mtp_layers) +
                      " multi-token-prediction layer(s) ship beside the main model and are excluded from the "
                      "parameter counts, weight bytes, FLOPs and KV figures");
  if (m.vision_params > 0)
    m.notes.push_back("total includes the vision encoder and projector; active parameters are per text token");
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// Derived quantities.

namespace {

// Parameters of one layer split by role and by storage class: `*_linear` are weight matrices (stored at the
// chosen precision), everything else (biases, norms, conv, SSM scalars, router) stays bf16.
struct LayerParams {
  double attn_linear = 0, attn_other = 0;
  double attn_replicated = 0;  // of attn_linear: MLA's q_a and kv_a, whole on every tensor-parallel rank
  double ffn_replicated = 0;   // of shared_linear: LatentMoE's latent projections, whole on every rank
  double mamba_linear = 0, mamba_other = 0;
  double dense_linear = 0, dense_other = 0;
  double expert_linear = 0, expert_other = 0;  // all routed experts
  double shared_linear = 0, shared_other = 0;
  double router = 0;
  double norms = 0;
  double active_expert_fraction = 0;  // top_k / experts
};

// Mamba2 dimensions: d_inner = heads x head_dim; conv runs over x, B and C: conv_dim = d_inner + 2 x groups x
// state.
struct MambaDims {
  double d_inner, conv_dim;
};
MambaDims mamba_dims(const AttentionSpec& a) {
  const double d_inner = static_cast<double>(a.mamba_num_heads) * a.mamba_head_dim;
  return {d_inner, d_inner + 2.0 * a.mamba_n_groups * a.ssm_state_size};
}

LayerParams layer_params(const LayerSpec& l, double h) {
  LayerParams p;
  const AttentionSpec& a = l.attn;
  switch (a.kind) {
    case AttentionSpec::Kind::standard: {
      // q: h x (heads*hd); k: h x (kv*hd); v: h x (kv*v_hd); o: (heads*v_hd) x h.
      const double q = static_cast<double>(a.num_heads) * a.head_dim;
      const double k = static_cast<double>(a.num_kv_heads) * a.head_dim;
      const double v = a.v_from_k ? 0.0 : static_cast<double>(a.num_kv_heads) * a.v_head_dim;
      const double o_in = static_cast<double>(a.num_heads) * a.v_head_dim;
      p.attn_linear = h * ((a.output_gate ? 2.0 : 1.0) * q + k + v) + o_in * h;
      if (a.qkv_bias) p.attn_other += q + k + v;
      if (a.o_bias) p.attn_other += h;
      if (a.qk_norm && !a.qk_norm_weightless)
        p.attn_other += a.qk_norm_full_width ? static_cast<double>(a.num_heads + a.num_kv_heads) * a.head_dim
                                             : 2.0 * a.head_dim;
      if (a.sinks) p.attn_other += a.num_heads;
      break;
    }
    case AttentionSpec::Kind::mla: {
      // q: either h x heads*(nope+rope), or q_a (h x q_lora) + q_a norm + q_b (q_lora x heads*(nope+rope));
      // kv_a: h x (kv_lora + rope) + kv_a norm (kv_lora); kv_b: kv_lora x heads*(nope + v); o: heads*v x h.
      const double heads = a.num_heads;
      const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
      if (a.q_lora_rank > 0) {
        p.attn_linear += h * a.q_lora_rank + static_cast<double>(a.q_lora_rank) * heads * qk;
        p.attn_replicated += h * a.q_lora_rank;
        p.attn_other += a.q_lora_rank;
      } else {
        p.attn_linear += h * heads * qk;
      }
      p.attn_linear += h * (a.kv_lora_rank + a.qk_rope_head_dim);
      p.attn_replicated += h * (a.kv_lora_rank + a.qk_rope_head_dim);
      p.attn_other += a.kv_lora_rank;
      p.attn_linear += static_cast<double>(a.kv_lora_rank) * heads * (a.qk_nope_head_dim + a.v_head_dim);
      p.attn_linear += heads * a.v_head_dim * h;
      if (a.o_bias) p.attn_other += h;
      if (a.sparse_topk > 0) {
        // Lightning indexer (DeepSeek-V3.2-Exp inference/model.py, class Indexer): wq_b (q_lora x ih*ihd, or h x
        // ih*ihd without a q_a), wk (h x ihd), weights_proj (h x ih), k_norm LayerNorm (2 x ihd). Engines keep
        // them whole on every tensor-parallel rank (vLLM's and SGLang's indexers use replicated linears: the top-k
        // needs every indexer head's score).
        const double ih = a.indexer_heads, ihd = a.indexer_head_dim;
        const double idx = (a.q_lora_rank > 0 ? static_cast<double>(a.q_lora_rank) : h) * ih * ihd + h * ihd + h * ih;
        p.attn_linear += idx;
        p.attn_replicated += idx;
        p.attn_other += 2.0 * ihd;
      }
      break;
    }
    case AttentionSpec::Kind::mamba2: {
      // in_proj: h x (2*d_inner + 2*groups*state + heads) producing z, x, B, C, dt; conv1d: conv_dim x kernel
      // (+ conv_dim bias); dt_bias, A_log, D: heads each; gated RMSNorm: d_inner; out_proj: d_inner x h.
      const auto [d_inner, conv_dim] = mamba_dims(a);
      const double heads = a.mamba_num_heads;
      const double in_out = 2.0 * d_inner + 2.0 * a.mamba_n_groups * a.ssm_state_size + heads;
      p.mamba_linear = h * in_out + d_inner * h;
      p.mamba_other = conv_dim * a.conv_kernel + (a.conv_bias ? conv_dim : 0.0) + 3.0 * heads + d_inner;
      break;
    }
    case AttentionSpec::Kind::gated_deltanet: {
      // in_proj_qkvz: h x (2 kh kd + 2 vh vd); in_proj_ba: h x 2 vh; out_proj: vh vd x h. Conv: conv_dim x kernel
      // (no bias); dt_bias and A_log: vh each; gated RMSNorm: vd (shared by the heads).
      const auto [d_inner, conv_dim] = mamba_dims(a);
      const double heads = a.mamba_num_heads;
      const double qk = 2.0 * a.mamba_n_groups * a.ssm_state_size;
      p.mamba_linear = h * (qk + 2.0 * d_inner + 2.0 * heads) + d_inner * h;
      p.mamba_other = conv_dim * a.conv_kernel + (a.conv_bias ? conv_dim : 0.0) + 2.0 * heads + a.mamba_head_dim;
      break;
    }
    case AttentionSpec::Kind::none:
      if (a.replaced_by_linear) p.attn_linear = h * h;
      break;
  }
  const FfnSpec& f = l.ffn;
  // One MLP of width i: gated = gate, up (h x i) and down (i x h); plain = up and down. Biases: i per
  // up/gate projection, h for down.
  auto mlp = [&](double i, bool gated, bool bias, double& lin, double& other) {
    lin += (gated ? 3.0 : 2.0) * h * i;
    if (bias) other += (gated ? 2.0 : 1.0) * i + h;
  };
  switch (f.kind) {
    case FfnSpec::Kind::dense:
      mlp(static_cast<double>(f.intermediate_size), f.gated, f.bias, p.dense_linear, p.dense_other);
      break;
    case FfnSpec::Kind::moe: {
      // Routed experts at the hidden width, or at latent_size between the two latent projections (h x latent each).
      double lin = 0, other = 0;
      const double width = f.latent_size > 0 ? static_cast<double>(f.latent_size) : h;
      mlp(static_cast<double>(f.expert_intermediate_size), f.gated, f.bias, lin, other);
      p.expert_linear = lin * width / h * f.num_experts;
      p.expert_other = (f.bias ? other - h + width : other) * f.num_experts;
      if (f.latent_size > 0) {
        p.shared_linear += 2.0 * h * width;
        p.ffn_replicated += 2.0 * h * width;
      }
      for (int s = 0; s < f.num_shared_experts; ++s)
        mlp(static_cast<double>(f.shared_intermediate_size), f.gated, f.bias, p.shared_linear, p.shared_other);
      if (f.shared_expert_gate) p.shared_other += h;
      // Router: h x experts (+ per-expert bias).
      p.router = h * f.num_experts + (f.router_bias ? f.num_experts : 0.0);
      p.active_expert_fraction = static_cast<double>(f.experts_per_token) / f.num_experts;
      break;
    }
    case FfnSpec::Kind::none:
      if (f.replaced_by_linear) p.dense_linear = h * h;
      break;
  }
  p.norms = static_cast<double>(l.norm_params);
  return p;
}

double embedding_params(const ModelSpec& m) {
  const double e = static_cast<double>(m.vocab_size) * static_cast<double>(m.hidden_size);
  return m.tie_word_embeddings ? e : 2.0 * e + (m.lm_head_bias ? static_cast<double>(m.vocab_size) : 0.0);
}

}  // namespace

ParamCounts count_params(const ModelSpec& m) {
  ParamCounts c;
  const double h = static_cast<double>(m.hidden_size);
  c.embedding = embedding_params(m);
  double inactive = 0;
  for (const auto& l : m.layers) {
    const LayerParams p = layer_params(l, h);
    c.attention += p.attn_linear + p.attn_other;
    c.mamba += p.mamba_linear + p.mamba_other;
    c.dense_ffn += p.dense_linear + p.dense_other;
    c.routed_experts += p.expert_linear + p.expert_other;
    c.shared_experts += p.shared_linear + p.shared_other;
    c.router += p.router;
    c.norms += p.norms;
    inactive += (p.expert_linear + p.expert_other) * (1.0 - p.active_expert_fraction);
  }
  c.norms += static_cast<double>(m.final_norm_params);
  c.vision = static_cast<double>(m.vision_params);
  c.total = c.embedding + c.attention + c.mamba + c.dense_ffn + c.routed_experts + c.shared_experts + c.router +
            c.norms + c.vision;
  c.active = c.total - inactive - c.vision;
  // MTP module (DeepSeek-V3, GLM-4.5), per module: one more decoder block shaped like the last layer, enorm and
  // hnorm (h each), eh_proj (2h x h) and the shared head's norm (h); embedding and lm_head are shared.
  if (m.mtp_layers > 0 && !m.layers.empty()) {
    const LayerParams last = layer_params(m.layers.back(), h);
    const double block = last.attn_linear + last.attn_other + last.mamba_linear + last.mamba_other +
                         last.dense_linear + last.dense_other + last.expert_linear + last.expert_other +
                         last.shared_linear + last.shared_other + last.router + last.norms;
    c.mtp = m.mtp_layers * (block + 2.0 * h * h + 3.0 * h);
  }
  c.active_excl_embedding =
      c.active - (m.tie_word_embeddings ? 0.0 : static_cast<double>(m.vocab_size) * static_cast<double>(m.hidden_size));
  return c;
}

LayerWeightParams count_layer_weight_params(const ModelSpec& m) {
  LayerWeightParams w;
  const double h = static_cast<double>(m.hidden_size);
  for (const auto& l : m.layers) {
    const LayerParams p = layer_params(l, h);
    w.attn_linear += p.attn_linear;
    w.attn_replicated += p.attn_replicated;
    w.ffn_replicated += p.ffn_replicated;
    w.mamba_linear += p.mamba_linear;
    w.dense_linear += p.dense_linear;
    w.expert_linear += p.expert_linear;
    w.shared_linear += p.shared_linear;
    w.router += p.router;
    w.other += p.attn_other + p.mamba_other + p.dense_other + p.expert_other + p.shared_other + p.norms;
  }
  return w;
}

namespace {
// Bytes of the weights with linear layers of routed experts at `expert_p` and all other linear layers at
// `other_p`; embeddings, lm_head, biases, norms, routers, conv and SSM parameters and the vision tower at bf16.
double weight_bytes_split(const ModelSpec& m, Precision expert_p, Precision other_p) {
  const double h = static_cast<double>(m.hidden_size);
  double expert_linear = 0, other_linear = 0, rest = embedding_params(m) + m.final_norm_params + m.vision_params;
  for (const auto& l : m.layers) {
    const LayerParams p = layer_params(l, h);
    expert_linear += p.expert_linear;
    other_linear += p.attn_linear + p.mamba_linear + p.dense_linear + p.shared_linear;
    rest += p.attn_other + p.mamba_other + p.dense_other + p.expert_other + p.shared_other + p.router + p.norms;
  }
  return expert_linear * bytes_per_element(expert_p) + other_linear * bytes_per_element(other_p) +
         rest * bytes_per_element(Precision::bf16);
}
}  // namespace

double weight_bytes(const ModelSpec& m, Precision p) { return weight_bytes_split(m, p, p); }

double weight_bytes_native(const ModelSpec& m) {
  const Precision p = m.native_weight_precision;
  return weight_bytes_split(m, p, m.native_precision_experts_only ? Precision::bf16 : p);
}

// Linear: 2 FLOPs per weight of every matrix a token passes through (attention projections, dense FFN, shared
// experts, top_k / experts of the routed experts, lm_head; the embedding lookup is free). MLA is counted in the
// weight-absorbed form engines use for decode: W_UK is folded into the query and W_UV into the output, which
// costs the same 2 x kv_b weights per token as the unabsorbed projection, and attention then runs over the
// cached latent: scores 2 x heads x (kv_lora + rope) x L, values 2 x heads x kv_lora x L.
// Standard attention: scores 2 x heads x head_dim x L, values 2 x heads x v_head_dim x L, with
// L = min(context, window). Mamba2 per token: conv 2 x conv_dim x kernel, state update (decay and B x outer
// product) 2 x heads x head_dim x state, readout C . h 2 x heads x head_dim x state, gate/skip 2 x d_inner.
// Router: 2 x hidden x experts per MoE layer.
FlopsPerToken flops_per_token(const ModelSpec& m, double context_len) {
  FlopsPerToken f;
  const double h = static_cast<double>(m.hidden_size);
  const double ctx = std::max(0.0, context_len);
  f.linear = 2.0 * static_cast<double>(m.vocab_size) * h;  // lm_head
  for (const auto& l : m.layers) {
    const LayerParams p = layer_params(l, h);
    f.linear += 2.0 * (p.attn_linear + p.mamba_linear + p.dense_linear + p.shared_linear +
                       p.expert_linear * p.active_expert_fraction);
    f.router += 2.0 * p.router - (l.ffn.router_bias ? 2.0 * l.ffn.num_experts : 0.0);
    const AttentionSpec& a = l.attn;
    const double span = a.sliding_window > 0 ? std::min(ctx, static_cast<double>(a.sliding_window)) : ctx;
    switch (a.kind) {
      case AttentionSpec::Kind::standard:
        f.attention += 2.0 * a.num_heads * (a.head_dim + a.v_head_dim) * span;
        break;
      case AttentionSpec::Kind::mla: {
        // DSA: the latent attention covers at most index_topk tokens; the indexer scores every one,
        // 2 x index heads x index head dim FLOPs each (FP8).
        const double attended = a.sparse_topk > 0 ? std::min(span, static_cast<double>(a.sparse_topk)) : span;
        f.attention += 2.0 * a.num_heads * (2.0 * a.kv_lora_rank + a.qk_rope_head_dim) * attended +
                       2.0 * a.indexer_heads * a.indexer_head_dim * span;
        break;
      }
      case AttentionSpec::Kind::mamba2: {
        const auto [d_inner, conv_dim] = mamba_dims(a);
        const double state = static_cast<double>(a.mamba_num_heads) * a.mamba_head_dim * a.ssm_state_size;
        f.attention += 2.0 * conv_dim * a.conv_kernel + 4.0 * state + 2.0 * d_inner;
        break;
      }
      case AttentionSpec::Kind::gated_deltanet: {
        // Delta rule per value head on its kd x vd state S: decay, S k (2 kd vd), the rank-1 update (2 kd vd) and
        // the readout q S (2 kd vd); conv 2 x conv_dim x kernel; gated norm 2 x d_inner.
        const auto [d_inner, conv_dim] = mamba_dims(a);
        const double state = static_cast<double>(a.mamba_num_heads) * a.mamba_head_dim * a.ssm_state_size;
        f.attention += 2.0 * conv_dim * a.conv_kernel + 7.0 * state + 2.0 * d_inner;
        break;
      }
      case AttentionSpec::Kind::none: break;
    }
  }
  return f;
}

namespace {
// Elements cached per token by one layer: standard = kv_heads x (head_dim + v_head_dim) (K and V);
// MLA = kv_lora_rank + qk_rope_head_dim (the compressed latent plus the decoupled RoPE key).
double kv_elements_per_token(const AttentionSpec& a) {
  switch (a.kind) {
    case AttentionSpec::Kind::standard: return static_cast<double>(a.num_kv_heads) * (a.head_dim + a.v_head_dim);
    case AttentionSpec::Kind::mla: return static_cast<double>(a.kv_lora_rank) + a.qk_rope_head_dim;
    default: return 0;
  }
}
}  // namespace

double indexer_cache_bytes_per_token(const AttentionSpec& a) {
  if (a.sparse_topk <= 0 || a.indexer_head_dim <= 0) return 0;
  return a.indexer_head_dim + 4.0 * std::ceil(a.indexer_head_dim / 128.0);
}

// KV in the cache's dtype plus the DSA indexer's FP8 keys (their own format whatever the KV dtype).
double kv_bytes_for_sequence(const ModelSpec& m, Precision kv_dtype, double context_len) {
  const double ctx = std::max(0.0, context_len);
  double elements = 0, fixed = 0;
  for (const auto& l : m.layers) {
    const double span = l.attn.sliding_window > 0 ? std::min(ctx, static_cast<double>(l.attn.sliding_window)) : ctx;
    elements += kv_elements_per_token(l.attn) * span;
    fixed += indexer_cache_bytes_per_token(l.attn) * span;
  }
  return elements * bytes_per_element(kv_dtype) + fixed;
}

double kv_bytes_per_token(const ModelSpec& m, Precision kv_dtype, double context_len) {
  if (context_len > 0) return kv_bytes_for_sequence(m, kv_dtype, context_len) / context_len;
  double elements = 0, fixed = 0;
  for (const auto& l : m.layers)
    if (l.attn.sliding_window <= 0) {
      elements += kv_elements_per_token(l.attn);
      fixed += indexer_cache_bytes_per_token(l.attn);
    }
  return elements * bytes_per_element(kv_dtype) + fixed;
}

// Mamba2 and Gated DeltaNet per layer: conv state (kernel - 1) x conv_dim (the last kernel-1 inputs, as vLLM and
// SGLang store it) plus the SSM state heads x head_dim x state_size, at least 4 bytes an element where the model keeps
// it in fp32 (ssm_state_fp32).
double state_bytes_per_sequence(const ModelSpec& m, Precision state_dtype) {
  const double b = bytes_per_element(state_dtype);
  double bytes = 0;
  for (const auto& l : m.layers) {
    if (!l.attn.is_recurrent()) continue;
    const auto [d_inner, conv_dim] = mamba_dims(l.attn);
    bytes += (l.attn.conv_kernel - 1) * conv_dim * b +
             static_cast<double>(l.attn.mamba_num_heads) * l.attn.mamba_head_dim * l.attn.ssm_state_size *
                 (l.attn.ssm_state_fp32 ? std::max(b, 4.0) : b);
  }
  return bytes;
}

}  // namespace tokenmath::catalog
