// Names as published sources print them resolve to catalog models.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"

using tokenmath::catalog::Catalog;

TEST(ResolveModel, PublishedNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Llama-3.1-8B-Instruct", "llama-3.1-8b"},
      {"Llama-3.1-70B-Instruct", "llama-3.1-70b"},
      {"Llama-3.3-70B-Instruct", "llama-3.3-70b-instruct"},
      {"Llama-3.1-405B-Instruct", "llama-3.1-405b"},
      {"meta-llama/Llama-3.1-405B-Instruct-FP8", "llama-3.1-405b"},
      {"Llama-2-7B", "llama-2-7b"},
      {"Llama-2-70B", "llama-2-70b"},
      {"Llama-2-70B (MLPerf llama2-70b-99)", "llama-2-70b"},
      {"Llama-3-8B", "llama-3-8b"},
      {"Llama-3-70B", "llama-3-70b"},
      {"Llama-4-Scout-17B-16E", "llama-4-scout-17b-16e"},
      {"Llama-4-Scout-17B-16E-Instruct", "llama-4-scout-17b-16e"},
      {"Llama-4-Maverick-17B-128E", "llama-4-maverick-17b-128e"},
      {"Mixtral-8x7B", "mixtral-8x7b"},
      {"mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b"},
      {"GPT-J-6B", "gpt-j-6b"},
      {"Falcon-180B", "falcon-180b"},
      {"DeepSeek-R1", "deepseek-r1"},
      {"DeepSeek-R1-0528", "deepseek-r1"},
      {"DeepSeek-R1 (671B)", "deepseek-r1"},
      {"DeepSeek-R1 (NVFP4)", "deepseek-r1"},
      {"DeepSeek-V3/R1 (671B)", "deepseek-r1"},
      {"Llama-2-70B (MLPerf llama2-70b, path says 99.9)", "llama-2-70b"},
      {"Llama-3.1-405B (MLPerf llama3.1-405b)", "llama-3.1-405b"},
      {"deepseek-ai/DeepSeek-V3", "deepseek-v3"},
      {"Qwen3-30B-A3B", "qwen3-30b-a3b"},
      {"Qwen3-235B-A22B", "qwen3-235b-a22b"},
      {"gpt-oss-20b", "gpt-oss-20b"},
      {"GPT-OSS-120B", "gpt-oss-120b"},
      {"  llama-3.1-70b  ", "llama-3.1-70b"},
      // quantised-checkpoint names
      {"nvidia/Llama-3.3-70B-Instruct-FP4", "llama-3.3-70b-instruct"},
      {"DeepSeek-R1-FP4", "deepseek-r1"},
      {"Llama-3.1-8B-Instruct-FP8-dynamic", "llama-3.1-8b"},
      {"Qwen3-30B-A3B-FP8", "qwen3-30b-a3b"},
      {"Mixtral-8x22B-Instruct-v0.1", "mixtral-8x22b"},
      {"amd/Llama-3.3-70B-Instruct-FP8-KV", "llama-3.3-70b-instruct"},
      {"nvidia/DeepSeek-R1-0528-FP4-v2", "deepseek-r1"},
      {"amd/DeepSeek-R1-0528-MXFP4", "deepseek-r1"},
      {"amd/DeepSeek-R1-0528-MXFP4-Preview", "deepseek-r1"},
      {"amd/Llama-3.3-70B-Instruct-MXFP4-Preview", "llama-3.3-70b-instruct"},
      {"amd/Llama-3.1-405B-Instruct-FP8-KV", "llama-3.1-405b"},
      {"RedHatAI/Qwen3-235B-A22B-FP8-dynamic", "qwen3-235b-a22b"},
  };
  const Catalog& cat = ::tokenmath::test::shipped().catalog;
  for (const auto& [name, id] : cases) {
    const auto* m = cat.resolve_model(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_EQ(m->id, id) << name;
  }
}

TEST(ResolveModel, UnknownAndAmbiguousNamesDoNotMatch) {
  const Catalog& cat = ::tokenmath::test::shipped().catalog;
  EXPECT_EQ(cat.resolve_model("llama-3.1-7b"), nullptr);
  EXPECT_EQ(cat.resolve_model("Llama"), nullptr);
  EXPECT_EQ(cat.resolve_model(""), nullptr);
  EXPECT_EQ(cat.resolve_model("(671B)"), nullptr);
}

TEST(ResolveModel, PathLoadsConfig) {
  const auto m = ::tokenmath::test::shipped().catalog.model(std::string(TOKENMATH_TEST_DATA) + "/catalog/tiny-llama.json");
  EXPECT_EQ(m.id, "tiny-llama");
}

// Every shipped model has a source, a display name, and loads with at least one layer.
TEST(ShippedCatalog, EveryModelHasSourceAndLayers) {
  const Catalog& cat = ::tokenmath::test::shipped().catalog;
  EXPECT_GE(cat.models().size(), 28u);
  for (const auto& m : cat.models()) {
    EXPECT_FALSE(m.source.empty()) << m.id;
    EXPECT_FALSE(m.display_name.empty()) << m.id;
    EXPECT_FALSE(m.layers.empty()) << m.id;
    EXPECT_GT(m.max_context, 0) << m.id;
  }
}

// Two models claiming the same name make the catalog fail to load, naming the file and the alias.
TEST(ShippedCatalog, DuplicateAliasIsRejected) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "tm_catalog_dup_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "models");
  const fs::path data = fs::path(TOKENMATH_SOURCE_DIR) / "data";
  fs::copy_file(data / "gpus.yaml", dir / "gpus.yaml");
  fs::copy_file(data / "systems.yaml", dir / "systems.yaml");
  const std::string body = R"("model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
    "num_attention_heads": 2, "num_hidden_layers": 1, "vocab_size": 10})";
  std::ofstream(dir / "models" / "a.json") << R"({"_meta": {"id": "a", "aliases": ["Shared-Name"]}, )" << body;
  std::ofstream(dir / "models" / "b.json") << R"({"_meta": {"id": "b", "aliases": ["shared-name-instruct"]}, )" << body;
  try {
    (void)Catalog::load(dir);
    ADD_FAILURE() << "duplicate alias accepted";
  } catch (const tokenmath::InputError& e) {
    EXPECT_EQ(e.file(), (dir / "models" / "b.json").string());
    EXPECT_EQ(e.field(), "/_meta/aliases");
    EXPECT_EQ(e.value(), "shared-name-instruct");
    EXPECT_NE(e.problem().find("model 'a'"), std::string::npos);
  }
  fs::remove_all(dir);
}
