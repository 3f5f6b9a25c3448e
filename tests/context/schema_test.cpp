// The one schema mechanism: each input's keys declared once, printed by `tokenmath schema`, and the README's
// input tables are exactly that output.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "run_cli.hpp"

namespace tokenmath {
namespace {

using testing::run_cli;
using testing::slurp;

TEST(Schema, ReadmeTablesAreTheGeneratedOnes) {
  const auto r = run_cli("schema --format md");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string readme = slurp(std::string(TOKENMATH_SOURCE_DIR) + "/README.md");
  const auto begin = readme.find("<!-- schema:begin -->\n");
  const auto end = readme.find("<!-- schema:end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string section = readme.substr(begin + 22, end - begin - 22);
  EXPECT_EQ(section, r.out) << "README input tables are stale: regenerate with `tokenmath schema --format md`";
}

TEST(Schema, EachInputListsItsKeysWithUnitsDefaultsAndRanges) {
  const auto plan = run_cli("schema plan --format csv");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("demand.engineers,number,engineers,1000,\"[1, 10000000]\""), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("cost.lifetime_years,number,years,"), std::string::npos);
  const auto sim = run_cli("schema simulate --format csv");
  EXPECT_NE(sim.out.find("deployment.scheduler,text,,decode-first,decode-first|prefill-first"), std::string::npos) << sim.out;
  const auto cost = run_cli("schema cost --format json");
  EXPECT_NE(cost.out.find("\"min_exclusive\": true"), std::string::npos);  // lifetime_years is (0, 30]
  const auto eff = run_cli("schema efficiency");
  EXPECT_NE(eff.out.find("roof_p"), std::string::npos);
}

TEST(Schema, UnknownInputIsRefusedWithASuggestion) {
  const auto r = run_cli("schema simualte");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'simulate'"), std::string::npos) << r.err;
}

// A simulation scenario key the schema does not declare is refused with a suggestion from it.
TEST(Schema, ScenarioReaderChecksKeysAgainstTheSchema) {
  const std::string path = "/tmp/tm_schema_bad_" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << "model: llama-3.1-8b\ndeployment: {gpu: h100, max_num_seq: 64}\n"
                         "workload: {arrival: {kind: poisson, rate_per_s: 1}, input_tokens: {kind: fixed, value: 100},"
                         " output_tokens: {kind: fixed, value: 10}, requests: 10}\n";
  const auto r = run_cli("simulate " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("max_num_seq"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("max_num_seqs"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tokenmath
