// Calibration of the fitted efficiency factors (data/perf/efficiency.yaml `fitted`).
//
// Procedure (re-runnable, deterministic):
//   objective(θ) = mean over saturated-throughput rows (output_tokens_per_s_*, not SUSPECT, predictable) of
//                  |ln(predicted(θ) / measured)|
//   coordinate search: for each fitted key in turn, try θ_k ± s·(hi_k − lo_k) within [lo_k, hi_k] and keep a move
//   that lowers the objective; when a full pass over the keys improves nothing, halve s (from 0.1 down to
//   0.1/64). The mean |log error| is scale-free and treats over- and under-prediction alike.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/validate.hpp"

namespace tokenmath::perf {

namespace {
struct Bounds {
  double lo, hi;
};
Bounds bounds_for(const std::string& full_key) {
  const std::string key = full_key.substr(full_key.find('/') + 1);
  if (key.rfind("compute_", 0) == 0 || key == "attention_compute" || key == "memory_bw" || key == "attention_memory_bw" || key == "comm_bw")
    return {0.05, 1.0};
  if (key == "compute_moe") return {0.05, 1.0};
  if (key == "ep_imbalance") return {1.0, 2.0};
  if (key == "moe_tile_tokens") return {0.0, 512.0};
  if (key == "gqa_kv_reread") return {0.0, 1.0};
  if (key == "step_overhead_ms") return {0.0, 30.0};
  if (key == "seq_overhead_us") return {0.0, 50.0};
  if (key == "collective_latency_us") return {0.0, 400.0};
  if (key == "runtime_reserve_gb") return {0.0, 20.0};
  if (key == "roof_p") return {1.0, 12.0};
  if (key == "kernel_fixed_us") return {0.0, 20.0};
  return {0.0, 1e6};
}

bool counts(const PreparedRow& r) { return r.ok && !r.suspect && is_saturated_throughput_metric(r.row.metric); }

double objective(const std::vector<const PreparedRow*>& rows, const EfficiencyTable& t) {
  double sum = 0;
  int n = 0;
  for (const auto* r : rows) {
    const auto p = predict_row(*r, t);
    if (!p.ok || p.predicted <= 0) continue;
    sum += std::fabs(std::log(p.predicted / r->measured));
    ++n;
  }
  return n ? sum / n : 0;
}

ErrorStats stats_on(const std::vector<const PreparedRow*>& rows, const EfficiencyTable& t) {
  std::vector<double> e;
  for (const auto* r : rows) {
    const auto p = predict_row(*r, t);
    if (p.ok) e.push_back(p.error_pct);
  }
  return error_stats(e);
}

EfficiencyTable fit(const std::vector<const PreparedRow*>& rows, EfficiencyTable t, const std::vector<std::string>& keys,
                    std::vector<CalibrationStep>* trace) {
  double best = objective(rows, t);
  for (double s = 0.1; s > 0.1 / 64; s /= 2) {
    bool improved = true;
    while (improved) {
      improved = false;
      for (const auto& k : keys) {
        const Bounds b = bounds_for(k);
        for (double dir : {+1.0, -1.0}) {
          EfficiencyTable trial = t;
          const double v = std::clamp(t.get(k) + dir * s * (b.hi - b.lo), b.lo, b.hi);
          if (v == t.get(k)) continue;
          trial.set(k, v);
          const double o = objective(rows, trial);
          if (o < best - 1e-9) {
            best = o;
            t = std::move(trial);
            improved = true;
            if (trace) trace->push_back({k, v, o});
            break;
          }
        }
      }
    }
  }
  return t;
}
}  // namespace

CalibrationResult calibrate(const std::vector<PreparedRow>& rows, const EfficiencyTable& start,
                            std::vector<std::string> keys, bool with_holdout) {
  CalibrationResult res;
  if (keys.empty()) keys = start.fitted_keys;
  for (const auto& k : keys) (void)start.get(k);  // throws InputError on unknown keys
  res.keys = keys;
  std::vector<const PreparedRow*> use;
  for (const auto& r : rows)
    if (counts(r)) use.push_back(&r);
  res.before = start;
  res.before_objective = objective(use, start);
  res.before_stats = stats_on(use, start);
  const EfficiencyTable fitted = fit(use, start, keys, &res.trace);
  res.after = fitted;
  res.after_objective = objective(use, fitted);
  res.after_stats = stats_on(use, fitted);
  if (with_holdout) {
    // No leakage from the rows tested on: an engine or accelerator class absent from the fitted rows loses its
    // (fully fitted) overrides and falls back to the defaults, and its keys are not fitted; every key that is
    // fitted starts from the neutral value of Efficiency{}, not from the value fitted on all rows.
    auto fit_and_test = [&](const std::string& name, const std::vector<const PreparedRow*>& in,
                            const std::vector<const PreparedRow*>& out) {
      std::set<std::string> engines_in, classes_in;
      for (const auto* r : in) {
        if (r->engine) engines_in.insert(r->engine->name);
        classes_in.insert(start.for_gpu(r->deployment.gpu).gpu_class);
      }
      EfficiencyTable base = start;
      std::erase_if(base.engines, [&](const EfficiencyClass& e) { return !engines_in.count(e.name); });
      std::erase_if(base.classes, [&](const EfficiencyClass& c) { return !classes_in.count(c.name); });
      std::vector<std::string> group_keys;
      const Efficiency neutral;
      for (const auto& k : keys) {
        const auto slash = k.find('/');
        const std::string group = slash == std::string::npos ? "" : k.substr(0, slash);
        if (!group.empty() && !engines_in.count(group) && !classes_in.count(group)) continue;
        group_keys.push_back(k);
        base.set(k, neutral.get(k.substr(slash == std::string::npos ? 0 : slash + 1)));
      }
      const EfficiencyTable f = fit(in, base, group_keys, nullptr);
      res.holdout.push_back({name, stats_on(in, f), stats_on(out, f), f});
      return f;
    };
    // 1. Fit on one group (a source, or one version of the TensorRT-LLM perf overview), test on all the others
    //    (groups of at least 20 rows): generalisation to another engine release and its hardware mix.
    std::map<std::string, std::vector<const PreparedRow*>> groups;
    for (const auto* r : use) groups[holdout_group(r->row)].push_back(r);
    for (const auto& [g, in] : groups) {
      if (in.size() < 20) continue;
      std::vector<const PreparedRow*> out;
      for (const auto* r : use)
        if (holdout_group(r->row) != g) out.push_back(r);
      fit_and_test(g, in, out);
    }
    // 2. Leave one source out: fit on every other group, predict the group left out (each row predicted once by
    //    a fit that never saw its source) - a new publication of a kind already seen.
    if (groups.size() >= 2) {
      std::vector<double> pooled_test, pooled_fit;
      for (const auto& [g, rows_g] : groups) {
        std::vector<const PreparedRow*> in;
        for (const auto* r : use)
          if (holdout_group(r->row) != g) in.push_back(r);
        if (in.empty()) continue;
        const EfficiencyTable f = fit_and_test("all but " + g, in, rows_g);
        for (const auto* r : rows_g)
          if (const auto p = predict_row(*r, f); p.ok) pooled_test.push_back(p.error_pct);
        for (const auto* r : in)
          if (const auto p = predict_row(*r, f); p.ok) pooled_fit.push_back(p.error_pct);
      }
      res.holdout.push_back({"leave one source out, pooled", error_stats(pooled_fit), error_stats(pooled_test), start});
    }
    // 3. Five-fold cross-validation over rows shuffled with a fixed seed: fit on four fifths, test on the fifth
    //    left out - new measurements from the same kinds of sources.
    std::vector<const PreparedRow*> shuffled = use;
    std::mt19937_64 rng(20261126);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    constexpr int kFolds = 5;
    std::vector<double> pooled_test, pooled_fit;
    for (int k = 0; k < kFolds; ++k) {
      std::vector<const PreparedRow*> in, out;
      for (std::size_t i = 0; i < shuffled.size(); ++i) (static_cast<int>(i % kFolds) == k ? out : in).push_back(shuffled[i]);
      const EfficiencyTable f = fit_and_test(fmt::format("random 4/5 of rows (fold {} of {})", k + 1, kFolds), in, out);
      for (const auto* r : out)
        if (const auto p = predict_row(*r, f); p.ok) pooled_test.push_back(p.error_pct);
      for (const auto* r : in)
        if (const auto p = predict_row(*r, f); p.ok) pooled_fit.push_back(p.error_pct);
    }
    // Every row predicted once by the fold fit that did not see it.
    res.holdout.push_back({"5-fold cross-validation, pooled", error_stats(pooled_fit), error_stats(pooled_test), start});
  }
  return res;
}

}  // namespace tokenmath::perf
