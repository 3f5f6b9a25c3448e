// tokenmath::Context: the loaded data passed explicitly. Two contexts over different data coexist in one process,
// a bad file is named in the error, and one context is shared read-only by concurrent threads.
#include "tokenmath/context.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "shipped.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/step.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath {
namespace {

namespace fs = std::filesystem;

// A copy of the shipped data directory in a fresh temporary folder.
fs::path copy_of_data(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tokenmath_ctx_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(test::shipped().data_dir, dir, fs::copy_options::recursive);
  return dir;
}

void replace_in_file(const fs::path& p, const std::string& from, const std::string& to) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << p;
  text.replace(at, from.size(), to);
  std::ofstream(p) << text;
}

double h100_bandwidth(const Context& ctx) { return ctx.catalog.gpu("h100-sxm").mem_tb_s; }

TEST(Context, TwoContextsWithDifferentDataCoexist) {
  const fs::path dir = copy_of_data("edited");
  // An edited catalog (H100 bandwidth doubled) and an edited efficiency default.
  replace_in_file(dir / "gpus.yaml", "mem_tb_s: 3.35", "mem_tb_s: 6.7");
  const Context edited = Context::load(dir);
  const Context& shipped = test::shipped();
  EXPECT_DOUBLE_EQ(h100_bandwidth(shipped), 3.35);
  EXPECT_DOUBLE_EQ(h100_bandwidth(edited), 6.7);
  // The step model over each context sees its own GPU: decode of a memory-bound batch is faster on the edited one.
  auto decode_step = [](const Context& ctx) {
    perf::DeploymentIntent in;
    in.model = std::make_shared<const catalog::ModelSpec>(ctx.catalog.model("llama-3.1-8b"));
    in.gpu = ctx.catalog.gpu("h100-sxm");
    const perf::Deployment d = perf::make_deployment(in);
    const perf::StepModel sm(d, ctx.efficiency.for_gpu(d.gpu));
    perf::BatchSummary b;
    sm.add_decode(b, 1024, 8);
    return sm.step_s(b);
  };
  EXPECT_LT(decode_step(edited), decode_step(shipped) * 0.8);
  fs::remove_all(dir);
}

TEST(Context, ABadFileIsNamedWithItsField) {
  const fs::path dir = copy_of_data("bad");
  replace_in_file(dir / "costs.yaml", "value: 0.08", "value: -0.08");
  try {
    (void)Context::load(dir);
    ADD_FAILURE() << "a negative price loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("costs.yaml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("-0.08"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// The measured accuracy is optional data: a directory without validation/accuracy.json loads with none (perf then
// says none is shipped), and a damaged one is refused with its field like every other file.
TEST(Context, AccuracySummaryIsOptionalButNeverDamaged) {
  const fs::path dir = copy_of_data("accuracy");
  EXPECT_EQ(test::shipped().accuracy_file, "data/validation/accuracy.json");
  EXPECT_GT(test::shipped().accuracy.overall.n, 0);
  replace_in_file(dir / "validation" / "accuracy.json", "\"by_engine\"", "\"by_engines\"");
  try {
    (void)Context::load(dir);
    ADD_FAILURE() << "a summary without by_engine loaded";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "/by_engine") << e.what();
  }
  fs::remove(dir / "validation" / "accuracy.json");
  const Context none = Context::load(dir);
  EXPECT_TRUE(none.accuracy.empty());
  EXPECT_EQ(none.accuracy_file, "");
  fs::remove_all(dir);
}

TEST(Context, OneContextIsSharedByConcurrentThreads) {
  const Context& ctx = test::shipped();
  auto frontier_best = [&ctx] {
    perf::DeploymentIntent in;
    in.model = std::make_shared<const catalog::ModelSpec>(ctx.catalog.model("gpt-oss-120b"));
    in.gpu = ctx.catalog.gpu("h200-sxm");
    in.tp = 2;
    const perf::Deployment d = perf::make_deployment(in);
    return perf::frontier(perf::StepModel(d, ctx.efficiency.for_gpu(d.gpu, "vllm")), 1024, 1024).best.output_tok_s;
  };
  const double alone = frontier_best();
  std::vector<std::future<double>> runs;
  for (int i = 0; i < 8; ++i) runs.push_back(std::async(std::launch::async, frontier_best));
  for (auto& r : runs) EXPECT_DOUBLE_EQ(r.get(), alone);
  EXPECT_GT(alone, 0);
}

}  // namespace
}  // namespace tokenmath
