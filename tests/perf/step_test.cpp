// Step model: a hand-computed decode step, monotonicity properties, memory feasibility, batch builders.
#include <gtest/gtest.h>

#include <cmath>

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/step.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::perf {
namespace {

using catalog::AttentionSpec;
using catalog::FfnSpec;
using catalog::Precision;

// A small dense GQA model: 4 layers, h=1024, 8 heads of 128 (2 KV heads), gated FFN 4096, vocab 32000, untied.
std::shared_ptr<const catalog::ModelSpec> dense_model(int window = 0) {
  catalog::ModelSpec m;
  m.id = "test-dense";
  m.display_name = "Test dense";
  m.hidden_size = 1024;
  m.vocab_size = 32000;
  m.tie_word_embeddings = false;
  for (int i = 0; i < 4; ++i) {
    catalog::LayerSpec l;
    l.attn.kind = AttentionSpec::Kind::standard;
    l.attn.num_heads = 8;
    l.attn.num_kv_heads = 2;
    l.attn.head_dim = 128;
    l.attn.v_head_dim = 128;
    l.attn.sliding_window = (window > 0 && i % 2 == 0) ? window : 0;
    l.ffn.kind = FfnSpec::Kind::dense;
    l.ffn.intermediate_size = 4096;
    l.ffn.gated = true;
    m.layers.push_back(l);
  }
  return std::make_shared<const catalog::ModelSpec>(m);
}

std::shared_ptr<const catalog::ModelSpec> moe_model() {
  auto base = *dense_model();
  for (auto& l : base.layers) {
    l.ffn.kind = FfnSpec::Kind::moe;
    l.ffn.num_experts = 16;
    l.ffn.experts_per_token = 2;
    l.ffn.expert_intermediate_size = 1024;
  }
  return std::make_shared<const catalog::ModelSpec>(base);
}

catalog::GpuSpec test_gpu() {
  catalog::GpuSpec g;
  g.id = "test-gpu";
  g.name = "Test GPU";
  g.dense_bf16_tflops = 1000;
  g.dense_fp8_tflops = 2000;
  g.mem_gb = 80;
  g.mem_tb_s = 3.0;
  g.scaleup_gb_s = 450;
  g.scaleup_domain_gpus = 8;
  return g;
}

Efficiency test_eff() {
  Efficiency e;
  e.compute_bf16 = 0.5;
  e.compute_fp8 = 0.5;
  e.compute_moe = 1.0;
  e.attention_compute = 0.5;
  e.memory_bw = 0.8;
  e.attention_memory_bw = 0.8;
  e.comm_bw = 0.7;
  e.collective_latency_s = 10e-6;
  e.step_overhead_s = 1e-3;
  e.seq_overhead_s = 0;
  e.runtime_reserve_bytes = 2e9;
  e.hbm_bytes_per_gb = 1e9;
  e.roof_p = 6;
  e.kernel_fixed_s = 4e-6;
  e.moe_serving_tile_small = 0;  // no MoE tile padding unless a test sets it
  e.moe_serving_pad_rows = 0;
  return e;
}

Deployment dep(std::shared_ptr<const catalog::ModelSpec> m, int tp = 1) {
  Deployment d;
  d.model = std::move(m);
  d.gpu = test_gpu();
  d.tp = tp;
  d.weight_precision = d.activation_precision = d.kv_precision = Precision::bf16;
  return d;
}

TEST(StepModel, BatchOneDecodeMatchesHandComputation) {
  const StepModel sm(dep(dense_model()), test_eff());
  BatchSummary b = StepModel::new_batch();
  sm.add_decode(b, 1000);
  const StepTime t = sm.step(b);

  // Hand computation (bf16, TP1). Per layer: q 1024*1024, k and v 1024*256 each, o 1024*1024, FFN 3*1024*4096.
  const double per_layer = 1024.0 * 1024 + 2 * 1024.0 * 256 + 1024.0 * 1024 + 3 * 1024.0 * 4096;
  const double dense_params = 4 * per_layer;
  const double mem_rate = 3.0e12 * 0.8, flop_rate = 1000e12 * 0.5;
  // Compute and memory time joined by the p-norm, p = 6 (perf/kernel.hpp).
  auto roof = [](double c, double m) { return std::pow(std::pow(c, 6) + std::pow(m, 6), 1.0 / 6); };
  // Elementwise kernels: per token per layer 2 bytes x (2 x 4h for the residual/norm pairs + 3 x 4096 for the
  // FFN activation); fixed cost: 8 kernels per layer (qkv, attention, o, gate/up, activation, down, 2 norms)
  // x 4 layers + lm_head and sampling = 34 kernels x 4 us.
  const double elementwise = 4 * 2 * (8 * 1024.0 + 3 * 4096.0) / mem_rate;
  const double fixed = 34 * 4e-6;
  const double lin = roof(2 * dense_params / flop_rate, dense_params * 2 / mem_rate) + elementwise + fixed;
  // lm_head GEMM, then its fp32 logits written and read back by the sampler: 2 x 4 x 32000 bytes.
  const double head = roof(2 * 32000.0 * 1024 / flop_rate, 32000.0 * 1024 * 2 / mem_rate) + 2 * 4 * 32000.0 / mem_rate;
  // KV per token per layer: 2 heads * (128 + 128) * 2 bytes = 1024 B; read 1000 tokens, write 1, over 4 layers.
  const double kv_bytes = 4 * 1024.0 * (1000 + 1);
  // Score/value FLOPs: 2 * 8 heads * (128 + 128) per attended token per layer.
  const double attn_flops = 4 * 2 * 8 * 256.0 * 1000;
  const double attn = roof(attn_flops / (1000e12 * 0.5), kv_bytes / mem_rate);
  const double expected = lin + head + attn + 1e-3;
  EXPECT_NEAR(t.total_s, expected, expected * 1e-9);
  EXPECT_NEAR(t.linear_s, lin + head, 1e-12);
  EXPECT_NEAR(t.attention_s, attn, 1e-12);
  EXPECT_EQ(t.comm_s, 0);
  EXPECT_EQ(t.pipeline_bubble_s, 0);
}

TEST(StepModel, TensorParallelNeverSlowerWhenComputeBound) {
  BatchSummary b;
  const StepModel one(dep(dense_model(), 1), test_eff());
  const StepModel two(dep(dense_model(), 2), test_eff());
  for (double start : {0.0, 4096.0}) {
    BatchSummary x = StepModel::new_batch();
    one.add_prefill(x, start, 8192);
    one.add_decode(x, 2000, 64);
    EXPECT_LE(two.step_s(x), one.step_s(x)) << "prefill chunk at " << start;
  }
}

TEST(StepModel, MoreHbmNeverLowersMaxConcurrency) {
  std::int64_t prev = -1;
  for (double gb : {24.0, 40.0, 48.0, 80.0, 141.0, 192.0}) {
    Deployment d = dep(dense_model());
    d.gpu.mem_gb = gb;
    const StepModel sm(d, test_eff());
    const auto c = sm.max_concurrent_seqs(4096);
    EXPECT_GE(c, prev) << gb << " GB";
    prev = c;
  }
  EXPECT_GT(prev, 0);
}

TEST(StepModel, MoreBandwidthNeverSlowsDecode) {
  double prev = 1e9;
  for (double tb_s : {1.0, 2.0, 3.35, 4.8, 8.0}) {
    Deployment d = dep(dense_model());
    d.gpu.mem_tb_s = tb_s;
    const StepModel sm(d, test_eff());
    BatchSummary b;
    sm.add_decode(b, 3000, 32);
    const double s = sm.step_s(b);
    EXPECT_LE(s, prev) << tb_s << " TB/s";
    prev = s;
  }
}

TEST(StepModel, InfeasibleIsAResultWithReason) {
  Deployment d = dep(dense_model());
  d.gpu.mem_gb = 0.05;
  const StepModel sm(d, test_eff());
  EXPECT_FALSE(sm.feasible());
  EXPECT_NE(sm.memory().reason.find("weights need"), std::string::npos) << sm.memory().reason;
  EXPECT_EQ(sm.max_concurrent_seqs(100), 0);
  const Frontier f = frontier(sm, 100, 100);
  EXPECT_FALSE(f.feasible);
  EXPECT_FALSE(f.reason.empty());
}

// The KV pool's fraction is of free memory (TensorRT-LLM) or of all of it (vLLM's gpu_memory_utilization, SGLang's
// mem_fraction_static): f x free against f x HBM - (weights + activations + reserve), the same HBM either way.
TEST(StepModel, KvFractionOfTotalMemoryTakesWeightsOutOfTheShare) {
  Deployment d = dep(dense_model());
  d.knobs.kv_mem_fraction = 0.9;
  const Efficiency e = test_eff();
  const MemoryPlan of_free = plan_memory(d, e);
  ASSERT_TRUE(of_free.feasible);
  const double hbm = d.gpu.mem_gb * e.hbm_bytes_per_gb;
  const double rest = of_free.weight_bytes_per_gpu + of_free.activation_bytes_per_gpu + of_free.reserve_bytes_per_gpu;
  EXPECT_NEAR(of_free.kv_bytes_per_gpu, 0.9 * (hbm - rest), 1.0);
  d.knobs.kv_fraction_of_total = true;
  const MemoryPlan of_total = plan_memory(d, e);
  ASSERT_TRUE(of_total.feasible);
  EXPECT_NEAR(of_total.kv_bytes_per_gpu, 0.9 * hbm - rest, 1.0);
  EXPECT_LT(of_total.kv_capacity_tokens, of_free.kv_capacity_tokens);
  // A share too small for the weights leaves no pool: infeasible, with the reason.
  d.knobs.kv_mem_fraction = 0.9 * rest / hbm;
  const MemoryPlan none = plan_memory(d, e);
  EXPECT_FALSE(none.feasible);
  EXPECT_NE(none.reason.find("leaves no KV cache"), std::string::npos) << none.reason;
}

TEST(StepModel, PrefillPairsAndWindowClipping) {
  const StepModel sm(dep(dense_model(512)), test_eff());
  EXPECT_EQ(sm.sliding_window(), 512);
  BatchSummary b;
  sm.add_prefill(b, 0, 4);  // positions 0..3 attend 1+2+3+4 = 10 tokens
  EXPECT_EQ(b.prefill_tokens, 4);
  EXPECT_DOUBLE_EQ(b.prefill_attn_pairs, 10);
  EXPECT_DOUBLE_EQ(b.prefill_attn_pairs_windowed, 10);
  BatchSummary c;
  sm.add_prefill(c, 500, 100);  // positions 500..599: full sum 100*500 + 5050; windowed: 12 below 512, rest 512
  EXPECT_DOUBLE_EQ(c.prefill_attn_pairs, 100 * 500 + 5050);
  double clipped = 0;
  for (int q = 500; q < 600; ++q) clipped += std::min(q + 1, 512);
  EXPECT_DOUBLE_EQ(c.prefill_attn_pairs_windowed, clipped);
  BatchSummary d;
  sm.add_decode(d, 10000, 3);
  EXPECT_DOUBLE_EQ(d.decode_ctx_sum, 30000);
  EXPECT_DOUBLE_EQ(d.decode_ctx_windowed_sum, 3 * 512);
  // Windowed layers hold at most the window: a 10k-token sequence needs less than 10k tokens of full KV.
  const StepModel full(dep(dense_model()), test_eff());
  EXPECT_LT(sm.kv_bytes_per_seq_per_gpu(10000), full.kv_bytes_per_seq_per_gpu(10000));
}

TEST(StepModel, MoeExpertTrafficGrowsWithDistinctExperts) {
  const StepModel sm(dep(moe_model()), test_eff());
  auto moe_time = [&](std::int64_t n) {
    BatchSummary b;
    sm.add_decode(b, 10, n);
    return sm.step(b).moe_s;
  };
  // Memory-bound regime: time ~ experts touched. One token touches k=2 of 16 experts; 1000 tokens touch ~all.
  const double t1 = moe_time(1), t1000 = moe_time(1000);
  EXPECT_GT(t1000, 5 * t1);
  EXPECT_LT(moe_time(2), 2 * t1);  // two tokens share some experts: less than twice the traffic
}

// Each routed row moves its activations: the grouped GEMMs gather the token's hidden state and write an h-wide
// output row (inside the expert roofline, at the expert streaming rate), and the combine kernel reads the rows
// back and writes the token's sum (its own memory-bound kernel). Compute is made negligible so the MoE time is
// exactly the bytes; a GPU runs k/e rows per token: all k under TP, a quarter of them at EP4.
TEST(StepModel, MoeRoutedRowsMoveTheirActivations) {
  Deployment d = dep(moe_model());
  d.gpu.dense_bf16_tflops = 1e12;  // compute ~ 0
  Efficiency eff = test_eff();
  eff.moe_memory_bw = 0.5;
  const double h = 1024, k = 2, layers = 4, tokens = 4096;
  const double expert_bytes = 3.0 * 1024 * 1024 * 2;  // gate, up, down of 1024 x 1024, bf16
  const double touched = 16.0 * (1.0 - std::pow(1.0 - k / 16, tokens));
  const double rows = tokens * k;
  const double gemm_bytes = layers * (touched * expert_bytes + rows * h * (2 + 2));  // gather bf16 + write bf16
  const double combine_bytes = layers * (rows + tokens) * h * 2;
  BatchSummary b;
  const StepModel tp1(d, eff);
  tp1.add_decode(b, 10, static_cast<std::int64_t>(tokens));
  EXPECT_NEAR(tp1.step(b).moe_s, gemm_bytes / (3e12 * 0.5) + combine_bytes / (3e12 * 0.8), 1e-9);
  // TP4 slices every expert four ways (a quarter of the weights per GPU) but every GPU still runs every row;
  // EP4 holds 4 whole experts per GPU and runs a quarter of the rows.
  d.tp = 4;
  const double tp4 = StepModel(d, eff).step(b).moe_s;
  d.ep = 4;
  const double ep4 = StepModel(d, eff).step(b).moe_s;
  const double weights4 = layers * touched * expert_bytes / 4 / (3e12 * 0.5);
  EXPECT_NEAR(tp4, weights4 + layers * rows * h * 4 / (3e12 * 0.5) + combine_bytes / (3e12 * 0.8), 1e-9);
  EXPECT_NEAR(ep4, weights4 + layers * rows / 4 * h * 4 / (3e12 * 0.5) + combine_bytes / 4 / (3e12 * 0.8), 1e-9);
}

// gpt-oss ships mxfp4 routed experts and bf16 everything else: the memory plan at native precision matches the
// catalog's checkpoint size (one counting path), and is larger than mxfp4 applied to every linear.
TEST(StepModel, NativeExpertsOnlyPrecisionKeepsOtherWeightsBf16) {
  const catalog::ModelSpec* oss = test::shipped().catalog.resolve_model("gpt-oss-120b");
  ASSERT_NE(oss, nullptr);
  ASSERT_TRUE(oss->native_precision_experts_only);
  Deployment d = dep(std::make_shared<const catalog::ModelSpec>(*oss));
  use_native_weights(d);
  EXPECT_EQ(d.weight_precision, Precision::mxfp4);
  ASSERT_TRUE(d.non_expert_weight_precision.has_value());
  EXPECT_EQ(d.dense_weight_precision(), Precision::bf16);
  const Efficiency e = test_eff();
  const double native = plan_memory(d, e).weight_bytes_per_gpu;
  // The catalog also counts the final norm, which the perf plan leaves out: agreement within 0.01%.
  EXPECT_NEAR(native, catalog::weight_bytes_native(*oss), 1e-4 * native);
  Deployment all = d;
  all.non_expert_weight_precision.reset();
  const double all_mx = plan_memory(all, e).weight_bytes_per_gpu;
  EXPECT_NEAR(all_mx, catalog::weight_bytes(*oss, Precision::mxfp4), 1e-4 * all_mx);
  EXPECT_GT(native, all_mx + 1e9);
  // bf16 attention weights are read every decode step: a batch-1 decode step is slower than all-mxfp4.
  const StepModel sm_native(d, e), sm_all(all, e);
  BatchSummary b;
  sm_native.add_decode(b, 100);
  EXPECT_GT(sm_native.step_s(b), sm_all.step_s(b));
  // A dense model's native precision covers every linear: no separate non-expert precision.
  Deployment dense = dep(dense_model());
  use_native_weights(dense);
  EXPECT_FALSE(dense.non_expert_weight_precision.has_value());
}

// Kernel-family factors (block_fp8_*, mla_*) replace the generic ones only for the models that have that kernel
// family: a block-scaled FP8 checkpoint run in FP8 (DeepSeek-R1's 128x128 weight scales) and MLA attention.
// MLA's q_a and kv_a are replicated linears: under TP every rank holds them whole (memory), reads them whole and
// computes them for every token (a batch-1 decode step); under attention DP every rank holds everything anyway.
TEST(StepModel, MlaLowRankProjectionsAreWholeOnEveryTensorParallelRank) {
  const catalog::ModelSpec* dsr1 = test::shipped().catalog.resolve_model("deepseek-r1");
  ASSERT_NE(dsr1, nullptr);
  const auto m = std::make_shared<const catalog::ModelSpec>(*dsr1);
  const double rep = catalog::count_layer_weight_params(*m).attn_replicated;
  ASSERT_GT(rep, 0);
  Deployment d = dep(m, 8);
  d.gpu.mem_gb = 1000;  // room for the bf16 weights: only the byte counts matter here
  const Efficiency e = test_eff();
  Deployment one = d;
  one.tp = 1;
  // Per GPU at TP8: an eighth of everything TP1 holds, plus the 7/8 of the replicated projections (bf16) it keeps.
  const double w8 = plan_memory(d, e).weight_bytes_per_gpu, w1 = plan_memory(one, e).weight_bytes_per_gpu;
  EXPECT_NEAR(w8, w1 / 8 + rep * 2.0 * 7.0 / 8.0, 1e-6 * w8);
  Deployment dp = d;
  dp.attention_dp = true;
  dp.ep = 8;
  EXPECT_GT(plan_memory(dp, e).weight_bytes_per_gpu, w8);  // DP holds every dense weight whole, not only q_a/kv_a
}

// DeepSeek Sparse Attention (DeepSeek-V3.2): the latent attention of a decoding sequence reads at most 2048 tokens;
// past that, each further context token costs only the indexer's FP8 key, 132 B against the 576 x 2 B bf16 latent
// V3 reads, so the attention time grows with the context at 132 / 1152 of V3's slope (both memory-bound here).
// Below the top-k the indexer is extra work: V3.2 is never cheaper than V3 there.
TEST(StepModel, SparseAttentionCapsTheLatentReadAndKeepsTheIndexerFull) {
  const auto& cat = test::shipped().catalog;
  const auto* v3 = cat.resolve_model("deepseek-v3");
  const auto* v32 = cat.resolve_model("deepseek-v3.2");
  ASSERT_NE(v3, nullptr);
  ASSERT_NE(v32, nullptr);
  const auto attention = [](const catalog::ModelSpec& m, double ctx) {
    Deployment d = dep(std::make_shared<const catalog::ModelSpec>(m), 8);
    d.gpu.mem_gb = 1000;
    const StepModel sm(d, test_eff());
    BatchSummary b = StepModel::new_batch();
    sm.add_decode(b, ctx);
    return sm.step(b).attention_s;
  };
  EXPECT_GE(attention(*v32, 1000), attention(*v3, 1000));
  const double slope_v3 = attention(*v3, 65536) - attention(*v3, 32768);
  const double slope_v32 = attention(*v32, 65536) - attention(*v32, 32768);
  EXPECT_NEAR(slope_v32 / slope_v3, 132.0 / 1152.0, 0.05 * 132.0 / 1152.0);
  EXPECT_LT(attention(*v32, 131072), attention(*v3, 131072) / 4);
  // The KV pool stores every token's latent and indexer key: capacity per GPU is V3's x 1152 / (1152 + 132).
  Deployment a = dep(std::make_shared<const catalog::ModelSpec>(*v3), 8), b = dep(std::make_shared<const catalog::ModelSpec>(*v32), 8);
  a.gpu.mem_gb = b.gpu.mem_gb = 1000;
  const auto pa = plan_memory(a, test_eff()), pb = plan_memory(b, test_eff());
  EXPECT_NEAR(pb.kv_bytes_per_gpu / pa.kv_bytes_per_gpu, 1.0, 0.01);  // the indexer weights are ~0.1% of V3's
  EXPECT_NEAR(pb.kv_capacity_tokens / pa.kv_capacity_tokens, 1152.0 / 1284.0, 0.01);
}

// SGLang sets max_running_requests to 48 under EAGLE/NEXTN speculative decoding unless it is given
// (EngineKnobs::spec_max_num_seqs): the cap binds only with speculative decoding on.
TEST(StepModel, EnginesOwnRunningCapAppliesOnlyWithSpeculativeDecoding) {
  Deployment d = dep(dense_model());
  d.knobs.max_num_seqs = 1024;
  d.knobs.max_batched_tokens = 8192;
  d.knobs.spec_max_num_seqs = 48;
  EXPECT_GT(StepModel(d, test_eff()).max_concurrent_seqs(2048), 48);
  d.spec.method = "mtp";
  d.spec.draft_tokens = 3;
  d.spec.acceptance_length = 2.5;
  d.spec.draft_layers = 1;
  const StepModel capped(d, test_eff());
  EXPECT_EQ(capped.max_concurrent_seqs(2048), 48);
  EXPECT_EQ(capped.deployment().knobs.max_num_seqs, 48);
  d.knobs.spec_max_num_seqs = 0;  // max_num_seqs set explicitly
  EXPECT_GT(StepModel(d, test_eff()).max_concurrent_seqs(2048), 48);
}

TEST(StepModel, KernelFamilyFactorsApplyOnlyToBlockScaledFp8AndMla) {
  const catalog::ModelSpec* dsr1 = test::shipped().catalog.resolve_model("deepseek-r1");
  ASSERT_NE(dsr1, nullptr);
  EXPECT_TRUE(dsr1->block_scaled_fp8);
  EXPECT_FALSE(dense_model()->block_scaled_fp8);
  Deployment d = dep(std::make_shared<const catalog::ModelSpec>(*dsr1), 8);
  d.gpu.mem_gb = 141;
  d.weight_precision = d.activation_precision = Precision::fp8;
  const Efficiency e = test_eff();
  const auto step = [&](const Deployment& dd, const Efficiency& ee) {
    const StepModel sm(dd, ee);
    BatchSummary b;
    sm.add_decode(b, 4096, 4);
    return sm.step(b);
  };
  const StepTime base = step(d, e);
  // Block-scaled linears at half the HBM share: the dense-weight term doubles, experts and attention stay.
  Efficiency lin = e;
  lin.block_fp8_memory_bw = e.memory_bw / 2;
  EXPECT_GT(step(d, lin).linear_s, base.linear_s);
  EXPECT_DOUBLE_EQ(step(d, lin).moe_s, base.moe_s);
  EXPECT_DOUBLE_EQ(step(d, lin).attention_s, base.attention_s);
  Efficiency moe = e;
  moe.block_fp8_moe_memory_bw = e.moe_memory_bw / 3;
  EXPECT_GT(step(d, moe).moe_s, 2.5 * base.moe_s);  // batch-4 experts are bound by their weight reads
  EXPECT_DOUBLE_EQ(step(d, moe).linear_s, base.linear_s);
  Efficiency mla = e;
  mla.mla_attention_memory_bw = e.attention_memory_bw / 4;
  EXPECT_GT(step(d, mla).attention_s, 3.5 * base.attention_s);  // decode attention streams the latent KV cache
  EXPECT_DOUBLE_EQ(step(d, mla).linear_s, base.linear_s);
  // Not the family: the same checkpoint run in BF16 ignores the block-scaled factors; a GQA model in FP8 ignores
  // them all.
  Deployment bf = d;
  bf.weight_precision = bf.activation_precision = Precision::bf16;
  EXPECT_DOUBLE_EQ(step(bf, lin).linear_s, step(bf, e).linear_s);
  EXPECT_DOUBLE_EQ(step(bf, moe).moe_s, step(bf, e).moe_s);
  Deployment gqa = dep(moe_model());
  gqa.weight_precision = gqa.activation_precision = Precision::fp8;
  Efficiency all = lin;
  all.block_fp8_moe_memory_bw = moe.block_fp8_moe_memory_bw;
  all.mla_attention_memory_bw = mla.mla_attention_memory_bw;
  all.mla_attention_compute = 0.01;
  all.block_fp8_compute = 0.01;
  EXPECT_DOUBLE_EQ(step(gqa, all).total_s, step(gqa, e).total_s);
}

// An engine's per-MLA-layer floor (early-2025 DeepSeek runtimes): each MLA layer of the stage adds it once per
// step whatever the batch; PP stages carry their share of the layers; models without MLA layers ignore it.
TEST(StepModel, MlaLayerFloorIsPerLayerPerStepAndBatchIndependent) {
  const catalog::ModelSpec* dsr1 = test::shipped().catalog.resolve_model("deepseek-r1");
  ASSERT_NE(dsr1, nullptr);
  Deployment d = dep(std::make_shared<const catalog::ModelSpec>(*dsr1), 8);
  d.gpu.mem_gb = 141;
  d.weight_precision = d.activation_precision = Precision::fp8;
  const Efficiency e = test_eff();
  Efficiency floor = e;
  floor.mla_layer_fixed_s = 100e-6;
  const auto step = [](const Deployment& dd, const Efficiency& ee, int seqs) {
    const StepModel sm(dd, ee);
    BatchSummary b;
    sm.add_decode(b, 2048, seqs);
    return sm.step(b).total_s;
  };
  const double layers = static_cast<double>(dsr1->layers.size());
  for (int seqs : {1, 64})
    EXPECT_NEAR(step(d, floor, seqs) - step(d, e, seqs), layers * 100e-6, 1e-9) << seqs;
  Deployment gqa = dep(moe_model());
  EXPECT_DOUBLE_EQ(step(gqa, floor, 4), step(gqa, e, 4));
}

// An engine that prefills eagerly (prefill_eager_kernel_s > 0) runs a step with prompts and decodes as two
// forwards: the prefill forward lasts at least its kernels' launch time (the excess is host overhead), the decode
// forward is priced as a step of its own; without prompts nothing changes.
TEST(StepModel, EagerPrefillIsItsOwnForwardBoundByKernelLaunches) {
  const Deployment d = dep(dense_model());
  const Efficiency graphed = test_eff();
  Efficiency eager = graphed;
  eager.prefill_eager_kernel_s = 1e-3;  // far above any GPU time of this small model
  const StepModel g(d, graphed), e(d, eager);
  BatchSummary dec;
  g.add_decode(dec, 512, 8);
  EXPECT_DOUBLE_EQ(e.step(dec).total_s, g.step(dec).total_s);
  BatchSummary pre;
  g.add_prefill(pre, 0, 16);
  const double launches = e.step(pre).total_s;
  EXPECT_GT(launches, 10 * g.step(pre).total_s);
  EXPECT_NEAR(e.step(pre).overhead_s, launches - g.step(pre).total_s + g.step(pre).overhead_s, 1e-12);
  // Decodes and a prompt chunk together: the eager prefill forward plus the decode step.
  BatchSummary both = dec;
  g.add_prefill(both, 0, 16);
  EXPECT_NEAR(e.step(both).total_s, launches + g.step(dec).total_s, 1e-12);
  // Launch-bound means independent of the prompt length until the GPU work exceeds the launches.
  BatchSummary longer;
  g.add_prefill(longer, 0, 64);
  EXPECT_DOUBLE_EQ(e.step(longer).total_s, launches);
}

// Grouped expert GEMMs: each touched expert costs moe_tile_tokens extra rows of compute, hidden under the
// expert weight reads while memory-bound: expert time = max(routed + tile compute, roof(routed compute, reads)).
// The combine kernel after the expert GEMMs (MoeRoutedRowsMoveTheirActivations): the moe_model's 4 layers read
// k = 2 bf16 rows of h = 1024 per token and write one, at the test GPU's 3 TB/s x memory_bw 0.8.
double moe_combine_s(double tokens) { return 4.0 * (2.0 + 1.0) * tokens * 1024 * 2 / (3e12 * 0.8); }

TEST(StepModel, MoeTileCostPerTouchedExpert) {
  const Deployment d = dep(moe_model());
  // Expert FLOPs per (token, expert) row: 2 * 3 * 1024 * 1024 per layer, 4 layers, at 1000e12 * 0.5 FLOP/s.
  const double per_row_s = 2.0 * 3 * 1024 * 1024 * 4 / (1000e12 * 0.5);
  const StepModel plain(d, test_eff());
  // One decoding token: 2 experts touched; 128 tile rows of compute (6.4 us) hide under their weight reads
  // (2 x 25 MB at 2.4 TB/s, 21 us): no change.
  Efficiency small_tile = test_eff();
  small_tile.moe_serving_tile_small = 128;
  BatchSummary one;
  plain.add_decode(one, 10, 1);
  EXPECT_DOUBLE_EQ(StepModel(d, small_tile).step(one).moe_s, plain.step(one).moe_s);
  // 4096 tokens touch all 16 experts; 4096 padded rows each make the padded compute dominate: expert time is
  // exactly routed + padding compute (+ the combine kernel).
  Efficiency big_tile = test_eff();
  big_tile.moe_serving_pad_rows = 4096;
  BatchSummary many;
  plain.add_decode(many, 10, 4096);
  const double touched = 16.0 * (1.0 - std::pow(1.0 - 2.0 / 16, 4096));
  const double routed_s = 4096.0 * 2 * per_row_s;
  EXPECT_NEAR(StepModel(d, big_tile).step(many).moe_s, routed_s + touched * 4096 * per_row_s + moe_combine_s(4096), 1e-9);
  EXPECT_GT(StepModel(d, big_tile).step(many).moe_s, plain.step(many).moe_s);
}

TEST(StepModel, SmallBatchMoePadsEachTouchedExpertToTheSmallTile) {
  // 8 decoding tokens (<= 16 experts) route 2 each: a touched expert gets k_e = 16 / 16 / touched_frac rows and
  // pays small_tile - k_e padded rows. With a compute-heavy tile that padding sets the expert time exactly.
  const Deployment d = dep(moe_model());
  const double per_row_s = 2.0 * 3 * 1024 * 1024 * 4 / (1000e12 * 0.5);
  Efficiency e = test_eff();
  e.moe_serving_tile_small = 100000;  // absurd tile: padding dominates the weight reads
  const StepModel sm(d, e);
  BatchSummary b;
  sm.add_decode(b, 10, 8);
  const double frac = 1.0 - std::pow(1.0 - 2.0 / 16, 8);
  const double touched = 16.0 * frac;
  const double rows = 8.0 * 2 / 16 / frac;
  const double routed_s = 8.0 * 2 * per_row_s;
  EXPECT_NEAR(sm.step(b).moe_s, routed_s + touched * (100000 - rows) * per_row_s + moe_combine_s(8), 1e-9);
  // Past E tokens the small tile no longer applies: the large-batch padding (here none) does.
  BatchSummary many;
  sm.add_decode(many, 10, 64);
  const double frac64 = 1.0 - std::pow(1.0 - 2.0 / 16, 64);
  EXPECT_NEAR(sm.step(many).moe_s, std::max(64.0 * 2 * per_row_s + moe_combine_s(64), StepModel(d, test_eff()).step(many).moe_s), 1e-12);
  EXPECT_GT(frac64, 0.99);
}

TEST(StepModel, PipelineBubbleWhenFewerSequencesThanStages) {
  Deployment d = dep(dense_model());
  d.pp = 4;
  const StepModel sm(d, test_eff());
  BatchSummary one;
  sm.add_decode(one, 100, 1);
  EXPECT_GT(sm.step(one).pipeline_bubble_s, 0);
  BatchSummary four;
  sm.add_decode(four, 100, 4);
  EXPECT_EQ(sm.step(four).pipeline_bubble_s, 0);
}

// An engine with prefill forwards of its own (prefill_eager_kernel_s > 0) takes every prompt waiting at a step
// boundary into one forward: with lambda prompts due per step, a share 1 - exp(-lambda) of the steps prefill, each
// over lambda / (1 - exp(-lambda)) prompts; a mixing engine keeps one prompt per lump step.
TEST(Throughput, EagerEnginesMergeWaitingPromptsIntoOnePrefillForward) {
  const Deployment d = dep(dense_model());
  Efficiency eager = test_eff();
  eager.prefill_eager_kernel_s = 200e-6;
  const StepModel sm(d, eager);
  const double isl = 500, osl = 1000;
  const std::int64_t c = 4;
  const OperatingPoint pt = steady_state(sm, isl, osl, c);
  const double lambda = static_cast<double>(c) / osl;  // prompts due per step (one prompt = one lump)
  const double f = -std::expm1(-lambda);
  BatchSummary dec;
  sm.add_decode(dec, isl + osl / 2, c);
  BatchSummary with = dec;
  const double lump = lambda * isl / f;
  with.prefill_tokens = std::llround(lump);
  with.prefill_seqs = std::max<std::int64_t>(1, std::llround(lump / isl));
  with.prefill_attn_pairs = lump * (isl + 1) / 2;
  EXPECT_NEAR(pt.step_s, f * sm.step_s(with) + (1 - f) * sm.step_s(dec), 1e-9);
  // Fewer, larger prefill forwards than one per prompt: cheaper than the unmerged average with launches this long.
  BatchSummary one = dec;
  sm.add_prefill(one, 0, isl);
  EXPECT_LT(pt.step_s, lambda * sm.step_s(one) + (1 - lambda) * sm.step_s(dec));
}

TEST(Throughput, FrontierIsMonotoneInConcurrencyAndLatency) {
  const StepModel sm(dep(dense_model()), test_eff());
  const Frontier f = frontier(sm, 1000, 500);
  ASSERT_TRUE(f.feasible);
  ASSERT_GE(f.points.size(), 3u);
  for (std::size_t i = 1; i < f.points.size(); ++i) {
    EXPECT_GT(f.points[i].concurrency, f.points[i - 1].concurrency);
    EXPECT_GE(f.points[i].output_tok_s, f.points[i - 1].output_tok_s * 0.999);
    EXPECT_LE(f.points[i].tok_s_per_user, f.points[i - 1].tok_s_per_user * 1.001);
  }
  EXPECT_EQ(f.points.back().concurrency, f.max_concurrency);
  EXPECT_DOUBLE_EQ(f.best.output_tok_s, f.points.back().output_tok_s);
  // Little's law for a closed loop: throughput = concurrency * OSL / (TTFT-ish + OSL steps) within the model.
  const auto& p = f.points.front();
  EXPECT_NEAR(p.output_tok_s, 1.0 / p.step_s, 1e-9);
}

}  // namespace
}  // namespace tokenmath::perf
