// `tokenmath models` and `tokenmath model` end to end.
#include <filesystem>
#include <set>
#include <sstream>
#include <vector>
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

// The models list names every shipped config (data/models/*.json) once, with derived numbers that make sense:
// layers and parameters positive, active <= total (equal for dense), KV bytes positive, a source.
TEST(CatalogCli, ModelsTableAndCsv) {
  const auto t = run_cli("models");
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_THAT(t.out, HasSubstr("deepseek-v3"));
  const auto c = run_cli("models --format csv");
  ASSERT_EQ(c.exit_code, 0);
  std::istringstream in(c.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("id,name,type,layers,total_params_b,active_params_b,kv_bytes_per_token_bf16,max_context_tokens,source", 0), 0u);
  std::set<std::string> ids;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // The first eight fields hold no commas (the source, last, may be quoted).
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (int i = 0; i < 8; ++i) {
      const std::size_t next = line.find(',', pos);
      ASSERT_NE(next, std::string::npos) << line;
      f.push_back(line.substr(pos, next - pos));
      pos = next + 1;
    }
    SCOPED_TRACE(f[0]);
    EXPECT_TRUE(ids.insert(f[0]).second) << "listed twice";
    EXPECT_GT(std::stoi(f[3]), 0);
    const double total = std::stod(f[4]), active = std::stod(f[5]);
    EXPECT_GT(active, 0);
    EXPECT_LE(active, total * (1 + 1e-12));
    if (f[2].rfind("dense", 0) == 0) { EXPECT_DOUBLE_EQ(active, total); }
    EXPECT_GE(std::stod(f[6]), 0);
    EXPECT_GT(std::stod(f[7]), 0);
    EXPECT_GT(line.size(), pos) << "no source";
  }
  std::set<std::string> shipped;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(TOKENMATH_SOURCE_DIR) / "data" / "models"))
    if (e.path().extension() == ".json") shipped.insert(e.path().stem().string());
  EXPECT_EQ(ids, shipped);
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
