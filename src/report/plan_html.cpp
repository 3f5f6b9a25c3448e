// Self-contained HTML report of a plan: the five-line answer, inline SVG charts and the tables of
// plan_report.cpp. No scripts, no external resources.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tokenmath/report/perf.hpp"
#include "tokenmath/report/plan.hpp"
#include "tokenmath/report/svg.hpp"

namespace tokenmath::report {
namespace {

using plan::Candidate;
using plan::PlanResult;

std::string html_table(const Table& t) {
  std::string out = "<table>\n<tr>";
  for (const auto& c : t.columns()) out += "<th>" + svg::escape(c.header) + "</th>";
  out += "</tr>\n";
  for (const auto& row : t.rows()) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto& cell = row[i];
      const int decimals = t.columns()[i].decimals;
      std::string text;
      bool numeric = false;
      if (const auto* s = std::get_if<std::string>(&cell))
        text = *s;
      else if (const auto* d = std::get_if<double>(&cell))
        text = format_number(*d, decimals), numeric = true;
      else if (const auto* n = std::get_if<long long>(&cell))
        text = format_number(static_cast<double>(*n), 0), numeric = true;
      else if (const auto* b = std::get_if<bool>(&cell))
        text = *b ? "yes" : "no";
      out += numeric ? "<td class=\"n\">" + svg::escape(text) + "</td>" : "<td>" + svg::escape(text) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string cost_chart(const PlanResult& r) {
  svg::BarChart c;
  c.title = "Annual cost of owning each feasible candidate (log scale)";
  c.value_label = "USD per year, fleet sized for the burst peak";
  c.value_prefix = "$";
  c.log_scale = true;
  for (const auto& cand : r.candidates)
    if (cand.feasible)
      c.bars.push_back({cand.model_id + " / " + cand.system_id, cand.annual_owned_usd, &cand == r.best()});
  c.reference_lines.push_back({"reference API", r.api_annual_usd});
  return svg::bar_chart(c);
}

// Owned $/M blended as a function of the fleet's utilisation u: (idle annual cost + u x power above idle at u = 1)
// / (u x capacity tokens per year),
// for the cheapest system of each model; log axes so the crossing with the API price stays visible.
std::string break_even_chart(const PlanResult& r) {
  svg::LineChart c;
  c.title = "Break-even: owned cost per token vs utilisation (cheapest system per model)";
  c.x_label = "fleet utilisation (busy share of paid hours, log scale)";
  c.y_label = "USD per 1M tokens (blended)";
  c.y_prefix = "$";
  c.log_x = true;
  c.log_y = true;
  std::vector<std::string> models;
  for (const auto& cand : r.candidates) {
    if (!cand.feasible || std::find(models.begin(), models.end(), cand.model_id) != models.end()) continue;
    models.push_back(cand.model_id);
    svg::Series s;
    s.label = cand.model_id + " / " + cand.system_id;
    const double tokens_full = r.demand.tokens_per_year.total() / cand.utilisation;  // capacity tokens per year
    const double idle = cand.annual_owned_idle_usd;
    const double power_full = (cand.annual_owned_usd - idle) / cand.utilisation;      // power above idle at u = 1
    for (int i = 0; i <= 60; ++i) {
      const double u = std::pow(10.0, -3.0 + 3.0 * i / 60);
      s.points.push_back({u, (idle + u * power_full) / (u * tokens_full) * 1e6});
    }
    c.series.push_back(s);
    if (&cand == r.best()) {
      c.markers.push_back({cand.utilisation, cand.owned_blended_usd_per_mtok,
                           fmt::format("this plan: {:.0f}%", 100 * cand.utilisation)});
      if (cand.break_even_utilisation >= 1e-3 && cand.break_even_utilisation <= 1)
        c.markers.push_back({cand.break_even_utilisation, r.api_blended_usd_per_mtok,
                             fmt::format("break-even {:.2g}%", 100 * cand.break_even_utilisation)});
    }
  }
  svg::Series api;
  api.label = "reference API (" + r.reference_api.model + ")";
  api.dashed = true;
  api.points = {{1e-3, r.api_blended_usd_per_mtok}, {1.0, r.api_blended_usd_per_mtok}};
  c.series.push_back(api);
  return svg::line_chart(c);
}

std::string hybrid_chart(const Candidate& c) {
  svg::LineChart ch;
  const auto slash = c.hybrid_overflow_api.rfind('/');
  ch.title = "Hybrid: own part of the peak capacity, overflow to the API (" +
             (slash == std::string::npos ? c.hybrid_overflow_api : c.hybrid_overflow_api.substr(slash + 1)) + ")";
  ch.x_label = "owned share of the all-owned fleet";
  ch.y_label = "USD per year";
  ch.y_prefix = "$";
  svg::Series total{"total", {}, false}, owned{"owned fleet", {}, true}, api{"API overflow", {}, true};
  for (const auto& p : c.hybrid.curve) {
    total.points.push_back({p.owned_fraction, p.total_usd_per_year()});
    owned.points.push_back({p.owned_fraction, p.owned_usd_per_year});
    api.points.push_back({p.owned_fraction, p.api_usd_per_year});
  }
  ch.series = {total, owned, api};
  ch.markers.push_back({c.hybrid.best.owned_fraction, c.hybrid.best.total_usd_per_year(),
                        fmt::format("optimum {:.0f}%: {}", 100 * c.hybrid.best.owned_fraction,
                                    svg::short_number(c.hybrid.best.total_usd_per_year(), "$"))});
  return svg::line_chart(ch);
}

std::string tornado(const PlanResult& r) {
  svg::Tornado t;
  t.title = "Sensitivity of the plan's annual cost";
  t.value_label = "USD per year";
  t.value_prefix = "$";
  t.base = r.base_cost_usd;
  for (const auto& b : r.tornado)
    t.rows.push_back(
        {fmt::format("{} [{} .. {}]", b.label, svg::short_number(b.low_value), svg::short_number(b.high_value)),
         b.low_cost_usd, b.high_cost_usd});
  return svg::tornado_chart(t);
}

// Frontier of the chosen deployment of the cheapest candidate of each model: output tokens/s per GPU against
// tokens/s per user as concurrency grows, with the operating point the plan uses.
std::string frontier_chart(const PlanResult& r) {
  svg::LineChart c;
  c.title = "Perf frontier of the chosen deployments (this workload: ~" +
            svg::short_number(r.demand.tokens_per_step.input()) + " context, " +
            svg::short_number(r.demand.tokens_per_step.fresh_input) + " fresh input per step)";
  c.x_label = "output tokens/s per user";
  c.y_label = "output tokens/s per GPU";
  c.log_x = true;
  c.log_y = true;
  std::vector<std::string> models;
  for (const auto& cand : r.candidates) {
    if (!cand.feasible || std::find(models.begin(), models.end(), cand.model_id) != models.end()) continue;
    models.push_back(cand.model_id);
    svg::Series s;
    s.label =
        cand.model_id + " " + cand.system_id + " " + cand.replica.label.substr(0, cand.replica.label.find(" kv="));
    for (const auto& p : cand.replica.frontier) s.points.push_back({p.tok_s_per_user, p.output_tok_s_per_gpu});
    c.series.push_back(s);
    c.markers.push_back({cand.replica.best.tok_s_per_user, cand.replica.best.output_tok_s_per_gpu,
                         fmt::format("N={}", cand.replica.best.concurrency)});
  }
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points)
      if (y > 0) lo = std::min(lo, y), hi = std::max(hi, y);
  if (hi > 0) {
    svg::Series slo;
    slo.label = fmt::format("SLO: {:g} tok/s per user", r.scenario.min_output_tok_s_per_user);
    slo.dashed = true;
    slo.points = {{r.scenario.min_output_tok_s_per_user, lo}, {r.scenario.min_output_tok_s_per_user, hi}};
    c.series.push_back(slo);
  }
  return svg::line_chart(c);
}

}  // namespace

// Histogram of the Monte Carlo's annual owned cost: 20 bins, the bins holding P10, P50 and P90 highlighted.
static std::string uncertainty_chart(const PlanResult& r) {
  const auto& v = r.uncertainty.annual_owned_samples;
  svg::BarChart c;
  c.title = fmt::format("Annual cost of the owned fleet over {} draws (P10 {}, P50 {}, P90 {})", v.size(),
                        svg::short_number(r.uncertainty.annual_owned_usd.p10, "$"),
                        svg::short_number(r.uncertainty.annual_owned_usd.p50, "$"),
                        svg::short_number(r.uncertainty.annual_owned_usd.p90, "$"));
  c.value_label = "draws";
  if (v.empty()) return svg::bar_chart(c);
  const double lo = v.front(), hi = v.back(), w = hi > lo ? (hi - lo) / 20 : 1;
  std::vector<double> counts(20, 0);
  for (double x : v) counts[std::min<std::size_t>(19, static_cast<std::size_t>((x - lo) / w))] += 1;
  const auto& p = r.uncertainty.annual_owned_usd;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double a = lo + w * static_cast<double>(i), b = a + w;
    const bool mark = (p.p10 >= a && p.p10 < b) || (p.p50 >= a && p.p50 < b) || (p.p90 >= a && p.p90 < b);
    c.bars.push_back({svg::short_number(a, "$") + " - " + svg::short_number(b, "$") + " /yr", counts[i], mark});
  }
  return svg::bar_chart(c);
}

std::string plan_html(const PlanResult& r) {
  std::string out = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tokenmath plan</title>
<style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}
.answer{background:#f6f8fa;border-left:4px solid #1f77b4;padding:.5em 1em}.answer li{margin:.3em 0}
.caveat{background:#fff4e5;border-left:4px solid #ff7f0e;padding:.5em 1em}
figure{margin:1.5em 0}
</style></head><body>
)";
  out += "<h1>tokenmath plan: " + svg::escape(r.scenario.name) + "</h1>\n<div class=\"answer\"><ol>\n";
  for (const auto& l : plan_answer(r)) out += "<li>" + svg::escape(l) + "</li>\n";
  out += "</ol></div>\n";
  out += "<h2>Quality assumption</h2>\n<p class=\"caveat\">" + svg::escape(r.scenario.quality_assumption) + "</p>\n";
  out += "<h2>Demand</h2>\n" + html_table(plan_demand_table(r));
  out += "<h2>Cost per candidate</h2>\n<figure>" + cost_chart(r) + "</figure>\n";
  out += "<h3>Cheapest system for each model</h3>\n" + html_table(plan_per_model_table(r));
  out += "<h3>All candidates</h3>\n" + html_table(plan_candidates_table(r));
  if (const Candidate* c = r.best()) {
    out += "<h2>Cost per token kind: " + svg::escape(c->model_name + " on " + c->system_name) + "</h2>\n" +
           html_table(plan_token_kinds_table(r, *c));
    out += "<h3>Owned cost per year by line</h3>\n" + html_table(plan_owned_lines_table(r, *c));
    out += "<h2>Break-even</h2>\n<figure>" + break_even_chart(r) + "</figure>\n";
    out += fmt::format(
        "<p>Owning {} on {} costs the same per token as the reference API at {:.1f}% utilisation; "
        "the planned fleet runs at {:.1f}%. Formula: owned annual cost with the fleet idle / (capacity tokens per year "
        "x (API $ per token - owned power above idle per token)).</p>\n",
        svg::escape(c->model_name), svg::escape(c->system_name), 100 * c->break_even_utilisation, 100 * c->utilisation);
    out += "<h2>Hybrid: owned base load, API for peaks</h2>\n<figure>" + hybrid_chart(*c) + "</figure>\n";
    out += "<h2>Sensitivity</h2>\n<figure>" + tornado(r) + "</figure>\n";
    if (r.uncertainty.draws > 0)
      out += "<h2>Uncertainty</h2>\n<figure>" + uncertainty_chart(r) + "</figure>\n" +
             html_table(plan_uncertainty_table(r));
    if (r.sim_check.ran)
      out += "<h2>Simulator check of the chosen replica</h2>\n<p>" + svg::escape(r.sim_check.note) + "</p>\n" +
             html_table(plan_sim_check_table(r));
    out += "<h2>Performance frontier of the chosen deployments</h2>\n<figure>" + frontier_chart(r) + "</figure>\n";
    if (!r.accuracy.lines.empty())
      out += "<h2>Measured accuracy of that frontier</h2>\n<p>Tokens/s per GPU predicted at published points' tokens/s "
             "per user against what they measured (" + svg::escape(r.accuracy.file) + "; median err &gt; 0: predicted "
             "faster than measured; 0 points: never measured).</p>\n" + html_table(accuracy_note_table(r.accuracy));
  }
  out += "<h2>Assumptions and sources</h2>\n" + html_table(plan_assumptions_table(r));
  out +=
      "<p>Generated by tokenmath. Every figure comes from the data files listed above or from the formulas "
      "documented in the source files named in the last row.</p>\n</body></html>\n";
  return out;
}

}  // namespace tokenmath::report
