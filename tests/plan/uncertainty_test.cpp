// Monte Carlo of the chosen candidate: deterministic for a seed, ordered percentiles, the base plan inside them,
// and off when draws = 0.
#include <gtest/gtest.h>

#include "shipped.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/scenario.hpp"
#include "tokenmath/plan/uncertainty.hpp"

namespace tokenmath::plan {
namespace {

Scenario with(const std::string& extra) {
  return parse_scenario("candidates:\n  models: [gpt-oss-120b]\n  systems: [hgx-h200]\n  hosted_api_models: ['-']\n" +
                            extra,
                        "mc.yaml", default_scenario(test::shipped()));
}

TEST(Uncertainty, PercentilesAreOrderedAndHoldTheBasePlan) {
  const PlanResult r = run_plan(test::shipped(), with("uncertainty:\n  draws: 400\n"));
  ASSERT_NE(r.best(), nullptr);
  const auto& u = r.uncertainty;
  ASSERT_EQ(u.draws, 400);
  for (const auto* p : {&u.annual_owned_usd, &u.gpus, &u.owned_output_usd_per_mtok, &u.owned_blended_usd_per_mtok,
                        &u.annual_reference_api_usd}) {
    EXPECT_LE(p->p10, p->p50);
    EXPECT_LE(p->p50, p->p90);
    EXPECT_LT(p->p10, p->p90);  // the ranges are not degenerate
  }
  // The base plan (every input at its scenario value, no perf error) lies inside the 10-90% band of the fleet.
  EXPECT_GE(static_cast<double>(r.best()->gpus), u.gpus.p10 * 0.9);
  EXPECT_LE(static_cast<double>(r.best()->gpus), u.gpus.p90 * 1.1);
  EXPECT_GT(u.p_own_beats_reference_api, 0.9);  // $250M of API spend vs a fleet of a few $M
  EXPECT_EQ(u.p_own_beats_hosted_api, -1);      // no hosted API given
  EXPECT_EQ(u.annual_owned_samples.size(), 400u);
}

TEST(Uncertainty, SameSeedSameAnswerOtherSeedOtherDraws) {
  const auto a = run_plan(test::shipped(), with("uncertainty:\n  draws: 200\n  seed: 7\n")).uncertainty;
  const auto b = run_plan(test::shipped(), with("uncertainty:\n  draws: 200\n  seed: 7\n")).uncertainty;
  const auto c = run_plan(test::shipped(), with("uncertainty:\n  draws: 200\n  seed: 8\n")).uncertainty;
  EXPECT_EQ(a.annual_owned_samples, b.annual_owned_samples);
  EXPECT_NE(a.annual_owned_samples, c.annual_owned_samples);
}

// Every sensitivity range closed to its scenario value.
const char* kNoRanges =
    "sensitivity:\n"
    "  gpu_price_multiplier: [1, 1]\n  power_usd_per_kwh: [0.08, 0.08]\n"
    "  lifetime_years: [5, 5]\n  cache_hit_rate: [0.96, 0.96]\n"
    "  peak_load_target: [0.8, 0.8]\n  api_price_multiplier: [1, 1]\n"
    "  staff_fte_per_mw: [9.2, 9.2]\n  software_usd_per_gpu_year: [4500, 4500]\n"
    "  idle_power_fraction: [0.3, 0.3]\n";

TEST(Uncertainty, NoPerfErrorAndNoRangesMeansNoSpread) {
  const auto u = run_plan(test::shipped(), with(std::string("uncertainty:\n  draws: 50\n  perf_error_sigma: 0\n"
                                                            "  perf_error_bias: 0\n") + kNoRanges))
                     .uncertainty;
  EXPECT_DOUBLE_EQ(u.annual_owned_usd.p10, u.annual_owned_usd.p90);
}

// The perf model's measured median over-prediction centres the draws below the model: with no spread and no
// ranges, a bias of ln(1.25) needs a quarter more GPUs for the same work (up to rounding to whole replicas).
TEST(Uncertainty, MeasuredBiasCentresRealThroughputBelowTheModel) {
  const std::string fixed = kNoRanges;
  const auto none = run_plan(test::shipped(), with("uncertainty:\n  draws: 20\n  perf_error_sigma: 0\n"
                                                   "  perf_error_bias: 0\n" + fixed)).uncertainty;
  const auto biased = run_plan(test::shipped(), with("uncertainty:\n  draws: 20\n  perf_error_sigma: 0\n"
                                                     "  perf_error_bias: 0.2231\n" + fixed)).uncertainty;
  EXPECT_DOUBLE_EQ(biased.perf_error_bias, 0.2231);
  ASSERT_GT(none.gpus.p50, 0);
  EXPECT_GE(biased.gpus.p50 / none.gpus.p50, 1.15);
  EXPECT_LE(biased.gpus.p50 / none.gpus.p50, 1.35);
  EXPECT_GT(biased.annual_owned_usd.p50, none.annual_owned_usd.p50);
  // A bias outside its range is a file/field/value error.
  EXPECT_THROW(with("uncertainty:\n  perf_error_bias: 3\n"), InputError);
}

TEST(Uncertainty, OffWhenNoDraws) {
  EXPECT_EQ(run_plan(test::shipped(), with("uncertainty:\n  draws: 0\n")).uncertainty.draws, 0);
}

}  // namespace
}  // namespace tokenmath::plan
