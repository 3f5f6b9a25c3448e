// The measured accuracy `perf` prints beside a prediction (data/validation/accuracy.json): it is the frontier
// set's own, its file is checked on load, and a prediction's note lists every scope.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/accuracy.hpp"

namespace tokenmath::perf {
namespace {

const std::string kData = std::string(TOKENMATH_SOURCE_DIR) + "/data/validation/";

void expect_same(const std::map<std::string, ErrorStats>& shipped, const std::map<std::string, ErrorStats>& fresh,
                 const char* group) {
  ASSERT_EQ(shipped.size(), fresh.size()) << group;
  for (const auto& [k, e] : fresh) {
    const auto it = shipped.find(k);
    ASSERT_NE(it, shipped.end()) << group << ": " << k << " missing from the shipped file";
    EXPECT_EQ(it->second.n, e.n) << group << ": " << k;
    EXPECT_NEAR(it->second.median_abs_error_pct, e.median_abs_error_pct, 1e-6) << group << ": " << k;
    EXPECT_NEAR(it->second.p90_abs_error_pct, e.p90_abs_error_pct, 1e-6) << group << ": " << k;
    EXPECT_NEAR(it->second.median_signed_error_pct, e.median_signed_error_pct, 1e-6) << group << ": " << k;
  }
}

// The shipped summary is what `validate` measures on the shipped frontier set today: any change to the model, the
// data or the set that moves an error fails here until the file is regenerated with
// `tokenmath validate data/validation/frontier.csv --write-accuracy data/validation/accuracy.json --force`.
TEST(Accuracy, ShippedSummaryIsTheFrontierSetsOwn) {
  const auto& ctx = test::shipped();
  ASSERT_FALSE(ctx.accuracy.empty()) << "data/validation/accuracy.json not shipped";
  EXPECT_EQ(ctx.accuracy.measured_on, "data/validation/frontier.csv");
  const auto v = validate(prepare_rows(read_published_csv(kData + "frontier.csv"), ctx.catalog, ctx.engines,
                                       ctx.speculative),
                          ctx.efficiency);
  const auto fresh = accuracy_summary(v, "data/validation/frontier.csv");
  EXPECT_EQ(ctx.accuracy.overall.n, fresh.overall.n);
  EXPECT_NEAR(ctx.accuracy.overall.median_abs_error_pct, fresh.overall.median_abs_error_pct, 1e-6);
  EXPECT_NEAR(ctx.accuracy.overall.p90_abs_error_pct, fresh.overall.p90_abs_error_pct, 1e-6);
  expect_same(ctx.accuracy.by_gpu, fresh.by_gpu, "by_gpu");
  expect_same(ctx.accuracy.by_model, fresh.by_model, "by_model");
  expect_same(ctx.accuracy.by_engine, fresh.by_engine, "by_engine");
  expect_same(ctx.accuracy.by_gpu_model, fresh.by_gpu_model, "by_gpu_model");
}

AccuracySummary two_gpus() {
  AccuracySummary s;
  s.measured_on = "x.csv";
  s.overall = {3, 20, 40, 10};
  s.by_gpu = {{"b200", {2, 30, 40, 30}}, {"h100-sxm", {1, 5, 5, -5}}};
  s.by_model = {{"deepseek-r1", {3, 20, 40, 10}}};
  s.by_engine = {{"sglang", {2, 30, 40, 30}}, {"none", {1, 5, 5, -5}}};
  s.by_gpu_model = {{gpu_model_key("b200", "deepseek-r1"), {2, 30, 40, 30}},
                    {gpu_model_key("h100-sxm", "deepseek-r1"), {1, 5, 5, -5}}};
  return s;
}

TEST(Accuracy, NoteListsEveryScopeAndKeepsTheUnmeasuredOnes) {
  const auto note = accuracy_note(two_gpus(), "f.json", "b200", "deepseek-r1", "sglang");
  ASSERT_EQ(note.lines.size(), 5u);
  EXPECT_EQ(note.lines[0].scope, "model on this GPU");
  EXPECT_EQ(note.lines[0].stats.n, 2);
  EXPECT_EQ(note.lines[1].key, "b200");
  EXPECT_DOUBLE_EQ(note.lines[1].stats.median_signed_error_pct, 30);
  EXPECT_EQ(note.lines[4].stats.n, 3);
  // An engine-less prediction reads the rows that matched no profile; a GPU nobody measured shows 0 points.
  const auto other = accuracy_note(two_gpus(), "f.json", "mi355x", "llama-3.1-8b", "");
  EXPECT_EQ(other.lines[0].stats.n, 0);
  EXPECT_EQ(other.lines[1].stats.n, 0);
  EXPECT_EQ(other.lines[2].stats.n, 0);
  EXPECT_EQ(other.lines[3].key, "none");
  EXPECT_EQ(other.lines[3].stats.n, 1);
  // No summary shipped: no lines, so the renderer says so instead of printing zeros.
  EXPECT_TRUE(accuracy_note(AccuracySummary{}, "", "b200", "deepseek-r1", "").lines.empty());
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p.string();
}

nlohmann::json valid_file() {
  const nlohmann::json stats{{"rows", 2}, {"median_abs_error_pct", 10.0}, {"p90_abs_error_pct", 20.0},
                             {"median_signed_error_pct", -3.0}};
  return {{"measured_on", "x.csv"}, {"overall", stats},
          {"by_gpu", {{"b200", stats}}}, {"by_model", {{"deepseek-r1", stats}}},
          {"by_engine", {{"sglang", stats}}}, {"by_gpu_model", {{"b200|deepseek-r1", stats}}}};
}

void expect_error(const nlohmann::json& j, const std::string& field, const std::string& value) {
  const auto path = write_temp("tm_accuracy_bad.json", j.dump());
  try {
    load_accuracy(path);
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_EQ(e.value(), value) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Accuracy, MalformedFilesNameTheFieldAndTheValue) {
  const auto ok_path = write_temp("tm_accuracy_ok.json", valid_file().dump());
  EXPECT_EQ(load_accuracy(ok_path).by_gpu.at("b200").n, 2);
  std::remove(ok_path.c_str());

  auto j = valid_file();
  j.erase("by_engine");
  expect_error(j, "/by_engine", "");
  j = valid_file();
  j["by_gpu"]["b200"]["rows"] = -1;
  expect_error(j, "/by_gpu/b200/rows", "-1");
  j = valid_file();
  j["by_model"]["deepseek-r1"]["p90_abs_error_pct"] = "high";
  expect_error(j, "/by_model/deepseek-r1/p90_abs_error_pct", "\"high\"");
  j = valid_file();
  j["overall"]["median_abs_error_pct"] = -1.5;
  expect_error(j, "/overall/median_abs_error_pct", "-1.5");
  // Groups that do not add up to the whole are a hand edit or a truncated file.
  j = valid_file();
  j["by_gpu"]["h100-sxm"] = j["by_gpu"]["b200"];
  expect_error(j, "/by_gpu", "4");
  j = valid_file();
  j.erase("measured_on");
  expect_error(j, "/measured_on", "");
}

TEST(AccuracyCli, PerfPrintsTheMeasuredAccuracyOfItsGpuModelAndEngine) {
  const auto r = testing::run_cli("perf --model deepseek-r1 --gpu b200 --min-tok-s-user 50");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("measured accuracy of this prediction"), std::string::npos) << r.out;
  const auto& s = test::shipped().accuracy;
  const auto& b200 = s.by_gpu.at("b200");
  const auto gpu_line = r.out.find("\nGPU ");
  ASSERT_NE(gpu_line, std::string::npos) << r.out;
  const std::string line = r.out.substr(gpu_line + 1, r.out.find('\n', gpu_line + 1) - gpu_line - 1);
  EXPECT_NE(line.find("b200"), std::string::npos) << line;
  EXPECT_NE(line.find(" " + std::to_string(b200.n) + " "), std::string::npos) << line;
  const auto j = nlohmann::json::parse(
      testing::run_cli("perf --model deepseek-r1 --gpu b200 --min-tok-s-user 50 --format json").out);
  const auto& scopes = j.at("accuracy").at("scopes");
  ASSERT_EQ(scopes.size(), 5u);
  EXPECT_EQ(scopes[1].at("id"), "b200");
  EXPECT_EQ(scopes[1].at("stats").at("rows"), b200.n);
  EXPECT_EQ(scopes[3].at("id"), "trtllm-pytorch");  // auto on NVIDIA
}

// Comparing GPUs, each GPU gets its own lines and each engine that runs one of them is listed once.
TEST(Accuracy, CompareNoteListsEachGpuAndEachEngineOnce) {
  const auto note = accuracy_note(two_gpus(), "f.json", {{"b200", "sglang"}, {"h100-sxm", "sglang"}, {"mi355x", ""}},
                                  "deepseek-r1");
  ASSERT_EQ(note.lines.size(), 3u * 2 + 1 + 2 + 1);
  EXPECT_EQ(note.lines[2].key, "deepseek-r1 on h100-sxm");
  EXPECT_EQ(note.lines[2].stats.n, 1);
  EXPECT_EQ(note.lines[5].stats.n, 0);  // mi355x: never measured
  EXPECT_EQ(note.lines[7].key, "sglang");
  EXPECT_EQ(note.lines[8].key, "none");
  const auto r = testing::run_cli("perf --model deepseek-r1 --gpu b200,h200");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("deepseek-r1 on b200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deepseek-r1 on h200-sxm"), std::string::npos) << r.out;
}

TEST(AccuracyCli, ValidateWritesTheSummaryPerfReads) {
  const std::string out = (std::filesystem::temp_directory_path() / "tm_accuracy_written.json").string();
  std::remove(out.c_str());
  // published.csv holds saturated rows only (no tokens/s-per-user figure): nothing to write, said so, no file.
  const auto r = testing::run_cli("validate " + kData + "published.csv --write-accuracy " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no frontier point"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  std::remove(out.c_str());
  const auto w = testing::run_cli("validate " + kData + "frontier.csv --write-accuracy " + out);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const auto s = load_accuracy(out);
  EXPECT_EQ(s.overall.n, test::shipped().accuracy.overall.n);
  // An existing file is kept unless --force.
  EXPECT_NE(testing::run_cli("validate " + kData + "frontier.csv --write-accuracy " + out).exit_code, 0);
  EXPECT_EQ(testing::run_cli("validate " + kData + "frontier.csv --write-accuracy " + out + " --force").exit_code, 0);
  std::remove(out.c_str());
}

}  // namespace
}  // namespace tokenmath::perf
