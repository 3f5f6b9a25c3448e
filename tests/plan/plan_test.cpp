#include "shipped.hpp"
#include "tokenmath/plan/plan.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"

using namespace tokenmath;
using namespace tokenmath::plan;

namespace {
// A small scenario: two models x two systems, the default for everything else.
Scenario small() {
  return parse_scenario(
      "candidates:\n"
      "  models: [gpt-oss-120b, llama-3.3-70b]\n"
      "  systems: [hgx-h200, gb200-nvl72]\n"
      "  hosted_api_models: [fireworks_ai/accounts/fireworks/models/gpt-oss-120b, '-']\n",
      "small.yaml", default_scenario(test::shipped()));
}
const Candidate& find(const PlanResult& r, const std::string& model, const std::string& system) {
  for (const auto& c : r.candidates)
    if (c.model_id.find(model) != std::string::npos && c.system_id == system) return c;
  throw std::runtime_error("no candidate " + model + " " + system);
}
// A path the file system cannot even look up (a name longer than NAME_MAX) is "no such file", not a
// filesystem_error escaping as an internal error (a fuzz finding in the simulation scenario's trace path).
TEST(Plan, AnUnlookablePriceListPathIsNoSuchFile) {
  Scenario s = small();
  s.price_list = std::string(5000, 'a') + ".json";
  try {
    (void)run_plan(test::shipped(), s);
    FAIL() << "expected an InputError";
  } catch (const tokenmath::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("demand.price_list"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
}

// A quoted price or a measured wall power for one system replaces the catalog's for that system only.
TEST(Plan, SystemPriceAndPowerOverridesApplyToTheirSystemOnly) {
  Scenario s = small();
  s.simulate_requests = 0;
  s.uncertainty_draws = 0;
  const PlanResult base = run_plan(test::shipped(), s);
  s.system_price_usd_per_gpu = {0, 20000};
  s.system_wall_w_per_gpu = {2000, 0};
  const PlanResult quoted = run_plan(test::shipped(), s);
  const Candidate& h0 = find(base, "gpt-oss", "hgx-h200");
  const Candidate& h1 = find(quoted, "gpt-oss", "hgx-h200");
  const Candidate& g0 = find(base, "gpt-oss", "gb200-nvl72");
  const Candidate& g1 = find(quoted, "gpt-oss", "gb200-nvl72");
  EXPECT_DOUBLE_EQ(h1.per_gpu.system_usd_per_gpu, h0.per_gpu.system_usd_per_gpu);  // 0: the catalog's
  EXPECT_DOUBLE_EQ(h1.per_gpu.wall_kw_per_gpu, 2.0);
  EXPECT_DOUBLE_EQ(g1.per_gpu.system_usd_per_gpu, 20000.0);
  EXPECT_DOUBLE_EQ(g1.per_gpu.wall_kw_per_gpu, g0.per_gpu.wall_kw_per_gpu);
  EXPECT_LT(g1.capex_usd / g1.gpus, g0.capex_usd / g0.gpus);
  // One value per system, or none.
  s.system_price_usd_per_gpu = {20000};
  EXPECT_THROW(
      {
        try {
          validate_scenario(s);
        } catch (const tokenmath::InputError& e) {
          EXPECT_NE(std::string(e.what()).find("owned.system_price_usd_per_gpu: value '1 items': needs one value per "
                                               "candidates.systems entry (2)"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      tokenmath::InputError);
}

// An API (or a model) whose context window is below the workload's step cannot serve it: marked with the reason,
// never priced, never an overflow target (DeepSeek's listed endpoint: 65,536 < the default step's 126,857).
TEST(Plan, ContextLimitsMakeAnApiOrAModelUnusable) {
  const Scenario s = parse_scenario(
      "candidates:\n  models: [deepseek-v3, gpt-oss-120b]\n  systems: [gb200-nvl72]\n"
      "  hosted_api_models: [deepseek/deepseek-v3, fireworks_ai/accounts/fireworks/models/gpt-oss-120b]\n",
      "ctx.yaml", default_scenario(test::shipped()));
  const PlanResult r = run_plan(test::shipped(), s);
  const Candidate& ds = find(r, "deepseek-v3", "gb200-nvl72");
  EXPECT_NE(ds.hosted_api_unusable.find("65536"), std::string::npos) << ds.hosted_api_unusable;
  EXPECT_EQ(ds.annual_hosted_api_usd, 0);
  EXPECT_NE(ds.hybrid_overflow_api, "deepseek/deepseek-v3");
  const Candidate& oss = find(r, "gpt-oss-120b", "gb200-nvl72");
  EXPECT_TRUE(oss.hosted_api_unusable.empty());
  EXPECT_GT(oss.annual_hosted_api_usd, 0);
  EXPECT_TRUE(r.reference_api_unusable.empty());
  // A step longer than a model's own window: llama-3.3-70b holds 131,072 tokens.
  const Scenario longer = parse_scenario("workload:\n  input_tokens_per_step: 200000\ncandidates:\n"
                                         "  models: [llama-3.3-70b]\n  systems: [gb200-nvl72]\n  hosted_api_models: []\n",
                                         "long.yaml", default_scenario(test::shipped()));
  const PlanResult lr = run_plan(test::shipped(), longer);
  ASSERT_FALSE(lr.candidates.empty());
  EXPECT_FALSE(lr.candidates.front().feasible);
  EXPECT_NE(lr.candidates.front().reason.find("context window"), std::string::npos) << lr.candidates.front().reason;
}

// The Monte Carlo is in the JSON as p10/p50/p90 keys (issue 13's contract), ordered.
TEST(PlanCli, JsonCarriesTheMonteCarloPercentiles) {
  const auto r = tokenmath::testing::run_cli("plan --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& u = j.at("uncertainty");
  EXPECT_EQ(u.at("draws").get<int>(), 1000);
  for (const char* k : {"annual_owned_usd", "gpus", "annual_reference_api_usd"}) {
    EXPECT_LE(u.at(k).at("p10").get<double>(), u.at(k).at("p50").get<double>()) << k;
    EXPECT_LE(u.at(k).at("p50").get<double>(), u.at(k).at("p90").get<double>()) << k;
  }
  EXPECT_TRUE(u.at("owned_usd_per_mtok").at("output").contains("p90"));
  EXPECT_GE(u.at("p_own_beats_reference_api").get<double>(), 0.0);
}

// The plan says how far the frontier it sized the fleet on was from published measurements, for the chosen
// model, its GPU and its engine (data/validation/accuracy.json), as `perf` does.
TEST(PlanCli, JsonCarriesTheMeasuredAccuracyOfTheChosenFleet) {
  const auto r = tokenmath::testing::run_cli("plan --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& scopes = j.at("accuracy").at("scopes");
  ASSERT_EQ(scopes.size(), 5u);
  const auto& acc = test::shipped().accuracy;
  const std::string gpu = scopes[1].at("id").get<std::string>();
  ASSERT_TRUE(acc.by_gpu.count(gpu)) << gpu;
  EXPECT_EQ(scopes[1].at("stats").at("rows").get<int>(), acc.by_gpu.at(gpu).n);
  EXPECT_EQ(scopes[4].at("stats").at("rows").get<int>(), acc.overall.n);
  const auto text = tokenmath::testing::run_cli("plan");
  EXPECT_NE(text.out.find("Measured accuracy of the frontier the fleet is sized on"), std::string::npos);
}

// Output files (issue 10): never over an existing file without --force, never over an input, and a failed
// write exits non-zero naming the path instead of printing "wrote".
TEST(PlanCli, OutputFilesAreWrittenSafely) {
  const std::string out = tokenmath::testing::write_temp("keep me", ".md");
  const auto refused = tokenmath::testing::run_cli("plan --format md -o " + out);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("exists; pass --force"), std::string::npos) << refused.err;
  EXPECT_EQ(tokenmath::testing::slurp(out), "keep me");
  const std::string scenario = tokenmath::testing::write_temp("demand:\n  engineers: 10\n", ".yaml");
  const auto over_input = tokenmath::testing::run_cli("plan " + scenario + " --force -o " + scenario);
  EXPECT_EQ(over_input.exit_code, 2);
  EXPECT_NE(over_input.err.find("is an input of this command"), std::string::npos) << over_input.err;
  EXPECT_EQ(tokenmath::testing::slurp(scenario), "demand:\n  engineers: 10\n");
  const auto full = tokenmath::testing::run_cli("plan --force -o /dev/full");
  EXPECT_NE(full.exit_code, 0);
  EXPECT_EQ(full.out.find("wrote"), std::string::npos) << full.out;
  EXPECT_NE(full.err.find("/dev/full"), std::string::npos) << full.err;
}

}  // namespace

TEST(Plan, ApiCostOfTheDemandEqualsTheBudget) {
  const PlanResult r = run_plan(test::shipped(), small());
  EXPECT_NEAR(r.api_annual_usd, 1000 * 250000.0, 1e-6 * 250e6);
  EXPECT_NEAR(r.api_blended_usd_per_mtok * r.demand.tokens_per_year.total() / 1e6, r.api_annual_usd,
              1e-6 * r.api_annual_usd);
}

TEST(Plan, PricePerTokenTimesTokensIsTheAnnualCost) {
  const PlanResult r = run_plan(test::shipped(), small());
  ASSERT_GE(r.chosen, 0);
  const auto& t = r.demand.tokens_per_year;
  for (const auto& c : r.candidates) {
    if (!c.feasible) continue;
    const auto& p = c.owned_prices;
    const double dollars = (t.fresh_input * p.fresh_input_usd_per_mtok + t.cached_input * p.cached_input_usd_per_mtok +
                            t.output * p.output_usd_per_mtok) /
                           1e6;
    EXPECT_NEAR(dollars, c.annual_owned_usd, 1e-6 * c.annual_owned_usd) << c.model_id << " " << c.system_id;
    EXPECT_NEAR(c.owned_blended_usd_per_mtok * t.total() / 1e6, c.annual_owned_usd, 1e-6 * c.annual_owned_usd);
    EXPECT_NEAR(c.annual_capital_usd + c.annual_opex_usd, c.annual_owned_usd, 1e-6 * c.annual_owned_usd);
  }
}

TEST(Plan, AnnualisedCapexIsTheHandAnnuity) {
  const Scenario s = small();
  const PlanResult r = run_plan(test::shipped(), s);
  const auto& c = find(r, "llama-3.3-70b", "hgx-h200");
  ASSERT_TRUE(c.feasible) << c.reason;
  const auto& sys = test::shipped().catalog.system("hgx-h200");
  const auto& a = s.cost;
  // Spares are bought with the fleet: capex and its annuity include them (the capital and spares lines).
  const double capex = sys.price_usd_per_gpu * s.gpu_price_multiplier *
                       (1 + a.network_share + a.installation_share + a.spares_fraction);
  const double r_ = a.cost_of_capital, n = a.lifetime_years;
  const double annuity = (capex - a.residual_fraction * capex / std::pow(1 + r_, n)) * r_ / (1 - std::pow(1 + r_, -n));
  EXPECT_NEAR(c.capex_usd, capex * c.gpus, 1e-6 * c.capex_usd);
  EXPECT_NEAR(c.annual_capital_usd, annuity * c.gpus, 1e-6 * c.annual_capital_usd);
  EXPECT_NEAR(c.annual_lines.capital_usd + c.annual_lines.spares_usd, c.annual_capital_usd, 1e-6 * c.annual_capital_usd);
  EXPECT_NEAR(c.annual_lines.spares_usd / c.annual_capital_usd, a.spares_fraction / (capex / sys.price_usd_per_gpu),
              1e-9);
}

// The fleet's lines: each follows its formula at the fleet's size and utilisation, and they sum to the total.
TEST(Plan, OwnedLinesFollowTheFleetAndSumToTheAnnualCost) {
  Scenario s = small();
  s.simulate_requests = 0;
  s.uncertainty_draws = 0;
  const PlanResult r = run_plan(test::shipped(), s);
  const auto& a = s.cost;
  for (const auto& c : r.candidates) {
    if (!c.feasible) continue;
    const auto& l = c.annual_lines;
    const double g = static_cast<double>(c.gpus);
    EXPECT_NEAR(l.total_usd(), c.annual_owned_usd, 1e-9 * c.annual_owned_usd);
    // Power at the fleet's busy share (the load-duration average over the year).
    EXPECT_DOUBLE_EQ(c.per_gpu.utilization, c.utilisation);
    const double kw = g * c.per_gpu.wall_kw_per_gpu *
                      (c.utilisation * a.busy_power_fraction + (1 - c.utilisation) * a.idle_power_fraction);
    EXPECT_NEAR(l.power_usd, kw * c.per_gpu.pue * a.power_usd_per_kwh * 8760, 1e-6 * l.power_usd);
    EXPECT_NEAR(l.staff_usd, c.it_mw * a.staff_fte_per_mw * a.staff_usd_per_fte_year, 1e-6 * l.staff_usd);
    EXPECT_NEAR(l.software_usd, g * a.software_usd_per_gpu_year, 1e-6 * l.software_usd);
    EXPECT_NEAR(l.facility_usd, c.it_mw * 1000 * a.colo_usd_per_kw_month * 12, 1e-6 * l.facility_usd);
    // Idle cost + the power the year's steps add = the annual cost.
    EXPECT_NEAR(c.annual_owned_idle_usd + r.demand.steps_per_year * c.owned_usd_per_step, c.annual_owned_usd,
                1e-6 * c.annual_owned_usd);
    // The hybrid's all-owned end serves every step: it costs the all-owned fleet.
    EXPECT_NEAR(c.hybrid.curve.back().owned_usd_per_year, c.annual_owned_usd, 1e-6 * c.annual_owned_usd);
    EXPECT_DOUBLE_EQ(c.hybrid.curve.back().api_usd_per_year, 0.0);
    // The multi-year view's first year runs the same fleet: the same running costs.
    ASSERT_FALSE(c.horizon.years.empty());
    EXPECT_NEAR(c.horizon.years.front().opex_usd, c.annual_opex_usd, 1e-6 * c.annual_opex_usd);
  }
}

// Staff are per MW of IT load: doubling the scenario's staffing doubles that line and nothing else.
TEST(Plan, StaffLineScalesWithMegawattsAndLeavesTheOtherLines) {
  Scenario s = small();
  s.simulate_requests = 0;
  s.uncertainty_draws = 0;
  const PlanResult base = run_plan(test::shipped(), s);
  cost::set_assumption(s.cost, "staff_fte_per_mw", 2 * s.cost.staff_fte_per_mw, "<test>", "cost.staff_fte_per_mw");
  const PlanResult more = run_plan(test::shipped(), s);
  const Candidate& b = find(base, "gpt-oss", "hgx-h200");
  const Candidate& m = find(more, "gpt-oss", "hgx-h200");
  ASSERT_EQ(b.gpus, m.gpus);
  EXPECT_NEAR(m.annual_lines.staff_usd, 2 * b.annual_lines.staff_usd, 1e-9 * m.annual_lines.staff_usd);
  EXPECT_NEAR(m.annual_owned_usd - b.annual_owned_usd, b.annual_lines.staff_usd, 1e-6 * b.annual_owned_usd);
  EXPECT_DOUBLE_EQ(m.annual_lines.power_usd, b.annual_lines.power_usd);
  // Two systems: staff per GPU follow their rated kW per GPU.
  const Candidate& g = find(base, "gpt-oss", "gb200-nvl72");
  EXPECT_NEAR(g.annual_lines.staff_usd / g.it_mw, b.annual_lines.staff_usd / b.it_mw, 1e-6 * g.annual_lines.staff_usd / g.it_mw);
}

// An idle draw equal to the busy draw is the old flat power: a lower idle draw lowers the cost of a fleet that is
// not always busy, and the break-even utilisation with it.
TEST(Plan, IdleDrawBelowBusyDrawLowersTheCostOfAPartlyIdleFleet) {
  Scenario s = small();
  s.simulate_requests = 0;
  s.uncertainty_draws = 0;
  cost::set_assumption(s.cost, "idle_power_fraction", s.cost.busy_power_fraction, "<test>", "idle");
  const PlanResult flat = run_plan(test::shipped(), s);
  const PlanResult shipped = run_plan(test::shipped(), small());
  const Candidate& f = find(flat, "gpt-oss", "hgx-h200");
  const Candidate& p = find(shipped, "gpt-oss", "hgx-h200");
  ASSERT_LT(p.utilisation, 1.0);
  EXPECT_DOUBLE_EQ(f.owned_usd_per_step, 0.0);  // no power above idle to add
  EXPECT_LT(p.annual_lines.power_usd, f.annual_lines.power_usd);
  EXPECT_LE(p.break_even_utilisation, f.break_even_utilisation);
  // With flat power the break-even is the fleet's cost / the API's price of its whole capacity.
  EXPECT_NEAR(f.break_even_utilisation * flat.api_annual_usd / f.utilisation, f.annual_owned_usd,
              1e-6 * f.annual_owned_usd);
}

TEST(Plan, HigherGpuPriceNeverLowersOwnedCost) {
  Scenario s = small();
  std::vector<PlanResult> runs;
  for (double m : {0.5, 1.0, 2.0, 4.0}) {
    s.gpu_price_multiplier = m;
    runs.push_back(run_plan(test::shipped(), s));
  }
  for (std::size_t i = 1; i < runs.size(); ++i)
    for (const auto& c : runs[i].candidates) {
      if (!c.feasible) continue;
      const auto& prev = find(runs[i - 1], c.model_id, c.system_id);
      EXPECT_GE(c.annual_owned_usd, prev.annual_owned_usd) << c.model_id << " " << c.system_id;
      EXPECT_GE(c.owned_blended_usd_per_mtok, prev.owned_blended_usd_per_mtok);
    }
}

TEST(Plan, HigherUtilisationNeverRaisesPricePerToken) {
  // Burstier demand (same tokens) forces a larger fleet for the same work: utilisation falls, $/M must not fall.
  Scenario s = small();
  std::vector<PlanResult> runs;
  for (double burst : {1.0, 1.5, 2.5, 4.0}) {
    s.burst_factor = burst;
    runs.push_back(run_plan(test::shipped(), s));
  }
  for (std::size_t i = 1; i < runs.size(); ++i)
    for (const auto& c : runs[i].candidates) {
      if (!c.feasible) continue;
      const auto& prev = find(runs[i - 1], c.model_id, c.system_id);
      EXPECT_LE(c.utilisation, prev.utilisation + 1e-12);
      EXPECT_GE(c.owned_prices.fresh_input_usd_per_mtok, prev.owned_prices.fresh_input_usd_per_mtok * (1 - 1e-12));
      EXPECT_GE(c.owned_prices.cached_input_usd_per_mtok, prev.owned_prices.cached_input_usd_per_mtok * (1 - 1e-12));
      EXPECT_GE(c.owned_prices.output_usd_per_mtok, prev.owned_prices.output_usd_per_mtok * (1 - 1e-12));
    }
}

TEST(Plan, HybridNeverWorseThanEitherPureOption) {
  Scenario s = small();
  for (const std::string overflow : {"same_model", "reference"}) {
    s.hybrid_overflow_api = overflow;
    for (double api : {0.001, 0.01, 0.1, 1.0}) {  // from "API nearly free" to list price
      s.api_price_multiplier = api;
      const PlanResult r = run_plan(test::shipped(), s);
      for (const auto& c : r.candidates) {
        if (!c.feasible) continue;
        const double all_api =
            c.hybrid_overflow_api == r.reference_api.model ? r.api_annual_usd : c.annual_hosted_api_usd;
        const double all_owned = c.annual_owned_usd;
        EXPECT_NEAR(c.hybrid.curve.front().total_usd_per_year(), all_api, 1e-6 * all_api);
        EXPECT_NEAR(c.hybrid.curve.back().total_usd_per_year(), all_owned, 1e-6 * all_owned);
        EXPECT_LE(c.hybrid.best.total_usd_per_year(), std::min(all_api, all_owned) * (1 + 1e-12));
        EXPECT_EQ(c.hybrid_overflow_api,
                  overflow == "same_model" && !c.hosted_api_model.empty() ? c.hosted_api_model : r.reference_api.model);
      }
    }
  }
}

TEST(Plan, InfeasibleCandidatesAreListedWithAReason) {
  // Llama-3.1-405B as shipped (BF16, 810 GB) does not fit one 8 x 80 GB node, and dense models do not span
  // nodes in the planner's search.
  const Scenario s = parse_scenario(
      "candidates:\n  models: [llama-3.1-405b]\n  systems: [hgx-h100, gb200-nvl72]\n"
      "  hosted_api_models: []\n  weight_precisions: [native]\n",
      "x.yaml", default_scenario(test::shipped()));
  const PlanResult r = run_plan(test::shipped(), s);
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_TRUE(r.candidates[0].feasible);
  EXPECT_EQ(r.candidates[1].system_id, "hgx-h100");
  EXPECT_FALSE(r.candidates[1].feasible);
  EXPECT_NE(r.candidates[1].reason.find("weights need"), std::string::npos) << r.candidates[1].reason;
}

TEST(Plan, MoeModelsSpanNodesWithWideExpertParallelism) {
  // DeepSeek-V3 in FP8 (671 GB) does not fit one 8 x 80 GB HGX node; attention DP + EP over 16 GPUs across two
  // nodes (all-to-all over the scale-out NICs) serves it.
  const Scenario s = parse_scenario(
      "candidates:\n  models: [deepseek-v3]\n  systems: [hgx-h100]\n  hosted_api_models: []\n",
      "x.yaml", default_scenario(test::shipped()));
  const PlanResult r = run_plan(test::shipped(), s);
  ASSERT_EQ(r.candidates.size(), 1u);
  ASSERT_TRUE(r.candidates[0].feasible) << r.candidates[0].reason;
  EXPECT_GT(r.candidates[0].replica.gpus, 8);
  EXPECT_TRUE(r.candidates[0].replica.deployment.attention_dp);
}

TEST(Plan, FleetAddsUp) {
  const PlanResult r = run_plan(test::shipped(), small());
  for (const auto& c : r.candidates) {
    if (!c.feasible) continue;
    EXPECT_EQ(c.gpus, c.replicas * c.replica.gpus);
    // Capacity at the target load covers the burst peak, and one replica fewer would not.
    const double usable = c.replica.best.steps_per_s * r.scenario.peak_load_target;
    EXPECT_GE(c.replicas * usable, r.demand.peak_steps_per_s * (1 - 1e-12));
    EXPECT_LT((c.replicas - 1) * usable, r.demand.peak_steps_per_s);
    EXPECT_NEAR(c.facility_mw, c.it_mw * c.per_gpu.pue, 1e-9);
    EXPECT_GT(c.utilisation, 0);
    EXPECT_LE(c.utilisation, 1);
    EXPECT_GE(c.replica.best.tok_s_per_user, r.scenario.min_output_tok_s_per_user);
    EXPECT_LE(c.replica.best.ttft_s, r.scenario.max_ttft_s);
    EXPECT_LE(c.replica.best.kv_used_fraction, 1.0);
  }
}

TEST(Plan, UnknownNamesNameTheScenarioKey) {
  try {
    run_plan(test::shipped(), parse_scenario("candidates:\n  models: [gpt-oss-120b, lama-3.3-70b]\n  hosted_api_models: []\n",
                            "bad.yaml", default_scenario(test::shipped())));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "bad.yaml");
    EXPECT_EQ(e.field(), "candidates.models[1]");
    EXPECT_EQ(e.value(), "lama-3.3-70b");
  }
  try {
    run_plan(test::shipped(), parse_scenario("demand:\n  reference_api_model: claude-opus-9\n", "bad.yaml", default_scenario(test::shipped())));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "demand.reference_api_model");
    EXPECT_EQ(e.value(), "claude-opus-9");
  }
  EXPECT_THROW(parse_scenario("candidates:\n  hosted_api_models: [a]\n", "bad.yaml", default_scenario(test::shipped())), InputError);
}

TEST(PlanCli, BadScenarioIsOneLineAndExitCode2) {
  const std::string path = tokenmath::testing::write_temp("slo:\n  max_ttft_s: soon\n", ".yaml");
  const auto r = tokenmath::testing::run_cli("plan " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tokenmath: error: " + path + ": slo.max_ttft_s: value 'soon': expected a number in s\n");
}

TEST(PlanCli, WrittenDefaultRunsLikeTheDefault) {
  const std::string path = tokenmath::testing::write_temp("", ".yaml");
  const auto w = tokenmath::testing::run_cli("plan --force --write-default " + path);  // write_temp created it
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const auto a = tokenmath::testing::run_cli("plan --format json");
  const auto b = tokenmath::testing::run_cli("plan " + path + " --format json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(ja["candidates"], jb["candidates"]);
  EXPECT_EQ(ja["answer"], jb["answer"]);
}

TEST(PlanCli, DefaultTableStartsWithTheSixLineAnswer) {
  const auto r = tokenmath::testing::run_cli("plan");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Six answer items, each starting at two spaces; wrapped continuation lines (4 spaces) keep a 120-column terminal.
  std::vector<std::string> items;
  std::size_t pos = 0, max_len = 0;
  while (pos < r.out.size()) {
    auto nl = r.out.find('\n', pos);
    if (nl == std::string::npos) nl = r.out.size();
    const std::string line = r.out.substr(pos, nl - pos);
    max_len = std::max(max_len, line.size());
    if (items.size() < 6 && line.rfind("  ", 0) == 0 && line.rfind("    ", 0) != 0) items.push_back(line);
    pos = nl + 1;
  }
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0].rfind("  Demand:", 0), 0u);
  EXPECT_EQ(items[1].rfind("  Buy:", 0), 0u);
  EXPECT_EQ(items[2].rfind("  Per year:", 0), 0u);
  EXPECT_EQ(items[3].rfind("  Owning beats", 0), 0u);
  EXPECT_EQ(items[4].rfind("  Payback against the reference API", 0), 0u);
  EXPECT_EQ(items[5].rfind("  Caveat: equal cost per token is not equal quality", 0), 0u);
  EXPECT_LE(max_len, 120u) << "the terminal report must fit 120 columns";
}

TEST(PlanCli, HtmlIsSelfContainedWithSixCharts) {
  const auto r = tokenmath::testing::run_cli("plan --format html");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t svgs = 0;
  for (auto p = r.out.find("<svg"); p != std::string::npos; p = r.out.find("<svg", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 6u);  // the five charts of before, plus the Monte Carlo's distribution
  EXPECT_NE(r.out.find("<h2>Uncertainty</h2>"), std::string::npos);
  EXPECT_EQ(r.out.find("<script"), std::string::npos);
  EXPECT_EQ(r.out.find(" src="), std::string::npos);  // no external resources
  EXPECT_EQ(r.out.find("<link"), std::string::npos);
  EXPECT_NE(r.out.find("Equal cost per token does not mean equal quality"), std::string::npos);
}

TEST(Plan, SimulatorAgreesWithTheAnalyticReplicaOnThroughputAndHitRate) {
  Scenario s = small();
  s.simulate_requests = 6000;
  const PlanResult r = run_plan(test::shipped(), s);
  ASSERT_TRUE(r.sim_check.ran) << r.sim_check.note;
  const auto& tok = r.demand.tokens_per_step;
  // The owned replica's own hit rate (its retention of idle sessions), not the API's.
  EXPECT_NEAR(r.sim_check.prefix_hit_rate, r.best()->replica.best.cache_hit_rate, 0.005);
  // Open-loop arrivals at the planned load: served output rate = arrival rate x output tokens (within noise).
  const double expected = r.sim_check.arrival_rate_per_s * tok.output;
  EXPECT_NEAR(r.sim_check.output_tok_s, expected, 0.08 * expected);
  // The simulation runs at slo.peak_load_target of the analytic operating point (the SLO-bound concurrency):
  // its median latencies must not exceed the analytic ones at full load by more than scheduling noise.
  const auto& best = r.best()->replica.best;
  EXPECT_LE(r.sim_check.tpot_p50_s, 1.25 * best.iteration_s);
  EXPECT_LE(r.sim_check.ttft_p50_s, s.max_ttft_s);
  EXPECT_GT(r.sim_check.slo_attainment, 0.5);
  s.simulate_requests = 0;
  EXPECT_FALSE(run_plan(test::shipped(), s).sim_check.ran);
}

TEST(Plan, AutoscaledRentalPaysOnlyTheHoursNeeded) {
  Scenario s = small();
  const PlanResult reserved = run_plan(test::shipped(), s);
  s.rented_billing = "autoscaled";
  const PlanResult autoscaled = run_plan(test::shipped(), s);
  int checked = 0;
  for (const auto& c : autoscaled.candidates) {
    if (!c.feasible || c.annual_rented_usd <= 0) continue;
    const auto& r = find(reserved, c.model_id, c.system_id);
    EXPECT_NEAR(r.rented_gpu_hours_per_year, static_cast<double>(r.gpus) * 8760, 1e-6);
    EXPECT_LT(c.annual_rented_usd, r.annual_rented_usd);  // idle days and night hours are not paid
    EXPECT_GT(c.rented_gpu_hours_per_year, 0);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(Plan, ReadsAUserSuppliedLiteLLMPriceList) {
  // Today's LiteLLM file can replace the shipped subset: prices per token, cache read and write where priced.
  const std::string prices = tokenmath::testing::write_temp(R"({
    "my-frontier": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
                    "cache_read_input_token_cost": 2e-07, "cache_creation_input_token_cost": 2.5e-06,
                    "litellm_provider": "acme", "mode": "chat"}
  })",
                                                            ".json");
  const Scenario s = parse_scenario("demand:\n  price_list: " + prices +
                                        "\n  reference_api_model: my-frontier\n"
                                        "candidates:\n  models: [gpt-oss-120b]\n  systems: [hgx-h200]\n"
                                        "  hosted_api_models: []\n",
                                    "mine.yaml", default_scenario(test::shipped()));
  const PlanResult r = run_plan(test::shipped(), s);
  EXPECT_EQ(r.reference_api.model, "my-frontier");
  EXPECT_DOUBLE_EQ(r.demand.reference_prices.fresh_input_usd_per_mtok, 2.5);  // cache write, as the default asks
  EXPECT_DOUBLE_EQ(r.demand.reference_prices.cached_input_usd_per_mtok, 0.2);
  EXPECT_DOUBLE_EQ(r.demand.reference_prices.output_usd_per_mtok, 10.0);
  EXPECT_NEAR(r.api_annual_usd, 250e6, 1e-6 * 250e6);
  try {
    run_plan(test::shipped(), parse_scenario("demand:\n  price_list: /nonexistent/prices.json\n", "mine.yaml", default_scenario(test::shipped())));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "demand.price_list");
  }
}

TEST(PlanCli, FormatsAndOutputFile) {
  const std::string out = tokenmath::testing::write_temp("", ".md");
  const auto r = tokenmath::testing::run_cli("plan --format md --force -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = tokenmath::testing::slurp(out);
  EXPECT_EQ(md.rfind("# tokenmath plan: ", 0), 0u);
  EXPECT_NE(md.find("| model | system | deployment |"), std::string::npos);
  EXPECT_NE(md.find("## Assumptions and sources"), std::string::npos);
  const auto bad = tokenmath::testing::run_cli("plan --format csv");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--format"), std::string::npos);
}

// Replicas are sized so that the decode-speed SLO holds for slo.percentile of requests, not on average: the
// default plan's own simulation check meets both SLOs for at least 95% of requests at its nominal load target.
TEST(Plan, DefaultPlanMeetsItsSloForNinetyFivePercentInSimulation) {
  const PlanResult r = run_plan(test::shipped(), default_scenario(test::shipped()));
  ASSERT_TRUE(r.sim_check.ran) << r.sim_check.note;
  EXPECT_GE(r.sim_check.slo_attainment, 0.95);
  EXPECT_GE(r.sim_check.tpot_attainment, r.sim_check.slo_attainment);
  EXPECT_GE(r.sim_check.ttft_attainment, r.sim_check.slo_attainment);
}

TEST(Plan, PercentileSloIsSlowerThanTheMeanExceptForALoneRequest) {
  Scenario s = small();
  const PlanResult r = run_plan(test::shipped(), s);
  const Candidate& c = find(r, "gpt-oss-120b", "hgx-h200");
  ASSERT_TRUE(c.feasible) << c.reason;
  const auto& f = c.replica.frontier;
  ASSERT_GE(f.size(), 2u);
  // A lone request meets no other prefill: its percentile speed is the mean.
  EXPECT_NEAR(f.front().tok_s_per_user_p90, f.front().tok_s_per_user, 1e-9 * f.front().tok_s_per_user);
  for (std::size_t i = 1; i < f.size(); ++i) EXPECT_LE(f[i].tok_s_per_user_p90, f[i].tok_s_per_user * (1 + 1e-12));
  // The chosen point meets the SLO at the percentile; a stricter percentile can only shrink the replica's load.
  EXPECT_GE(c.replica.best.tok_s_per_user_p90, s.min_output_tok_s_per_user);
  s.slo_percentile = 0.99;
  const PlanResult strict_plan = run_plan(test::shipped(), s);
  const Candidate& strict = find(strict_plan, "gpt-oss-120b", "hgx-h200");
  ASSERT_TRUE(strict.feasible);
  EXPECT_LE(strict.replica.best.concurrency, c.replica.best.concurrency);
}
