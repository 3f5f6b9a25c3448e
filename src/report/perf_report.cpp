#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tokenmath/report/perf.hpp"
#include "tokenmath/report/svg.hpp"

namespace tokenmath::report {

namespace {
using nlohmann::json;

json point_json(const perf::OperatingPoint& p) {
  return json{{"concurrency", p.concurrency},
              {"mean_concurrency", p.mean_concurrency()},
              {"output_tok_s_per_gpu", p.output_tok_s_per_gpu},
              {"tok_s_per_user", p.tok_s_per_user},
              {"ttft_s", p.ttft_s},
              {"tpot_s", p.tpot_s},
              {"itl_s", p.itl_s},
              {"output_tok_s", p.output_tok_s},
              {"step_s", p.step_s},
              {"prefill_tokens_per_step", p.prefill_tokens_per_step},
              {"breakdown_s",
               {{"linear", p.breakdown.linear_s},
                {"moe", p.breakdown.moe_s},
                {"attention", p.breakdown.attention_s},
                {"comm", p.breakdown.comm_s},
                {"overhead", p.breakdown.overhead_s},
                {"draft", p.breakdown.draft_s},
                {"pipeline_bubble", p.breakdown.pipeline_bubble_s}}}};
}

json memory_json(const perf::MemoryPlan& m) {
  return json{{"feasible", m.feasible},
              {"reason", m.reason},
              {"weight_gb_per_gpu", m.weight_bytes_per_gpu / 1e9},
              {"activation_gb_per_gpu", m.activation_bytes_per_gpu / 1e9},
              {"reserve_gb_per_gpu", m.reserve_bytes_per_gpu / 1e9},
              {"kv_pool_gb_per_gpu", m.kv_bytes_per_gpu / 1e9},
              {"kv_capacity_tokens", m.kv_capacity_tokens}};
}

std::string stats_cell(const perf::ErrorStats& s) {
  return fmt::format("n={} median {:.1f}% p90 {:.1f}%", s.n, s.median_abs_error_pct, s.p90_abs_error_pct);
}

// The columns of an error summary after the `lead` columns that name it, and one row's cells (blank statistics
// where nothing was measured): validate's summaries and the accuracy note print the same three figures.
std::vector<Column> with_stats_columns(std::vector<Column> lead) {
  lead.push_back({"median_abs_error_pct", "median abs err %", 1});
  lead.push_back({"p90_abs_error_pct", "p90 abs err %", 1});
  lead.push_back({"median_signed_error_pct", "median err %", 1});
  return lead;
}

std::vector<Cell> with_stats_cells(std::vector<Cell> lead, const perf::ErrorStats& s) {
  lead.push_back(static_cast<long long>(s.n));
  if (s.n == 0) {
    lead.insert(lead.end(), 3, std::monostate{});
  } else {
    lead.push_back(s.median_abs_error_pct);
    lead.push_back(s.p90_abs_error_pct);
    lead.push_back(s.median_signed_error_pct);
  }
  return lead;
}

Table stats_table(const std::string& key_name, const std::map<std::string, perf::ErrorStats>& m) {
  Table t(with_stats_columns({{key_name, key_name, 0}, {"rows", "rows", 0}}));
  for (const auto& [k, s] : m) t.add_row(with_stats_cells({k}, s));
  return t;
}

json stats_json(const perf::ErrorStats& s) {
  return json{{"rows", s.n},
              {"median_abs_error_pct", s.median_abs_error_pct},
              {"p90_abs_error_pct", s.p90_abs_error_pct},
              {"median_signed_error_pct", s.median_signed_error_pct}};
}

json stats_map_json(const std::map<std::string, perf::ErrorStats>& m) {
  json j = json::object();
  for (const auto& [k, s] : m) j[k] = stats_json(s);
  return j;
}

std::string pretty(const json& j) { return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"; }

// `perf` for one deployment as a JSON object: {model, gpu, deployment, ..., memory, frontier, max_throughput}.
json frontier_json(const perf::Deployment& d, const perf::Frontier& f, double isl, double osl, const std::string& label,
                   int gpus) {
  json j{{"model", d.model ? d.model->id : ""},
         {"gpu", d.gpu.id},
         {"deployment", label},
         {"gpus_per_replica", gpus},
         {"isl", isl},
         {"osl", osl},
         {"feasible", f.feasible},
         {"reason", f.reason},
         {"max_concurrency", f.max_concurrency},
         {"memory", memory_json(f.memory)},
         {"frontier", json::array()}};
  for (const auto& p : f.points) j["frontier"].push_back(point_json(p));
  if (f.feasible) j["max_throughput"] = point_json(f.best);
  return j;
}

// `perf --min-tok-s-user` as a JSON object: {model, gpu, min_tok_s_user, deployment, engine, ..., point}.
json interactive_json(const perf::DeploymentOption& o, const perf::OperatingPoint& p, double min_tok_s_user,
                      double isl, double osl) {
  const auto& d = o.deployment;
  json j{{"model", d.model ? d.model->id : ""},
         {"gpu", d.gpu.id},
         {"min_tok_s_user", min_tok_s_user},
         {"deployment", o.label},
         {"engine", o.engine},
         {"gpus_per_replica", perf::option_gpus(o)},
         {"isl", isl},
         {"osl", osl},
         {"disaggregation", o.pd.enabled() ? json{{"prefill_replicas", o.pd.prefill_replicas},
                                                  {"decode_replicas", o.pd.decode_replicas},
                                                  {"prefill_deployment", perf::deployment_label(perf::prefill_deployment(o))},
                                                  {"prefill_gpus_per_replica", perf::prefill_deployment(o).num_gpus()}}
                                           : json(nullptr)},
         {"speculative", d.spec.enabled() ? json{{"method", d.spec.method},
                                                 {"draft_tokens", d.spec.draft_tokens},
                                                 {"acceptance_length", d.spec.acceptance_length}}
                                          : json(nullptr)},
         {"point", point_json(p)}};
  return j;
}
}  // namespace

Table frontier_table(const perf::Frontier& f) {
  Table t({{"concurrency", "concurrency", 0},
           {"output_tok_s_per_gpu", "tok/s/GPU", 1},
           {"tok_s_per_user", "tok/s/user", 1},
           {"ttft_s", "TTFT s", 3},
           {"tpot_ms", "TPOT ms", 2},
           {"output_tok_s", "output tok/s", 1},
           {"step_ms", "step ms", 2}});
  for (const auto& p : f.points)
    t.add_row({static_cast<long long>(p.concurrency), p.output_tok_s_per_gpu, p.tok_s_per_user, p.ttft_s,
               p.tpot_s * 1e3, p.output_tok_s, p.step_s * 1e3});
  return t;
}

std::string render_frontier(const perf::Deployment& d, const perf::Frontier& f, double isl, double osl, Format fmt,
                            const std::string& label_override, int gpus_override) {
  const std::string label = label_override.empty() ? perf::deployment_label(d) : label_override;
  const int gpus = gpus_override > 0 ? gpus_override : d.num_gpus();
  if (fmt == Format::json) return pretty(frontier_json(d, f, isl, osl, label, gpus));
  if (fmt == Format::csv) return frontier_table(f).render(fmt);
  std::string out = fmt::format("{} on {} x{} ({}), ISL {:.0f} / OSL {:.0f}\n", d.model ? d.model->display_name : "?",
                                d.gpu.name, gpus, label, isl, osl);
  const auto& m = f.memory;
  out += fmt::format("memory per GPU: weights {:.1f} GB, activations {:.1f} GB, reserve {:.1f} GB, KV pool {:.1f} GB\n",
                     m.weight_bytes_per_gpu / 1e9, m.activation_bytes_per_gpu / 1e9, m.reserve_bytes_per_gpu / 1e9,
                     m.kv_bytes_per_gpu / 1e9);
  if (!f.feasible) return out + "infeasible: " + f.reason + "\n";
  out += fmt::format("max concurrency {} (KV capacity {:.0f} tokens, max_num_seqs {})\n", f.max_concurrency,
                     m.kv_capacity_tokens, d.knobs.max_num_seqs);
  out += frontier_table(f).render(fmt);
  out += fmt::format("max throughput: {:.0f} output tok/s ({:.0f} tok/s/GPU) at concurrency {}, {:.1f} tok/s/user\n",
                     f.best.output_tok_s, f.best.output_tok_s_per_gpu, f.best.concurrency, f.best.tok_s_per_user);
  return out;
}

std::string render_interactive_choice(const perf::DeploymentOption& o, const perf::OperatingPoint& p,
                                     double min_tok_s_user, double isl, double osl, Format fmt) {
  const auto& d = o.deployment;
  if (fmt == Format::json) return pretty(interactive_json(o, p, min_tok_s_user, isl, osl));
  Table t({{"deployment", "deployment", 0},
           {"gpus", "GPUs", 0},
           {"concurrency", "concurrency", 1},
           {"output_tok_s_per_gpu", "tok/s/GPU", 1},
           {"tok_s_per_user", "tok/s/user", 1},
           {"tpot_ms", "TPOT ms", 2},
           {"itl_ms", "ITL ms", 2},
           {"ttft_s", "TTFT s", 3}});
  // A point between two integer concurrencies (OperatingPoint::timeshare) shows its mean concurrency.
  t.add_row({o.label, static_cast<long long>(perf::option_gpus(o)), p.mean_concurrency(),
             p.output_tok_s_per_gpu, p.tok_s_per_user, p.tpot_s * 1e3, p.itl_s * 1e3, p.ttft_s});
  if (fmt != Format::table) return t.render(fmt);
  std::string out = fmt::format(
      "best deployment at >= {} tok/s/user (ISL {:.0f} / OSL {:.0f}, engine profile {}):\n", format_number(min_tok_s_user, 1),
      isl, osl, o.engine.empty() ? "none" : o.engine);
  out += t.render(fmt);
  if (d.spec.enabled())
    out += fmt::format("speculative decoding: {} with {} draft tokens, {:.2f} tokens accepted per step "
                       "(data/perf/speculative.yaml)\n",
                       d.spec.method, d.spec.draft_tokens, d.spec.acceptance_length);
  return out;
}

std::string render_deployment_options(const std::vector<perf::DeploymentOption>& opts, std::size_t max_rows,
                                      double isl, double osl, Format fmt) {
  Table t({{"deployment", "deployment", 0},
           {"gpus", "GPUs", 0},
           {"feasible", "feasible", 0},
           {"max_concurrency", "max conc.", 0},
           {"output_tok_s_per_gpu", "tok/s/GPU", 1},
           {"tok_s_per_user", "tok/s/user", 1},
           {"tpot_ms", "TPOT ms", 2},
           {"ttft_s", "TTFT s", 3},
           {"reason", "reason", 0}});
  std::size_t shown = 0;
  for (const auto& o : opts) {
    if (shown++ >= max_rows) break;
    const auto& b = o.frontier.best;
    if (o.frontier.feasible)
      t.add_row({o.label, static_cast<long long>(perf::option_gpus(o)), true,
                 static_cast<long long>(o.frontier.max_concurrency), b.output_tok_s_per_gpu, b.tok_s_per_user,
                 b.tpot_s * 1e3, b.ttft_s, std::string()});
    else
      t.add_row({o.label, static_cast<long long>(perf::option_gpus(o)), false, 0LL, std::monostate{},
                 std::monostate{}, std::monostate{}, std::monostate{}, o.frontier.reason});
  }
  if (fmt == Format::table)
    return fmt::format("best deployments by output tokens/s per GPU at max throughput (ISL {:.0f} / OSL {:.0f}):\n",
                       isl, osl) +
           t.render(fmt);
  return t.render(fmt);
}

std::string frontier_svg(const std::vector<FrontierSeries>& series, const std::string& title) {
  const double w = 720, h = 480, ml = 80, mr = 20, mt = 40, mb = 60;
  double xmax = 1, ymax = 1;
  for (const auto& s : series)
    for (const auto& p : s.frontier->points) {
      xmax = std::max(xmax, p.tok_s_per_user);
      ymax = std::max(ymax, p.output_tok_s_per_gpu);
    }
  // Round axis maxima up to 1, 2 or 5 x 10^k.
  auto nice = [](double v) {
    const double e = std::pow(10, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
      if (m * e >= v) return m * e;
    return 10 * e;
  };
  xmax = nice(xmax * 1.05);
  ymax = nice(ymax * 1.05);
  auto X = [&](double x) { return ml + x / xmax * (w - ml - mr); };
  auto Y = [&](double y) { return h - mb - y / ymax * (h - mt - mb); };
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"24\" font-size=\"15\">{}</text>\n",
      w, h, w, h, ml, title);
  for (int i = 0; i <= 5; ++i) {
    const double xv = xmax * i / 5, yv = ymax * i / 5;
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", X(xv), Y(0),
                     X(xv), Y(ymax));
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", X(0), Y(yv),
                     X(xmax), Y(yv));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", X(xv), h - mb + 18,
                     format_number(xv, 0));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", ml - 6, Y(yv) + 4,
                     format_number(yv, 0));
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">tokens/s per user</text>\n",
                   (ml + w - mr) / 2, h - 18);
  s += fmt::format(
      "<text x=\"18\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {:.1f})\">output tokens/s per "
      "GPU</text>\n",
      (mt + h - mb) / 2, (mt + h - mb) / 2);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* c = colors[i % 6];
    std::string pts;
    for (const auto& p : series[i].frontier->points)
      pts += fmt::format("{:.1f},{:.1f} ", X(p.tok_s_per_user), Y(p.output_tok_s_per_gpu));
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", c, pts);
    for (const auto& p : series[i].frontier->points)
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>concurrency {}</title></circle>\n",
                       X(p.tok_s_per_user), Y(p.output_tok_s_per_gpu), c, p.concurrency);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\">{}</text>\n", w - mr - 220, mt + 16 + 16.0 * i, c,
                     series[i].label);
  }
  return s + "</svg>\n";
}

std::string frontier_envelope_svg(const std::vector<perf::DeploymentOption>& options, const std::string& title,
                                  double min_tok_s_user) {
  const auto env = perf::frontier_envelope(options);
  svg::LineChart c;
  c.title = title;
  c.x_label = "tokens/s per user";
  c.y_label = "output tokens/s per GPU";
  c.log_x = true;
  c.log_y = true;
  c.width = 1000;
  c.height = 520;
  for (const auto& o : options) {
    if (!o.frontier.feasible) continue;
    svg::Series s;
    s.faint = true;  // one per deployment, beneath the envelope
    for (const auto& p : o.frontier.points)
      if (p.tok_s_per_user > 0 && p.output_tok_s_per_gpu > 0) s.points.emplace_back(p.tok_s_per_user, p.output_tok_s_per_gpu);
    if (s.points.size() > 1) c.series.push_back(std::move(s));
  }
  svg::Series e;
  e.label = "envelope over all deployments";
  for (const auto& p : env) e.points.emplace_back(p.tok_s_per_user, p.output_tok_s_per_gpu);
  if (!e.points.empty()) c.series.push_back(std::move(e));
  // Label where the owning deployment changes along the envelope, at most once per factor 2 of tokens/s per
  // user (log-spaced, so labels do not pile up where near-equal deployments alternate).
  std::size_t last = static_cast<std::size_t>(-1);
  double last_x = 0;
  for (const auto& p : env) {
    if (p.option == last || (last_x > 0 && p.tok_s_per_user < 2.0 * last_x)) continue;
    last = p.option;
    last_x = p.tok_s_per_user;
    c.markers.push_back({p.tok_s_per_user, p.output_tok_s_per_gpu,
                         fmt::format("{} (x{})", options[p.option].label, perf::option_gpus(options[p.option]))});
  }
  if (min_tok_s_user > 0) {
    double ymin = 1e300, ymax = 0;
    for (const auto& p : env) {
      ymin = std::min(ymin, p.output_tok_s_per_gpu);
      ymax = std::max(ymax, p.output_tok_s_per_gpu);
    }
    if (ymax > 0) {
      svg::Series t;
      t.label = fmt::format("target {} tok/s/user", format_number(min_tok_s_user, 0));
      t.dashed = true;
      t.points = {{min_tok_s_user, ymin}, {min_tok_s_user, ymax}};
      c.series.push_back(std::move(t));
    }
  }
  return svg::line_chart(c);
}

std::string render_validation(const perf::ValidationResult& v, Format fmt) {
  Table rows({{"line", "line", 0},
              {"source", "source", 0},
              {"model", "model", 0},
              {"gpu", "gpu", 0},
              {"num_gpus", "GPUs", 0},
              {"isl", "ISL", 0},
              {"osl", "OSL", 0},
              {"metric", "metric", 0},
              {"deployment", "deployment", 0},
              {"measured", "measured", 1},
              {"predicted", "predicted", 1},
              {"error_pct", "error %", 1},
              {"flag", "flag", 0}});
  Table skipped({{"line", "line", 0},
                 {"source", "source", 0},
                 {"model", "model", 0},
                 {"gpu", "gpu", 0},
                 {"metric", "metric", 0},
                 {"reason", "reason", 0}});
  for (const auto& r : v.rows) {
    const auto& row = r.prepared.row;
    if (r.prediction.ok) {
      std::string flag = r.prepared.suspect ? "SUSPECT (excluded from summary)" : "";
      if (!r.prepared.caveat.empty()) flag += (flag.empty() ? "" : "; ") + r.prepared.caveat;
      rows.add_row({static_cast<long long>(row.line), holdout_group(row), row.model, row.gpu, row.num_gpus, row.isl,
                    row.osl, row.metric, r.prediction.deployment, r.prepared.measured, r.prediction.predicted,
                    r.prediction.error_pct, flag});
    } else {
      skipped.add_row({static_cast<long long>(row.line), holdout_group(row), row.model, row.gpu, row.metric,
                       r.prediction.reason.empty() ? r.prepared.skip_reason : r.prediction.reason});
    }
  }
  const int skipped_n = v.skipped + v.failed;
  if (fmt == Format::json) {
    json j;
    j["rows"] = rows.to_json();
    j["skipped"] = skipped.to_json();
    j["summary"] = {{"rows", static_cast<int>(v.rows.size())},
                    {"predicted", v.predicted},
                    {"skipped", skipped_n},
                    {"suspect_excluded", v.suspect},
                    {"median_abs_error_pct", v.overall.median_abs_error_pct},
                    {"p90_abs_error_pct", v.overall.p90_abs_error_pct},
                    {"median_signed_error_pct", v.overall.median_signed_error_pct},
                    {"saturated_throughput", stats_json(v.saturated)},
                    {"frontier", stats_json(v.frontier)},
                    {"frontier_best", stats_json(v.frontier_best)},
                    {"by_model", stats_map_json(v.by_model)},
                    {"by_gpu", stats_map_json(v.by_gpu)},
                    {"by_metric", stats_map_json(v.by_metric)},
                    {"by_source", stats_map_json(v.by_source)},
                    {"frontier_by_model", stats_map_json(v.frontier_by_model)},
                    {"frontier_by_gpu", stats_map_json(v.frontier_by_gpu)},
                    {"frontier_by_source", stats_map_json(v.frontier_by_source)},
                    {"frontier_by_engine", stats_map_json(v.frontier_by_engine)}};
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (fmt == Format::csv) return rows.to_csv();
  std::string out = rows.render(fmt);
  out += fmt::format("\nskipped rows ({}):\n", skipped_n);
  out += skipped.render(fmt);
  out += fmt::format("\nsummary: {} rows, {} predicted, {} skipped, {} SUSPECT excluded\n", v.rows.size(),
                     v.predicted, skipped_n, v.suspect);
  out += "all predicted rows:            " + stats_cell(v.overall) + "\n";
  out += "saturated throughput (output_tokens_per_s_*): " + stats_cell(v.saturated) + "\n";
  if (v.frontier.n > 0) {
    out += "frontier points (tok/s/GPU at the measured tok/s/user, stated layout): " + stats_cell(v.frontier) + "\n";
    out += "frontier points, deployment searched (headroom over what the source ran): " + stats_cell(v.frontier_best) +
           "\n";
  }
  out += "\n";
  out += stats_table("source", v.by_source).render(fmt) + "\n";
  out += stats_table("model", v.by_model).render(fmt) + "\n";
  out += stats_table("gpu", v.by_gpu).render(fmt) + "\n";
  out += stats_table("metric", v.by_metric).render(fmt);
  if (v.frontier.n > 0) {
    out += "\nfrontier points only (frontier_tok_s_per_gpu):\n";
    out += stats_table("source", v.frontier_by_source).render(fmt) + "\n";
    out += stats_table("model", v.frontier_by_model).render(fmt) + "\n";
    out += stats_table("gpu", v.frontier_by_gpu).render(fmt) + "\n";
    out += stats_table("engine profile", v.frontier_by_engine).render(fmt);
  }
  return out;
}

std::string render_profile_fit(const perf::ProfileFit& f, const std::string& source, Format fmt) {
  Table t({{"factor", "factor", 0}, {"before", "before", 4}, {"after", "after", 4}, {"lo", "lo", 4}, {"hi", "hi", 4},
           {"holdout_fit", "fit without hold-out", 4}});
  for (const auto& k : f.keys) {
    const auto& b = f.bounds.at(k);
    const auto hv = f.holdout_values.find(k);
    t.add_row({k, f.before.at(k), f.after.at(k), b.first, b.second,
               hv == f.holdout_values.end() ? Cell{} : Cell{hv->second}});
  }
  Table m({{"metric", "metric", 0}, {"rows", "rows", 0}, {"before_median_abs_error_pct", "before median %", 1},
           {"before_p90_abs_error_pct", "before p90 %", 1}, {"after_median_abs_error_pct", "after median %", 1},
           {"after_p90_abs_error_pct", "after p90 %", 1}});
  m.add_row({std::string("all"), static_cast<long long>(f.after_stats.n), f.before_stats.median_abs_error_pct,
             f.before_stats.p90_abs_error_pct, f.after_stats.median_abs_error_pct, f.after_stats.p90_abs_error_pct});
  for (const auto& [k, ba] : f.by_metric)
    m.add_row({k, static_cast<long long>(ba.second.n), ba.first.median_abs_error_pct, ba.first.p90_abs_error_pct,
               ba.second.median_abs_error_pct, ba.second.p90_abs_error_pct});
  if (fmt == Format::json) {
    json j{{"source", source},
           {"rows", f.rows},
           {"metrics", f.metrics},
           {"factors", t.to_json()},
           {"errors", m.to_json()},
           {"objective_before", f.before_objective},
           {"objective_after", f.after_objective}};
    if (f.holdout)
      j["holdout"] = {{"held_out", f.holdout_label},
                      {"before", stats_json(f.holdout_before)},
                      {"fit_rows_after", stats_json(f.holdout_fit)},
                      {"held_out_after", stats_json(f.holdout_test)}};
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out = fmt::format(
      "calibration of a deployment profile on {} ({} rows: {}): coordinate search minimising mean "
      "|ln(predicted/measured)| within the bounds\n",
      source, f.rows, fmt::join(f.metrics, ", "));
  out += t.render(fmt);
  out += "\nerror on the measured rows (before = the shipped factors for this accelerator and engine):\n" + m.render(fmt);
  out += fmt::format("objective {:.4f} -> {:.4f}\n", f.before_objective, f.after_objective);
  if (f.holdout)
    out += fmt::format("\nhold-out: fitted without the {} rows, then tested on them: before {}; after {} (fitted rows: {})\n",
                       f.holdout_label, stats_cell(f.holdout_before), stats_cell(f.holdout_test),
                       stats_cell(f.holdout_fit));
  return out;
}

std::string render_calibration(const perf::CalibrationResult& c, Format fmt) {
  Table t({{"factor", "factor", 0}, {"before", "before", 4}, {"after", "after", 4}});
  for (const auto& k : c.keys) t.add_row({k, c.before.get(k), c.after.get(k)});
  Table h({{"fit_on", "fit on", 0},
           {"fit_rows", "rows", 0},
           {"fit_median_abs_error_pct", "fit median %", 1},
           {"test_rows", "test rows", 0},
           {"test_median_abs_error_pct", "test median %", 1},
           {"test_p90_abs_error_pct", "test p90 %", 1}});
  for (const auto& r : c.holdout)
    h.add_row({r.fit_group, static_cast<long long>(r.fit_stats.n), r.fit_stats.median_abs_error_pct,
               static_cast<long long>(r.test_stats.n), r.test_stats.median_abs_error_pct,
               r.test_stats.p90_abs_error_pct});
  if (fmt == Format::json) {
    json j{{"factors", t.to_json()},
           {"before", stats_json(c.before_stats)},
           {"after", stats_json(c.after_stats)},
           {"objective_before", c.before_objective},
           {"objective_after", c.after_objective},
           {"holdout", h.to_json()}};
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out =
      "calibration: coordinate search minimising mean |ln(predicted/measured)| over saturated-throughput rows\n";
  out += t.render(fmt);
  out += fmt::format("\nbefore: {} (objective {:.4f})\nafter:  {} (objective {:.4f})\n", stats_cell(c.before_stats),
                     c.before_objective, stats_cell(c.after_stats), c.after_objective);
  if (!c.holdout.empty()) out += "\nhold-out (fit on one part of the rows, test on the rest; fitted keys start from neutral values):\n" + h.render(fmt);
  return out;
}

std::string render_kernel_validation(const perf::KernelValidation& v, Format fmt) {
  Table rows({{"line", "line", 0},
              {"kind", "kind", 0},
              {"label", "label", 0},
              {"m", "m", 0},
              {"k", "k", 0},
              {"n", "n", 0},
              {"extra", "extra", 0},
              {"measured_us", "measured us", 2},
              {"predicted_us", "predicted us", 2},
              {"error_pct", "error %", 1},
              {"rates", "rates", 0}});
  Table skipped({{"line", "line", 0}, {"kind", "kind", 0}, {"label", "label", 0}, {"reason", "reason", 0}});
  int skipped_n = 0;
  for (const auto& c : v.rows) {
    const auto& r = c.row;
    if (c.ok) {
      rows.add_row({static_cast<long long>(r.line), r.kind, r.label, r.m, r.k, r.n, r.extra, r.measured_s * 1e6,
                    c.predicted_s * 1e6, c.error_pct, c.rates});
    } else {
      ++skipped_n;
      skipped.add_row({static_cast<long long>(r.line), r.kind, r.label, c.reason});
    }
  }
  if (fmt == Format::json) {
    json j;
    j["gpu"] = v.gpu;
    j["rows"] = rows.to_json();
    j["skipped"] = skipped.to_json();
    j["summary"] = {{"predicted", v.overall.n},
                    {"skipped", skipped_n},
                    {"median_abs_error_pct", v.overall.median_abs_error_pct},
                    {"p90_abs_error_pct", v.overall.p90_abs_error_pct},
                    {"median_signed_error_pct", v.overall.median_signed_error_pct},
                    {"by_kind", stats_map_json(v.by_kind)}};
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (fmt == Format::csv) return rows.to_csv();
  std::string out = rows.render(fmt);
  out += fmt::format("\nnot predicted ({}):\n", skipped_n);
  out += skipped.render(fmt);
  out += fmt::format("\nkernel formula (perf/kernel.hpp) vs {} measured on {}: {}\n\n", v.overall.n, v.gpu,
                     stats_cell(v.overall));
  out += stats_table("kind", v.by_kind).render(fmt);
  return out;
}

Table accuracy_note_table(const perf::AccuracyNote& note) {
  Table t(with_stats_columns({{"scope", "scope", 0}, {"id", "id", 0}, {"points", "points", 0}}));
  for (const auto& l : note.lines) t.add_row(with_stats_cells({l.scope, l.key}, l.stats));
  return t;
}

std::string render_accuracy_note(const perf::AccuracyNote& note, Format fmt) {
  if (fmt != Format::table && fmt != Format::md) return "";
  if (note.lines.empty())
    return fmt::format("\nmeasured accuracy: none shipped ({} not found; `tokenmath validate` of "
                       "data/validation/frontier.csv writes it, see data/validation/README.md)\n",
                       note.file.empty() ? "data/validation/accuracy.json" : note.file);
  return fmt::format("\nmeasured accuracy of this prediction: tokens/s per GPU at the measured tokens/s per user of "
                     "published points ({}, from {}; median err > 0: predicted faster than measured):\n",
                     note.file, note.measured_on) +
         accuracy_note_table(note).render(fmt);
}

json accuracy_note_json(const perf::AccuracyNote& note) {
  json lines = json::array();
  for (const auto& l : note.lines)
    lines.push_back(json{{"scope", l.scope}, {"id", l.key}, {"stats", l.stats.n ? stats_json(l.stats) : json(nullptr)}});
  return json{{"file", note.file}, {"measured_on", note.measured_on}, {"scopes", lines}};
}

std::string accuracy_json(const perf::AccuracySummary& s) {
  json j{{"generated_by", "tokenmath validate of " + s.measured_on + " (do not edit: a test compares this file "
                          "with a fresh validate of the CSV; data/validation/README.md says how to regenerate it)"},
         {"measured_on", s.measured_on},
         {"source", "the published points of " + s.measured_on + " (each row's source, url_or_repo_path and "
                    "version_or_date columns) against tokenmath's predictions of them"},
         {"metric", perf::kFrontierMetric},
         {"what", "absolute and signed error (predicted - measured) / measured x 100 of tokens/s per GPU at each "
                  "published point's measured tokens/s per user, SUSPECT rows left out; keys are catalog GPU and "
                  "model ids, engine profile names (data/perf/engines.yaml; none = no profile matched) and "
                  "GPU|model pairs"},
         {"overall", stats_json(s.overall)},
         {"by_gpu", stats_map_json(s.by_gpu)},
         {"by_model", stats_map_json(s.by_model)},
         {"by_engine", stats_map_json(s.by_engine)},
         {"by_gpu_model", stats_map_json(s.by_gpu_model)}};
  return pretty(j);
}

namespace {
std::string render_perf_body(const perf::PerfResult& r, Format fmt) {
  using K = perf::PerfResult::Kind;
  switch (r.kind) {
    case K::compare:
      return render_deployment_options(r.options, r.options.size(), r.isl, r.osl, fmt);
    case K::interactive: {
      const auto& o = r.options.at(static_cast<std::size_t>(r.choice.index));
      return render_interactive_choice(o, r.choice.point, r.min_tok_s_user, r.isl, r.osl, fmt);
    }
    case K::search: {
      std::string out = render_deployment_options(r.options, std::max<std::size_t>(1, r.top), r.isl, r.osl, fmt);
      if (fmt == Format::table && !r.options.empty() && r.options.front().frontier.feasible) {
        const auto& best = r.options.front();
        out += "\nfrontier of the best deployment:\n" +
               render_frontier(best.deployment, best.frontier, r.isl, r.osl, fmt, best.label, perf::option_gpus(best));
      }
      return out;
    }
    case K::frontier:
    default:
      return render_frontier(r.options.at(0).deployment, r.options.at(0).frontier, r.isl, r.osl, fmt);
  }
}
}  // namespace

std::string render_perf(const perf::PerfResult& r, Format fmt) {
  using K = perf::PerfResult::Kind;
  // The JSON objects (one deployment, the interactive answer) carry the note as a member; the rankings (search,
  // compare) are arrays of rows and carry none.
  if (fmt == Format::json && r.accuracy && (r.kind == K::frontier || r.kind == K::interactive)) {
    json j = r.kind == K::interactive
                 ? interactive_json(r.options.at(static_cast<std::size_t>(r.choice.index)), r.choice.point,
                                    r.min_tok_s_user, r.isl, r.osl)
                 : frontier_json(r.options.at(0).deployment, r.options.at(0).frontier, r.isl, r.osl,
                                 perf::deployment_label(r.options.at(0).deployment), r.options.at(0).deployment.num_gpus());
    j["accuracy"] = accuracy_note_json(*r.accuracy);
    return pretty(j);
  }
  const std::string out = render_perf_body(r, fmt);
  return r.accuracy ? out + render_accuracy_note(*r.accuracy, fmt) : out;
}

std::string perf_svg(const perf::PerfResult& r) {
  using K = perf::PerfResult::Kind;
  switch (r.kind) {
    case K::compare: {
      std::vector<FrontierSeries> series;
      for (const auto& o : r.options)
        if (o.frontier.feasible) series.push_back({fmt::format("{} (x{})", o.label, perf::option_gpus(o)), &o.frontier});
      return frontier_svg(series, r.title);
    }
    case K::interactive:
      return frontier_envelope_svg(r.options, r.title, r.min_tok_s_user);
    case K::search:
      if (r.options.empty() || !r.options.front().frontier.feasible) return "";
      return frontier_envelope_svg(r.options, r.title, 0);
    case K::frontier:
    default: {
      const auto& o = r.options.at(0);
      if (!o.frontier.feasible) return "";
      return frontier_svg({{o.label, &o.frontier}}, r.title);
    }
  }
}

}  // namespace tokenmath::report
