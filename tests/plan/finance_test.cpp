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

TEST(Finance, BreakEvenCountsThePowerServingAdds) {
  // Idle fleet 1 M$/yr, 1e12 tokens/yr capacity, API $2/M, serving adds $0.5/M of power:
  // 1e6 + u x 1e12 x 0.5e-6 = u x 1e12 x 2e-6  =>  u = 1e6 / (1e12 x 1.5e-6) = 2/3.
  EXPECT_NEAR(break_even_utilisation(1e6, 1e12, 2e-6, 0.5e-6), 2.0 / 3.0, 1e-12);
  EXPECT_TRUE(std::isinf(break_even_utilisation(1e6, 1e12, 2e-6, 2e-6)));  // serving costs as much as the API
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

TEST(Hybrid, OwnedStepsPayThePowerTheyAdd) {
  const auto load = day_shape();  // 10 steps/s x 2,000 h + 1 step/s x 4,000 h
  const double steps = (10 * 2000.0 + 1 * 4000.0) * 3600;
  const auto full = hybrid_point(load, 1.0, 10, 10, 1000, 0.01, -1, 0.002);
  EXPECT_NEAR(full.owned_usd_per_year, 10 * 1000 + steps * 0.002, 1e-6);
  EXPECT_DOUBLE_EQ(full.api_usd_per_year, 0);
  // One replica serves 1 step/s all the time the load is on: 6,000 h x 3,600 steps.
  const auto one = hybrid_point(load, 1.0, 1, 10, 1000, 0.01, -1, 0.002);
  EXPECT_NEAR(one.owned_usd_per_year, 1000 + 6000 * 3600 * 0.002, 1e-6);
  EXPECT_NEAR(one.api_usd_per_year, (steps - 6000 * 3600) * 0.01, 1e-6);
  // The split still never loses to either pure option.
  const auto r = hybrid_split(load, 1.0, 10, 1e5, 0.01, 11, -1, 0.002);
  EXPECT_LE(r.best.total_usd_per_year(), std::min(r.curve.front().total_usd_per_year(),
                                                  r.curve.back().total_usd_per_year()) + 1e-9);
  for (const auto& p : r.curve) EXPECT_LE(r.best.total_usd_per_year(), p.total_usd_per_year() + 1e-9);
}

TEST(Finance, DiscountedPaybackIsTheAnnuityInverse) {
  // capex 100, saving 30/yr at 10%: PV of n years' saving = 30 (1 - 1.1^-n) / 0.1 = 100 -> n = -ln(1 - 1/3)/ln 1.1.
  const double n = discounted_payback_years(100, 50, 20, 0.10);
  EXPECT_NEAR(n, -std::log(1.0 - 0.1 * 100 / 30) / std::log(1.1), 1e-12);
  EXPECT_NEAR(30 * (1 - std::pow(1.1, -n)) / 0.1, 100, 1e-9);
  EXPECT_GT(n, payback_years(100, 50, 20));                           // discounting delays it
  EXPECT_DOUBLE_EQ(discounted_payback_years(100, 50, 20, 0), 100.0 / 30);
  EXPECT_TRUE(std::isinf(discounted_payback_years(100, 50, 40, 0.10)));  // 10/yr never repays 100 at 10%
  EXPECT_TRUE(std::isinf(discounted_payback_years(100, 20, 30, 0.10)));  // no saving
}

TEST(Finance, HorizonBuysForGrowthRefreshesAtEndOfLifeAndDiscounts) {
  HorizonInputs in;
  in.years = 4;
  in.growth = 0.5;
  in.api_decline = 0.2;
  in.rate = 0.1;
  in.lifetime_years = 2;
  in.residual_fraction = 0.1;
  in.replicas_year0 = 10;
  in.capex_per_replica = 100;
  in.opex_per_replica_year = 10;
  in.api_usd_year0 = 1000;
  in.hosted_api_usd_year0 = 200;
  in.owned_usd_per_replica_year = 60;
  in.load_year0 = {{10, 8760}};  // 10 steps/s all year
  in.steps_per_s_per_replica = 1;
  in.overflow_usd_per_step_year0 = 1e-6;
  in.api_usd_per_step_year0 = 1e-6;
  const HorizonView v = horizon_view(in);
  ASSERT_EQ(v.years.size(), 4u);
  // Owned fleet: ceil(10 x 1.5^y) = 10, 15, 23, 34; cohorts of year 0 retire at the start of year 2.
  EXPECT_EQ(v.years[0].owned_replicas, 10);
  EXPECT_DOUBLE_EQ(v.years[0].capex_usd, 1000);
  EXPECT_DOUBLE_EQ(v.years[1].capex_usd, 500);
  EXPECT_EQ(v.years[2].owned_replicas, 23);
  EXPECT_DOUBLE_EQ(v.years[2].capex_usd, (23 - 5) * 100.0);   // the 5 of year 1 are still in life
  EXPECT_DOUBLE_EQ(v.years[2].resale_usd, 10 * 100 * 0.1);    // the 10 of year 0 retire and are sold
  EXPECT_DOUBLE_EQ(v.years[3].capex_usd, (34 - 18) * 100.0);  // year 1's 5 retire; 18 of year 2 remain
  EXPECT_DOUBLE_EQ(v.years[3].resale_usd, 5 * 100 * 0.1);
  // API: demand x 1.5^y x 0.8^y.
  EXPECT_NEAR(v.years[3].api_usd, 1000 * std::pow(1.5 * 0.8, 3), 1e-9);
  EXPECT_NEAR(v.years[3].hosted_api_usd, 200 * std::pow(1.5 * 0.8, 3), 1e-9);
  // Hybrid: a replica costs 60/yr and serves 1 step/s all year = 31.5M steps worth 31.5 at 1e-6/step: the API is
  // cheaper, so the hybrid owns nothing and buys the whole load (price falling 20%/yr).
  EXPECT_EQ(v.years[1].hybrid_replicas, 0);
  EXPECT_NEAR(v.years[1].hybrid_api_usd, 15 * 8760 * 3600.0 * 1e-6 * 0.8, 1e-6);
  // At 1e-5/step (315/yr per replica's worth of steps) owning wins: the hybrid owns what the load needs.
  in.overflow_usd_per_step_year0 = in.api_usd_per_step_year0 = 1e-5;
  const HorizonView w = horizon_view(in);
  EXPECT_EQ(w.years[0].hybrid_replicas, 10);
  EXPECT_EQ(w.years[1].hybrid_replicas, 15);
  EXPECT_NEAR(w.years[1].hybrid_api_usd, 0, 1e-9);
  // Present values: capex at the start of its year, running costs mid-year; what is still in life at the end is
  // resold at its depreciated value at the horizon's end: year 2's 18 reach the end of their life (residual 10 each),
  // year 3's 16 have used one of two years (100 x (1 - 0.9 / 2) each).
  double pv_api = 0, pv_own = 0;
  for (const auto& y : v.years) {
    pv_api += y.api_usd * std::pow(1.1, -(y.year + 0.5));
    pv_own += (y.capex_usd - y.resale_usd) * std::pow(1.1, -y.year) + y.opex_usd * std::pow(1.1, -(y.year + 0.5));
  }
  const double end_value = 18 * 100 * 0.1 + 16 * 100 * (1 - 0.9 / 2);
  EXPECT_NEAR(v.residual_owned_usd, end_value, 1e-9);
  EXPECT_NEAR(v.npv_api_usd, pv_api, 1e-9);
  EXPECT_NEAR(v.npv_owned_usd, pv_own - end_value * std::pow(1.1, -4), 1e-9);
}

TEST(Finance, ColdOverflowIsBilledOnlyBesideOwnedReplicas) {
  // All-API runs whole sessions on the API (warm price); beside owned replicas the overflow pays the cold price.
  const std::vector<LoadBlock> load = {{10, 100}};
  const HybridPoint none = hybrid_point(load, 1.0, 0, 10, 50, 1.0, 3.0);
  EXPECT_DOUBLE_EQ(none.api_usd_per_year, 10 * 100 * 3600.0 * 1.0);
  const HybridPoint some = hybrid_point(load, 1.0, 4, 10, 50, 1.0, 3.0);
  EXPECT_DOUBLE_EQ(some.api_usd_per_year, 6 * 100 * 3600.0 * 3.0);
  EXPECT_DOUBLE_EQ(hybrid_point(load, 1.0, 4, 10, 50, 1.0).api_usd_per_year, 6 * 100 * 3600.0 * 1.0);
  // The best split is never worse than all-API or all-owned, cold or not.
  const HybridResult r = hybrid_split(load, 1.0, 10, 50, 1.0, 11, 3.0);
  EXPECT_LE(r.best.total_usd_per_year(), std::min(none.total_usd_per_year(), 10 * 50.0));
}

TEST(Hybrid, ApiRateLimitMakesSmallOwnedFleetsInfeasible) {
  // The API takes at most 3 steps/s: with 10 steps/s in the busy hours, fewer than 7 replicas of 1 step/s overflow
  // more than it accepts. Replicas cost 100,000 USD/yr, so unconstrained the best owns the base load only (1).
  const auto free = hybrid_split(day_shape(), 1.0, 10, 100000, 0.01, 11);
  ASSERT_EQ(free.best.replicas, 1);
  EXPECT_EQ(free.min_replicas, 0);
  ApiTerms terms;
  terms.max_steps_per_s = 3.0;
  const auto r = hybrid_split(day_shape(), 1.0, 10, 100000, 0.01, 11, -1, 0, terms);
  EXPECT_EQ(r.min_replicas, 7);
  EXPECT_EQ(r.best.replicas, 7);
  EXPECT_TRUE(r.best.feasible);
  EXPECT_DOUBLE_EQ(r.best.api_peak_steps_per_s, 3.0);
  for (const auto& p : r.curve) EXPECT_EQ(p.feasible, p.replicas >= 7) << p.replicas;
  // A limit above every hour's load binds nothing.
  terms.max_steps_per_s = 10.0;
  EXPECT_EQ(hybrid_split(day_shape(), 1.0, 10, 100000, 0.01, 11, -1, 0, terms).best.replicas, 1);
}

TEST(Hybrid, ApiCommitmentIsPaidAtEverySplitAndBuysDiscountedUsage) {
  ApiTerms t;
  t.commit_usd_per_year = 800;
  t.commit_discount = 0.2;  // 800 USD buys 1,000 USD of list-price usage
  EXPECT_DOUBLE_EQ(t.bill(0), 800);
  EXPECT_DOUBLE_EQ(t.bill(1000), 800);
  EXPECT_DOUBLE_EQ(t.bill(1500), 1300);
  // With usage prepaid, the API's marginal price is 0 until the commitment is used: the hybrid owns fewer
  // replicas than without it, and even the all-owned split pays the commitment.
  const std::vector<LoadBlock> load = {{10, 100}};  // 3.6M steps a year
  ApiTerms big;
  big.commit_usd_per_year = 0.5 * 3.6e6 * 0.01;  // prepays half the demand at list (0.01 USD a step)
  const auto plain = hybrid_split(load, 1.0, 10, 2000, 0.01, 11);  // a replica (2,000) < its steps at list (3,600)
  const auto committed = hybrid_split(load, 1.0, 10, 2000, 0.01, 11, -1, 0, big);
  EXPECT_EQ(plain.best.replicas, 10);
  EXPECT_EQ(committed.best.replicas, 5);
  EXPECT_DOUBLE_EQ(committed.curve.back().api_usd_per_year, big.commit_usd_per_year);
  for (const auto& p : committed.curve) EXPECT_LE(committed.best.total_usd_per_year(), p.total_usd_per_year() + 1e-9);
}

TEST(Finance, HorizonHybridOwnsWhatTheApiRateLimitRequiresEachYear) {
  // The API is cheaper than a replica (as in the horizon test above), so unconstrained the hybrid owns nothing; a
  // 4 steps/s rate limit makes it own ceil(load - 4) replicas each year as the load grows 50%/yr (10, 15, 22.5,
  // 33.75 steps/s), topping up as cohorts retire after 2 years.
  HorizonInputs in;
  in.years = 4;
  in.growth = 0.5;
  in.lifetime_years = 2;
  in.replicas_year0 = 10;
  in.capex_per_replica = 100;
  in.opex_per_replica_year = 10;
  in.owned_usd_per_replica_year = 60;
  in.load_year0 = {{10, 8760}};
  in.steps_per_s_per_replica = 1;
  in.overflow_usd_per_step_year0 = in.api_usd_per_step_year0 = 1e-6;
  EXPECT_EQ(horizon_view(in).years[2].hybrid_replicas, 0);
  in.terms.max_steps_per_s = 4;
  const HorizonView v = horizon_view(in);
  const long long want[] = {6, 11, 19, 30};
  for (int y = 0; y < 4; ++y) EXPECT_EQ(v.years[y].hybrid_replicas, want[y]) << "year " << y;
}
