#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/cost/rental.hpp"
#include "tokenmath/report/perf.hpp"
#include "tokenmath/report/plan.hpp"
#include "tokenmath/report/svg.hpp"

namespace tokenmath::report {
namespace {

using plan::Candidate;
using plan::PlanResult;

std::string usd(double v) { return svg::short_number(v, "$"); }
std::string num(double v) { return svg::short_number(v); }
std::string per_mtok(double v) { return v >= 0.1 ? fmt::format("${:.2f}/M", v) : fmt::format("${:.4f}/M", v); }
std::string pct(double v) {
  if (!std::isfinite(v)) return "n/a";
  return std::fabs(v) < 0.1 ? fmt::format("{:.1f}%", 100 * v) : fmt::format("{:.0f}%", 100 * v);
}
std::string engineers_text(double e) {
  if (!std::isfinite(e)) return "no organisation size (the API is cheaper per engineer at any scale)";
  if (e <= 1) return "a single engineer";
  return format_number(std::ceil(e), 0) + " engineers";
}
std::string years_text(double y) {
  if (!std::isfinite(y)) return "never";
  if (y < 1.0 / 12) return fmt::format("{:.0f} days", y * 365);
  if (y < 2) return fmt::format("{:.1f} months", y * 12);
  return fmt::format("{:.1f} years", y);
}
Cell positive_or_null(double v) { return v > 0 && std::isfinite(v) ? Cell{v} : Cell{}; }

std::string first_sentence(const std::string& s) {
  const auto dot = s.find(". ");
  return dot == std::string::npos ? s : s.substr(0, dot + 1);
}

}  // namespace

std::vector<std::string> plan_answer(const PlanResult& r) {
  const auto& s = r.scenario;
  const auto& d = r.demand;
  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "Demand: {} engineers x {}/yr at {} list prices = {}/yr = {} agent steps, {} tokens/yr ({} of input cached); "
      "peak {:.0f} steps/s, mean {:.0f}.",
      format_number(s.engineers, 0), usd(s.budget_usd_per_engineer_year), r.reference_api.model,
      usd(d.budget_usd_per_year), num(d.steps_per_year), num(d.tokens_per_year.total()), pct(s.cache_hit_rate),
      d.peak_steps_per_s, d.average_steps_per_s));
  const Candidate* c = r.best();
  if (!c) {
    lines.push_back("Buy: no candidate meets the SLOs on the systems given (see the reasons below).");
    lines.push_back(fmt::format("Annual cost: reference API {}.", usd(r.api_annual_usd)));
    lines.push_back("Break-even: not applicable.");
    lines.push_back("Quality: " + first_sentence(s.quality_assumption));
    return lines;
  }
  lines.push_back(fmt::format(
      "Buy: {} on {} x {} ({} replicas of {}, {} nodes, {:.2f} MW IT / {:.2f} MW facility), capex {}{}; its cache "
      "keeps {} of input (idle sessions' KV room {:.1f}x the active steps'{}).",
      c->model_name, format_number(static_cast<double>(c->gpus), 0), c->system_name, c->replicas, c->replica.label,
      c->nodes, c->it_mw, c->facility_mw, usd(c->capex_usd), c->preliminary ? " (preliminary hardware figures)" : "",
      pct(c->replica.best.cache_hit_rate), c->replica.best.idle_storage_ratio,
      c->replica.best.host_hit_tokens > 0 ? ", host-memory tier included" : ", HBM"));
  std::string rent = c->annual_rented_usd > 0
                         ? fmt::format("rent {} ({}, {})", usd(c->annual_rented_usd), s.rented_tier, s.rented_billing)
                         : "rent: no price for " + s.rented_tier;
  std::string hosted =
      c->annual_hosted_api_usd > 0 ? fmt::format(" | same model via API {}", usd(c->annual_hosted_api_usd))
      : !c->hosted_api_unusable.empty()
          ? fmt::format(" | same model via API ({}): cannot serve it, {}", c->hosted_api_model, c->hosted_api_unusable)
          : "";
  lines.push_back(fmt::format("Per year: own {} ({} blended) | {}{} | reference API {} ({}).", usd(c->annual_owned_usd),
                              per_mtok(c->owned_blended_usd_per_mtok), rent, hosted, usd(r.api_annual_usd),
                              per_mtok(r.api_blended_usd_per_mtok)));
  const auto& h = c->hybrid.best;
  const std::string hosted_be =
      c->annual_hosted_api_usd > 0 ? fmt::format(" (same model's API: above {})", pct(c->hosted_break_even_utilisation))
                                   : "";
  lines.push_back(fmt::format(
      "Owning beats the reference API from {} at this budget, or above {} fleet utilisation{}; this fleet runs at "
      "{}; payback {}; cheapest split: own {} of peak capacity, overflow to {}, {}/yr.",
      engineers_text(c->break_even_engineers), pct(c->break_even_utilisation), hosted_be, pct(c->utilisation),
      years_text(c->payback_years), pct(h.owned_fraction), c->hybrid_overflow_api, usd(h.total_usd_per_year())));
  if (c->hybrid.min_replicas > 0 || c->hybrid_terms.commit_usd_per_year > 0)
    lines.push_back(fmt::format(
        "API terms: {}{}.",
        c->hybrid.min_replicas > 0
            ? fmt::format("its rate limit ({:.2f} steps/s) requires owning at least {} replicas", c->hybrid_terms.max_steps_per_s,
                          c->hybrid.min_replicas)
            : "no binding rate limit",
        c->hybrid_terms.commit_usd_per_year > 0
            ? fmt::format("; a committed {}/yr ({} off list) is paid at every split", usd(c->hybrid_terms.commit_usd_per_year),
                          pct(c->hybrid_terms.commit_discount))
            : ""));
  {
    const auto& hv = c->horizon;
    const std::string hosted_pb =
        std::isfinite(c->hosted_payback_years)
            ? fmt::format("; against the same model's API {} (discounted {})", years_text(c->hosted_payback_years),
                          years_text(c->hosted_discounted_payback_years))
            : "";
    const std::string hosted_npv =
        hv.npv_hosted_api_usd > 0 ? fmt::format(" | same model via API {}", usd(hv.npv_hosted_api_usd)) : "";
    lines.push_back(fmt::format(
        "Payback against the reference API {} (discounted at {:.0f}%/yr: {}){}. Over {} years (demand {:+.0f}%/yr, "
        "API prices -{:.0f}%/yr), present cost: own {} | hybrid {} | reference API {}{}.",
        years_text(c->payback_years), 100 * r.scenario.cost.cost_of_capital, years_text(c->discounted_payback_years),
        hosted_pb, hv.in.years, 100 * hv.in.growth, 100 * hv.in.api_decline, usd(hv.npv_owned_usd),
        usd(hv.npv_hybrid_usd), usd(hv.npv_api_usd), hosted_npv));
  }
  std::string driver;
  if (!r.tornado.empty()) {
    const auto& t = r.tornado.front();
    driver = fmt::format(" Largest uncertainty: {} ({}) [{}, {}] moves the plan's cost {} to {}.", t.label, t.input,
                         svg::short_number(t.low_value), svg::short_number(t.high_value), usd(t.low_cost_usd),
                         usd(t.high_cost_usd));
  }
  lines.push_back("Caveat: equal cost per token is not equal quality; this plan assumes: " +
                  first_sentence(s.quality_assumption) + driver);
  return lines;
}

Table plan_candidates_table(const PlanResult& r) {
  Table t({{"model", "model"},
           {"system", "system"},
           {"deployment", "deployment"},
           {"replicas", "replicas", 0},
           {"gpus", "GPUs", 0},
           {"it_mw", "IT MW", 2},
           {"capex_usd", "capex $", 0},
           {"owned_usd_per_year", "own $/yr", 0},
           {"owned_usd_per_mtok", "own $/M", 4},
           {"rented_usd_per_year", "rent $/yr", 0},
           {"hosted_api_usd_per_year", "same-model API $/yr", 0},
           {"utilisation", "util", 2},
           {"steps_per_s_per_replica", "steps/s/replica", 2},
           {"tok_s_per_user", "tok/s/user", 1},
           {"ttft_s", "TTFT s", 2},
           {"ttft_miss_s", "miss TTFT s", 1},
           {"owned_cache_hit_rate", "own hit", 3},
           {"status", "status"}});
  for (const auto& c : r.candidates) {
    if (!c.feasible) {
      t.add_row({c.model_id,
                 c.system_id,
                 {},
                 {},
                 {},
                 {},
                 {},
                 {},
                 {},
                 {},
                 positive_or_null(c.annual_hosted_api_usd),
                 {},
                 {},
                 {},
                 {},
                 {},
                 {},
                 "infeasible: " + c.reason});
      continue;
    }
    t.add_row({c.model_id, c.system_id, c.replica.label, static_cast<long long>(c.replicas),
               static_cast<long long>(c.gpus), c.it_mw, c.capex_usd, c.annual_owned_usd, c.owned_blended_usd_per_mtok,
               positive_or_null(c.annual_rented_usd), positive_or_null(c.annual_hosted_api_usd), c.utilisation,
               c.replica.best.steps_per_s, c.replica.best.tok_s_per_user, c.replica.best.ttft_s,
               positive_or_null(c.replica.best.ttft_miss_s), c.replica.best.cache_hit_rate,
               std::string(c.preliminary ? "ok (preliminary hw)" : "ok")});
  }
  return t;
}

Table plan_per_model_table(const PlanResult& r) {
  Table t({{"model", "model"},
           {"system", "cheapest system"},
           {"deployment", "deployment"},
           {"gpus", "GPUs", 0},
           {"facility_mw", "facility MW", 2},
           {"owned_usd_per_year", "own $/yr", 0},
           {"hosted_api_usd_per_year", "same-model API $/yr", 0},
           {"reference_api_usd_per_year", "reference API $/yr", 0},
           {"payback", "payback vs reference"}});
  std::vector<std::string> seen;
  for (const auto& c : r.candidates) {
    if (std::find(seen.begin(), seen.end(), c.model_id) != seen.end()) continue;
    seen.push_back(c.model_id);
    if (!c.feasible) {
      t.add_row({c.model_id, std::string("none feasible"), {}, {}, {}, {}, positive_or_null(c.annual_hosted_api_usd),
                 r.api_annual_usd, {}});
      continue;
    }
    t.add_row({c.model_id, c.system_id, c.replica.label, static_cast<long long>(c.gpus), c.facility_mw,
               c.annual_owned_usd, positive_or_null(c.annual_hosted_api_usd), r.api_annual_usd,
               years_text(c.payback_years)});
  }
  return t;
}

Table plan_demand_table(const PlanResult& r) {
  const auto& d = r.demand;
  Table t({{"rate", "rate"},
           {"steps_per_s", "agent steps/s", 1},
           {"fresh_input_tok_s", "fresh input tok/s", 0},
           {"cached_input_tok_s", "cached input tok/s", 0},
           {"output_tok_s", "output tok/s", 0}});
  auto row = [&](const std::string& name, double steps) {
    const auto m = d.rate(steps);
    t.add_row({name, steps, m.fresh_input, m.cached_input, m.output});
  };
  row("mean over the year (8,760 h)", d.average_steps_per_s);
  row("mean over a working day (24 h)", d.steps_per_year / r.scenario.working_days_per_year / 86400.0);
  row("busiest hour", d.peak_hour_steps_per_s);
  row(fmt::format("burst peak (x{:g}): capacity is sized for this", r.scenario.burst_factor), d.peak_steps_per_s);
  const auto y = d.tokens_per_year;
  t.add_row({"per year: steps and tokens (not per second)", d.steps_per_year, y.fresh_input, y.cached_input, y.output});
  return t;
}

Table plan_token_kinds_table(const PlanResult& r, const Candidate& c) {
  Table kinds({{"kind", "token kind"},
               {"tokens_per_year", "tokens/yr", 0},
               {"time_share", "GPU-time share", 3},
               {"owned_usd_per_mtok", "own $/M", 4},
               {"rented_usd_per_mtok", "rent $/M", 4},
               {"hosted_api_usd_per_mtok", "same-model API $/M", 4},
               {"reference_api_usd_per_mtok", "ref API $/M", 4}});
  const auto& t = r.demand.tokens_per_year;
  const auto& p = c.owned_prices;
  const auto& rp = c.rented_prices;
  const auto& h = c.hosted_prices;
  const bool rented = c.annual_rented_usd > 0, hosted = c.annual_hosted_api_usd > 0;
  const double m = r.scenario.api_price_multiplier;
  const auto& ref = r.demand.reference_prices;
  auto opt = [](bool on, double v) { return on ? Cell{v} : Cell{}; };
  kinds.add_row({"fresh input (prefill)", t.fresh_input, c.replica.best.share_fresh, p.fresh_input_usd_per_mtok,
                 opt(rented, rp.fresh_input_usd_per_mtok), opt(hosted, h.fresh_input_usd_per_mtok),
                 ref.fresh_input_usd_per_mtok * m});
  kinds.add_row({"cached input (prefix hit)", t.cached_input, c.replica.best.share_cached, p.cached_input_usd_per_mtok,
                 opt(rented, rp.cached_input_usd_per_mtok), opt(hosted, h.cached_input_usd_per_mtok),
                 ref.cached_input_usd_per_mtok * m});
  kinds.add_row({"output (decode)", t.output, c.replica.best.share_output, p.output_usd_per_mtok,
                 opt(rented, rp.output_usd_per_mtok), opt(hosted, h.output_usd_per_mtok), ref.output_usd_per_mtok * m});
  kinds.add_row({"blended", t.total(), 1.0, c.owned_blended_usd_per_mtok,
                 opt(rented, c.annual_rented_usd / t.total() * 1e6),
                 opt(hosted, c.annual_hosted_api_usd / t.total() * 1e6), r.api_blended_usd_per_mtok});
  return kinds;
}

Table plan_owned_lines_table(const PlanResult& r, const Candidate& c) {
  Table t({{"line", "line"},
           {"usd_per_year", "$/yr", 0},
           {"share", "share", 3},
           {"usd_per_gpu_hour", "$/GPU-h", 4},
           {"basis", "basis"}});
  const auto& l = c.annual_lines;
  const auto& g = c.per_gpu;
  const auto& a = r.scenario.cost;
  const double total = l.total_usd();
  auto row = [&](const char* name, double usd, double per_hour, std::string basis) {
    t.add_row({name, usd, total > 0 ? usd / total : 0.0, per_hour, std::move(basis)});
  };
  row("capital", l.capital_usd, g.capital_usd_per_gpu_hour,
      fmt::format("{}/GPU less spares, {:.0f} yr, {:.0f}%, resale {:.0f}%",
                  usd(g.capex_usd_per_gpu - g.spares_usd_per_gpu), a.lifetime_years, 100 * a.cost_of_capital,
                  100 * a.residual_fraction));
  row("spares", l.spares_usd, g.spares_usd_per_gpu_hour,
      fmt::format("{:.0f}% of system price, annuity as capex", 100 * a.spares_fraction));
  row("power", l.power_usd, g.power_usd_per_gpu_hour,
      fmt::format("{:.2f} kW busy {:.1f}%, {:.2f} idle, PUE {:.2f}", g.busy_kw_per_gpu, 100 * g.utilization,
                  g.idle_kw_per_gpu, g.pue));
  row("facility", l.facility_usd, g.facility_usd_per_gpu_hour,
      fmt::format("${}/kW-month x {:.2f} kW rated", a.colo_usd_per_kw_month, g.wall_kw_per_gpu));
  row("staff", l.staff_usd, g.staff_usd_per_gpu_hour,
      fmt::format("{} FTE/MW x {:.3f} MW x {}/FTE-yr", a.staff_fte_per_mw, c.it_mw, usd(a.staff_usd_per_fte_year)));
  row("software", l.software_usd, g.software_usd_per_gpu_hour,
      fmt::format("{}/GPU-yr x {} GPUs", usd(a.software_usd_per_gpu_year), c.gpus));
  row("total", total, g.total_usd_per_gpu_hour, "annualised TCO");
  return t;
}

Table plan_sim_check_table(const PlanResult& r) {
  Table t({{"metric", "metric"},
           {"analytic", "analytic at 100% (max SLO concurrency)", 3},
           {"sim_p50", "simulated p50", 3},
           {"sim_p90", "simulated p90", 3},
           {"slo", "SLO / limit", 3}});
  const Candidate* c = r.best();
  const auto& s = r.sim_check;
  if (!c || !s.ran) return t;
  const auto& b = c->replica.best;
  const auto& tok = r.demand.tokens_per_step;
  t.add_row({"TTFT s", b.ttft_s, s.ttft_p50_s, s.ttft_p90_s, r.scenario.max_ttft_s});
  // Mean time per output token a user sees: one iteration / the tokens it emits (speculative acceptance).
  t.add_row({"time per output token s", b.tok_s_per_user > 0 ? 1.0 / b.tok_s_per_user : 0.0, s.tpot_p50_s, s.tpot_p90_s,
             1.0 / r.scenario.min_output_tok_s_per_user});
  t.add_row({"prefix-cache hit rate (HBM + host tier)", b.cache_hit_rate, s.prefix_hit_rate, Cell{}, Cell{}});
  t.add_row({"output tok/s (replica, at the simulated load)", s.arrival_rate_per_s * tok.output, s.output_tok_s,
             Cell{}, Cell{}});
  t.add_row({"share of requests meeting both SLOs", Cell{}, s.slo_attainment, Cell{}, Cell{}});
  t.add_row({"share meeting the TTFT SLO / the TPOT SLO", Cell{}, s.ttft_attainment, s.tpot_attainment, Cell{}});
  return t;
}

Table plan_uncertainty_table(const PlanResult& r) {
  const auto& u = r.uncertainty;
  Table t({{"quantity", "quantity"}, {"p10", "P10"}, {"p50", "P50"}, {"p90", "P90"}});
  auto row = [&](const std::string& q, const plan::Percentiles& p, auto fmt_one) {
    t.add_row({q, fmt_one(p.p10), fmt_one(p.p50), fmt_one(p.p90)});
  };
  auto gpu = [](double v) { return format_number(v, 0) + " GPUs"; };
  row("annual cost, owned fleet", u.annual_owned_usd, usd);
  row("fleet", u.gpus, gpu);
  row("owned fresh input", u.owned_fresh_input_usd_per_mtok, per_mtok);
  row("owned cached input", u.owned_cached_input_usd_per_mtok, per_mtok);
  row("owned output", u.owned_output_usd_per_mtok, per_mtok);
  row("owned blended", u.owned_blended_usd_per_mtok, per_mtok);
  row("annual cost, reference API", u.annual_reference_api_usd, usd);
  t.add_row({"P(owning beats the reference API)", std::string(), pct(u.p_own_beats_reference_api), std::string()});
  if (u.p_own_beats_hosted_api >= 0)
    t.add_row({"P(owning beats the same model's API)", std::string(), pct(u.p_own_beats_hosted_api), std::string()});
  return t;
}

Table plan_assumptions_table(const PlanResult& r) {
  Table t({{"key", "key"}, {"value", "value"}, {"unit", "unit"}, {"source", "source"}});
  for (const auto& o : plan::scenario_options()) {
    auto it = r.scenario.sources.find(o.key);
    t.add_row({o.key, plan::option_value_text(r.scenario, o), o.unit,
               it == r.scenario.sources.end() ? std::string() : it->second});
  }
  const auto& api = r.reference_api;
  t.add_row({"price list: " + api.model,
             fmt::format("fresh {} / cache read {} / cache write {} / output {}", api.input_usd_per_mtok,
                         api.effective_cached_input_usd_per_mtok(), api.effective_cache_write_usd_per_mtok(),
                         api.output_usd_per_mtok),
             "USD/M tokens", r.scenario.price_list});
  std::vector<std::string> seen;
  for (const auto& c : r.candidates) {
    if (std::find(seen.begin(), seen.end(), c.system_id) != seen.end()) continue;
    seen.push_back(c.system_id);
    const auto sys_it = std::find_if(r.systems.begin(), r.systems.end(),
                                     [&](const catalog::SystemSpec& x) { return x.id == c.system_id; });
    if (sys_it != r.systems.end()) {
      const auto* sys = &*sys_it;
      t.add_row({"system " + sys->id + " price_usd_per_gpu", format_number(sys->price_usd_per_gpu, 0), "USD/GPU",
                 sys->price_source + (sys->price_date.empty() ? "" : " (" + sys->price_date + ")")});
      t.add_row({"system " + sys->id + " wall_w_per_gpu", format_number(sys->wall_w_per_gpu, 0),
                 "W/GPU (" + sys->cooling + ")", sys->source});
    }
    if (const auto* rp = cost::find_rental_price(r.rentals, c.gpu_id, r.scenario.rented_tier))
      t.add_row({"rental " + c.gpu_id + " " + rp->tier, fmt::format("{}", rp->usd_per_gpu_hour), "USD/GPU-hour",
                 rp->source + (rp->date.empty() ? "" : " (" + rp->date + ")")});
  }
  for (const auto& c : r.candidates)
    if (!c.hosted_api_model.empty() && std::find(seen.begin(), seen.end(), c.hosted_api_model) == seen.end()) {
      seen.push_back(c.hosted_api_model);
      t.add_row({"price list: " + c.hosted_api_model, "same-model hosted API", "USD/M tokens", r.scenario.price_list});
    }
  t.add_row({"formulas", "src/plan/capacity.cpp, src/plan/plan.cpp, src/plan/finance.cpp, src/cost/owned.hpp", "",
             "documented beside the code"});
  return t;
}

nlohmann::json plan_json(const PlanResult& r) {
  using nlohmann::json;
  const auto& d = r.demand;
  auto mix = [](const plan::TokenMix& m) {
    return json{{"fresh_input", m.fresh_input}, {"cached_input", m.cached_input}, {"output", m.output}};
  };
  auto prices = [](const cost::TokenPrices& p) {
    return json{{"fresh_input_usd_per_mtok", p.fresh_input_usd_per_mtok},
                {"cached_input_usd_per_mtok", p.cached_input_usd_per_mtok},
                {"output_usd_per_mtok", p.output_usd_per_mtok}};
  };
  auto num_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json out;
  out["scenario"] = {{"name", r.scenario.name}, {"file", r.scenario.file}};
  out["answer"] = plan_answer(r);
  out["quality_assumption"] = r.scenario.quality_assumption;
  out["demand"] = {{"budget_usd_per_year", d.budget_usd_per_year},
                   {"reference_api_model", r.reference_api.model},
                   {"reference_api_unusable", r.reference_api_unusable.empty() ? json(nullptr) : json(r.reference_api_unusable)},
                   {"reference_prices",
                    {{"fresh_input_usd_per_mtok", d.reference_prices.fresh_input_usd_per_mtok},
                     {"cached_input_usd_per_mtok", d.reference_prices.cached_input_usd_per_mtok},
                     {"output_usd_per_mtok", d.reference_prices.output_usd_per_mtok}}},
                   {"tokens_per_step", mix(d.tokens_per_step)},
                   {"usd_per_step", d.usd_per_step},
                   {"steps_per_year", d.steps_per_year},
                   {"tokens_per_year", mix(d.tokens_per_year)},
                   {"average_steps_per_s", d.average_steps_per_s},
                   {"peak_hour_steps_per_s", d.peak_hour_steps_per_s},
                   {"peak_steps_per_s", d.peak_steps_per_s},
                   {"average_tokens_per_s", mix(d.rate(d.average_steps_per_s))},
                   {"peak_tokens_per_s", mix(d.rate(d.peak_steps_per_s))},
                   {"steps_per_s_by_hour", d.steps_per_s_by_hour}};
  out["api"] = {{"annual_usd", r.api_annual_usd}, {"blended_usd_per_mtok", r.api_blended_usd_per_mtok}};
  json cands = json::array();
  for (const auto& c : r.candidates) {
    json j = {{"model", c.model_id},
              {"system", c.system_id},
              {"gpu", c.gpu_id},
              {"feasible", c.feasible},
              {"preliminary_hardware", c.preliminary},
              {"deployments_tried", c.deployments_tried}};
    if (!c.hosted_api_unusable.empty())
      j["hosted_api"] = {{"model", c.hosted_api_model}, {"usable", false}, {"reason", c.hosted_api_unusable}};
    else if (!c.hosted_api_model.empty())
      j["hosted_api"] = {
          {"model", c.hosted_api_model},
          {"annual_usd", c.annual_hosted_api_usd},
          {"fresh_input_usd_per_mtok", c.hosted_prices.fresh_input_usd_per_mtok},
          {"cached_input_usd_per_mtok", c.hosted_prices.cached_input_usd_per_mtok},
          {"output_usd_per_mtok", c.hosted_prices.output_usd_per_mtok},
          {"break_even_utilisation", c.feasible ? json(c.hosted_break_even_utilisation) : json(nullptr)}};
    if (!c.feasible) {
      j["reason"] = c.reason;
      cands.push_back(j);
      continue;
    }
    const auto& b = c.replica.best;
    const auto& dep = c.replica.deployment;
    j["deployment"] = {{"label", c.replica.label},
                       {"gpus_per_replica", c.replica.gpus},
                       {"tp", dep.tp},
                       {"ep", dep.ep},
                       {"pp", dep.pp},
                       {"attention_dp", dep.attention_dp},
                       {"weight_precision", std::string(catalog::to_string(dep.weight_precision))},
                       {"kv_precision", std::string(catalog::to_string(dep.kv_precision))}};
    j["replica"] = {
        {"concurrency", b.concurrency},
        {"iteration_s", b.iteration_s},
        {"steps_per_s", b.steps_per_s},
        {"output_tok_s", b.output_tok_s},
        {"output_tok_s_per_gpu", b.output_tok_s_per_gpu},
        {"tok_s_per_user", b.tok_s_per_user},
        {"ttft_s", b.ttft_s},
        {"ttft_miss_s", std::isfinite(b.ttft_miss_s) ? json(b.ttft_miss_s) : json(nullptr)},
        {"kv_used_fraction", b.kv_used_fraction},
        {"cache_hit_rate", b.cache_hit_rate},
        {"idle_storage_ratio", b.idle_storage_ratio},
        {"host_hit_tokens_per_step", b.host_hit_tokens},
        {"host_reload_s", b.host_reload_s},
        {"tokens_per_step", {{"fresh_input", b.tokens.fresh_input}, {"cached_input", b.tokens.cached_input},
                             {"output", b.tokens.output}}},
        {"time_share", {{"fresh_input", b.share_fresh}, {"cached_input", b.share_cached}, {"output", b.share_output}}}};
    j["fleet"] = {{"replicas", c.replicas},
                  {"gpus", c.gpus},
                  {"nodes", c.nodes},
                  {"racks", c.racks},
                  {"scaleup_domains", c.scaleup_domains},
                  {"it_mw", c.it_mw},
                  {"facility_mw", c.facility_mw},
                  {"utilisation", c.utilisation}};
    j["owned"] = {{"capex_usd", c.capex_usd},
                  {"annual_capital_usd", c.annual_capital_usd},
                  {"annual_opex_usd", c.annual_opex_usd},
                  {"annual_usd", c.annual_owned_usd},
                  {"annual_idle_usd", c.annual_owned_idle_usd},
                  {"usd_per_step_served", c.owned_usd_per_step},
                  {"lines",
                   {{"capital_usd", c.annual_lines.capital_usd},
                    {"spares_usd", c.annual_lines.spares_usd},
                    {"power_usd", c.annual_lines.power_usd},
                    {"facility_usd", c.annual_lines.facility_usd},
                    {"staff_usd", c.annual_lines.staff_usd},
                    {"software_usd", c.annual_lines.software_usd}}},
                  {"power_kw_per_gpu",
                   {{"rated", c.per_gpu.wall_kw_per_gpu},
                    {"busy", c.per_gpu.busy_kw_per_gpu},
                    {"idle", c.per_gpu.idle_kw_per_gpu},
                    {"average", c.per_gpu.average_kw_per_gpu}}},
                  {"usd_per_gpu_hour", c.per_gpu.total_usd_per_gpu_hour},
                  {"prices", prices(c.owned_prices)},
                  {"blended_usd_per_mtok", c.owned_blended_usd_per_mtok},
                  {"break_even_utilisation", num_or_null(c.break_even_utilisation)},
                  {"break_even_engineers", num_or_null(c.break_even_engineers)},
                  {"payback_years", num_or_null(c.payback_years)},
                  {"discounted_payback_years", num_or_null(c.discounted_payback_years)},
                  {"hosted_payback_years", num_or_null(c.hosted_payback_years)},
                  {"hosted_discounted_payback_years", num_or_null(c.hosted_discounted_payback_years)}};
    {
      const auto& hv = c.horizon;
      json years = json::array();
      for (const auto& y : hv.years)
        years.push_back({{"year", y.year},
                         {"demand_factor", y.demand_factor},
                         {"owned_replicas", y.owned_replicas},
                         {"owned_capex_usd", y.capex_usd},
                         {"owned_resale_usd", y.resale_usd},
                         {"owned_opex_usd", y.opex_usd},
                         {"reference_api_usd", y.api_usd},
                         {"hosted_api_usd", y.hosted_api_usd},
                         {"hybrid_replicas", y.hybrid_replicas},
                         {"hybrid_capex_usd", y.hybrid_capex_usd},
                         {"hybrid_resale_usd", y.hybrid_resale_usd},
                         {"hybrid_opex_usd", y.hybrid_opex_usd},
                         {"hybrid_api_usd", y.hybrid_api_usd}});
      j["horizon"] = {{"years", hv.in.years},
                      {"demand_growth_per_year", hv.in.growth},
                      {"api_price_decline_per_year", hv.in.api_decline},
                      {"discount_rate", hv.in.rate},
                      {"npv_owned_usd", hv.npv_owned_usd},
                      {"npv_hybrid_usd", hv.npv_hybrid_usd},
                      {"npv_reference_api_usd", hv.npv_api_usd},
                      {"npv_hosted_api_usd", hv.npv_hosted_api_usd > 0 ? json(hv.npv_hosted_api_usd) : json(nullptr)},
                      {"residual_owned_usd", hv.residual_owned_usd},
                      {"residual_hybrid_usd", hv.residual_hybrid_usd},
                      {"by_year", years}};
    }
    // No published price for the tier: null, never 0 (which would read as free).
    const bool priced = c.rented_usd_per_gpu_hour > 0;
    j["rented"] = {{"tier", r.scenario.rented_tier},
                   {"usd_per_gpu_hour", priced ? json(c.rented_usd_per_gpu_hour) : json(nullptr)},
                   {"gpu_hours_per_year", priced ? json(c.rented_gpu_hours_per_year) : json(nullptr)},
                   {"annual_usd", priced ? json(c.annual_rented_usd) : json(nullptr)}};
    json curve = json::array();
    for (const auto& p : c.hybrid.curve)
      curve.push_back({{"owned_fraction", p.owned_fraction},
                       {"replicas", p.replicas},
                       {"owned_usd", p.owned_usd_per_year},
                       {"api_usd", p.api_usd_per_year},
                       {"total_usd", p.total_usd_per_year()},
                       {"owned_share_of_steps", p.owned_share_of_steps},
                       {"feasible", p.feasible},
                       {"api_peak_steps_per_s", p.api_peak_steps_per_s}});
    const auto& h = c.hybrid.best;
    const auto& t = c.hybrid_terms;
    j["hybrid"] = {{"overflow_api", c.hybrid_overflow_api},
                   {"api_terms",
                    {{"max_api_steps_per_s", std::isfinite(t.max_steps_per_s) ? json(t.max_steps_per_s) : json(nullptr)},
                     {"commitment_usd_per_year", t.commit_usd_per_year},
                     {"commitment_discount", t.commit_discount},
                     {"min_owned_replicas", c.hybrid.min_replicas}}},
                   {"best",
                    {{"owned_fraction", h.owned_fraction},
                     {"replicas", h.replicas},
                     {"owned_usd", h.owned_usd_per_year},
                     {"api_usd", h.api_usd_per_year},
                     {"total_usd", h.total_usd_per_year()},
                     {"owned_share_of_steps", h.owned_share_of_steps},
                     {"api_peak_steps_per_s", h.api_peak_steps_per_s}}},
                   {"curve", curve}};
    cands.push_back(j);
  }
  out["candidates"] = cands;
  out["chosen"] = r.chosen;
  json tornado = json::array();
  for (const auto& t : r.tornado)
    tornado.push_back({{"input", t.input},
                       {"label", t.label},
                       {"unit", t.unit},
                       {"base", t.base_value},
                       {"low", t.low_value},
                       {"high", t.high_value},
                       {"low_cost_usd", t.low_cost_usd},
                       {"high_cost_usd", t.high_cost_usd},
                       {"low_saving_usd", num_or_null(t.low_saving_usd)},
                       {"high_saving_usd", num_or_null(t.high_saving_usd)}});
  out["sensitivity"] = {{"metric", "the plan's annual cost (cheapest hybrid point of the chosen model and system)"},
                        {"base_cost_usd", r.base_cost_usd},
                        {"tornado", tornado}};
  const auto& sc = r.sim_check;
  out["sim_check"] = {{"ran", sc.ran},
                      {"note", sc.note},
                      {"requests", sc.requests},
                      {"arrival_rate_per_s", sc.arrival_rate_per_s},
                      {"session_groups", sc.session_groups},
                      {"ttft_p50_s", sc.ttft_p50_s},
                      {"ttft_p90_s", sc.ttft_p90_s},
                      {"tpot_p50_s", sc.tpot_p50_s},
                      {"tpot_p90_s", sc.tpot_p90_s},
                      {"prefix_hit_rate", sc.prefix_hit_rate},
                      {"output_tok_s", sc.output_tok_s},
                      {"busy_fraction", sc.busy_fraction},
                      {"preemptions", sc.preemptions},
                      {"slo_attainment", sc.slo_attainment},
                      {"ttft_attainment", sc.ttft_attainment},
                      {"tpot_attainment", sc.tpot_attainment}};
  const auto& u = r.uncertainty;
  if (u.draws > 0) {
    auto pc = [](const plan::Percentiles& p) { return json{{"p10", p.p10}, {"p50", p.p50}, {"p90", p.p90}}; };
    out["uncertainty"] = {
        {"draws", u.draws},
        {"seed", u.seed},
        {"perf_error_sigma", u.perf_error_sigma},
        {"perf_error_bias", u.perf_error_bias},
        {"drawn", "triangular over each sensitivity.* range (mode: the scenario's value); replica throughput x "
                  "exp(-perf_error_bias + N(0, perf_error_sigma))"},
        {"annual_owned_usd", pc(u.annual_owned_usd)},
        {"gpus", pc(u.gpus)},
        {"owned_usd_per_mtok",
         {{"fresh_input", pc(u.owned_fresh_input_usd_per_mtok)},
          {"cached_input", pc(u.owned_cached_input_usd_per_mtok)},
          {"output", pc(u.owned_output_usd_per_mtok)},
          {"blended", pc(u.owned_blended_usd_per_mtok)}}},
        {"annual_reference_api_usd", pc(u.annual_reference_api_usd)},
        {"p_own_beats_reference_api", u.p_own_beats_reference_api},
        {"p_own_beats_hosted_api", u.p_own_beats_hosted_api >= 0 ? json(u.p_own_beats_hosted_api) : json(nullptr)}};
  } else {
    out["uncertainty"] = nullptr;
  }
  out["accuracy"] = r.accuracy.lines.empty() ? json(nullptr) : accuracy_note_json(r.accuracy);
  out["assumptions"] = plan_assumptions_table(r).to_json();
  return out;
}

std::string render_plan(const PlanResult& r, Format f) {
  if (f == Format::json) return plan_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (f == Format::html) return plan_html(r);
  const bool md = f == Format::md;
  auto heading = [&](const std::string& h) { return md ? "\n## " + h + "\n\n" : "\n" + h + "\n"; };
  // The terminal report fits a 120-column terminal: wide tables print in column blocks, long lines wrap.
  constexpr std::size_t kWidth = 120;
  auto table = [&](const Table& t) { return md ? t.to_markdown() : t.to_text(kWidth); };
  auto wrap = [&](const std::string& line, const std::string& first, const std::string& rest) {
    if (md) return first + line + "\n";
    std::string out, cur = first;
    std::size_t pos = 0;
    while (pos < line.size()) {
      std::size_t next = line.find(' ', pos);
      if (next == std::string::npos) next = line.size();
      const std::string word = line.substr(pos, next - pos);
      if (cur.size() + word.size() + 1 > kWidth && cur.size() > rest.size()) {
        while (!cur.empty() && cur.back() == ' ') cur.pop_back();
        out += cur + "\n";
        cur = rest;
      }
      cur += word + " ";
      pos = next + 1;
    }
    while (!cur.empty() && cur.back() == ' ') cur.pop_back();
    return out + cur + "\n";
  };
  std::string out =
      md ? "# tokenmath plan: " + r.scenario.name + "\n\n" : "tokenmath plan: " + r.scenario.name + "\n\n";
  for (const auto& l : plan_answer(r)) out += wrap(l, md ? "- " : "  ", "    ");
  out += heading("Demand (token rates by kind)");
  out += table(plan_demand_table(r));
  out += heading("Cheapest system for each model (owned, fleet sized for the burst peak)");
  out += table(plan_per_model_table(r));
  out += heading("All candidates (cheapest owned first)");
  out += table(plan_candidates_table(r));

  if (const Candidate* c = r.best()) {
    out += heading("Chosen: " + c->model_name + " on " + c->system_name);
    out += table(plan_token_kinds_table(r, *c));
    out += heading("Owned cost per year by line");
    out += table(plan_owned_lines_table(r, *c));
    std::vector<std::pair<std::string, Cell>> kv = {
        {"deployment", c->replica.label},
        {"concurrency per replica", static_cast<long long>(c->replica.best.concurrency)},
        {"agent steps/s per replica", c->replica.best.steps_per_s},
        {"output tok/s per GPU", c->replica.best.output_tok_s_per_gpu},
        {"racks / scale-up domains", fmt::format("{} / {}", c->racks, c->scaleup_domains)},
        {"IT MW per 1,000 engineers", c->it_mw / r.scenario.engineers * 1000},
        {"share of a 100,000-GPU AI factory", fmt::format("{:.2f}%", static_cast<double>(c->gpus) / 1000.0)},
        {"owned $/GPU-hour (fully loaded)", c->per_gpu.total_usd_per_gpu_hour},
        {"annual capital $ / opex $", fmt::format("{} / {}", usd(c->annual_capital_usd), usd(c->annual_opex_usd))},
        {"hybrid optimum: owned fraction", c->hybrid.best.owned_fraction},
        {"hybrid optimum: $/yr", c->hybrid.best.total_usd_per_year()},
    };
    out += "\n" + render_kv(kv, Format::table);
  }
  if (const Candidate* c = r.best(); c && !c->horizon.years.empty()) {
    const auto& hv = c->horizon;
    out += heading(fmt::format("Multi-year view of the chosen fleet: demand {:+.0f}%/yr, API prices -{:.0f}%/yr, "
                               "discounted at {:.0f}%/yr (horizon.*)",
                               100 * hv.in.growth, 100 * hv.in.api_decline, 100 * hv.in.rate));
    Table t({{"year", "year"},
             {"demand", "demand x"},
             {"replicas", "owned replicas"},
             {"capex", "own: capex $", 0},
             {"opex", "own: opex $", 0},
             {"hybrid", "hybrid $", 0},
             {"api", "reference API $", 0},
             {"hosted", "same-model API $", 0}});
    for (const auto& y : hv.years)
      t.add_row({static_cast<long long>(y.year), y.demand_factor, static_cast<long long>(y.owned_replicas), y.capex_usd - y.resale_usd, y.opex_usd,
             y.hybrid_capex_usd - y.hybrid_resale_usd + y.hybrid_opex_usd + y.hybrid_api_usd, y.api_usd,
             y.hosted_api_usd});
    out += table(t);
    out += wrap(fmt::format("Present cost: own {} (after {} resale of the hardware still in life) | hybrid {} (owns "
                            "each year's cheapest split, {} replicas in the last year) | reference API {}{}.",
                            usd(hv.npv_owned_usd), usd(hv.residual_owned_usd), usd(hv.npv_hybrid_usd),
                            hv.years.back().hybrid_replicas, usd(hv.npv_api_usd),
                            hv.npv_hosted_api_usd > 0 ? " | same model via API " + usd(hv.npv_hosted_api_usd) : ""),
                "", "");
  }
  if (r.sim_check.ran) {
    out += heading("Simulator check of the chosen replica (src/sim)");
    out += wrap(r.sim_check.note, "", "") + "\n";
    out += table(plan_sim_check_table(r));
  }
  if (r.uncertainty.draws > 0) {
    out += heading(fmt::format("Uncertainty: {} draws over the sensitivity ranges and the perf model's error "
                               "(bias {}, sigma {})", r.uncertainty.draws, r.uncertainty.perf_error_bias,
                               r.uncertainty.perf_error_sigma));
    out += table(plan_uncertainty_table(r));
  }
  if (!r.accuracy.lines.empty()) {
    // The same note `perf` prints: how far the frontier the fleet is sized on was from published measurements.
    out += heading("Measured accuracy of the frontier the fleet is sized on (" + r.accuracy.file + ")");
    out += wrap("tokens/s per GPU predicted at published points' tokens/s per user, against what they measured "
                "(median err > 0: predicted faster than measured); a scope with 0 points was never measured.",
                "", "") + "\n";
    out += table(accuracy_note_table(r.accuracy));
  }
  if (!r.tornado.empty()) {
    out += heading("Sensitivity: the plan's annual cost with one input at its low / high value");
    Table t({{"input", "input"},
             {"key", "scenario key"},
             {"range", "range"},
             {"low_cost_usd", "cost at low $", 0},
             {"high_cost_usd", "cost at high $", 0},
             {"swing_usd", "swing $", 0}});
    for (const auto& b : r.tornado)
      t.add_row({b.label, b.input, fmt::format("{} .. {} {}", b.low_value, b.high_value, b.unit), b.low_cost_usd,
                 b.high_cost_usd, b.swing_usd()});
    out += table(t);
  }
  out += heading("Quality assumption");
  out += wrap(r.scenario.quality_assumption, "", "");
  out += heading("Assumptions and sources");
  out += table(plan_assumptions_table(r));
  return out;
}

}  // namespace tokenmath::report
