// Cost model: annuity, owned $/GPU-hour, rental tiers, LiteLLM prices, $/M tokens by kind, errors, CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/cost/cost.hpp"

namespace tokenmath {
namespace {

using ::testing::HasSubstr;
const std::string kData = TOKENMATH_SOURCE_DIR "/data";
const std::string kTestData = TOKENMATH_TEST_DATA "/cost";

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InputError";
  return "";
}

// Assumptions with every cost but capital switched off, to check the annuity alone.
cost::CostAssumptions capital_only(double r, double years) {
  cost::CostAssumptions a = cost::load_cost_assumptions(kData + "/costs.yaml");
  for (const char* k : {"power_usd_per_kwh", "colo_usd_per_kw_month", "residual_fraction", "staff_fte_per_mw",
                        "spares_fraction", "software_usd_per_gpu_year", "network_share", "installation_share"})
    cost::set_assumption(a, k, 0, "<test>", k);
  cost::set_assumption(a, "cost_of_capital", r, "<test>", "r");
  cost::set_assumption(a, "lifetime_years", years, "<test>", "N");
  return a;
}

// ---- annuity and owned cost ----------------------------------------------------------------------------

TEST(Annuity, CapitalRecoveryFactorMatchesHandComputation) {
  // 0.10 / (1 - 1.1^-5) = 0.10 / (1 - 0.620921) = 0.263797
  EXPECT_NEAR(cost::capital_recovery_factor(0.10, 5), 0.263797, 1e-6);
  EXPECT_DOUBLE_EQ(cost::capital_recovery_factor(0.0, 4), 0.25);  // straight line
  EXPECT_THROW(cost::capital_recovery_factor(0.1, 0), InputError);
}

TEST(Annuity, FiftyThousandDollarsOverFiveYearsAtTenPercent) {
  // $50k x 0.263797 / 8760 h = $1.5057 per GPU-hour of capital (costs.md §7 worked example: $1.51/hr).
  const auto c = cost::owned_cost(cost::OwnedInputs{50000, 1000, "air"}, capital_only(0.10, 5));
  EXPECT_NEAR(c.crf, 0.2638, 1e-4);
  EXPECT_NEAR(c.capital_usd_per_gpu_hour, 1.506, 1e-3);
  EXPECT_DOUBLE_EQ(c.total_usd_per_gpu_hour, c.capital_usd_per_gpu_hour);
}

TEST(Annuity, ResidualValueIsDiscountedFromTheEndOfLife) {
  auto a = capital_only(0.10, 5);
  cost::set_assumption(a, "residual_fraction", 0.2, "<test>", "residual");
  const auto c = cost::owned_cost(cost::OwnedInputs{50000, 1000, "air"}, a);
  // (50,000 - 10,000 / 1.1^5) x CRF / 8760 = (50,000 - 6,209.21) x 0.263797 / 8760
  EXPECT_NEAR(c.capital_usd_per_gpu_hour, (50000 - 6209.213) * 0.263797 / 8760, 1e-4);
}

TEST(OwnedCost, EachComponentFollowsItsFormula) {
  cost::CostAssumptions a = cost::load_cost_assumptions(kData + "/costs.yaml");
  cost::set_assumption(a, "power_usd_per_kwh", 0.10, "<test>", "p");
  cost::set_assumption(a, "pue_air", 1.5, "<test>", "p");
  cost::set_assumption(a, "pue_liquid", 1.2, "<test>", "p");
  cost::set_assumption(a, "colo_usd_per_kw_month", 146, "<test>", "p");
  cost::set_assumption(a, "network_share", 0.10, "<test>", "p");
  cost::set_assumption(a, "installation_share", 0.0, "<test>", "p");
  cost::set_assumption(a, "spares_fraction", 0.05, "<test>", "p");
  cost::set_assumption(a, "busy_power_fraction", 0.8, "<test>", "p");
  cost::set_assumption(a, "idle_power_fraction", 0.3, "<test>", "p");
  cost::set_assumption(a, "staff_fte_per_mw", 10, "<test>", "p");
  cost::set_assumption(a, "staff_usd_per_fte_year", 262800, "<test>", "p");
  cost::set_assumption(a, "software_usd_per_gpu_year", 876, "<test>", "p");
  const auto air = cost::owned_cost(cost::OwnedInputs{10000, 2000, "air"}, a, 0.5);
  EXPECT_DOUBLE_EQ(air.spares_usd_per_gpu, 500);
  EXPECT_DOUBLE_EQ(air.capex_usd_per_gpu, 11500);
  // Power: (0.5 x 1.6 kW + 0.5 x 0.6 kW) x PUE 1.5 x $0.10 = 1.1 x 0.15 = 0.165
  EXPECT_NEAR(air.power_usd_per_gpu_hour, 1.1 * 1.5 * 0.10, 1e-12);
  EXPECT_NEAR(air.facility_usd_per_gpu_hour, 146 * 2.0 / 730, 1e-12);  // 0.40, on the rated 2 kW
  // Staff: 10 FTE/MW x 0.002 MW x $262,800 / 8760 h = 0.60
  EXPECT_NEAR(air.staff_usd_per_gpu_hour, 0.60, 1e-12);
  EXPECT_NEAR(air.software_usd_per_gpu_hour, 0.10, 1e-12);  // $876 / 8760 h
  // Capital and spares split one annuity of the whole capex in proportion.
  EXPECT_NEAR(air.capital_usd_per_gpu_hour + air.spares_usd_per_gpu_hour,
              cost::annualised_capex_usd(11500, a.cost_of_capital, a.lifetime_years, a.residual_fraction) / 8760, 1e-12);
  EXPECT_NEAR(air.spares_usd_per_gpu_hour / air.capital_usd_per_gpu_hour, 500.0 / 11000.0, 1e-12);
  EXPECT_NEAR(air.total_usd_per_gpu_hour,
              air.capital_usd_per_gpu_hour + air.spares_usd_per_gpu_hour + 0.165 + 0.40 + 0.60 + 0.10, 1e-9);
  const auto liquid = cost::owned_cost(cost::OwnedInputs{10000, 2000, "liquid"}, a, 0.5);
  EXPECT_NEAR(liquid.power_usd_per_gpu_hour, 1.1 * 1.2 * 0.10, 1e-12);
  EXPECT_NEAR(air.annual_usd_per_gpu(), air.total_usd_per_gpu_hour * 8760, 1e-6);
}

TEST(OwnedCost, PowerAtUtilisationZeroIsTheIdleDrawAndAtOneTheBusyDraw) {
  auto a = test::shipped().costs;
  const cost::OwnedInputs in{40000, 1500, "air"};
  const double kwh = a.power_usd_per_kwh * a.pue_air;
  const auto idle = cost::owned_cost(in, a, 0.0);
  const auto busy = cost::owned_cost(in, a, 1.0);
  EXPECT_NEAR(idle.power_usd_per_gpu_hour, 1.5 * a.idle_power_fraction * kwh, 1e-12);
  EXPECT_NEAR(busy.power_usd_per_gpu_hour, 1.5 * a.busy_power_fraction * kwh, 1e-12);
  EXPECT_DOUBLE_EQ(idle.power_usd_per_gpu_hour, idle.idle_power_usd_per_gpu_hour);
  EXPECT_DOUBLE_EQ(busy.power_usd_per_gpu_hour, busy.busy_power_usd_per_gpu_hour);
  // Linear in between; nothing but power depends on utilisation.
  const auto mid = cost::owned_cost(in, a, 0.25);
  EXPECT_NEAR(mid.power_usd_per_gpu_hour,
              0.25 * busy.power_usd_per_gpu_hour + 0.75 * idle.power_usd_per_gpu_hour, 1e-12);
  EXPECT_NEAR(busy.total_usd_per_gpu_hour - idle.total_usd_per_gpu_hour,
              busy.power_usd_per_gpu_hour - idle.power_usd_per_gpu_hour, 1e-12);
  EXPECT_NEAR(mid.idle_usd_per_gpu_year(), idle.annual_usd_per_gpu(), 1e-6);
  EXPECT_NEAR(mid.busy_extra_power_usd_per_gpu_hour(),
              busy.power_usd_per_gpu_hour - idle.power_usd_per_gpu_hour, 1e-12);
  // The shipped idle draw is below the busy draw, so a busier fleet pays more power.
  EXPECT_LT(idle.power_usd_per_gpu_hour, busy.power_usd_per_gpu_hour);
  // Out of range: u outside [0, 1]; idle above busy.
  EXPECT_THAT(error_of([&] { cost::owned_cost(in, a, 1.5); }), HasSubstr("utilization: value '1.5'"));
  cost::set_assumption(a, "idle_power_fraction", 0.9, "<test>", "idle");
  cost::set_assumption(a, "busy_power_fraction", 0.8, "<test>", "busy");
  EXPECT_THAT(error_of([&] { cost::owned_cost(in, a, 0.5); }), HasSubstr("must be <= busy_power_fraction (0.8)"));
}

TEST(OwnedCost, StaffScalesWithMegawattsSoftwareWithGpusSparesWithPrice) {
  const auto& a = test::shipped().costs;
  const auto c1 = cost::owned_cost(cost::OwnedInputs{40000, 1000, "air"}, a, 0.5);
  const auto c2 = cost::owned_cost(cost::OwnedInputs{40000, 2000, "air"}, a, 0.5);
  const auto c3 = cost::owned_cost(cost::OwnedInputs{80000, 1000, "air"}, a, 0.5);
  // One MW of IT load (1,000 GPUs at 1 kW) costs staff_fte_per_mw x staff_usd_per_fte_year a year.
  EXPECT_NEAR(c1.staff_usd_per_gpu_hour * 8760 * 1000, a.staff_fte_per_mw * a.staff_usd_per_fte_year, 1e-6);
  EXPECT_NEAR(c2.staff_usd_per_gpu_hour, 2 * c1.staff_usd_per_gpu_hour, 1e-12);   // twice the kW, twice the staff
  EXPECT_DOUBLE_EQ(c3.staff_usd_per_gpu_hour, c1.staff_usd_per_gpu_hour);          // price does not matter
  EXPECT_DOUBLE_EQ(c2.software_usd_per_gpu_hour, c1.software_usd_per_gpu_hour);    // per GPU, whatever its power
  EXPECT_NEAR(c1.software_usd_per_gpu_hour * 8760, a.software_usd_per_gpu_year, 1e-9);
  EXPECT_NEAR(c3.spares_usd_per_gpu_hour, 2 * c1.spares_usd_per_gpu_hour, 1e-12);  // spares follow the price
  EXPECT_DOUBLE_EQ(c2.spares_usd_per_gpu_hour, c1.spares_usd_per_gpu_hour);
  // The lines sum to the total, and capital + spares and the running costs split it.
  for (const auto& c : {c1, c2, c3}) {
    EXPECT_NEAR(c.total_usd_per_gpu_hour,
                c.capital_usd_per_gpu_hour + c.spares_usd_per_gpu_hour + c.power_usd_per_gpu_hour +
                    c.facility_usd_per_gpu_hour + c.staff_usd_per_gpu_hour + c.software_usd_per_gpu_hour,
                1e-12);
    EXPECT_NEAR(c.capital_usd_per_gpu_year() + c.opex_usd_per_gpu_year(), c.annual_usd_per_gpu(), 1e-6);
  }
}

TEST(OwnedCost, ShippedFixedCostDefaultsAreSourcedAndInRange) {
  const auto& a = test::shipped().costs;
  for (const char* k : {"busy_power_fraction", "idle_power_fraction", "staff_fte_per_mw", "staff_usd_per_fte_year",
                        "spares_fraction", "software_usd_per_gpu_year"}) {
    EXPECT_FALSE(a.provenance.at(k).source.empty()) << k;
    EXPECT_FALSE(a.provenance.at(k).date.empty()) << k;
  }
  EXPECT_LT(a.idle_power_fraction, a.busy_power_fraction);
  EXPECT_LE(a.busy_power_fraction, 1.0);
  EXPECT_DOUBLE_EQ(a.software_usd_per_gpu_year, 4500);  // NVIDIA AI Enterprise list price
}

TEST(OwnedCost, HigherGpuPriceNeverLowersCostPerGpuHour) {
  const auto& a = test::shipped().costs;
  for (const auto& sys : test::shipped().catalog.systems()) {
    double prev = 0;
    for (double price = 5000; price <= 100000; price += 5000) {
      auto in = cost::owned_inputs(sys);
      in.price_usd_per_gpu = price;
      const double total = cost::owned_cost(in, a).total_usd_per_gpu_hour;
      EXPECT_GT(total, prev) << sys.id << " at $" << price;
      prev = total;
    }
  }
}

TEST(OwnedCost, PowerPriceAndPueRaiseCostLongerLifeLowersIt) {
  auto a = test::shipped().costs;
  const auto& sys = test::shipped().catalog.system("hgx-h100");
  const double base = cost::owned_cost(sys, a).total_usd_per_gpu_hour;
  auto dearer = a;
  cost::set_assumption(dearer, "power_usd_per_kwh", a.power_usd_per_kwh * 2, "<test>", "p");
  EXPECT_GT(cost::owned_cost(sys, dearer).total_usd_per_gpu_hour, base);
  auto longer = a;
  cost::set_assumption(longer, "lifetime_years", a.lifetime_years + 1, "<test>", "p");
  EXPECT_LT(cost::owned_cost(sys, longer).total_usd_per_gpu_hour, base);
}

TEST(OwnedCost, ShippedH100LandsInTheMarketRange) {
  // Not a golden number: an owned H100 should cost less per hour than renting one on demand from a neocloud
  // ($2.50-3.50, costs.md §2) and more than its power bill alone.
  const auto c = cost::owned_cost(test::shipped().catalog.system("hgx-h100"), test::shipped().costs);
  EXPECT_GT(c.total_usd_per_gpu_hour, 1.0);
  EXPECT_LT(c.total_usd_per_gpu_hour, 3.5);
}

TEST(OwnedCost, BadInputsAreInputErrors) {
  const auto& a = test::shipped().costs;
  EXPECT_THAT(error_of([&] { cost::owned_cost(cost::OwnedInputs{-1, 1000, "air"}, a); }),
              HasSubstr("price_usd_per_gpu: value '-1'"));
  EXPECT_THAT(error_of([&] { cost::owned_cost(cost::OwnedInputs{1000, 1000, "water"}, a); }), HasSubstr("'water'"));
}

// ---- assumptions ----------------------------------------------------------------------------------------

TEST(Assumptions, EveryShippedValueHasASourceAndDate) {
  const auto& a = test::shipped().costs;
  for (const auto& k : cost::assumption_keys()) {
    ASSERT_TRUE(a.provenance.count(k.key)) << k.key;
    EXPECT_FALSE(a.provenance.at(k.key).source.empty()) << k.key;
    EXPECT_FALSE(a.provenance.at(k.key).date.empty()) << k.key;
  }
  EXPECT_GT(a.pue_air, a.pue_liquid);
}

std::string shipped_costs_text() {
  std::ifstream f(kData + "/costs.yaml");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Assumptions, ZeroLifetimeInFileNamesFileKeyAndValue) {
  std::string text = shipped_costs_text();
  const auto pos = text.find("value: 5\n");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 9, "value: 0\n");
  const auto path = testing::write_temp(text, ".yaml");
  const std::string msg = error_of([&] { cost::load_cost_assumptions(path); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("assumptions.lifetime_years.value"));
  EXPECT_THAT(msg, HasSubstr("'0'"));
}

TEST(Assumptions, NegativePriceAndMissingSourceInFile) {
  std::string text = shipped_costs_text();
  const auto pos = text.find("value: 0.08");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 11, "value: -0.08");
  const auto p1 = testing::write_temp(text, ".yaml");
  const std::string m1 = error_of([&] { cost::load_cost_assumptions(p1); });
  EXPECT_THAT(m1, HasSubstr("assumptions.power_usd_per_kwh.value: value '-0.08'"));

  std::string t2 = shipped_costs_text();
  const auto s = t2.find("    source:", t2.find("pue_liquid:"));
  t2.erase(s, t2.find('\n', s) - s + 1);
  const auto p2 = testing::write_temp(t2, ".yaml");
  EXPECT_THAT(error_of([&] { cost::load_cost_assumptions(p2); }), HasSubstr("assumptions.pue_liquid.source"));
}

TEST(Assumptions, BadFixedCostAndPowerValuesInFileNameFileKeyAndValue) {
  auto broken = [](const std::string& key, const std::string& value) {
    std::string text = shipped_costs_text();
    const auto k = text.find("  " + key + ":");
    EXPECT_NE(k, std::string::npos) << key;
    const auto v = text.find("value: ", k) + 7;
    text.replace(v, text.find('\n', v) - v, value);
    return testing::write_temp(text, ".yaml");
  };
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"spares_fraction", "1.5"},
           {"staff_fte_per_mw", "-1"},
           {"staff_usd_per_fte_year", "-325000"},
           {"software_usd_per_gpu_year", "-4500"},
           {"idle_power_fraction", "1.2"},
           {"busy_power_fraction", "0"}}) {
    const auto path = broken(key, value);
    const std::string msg = error_of([&] { cost::load_cost_assumptions(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("assumptions." + key + ".value: value '" + value + "'"));
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // Idle draw above the busy draw: both in range, inconsistent together.
  const auto path = broken("idle_power_fraction", "0.9");
  EXPECT_THAT(error_of([&] { cost::load_cost_assumptions(path); }),
              HasSubstr("assumptions.idle_power_fraction.value: value '0.9'"));
  // The folded-in key is gone: an old file naming it is refused with the key.
  std::string old = shipped_costs_text();
  old.replace(old.find("  spares_fraction:"), 0,
              "  ops_fraction_per_year:\n    value: 0.05\n    source: \"x\"\n    date: \"2026\"\n");
  const auto p_old = testing::write_temp(old, ".yaml");
  EXPECT_THAT(error_of([&] { cost::load_cost_assumptions(p_old); }),
              HasSubstr("assumptions.ops_fraction_per_year: unknown cost assumption"));
}

TEST(Assumptions, OverridesAreRangeCheckedAndRecorded) {
  auto a = test::shipped().costs;
  cost::set_assumption(a, "pue_air", 1.3, "<command line>", "--pue-air");
  EXPECT_DOUBLE_EQ(a.pue_air, 1.3);
  EXPECT_THAT(a.provenance.at("pue_air").source, HasSubstr("--pue-air"));
  EXPECT_THAT(error_of([&] { cost::set_assumption(a, "pue_air", 0.9, "<command line>", "--pue-air"); }),
              HasSubstr("--pue-air: value '0.9'"));
  EXPECT_THAT(error_of([&] { cost::set_assumption(a, "utilization", 0, "s.yaml", "cost.utilization"); }),
              HasSubstr("s.yaml: cost.utilization: value '0'"));
  EXPECT_THAT(error_of([&] { cost::set_assumption(a, "lifetime_year", 5, "s.yaml", "cost.lifetime_year"); }),
              HasSubstr("did you mean 'lifetime_years'"));
}

// ---- rental --------------------------------------------------------------------------------------------

TEST(Rental, ShippedTiersAreOrderedAndSourced) {
  const auto& all = test::shipped().rentals;
  ASSERT_FALSE(all.empty());
  for (const auto& r : all) {
    EXPECT_FALSE(r.source.empty()) << r.gpu_id << " " << r.tier;
    EXPECT_LE(r.low_usd_per_gpu_hour, r.usd_per_gpu_hour);
    EXPECT_LE(r.usd_per_gpu_hour, r.high_usd_per_gpu_hour);
  }
  for (const char* gpu : {"h100-sxm", "h200-sxm", "b200", "a100-sxm-80gb", "l40s", "mi300x"}) {
    const auto* hyper = cost::find_rental_price(all, gpu, cost::kTierHyperscaler);
    const auto* neo = cost::find_rental_price(all, gpu, cost::kTierNeocloud);
    const auto* reserved = cost::find_rental_price(all, gpu, cost::kTierReserved);
    ASSERT_TRUE(hyper && neo && reserved) << gpu;
    EXPECT_GE(hyper->usd_per_gpu_hour, neo->usd_per_gpu_hour) << gpu;
    EXPECT_GE(neo->usd_per_gpu_hour, reserved->usd_per_gpu_hour) << gpu;
    // Spot (rule R2): 57.5% below the hyperscaler's on-demand price, interruptible.
    const auto* spot = cost::find_rental_price(all, gpu, cost::kTierSpot);
    ASSERT_TRUE(spot) << gpu;
    EXPECT_NEAR(spot->usd_per_gpu_hour, hyper->usd_per_gpu_hour * 0.425, 0.006) << gpu;
    EXPECT_TRUE(spot->derived) << gpu;
  }
}

TEST(Rental, BadEntriesNameFileKeyAndValue) {
  const auto p = testing::write_temp(R"(rental_prices:
  - gpu: h100-sxm
    tier: reserved
    usd_per_gpu_hour: -2
    source: "t"
    date: "2026"
)", ".yaml");
  EXPECT_THAT(error_of([&] { cost::load_rental_prices(p); }), HasSubstr("rental_prices[0].usd_per_gpu_hour: value '-2'"));
  const auto p2 = testing::write_temp(R"(rental_prices:
  - gpu: h100-sxm
    tier: reservd
    usd_per_gpu_hour: 2
    source: "t"
    date: "2026"
)", ".yaml");
  EXPECT_THAT(error_of([&] { cost::load_rental_prices(p2); }), HasSubstr("did you mean 'reserved'"));
}

// A cache miss costs the input price unless the provider charges a separate positive write: a listed write price
// of 0 (DeepSeek, automatic caching) is "no surcharge", not free fresh input (issue 13: the DeepSeek same-model API
// came out 13.5% low).
TEST(ApiPrice, ZeroCacheWritePriceMeansTheInputPrice) {
  cost::ApiPrice p;
  p.input_usd_per_mtok = 0.27;
  EXPECT_DOUBLE_EQ(p.effective_cache_write_usd_per_mtok(), 0.27);  // not listed
  p.cache_write_usd_per_mtok = 0.0;
  EXPECT_DOUBLE_EQ(p.effective_cache_write_usd_per_mtok(), 0.27);  // listed as 0
  p.cache_write_usd_per_mtok = 0.3375;
  EXPECT_DOUBLE_EQ(p.effective_cache_write_usd_per_mtok(), 0.3375);  // a real surcharge (1.25x)
}

// ---- API prices ---------------------------------------------------------------------------------------

TEST(LiteLlm, ParsesTextModelsInUsdPerMillionTokens) {
  const auto prices = cost::load_litellm_prices(kTestData + "/litellm_small.json");
  // sample_spec, last_updated, image, embedding and unpriced entries are skipped.
  ASSERT_EQ(prices.size(), 3u);
  const auto* p = cost::find_api_price(prices, "frontier-chat");
  ASSERT_NE(p, nullptr);
  EXPECT_NEAR(p->input_usd_per_mtok, 5.0, 1e-12);
  EXPECT_NEAR(*p->cached_input_usd_per_mtok, 0.5, 1e-12);
  EXPECT_NEAR(*p->cache_write_usd_per_mtok, 6.25, 1e-12);
  EXPECT_NEAR(p->output_usd_per_mtok, 25.0, 1e-12);
  EXPECT_EQ(p->provider, "anthropic");
  EXPECT_EQ(p->max_input_tokens, 200000);
  // Unpriced cache read falls back to the fresh-input price.
  const auto* open = cost::find_api_price(prices, "open-model-120b");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->model, "host/org/open-model-120b");
  EXPECT_FALSE(open->cached_input_usd_per_mtok.has_value());
  EXPECT_NEAR(cost::token_prices(*open).cached_input_usd_per_mtok, 0.15, 1e-12);
  EXPECT_NE(cost::find_api_price(prices, "responses-model"), nullptr);
  EXPECT_EQ(cost::find_api_price(prices, "image-model"), nullptr);
}

TEST(LiteLlm, NegativePriceNamesFilePointerAndValue) {
  const std::string file = kTestData + "/litellm_negative.json";
  const std::string msg = error_of([&] { cost::load_litellm_prices(file); });
  EXPECT_THAT(msg, HasSubstr(file));
  EXPECT_THAT(msg, HasSubstr("/bad~1model/input_cost_per_token"));  // RFC 6901 escaping of '/'
  EXPECT_THAT(msg, HasSubstr("-1e-06"));
}

TEST(LiteLlm, WrongTypeInvalidJsonAndMissingFile) {
  EXPECT_THAT(error_of([&] { cost::load_litellm_prices(kTestData + "/litellm_string_price.json"); }),
              HasSubstr("/text-price/input_cost_per_token"));
  EXPECT_THAT(error_of([&] { cost::load_litellm_prices(kTestData + "/litellm_invalid.json"); }),
              HasSubstr("invalid JSON"));
  EXPECT_THAT(error_of([&] { cost::load_litellm_prices(kTestData + "/nope.json"); }), HasSubstr("file not found"));
}

TEST(LiteLlm, ShippedSubsetHasFrontierAndOpenModels) {
  const auto& prices = test::shipped().api_prices;
  const auto& opus = cost::api_price(prices, "claude-opus-4-5", "<test>");
  EXPECT_DOUBLE_EQ(opus.input_usd_per_mtok, 5.0);
  EXPECT_DOUBLE_EQ(opus.output_usd_per_mtok, 25.0);
  for (const char* m : {"gpt-5", "gemini-2.5-pro", "claude-sonnet-4-5", "together_ai/openai/gpt-oss-120b",
                        "deepinfra/moonshotai/Kimi-K2-Instruct-0905", "together_ai/deepseek-ai/DeepSeek-V3"})
    EXPECT_NE(cost::find_api_price(prices, m), nullptr) << m;
  EXPECT_THAT(error_of([&] { (void)cost::api_price(prices, "claude-opus-4-55", "<test>"); }), HasSubstr("did you mean"));
}

TEST(LiteLlm, FullReferenceFileParsesWhenPresent) {
  const std::filesystem::path full = TOKENMATH_SOURCE_DIR "/../shared/reference/litellm_model_prices_2026-07-24.json";
  if (!std::filesystem::exists(full)) GTEST_SKIP() << "reference file not present";
  const auto prices = cost::load_litellm_prices(full);
  EXPECT_GT(prices.size(), 2000u);
}

// ---- $/M tokens --------------------------------------------------------------------------------------------

TEST(TokenCost, PricePerMillionTimesTokensEqualsDollars) {
  const cost::TokenPrices p{3.0, 0.3, 3.75, 15.0};
  const cost::TokenVolume v{2e6, 40e6, 1e6, 0.5e6};
  // 2 x 3 + 40 x 0.3 + 1 x 3.75 + 0.5 x 15 = 6 + 12 + 3.75 + 7.5 = 29.25
  EXPECT_NEAR(cost::cost_usd(p, v), 29.25, 1e-9);
  EXPECT_NEAR(cost::blended_usd_per_mtok(p, v) * v.total() / 1e6, 29.25, 1e-9);
  EXPECT_EQ(cost::blended_usd_per_mtok(p, cost::TokenVolume{}), 0);
}

TEST(TokenCost, OwnedTokenPricesChargeIdleHoursToServedTokens) {
  cost::OwnedTokenCostInputs in;
  in.usd_per_gpu_hour = 2.0;
  in.gpus = 8;
  in.seconds_per_token = {1e-5, 2e-6, 4e-4};
  in.utilization = 0.5;
  const auto p = cost::owned_token_prices(in);
  // $2 x 8 / 3600 s = $0.004444/s of the deployment; / 0.5 utilisation; x 1e-5 s x 1e6
  EXPECT_NEAR(p.fresh_input_usd_per_mtok, 2.0 * 8 / 3600 / 0.5 * 1e-5 * 1e6, 1e-12);
  EXPECT_NEAR(p.output_usd_per_mtok, 2.0 * 8 / 3600 / 0.5 * 4e-4 * 1e6, 1e-12);
  // Identity: served volume x $/M = paid GPU-hours x $/GPU-hour, where paid hours = busy hours / u.
  const cost::TokenVolume v{1e6, 30e6, 0, 0.2e6};
  const double busy_s = v.fresh_input * 1e-5 + v.cached_input * 2e-6 + v.output * 4e-4;
  const double paid_gpu_hours = busy_s / 3600 / 0.5 * 8;
  EXPECT_NEAR(cost::cost_usd(p, v), paid_gpu_hours * 2.0, 1e-9);
}

TEST(TokenCost, HigherUtilisationNeverRaisesPricePerToken) {
  cost::OwnedTokenCostInputs in{3.0, 4, {2e-5, 1e-6, 3e-4}, 0.05};
  cost::TokenPrices prev = cost::owned_token_prices(in);
  for (double u = 0.10; u <= 1.0 + 1e-9; u += 0.05) {
    in.utilization = std::min(u, 1.0);
    const auto p = cost::owned_token_prices(in);
    EXPECT_LE(p.fresh_input_usd_per_mtok, prev.fresh_input_usd_per_mtok);
    EXPECT_LE(p.cached_input_usd_per_mtok, prev.cached_input_usd_per_mtok);
    EXPECT_LE(p.output_usd_per_mtok, prev.output_usd_per_mtok);
    prev = p;
  }
}

TEST(TokenCost, InvalidInputsAreRejected) {
  cost::OwnedTokenCostInputs in{2.0, 8, {1e-5, 1e-6, 1e-4}, 1.0};
  in.utilization = 1.5;
  EXPECT_THAT(error_of([&] { cost::owned_token_prices(in); }), HasSubstr("utilization: value '1.5'"));
  in.utilization = 1.0;
  in.usd_per_gpu_hour = -1;
  EXPECT_THAT(error_of([&] { cost::owned_token_prices(in); }), HasSubstr("usd_per_gpu_hour: value '-1'"));
  in.usd_per_gpu_hour = 1;
  in.gpus = 0;
  EXPECT_THROW(cost::owned_token_prices(in), InputError);
}

// ---- CLI ------------------------------------------------------------------------------------------------------

TEST(CostCli, PricesFilterAndFile) {
  auto r = testing::run_cli("prices --filter opus-4-5 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].at("model"), "claude-opus-4-5");
  EXPECT_DOUBLE_EQ(j[0].at("cache_write_usd_per_mtok").get<double>(), 6.25);
  r = testing::run_cli("prices --file " + kTestData + "/litellm_small.json --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("frontier-chat,anthropic,5,0.5,6.25,25,200000"));
  r = testing::run_cli("prices --file " + kTestData + "/litellm_negative.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("/bad~1model/input_cost_per_token"));
}

TEST(CostCli, CostBreakdownOwnedAndRented) {
  auto r = testing::run_cli("cost --system hgx-h100 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& o = j.at("owned");
  EXPECT_NEAR(o.at("total_usd_per_gpu_hour").get<double>(),
              o.at("capital_usd_per_gpu_hour").get<double>() + o.at("power_usd_per_gpu_hour").get<double>() +
                  o.at("facility_usd_per_gpu_hour").get<double>() + o.at("spares_usd_per_gpu_hour").get<double>() +
                  o.at("staff_usd_per_gpu_hour").get<double>() + o.at("software_usd_per_gpu_hour").get<double>(),
              1e-9);
  EXPECT_EQ(j.at("rented").size(), 4u);  // hyperscaler, neocloud, reserved, spot
  // Overrides change the figure and are recorded as the value's source.
  r = testing::run_cli("cost --system hgx-h100 --power-usd-per-kwh 0.16 --pue 2.0 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j2 = nlohmann::json::parse(r.out);
  // Power at cost.utilization: busy draw for u of the hours, idle draw for the rest.
  const auto& a = test::shipped().costs;
  EXPECT_NEAR(j2.at("owned").at("power_usd_per_gpu_hour").get<double>(),
              1.275 * (a.utilization * a.busy_power_fraction + (1 - a.utilization) * a.idle_power_fraction) * 2.0 *
                  0.16,
              1e-9);
  // Each fixed line is settable on the command line.
  r = testing::run_cli("cost --system hgx-h100 --software-usd-per-gpu-year 8760 --staff-fte-per-mw 0 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j3 = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j3.at("owned").at("software_usd_per_gpu_hour").get<double>(), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(j3.at("owned").at("staff_usd_per_gpu_hour").get<double>(), 0.0);
  EXPECT_THAT(j2.at("assumptions").at("pue_air").at("source").get<std::string>(), HasSubstr("--pue"));
  r = testing::run_cli("cost --system gb200-nvl72");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("capital"));
}

TEST(CostCli, AllSystemsUnderOneSetOfAssumptions) {
  auto r = testing::run_cli("cost --format json --power-usd-per-kwh 0.12");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.size(), test::shipped().catalog.systems().size());
  for (const auto& row : j) {
    EXPECT_NEAR(row.at("owned_usd_per_gpu_hour").get<double>(),
                row.at("capital_usd_per_gpu_hour").get<double>() + row.at("power_usd_per_gpu_hour").get<double>() +
                    row.at("facility_usd_per_gpu_hour").get<double>() + row.at("spares_usd_per_gpu_hour").get<double>() +
                    row.at("staff_usd_per_gpu_hour").get<double>() + row.at("software_usd_per_gpu_hour").get<double>(),
                1e-9)
        << row.at("system");
    EXPECT_GT(row.at("owned_usd_per_busy_gpu_hour").get<double>(), row.at("owned_usd_per_gpu_hour").get<double>());
  }
  r = testing::run_cli("cost --price-usd-per-gpu 1000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("needs --system"));
}

TEST(CostCli, BadOverridesExitTwoWithOneLine) {
  auto r = testing::run_cli("cost --system hgx-h100 --lifetime-years 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--lifetime-years: value '0'"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = testing::run_cli("cost --system hgx-h10");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean"));
  r = testing::run_cli("cost --system hgx-h100 --price-usd-per-gpu -5");
  EXPECT_EQ(r.exit_code, 2);
  for (const char* bad : {"--spares-fraction 1.5", "--software-usd-per-gpu-year -1", "--staff-fte-per-mw -2",
                          "--idle-power-fraction -0.1", "--busy-power-fraction 1.01"}) {
    r = testing::run_cli(std::string("cost --system hgx-h100 ") + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    const std::string flag(bad, std::string_view(bad).find(' '));
    EXPECT_THAT(r.err, HasSubstr(flag + ": value '" + std::string(std::string_view(bad).substr(flag.size() + 1)) + "'"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  r = testing::run_cli("cost --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--cost-of-capital"));
}

}  // namespace
}  // namespace tokenmath
