#include "tokenmath/plan/finance.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "tokenmath/cost/owned.hpp"
#include "tokenmath/plan/demand.hpp"

using namespace tokenmath::plan;
using tokenmath::cost::annualised_capex_usd;
using tokenmath::cost::capital_recovery_factor;

TEST(Finance, AnnuityMatchesHandComputation) {
  // $50,000 over 5 years at 10%: CRF = 0.1 / (1 - 1.1^-5) = 0.1 / (1 - 0.620921) = 0.263797
  EXPECT_NEAR(capital_recovery_factor(0.10, 5), 0.263797, 1e-6);
  EXPECT_NEAR(annualised_capex_usd(50000, 0.10, 5, 0), 13189.87, 0.01);
  // straight line when r = 0
  EXPECT_DOUBLE_EQ(annualised_capex_usd(50000, 0, 5, 0), 10000);
  EXPECT_DOUBLE_EQ(annualised_capex_usd(50000, 0, 5, 0.2), 8000);
  // residual 10% at r = 10%: (50000 - 5000 x 0.620921) x 0.2637975 = 12370.887
  EXPECT_NEAR(annualised_capex_usd(50000, 0.10, 5, 0.10), 12370.887, 0.005);
  // Payments repay the loan: the present value of 5 payments at 10% equals the capex.
  double pv = 0;
  for (int y = 1; y <= 5; ++y) pv += annualised_capex_usd(50000, 0.10, 5, 0) / std::pow(1.1, y);
  EXPECT_NEAR(pv, 50000, 1e-6);
}

TEST(Finance, BreakEvenAndPayback) {
  // 1 M$/yr owned, 1e12 tokens/yr capacity, API $2/M: break-even at 50% utilisation.
  EXPECT_DOUBLE_EQ(break_even_utilisation(1e6, 1e12, 2e-6), 0.5);
  EXPECT_DOUBLE_EQ(payback_years(3e6, 2e6, 0.5e6), 2.0);
  EXPECT_TRUE(std::isinf(payback_years(3e6, 1e6, 1e6)));
}

TEST(Finance, CostIdentity) {
  TokenMix t{2e6, 10e6, 1e6};
  TokenPrices p{3.75, 0.30, 15};
  EXPECT_DOUBLE_EQ(cost_usd(t, p), 2 * 3.75 + 10 * 0.30 + 15);
  // $/M x tokens = dollars for each kind separately
  EXPECT_DOUBLE_EQ(cost_usd({1e6, 0, 0}, p), p.fresh_input_usd_per_mtok);
}

namespace {
std::vector<LoadBlock> day_shape() {
  // 8 busy hours at 10 steps/s, 16 quiet hours at 1 step/s, 250 days; 115 idle days.
  return {{10, 8 * 250.0}, {1, 16 * 250.0}, {0, 115 * 24.0}};
}
}  // namespace

TEST(Hybrid, EndpointsArePureOptionsAndBestIsNeverWorse) {
  const auto load = day_shape();
  for (double usd_per_replica : {1e3, 1e4, 5e4, 2e5, 1e6}) {
    const auto r = hybrid_split(load, 1.0, 10, usd_per_replica, 0.01, 11);
    ASSERT_EQ(r.curve.size(), 11u);
    const double all_api = r.curve.front().total_usd_per_year();
    const double all_owned = r.curve.back().total_usd_per_year();
    EXPECT_DOUBLE_EQ(r.curve.front().owned_usd_per_year, 0);
    EXPECT_DOUBLE_EQ(r.curve.back().api_usd_per_year, 0);
    EXPECT_NEAR(all_api, (10 * 8 * 250 + 16 * 250) * 3600 * 0.01, 1e-6);
    EXPECT_LE(r.best.total_usd_per_year(), std::min(all_api, all_owned) + 1e-9);
    for (const auto& p : r.curve) EXPECT_LE(r.best.total_usd_per_year(), p.total_usd_per_year() + 1e-9);
  }
}

TEST(Hybrid, BaseLoadOwnedWhenReplicaIsCheapRelativeToBusyHours) {
  // A replica costs less than the API for 24 h x 250 d of 1 step/s (= 216,000 USD) but more than the API for
  // the busy hours only (8 h x 250 d x 1 step/s = 72,000 USD): own exactly the base load.
  const auto r = hybrid_split(day_shape(), 1.0, 10, 100000, 0.01, 11);
  EXPECT_EQ(r.best.replicas, 1);
  EXPECT_GT(r.best.owned_share_of_steps, 0.0);
  EXPECT_LT(r.best.owned_share_of_steps, 1.0);
}
