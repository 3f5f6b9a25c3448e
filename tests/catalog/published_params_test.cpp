// Parameter counts of the shipped models against the figures their publishers print. Each check names where the
// official figure comes from and why its tolerance is what it is (usually: the rounding of the printed figure).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"

using tokenmath::catalog::Catalog;
using tokenmath::catalog::count_params;
using tokenmath::catalog::ParamCounts;

namespace {

ParamCounts params(const std::string& id) {
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model(id);
  EXPECT_NE(m, nullptr) << id;
  return m ? count_params(*m) : ParamCounts{};
}

// |actual - official| <= rel_tol * official, with the error printed on failure.
void expect_near_rel(double actual, double official, double rel_tol, const std::string& what) {
  const double err = (actual - official) / official;
  EXPECT_LE(std::abs(err), rel_tol) << what << ": computed " << actual / 1e9 << "B vs official " << official / 1e9
                                    << "B (error " << err * 100 << "%, tolerance " << rel_tol * 100 << "%)";
}

constexpr double B = 1e9;

}  // namespace

// Meta Llama 3.1 model card / HF safetensors totals: 8.03B, 70.6B, 405.9B (printed to 3-4 significant figures,
// so +-0.1% covers the rounding).
TEST(PublishedParams, Llama31) {
  expect_near_rel(params("llama-3.1-8b").total, 8.03 * B, 0.001, "Llama-3.1-8B total");
  expect_near_rel(params("llama-3.1-70b").total, 70.6 * B, 0.001, "Llama-3.1-70B total");
  expect_near_rel(params("llama-3.1-405b").total, 405.9 * B, 0.001, "Llama-3.1-405B total");
  // Dense: every parameter is active.
  EXPECT_DOUBLE_EQ(params("llama-3.1-70b").active, params("llama-3.1-70b").total);
}

// Mistral AI, "Mixtral of experts" (Dec 2023): 46.7B total, 12.9B used per token.
TEST(PublishedParams, Mixtral8x7B) {
  const auto p = params("mixtral-8x7b");
  expect_near_rel(p.total, 46.7 * B, 0.005, "Mixtral-8x7B total");
  expect_near_rel(p.active, 12.9 * B, 0.005, "Mixtral-8x7B active");
}

// Mistral AI, "Cheaper, Better, Faster, Stronger" (Mixtral 8x22B release, Apr 2024): 141B total, 39B active.
TEST(PublishedParams, Mixtral8x22B) {
  const auto p = params("mixtral-8x22b");
  expect_near_rel(p.total, 141.0 * B, 0.005, "Mixtral-8x22B total");
  expect_near_rel(p.active, 39.0 * B, 0.01, "Mixtral-8x22B active");
}

// DeepSeek-V3 technical report: 671B total, 37B activated. DeepSeek's README_WEIGHTS.md: main model (without the
// MTP module) 671B total, 36.6B activated "including 0.9B for the output head" - i.e. without the input
// embedding table, which is active_excl_embedding here. The MTP layer is excluded from all counts.
TEST(PublishedParams, DeepSeekV3WithoutMtp) {
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("deepseek-v3");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->mtp_layers, 1);
  const auto p = count_params(*m);
  expect_near_rel(p.total, 671 * B, 0.001, "DeepSeek-V3 total");
  expect_near_rel(p.active_excl_embedding, 36.6 * B, 0.002, "DeepSeek-V3 active (README_WEIGHTS convention)");
  // The 37B headline is a rounded figure; with the embedding table counted the active count is 37.55B.
  expect_near_rel(p.active, 37 * B, 0.02, "DeepSeek-V3 active (headline)");
  // README_WEIGHTS.md: the MTP module has 11.5B unique parameters (embedding and output head shared); it is
  // reported separately and not part of the 671B.
  expect_near_rel(p.mtp, 11.5 * B, 0.01, "DeepSeek-V3 MTP module");
  // R1 shares the architecture.
  EXPECT_DOUBLE_EQ(params("deepseek-r1").total, p.total);
}

// Qwen3 model cards: "235B in total and 22B activated"; "30.5B in total and 3.3B activated". Integer figures are
// +-0.5B by rounding (0.2% / 2.3%); Qwen3-30B-A3B's 3.3B is 1.6% below the count with the embedding (3.35B).
TEST(PublishedParams, Qwen3Moe) {
  const auto big = params("qwen3-235b-a22b");
  EXPECT_NEAR(big.total, 235 * B, 0.5 * B);
  EXPECT_NEAR(big.active, 22 * B, 0.5 * B);
  const auto small = params("qwen3-30b-a3b");
  expect_near_rel(small.total, 30.5 * B, 0.002, "Qwen3-30B-A3B total");
  expect_near_rel(small.active, 3.3 * B, 0.02, "Qwen3-30B-A3B active");
  // The same card: "Number of Parameters (Non-Embedding): 29.9B" (embedding and lm_head both left out).
  expect_near_rel(small.total - small.embedding, 29.9 * B, 0.002, "Qwen3-30B-A3B non-embedding");
}

// OpenAI gpt-oss model card (Aug 2025): 120b = 116.83B total, 5.13B active; 20b = 20.91B total, 3.61B active.
// OpenAI's active figure leaves out the input embedding (active_excl_embedding).
TEST(PublishedParams, GptOss) {
  const auto big = params("gpt-oss-120b");
  expect_near_rel(big.total, 116.83 * B, 0.0005, "gpt-oss-120b total");
  expect_near_rel(big.active_excl_embedding, 5.13 * B, 0.002, "gpt-oss-120b active");
  const auto small = params("gpt-oss-20b");
  expect_near_rel(small.total, 20.91 * B, 0.0005, "gpt-oss-20b total");
  expect_near_rel(small.active_excl_embedding, 3.61 * B, 0.002, "gpt-oss-20b active");
}

// Moonshot Kimi K2 announcement: "1 trillion total parameters, 32 billion activated" (round figures; the count is
// 1.026T / 32.9B, so 3% covers it).
TEST(PublishedParams, KimiK2) {
  const auto p = params("kimi-k2-instruct");
  expect_near_rel(p.total, 1000 * B, 0.03, "Kimi-K2 total");
  expect_near_rel(p.active, 32 * B, 0.03, "Kimi-K2 active");
}

// Meta Llama 4 model cards: Maverick 400B total / 17B active, Scout 109B total / 17B active (totals include the
// vision encoder). 17B is rounded (+-3%), totals within 0.5%.
TEST(PublishedParams, Llama4) {
  const auto mav = params("llama-4-maverick-17b-128e");
  expect_near_rel(mav.total, 400 * B, 0.005, "Llama-4-Maverick total");
  expect_near_rel(mav.active, 17 * B, 0.03, "Llama-4-Maverick active");
  EXPECT_GT(mav.vision, 0.8 * B);
  const auto scout = params("llama-4-scout-17b-16e");
  expect_near_rel(scout.total, 109 * B, 0.005, "Llama-4-Scout total");
  expect_near_rel(scout.active, 17 * B, 0.03, "Llama-4-Scout active");
  // Maverick interleaves: 24 MoE layers and 24 dense layers.
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("llama-4-maverick-17b-128e");
  ASSERT_NE(m, nullptr);
  int moe = 0;
  for (const auto& l : m->layers) moe += l.ffn.kind == tokenmath::catalog::FfnSpec::Kind::moe;
  EXPECT_EQ(moe, 24);
}

// NVIDIA model cards: Llama-3.3-Nemotron-Super-49B-v1 "49.9B" (HF parameter count), Nemotron-H-56B-Base "56B".
TEST(PublishedParams, Nemotron) {
  expect_near_rel(params("llama-3.3-nemotron-super-49b-v1").total, 49.9 * B, 0.002, "Nemotron Super total");
  expect_near_rel(params("nemotron-h-56b-base-8k").total, 56 * B, 0.01, "Nemotron-H total");
}

// EleutherAI gpt-j-6b model card: n_parameters 6,053,381,344 (the count here is 2.5M = 0.04% lower; the card's
// figure comes from the JAX checkpoint). Meta Llama 2 paper: 7B (HF: 6.74B), 70B (HF: 69.0B). TII: Falcon 180B.
TEST(PublishedParams, OlderDenseModels) {
  expect_near_rel(params("gpt-j-6b").total, 6053381344.0, 0.001, "GPT-J-6B total");
  expect_near_rel(params("llama-2-7b").total, 6.74 * B, 0.001, "Llama-2-7B total");
  expect_near_rel(params("llama-2-70b").total, 69.0 * B, 0.001, "Llama-2-70B total");
  expect_near_rel(params("falcon-180b").total, 180 * B, 0.01, "Falcon-180B total");
}

// Qwen3 dense model cards: Qwen3-8B "8.2B, non-embedding 6.95B"; Qwen3-32B "32.8B, non-embedding 31.2B".
// Qwen3-Coder-480B-A35B card: 480B total, 35B activated. Mistral: Small 3 "24B", Large 2 "123B" (rounded).
TEST(PublishedParams, QwenDenseAndMistral) {
  const auto q8 = params("qwen3-8b");
  expect_near_rel(q8.total, 8.2 * B, 0.005, "Qwen3-8B total");
  expect_near_rel(q8.total - q8.embedding, 6.95 * B, 0.002, "Qwen3-8B non-embedding");
  const auto q32 = params("qwen3-32b");
  expect_near_rel(q32.total, 32.8 * B, 0.002, "Qwen3-32B total");
  expect_near_rel(q32.total - q32.embedding, 31.2 * B, 0.002, "Qwen3-32B non-embedding");
  const auto coder = params("qwen3-coder-480b-a35b-instruct");
  expect_near_rel(coder.total, 480 * B, 0.002, "Qwen3-Coder total");
  expect_near_rel(coder.active, 35 * B, 0.015, "Qwen3-Coder active");
  expect_near_rel(params("mistral-small-3-24b").total, 24 * B, 0.021, "Mistral Small 3 total");
  expect_near_rel(params("mistral-large-2-123b").total, 123 * B, 0.004, "Mistral Large 2 total");
}

// ERNIE-4.5-21B-A3B (ernie4_5_moe): Baidu's "21B total / 3B active"; the safetensors of the same-architecture
// ERNIE-4.5-21B-A3B-Thinking hold 21,825,437,888 parameters (BF16 21,821,012,480 + F32 4,425,408; data/models/
// ernie-4.5-21b-a3b.json _meta.source). The count must hit that to the parameter within rounding (1e-5): dense
// layer 0, 27 MoE layers of 64 experts (top-6) plus a 3,072-wide shared MLP, tied embeddings. Active: 3.35B.
TEST(PublishedParams, Ernie45MoeLayoutFromItsOwnKeys) {
  const auto p = params("ernie-4.5-21b-a3b");
  expect_near_rel(p.total, 21.825437888 * B, 1e-5, "ERNIE-4.5-21B-A3B total");
  expect_near_rel(p.active, 3.35 * B, 0.01, "ERNIE-4.5-21B-A3B active");
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("ERNIE-4.5-21B-A3B-PT");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->layers[0].ffn.kind, tokenmath::catalog::FfnSpec::Kind::dense);
  EXPECT_EQ(m->layers[1].ffn.kind, tokenmath::catalog::FfnSpec::Kind::moe);
  EXPECT_EQ(m->layers[1].ffn.experts_per_token, 6);
  EXPECT_EQ(m->layers[27].ffn.shared_intermediate_size, 3072);
}

// GLM-4.7-Flash (glm4_moe_lite, DeepSeek-V3's MLA/MoE layout): a public inspector report counts 31,221,488,576
// parameters in the safetensors files, which also hold the MTP layer with its own embedding and lm_head (2 x vocab x
// hidden). Without those the model is "30B-A3B"; the pieces must add up to the stored count within rounding.
TEST(PublishedParams, Glm47FlashReadsAsMlaMoe) {
  const auto p = params("glm-4.7-flash");
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("zai-org/GLM-4.7-Flash");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->layers[1].attn.kind, tokenmath::catalog::AttentionSpec::Kind::mla);
  EXPECT_EQ(m->layers[0].ffn.kind, tokenmath::catalog::FfnSpec::Kind::dense);
  EXPECT_EQ(m->layers[46].ffn.experts_per_token, 4);
  const double mtp_embed_head = 2.0 * static_cast<double>(m->vocab_size) * static_cast<double>(m->hidden_size);
  expect_near_rel(p.total + p.mtp + mtp_embed_head, 31.221488576 * B, 1e-5, "GLM-4.7-Flash stored");
  expect_near_rel(p.total, 30 * B, 0.03, "GLM-4.7-Flash total");
}

// MiniMax-M2.5 (minimax_m2): MiniMax's "229B total / 10B active"; the same-shape M2.7 checkpoint listing holds
// 228,703,644,928 stored values, which is the weights plus 13,880,064 FP8 block scales (data/models/minimax-m2.5.json
// _meta). Its q/k norms span the whole projection (qk_norm_type per_layer): (48 + 8) x 128 weights each layer, not
// 2 x 128, and the three MTP modules are kept out of the total.
TEST(PublishedParams, MiniMaxM2FullWidthQkNormAndMtp) {
  const auto p = params("minimax-m2.5");
  expect_near_rel(p.total + 13'880'064.0, 228.703644928 * B, 1e-6, "MiniMax-M2.5 stored");
  expect_near_rel(p.active_excl_embedding, 10 * B, 0.05, "MiniMax-M2.5 active");
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("MiniMaxAI/MiniMax-M2.5");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->layers[0].attn.qk_norm_full_width);
  EXPECT_EQ(m->mtp_layers, 3);
  EXPECT_EQ(m->layers[61].ffn.num_experts, 256);
}

// Gemma 4 (gemma4, decoder in text_config): Google's "31B" and "26B total / 4B active" (vision tower not counted).
// Full layers have 512-wide heads, fewer KV heads and no v projection (K is the value); sliding layers 256-wide.
// The counts from the configs: 30.70B, and 25.23B / 3.82B (the dense 2112-wide MLP beside the experts is active).
TEST(PublishedParams, Gemma4PerLayerHeadsAndKeyAsValue) {
  expect_near_rel(params("gemma-4-31b").total, 31 * B, 0.02, "Gemma-4-31B total");
  const auto moe = params("gemma-4-26b-a4b");
  expect_near_rel(moe.total, 26 * B, 0.04, "Gemma-4-26B-A4B total");
  expect_near_rel(moe.active, 4 * B, 0.05, "Gemma-4-26B-A4B active");
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("google/gemma-4-31B-it");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->layers[0].attn.sliding_window, 1024);
  EXPECT_EQ(m->layers[0].attn.head_dim, 256);
  EXPECT_EQ(m->layers[5].attn.sliding_window, 0);
  EXPECT_EQ(m->layers[5].attn.head_dim, 512);
  EXPECT_EQ(m->layers[5].attn.num_kv_heads, 4);
  EXPECT_TRUE(m->layers[5].attn.v_from_k);
  // K and V are both cached: 10 full layers x 2 x 4 heads x 512 x 2 bytes per token.
  EXPECT_DOUBLE_EQ(tokenmath::catalog::kv_bytes_per_token(*m, tokenmath::catalog::Precision::bf16), 81920.0);
}

// Nemotron 3 Nano (nemotron_h with 'E' MoE layers of squared-ReLU experts): NVIDIA's 31.6B total, ~3.2B active
// without the input embedding.
TEST(PublishedParams, Nemotron3NanoMoeLayersInTheHybridPattern) {
  const auto p = params("nemotron-3-nano-30b-a3b");
  expect_near_rel(p.total, 31.6 * B, 0.005, "Nemotron-3-Nano total");
  expect_near_rel(p.active_excl_embedding, 3.2 * B, 0.02, "Nemotron-3-Nano active");
}

// DeepSeek-V3.2 (deepseek_v32) is DeepSeek-V3 plus a lightning indexer in each of its 61 layers (DeepSeek's
// V3.2-Exp report: 64 indexer heads of 128, top-2048 tokens). Its parameters are V3's plus exactly the indexer's
// wq_b (1536 x 64*128), wk (7168 x 128), weights_proj (7168 x 64) and k LayerNorm (2 x 128) per layer (~0.85B,
// hidden in the model card's rounded "685B"); its KV per token is V3's plus 132 B (FP8 key + fp32 scale) per layer.
TEST(PublishedParams, DeepSeekV32IsV3PlusTheIndexer) {
  const auto v3 = params("deepseek-v3"), v32 = params("deepseek-v3.2");
  const double indexer = 1536.0 * 64 * 128 + 7168.0 * 128 + 7168.0 * 64 + 2 * 128;
  EXPECT_DOUBLE_EQ(v32.total - v3.total, 61 * indexer);
  EXPECT_DOUBLE_EQ(v32.active - v3.active, 61 * indexer);
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("deepseek-ai/DeepSeek-V3.2-Exp");
  const auto* dense = ::tokenmath::test::shipped().catalog.resolve_model("deepseek-v3");
  ASSERT_NE(m, nullptr);
  ASSERT_NE(dense, nullptr);
  EXPECT_EQ(m->id, "deepseek-v3.2");
  for (const auto& l : m->layers) {
    EXPECT_EQ(l.attn.sparse_topk, 2048);
    EXPECT_EQ(l.attn.indexer_heads, 64);
    EXPECT_EQ(l.attn.indexer_head_dim, 128);
  }
  EXPECT_EQ(dense->layers[0].attn.sparse_topk, 0);
  using tokenmath::catalog::kv_bytes_per_token;
  using tokenmath::catalog::Precision;
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(*m, Precision::bf16) - kv_bytes_per_token(*dense, Precision::bf16), 61 * 132.0);
  EXPECT_DOUBLE_EQ(kv_bytes_per_token(*m, Precision::fp8) - kv_bytes_per_token(*dense, Precision::fp8), 61 * 132.0);
  // Attention FLOPs per token: capped at 2048 attended tokens, plus the indexer over the whole context.
  using tokenmath::catalog::flops_per_token;
  const double at_2k = flops_per_token(*m, 2048).attention, at_64k = flops_per_token(*m, 65536).attention;
  const double idx_per_ctx = 61 * 2.0 * 64 * 128;
  EXPECT_NEAR(at_64k - at_2k, (65536 - 2048) * idx_per_ctx, 1e-6 * at_64k);
  EXPECT_LT(at_64k, flops_per_token(*dense, 65536).attention / 10);
}

// Qwen3-Next-80B-A3B (qwen3_next) and Qwen3.5-397B-A17B (qwen3_5_moe, decoder in text_config): Qwen's "80B total /
// 3B activated" and "397B / 17B" (the vision tower of Qwen3.5 not counted; Qwen's active count leaves out the
// embeddings). GLM-5 (glm_moe_dsa): Z.ai's "744B total / 40B active".
TEST(PublishedParams, HybridDeltaNetAndGlm5) {
  const auto next = params("qwen3-next-80b-a3b");
  expect_near_rel(next.total, 80 * B, 0.01, "Qwen3-Next total");
  expect_near_rel(next.active_excl_embedding, 3 * B, 0.2, "Qwen3-Next active (printed to one digit)");
  const auto q35 = params("qwen3.5-397b-a17b");
  expect_near_rel(q35.total, 397 * B, 0.005, "Qwen3.5-397B total");
  expect_near_rel(q35.active_excl_embedding, 17 * B, 0.04, "Qwen3.5-397B active");
  const auto glm5 = params("glm-5");
  expect_near_rel(glm5.total, 744 * B, 0.002, "GLM-5 total");
  expect_near_rel(glm5.active_excl_embedding, 40 * B, 0.03, "GLM-5 active");
  const auto* m = ::tokenmath::test::shipped().catalog.resolve_model("Qwen/Qwen3-Coder-Next");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->id, "qwen3-next-80b-a3b");
  int deltanet = 0;
  for (const auto& l : m->layers) deltanet += l.attn.kind == tokenmath::catalog::AttentionSpec::Kind::gated_deltanet;
  EXPECT_EQ(deltanet, 36);
}

// Nemotron 3 Super (nemotron_h with LatentMoE): NVIDIA's "120B total / 12B active". The routed experts run at the
// 1024-wide latent (2 x 1024 x 2688 each, not 2 x 4096 x 2688), between fc1/fc2_latent_proj (2 x 4096 x 1024 per MoE
// layer, always active); the shared expert stays at the 4096 hidden width.
TEST(PublishedParams, Nemotron3SuperLatentMoe) {
  const auto p = params("nemotron-3-super-120b-a12b");
  expect_near_rel(p.total, 120 * B, 0.01, "Nemotron-3-Super total");
  expect_near_rel(p.active_excl_embedding, 12 * B, 0.03, "Nemotron-3-Super active");
  EXPECT_DOUBLE_EQ(p.routed_experts, 40 * 512 * 2 * 1024.0 * 2688);
  const auto w = tokenmath::catalog::count_layer_weight_params(
      *::tokenmath::test::shipped().catalog.resolve_model("nemotron-3-super-120b-a12b"));
  EXPECT_DOUBLE_EQ(w.ffn_replicated, 40 * 2 * 4096.0 * 1024);
}
