// `tokenmath perf`, `calibrate` and the efficiency file loader, end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::perf {
namespace {

TEST(PerfCli, FrontierJsonForOneDeployment) {
  const auto r = testing::run_cli("perf --model Llama-3.1-8B-Instruct --gpu H100-SXM-80GB --tp 1 --precision fp8 "
                                  "--isl 1000 --osl 1000 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("feasible").get<bool>());
  const auto& f = j.at("frontier");
  ASSERT_GE(f.size(), 5u);
  EXPECT_EQ(f.front().at("concurrency"), 1);
  for (const auto& p : f) {
    EXPECT_GT(p.at("output_tok_s_per_gpu").get<double>(), 0);
    EXPECT_GT(p.at("ttft_s").get<double>(), 0);
  }
  EXPECT_GE(j.at("max_throughput").at("output_tok_s").get<double>(), f.front().at("output_tok_s").get<double>());
}

// An engine brings its scheduling defaults (data/perf/engines.yaml): SGLang's 0.88 of all of the GPU's memory
// leaves a smaller KV pool than TensorRT-LLM's 0.90 of what the weights leave, and its 1,024-request cap bounds the
// frontier; the command line's knobs win over the profile's.
TEST(PerfCli, EngineProfileKnobsShapeTheKvPoolAndTheRequestCap) {
  const auto run = [](const std::string& extra) {
    const auto r = testing::run_cli("perf --model llama-3.1-8b --gpu h100-sxm --tp 1 --precision fp8 --kv-dtype fp8 "
                                    "--isl 1000 --osl 1000 --format json " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const auto trt = run("--engine trtllm-pytorch"), sg = run("--engine sglang");
  const double hbm = 80 * 1073741824.0;
  const double rest_gb = trt.at("memory").at("weight_gb_per_gpu").get<double>() +
                         trt.at("memory").at("activation_gb_per_gpu").get<double>() +
                         trt.at("memory").at("reserve_gb_per_gpu").get<double>();
  EXPECT_NEAR(trt.at("memory").at("kv_pool_gb_per_gpu").get<double>(), 0.90 * (hbm / 1e9 - rest_gb), 0.01);
  const double sg_rest_gb = sg.at("memory").at("weight_gb_per_gpu").get<double>() +
                            sg.at("memory").at("activation_gb_per_gpu").get<double>() +
                            sg.at("memory").at("reserve_gb_per_gpu").get<double>();
  EXPECT_NEAR(sg.at("memory").at("kv_pool_gb_per_gpu").get<double>(), 0.88 * hbm / 1e9 - sg_rest_gb, 0.01);
  EXPECT_LE(sg.at("max_concurrency").get<int>(), 1024);
  EXPECT_LE(run("--engine sglang --max-num-seqs 64").at("max_concurrency").get<int>(), 64);
}

TEST(PerfCli, SearchListsDeploymentsAndWritesSvg) {
  const std::string svg = "/tmp/tm_perf_test_frontier.svg";
  std::remove(svg.c_str());
  const auto r = testing::run_cli("perf --model llama-3.1-70b --gpu h100-sxm --isl 1000 --osl 1000 --svg " + svg);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("best deployments"), std::string::npos);
  EXPECT_NE(r.out.find("TP"), std::string::npos);
  const std::string s = testing::slurp(svg);
  EXPECT_NE(s.find("<svg"), std::string::npos);
  EXPECT_NE(s.find("polyline"), std::string::npos);
  // The listed deployments are the best by max tok/s/GPU, in order, each feasible with a positive frontier point,
  // TPOT = 1000 / tok/s/user, and a GPU count of a shape that fits an 8-GPU H100 node.
  const auto j = testing::run_cli("perf --model llama-3.1-70b --gpu h100-sxm --isl 1000 --osl 1000 --format json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto list = nlohmann::json::parse(j.out);
  ASSERT_EQ(list.size(), 5u);  // --top default
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& o = list[i];
    SCOPED_TRACE(o["deployment"].get<std::string>());
    EXPECT_TRUE(o["feasible"].get<bool>());
    EXPECT_GT(o["output_tok_s_per_gpu"].get<double>(), 0);
    EXPECT_GT(o["max_concurrency"].get<double>(), 0);
    EXPECT_NEAR(o["tpot_ms"].get<double>(), 1000.0 / o["tok_s_per_user"].get<double>(), 1e-6 * o["tpot_ms"].get<double>());
    const int gpus = o["gpus"].get<int>();
    EXPECT_TRUE(gpus == 1 || gpus == 2 || gpus == 4 || gpus == 8) << gpus;
    if (i > 0) {
      EXPECT_LE(o["output_tok_s_per_gpu"].get<double>(), list[i - 1]["output_tok_s_per_gpu"].get<double>() * (1 + 1e-12));
    }
  }
}

// Several accelerators: the best deployment on each, one row each in the order given, one chart series each.
TEST(PerfCli, ComparesGpusInOneTableAndChart) {
  const std::string svg = "/tmp/tm_perf_test_compare.svg";
  std::remove(svg.c_str());
  const auto r = testing::run_cli("perf --model llama-3.1-70b --gpu h100-sxm,b200,mi300x --isl 1000 --osl 1000 "
                                  "--format json --svg " + svg);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  EXPECT_EQ(rows[0].at("deployment").get<std::string>().rfind("H100", 0), 0u) << rows[0];
  EXPECT_NE(rows[2].at("deployment").get<std::string>().find("MI300X"), std::string::npos) << rows[2];
  // B200 (more bandwidth and FP4) serves more tokens per GPU than the H100 at max throughput.
  EXPECT_GT(rows[1].at("output_tok_s_per_gpu").get<double>(), rows[0].at("output_tok_s_per_gpu").get<double>());
  const std::string s = testing::slurp(svg);
  std::size_t lines = 0;
  for (std::size_t at = s.find("<polyline"); at != std::string::npos; at = s.find("<polyline", at + 1)) ++lines;
  EXPECT_EQ(lines, 3u);
  // An unknown name in the list is the usual one-line error.
  const auto bad = testing::run_cli("perf --model llama-3.1-70b --gpu h100-sxm,H1000");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("H1000"), std::string::npos) << bad.err;
}

TEST(PerfCli, InfeasibleDeploymentIsReportedNotAnError) {
  const auto r = testing::run_cli("perf --model llama-3.1-405b --gpu l40s --tp 1 --precision bf16");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("infeasible"), std::string::npos) << r.out;
}

TEST(PerfCli, UnknownGpuIsOneLineExitTwo) {
  const auto r = testing::run_cli("perf --model llama-3.1-8b --gpu H1000 --tp 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("H1000"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(PerfCli, BadEpIsRejected) {
  const auto r = testing::run_cli("perf --model qwen3-30b-a3b --gpu h100-sxm --tp 2 --ep 4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--ep"), std::string::npos) << r.err;
}

TEST(CalibrateCli, FitsOnAFileWithoutHoldout) {
  const auto r = testing::run_cli("calibrate " + std::string(TOKENMATH_TEST_DATA) + "/perf/mini.csv --no-holdout --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_LE(j.at("objective_after").get<double>(), j.at("objective_before").get<double>());
  EXPECT_FALSE(j.at("factors").empty());
}

TEST(Efficiency, UnknownKeyNamesFileAndKey) {
  const std::string path = testing::write_temp("defaults:\n  memory_bandwith: 0.8\n", ".yaml");
  try {
    load_efficiency(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.field(), "/defaults/memory_bandwith");
    EXPECT_NE(std::string(e.what()).find("memory_bw"), std::string::npos) << e.what();
  }
}

TEST(Efficiency, ClassOverridesApplyToMatchingGpus) {
  const std::string path = testing::write_temp(
      "defaults:\n  memory_bw: 0.8\nclasses:\n  - name: fast\n    match: [h200]\n    factors:\n      memory_bw: 0.9\n",
      ".yaml");
  const auto t = load_efficiency(path);
  catalog::GpuSpec h200;
  h200.id = "h200-sxm";
  catalog::GpuSpec a100;
  a100.id = "a100-sxm-80gb";
  EXPECT_DOUBLE_EQ(t.for_gpu(h200).memory_bw, 0.9);
  EXPECT_EQ(t.for_gpu(h200).gpu_class, "fast");
  EXPECT_DOUBLE_EQ(t.for_gpu(a100).memory_bw, 0.8);
}

}  // namespace
}  // namespace tokenmath::perf

namespace tokenmath::perf {
namespace {

TEST(Efficiency, EngineOverridesApplyOnlyToThatEngine) {
  const std::string path = testing::write_temp(
      "defaults:\n  seq_overhead_us: 10\nengines:\n  - name: old-engine\n    factors:\n      seq_overhead_us:\n"
      "        value: 25\n        how_obtained: test\n",
      ".yaml");
  auto t = load_efficiency(path);
  catalog::GpuSpec g;
  g.id = "h100-sxm";
  EXPECT_NEAR(t.for_gpu(g).seq_overhead_s, 10e-6, 1e-12);
  EXPECT_NEAR(t.for_gpu(g, "old-engine").seq_overhead_s, 25e-6, 1e-12);
  EXPECT_DOUBLE_EQ(t.get("old-engine/seq_overhead_us"), 25);
  EXPECT_DOUBLE_EQ(t.get("other-engine/seq_overhead_us"), 10);  // falls back to the default
  t.set("other-engine/seq_overhead_us", 40);
  EXPECT_NEAR(t.for_gpu(g, "other-engine").seq_overhead_s, 40e-6, 1e-12);
  EXPECT_THROW(t.set("old-engine/no_such_key", 1), InputError);
}

TEST(Search, FeasibleFirstAndBestPerGpuFirst) {
  const auto& cat = test::shipped().catalog;
  SearchRequest req;
  req.model = std::make_shared<const catalog::ModelSpec>(cat.model("qwen3-30b-a3b"));
  req.gpu = cat.gpu("l40s");
  req.isl = 1000;
  req.osl = 1000;
  const auto opts = search_deployments(req, test::shipped().efficiency);
  ASSERT_FALSE(opts.empty());
  bool seen_infeasible = false, seen_dep = false;
  for (std::size_t i = 0; i < opts.size(); ++i) {
    if (!opts[i].frontier.feasible) {
      seen_infeasible = true;
      EXPECT_FALSE(opts[i].frontier.reason.empty());
    } else {
      EXPECT_FALSE(seen_infeasible) << "feasible option listed after an infeasible one";
      if (i > 0 && opts[i - 1].frontier.feasible) {
        EXPECT_GE(opts[i - 1].frontier.best.output_tok_s_per_gpu, opts[i].frontier.best.output_tok_s_per_gpu);
      }
    }
    seen_dep = seen_dep || opts[i].deployment.attention_dp;
  }
  EXPECT_TRUE(seen_dep) << "MoE search should try attention-DP + EP";
  EXPECT_TRUE(seen_infeasible) << "bf16 on one 48 GB GPU cannot hold 30B parameters";
}

}  // namespace
}  // namespace tokenmath::perf

namespace tokenmath::perf {
namespace {

TEST(Efficiency, EngineOnClassOverridesApplyOnlyToThatEngineOnThatClass) {
  const std::string path = testing::write_temp(
      "defaults:\n  moe_memory_bw: 0.79\nclasses:\n  - name: bw\n    match: [b200]\nengines:\n"
      "  - name: tritonish\n    on_classes:\n      - class: bw\n        factors:\n          moe_memory_bw: 0.39\n",
      ".yaml");
  const auto t = load_efficiency(path);
  catalog::GpuSpec b200, h100;
  b200.id = "b200";
  h100.id = "h100-sxm";
  EXPECT_DOUBLE_EQ(t.for_gpu(b200, "tritonish").moe_memory_bw, 0.39);
  EXPECT_DOUBLE_EQ(t.for_gpu(b200, "other").moe_memory_bw, 0.79);
  EXPECT_DOUBLE_EQ(t.for_gpu(h100, "tritonish").moe_memory_bw, 0.79);
  // An entry naming a class that does not exist is a one-line error naming it.
  const std::string bad = testing::write_temp(
      "defaults:\n  moe_memory_bw: 0.79\nengines:\n  - name: e\n    on_classes:\n      - class: nope\n", ".yaml");
  try {
    load_efficiency(bad);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "/engines/0/on_classes/0/class");
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  // Shipped: SGLang prefills eagerly (host launch time per kernel) and its early release inherits that; the
  // CUDA-graph engines do not. No engine caps the expert-weight streaming share on Blackwell.
  const auto& ctx = test::shipped();
  const auto gb = ctx.catalog.gpu("b200");
  EXPECT_GT(ctx.efficiency.for_gpu(gb, "sglang").prefill_eager_kernel_s, 0.0);
  EXPECT_DOUBLE_EQ(ctx.efficiency.for_gpu(gb, "sglang-0.4-early").prefill_eager_kernel_s,
                   ctx.efficiency.for_gpu(gb, "sglang").prefill_eager_kernel_s);
  EXPECT_EQ(ctx.efficiency.for_gpu(gb, "vllm").prefill_eager_kernel_s, 0.0);
  EXPECT_EQ(ctx.efficiency.for_gpu(gb, "trtllm-pytorch").prefill_eager_kernel_s, 0.0);
  // ATOM prefills eagerly too (apart from decode), through compiled launchers: a few microseconds per kernel, an
  // order of magnitude below SGLang's Python model code.
  const double atom_eager = ctx.efficiency.for_gpu(ctx.catalog.gpu("mi355x"), "atom").prefill_eager_kernel_s;
  EXPECT_GT(atom_eager, 0.0);
  EXPECT_LT(atom_eager, ctx.efficiency.for_gpu(gb, "sglang").prefill_eager_kernel_s / 5);
  for (const char* engine : {"sglang", "vllm", "trtllm-pytorch"})
    EXPECT_DOUBLE_EQ(ctx.efficiency.for_gpu(gb, engine).moe_memory_bw, ctx.efficiency.defaults.moe_memory_bw) << engine;
}

TEST(Efficiency, EngineBaseStartsFromAnEarlierEngineAndItsOwnFactorsWin) {
  const std::string path = testing::write_temp(
      "defaults:\n  memory_bw: 0.87\n  host_overlap: 0\n  moe_memory_bw: 0.79\nclasses:\n  - name: amd\n"
      "    match: [mi300x]\n    factors:\n      memory_bw: 0.78\nengines:\n"
      "  - name: current\n    factors:\n      host_overlap: 1\n    on_classes:\n      - class: amd\n"
      "        factors:\n          moe_memory_bw: 0.6\n"
      "  - name: early\n    base: current\n    on_classes:\n      - class: amd\n        factors:\n"
      "          memory_bw: 0.4\n",
      ".yaml");
  const auto t = load_efficiency(path);
  catalog::GpuSpec mi, h;
  mi.id = "mi300x";
  h.id = "h100-sxm";
  // Elsewhere the early release is its base: the base's own factors, nothing of its own.
  EXPECT_DOUBLE_EQ(t.for_gpu(h, "early").host_overlap, 1.0);
  EXPECT_DOUBLE_EQ(t.for_gpu(h, "early").memory_bw, 0.87);
  // On its class: the base's class override carries over, its own class override wins over the class's share.
  EXPECT_DOUBLE_EQ(t.for_gpu(mi, "early").moe_memory_bw, 0.6);
  EXPECT_DOUBLE_EQ(t.for_gpu(mi, "early").memory_bw, 0.4);
  EXPECT_DOUBLE_EQ(t.for_gpu(mi, "current").memory_bw, 0.78);
  // get() reads an unset key through the base.
  EXPECT_DOUBLE_EQ(t.get("early/host_overlap"), 1.0);
  // A base that is not an earlier engine entry is a one-line error naming it.
  const std::string bad = testing::write_temp(
      "defaults:\n  memory_bw: 0.87\nengines:\n  - name: early\n    base: later\n  - name: later\n", ".yaml");
  try {
    load_efficiency(bad);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "/engines/0/base");
    EXPECT_NE(std::string(e.what()).find("later"), std::string::npos) << e.what();
  }
  // Shipped: early-2025 SGLang is current SGLang on NVIDIA except for its DeepSeek-kernel factors (a per-MLA-layer
  // floor, which holds its router's cost, the Triton block-FP8 GEMM rate and the Triton extend attention, at the ROCm ratio); on MI300X its pre-AITER Triton kernels for DeepSeek's
  // block-scaled FP8 linears, experts and MLA decode run at AMD's stated fractions of AITER (whose kernels get the
  // CUDA shares, as for `atom`) for prefill; its generic shares stay the amd-instinct class's.
  const auto& ctx = test::shipped();
  const auto h200 = ctx.catalog.gpu("h200-sxm"), mi300 = ctx.catalog.gpu("mi300x");
  for (const auto& key : Efficiency::keys()) {
    if (key == "mla_layer_fixed_us" || key == "block_fp8_compute" || key == "mla_attention_compute" ||
        key == "block_fp8_gemm_tile_n" || key == "grouped_router_fallback_us" || key == "piecewise_prefill_launch_share")
      continue;
    EXPECT_DOUBLE_EQ(ctx.efficiency.for_gpu(h200, "sglang-0.4-early").get(key),
                     ctx.efficiency.for_gpu(h200, "sglang").get(key)) << key;
  }
  EXPECT_GT(ctx.efficiency.for_gpu(h200, "sglang-0.4-early").mla_layer_fixed_s, 0.0);
  EXPECT_DOUBLE_EQ(ctx.efficiency.for_gpu(h200, "sglang-0.4-early").mla_attention_compute,
                   ctx.efficiency.for_gpu(mi300, "sglang-0.4-early").mla_attention_compute);
  EXPECT_EQ(ctx.efficiency.for_gpu(h200, "sglang").mla_layer_fixed_s, 0.0);
  // Its Triton GEMMs' small-batch time is inside that floor: no DeepGEMM tile rate (which came with SGLang 0.4.5).
  EXPECT_EQ(ctx.efficiency.for_gpu(h200, "sglang-0.4-early").block_fp8_gemm_tile_n, 0.0);
  EXPECT_GT(ctx.efficiency.for_gpu(h200, "sglang").block_fp8_gemm_tile_n, 0.0);
  const Efficiency atom = ctx.efficiency.for_gpu(mi300, "atom"), early = ctx.efficiency.for_gpu(mi300, "sglang-0.4-early");
  // Decode streams at AITER's shares plus the per-layer floor; prefill reproduces AMD's measured one (ROCm blog
  // 2025-05-16: SGLang v0.4.4 without AITER, DeepSeek-R1 FP8 TP8 on 8xMI300X, 64 x 512 tokens in 3.127 s) and is
  // slower than with AITER's kernels.
  EXPECT_NEAR(early.block_fp8_memory_bw, atom.memory_bw, 1e-3);
  EXPECT_NEAR(early.block_fp8_moe_memory_bw, atom.moe_memory_bw, 1e-3);
  EXPECT_NEAR(early.mla_attention_memory_bw, atom.attention_memory_bw, 1e-3);
  EXPECT_LT(early.block_fp8_compute, atom.compute_fp8 / 2);
  Deployment d;
  d.model = std::make_shared<const catalog::ModelSpec>(ctx.catalog.model("deepseek-r1"));
  d.gpu = mi300;
  d.tp = 8;
  d.weight_precision = d.activation_precision = catalog::Precision::fp8;
  d.kv_precision = catalog::Precision::bf16;
  const StepModel pre_aiter(d, early);
  BatchSummary b;
  for (int i = 0; i < 64; ++i) pre_aiter.add_prefill(b, 0, 512);
  EXPECT_NEAR(pre_aiter.step(b).total_s, 3.127, 0.05 * 3.127);
  EXPECT_LT(StepModel(d, ctx.efficiency.for_gpu(mi300, "sglang")).step(b).total_s, pre_aiter.step(b).total_s / 2);
  EXPECT_DOUBLE_EQ(early.mla_layer_fixed_s, ctx.efficiency.for_gpu(h200, "sglang-0.4-early").mla_layer_fixed_s);
  EXPECT_DOUBLE_EQ(early.memory_bw, ctx.efficiency.for_gpu(mi300, "sglang").memory_bw);
  EXPECT_DOUBLE_EQ(early.host_overlap, 1.0);
  // vLLM 0.7 ran the experts of block-FP8 checkpoints through the same Triton fused_moe kernel family as early-2025
  // SGLang (sglang PR #3893: vLLM's and SGLang's Triton block-FP8 GEMMs within 1% of each other at m=4096): on the
  // H200 both prefill expert GEMMs at the same share of the FP8 peak, though vLLM's dense linears (CUTLASS) are faster.
  const Efficiency v07 = ctx.efficiency.for_gpu(h200, "vllm-0.7"), s04 = ctx.efficiency.for_gpu(h200, "sglang-0.4-early");
  const auto moe_share = [](const Efficiency& e) {
    const double dense = e.block_fp8_compute > 0 ? e.block_fp8_compute : e.compute_fp8;
    return dense * (e.block_fp8_moe_compute > 0 ? e.block_fp8_moe_compute : e.compute_moe_lowp);
  };
  EXPECT_NEAR(moe_share(v07), moe_share(s04), 0.005);
  EXPECT_NEAR(moe_share(s04), 0.82 * 0.18, 0.005);
  EXPECT_EQ(v07.block_fp8_compute, 0.0);  // dense block-FP8 GEMMs at compute_fp8
  EXPECT_GT(v07.compute_fp8, 2 * s04.block_fp8_compute);
}

}  // namespace
}  // namespace tokenmath::perf
