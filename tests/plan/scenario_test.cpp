#include "shipped.hpp"
#include "tokenmath/plan/scenario.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "run_cli.hpp"
#include "tokenmath/common/error.hpp"

using namespace tokenmath;
using namespace tokenmath::plan;

namespace {
// Expects parse_scenario(text) to throw an InputError naming `file`, `key`, and containing `value`/`problem`.
void expect_error(const std::string& text, const std::string& key, const std::string& value,
                  const std::string& problem_part) {
  try {
    parse_scenario(text, "my.yaml", default_scenario(test::shipped()));
    FAIL() << "no error for: " << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "my.yaml");
    EXPECT_EQ(e.field(), key) << e.what();
    EXPECT_EQ(e.value(), value) << e.what();
    EXPECT_NE(e.problem().find(problem_part), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Scenario, DefaultSetsEveryOptionWithASource) {
  const Scenario& s = default_scenario(test::shipped());
  for (const auto& o : scenario_options()) {
    auto it = s.sources.find(o.key);
    ASSERT_NE(it, s.sources.end()) << o.key;
    EXPECT_FALSE(it->second.empty()) << o.key;
    EXPECT_FALSE(o.help.empty()) << o.key;
  }
  EXPECT_EQ(s.engineers, 1000);
  EXPECT_EQ(s.budget_usd_per_engineer_year, 250000);
  EXPECT_EQ(s.hourly_profile.size(), 24u);
}

TEST(Scenario, OverlayKeepsUnsetValuesAndRecordsSource) {
  const Scenario s =
      parse_scenario("demand:\n  engineers: 50\ncost:\n  lifetime_years: {value: 4, source: \"our CFO\"}\n",
                     "mine.yaml", default_scenario(test::shipped()));
  EXPECT_EQ(s.engineers, 50);
  EXPECT_EQ(s.cost.lifetime_years, 4);
  EXPECT_EQ(s.sources.at("demand.engineers"), "scenario file mine.yaml");
  EXPECT_EQ(s.sources.at("cost.lifetime_years"), "our CFO");
  EXPECT_EQ(s.budget_usd_per_engineer_year, default_scenario(test::shipped()).budget_usd_per_engineer_year);
  EXPECT_EQ(s.sources.at("demand.budget_usd_per_engineer_year"),
            default_scenario(test::shipped()).sources.at("demand.budget_usd_per_engineer_year"));
}

TEST(Scenario, ErrorsNameFileKeyAndValue) {
  expect_error("demand:\n  engineers: lots\n", "demand.engineers", "lots", "expected a number");
  expect_error("demand:\n  engineers: -5\n", "demand.engineers", "-5", "out of range");
  expect_error("workload:\n  cache_hit_rate: 1.5\n", "workload.cache_hit_rate", "1.5", "[0, 1]");
  expect_error("demand:\n  enginers: 5\n", "demand.enginers", "", "did you mean 'demand.engineers'");
  expect_error("demnd:\n  engineers: 5\n", "demnd", "", "did you mean 'demand'");
  expect_error("workload:\n  api_fresh_input_pricing: cache\n", "workload.api_fresh_input_pricing", "cache",
               "expected one of input|cache_write");
  expect_error("demand:\n  hourly_profile: [1, 2]\n", "demand.hourly_profile", "[1, 2]", "expected exactly 24");
  expect_error("candidates:\n  models: gpt-oss-120b\n", "candidates.models", "gpt-oss-120b", "expected a list");
  expect_error("hybrid:\n  points: 2.5\n", "hybrid.points", "2.5", "whole number");
  expect_error("sensitivity:\n  lifetime_years: [6, 3]\n", "sensitivity.lifetime_years", "[6, 3]", "low <= high");
  expect_error("sensitivity:\n  lifetime_years: [3, x]\n", "sensitivity.lifetime_years[1]", "x", "expected a number");
  expect_error("cost:\n  lifetime_years: {value: 4, src: x}\n", "cost.lifetime_years.src", "", "only 'value'");
  // The fixed-cost lines and the power fractions are range-checked like every cost key.
  expect_error("cost:\n  spares_fraction: 1.5\n", "cost.spares_fraction", "1.5", "<= 1");
  expect_error("cost:\n  staff_fte_per_mw: -1\n", "cost.staff_fte_per_mw", "-1", ">= 0");
  expect_error("cost:\n  staff_usd_per_fte_year: -5\n", "cost.staff_usd_per_fte_year", "-5", ">= 0");
  expect_error("cost:\n  software_usd_per_gpu_year: -4500\n", "cost.software_usd_per_gpu_year", "-4500", ">= 0");
  expect_error("cost:\n  idle_power_fraction: 1.1\n", "cost.idle_power_fraction", "1.1", "<= 1");
  expect_error("cost:\n  busy_power_fraction: 0\n", "cost.busy_power_fraction", "0", "> 0");
  // Each in range, but the idle draw above the busy draw.
  expect_error("cost:\n  idle_power_fraction: 0.9\n", "cost.idle_power_fraction", "0.9",
               "must be <= cost.busy_power_fraction (0.82)");
  // ops_fraction_per_year was split into staff, spares and software: an old scenario naming it is refused.
  expect_error("cost:\n  ops_fraction_per_year: 0.05\n", "cost.ops_fraction_per_year", "", "unknown option");
  // The prefix-retention curve: one amplification per storage point, starting at 0, ascending, never rising.
  expect_error("workload:\n  prefix_retention_prefill_amplification: [130, 18.9]\n",
               "workload.prefix_retention_prefill_amplification", "2 items", "one value per");
  expect_error("workload:\n  prefix_retention_storage_ratio: [0.5, 0.74, 1.9, 5.07]\n",
               "workload.prefix_retention_storage_ratio", "0.5", "must start at 0");
  expect_error("workload:\n  prefix_retention_storage_ratio: [0, 1.9, 0.74, 5.07]\n",
               "workload.prefix_retention_storage_ratio", "0.74", "ascend");
  expect_error("workload:\n  prefix_retention_prefill_amplification: [130, 7.4, 18.9, 1.8]\n",
               "workload.prefix_retention_prefill_amplification", "18.9", "must not grow");
  expect_error("owned:\n  host_kv_fraction: 2\n", "owned.host_kv_fraction", "2", "out of range");
  // The fixed 5-s HBM hold it replaced is refused by name.
  expect_error("workload:\n  prefix_hold_s: 5\n", "workload.prefix_hold_s", "", "unknown option");
}

TEST(Scenario, WrittenDefaultReadsBackIdentical) {
  const Scenario& d = default_scenario(test::shipped());
  const std::string yaml = scenario_to_yaml(d);
  const Scenario back = parse_scenario(yaml, "written.yaml", default_scenario(test::shipped()));
  for (const auto& o : scenario_options()) {
    EXPECT_EQ(option_value_text(back, o), option_value_text(d, o)) << o.key;
    EXPECT_EQ(back.sources.at(o.key), d.sources.at(o.key)) << o.key;
  }
  // Every option appears with its help text as a comment.
  for (const auto& o : scenario_options()) EXPECT_NE(yaml.find(o.help), std::string::npos) << o.key;
}

TEST(Scenario, CompleteScenarioRequiresEveryOption) {
  const std::string path = tokenmath::testing::write_temp("demand:\n  engineers: {value: 5, source: x}\n", ".yaml");
  try {
    load_complete_scenario(test::shipped(), path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}
