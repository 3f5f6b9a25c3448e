#include "shipped.hpp"
#include "tokenmath/plan/demand.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <utility>

using namespace tokenmath::plan;

namespace {
const TokenPrices kOpus{6.25, 0.50, 25.0};  // cache write, cache read, output (USD/M), LiteLLM 2026-07-24
}

// Steps and hours summed over the load-duration curve.
static std::pair<double, double> year_of(const Demand& d) {
  double steps = 0, hours = 0;
  for (const auto& b : d.load_duration) {
    steps += b.steps_per_s * b.hours_per_year * 3600;
    hours += b.hours_per_year;
  }
  return {steps, hours};
}

TEST(Demand, ApiCostOfDemandEqualsBudget) {
  const Scenario& s = default_scenario(::tokenmath::test::shipped());
  const Demand d = compute_demand(s, kOpus);
  EXPECT_DOUBLE_EQ(d.budget_usd_per_year, 1000 * 250000.0);
  EXPECT_NEAR(cost_usd(d.tokens_per_year, kOpus), d.budget_usd_per_year, 1e-6 * d.budget_usd_per_year);
  // per step, by hand: 0.04 x 126857 x 6.25 + 0.96 x 126857 x 0.5 + 252 x 25, per 1e6
  const double usd_step = (0.04 * 126857 * 6.25 + 0.96 * 126857 * 0.5 + 252 * 25) / 1e6;
  EXPECT_NEAR(d.usd_per_step, usd_step, 1e-12);
  EXPECT_NEAR(d.steps_per_year, 250e6 / usd_step, 1e-3);
}

TEST(Demand, HourlyRatesAddUpToTheYear) {
  const Scenario& s = default_scenario(::tokenmath::test::shipped());
  const Demand d = compute_demand(s, kOpus);
  const auto [steps, hours] = year_of(d);
  EXPECT_NEAR(steps, d.steps_per_year, 1e-6 * d.steps_per_year);
  EXPECT_DOUBLE_EQ(hours, 8760);
  EXPECT_NEAR(d.average_steps_per_s * 8760 * 3600, d.steps_per_year, 1e-6 * d.steps_per_year);
  const double wsum = std::accumulate(s.hourly_profile.begin(), s.hourly_profile.end(), 0.0);
  EXPECT_NEAR(d.peak_hour_steps_per_s, d.steps_per_year / s.working_days_per_year * 10 / wsum / 3600, 1e-9);
  EXPECT_DOUBLE_EQ(d.peak_steps_per_s, d.peak_hour_steps_per_s * s.burst_factor);
}

TEST(Demand, OffDaysTakeTheirShareFromTheWorkingDays) {
  // 250 working days + 115 other days at a quarter of a working day's steps each, flat over 24 h: the year's steps
  // are unchanged, a working day carries 250 / (250 + 115 x 0.25) of what it did, and the peak falls with it.
  Scenario s = default_scenario(::tokenmath::test::shipped());
  const Demand base = compute_demand(s, kOpus);
  s.off_day_share = 0.25;
  const Demand d = compute_demand(s, kOpus);
  const auto [steps, hours] = year_of(d);
  EXPECT_NEAR(steps, d.steps_per_year, 1e-6 * d.steps_per_year);
  EXPECT_DOUBLE_EQ(hours, 8760);
  EXPECT_DOUBLE_EQ(d.steps_per_year, base.steps_per_year);
  EXPECT_NEAR(d.peak_steps_per_s / base.peak_steps_per_s, 250.0 / (250.0 + 115.0 * 0.25), 1e-12);
  const double day = d.steps_per_year / (250.0 + 115.0 * 0.25);
  EXPECT_NEAR(d.load_duration.back().steps_per_s, day * 0.25 / 86400, 1e-9);
  EXPECT_DOUBLE_EQ(d.load_duration.back().hours_per_year, 115.0 * 24);
}

TEST(Demand, HigherCacheHitRateBuysMoreStepsForTheSameBudget) {
  Scenario s = default_scenario(::tokenmath::test::shipped());
  s.cache_hit_rate = 0.90;
  const double low = compute_demand(s, kOpus).steps_per_year;
  s.cache_hit_rate = 0.98;
  const double high = compute_demand(s, kOpus).steps_per_year;
  EXPECT_GT(high, low);
}
