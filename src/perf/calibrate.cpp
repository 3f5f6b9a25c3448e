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
#include <functional>
#include <set>

#include <yaml-cpp/yaml.h>

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
  if (key == "host_overlap" || key == "spec_host_overlap" || key == "attention_half_tokens") return key == "attention_half_tokens" ? Bounds{0.0, 4096.0} : Bounds{0.0, 1.0};
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
    // 2. Leave one group out: fit on every other group, predict the group left out (each row predicted once by a
    //    fit that never saw its group). By source: a new publication of a kind already seen. By model family and
    //    by accelerator class: a model family or a GPU generation the fit never saw (the class's own overrides
    //    drop out with it, so its rows fall back to the defaults).
    auto leave_one_out = [&](const std::string& pooled_name, const std::string& prefix, auto group_of) {
      // Each row's group, computed once (an accelerator class is a table lookup per row).
      std::vector<std::string> group(use.size());
      std::map<std::string, std::vector<const PreparedRow*>> by;
      for (std::size_t i = 0; i < use.size(); ++i) by[group[i] = group_of(*use[i])].push_back(use[i]);
      if (by.size() < 2) return;
      std::vector<double> pooled_test, pooled_fit;
      for (const auto& [g, rows_g] : by) {
        std::vector<const PreparedRow*> in;
        for (std::size_t i = 0; i < use.size(); ++i)
          if (group[i] != g) in.push_back(use[i]);
        const EfficiencyTable f = fit_and_test(prefix + g, in, rows_g);
        for (const auto* r : rows_g)
          if (const auto p = predict_row(*r, f); p.ok) pooled_test.push_back(p.error_pct);
        for (const auto* r : in)
          if (const auto p = predict_row(*r, f); p.ok) pooled_fit.push_back(p.error_pct);
      }
      res.holdout.push_back({pooled_name, error_stats(pooled_fit), error_stats(pooled_test), start});
    };
    leave_one_out("leave one source out, pooled", "all but ", [](const PreparedRow& r) { return holdout_group(r.row); });
    leave_one_out("leave one model family out, pooled", "all model families but ",
                  [](const PreparedRow& r) { return model_family(r.model_id); });
    leave_one_out("leave one accelerator class out, pooled", "all accelerator classes but ",
                  [&](const PreparedRow& r) { return start.for_gpu(r.deployment.gpu).gpu_class; });
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

std::pair<double, double> calibration_bounds(const std::string& key) {
  const Bounds b = bounds_for(key);
  return {b.lo, b.hi};
}

EfficiencyTable with_profile(const EfficiencyTable& table, const DeploymentProfile& profile) {
  EfficiencyTable t = table;
  for (const auto& [key, f] : profile.factors) {
    t.defaults.set(key, f.value);
    for (auto* list : {&t.engines, &t.classes})
      for (auto& e : *list) e.overrides.erase(key);
  }
  return t;
}

DeploymentProfile load_deployment_profile(const std::filesystem::path& path) {
  const std::string file = path.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw InputError(file, "", "", "cannot read the engine profile");
  } catch (const YAML::Exception& e) {
    throw InputError(file, "", "", std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["factors"] || !root["factors"].IsMap())
    throw InputError(file, "factors", "", "an engine profile needs a `factors` map (key: {value: ...})");
  DeploymentProfile p;
  p.file = file;
  const Efficiency probe;
  for (const auto& kv : root["factors"]) {
    const std::string key = kv.first.as<std::string>();
    const std::string field = "factors." + key;
    if (key.find('/') != std::string::npos)
      throw InputError(file, field, key, "a profile sets plain keys (it applies to every accelerator and engine)");
    if (std::find(Efficiency::keys().begin(), Efficiency::keys().end(), key) == Efficiency::keys().end())
      throw InputError(file, field, key, "unknown efficiency key" + did_you_mean(key, Efficiency::keys()));
    ProfileFactor f;
    const YAML::Node v = kv.second.IsMap() ? kv.second["value"] : kv.second;
    try {
      if (!v || !v.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "");
      f.value = v.as<double>();
    } catch (const YAML::Exception&) {
      throw InputError(file, field + ".value", v && v.IsScalar() ? v.Scalar() : "", "expected a number");
    }
    if (!std::isfinite(f.value) || f.value < 0)
      throw InputError(file, field + ".value", fmt::format("{}", f.value), "must be a finite number >= 0");
    if (kv.second.IsMap()) {
      if (const auto b = kv.second["bounds"]; b && b.IsSequence() && b.size() == 2) {
        f.lo = b[0].as<double>();
        f.hi = b[1].as<double>();
      }
      if (const auto src = kv.second["source"]; src && src.IsScalar()) f.source = src.Scalar();
      if (const auto how = kv.second["how_obtained"]; how && how.IsScalar()) f.how_obtained = how.Scalar();
    }
    p.factors[key] = f;
  }
  return p;
}

namespace {
std::vector<const PreparedRow*> rows_of(const std::vector<const PreparedRow*>& rows, const std::function<bool(const PreparedRow&)>& keep) {
  std::vector<const PreparedRow*> out;
  for (const auto* r : rows)
    if (keep(*r)) out.push_back(r);
  return out;
}

// A table whose `keys` are driven by their defaults (class and engine overrides removed) set to `values`.
EfficiencyTable profile_table(const EfficiencyTable& table, const std::map<std::string, double>& values) {
  DeploymentProfile p;
  for (const auto& [k, v] : values) p.factors[k].value = v;
  return with_profile(table, p);
}

std::map<std::string, double> values_of(const EfficiencyTable& t, const std::vector<std::string>& keys) {
  std::map<std::string, double> v;
  for (const auto& k : keys) v[k] = t.defaults.get(k);
  return v;
}
}  // namespace

ProfileFit calibrate_profile(const std::vector<PreparedRow>& rows, const EfficiencyTable& table,
                             const std::vector<std::string>& keys, const std::vector<std::string>& metrics) {
  ProfileFit res;
  res.keys = keys;
  res.metrics = metrics;
  for (const auto& k : keys) {
    if (k.find('/') != std::string::npos)
      throw InputError(kRequest, "`keys`", k, "a profile fits plain keys (it applies to every accelerator and engine)");
    if (std::find(Efficiency::keys().begin(), Efficiency::keys().end(), k) == Efficiency::keys().end())
      throw InputError(kRequest, "`keys`", k, "unknown efficiency key" + did_you_mean(k, Efficiency::keys()));
    const Bounds b = bounds_for(k);
    res.bounds[k] = {b.lo, b.hi};
  }
  std::vector<const PreparedRow*> use;
  for (const auto& r : rows)
    if (r.ok && !r.suspect && std::find(metrics.begin(), metrics.end(), r.row.metric) != metrics.end()) use.push_back(&r);
  res.rows = static_cast<int>(use.size());
  if (use.empty())
    throw InputError(kRequest, "`from`", "",
                     "no predictable rows of the metrics " + fmt::format("{}", fmt::join(metrics, ", ")) +
                         " (see `tokenmath validate` on the file for each row's reason)");
  // Start from what the model uses now for the measured deployment (its accelerator class and engine).
  const Efficiency now = table.for_gpu(use.front()->deployment.gpu, use.front()->engine ? use.front()->engine->name : "");
  for (const auto& k : keys) res.before[k] = std::clamp(now.get(k), bounds_for(k).lo, bounds_for(k).hi);
  const EfficiencyTable start = profile_table(table, res.before);
  res.before_objective = objective(use, start);
  res.before_stats = stats_on(use, start);
  const EfficiencyTable fitted = fit(use, start, keys, nullptr);
  res.after = values_of(fitted, keys);
  res.after_objective = objective(use, fitted);
  res.after_stats = stats_on(use, fitted);
  for (const auto& m : metrics) {
    const auto sub = rows_of(use, [&](const PreparedRow& r) { return r.row.metric == m; });
    if (!sub.empty()) res.by_metric[m] = {stats_on(sub, start), stats_on(sub, fitted)};
  }
  std::int64_t top = 0;
  std::set<std::int64_t> levels;
  for (const auto* r : use) {
    levels.insert(r->concurrency);
    top = std::max(top, r->concurrency);
  }
  if (levels.size() >= 2) {
    const auto in = rows_of(use, [&](const PreparedRow& r) { return r.concurrency != top; });
    const auto out = rows_of(use, [&](const PreparedRow& r) { return r.concurrency == top; });
    const EfficiencyTable f = fit(in, start, keys, nullptr);
    res.holdout = true;
    res.holdout_label = fmt::format("concurrency {}", top);
    res.holdout_before = stats_on(out, start);
    res.holdout_fit = stats_on(in, f);
    res.holdout_test = stats_on(out, f);
    res.holdout_values = values_of(f, keys);
  }
  return res;
}

}  // namespace tokenmath::perf
