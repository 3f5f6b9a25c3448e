// Exports of a plan: LiteLLM price entries at the owned cost, and the chosen deployment's launch files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "shipped.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/step.hpp"
#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/scenario.hpp"
#include "tokenmath/report/export.hpp"

namespace tokenmath::plan {
namespace {

PlanResult small_plan(const std::string& systems) {
  const Scenario s = parse_scenario("candidates:\n  models: [gpt-oss-120b, llama-3.3-70b]\n  systems: [" + systems +
                                        "]\n  hosted_api_models: []\n",
                                    "export.yaml", default_scenario(test::shipped()));
  return run_plan(test::shipped(), s);
}

TEST(ExportLitellm, EntriesPriceEachModelAtItsOwnedCost) {
  const PlanResult r = small_plan("hgx-h200");
  const auto j = nlohmann::json::parse(report::litellm_export(r));
  ASSERT_TRUE(j.contains("self-hosted/gpt-oss-120b")) << j.dump(2);
  const auto& e = j.at("self-hosted/gpt-oss-120b");
  const Candidate* best = nullptr;
  for (const auto& c : r.candidates)
    if (c.feasible && c.model_id == "gpt-oss-120b") {
      best = &c;
      break;
    }
  ASSERT_NE(best, nullptr);
  EXPECT_DOUBLE_EQ(e.at("input_cost_per_token").get<double>(), best->owned_prices.fresh_input_usd_per_mtok / 1e6);
  EXPECT_DOUBLE_EQ(e.at("cache_read_input_token_cost").get<double>(), best->owned_prices.cached_input_usd_per_mtok / 1e6);
  EXPECT_DOUBLE_EQ(e.at("output_cost_per_token").get<double>(), best->owned_prices.output_usd_per_mtok / 1e6);
  EXPECT_EQ(e.at("max_input_tokens").get<long long>(), 131072);
  EXPECT_EQ(e.at("mode"), "chat");
  EXPECT_GT(e.at("output_cost_per_token").get<double>(), e.at("input_cost_per_token").get<double>());
}

TEST(ExportDeploy, WritesTheChosenDeploymentForEachEngine) {
  const PlanResult r = small_plan("hgx-h200");
  ASSERT_NE(r.best(), nullptr);
  const auto& d = r.best()->replica.deployment;
  for (const std::string engine : {"vllm", "sglang", "trtllm"}) {
    const auto files = report::deploy_export(r, engine);
    std::string launch, k8s;
    for (const auto& [name, text] : files) {
      if (name == "launch.sh") launch = text;
      if (name == "k8s.yaml") k8s = text;
    }
    EXPECT_NE(launch.find(d.model->hf_repo), std::string::npos) << engine << "\n" << launch;
    EXPECT_NE(launch.find(std::to_string(d.tp)), std::string::npos) << launch;
    EXPECT_NE(k8s.find("replicas: " + std::to_string(r.best()->replicas)), std::string::npos) << k8s;
    EXPECT_NE(k8s.find("nvidia.com/gpu: " + std::to_string(d.tp * d.pp)), std::string::npos) << k8s;
    EXPECT_EQ(files.size(), engine == "trtllm" ? 4u : 3u);
  }
  EXPECT_THROW(report::deploy_export(r, "tgi"), InputError);
}

// The same planned KV pool in each engine's terms: TensorRT-LLM's flag is a share of the memory the weights and
// activations leave, vLLM's --gpu-memory-utilization and SGLang's --mem-fraction-static of all of it.
TEST(ExportDeploy, MemoryFlagsGiveThePlannedPoolInEachEnginesTerms) {
  const PlanResult r = small_plan("hgx-h200");
  ASSERT_NE(r.best(), nullptr);
  const auto flag = [&](const std::string& engine, const std::string& name) {
    for (const auto& [file, text] : report::deploy_export(r, engine))
      if (file == "launch.sh" && text.find(name) != std::string::npos)
        return std::stod(text.substr(text.find(name) + name.size()));
    ADD_FAILURE() << name;
    return 0.0;
  };
  const double trt = flag("trtllm", "--kv_cache_free_gpu_memory_fraction ");
  const double vllm = flag("vllm", "--gpu-memory-utilization ");
  const double sglang = flag("sglang", "--mem-fraction-static ");
  const auto& rep = r.best()->replica;
  EXPECT_DOUBLE_EQ(trt, rep.deployment.knobs.kv_mem_fraction);
  EXPECT_DOUBLE_EQ(vllm, sglang);
  const perf::MemoryPlan mem = perf::plan_memory(rep.deployment, rep.efficiency);
  const double hbm = rep.deployment.gpu.mem_gb * rep.efficiency.hbm_bytes_per_gb;
  const double rest = mem.weight_bytes_per_gpu + mem.activation_bytes_per_gpu + mem.reserve_bytes_per_gpu;
  EXPECT_NEAR(vllm * hbm - rest, mem.kv_bytes_per_gpu, 0.0005 * hbm);  // printed to 3 decimals
  EXPECT_GT(vllm, trt);  // weights and activations are inside vLLM's share
}

TEST(ExportDeploy, ConfiguresTheHostKvTierOnlyWhenThePlanServesHitsFromIt) {
  for (const std::string fraction : {"0.5", "0"}) {
    const Scenario s = parse_scenario("candidates:\n  models: [gpt-oss-120b]\n  systems: [hgx-h100]\n"
                                      "  hosted_api_models: []\nowned:\n  host_kv_fraction: " + fraction + "\n",
                                      "export.yaml", default_scenario(test::shipped()));
    const PlanResult r = run_plan(test::shipped(), s);
    ASSERT_NE(r.best(), nullptr);
    const bool tier = r.best()->replica.best.host_hit_tokens > 0;
    EXPECT_EQ(tier, fraction == "0.5");  // an H100's 80 GB leave little room; half its 256 GB of host memory is more
    const auto text = [&](const std::string& engine, const std::string& file) {
      for (const auto& [name, t] : report::deploy_export(r, engine))
        if (name == file) return t;
      return std::string();
    };
    EXPECT_EQ(text("vllm", "launch.sh").find("--kv-offloading-size") != std::string::npos, tier);
    EXPECT_EQ(text("sglang", "launch.sh").find("--hicache-size 128 --hicache-write-policy write_through") != std::string::npos,
              tier);
    EXPECT_EQ(text("trtllm", "extra_llm_api_options.yaml").find("host_cache_size: 128000000000") != std::string::npos,
              tier);
  }
}

TEST(ExportDeploy, TensorRtLlmIsRefusedForAnAmdPlan) {
  const PlanResult r = small_plan("mi355x-8gpu");
  ASSERT_NE(r.best(), nullptr);
  EXPECT_THROW(report::deploy_export(r, "trtllm"), InputError);
  const auto files = report::deploy_export(r, "vllm");
  EXPECT_NE(files.at(1).second.find("amd.com/gpu"), std::string::npos);
}

}  // namespace
}  // namespace tokenmath::plan
