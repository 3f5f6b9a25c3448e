// Each kind of bad model input gives one InputError naming the file, the JSON pointer and the value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"

using namespace tokenmath;
using namespace tokenmath::catalog;
using ::testing::HasSubstr;

namespace {
std::string test_data(const std::string& name) { return std::string(TOKENMATH_TEST_DATA) + "/catalog/" + name; }

// Runs `f`, expects an InputError and returns it.
template <typename F>
InputError expect_input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError thrown";
  return InputError("", "", "", "");
}
}  // namespace

TEST(ModelErrors, MissingFile) {
  const auto e = expect_input_error([] { load_model_config("/nonexistent/config.json"); });
  EXPECT_EQ(std::string(e.what()), "/nonexistent/config.json: file not found");
}

TEST(ModelErrors, InvalidJsonReportsByteOffset) {
  const auto path = test_data("invalid-json.json");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(e.file(), path);
  // The second comma of line 3 is the 47th byte of the file (1-based, as nlohmann counts).
  EXPECT_THAT(e.what(), HasSubstr("invalid JSON at byte 47"));
  EXPECT_THAT(e.what(), HasSubstr("line 3"));
}

TEST(ModelErrors, WrongType) {
  const auto path = test_data("wrong-type.json");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(std::string(e.what()), path + ": /num_attention_heads: value 'two': expected an integer, got string");
}

TEST(ModelErrors, ZeroDimension) {
  const auto path = test_data("zero-dim.json");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(std::string(e.what()), path + ": /num_hidden_layers: value '0': must be a positive integer");
}

TEST(ModelErrors, NegativeDimension) {
  const auto path = test_data("negative-dim.json");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(e.field(), "/num_key_value_heads");
  EXPECT_EQ(e.value(), "-8");
  EXPECT_EQ(e.problem(), "must be a positive integer");
}

TEST(ModelErrors, UnknownModelTypeNamesItAndSuggests) {
  const auto path = test_data("unknown-type.json");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(e.field(), "/model_type");
  EXPECT_EQ(e.value(), "lama");
  EXPECT_THAT(e.problem(), HasSubstr("unsupported architecture"));
  EXPECT_THAT(e.problem(), HasSubstr("did you mean 'llama'"));
}

TEST(ModelErrors, MissingRequiredFieldNamesModelType) {
  const auto path = test_data("missing-field.json");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(std::string(e.what()), path + ": /kv_lora_rank: missing required field for model_type 'deepseek_v3'");
}

TEST(ModelErrors, NestedPointerForPerLayerConfigs) {
  const auto path = tokenmath::testing::write_temp(R"({"model_type": "nemotron-nas", "hidden_size": 64, "num_attention_heads": 4,
    "num_hidden_layers": 2, "vocab_size": 10, "block_configs": [
      {"attention": {"n_heads_in_group": 2}, "ffn": {"ffn_mult": 1.0}},
      {"attention": {"n_heads_in_group": 3}, "ffn": {"ffn_mult": 1.0}}]})");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(e.field(), "/block_configs/1/attention/n_heads_in_group");
  EXPECT_EQ(e.value(), "3");
  EXPECT_THAT(e.problem(), HasSubstr("must divide num_attention_heads (4)"));
  std::remove(path.c_str());
}

TEST(ModelErrors, RouterGroupsMustDivideTheExperts) {
  const auto path = tokenmath::testing::write_temp(R"({"model_type": "glm4_moe", "hidden_size": 64, "num_attention_heads": 4,
    "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 10, "intermediate_size": 128,
    "n_routed_experts": 10, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "n_group": 4})");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(e.field(), "/n_group");
  EXPECT_EQ(e.value(), "4");
  EXPECT_THAT(e.problem(), HasSubstr("does not divide the number of routed experts (10)"));
  std::remove(path.c_str());
}

TEST(ModelErrors, NestedTextConfigPointer) {
  const auto path = tokenmath::testing::write_temp(R"({"model_type": "llama4", "text_config": {"hidden_size": 64,
    "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "num_local_experts": 4,
    "num_experts_per_tok": 8, "intermediate_size": 32}})");
  const auto e = expect_input_error([&] { load_model_config(path); });
  EXPECT_EQ(e.field(), "/text_config/num_experts_per_tok");
  EXPECT_THAT(e.problem(), HasSubstr("exceeds the number of routed experts (4)"));
  std::remove(path.c_str());
}

TEST(ModelErrors, UnknownIdSuggestsClosest) {
  const auto e = expect_input_error([] { test::shipped().catalog.model("llama-3.1-7b"); });
  EXPECT_EQ(e.value(), "llama-3.1-7b");
  EXPECT_THAT(e.problem(), HasSubstr("unknown model"));
  EXPECT_THAT(e.problem(), HasSubstr("did you mean 'llama-3.1-70b'"));
}

TEST(ModelErrors, CliPrintsOneLineAndExits2) {
  for (const std::string& args : std::vector<std::string>{"model llama-3.1-7b", "model " + test_data("wrong-type.json"),
                                 "model " + test_data("invalid-json.json"), "model /nonexistent/config.json",
                                 "model llama-3.1-8b --precision fp5", "model llama-3.1-8b --context 0"}) {
    const auto r = tokenmath::testing::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("tokenmath: error: ")) << args;
    EXPECT_EQ(r.out, "") << args;
  }
  const auto r = tokenmath::testing::run_cli("model " + test_data("zero-dim.json"));
  EXPECT_THAT(r.err, HasSubstr("/num_hidden_layers: value '0': must be a positive integer"));
}

// Robustness: corrupting any top-level numeric field of any shipped config (wrong type, negative, huge)
// either still loads (the field is not used) or raises an InputError that names exactly that field - never
// another exception or a crash (run under ASan/UBSan in CI).
TEST(ModelErrors, CorruptedShippedConfigsFailCleanly) {
  namespace fs = std::filesystem;
  const fs::path models = fs::path(TOKENMATH_SOURCE_DIR) / "data" / "models";
  int checked = 0, rejected = 0;
  for (const auto& entry : fs::directory_iterator(models)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Python's Infinity literal (Nemotron-H) is not JSON; the loader maps it to null, so does this test.
    for (auto pos = text.find("Infinity"); pos != std::string::npos; pos = text.find("Infinity"))
      text.replace(pos, 8, "null");
    const auto original = nlohmann::json::parse(text);
    for (const auto& [key, value] : original.items()) {
      if (!value.is_number()) continue;
      for (const nlohmann::json& bad : {nlohmann::json("x"), nlohmann::json(-3), nlohmann::json(1e12)}) {
        auto corrupted = original;
        corrupted[key] = bad;
        const auto path = tokenmath::testing::write_temp(corrupted.dump());
        try {
          const auto m = load_model_config(path);
          (void)count_params(m);
          (void)kv_bytes_per_token(m, Precision::bf16, 1000);
        } catch (const InputError& e) {
          EXPECT_EQ(e.field(), "/" + key) << entry.path() << ": " << e.what();
          ++rejected;
        } catch (const std::exception& e) {
          ADD_FAILURE() << entry.path() << " /" << key << " = " << bad.dump() << ": " << e.what();
        }
        std::remove(path.c_str());
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 500);
  EXPECT_GT(rejected, 300);
}
