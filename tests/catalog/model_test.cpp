// Derived quantities on hand-checkable configs and exact KV figures of shipped models.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "run_cli.hpp"

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"

using namespace tokenmath::catalog;

namespace {
std::string test_data(const std::string& name) { return std::string(TOKENMATH_TEST_DATA) + "/catalog/" + name; }
const ModelSpec& shipped(const std::string& id) {
  const ModelSpec* m = ::tokenmath::test::shipped().catalog.resolve_model(id);
  if (!m) throw std::runtime_error("missing " + id);
  return *m;
}
}  // namespace

// tiny-llama: hidden 8, 2 heads, 1 KV head (head_dim implicit 8/2 = 4), FFN 16, 2 layers, vocab 10, untied.
TEST(Model, TinyLlamaByHand) {
  const ModelSpec m = load_model_config(test_data("tiny-llama.json"));
  EXPECT_EQ(m.id, "tiny-llama");
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].attn.head_dim, 4);
  const ParamCounts p = count_params(m);
  EXPECT_DOUBLE_EQ(p.attention, 2 * (64 + 32 + 32 + 64));  // q 8x8, k 8x4, v 8x4, o 8x8
  EXPECT_DOUBLE_EQ(p.dense_ffn, 2 * (3 * 8 * 16));
  EXPECT_DOUBLE_EQ(p.norms, 2 * 16 + 8);
  EXPECT_DOUBLE_EQ(p.embedding, 2 * 80);
  EXPECT_DOUBLE_EQ(p.total, 1352);
  EXPECT_DOUBLE_EQ(p.active, 1352);
  // KV: 2 layers x (K + V) x 1 head x 4 dims x 2 bytes.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16), 32);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::fp8), 16);
  EXPECT_DOUBLE_EQ(kv_bytes_for_sequence(m, Precision::bf16, 100), 3200);
  // FLOPs: 2 x (192 + 384) x 2 layers + lm_head 2 x 80; attention 2 x 2 heads x (4 + 4) x 100 x 2 layers.
  const FlopsPerToken f = flops_per_token(m, 100);
  EXPECT_DOUBLE_EQ(f.linear, 2464);
  EXPECT_DOUBLE_EQ(f.attention, 6400);
  EXPECT_DOUBLE_EQ(f.router, 0);
  // Weights: 1152 matrix weights at the precision, 200 others (embeddings, lm_head, norms) at bf16.
  EXPECT_DOUBLE_EQ(weight_bytes(m, Precision::bf16), 1352 * 2);
  EXPECT_DOUBLE_EQ(weight_bytes(m, Precision::fp8), 1152 * 1 + 200 * 2);
  EXPECT_DOUBLE_EQ(weight_bytes(m, Precision::nvfp4), 1152 * 0.5625 + 200 * 2);
  EXPECT_DOUBLE_EQ(state_bytes_per_sequence(m, Precision::bf16), 0);
}

// tiny-hybrid (pattern M*M-): Mamba2 d_inner 4x8 = 32, conv_dim 32 + 2x2x16 = 96; see hybrid-mamba.json.
TEST(Model, HybridMambaByHand) {
  const ModelSpec m = load_model_config(test_data("hybrid-mamba.json"));  // also has a Python `Infinity` literal
  const ParamCounts p = count_params(m);
  // in_proj 16 x (2x32 + 2x2x16 + 4) + out_proj 32x16 + conv 96x4 + 96 + dt/A/D 3x4 + norm 32 = 3148 per layer.
  EXPECT_DOUBLE_EQ(p.mamba, 2 * 3148);
  EXPECT_DOUBLE_EQ(p.attention, 256 + 128 + 128 + 256);
  EXPECT_DOUBLE_EQ(p.dense_ffn, 2 * 16 * 32);  // squared-ReLU MLP: up and down only
  EXPECT_DOUBLE_EQ(p.total, 8488);
  // State: per Mamba layer (kernel-1) x conv_dim + heads x head_dim x state = 288 + 512 elements.
  EXPECT_DOUBLE_EQ(state_bytes_per_sequence(m, Precision::bf16), 2 * 800 * 2);
  EXPECT_DOUBLE_EQ(state_bytes_per_sequence(m, Precision::fp32), 2 * 800 * 4);
  // Only the one attention layer caches KV: 2 x 2 heads x 4 dims x 2 bytes.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16), 32);
}

// Exact KV bytes per token (bf16): GQA = layers x 2 x kv_heads x head_dim x 2 B; MLA = layers x (512 + 64) x 2 B.
TEST(Model, KvBytesExact) {
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(shipped("llama-3.1-70b"), Precision::bf16), 327680);  // 80 x 2 x 8 x 128 x 2
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(shipped("llama-3.1-8b"), Precision::bf16), 131072);   // 32 x 2 x 8 x 128 x 2
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(shipped("deepseek-v3"), Precision::bf16), 70272);     // 61 x 576 x 2
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(shipped("deepseek-v3"), Precision::fp8), 35136);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(shipped("llama-2-7b"), Precision::bf16), 524288);     // MHA: 32 x 2 x 32 x 128 x 2
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(shipped("qwen3-235b-a22b"), Precision::bf16), 192512);  // 94 x 2 x 4 x 128 x 2
}

// gpt-oss-120b: 18 full-attention and 18 sliding (128-token) layers of 2 x 8 x 64 x 2 B = 2048 B per token.
TEST(Model, SlidingWindowKvIsBounded) {
  const ModelSpec& m = shipped("gpt-oss-120b");
  int window_layers = 0;
  for (const auto& l : m.layers) window_layers += l.attn.sliding_window == 128;
  EXPECT_EQ(window_layers, 18);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16), 18 * 2048);        // asymptotic: full layers only
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16, 100), 36 * 2048);   // shorter than the window
  EXPECT_DOUBLE_EQ(kv_bytes_for_sequence(m, Precision::bf16, 1000), 18 * 2048 * 1000.0 + 18 * 2048 * 128.0);
  // Attention FLOPs grow with context only in the full layers once past the window.
  const double a1 = flops_per_token(m, 10000).attention, a2 = flops_per_token(m, 20000).attention;
  EXPECT_DOUBLE_EQ(a2 - a1, 18 * 2.0 * 64 * (64 + 64) * 10000);
}

// MLA attention FLOPs in the absorbed form: 2 x heads x (2 x kv_lora + rope) x context per layer.
TEST(Model, MlaAttentionFlopsAbsorbed) {
  const ModelSpec& m = shipped("deepseek-v3");
  EXPECT_DOUBLE_EQ(flops_per_token(m, 4096).attention, 61 * 2.0 * 128 * (2 * 512 + 64) * 4096);
  // Linear FLOPs are 2 x active weights (without the embedding lookup) plus nothing else.
  const ParamCounts p = count_params(m);
  const FlopsPerToken f = flops_per_token(m, 1);
  EXPECT_NEAR(f.linear + f.router, 2 * p.active_excl_embedding, 2 * p.active_excl_embedding * 1e-4);
  EXPECT_GT(f.router, 0);
}

// MLA's low-rank q_a (hidden x q_lora_rank) and kv_a (hidden x (kv_lora_rank + rope)) are the projections engines
// keep whole on every tensor-parallel rank: DeepSeek-V3 has 61 x 7168 x (1536 + 512 + 64) of them; GQA models none.
TEST(Model, MlaLowRankProjectionsAreReplicated) {
  EXPECT_DOUBLE_EQ(count_layer_weight_params(shipped("deepseek-v3")).attn_replicated, 61.0 * 7168 * (1536 + 512 + 64));
  EXPECT_DOUBLE_EQ(count_layer_weight_params(shipped("llama-3.1-8b")).attn_replicated, 0);
}

TEST(Model, WeightBytesFollowPrecision) {
  const ModelSpec& m = shipped("llama-3.1-70b");
  const double bf16 = weight_bytes(m, Precision::bf16), fp8 = weight_bytes(m, Precision::fp8),
               nvfp4 = weight_bytes(m, Precision::nvfp4), mxfp4 = weight_bytes(m, Precision::mxfp4);
  EXPECT_DOUBLE_EQ(bf16, 2 * count_params(m).total);
  EXPECT_LT(fp8, bf16);
  EXPECT_LT(mxfp4, nvfp4);  // 1/32 vs 1/16 scale overhead
  EXPECT_LT(nvfp4, fp8);
  // Native: DeepSeek-V3 ships fp8 everywhere; gpt-oss ships MXFP4 experts and bf16 elsewhere.
  EXPECT_DOUBLE_EQ(weight_bytes_native(shipped("deepseek-v3")), weight_bytes(shipped("deepseek-v3"), Precision::fp8));
  const ModelSpec& oss = shipped("gpt-oss-120b");
  EXPECT_LT(weight_bytes_native(oss), weight_bytes(oss, Precision::bf16));
  EXPECT_GT(weight_bytes_native(oss), weight_bytes(oss, Precision::mxfp4));
  // OpenAI: gpt-oss-120b "fits on a single 80 GB GPU" in MXFP4.
  EXPECT_LT(weight_bytes_native(oss), 80e9 * 0.85);
}

// Nemotron Super: layers without attention or without FFN, FFN width from ffn_mult (5.25 -> 28672).
TEST(Model, NemotronNasBlockConfigs) {
  const ModelSpec& m = shipped("llama-3.3-nemotron-super-49b-v1");
  int no_attn = 0;
  bool saw_28672 = false;
  for (const auto& l : m.layers) {
    no_attn += l.attn.kind == AttentionSpec::Kind::none;
    saw_28672 |= l.ffn.intermediate_size == 28672;
  }
  EXPECT_EQ(no_attn, 31);
  EXPECT_TRUE(saw_28672);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16), 49 * 2 * 8 * 128 * 2.0);
}

TEST(Model, NemotronHState) {
  const ModelSpec& m = shipped("nemotron-h-56b-base-8k");
  int mamba = 0, attn = 0;
  for (const auto& l : m.layers) {
    mamba += l.attn.kind == AttentionSpec::Kind::mamba2;
    attn += l.attn.kind == AttentionSpec::Kind::standard;
  }
  EXPECT_EQ(mamba, 54);
  EXPECT_EQ(attn, 10);
  // conv_dim = 16384 + 2 x 8 x 256 = 20480; per layer 3 x 20480 + 256 x 64 x 256 elements.
  EXPECT_DOUBLE_EQ(state_bytes_per_sequence(m, Precision::bf16), 54 * (3 * 20480.0 + 256 * 64 * 256) * 2);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16), 10 * 2 * 8 * 128 * 2.0);
}

// Qwen3-Next / Qwen3.5 hybrid layout by hand, on a toy config: layers 0-2 Gated DeltaNet, layer 3 gated attention
// (full_attention_interval 4). DeltaNet: 2 key heads x 16, 4 value heads x 16, conv 4, hidden 64:
//   in_proj_qkvz 64 x (2*2*16 + 2*4*16) = 64 x 192, in_proj_ba 64 x 8, out_proj 64 x 64;
//   conv (2*2*16 + 4*16 = 128 channels) x 4 taps, no bias; dt_bias + A_log 2 x 4; gated norm 16.
// Gated attention: 4 heads x 16 with the output gate (q_proj 64 x 128), 2 KV heads (k, v 64 x 32 each), o 64 x 64,
// q/k norms 2 x 16. FFN: 8 experts top-2 of width 32 + a gated shared expert of 32 (gate 64 x 1), router 64 x 8.
// State per sequence and DeltaNet layer: 4 x 16 x 16 fp32 (mamba_ssm_dtype) + 3 x 128 conv, bf16.
TEST(Model, GatedDeltaNetHybridByHand) {
  const auto path = tokenmath::testing::write_temp(R"({"model_type": "qwen3_5_moe", "text_config": {
    "model_type": "qwen3_5_moe_text", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 100,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "attn_output_gate": true,
    "full_attention_interval": 4, "linear_num_key_heads": 2, "linear_key_head_dim": 16, "linear_num_value_heads": 4,
    "linear_value_head_dim": 16, "linear_conv_kernel_dim": 4, "mamba_ssm_dtype": "float32", "num_experts": 8,
    "num_experts_per_tok": 2, "moe_intermediate_size": 32, "shared_expert_intermediate_size": 32,
    "mtp_num_hidden_layers": 1, "tie_word_embeddings": false}})");
  const ModelSpec m = load_model_config(path);
  std::remove(path.c_str());
  ASSERT_EQ(m.layers.size(), 4u);
  EXPECT_EQ(m.layers[0].attn.kind, AttentionSpec::Kind::gated_deltanet);
  EXPECT_EQ(m.layers[3].attn.kind, AttentionSpec::Kind::standard);
  EXPECT_TRUE(m.layers[3].attn.output_gate);
  EXPECT_EQ(m.mtp_layers, 1);
  const double deltanet = 64.0 * 192 + 64.0 * 8 + 64.0 * 64 + 128.0 * 4 + 2 * 4 + 16;
  const double attention = 64.0 * 128 + 2 * 64.0 * 32 + 64.0 * 64 + 2 * 16;
  const double ffn = 8 * 3 * 64.0 * 32 + 3 * 64.0 * 32 + 64 + 64.0 * 8;
  const double norms = 4 * 2 * 64.0 + 64;
  EXPECT_DOUBLE_EQ(count_params(m).total, 3 * deltanet + attention + 4 * ffn + norms + 2 * 100.0 * 64);
  EXPECT_DOUBLE_EQ(state_bytes_per_sequence(m, Precision::bf16), 3 * (4 * 16 * 16 * 4.0 + 3 * 128 * 2.0));
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(m, Precision::bf16), 1 * 2 * 2 * 16 * 2.0);  // only the attention layer caches
}

// Architectures with no shipped config, checked against their publishers' totals.
TEST(Model, OtherArchitecturesFromConfig) {
  // tiiuae/falcon-7b (module print: query_key_value 4544 -> 4672, i.e. multi-query with one KV head; lm_head tied).
  // HF parameter count: 6.92B.
  const auto falcon = tokenmath::testing::write_temp(R"({"model_type": "falcon", "hidden_size": 4544,
    "num_attention_heads": 71, "num_hidden_layers": 32, "vocab_size": 65024, "multi_query": true,
    "parallel_attn": true, "bias": false, "new_decoder_architecture": false})");
  const ModelSpec f = load_model_config(falcon);
  EXPECT_EQ(f.layers[0].attn.num_kv_heads, 1);
  EXPECT_EQ(f.layers[0].attn.head_dim, 64);
  EXPECT_NEAR(count_params(f).total, 6.92e9, 0.005e9);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(f, Precision::bf16), 32 * 2 * 64 * 2.0);
  std::remove(falcon.c_str());
  // Qwen/Qwen2.5-7B-Instruct (q/k/v biases, untied): model card "7.61B".
  const auto qwen = tokenmath::testing::write_temp(R"({"model_type": "qwen2", "hidden_size": 3584,
    "intermediate_size": 18944, "num_attention_heads": 28, "num_key_value_heads": 4, "num_hidden_layers": 28,
    "vocab_size": 152064, "tie_word_embeddings": false, "max_position_embeddings": 32768})");
  const ModelSpec q = load_model_config(qwen);
  EXPECT_TRUE(q.layers[0].attn.qkv_bias);
  EXPECT_FALSE(q.layers[0].attn.o_bias);
  EXPECT_NEAR(count_params(q).total, 7.61e9, 0.01e9);
  std::remove(qwen.c_str());
}

// A Hugging Face model directory loads its config.json and takes its id from the directory name.
TEST(Model, DirectoryWithConfigJson) {
  const auto dir = std::filesystem::temp_directory_path() / "tm_catalog_test_dir" / "Some-Model-7B";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(test_data("tiny-llama.json"), dir / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(load_model_config(dir).layers.size(), 2u);
  std::filesystem::remove_all(dir.parent_path());
}

// Exact counts printed by PyTorch for real module layouts (see each config's _meta.source):
// a 3-layer DeepSeek-R1 (MLA, q/kv LoRA with their norms, dense SwiGLU): 226,753,536 per layer, 698,789,888 total.
TEST(Model, MlaExactAgainstTorchinfo) {
  const ModelSpec m = load_model_config(test_data("deepseek-r1-3layer-toy.json"));
  const ParamCounts p = count_params(m);
  EXPECT_DOUBLE_EQ((p.total - p.embedding - m.final_norm_params) / 3, 226753536);
  EXPECT_DOUBLE_EQ(p.total, 698789888);
}

// llama.cpp's server reports n_params 8,030,261,248 for Llama-3-8B-Instruct (tools/server README example);
// the vision tower of Llama-4-Scout sums to 871,932,416 from the module sizes printed beside its config
// (class/positional/patch embeddings, 34 layers of 23,807,872, pixel-shuffle MLP 39,845,888, projector 20,971,520).
TEST(Model, ExactPublishedCounts) {
  EXPECT_DOUBLE_EQ(count_params(shipped("llama-3-8b")).total, 8030261248);
  EXPECT_DOUBLE_EQ(count_params(shipped("llama-3.1-8b")).total, 8030261248);
  EXPECT_DOUBLE_EQ(count_params(shipped("llama-4-scout-17b-16e")).vision, 871932416);
}

// The architectures added for the 2026-12 validation pages reject what they cannot model with the field and value,
// rather than reading a neighbouring layout: Gemma 4's per-layer embeddings and a layer_types list of the wrong
// length or with an unknown kind, Nemotron 3 Super's latent MoE.
TEST(Model, NewArchitecturesRejectWhatTheyDoNotModel) {
  const std::string gemma_text = R"("hidden_size": 2816, "intermediate_size": 2112, "num_attention_heads": 16,
    "num_key_value_heads": 8, "head_dim": 256, "global_head_dim": 512, "num_global_key_value_heads": 2,
    "attention_k_eq_v": true, "num_hidden_layers": 2, "vocab_size": 1000, "sliding_window": 1024)";
  const auto expect_error = [](const std::string& json, const std::string& field, const std::string& problem) {
    const auto path = tokenmath::testing::write_temp(json);
    try {
      load_model_config(path);
      ADD_FAILURE() << "no error for " << field;
    } catch (const tokenmath::InputError& e) {
      EXPECT_EQ(e.field(), field);
      EXPECT_NE(std::string(e.problem()).find(problem), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
  };
  expect_error(R"({"model_type": "gemma4", "text_config": {)" + gemma_text +
                   R"(, "layer_types": ["sliding_attention"]}})",
               "/text_config/layer_types", "has 1 entries for 2 layers");
  expect_error(R"({"model_type": "gemma4", "text_config": {)" + gemma_text +
                   R"(, "layer_types": ["sliding_attention", "global"]}})",
               "/text_config/layer_types/1", "expected sliding_attention or full_attention");
  expect_error(R"({"model_type": "gemma4_text", )" + gemma_text +
                   R"(, "hidden_size_per_layer_input": 256, "layer_types": ["sliding_attention", "full_attention"]})",
               "/hidden_size_per_layer_input", "not modelled");
  // DeepSeek-V3.2 without its indexer's shape is not a sparse-attention model the reader can guess.
  expect_error(R"({"model_type": "deepseek_v32", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 100,
    "num_attention_heads": 4, "q_lora_rank": 16, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 8,
    "v_head_dim": 8, "intermediate_size": 128, "index_n_heads": 4, "index_head_dim": 16})",
               "/index_topk", "missing required field for model_type 'deepseek_v32'");
}
