// `tokenmath models` and `tokenmath model` end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"

using tokenmath::testing::run_cli;
using ::testing::HasSubstr;

TEST(CatalogCli, ModelsJsonListsEveryModelWithSource) {
  const auto r = run_cli("models --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j.size(), 28u);
  bool saw_70b = false;
  for (const auto& row : j) {
    EXPECT_FALSE(row["source"].get<std::string>().empty()) << row["id"];
    if (row["id"] == "llama-3.1-70b") {
      saw_70b = true;
      EXPECT_DOUBLE_EQ(row["kv_bytes_per_token_bf16"].get<double>(), 327680);
    }
  }
  EXPECT_TRUE(saw_70b);
}

TEST(CatalogCli, ModelsTableAndCsv) {
  const auto t = run_cli("models");
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_THAT(t.out, HasSubstr("deepseek-v3"));
  const auto c = run_cli("models --format csv");
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_THAT(c.out, HasSubstr("id,name,type,layers,total_params_b,active_params_b,kv_bytes_per_token_bf16"));
}

TEST(CatalogCli, ModelJsonHasDerivedNumbers) {
  const auto r = run_cli("model DeepSeek-R1 --format json --context 4096 --kv-dtype fp8 --precision nvfp4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["id"], "deepseek-r1");
  EXPECT_EQ(j["mtp_layers_excluded"], 1);
  EXPECT_THAT(j["notes"].get<std::string>(), HasSubstr("multi-token-prediction"));
  EXPECT_DOUBLE_EQ(j["kv_bytes_per_token_full_layers"].get<double>(), 35136);
  EXPECT_EQ(j["precision"], "nvfp4");
  EXPECT_DOUBLE_EQ(j["weight_gb_at_precision"].get<double>(), j["weight_gb_nvfp4"].get<double>());
  EXPECT_GT(j["gflops_per_token_attention"].get<double>(), 0);
  EXPECT_NEAR(j["params_total_b"].get<double>(), 671, 1);
}

TEST(CatalogCli, EveryShippedModelShows) {
  const auto list = nlohmann::json::parse(run_cli("models --format json").out);
  for (const auto& row : list) {
    const auto r = run_cli("model " + row["id"].get<std::string>() + " --format json");
    EXPECT_EQ(r.exit_code, 0) << row["id"] << r.err;
    const auto shown = nlohmann::json::parse(r.out);
    EXPECT_EQ(shown["id"], row["id"]);
    EXPECT_GT(shown["params_total_b"].get<double>(), 0) << row["id"];
  }
}

TEST(CatalogCli, HelpOnEachSubcommand) {
  for (const char* cmd : {"models --help", "model --help"}) {
    const auto r = run_cli(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("--format")) << cmd;
  }
  EXPECT_THAT(run_cli("model --help").out, HasSubstr("--kv-dtype"));
}
