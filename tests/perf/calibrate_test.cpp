// `calibrate`'s hold-out: every row predicted once by a fit that never saw it, and nothing fitted on the test
// rows leaks in through engine or accelerator-class overrides.
#include <gtest/gtest.h>

#include <algorithm>

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/validate.hpp"
#include "../support/run_cli.hpp"

namespace tokenmath::perf {
namespace {

const std::string kMini = std::string(TOKENMATH_TEST_DATA) + "/perf/mini.csv";
// The published-measurements CSV header, for tests that write their own rows.
const std::string kHeader =
    "source,url_or_repo_path,version_or_date,engine,model,precision,gpu,num_gpus,tp,pp,ep,isl,osl,"
    "concurrency_or_batch,scenario,metric,value,unit,notes\n";

TEST(Calibrate, CrossValidationPredictsEveryRowOnceWithoutLeakage) {
  const auto prepared = prepare_rows(read_published_csv(kMini), test::shipped().catalog, test::shipped().engines, test::shipped().speculative);
  const auto res = calibrate(prepared, test::shipped().efficiency, {}, true);
  ASSERT_GT(res.after_stats.n, 0);
  const auto pooled = std::find_if(res.holdout.begin(), res.holdout.end(),
                                   [](const HoldoutResult& h) { return h.fit_group.find("pooled") != std::string::npos; });
  ASSERT_NE(pooled, res.holdout.end());
  EXPECT_EQ(pooled->test_stats.n, res.after_stats.n);  // each counted row tested exactly once
  // The mini file has no PCIe/GDDR card: no fold fit may carry that class's overrides (fitted on all of
  // published.csv) into its predictions.
  for (const auto& h : res.holdout) {
    if (h.fit_group.find("(fold") == std::string::npos) continue;  // the per-fold fits, not the pooled line
    for (const auto& c : h.fitted.classes) EXPECT_NE(c.name, "pcie-gddr") << h.fit_group;
  }
}

TEST(Calibrate, LeaveOneSourceOutPredictsEachSourceFromTheOthers) {
  // Two sources of saturated rows: each is predicted by a fit on the other.
  std::string body;
  for (const char* src : {"Source A", "Source B"})
    for (const char* row : {"Llama-3.1-8B-Instruct,FP8,H100-SXM-80GB,1,1,1,,1000,1000,unbounded,offline,output_tokens_per_s_total,15220",
                            "Llama-3.1-70B-Instruct,FP8,H100-SXM-80GB,4,4,1,,1000,1000,unbounded,offline,output_tokens_per_s_total,9400"})
      body += std::string(src) + ",none,v1,\"TensorRT-LLM (trtllm-bench, PyTorch backend)\"," + row + ",tokens/s,\n";
  const std::string path = tokenmath::testing::write_temp(kHeader + body, ".csv");
  const auto prepared = prepare_rows(read_published_csv(path), test::shipped().catalog, test::shipped().engines, test::shipped().speculative);
  const auto res = calibrate(prepared, test::shipped().efficiency, {}, true);
  const auto loso = std::find_if(res.holdout.begin(), res.holdout.end(), [](const HoldoutResult& h) {
    return h.fit_group == "leave one source out, pooled";
  });
  ASSERT_NE(loso, res.holdout.end());
  EXPECT_EQ(loso->test_stats.n, res.after_stats.n);  // every counted row predicted once, by a fit without its source
  int sources = 0, tested = 0;
  for (const auto& h : res.holdout)
    if (h.fit_group.rfind("all but ", 0) == 0) {
      ++sources;
      tested += h.test_stats.n;
      EXPECT_EQ(h.fit_stats.n + h.test_stats.n, res.after_stats.n) << h.fit_group;  // the rest were fitted
    }
  EXPECT_EQ(sources, 2);
  EXPECT_EQ(tested, res.after_stats.n);
}

TEST(Calibrate, ModelFamiliesAreTheNamesBeforeTheirSizeOrVersion) {
  EXPECT_EQ(model_family("llama-3.1-8b"), "llama");
  EXPECT_EQ(model_family("llama-3.3-nemotron-super-49b-v1"), "llama");
  EXPECT_EQ(model_family("gpt-oss-120b"), "gpt-oss");
  EXPECT_EQ(model_family("qwen3-235b-a22b"), "qwen");
  EXPECT_EQ(model_family("deepseek-r1"), "deepseek");
  EXPECT_EQ(model_family("Mixtral-8x7B"), "mixtral");
  EXPECT_EQ(model_family("kimi-k2-instruct"), "kimi");
}

TEST(Calibrate, LeaveOneFamilyOutPredictsEachFamilyFromTheOthers) {
  // Two model families on two accelerator classes: each family (and each class) is predicted by a fit on the
  // other's rows only.
  std::string body;
  for (const char* gpu : {"H100-SXM-80GB", "H200-SXM-141GB"})
    for (const char* row : {"Llama-3.1-70B-Instruct,FP8,%,4,4,1,,1000,1000,unbounded,offline,output_tokens_per_s_total,9400",
                            "Mixtral-8x7B,FP8,%,2,2,1,,1000,1000,unbounded,offline,output_tokens_per_s_total,12000"}) {
      std::string r = row;
      r.replace(r.find('%'), 1, gpu);
      body += "Source A,none,v1,\"TensorRT-LLM (trtllm-bench, PyTorch backend)\"," + r + ",tokens/s,\n";
    }
  const std::string path = tokenmath::testing::write_temp(kHeader + body, ".csv");
  const auto prepared = prepare_rows(read_published_csv(path), test::shipped().catalog, test::shipped().engines, test::shipped().speculative);
  const auto res = calibrate(prepared, test::shipped().efficiency, {}, true);
  ASSERT_EQ(res.after_stats.n, 4);
  for (const std::string pooled : {"leave one model family out, pooled", "leave one accelerator class out, pooled"}) {
    const auto it = std::find_if(res.holdout.begin(), res.holdout.end(),
                                 [&](const HoldoutResult& h) { return h.fit_group == pooled; });
    ASSERT_NE(it, res.holdout.end()) << pooled;
    EXPECT_EQ(it->test_stats.n, res.after_stats.n) << pooled;  // every row predicted once, without its group
  }
  int families = 0;
  for (const auto& h : res.holdout)
    if (h.fit_group.rfind("all model families but ", 0) == 0) {
      ++families;
      EXPECT_EQ(h.fit_stats.n, 2) << h.fit_group;  // the other family's two rows
      EXPECT_EQ(h.test_stats.n, 2) << h.fit_group;
    }
  EXPECT_EQ(families, 2);
}

}  // namespace
}  // namespace tokenmath::perf
