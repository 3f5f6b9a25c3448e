// Golden report of the default scenario: a JSON summary of `tokenmath plan --format json` (the six-line
// answer, demand, every candidate's deployment, fleet and money, the tornado) compared with the approved copy in
// tests/golden/plan/default_summary.json. Any change in the perf model, cost data or planner shows up here.
// Re-approve after reviewing the diff (see tests/golden/plan/README.md):
//   TOKENMATH_UPDATE_GOLDEN=1 build/<dir>/tests/tm_plan_tests --gtest_filter='PlanGolden.*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/plan/plan.hpp"
#include "tokenmath/report/plan.hpp"

using nlohmann::json;

namespace {

json summary(const json& full) {
  json s;
  s["answer"] = full["answer"];
  s["demand"] = {{"steps_per_year", full["demand"]["steps_per_year"]},
                 {"tokens_per_year", full["demand"]["tokens_per_year"]},
                 {"peak_steps_per_s", full["demand"]["peak_steps_per_s"]},
                 {"usd_per_step", full["demand"]["usd_per_step"]}};
  s["api"] = full["api"];
  s["chosen"] = full["chosen"];
  json cands = json::array();
  for (const auto& c : full["candidates"]) {
    json x = {{"model", c["model"]}, {"system", c["system"]}, {"feasible", c["feasible"]}};
    if (c["feasible"].get<bool>()) {
      x["deployment"] = c["deployment"]["label"];
      x["concurrency"] = c["replica"]["concurrency"];
      x["steps_per_s_per_replica"] = c["replica"]["steps_per_s"];
      x["gpus"] = c["fleet"]["gpus"];
      x["annual_owned_usd"] = c["owned"]["annual_usd"];
      x["blended_usd_per_mtok"] = c["owned"]["blended_usd_per_mtok"];
      x["hybrid_best_fraction"] = c["hybrid"]["best"]["owned_fraction"];
    } else {
      x["reason"] = c["reason"];
    }
    cands.push_back(x);
  }
  s["candidates"] = cands;
  json tornado = json::array();
  for (const auto& t : full["sensitivity"]["tornado"])
    tornado.push_back(
        {{"input", t["input"]}, {"low_cost_usd", t["low_cost_usd"]}, {"high_cost_usd", t["high_cost_usd"]}});
  s["tornado"] = tornado;
  return s;
}

// Equal up to a relative 1e-6 on numbers; exact on everything else. Appends differences to `diffs`.
void compare(const json& want, const json& got, const std::string& path, std::vector<std::string>& diffs) {
  if (want.is_number() && got.is_number()) {
    const double a = want.get<double>(), b = got.get<double>();
    if (std::fabs(a - b) > 1e-6 * std::max(std::fabs(a), std::fabs(b)))
      diffs.push_back(path + ": " + want.dump() + " -> " + got.dump());
    return;
  }
  if (want.type() != got.type()) {
    diffs.push_back(path + ": " + want.dump() + " -> " + got.dump());
    return;
  }
  if (want.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it)
      compare(it.value(), got.contains(it.key()) ? got[it.key()] : json(), path + "/" + it.key(), diffs);
    for (auto it = got.begin(); it != got.end(); ++it)
      if (!want.contains(it.key())) diffs.push_back(path + "/" + it.key() + ": new");
  } else if (want.is_array()) {
    if (want.size() != got.size())
      diffs.push_back(path + ": " + std::to_string(want.size()) + " items -> " + std::to_string(got.size()));
    for (std::size_t i = 0; i < std::min(want.size(), got.size()); ++i)
      compare(want[i], got[i], path + "/" + std::to_string(i), diffs);
  } else if (want != got) {
    diffs.push_back(path + ": " + want.dump() + " -> " + got.dump());
  }
}

}  // namespace

TEST(PlanGolden, DefaultScenarioMatchesApprovedSummary) {
  const std::string golden = std::string(TOKENMATH_SOURCE_DIR) + "/tests/golden/plan/default_summary.json";
  const json got =
      summary(tokenmath::report::plan_json(tokenmath::plan::run_plan(::tokenmath::test::shipped(), tokenmath::plan::default_scenario(::tokenmath::test::shipped()))));
  if (const char* u = std::getenv("TOKENMATH_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream(golden) << got.dump(2) << "\n";
    GTEST_SKIP() << "wrote " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in) << "missing " << golden << "; create it with TOKENMATH_UPDATE_GOLDEN=1";
  const json want = json::parse(in);
  std::vector<std::string> diffs;
  compare(want, got, "", diffs);
  std::string text;
  for (std::size_t i = 0; i < diffs.size() && i < 40; ++i) text += "  " + diffs[i] + "\n";
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences from the approved golden report:\n"
                             << text
                             << "If intended, re-approve: TOKENMATH_UPDATE_GOLDEN=1 <build>/tests/tm_plan_tests "
                                "--gtest_filter='PlanGolden.*'";
}
