// Hostile input (issue 10): each case is an input a hostile or careless user gives, with the exit code and a
// message fragment expected. None may crash, hang or be accepted as nonsense. Runs the CLI binary (ctest runs
// this suite under ASan/UBSan too with `./test.sh dev`).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "run_cli.hpp"

namespace tokenmath {
namespace {

using testing::run_cli;

std::string temp_file(const std::string& text, const std::string& suffix) {
  static int n = 0;
  const std::string path = "/tmp/tm_hostile_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + suffix;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const std::string kSim = "model: llama-3.1-8b\ndeployment: {gpu: h100}\nworkload: {arrival: {kind: poisson, "
                         "rate_per_s: 1}, input_tokens: {kind: fixed, value: 100}, output_tokens: {kind: fixed, "
                         "value: 10}, requests: 20}\n";

struct Case {
  std::string name, args, fragment;
};

void expect_refused(const Case& c) {
  const auto r = run_cli(c.args);
  EXPECT_EQ(r.exit_code, 2) << c.name << ": " << c.args << "\n" << r.err;
  EXPECT_NE(r.err.find(c.fragment), std::string::npos) << c.name << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": one line expected\n" << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << c.name << ": " << r.err;
}

TEST(Hostile, FilesThatAreNotDataFiles) {
  const std::string fifo = "/tmp/tm_hostile_fifo_" + std::to_string(::getpid());
  ::mkfifo(fifo.c_str(), 0600);
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  const std::string deep_json = temp_file(deep, ".json");
  const std::string deep_yaml = temp_file("demand: " + deep + "\n", ".yaml");
  for (const auto& c : std::vector<Case>{
           {"fifo scenario", "simulate " + fifo, "not a regular file"},
           {"fifo plan", "plan " + fifo, "not a regular file"},
           {"directory as price list", "prices --file /tmp", "is a directory"},
           {"1e5-deep JSON config", "model " + deep_json, "nested deeper than"},
           {"1e5-deep JSON prices", "prices --file " + deep_json, "nested deeper than"},
           {"1e5-deep YAML plan", "plan " + deep_yaml, "nested deeper than"},
       })
    expect_refused(c);
  std::remove(fifo.c_str());
}

TEST(Hostile, NumbersOutOfRange) {
  const std::string sim = temp_file(kSim, ".yaml");
  auto scenario = [&](const std::string& extra) { return temp_file(kSim + extra, ".yaml"); };
  std::ifstream base(std::string(TOKENMATH_SOURCE_DIR) + "/data/models/llama-3.1-8b.json");
  auto config = nlohmann::json::parse(base);
  config["num_hidden_layers"] = 2147483647;
  const std::string layers = temp_file(config.dump(), ".json");
  for (const auto& c : std::vector<Case>{
           {"seed -1", "simulate " + sim + " --seed -1", "--seed"},
           {"requests -5", "simulate " + sim + " --requests -5", "--requests"},
           {"max-num-seqs 0", "perf --model llama-3.1-8b --gpu h100 --max-num-seqs 0", "--max-num-seqs"},
           {"kv fraction negative", "perf --model llama-3.1-8b --gpu h100 --kv-mem-fraction -0.5", "--kv-mem-fraction"},
           {"context inf", "model llama-3.1-8b --context inf", "--context"},
           {"osl tiny", "perf --model llama-3.1-8b --gpu h100 --osl 1e-300", "--osl"},
           {"isl nan", "perf --model llama-3.1-8b --gpu h100 --isl nan", "--isl"},
           {"2^31 layers", "model " + layers, "implausibly large"},
           {"replicas 2^32+1", "simulate " + scenario("cluster: {replicas: 4294967297}\n"), "must be <="},
           {"requests 1e300", "simulate " + temp_file(kSim.substr(0, kSim.size() - 15) + "requests: 1e300}\n", ".yaml"),
            "must be <="},
           {"max_num_seqs 3e9", "simulate " + temp_file("model: llama-3.1-8b\ndeployment: {gpu: h100, max_num_seqs: 3e9}\n"
                                                        "workload: {arrival: {kind: poisson, rate_per_s: 1}, input_tokens:"
                                                        " {kind: fixed, value: 100}, output_tokens: {kind: fixed, value: 10},"
                                                        " requests: 20}\n", ".yaml"),
            "whole number in"},
       })
    expect_refused(c);
}

TEST(Hostile, DuplicateKeysAndBadText) {
  for (const auto& c : std::vector<Case>{
           {"duplicate plan key", "plan " + temp_file("demand:\n  engineers: 10\n  engineers: 20\n", ".yaml"),
            "duplicate key"},
           {"duplicate scenario key", "simulate " + temp_file("model: a\n" + kSim, ".yaml"), "duplicate key"},
           {"duplicate JSON key", "model " + temp_file(R"({"model_type": "llama", "hidden_size": 1, "hidden_size": 2})", ".json"),
            "duplicate key"},
       })
    expect_refused(c);
  // A UTF-8 byte-order mark is accepted the same way by every reader.
  const auto bom = run_cli("plan " + temp_file("\xEF\xBB\xBF" "demand:\n  engineers: 10\n", ".yaml") + " --format json");
  EXPECT_EQ(bom.exit_code, 0) << bom.err;
  // Invalid UTF-8 in a name reaches JSON output replaced, not as a crash.
  const auto utf = run_cli("simulate " + temp_file("name: \"bad\xff\"\n" + kSim, ".yaml") + " --format json");
  EXPECT_EQ(utf.exit_code, 0) << utf.err;
  EXPECT_TRUE(nlohmann::json::accept(utf.out)) << utf.out.substr(0, 200);
}

TEST(Hostile, ImpossibleLayoutsAreInfeasible) {
  const auto tp = run_cli("perf --model llama-3.1-8b --gpu h100 --tp 1000");
  EXPECT_NE(tp.out.find("infeasible: TP1000 shards attention over more ranks than the model's 32 heads"),
            std::string::npos) << tp.out;
  const auto pp = run_cli("perf --model llama-3.1-8b --gpu h100 --tp 1 --pp 1000");
  EXPECT_NE(pp.out.find("more pipeline stages than the model's 32 layers"), std::string::npos) << pp.out;
}

// Every number in every command's JSON output is finite (no NaN/inf smuggled as null where a number belongs).
void expect_finite(const nlohmann::json& j, const std::string& where) {
  if (j.is_number_float()) {
    EXPECT_TRUE(std::isfinite(j.get<double>())) << where;
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) expect_finite(v, where + "/" + k);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) expect_finite(j[i], where + "/" + std::to_string(i));
  }
}

TEST(Hostile, JsonOutputsHoldOnlyFiniteNumbers) {
  for (const std::string args :
       {"plan --format json", "perf --model gpt-oss-120b --gpu h200 --format json",
        "perf --model deepseek-r1 --gpu b200 --min-tok-s-user 50 --format json", "models --format json",
        "gpus --format json", "cost --format json", "schema --format json", "export litellm"}) {
    const auto r = run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << args << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    expect_finite(j, args);
  }
}

}  // namespace
// SIGINT ends a long simulation with its partial summary (exit 130), not with nothing.
TEST(Hostile, InterruptedSimulationPrintsItsPartialSummary) {
  const std::string sc = temp_file("model: llama-3.1-8b\ndeployment: {gpu: h100}\nworkload: {arrival: {kind: poisson, "
                                   "rate_per_s: 50}, input_tokens: {kind: fixed, value: 1000}, output_tokens: {kind: "
                                   "fixed, value: 200}, requests: 20000000}\n",
                                   ".yaml");
  const std::string out = sc + ".json";
  const std::string cmd = std::string(TOKENMATH_BIN) + " simulate " + sc + " --format json >" + out +
                          " 2>/dev/null & pid=$!; sleep 2; kill -INT $pid; wait $pid; exit $?";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto j = nlohmann::json::parse(testing::slurp(out));
  EXPECT_TRUE(j.at("interrupted").get<bool>());
  EXPECT_GT(j.at("summary").at("requests_finished").get<double>(), 0);
}

}  // namespace tokenmath
