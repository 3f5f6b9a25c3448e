// Scenario YAML -> validated Scenario (SimConfig with step models, WorkloadSpec with traces loaded).
#include "tokenmath/sim/scenario.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <fstream>
#include <memory>
#include <map>
#include <sstream>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/common/yaml_file.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/throughput.hpp"
#include "tokenmath/perf/validate.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/sim/rng.hpp"
#include "tokenmath/sim/router.hpp"
#include "tokenmath/sim/step_timer.hpp"

namespace tokenmath::sim {
namespace {

std::string list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string scalar_text(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "";
  if (n.IsScalar()) return n.Scalar();
  std::ostringstream os;
  os << YAML::Dump(n);
  std::string s = os.str();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// A YAML node with its file and key path, for error messages.
class Y {
 public:
  Y(YAML::Node n, const std::string* file, std::string path) : n_(std::move(n)), file_(file), path_(std::move(path)) {}

  const std::string& file() const { return *file_; }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const YAML::Node& node() const { return n_; }
  bool is_map() const { return n_.IsMap(); }
  // Lookups go through a const node: a missing key yields an undefined node instead of an invalid one.
  bool has(const std::string& key) const {
    if (!n_.IsDefined() || !n_.IsMap()) return false;
    const YAML::Node& c = n_;
    const YAML::Node v = c[key];
    return v.IsDefined() && !v.IsNull();
  }
  Y at(const std::string& key) const {
    const YAML::Node& c = n_;
    return Y(n_.IsDefined() && n_.IsMap() ? c[key] : YAML::Node(YAML::NodeType::Undefined), file_, sub(key));
  }

  [[noreturn]] void fail(const std::string& problem) const { throw InputError(*file_, path_, scalar_text(n_), problem); }
  [[noreturn]] void fail_key(const std::string& key, const std::string& problem) const {
    throw InputError(*file_, sub(key), has(key) ? scalar_text(at(key).node()) : "", problem);
  }

  void require_map() const {
    if (!n_.IsDefined() || !n_.IsMap()) fail("expected a mapping of keys");
  }
  // Rejects keys not in `allowed`, suggesting the closest valid one.
  void allow(const std::vector<std::string>& allowed) const {
    require_map();
    for (const auto& kv : n_) {
      const std::string k = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        throw InputError(*file_, sub(k), scalar_text(kv.second),
                         "unknown key; valid keys here: " + list(allowed) + did_you_mean(k, allowed));
    }
  }

  double number() const {
    if (!n_.IsDefined() || !n_.IsScalar()) fail("expected a number");
    try {
      const double v = n_.as<double>();
      if (!std::isfinite(v)) fail("expected a finite number");
      return v;
    } catch (const YAML::Exception&) {
      fail("expected a number");
    }
  }
  std::string text() const {
    if (!n_.IsDefined() || !n_.IsScalar()) fail("expected a string");
    return n_.Scalar();
  }
  bool boolean() const {
    if (!n_.IsDefined() || !n_.IsScalar()) fail("expected true or false");
    try {
      return n_.as<bool>();
    } catch (const YAML::Exception&) {
      fail("expected true or false");
    }
  }

  double num(const std::string& key, double def) const { return has(key) ? at(key).number() : def; }
  double num_req(const std::string& key) const {
    if (!has(key)) fail_key(key, "missing required key");
    return at(key).number();
  }
  // Number in [lo, hi] (hi < lo: no upper bound).
  double num_in(const std::string& key, double def, double lo, double hi = -1) const {
    const double v = num(key, def);
    if (v < lo || (hi >= lo && v > hi))
      fail_key(key, hi >= lo ? fmt::format("must be in [{}, {}]", lo, hi) : fmt::format("must be >= {}", lo));
    return v;
  }
  double positive(const std::string& key, double def) const {
    const double v = num(key, def);
    if (!(v > 0)) fail_key(key, "must be > 0");
    return v;
  }
  // Whole number in [lo, hi]; hi defaults to the int range every count here is stored in (a cast of 4294967297
  // to int would silently be 1; 1e300 to int64 undefined).
  std::int64_t integer(const std::string& key, std::int64_t def, std::int64_t lo,
                       std::int64_t hi = std::numeric_limits<std::int32_t>::max()) const {
    const double v = num(key, static_cast<double>(def));
    if (v != std::floor(v)) fail_key(key, "must be a whole number");
    if (v < static_cast<double>(lo)) fail_key(key, fmt::format("must be >= {}", lo));
    if (v > static_cast<double>(hi)) fail_key(key, fmt::format("must be <= {} (the simulator's limit)", hi));
    return static_cast<std::int64_t>(v);
  }
  std::string str(const std::string& key, const std::string& def) const { return has(key) ? at(key).text() : def; }
  std::string str_req(const std::string& key) const {
    if (!has(key)) fail_key(key, "missing required key");
    return at(key).text();
  }
  bool flag(const std::string& key, bool def) const { return has(key) ? at(key).boolean() : def; }

 private:
  YAML::Node n_;
  const std::string* file_;
  std::string path_;
};

// Where relative paths in a scenario resolve: the scenario file's folder, then the context's data directory.
struct Dirs {
  std::filesystem::path scenario, data;
};

std::filesystem::path resolve_path(const Y& y, const std::string& p, const Dirs& base) {
  const std::filesystem::path path(p);
  if (path.is_absolute()) return path;
  if (path_exists(base.scenario / path)) return base.scenario / path;
  if (path_exists(base.data / path)) return base.data / path;
  y.fail("file not found (looked in " + base.scenario.string() + " and " + base.data.string() + ")");
}

std::shared_ptr<const Trace> read_trace(const Y& y, const Dirs& base) {
  const std::string format = y.str_req("format");
  if (format != "azure" && format != "mooncake")
    y.at("format").fail("unknown trace format; valid: azure, mooncake" + did_you_mean(format, {"azure", "mooncake"}));
  const auto path = resolve_path(y.at("file"), y.str_req("file"), base);
  return std::make_shared<const Trace>(load_trace(path, format));
}

// A distribution: a bare number (fixed) or {kind: ..., parameters, min, max}.
Dist read_dist(const Y& y, const Dirs& base, bool tokens) {
  if (y.node().IsScalar()) {
    const double v = y.number();
    if (tokens ? v < 1 : v < 0) y.fail(tokens ? "must be >= 1" : "must be >= 0");
    return Dist::fixed(v);
  }
  static const std::vector<std::string> kinds{"fixed", "uniform", "normal", "lognormal", "exponential", "empirical", "trace"};
  const std::string kind = y.str_req("kind");
  Dist d;
  d.min = y.num("min", tokens ? 1.0 : 0.0);
  d.max = y.num("max", 1e18);
  if (d.max < d.min) y.fail_key("max", "must be >= min");
  if (kind == "fixed") {
    y.allow({"kind", "value"});
    d.a = y.num_req("value");
  } else if (kind == "uniform") {
    y.allow({"kind", "min", "max"});
    d.kind = Dist::Kind::uniform;
    d.a = y.num_req("min");
    d.b = y.num_req("max");
  } else if (kind == "normal") {
    y.allow({"kind", "mean", "stddev", "min", "max"});
    d.kind = Dist::Kind::normal;
    d.a = y.num_req("mean");
    d.b = y.num_in("stddev", 0, 0);
  } else if (kind == "lognormal") {
    y.allow({"kind", "median", "sigma", "min", "max"});
    d.kind = Dist::Kind::lognormal;
    d.a = y.positive("median", 0);
    d.b = y.num_in("sigma", 0, 0);
  } else if (kind == "exponential") {
    y.allow({"kind", "mean", "min", "max"});
    d.kind = Dist::Kind::exponential;
    d.a = y.positive("mean", 0);
  } else if (kind == "empirical" || kind == "trace") {
    d.kind = Dist::Kind::empirical;
    auto vals = std::make_shared<std::vector<double>>();
    if (kind == "empirical") {
      y.allow({"kind", "values", "min", "max"});
      const Y v = y.at("values");
      if (!v.node().IsSequence() || v.node().size() == 0) v.fail("expected a non-empty list of numbers");
      for (std::size_t i = 0; i < v.node().size(); ++i)
        vals->push_back(Y(v.node()[i], &y.file(), v.path() + fmt::format("[{}]", i)).number());
    } else {
      y.allow({"kind", "file", "format", "column", "min", "max"});
      const auto tr = read_trace(y, base);
      const std::string col = y.str_req("column");
      if (col != "input" && col != "output") y.at("column").fail("valid columns: input, output");
      for (const auto& r : tr->rows) vals->push_back(col == "input" ? r.input_tokens : r.output_tokens);
    }
    d.values = vals;
  } else {
    y.at("kind").fail("unknown distribution; valid: " + list(kinds) + did_you_mean(kind, kinds));
  }
  if (tokens && d.kind == Dist::Kind::fixed && d.a < 1) y.fail("must be >= 1");
  return d;
}

ArrivalSpec read_arrival(const Y& y, const Dirs& base) {
  static const std::vector<std::string> kinds{"poisson", "gamma", "constant", "profile", "closed"};
  ArrivalSpec a;
  const std::string kind = y.str_req("kind");
  auto rate = [&] {
    if (y.has("rate_per_s") == y.has("load"))
      y.fail("give exactly one of rate_per_s (requests/s) or load (fraction of the cluster's modelled capacity)");
    a.rate_per_s = y.has("rate_per_s") ? y.positive("rate_per_s", 1) : -y.positive("load", 1);  // < 0: load
  };
  if (kind == "poisson" || kind == "constant") {
    y.allow({"kind", "rate_per_s", "load"});
    a.kind = kind == "poisson" ? ArrivalSpec::Kind::poisson : ArrivalSpec::Kind::constant;
    rate();
  } else if (kind == "gamma") {
    y.allow({"kind", "rate_per_s", "load", "cv"});
    a.kind = ArrivalSpec::Kind::gamma;
    rate();
    a.cv = y.positive("cv", 1);
  } else if (kind == "profile") {
    y.allow({"kind", "rate_per_s", "load", "hourly", "start_hour"});
    a.kind = ArrivalSpec::Kind::profile;
    rate();
    const Y h = y.at("hourly");
    if (!h.node().IsSequence() || h.node().size() != 24) h.fail("expected 24 rate multipliers, hour 0 to 23");
    for (std::size_t i = 0; i < 24; ++i) {
      const double v = Y(h.node()[i], &y.file(), h.path() + fmt::format("[{}]", i)).number();
      if (v < 0) h.fail("multipliers must be >= 0");
      a.hourly.push_back(v);
    }
    if (*std::max_element(a.hourly.begin(), a.hourly.end()) <= 0) h.fail("at least one multiplier must be > 0");
    a.start_hour = y.num_in("start_hour", 0, 0, 24);
  } else if (kind == "closed") {
    y.allow({"kind", "concurrency", "think_time_s", "ramp_s"});
    a.kind = ArrivalSpec::Kind::closed;
    a.concurrency = static_cast<int>(y.integer("concurrency", 1, 1));
    a.ramp_s = y.num_in("ramp_s", 0, 0);
    if (y.has("think_time_s")) a.think_time_s = read_dist(y.at("think_time_s"), base, false);
  } else {
    y.at("kind").fail("unknown arrival process; valid: " + list(kinds) + did_you_mean(kind, kinds));
  }
  return a;
}

const std::vector<std::string>& deployment_keys() {
  static const std::vector<std::string> k = scenario_schema().children("deployment");
  return k;
}

// Deployment keys are collected as nodes so that a pool's overrides replace single fields of the base.
void collect_deployment(const Y& y, std::map<std::string, Y>& into) {
  y.allow(deployment_keys());
  for (const auto& k : deployment_keys())
    if (y.has(k)) into.insert_or_assign(k, y.at(k));
}

struct BuiltPool {
  PoolSpec spec;
  PoolInfo info;
  std::shared_ptr<const perf::StepModel> model;
  bool linear_timer = false;  // step_time override: no step-model capacity
};

BuiltPool build_pool(const Context& ctx, const std::string& file, const Y& model_node,
                     const std::map<std::string, Y>& keys, const Y& where, const std::string& pool_name) {
  const auto& cat = ctx.catalog;
  auto get = [&](const std::string& k) -> const Y* {
    auto it = keys.find(k);
    return it == keys.end() ? nullptr : &it->second;
  };
  auto num = [&](const std::string& k, double def) { return get(k) ? get(k)->number() : def; };
  auto whole = [&](const std::string& k, double def, double lo) {
    const double v = num(k, def);
    constexpr double kMax = std::numeric_limits<std::int32_t>::max();
    if (v != std::floor(v) || v < lo || v > kMax) {
      if (get(k)) get(k)->fail(fmt::format("must be a whole number in [{}, {}]", lo, kMax));
      where.fail(fmt::format("{} must be a whole number in [{}, {}]", k, lo, kMax));
    }
    return static_cast<int>(v);
  };
  perf::DeploymentIntent in;
  try {
    in.model = std::make_shared<const catalog::ModelSpec>(cat.model(model_node.text()));
  } catch (const InputError& e) {
    throw InputError(file, model_node.path(), model_node.text(), e.problem());
  }
  const Y* gpu = get("gpu");
  if (!gpu) where.fail("missing required key deployment.gpu");
  try {
    in.gpu = cat.gpu(gpu->text());
  } catch (const InputError& e) {
    throw InputError(file, gpu->path(), gpu->text(), e.problem());
  }
  in.tp = whole("tp", 1, 1);
  in.pp = whole("pp", 1, 1);
  in.ep = whole("ep", 1, 1);
  if (in.ep > in.tp || in.tp % in.ep != 0)
    (get("ep") ? *get("ep") : where).fail(fmt::format("ep must divide tp ({})", in.tp));
  in.attention_dp = get("attention_dp") ? get("attention_dp")->boolean() : false;
  auto precision = [&](const std::string& k) {
    return catalog::parse_precision(get(k)->text(), file, get(k)->path());
  };
  if (get("precision")) in.weights = precision("precision");
  if (get("activation_precision")) in.activations = precision("activation_precision");
  if (get("kv_dtype")) in.kv = precision("kv_dtype");
  // engine: a profile of data/perf/engines.yaml whose software factors apply (host overlap, DP balancing).
  std::string engine;
  const perf::EngineProfile* profile = nullptr;
  if (const Y* en = get("engine")) {
    const auto names = perf::engine_choices(ctx.engines);
    if (std::find(names.begin(), names.end(), en->text()) == names.end())
      en->fail("unknown engine profile" + did_you_mean(en->text(), names) + " (data/perf/engines.yaml, auto or none)");
    engine = perf::engine_for_gpu(en->text(), in.gpu, ctx.engines);
    for (const auto& e : ctx.engines)
      if (e.name == engine) profile = &e;
  }
  // Engine knobs: the scenario's, else the engine profile's (data/perf/engines.yaml), else vLLM V0's
  // scheduling defaults (max_num_seqs 256, an 8,192-token budget) with the perf model's KV pool (0.9 of the memory
  // left after weights, activations and reserve); an engine profile brings its own base for the fraction too.
  perf::EngineKnobs defaults = in.knobs;
  defaults.max_num_seqs = 256;
  if (profile) defaults = profile->knobs(defaults, in.gpu);
  perf::Deployment d = perf::make_deployment(in);
  d.knobs.max_batched_tokens = whole("max_batched_tokens", defaults.max_batched_tokens, 1);
  d.knobs.max_num_seqs = whole("max_num_seqs", defaults.max_num_seqs, 1);
  d.knobs.spec_max_num_seqs = get("max_num_seqs") ? 0 : defaults.spec_max_num_seqs;
  d.knobs.chunked_prefill_tokens = whole("chunked_prefill_tokens", d.knobs.max_batched_tokens, 1);
  d.knobs.kv_mem_fraction = num("kv_mem_fraction", defaults.kv_mem_fraction);
  d.knobs.kv_fraction_of_total = defaults.kv_fraction_of_total;
  if (d.knobs.kv_mem_fraction <= 0 || d.knobs.kv_mem_fraction > 1) get("kv_mem_fraction")->fail("must be in (0, 1]");
  if (d.knobs.max_num_seqs > d.knobs.max_batched_tokens)
    (get("max_num_seqs") ? *get("max_num_seqs") : where)
        .fail(fmt::format("max_num_seqs must not exceed max_batched_tokens ({}): every decode needs a token of the budget",
                          d.knobs.max_batched_tokens));

  // speculative: {method: mtp|eagle3|ngram, draft_tokens: K, acceptance_length: A (default: shipped)}.
  if (const Y* sp = get("speculative")) {
    sp->allow({"method", "draft_tokens", "acceptance_length"});
    const std::string method = sp->str_req("method");
    const auto& table = ctx.speculative;
    const perf::SpecMethod* m = table.find(method);
    if (!m) sp->at("method").fail("unknown speculative method (mtp, eagle3, ngram)");
    if (!sp->has("draft_tokens")) sp->fail_key("draft_tokens", "missing required key");
    const double k = sp->num_in("draft_tokens", 1, 1, 16);
    if (k != std::floor(k)) sp->at("draft_tokens").fail("must be a whole number in [1, 16]");
    std::optional<double> acc;
    if (sp->has("acceptance_length")) acc = sp->num_in("acceptance_length", 1, 1, k + 1);
    d.spec = *table.make(method, static_cast<int>(k), acc);
  }
  // admission: NAME or {policy: NAME, watermark: W}; default: the engine profile's, else per-chunk (vLLM v1).
  std::string admission_name = "per-chunk";
  std::string admission_field = where.sub("admission");
  double watermark = 0.01;
  if (profile && !profile->admission.empty()) admission_name = profile->admission;
  if (const Y* ad = get("admission")) {
    if (ad->node().IsMap()) {
      ad->allow({"policy", "watermark"});
      admission_name = ad->str_req("policy");
      admission_field = ad->at("policy").path();
      watermark = ad->num_in("watermark", watermark, 0, 0.5);
    } else {
      admission_name = ad->text();
      admission_field = ad->path();
    }
  }
  const sim::AdmissionKind admission = sim::parse_admission(admission_name, file, admission_field);
  perf::Efficiency eff = ctx.efficiency.for_gpu(d.gpu, engine);
  // The perf model's KV bound on concurrency follows the admission the simulator runs (capacity reports).
  eff.kv_reserve_output = admission == sim::AdmissionKind::guaranteed_no_evict ? 1.0 : 0.0;
  auto sm = std::make_shared<const perf::StepModel>(d, eff);
  if (!sm->feasible())
    where.fail(fmt::format("deployment {} of {} on {} is infeasible: {}", perf::deployment_label(d),
                           d.model->display_name, d.gpu.name, sm->memory().reason));

  BuiltPool bp;
  bp.model = sm;
  // The replica as perf priced it (sim::replica_config_for: per-replica pool, per-rank budget and cap x ranks,
  // window, speculation, context limit, KV bytes per token, step timer); scenario policies follow.
  bp.spec.config = replica_config_for(sm, static_cast<std::int32_t>(whole("block_tokens", 16, 1)));
  ReplicaConfig& rc = bp.spec.config;
  rc.pool = pool_name;
  if (rc.kv_blocks < 1) where.fail("the KV pool holds less than one block");
  rc.prefix_caching = get("prefix_caching") ? get("prefix_caching")->boolean() : true;
  rc.scheduler = get("scheduler") ? parse_scheduler(get("scheduler")->text(), file, get("scheduler")->path())
                                  : SchedulerKind::decode_first;
  rc.eviction = get("eviction") ? parse_eviction(get("eviction")->text(), file, get("eviction")->path())
                                : EvictionKind::lru;
  const double host_gb = num("host_cache_gb", 0);
  if (host_gb < 0) get("host_cache_gb")->fail("must be >= 0");
  if (host_gb > 0) {
    if (!get("host_link_gb_s")) where.fail("host_cache_gb needs host_link_gb_s (host-to-GPU bandwidth, GB/s)");
    const double bw = num("host_link_gb_s", 0);
    if (bw <= 0) get("host_link_gb_s")->fail("must be > 0");
    rc.host_cache_tokens = host_gb * 1e9 / rc.kv_bytes_per_token;
    rc.host_bytes_per_s = bw * 1e9;
  }
  rc.admission = admission;
  rc.admission_watermark = watermark;
  // preemption: recompute (default) | swap (to the host tier; needs host_cache_gb and host_link_gb_s).
  if (const Y* pre = get("preemption")) {
    const std::string v = pre->text();
    if (v != "recompute" && v != "swap") pre->fail("expected recompute or swap" + did_you_mean(v, {"recompute", "swap"}));
    if (v == "swap" && !(rc.host_cache_tokens > 0 && rc.host_bytes_per_s > 0))
      pre->fail("swap needs a host tier: set host_cache_gb and host_link_gb_s");
    rc.swap_preemption = v == "swap";
  }
  // Overrides that replace the step model's figures (what-if studies; golden tests that pin the simulator's
  // behaviour independently of the step model's calibration).
  if (const Y* st = get("step_time")) {
    st->allow({"base_s", "per_token_s", "per_ctx_token_s", "per_attn_pair_s"});
    auto t = std::make_shared<LinearStepTimer>();
    t->base_s = st->positive("base_s", 0);
    t->per_token_s = st->num_in("per_token_s", 0, 0);
    t->per_ctx_token_s = st->num_in("per_ctx_token_s", 0, 0);
    t->per_attn_pair_s = st->num_in("per_attn_pair_s", 0, 0);
    rc.timer = t;
    bp.linear_timer = true;
  }
  if (const Y* kc = get("kv_capacity_tokens")) {
    const double v = kc->number();
    if (v < rc.block_tokens) kc->fail(fmt::format("must be >= block_tokens ({})", rc.block_tokens));
    if (v > 1e13) kc->fail("must be <= 1e13 tokens (the simulator's limit)");
    rc.kv_blocks = static_cast<std::int64_t>(v / rc.block_tokens);
    // The perf model behind the capacity report holds the same pool: its KV memory fraction set so that the pool
    // scales to v tokens (a share of free memory scales with it; a share of all of it moves the pool by the HBM per
    // unit). Step times do not depend on the pool, so the step timer is unchanged in effect.
    if (sm->memory().kv_capacity_tokens > 0) {
      perf::Deployment scaled = d;
      const double scale = v / sm->memory().kv_capacity_tokens;
      if (d.knobs.kv_fraction_of_total)
        scaled.knobs.kv_mem_fraction +=
            (scale - 1) * sm->memory().kv_bytes_per_gpu / (d.gpu.mem_gb * eff.hbm_bytes_per_gb);
      else
        scaled.knobs.kv_mem_fraction *= scale;
      auto sm2 = std::make_shared<const perf::StepModel>(scaled, eff);
      if (sm2->feasible()) {
        bp.model = sm2;
        if (!bp.linear_timer) rc.timer = std::make_shared<PerfStepTimer>(sm2);
      }
    }
  }

  bp.info.name = pool_name;
  bp.info.model = d.model->display_name;
  bp.info.gpu = d.gpu.name;
  bp.info.deployment = perf::deployment_label(d);
  bp.info.gpus_per_replica = d.num_gpus();
  bp.info.kv_capacity_tokens = static_cast<double>(rc.kv_blocks) * rc.block_tokens;
  return bp;
}

}  // namespace

Scenario parse_scenario(const Context& ctx, const std::string& yaml_text, const std::string& file,
                        const std::filesystem::path& base_dir) {
  return with_yaml_errors(file, [&] {
    const Dirs base{base_dir, ctx.data_dir};
    Scenario sc;
    sc.file = file;
    YAML::Node root_node;
    try {
      check_nesting(yaml_text, file);  // every scenario text: files, HTTP bodies, Python strings
      root_node = YAML::Load(yaml_text);
      check_duplicate_keys(root_node, file);
    } catch (const YAML::ParserException& e) {
      throw InputError(file, fmt::format("line {}", e.mark.line + 1), "", "YAML syntax error: " + e.msg);
    }
    const Y root(root_node, &sc.file, "");
    root.allow(scenario_schema().children(""));
    sc.name = root.str("name", std::filesystem::path(file).stem().string());
    sc.seed = static_cast<std::uint64_t>(root.integer("seed", 0, 0, (std::int64_t{1} << 53)));
    if (!root.has("model")) root.fail_key("model", "missing required key (catalog id, alias or config.json path)");
    if (!root.has("deployment")) root.fail_key("deployment", "missing required key");
    const Y model = root.at("model");
    std::map<std::string, Y> base_keys;
    collect_deployment(root.at("deployment"), base_keys);
  
    // cluster
    const Y cl = root.at("cluster");
    std::vector<BuiltPool> pools;
    if (root.has("cluster")) cl.allow(scenario_schema().children("cluster"));
    if (root.has("cluster") && cl.has("disaggregation")) {
      const Y dg = cl.at("disaggregation");
      dg.allow(scenario_schema().children("cluster.disaggregation"));
      if (cl.has("replicas")) cl.fail_key("replicas", "with disaggregation, give replicas per pool (prefill/decode)");
      for (const char* role : {"prefill", "decode"}) {
        const Y p = dg.at(role);
        if (!dg.has(role)) dg.fail_key(role, "missing pool (replicas, optional deployment overrides and router)");
        p.allow(scenario_schema().children("cluster.disaggregation.prefill"));
        auto keys = base_keys;
        if (p.has("deployment")) collect_deployment(p.at("deployment"), keys);
        BuiltPool bp = build_pool(ctx, sc.file, model, keys, p.has("deployment") ? p.at("deployment") : root.at("deployment"), role);
        bp.spec.name = role;
        bp.spec.replicas = static_cast<int>(p.integer("replicas", 1, 1));
        bp.spec.config.role = std::string(role) == "prefill" ? ReplicaRole::prefill : ReplicaRole::decode;
        bp.spec.router = p.str("router", std::string(role) == "prefill" ? cl.str("router", "least-outstanding-tokens")
                                                                         : "least-outstanding-tokens");
        make_router(bp.spec.router, sc.file, p.sub("router"));
        bp.spec.affinity_slack_tokens = p.num_in("affinity_slack_tokens", cl.num("affinity_slack_tokens", 1e6), 0);
        pools.push_back(std::move(bp));
      }
      sc.config.kv_link_bytes_per_s = dg.positive("kv_link_gb_s", 0) * 1e9;
    } else {
      BuiltPool bp = build_pool(ctx, sc.file, model, base_keys, root.at("deployment"), "main");
      bp.spec.replicas = static_cast<int>(cl.integer("replicas", 1, 1));
      bp.spec.router = cl.str("router", "round-robin");
      make_router(bp.spec.router, sc.file, cl.sub("router"));
      bp.spec.affinity_slack_tokens = cl.num_in("affinity_slack_tokens", 1e6, 0);
      pools.push_back(std::move(bp));
    }
  
    // workload
    if (!root.has("workload")) root.fail_key("workload", "missing required key");
    const Y w = root.at("workload");
    WorkloadSpec& ws = sc.workload;
    static const std::vector<std::string> wkinds{"synthetic", "trace", "agentic"};
    const std::string wkind = w.str("kind", "synthetic");
    ws.max_requests = w.integer("requests", 0, 0);
    ws.duration_s = w.num_in("duration_s", 0, 0);
    if (wkind == "synthetic") {
      w.allow({"kind", "arrival", "input_tokens", "output_tokens", "lengths", "shared_prefix", "requests", "duration_s"});
      ws.kind = WorkloadSpec::Kind::synthetic;
      if (!w.has("arrival")) w.fail_key("arrival", "missing required key");
      ws.arrival = read_arrival(w.at("arrival"), base);
      if (w.has("lengths")) {
        if (w.has("input_tokens") || w.has("output_tokens"))
          w.fail_key("lengths", "give either lengths (joint, from a trace) or input_tokens/output_tokens");
        const Y l = w.at("lengths");
        l.allow({"kind", "file", "format"});
        if (l.str_req("kind") != "trace") l.at("kind").fail("lengths supports kind: trace");
        ws.length_trace = read_trace(l, base);
        double si = 0, so = 0;
        for (const auto& r : ws.length_trace->rows) {
          si += std::max(1, r.input_tokens);
          so += std::max(1, r.output_tokens);
        }
        sc.mean_input_tokens = si / static_cast<double>(ws.length_trace->rows.size());
        sc.mean_output_tokens = so / static_cast<double>(ws.length_trace->rows.size());
      } else {
        if (!w.has("input_tokens")) w.fail_key("input_tokens", "missing required key (or give lengths)");
        if (!w.has("output_tokens")) w.fail_key("output_tokens", "missing required key (or give lengths)");
        ws.input_tokens = read_dist(w.at("input_tokens"), base, true);
        ws.output_tokens = read_dist(w.at("output_tokens"), base, true);
        sc.mean_input_tokens = ws.input_tokens.mean();
        sc.mean_output_tokens = ws.output_tokens.mean();
      }
      if (w.has("shared_prefix")) {
        const Y sp = w.at("shared_prefix");
        sp.allow({"tokens", "groups"});
        ws.shared_prefix_tokens = static_cast<std::int32_t>(sp.integer("tokens", 0, 0));
        ws.shared_prefix_groups = static_cast<std::int32_t>(sp.integer("groups", 1, 1));
        sc.mean_input_tokens += ws.shared_prefix_tokens;
      }
      if (ws.arrival.kind != ArrivalSpec::Kind::closed && ws.max_requests == 0 && ws.duration_s == 0)
        w.fail("an open-loop workload needs requests or duration_s");
      if (ws.arrival.kind == ArrivalSpec::Kind::closed && ws.max_requests == 0 && ws.duration_s == 0)
        w.fail("a closed-loop workload needs requests or duration_s");
    } else if (wkind == "trace") {
      w.allow({"kind", "file", "format", "speedup", "requests", "duration_s", "time_origin"});
      ws.kind = WorkloadSpec::Kind::trace;
      ws.trace = read_trace(w, base);
      // time_origin: trace (default: numeric timestamps replay from the trace's own zero; calendar timestamps
      // from the first request) | first-request (the first request arrives at t = 0).
      const std::string origin = w.str("time_origin", "trace");
      if (origin != "trace" && origin != "first-request")
        w.at("time_origin").fail("expected trace or first-request" + did_you_mean(origin, {"trace", "first-request"}));
      if (origin == "first-request" && !ws.trace->rows.empty() && ws.trace->rows.front().time_s != 0) {
        auto copy = std::make_shared<Trace>(*ws.trace);
        const double t0 = copy->rows.front().time_s;
        for (auto& r : copy->rows) r.time_s -= t0;
        ws.trace = copy;
      }
      ws.speedup = w.positive("speedup", 1);
    } else if (wkind == "agentic") {
      w.allow({"kind", "sessions", "max_sessions", "shared_prefix_tokens", "initial_context_tokens", "turns",
               "new_tokens", "output_tokens", "think_time_s", "max_context_tokens", "requests", "duration_s"});
      ws.kind = WorkloadSpec::Kind::agentic;
      AgenticSpec& a = ws.agentic;
      if (!w.has("sessions")) w.fail_key("sessions", "missing required key (arrival process of sessions)");
      a.session_arrival = read_arrival(w.at("sessions"), base);
      if (a.session_arrival.rate_per_s < 0) w.at("sessions").fail("give sessions a rate_per_s (load is for synthetic workloads)");
      a.sessions = w.integer("max_sessions", 0, 0);
      a.shared_prefix_tokens = static_cast<std::int32_t>(w.integer("shared_prefix_tokens", 0, 0));
      for (const char* k : {"initial_context_tokens", "turns", "new_tokens", "output_tokens"})
        if (!w.has(k)) w.fail_key(k, "missing required key");
      a.initial_context_tokens = read_dist(w.at("initial_context_tokens"), base, true);
      a.turns = read_dist(w.at("turns"), base, true);
      a.new_tokens = read_dist(w.at("new_tokens"), base, true);
      a.output_tokens = read_dist(w.at("output_tokens"), base, true);
      if (w.has("think_time_s")) a.think_time_s = read_dist(w.at("think_time_s"), base, false);
      a.max_context_tokens = static_cast<std::int32_t>(w.integer("max_context_tokens", 1'000'000, 2));
      if (ws.max_requests == 0 && ws.duration_s == 0 && a.sessions == 0)
        w.fail("an agentic workload needs requests, duration_s or max_sessions");
    } else {
      w.at("kind").fail("unknown workload kind; valid: " + list(wkinds) + did_you_mean(wkind, wkinds));
    }
  
    // Per-replica capacity in requests/s (reported beside the simulated saturation that `load` uses):
    //   colocated: the step model's max-throughput point over the served length distribution
    //   (perf::LengthMoments), output tokens/s / mean output tokens;
    //   prefill pool: steps packed with whole mean-length prompts up to the budget B: B / step time / ISL;
    //   decode pool: the largest decode batch that fits (max_concurrent_seqs(ISL + OSL)) at mean context
    //   ISL + OSL/2: batch / step time / OSL.
    if (sc.mean_input_tokens > 0 && sc.mean_output_tokens > 0) {
      const double isl = sc.mean_input_tokens, osl = sc.mean_output_tokens;
      // The colocated capacity uses the distributions' length-biased moments too (perf::LengthMoments): from the
      // length trace's rows, or 20,000 draws of the two distributions (fixed seed).
      std::vector<std::pair<double, double>> samples;
      if (ws.length_trace) {
        for (const auto& r : ws.length_trace->rows)
          samples.emplace_back(std::max(1, r.input_tokens) + ws.shared_prefix_tokens, std::max(1, r.output_tokens));
      } else {
        Rng rng(0, "capacity-moments");
        for (int i = 0; i < 20000; ++i) {
          const double in = ws.input_tokens.sample_tokens(rng) + ws.shared_prefix_tokens;
          samples.emplace_back(in, ws.output_tokens.sample_tokens(rng));
        }
      }
      // (Draws are clipped to the distributions' bounds, as the simulator's are.) The capacity is of the requests
      // the simulator serves: context_overflow rejects (drops) or clips those longer than the model's context.
      const bool clip = root.has("context_overflow") && root.str("context_overflow", "reject") == "clip";
      auto served_moments = [&](double max_ctx) {
        if (!(max_ctx > 0)) return perf::LengthMoments::of(samples);
        std::vector<std::pair<double, double>> served;
        served.reserve(samples.size());
        for (auto [in, out] : samples) {
          if (in + out > max_ctx) {
            if (!clip) continue;
            out = std::min(out, std::max(1.0, max_ctx - 1));
            in = std::max(1.0, max_ctx - out);
          }
          served.emplace_back(in, out);
        }
        return perf::LengthMoments::of(served);
      };
      for (auto& bp : pools) {
        if (bp.linear_timer) continue;
        const perf::StepModel& m = *bp.model;
        if (bp.spec.config.role == ReplicaRole::unified) {
          const perf::LengthMoments lengths = served_moments(static_cast<double>(bp.spec.config.max_context_tokens));
          const perf::Frontier fr = perf::frontier(m, lengths);
          if (fr.feasible && lengths.osl > 0) bp.info.capacity_req_per_s = fr.best.output_tok_s / lengths.osl;
        } else if (bp.spec.config.role == ReplicaRole::prefill) {
          perf::BatchSummary b;
          const double budget = bp.spec.config.max_batched_tokens;
          for (double left = budget; left >= 1; left -= std::min(isl, left)) m.add_prefill(b, 0, std::min(isl, left));
          const double t = m.step_s(b);
          if (t > 0) bp.info.capacity_req_per_s = budget / t / isl;
        } else {
          const auto n = m.max_concurrent_seqs(isl + osl);
          if (n > 0) {
            perf::BatchSummary b;
            m.add_decode(b, isl + osl / 2, n);
            const double t = m.step_s(b);
            if (t > 0) bp.info.capacity_req_per_s = static_cast<double>(n) / t / osl;
          }
        }
      }
    }
    if (ws.kind == WorkloadSpec::Kind::synthetic && ws.arrival.rate_per_s < 0) {
      // load x the cluster's saturation as the simulator serves these length distributions (heavy tails and KV
      // pressure included), measured by short closed loops on the same configuration; the perf model's
      // capacity is only reported.
      SimConfig probe;
      for (const auto& bp : pools) probe.pools.push_back(bp.spec);
      probe.kv_link_bytes_per_s = sc.config.kv_link_bytes_per_s;
      const double cap = simulated_saturation(probe, ws, sc.seed);
      if (!(cap > 0))
        w.at("arrival").fail("load needs the cluster's saturation, which the closed-loop probe could not measure; give rate_per_s");
      sc.saturation_req_per_s = cap;
      ws.arrival.rate_per_s = -ws.arrival.rate_per_s * cap;
    }
    if (ws.kind == WorkloadSpec::Kind::synthetic && ws.arrival.kind != ArrivalSpec::Kind::closed)
      sc.offered_rate_per_s = ws.arrival.rate_per_s;
  
    // SLOs
    if (root.has("slo")) {
      const Y s = root.at("slo");
      s.allow(scenario_schema().children("slo"));
      sc.config.slo.ttft_s = s.num_in("ttft_s", 0, 0);
      sc.config.slo.tpot_s = s.num_in("tpot_s", 0, 0);
    }
    sc.config.horizon_s = root.num_in("horizon_s", 0, 0);
    {
      const std::string overflow = root.str("context_overflow", "reject");
      if (overflow != "reject" && overflow != "clip")
        root.at("context_overflow").fail("expected reject or clip" + did_you_mean(overflow, {"reject", "clip"}));
      sc.config.clip_context_overflow = overflow == "clip";
    }
  
    for (auto& bp : pools) {
      bp.info.replicas = bp.spec.replicas;
      sc.config.pools.push_back(bp.spec);
      sc.pools.push_back(bp.info);
    }
    if (ws.kind == WorkloadSpec::Kind::trace)
      sc.expected_requests = ws.max_requests > 0 ? std::min<std::int64_t>(ws.max_requests, static_cast<std::int64_t>(ws.trace->rows.size()))
                                                 : static_cast<std::int64_t>(ws.trace->rows.size());
    else
      sc.expected_requests = ws.max_requests;
    return sc;
  });
}

namespace {
// Requests/s of one closed loop of `clients` clients (throughput between the 20% and 80% finish quantiles).
double closed_loop_rate(const SimConfig& config, const WorkloadSpec& workload, std::uint64_t seed,
                        std::int64_t requests, std::int64_t clients) {
  WorkloadSpec w = workload;
  w.arrival = ArrivalSpec{};
  w.arrival.kind = ArrivalSpec::Kind::closed;
  w.arrival.concurrency = static_cast<int>(clients);
  w.max_requests = std::max<std::int64_t>(requests, 8 * clients);
  w.duration_s = 0;
  SimConfig c = config;
  c.horizon_s = 0;
  std::vector<double> finish;
  finish.reserve(static_cast<std::size_t>(w.max_requests));
  SimOptions opt;
  opt.on_request = [&finish](const RequestRecord& r) { finish.push_back(r.finish_s); };
  auto wl = make_workload(w, seed ^ 0x5a7c0de5ULL);
  simulate(c, *wl, opt);
  if (finish.size() < 10) return 0;
  std::sort(finish.begin(), finish.end());
  const std::size_t a = finish.size() / 5, b = finish.size() * 4 / 5;
  const double span = finish[b] - finish[a];
  return span > 0 ? static_cast<double>(b - a) / span : 0;
}
}  // namespace

double simulated_saturation(const SimConfig& config, const WorkloadSpec& workload, std::uint64_t seed,
                            std::int64_t requests) {
  // Mean KV footprint of a finished request (synthetic workloads; 0 = unknown).
  double mean_seq = 0;
  if (workload.kind == WorkloadSpec::Kind::synthetic) {
    if (workload.length_trace && !workload.length_trace->rows.empty()) {
      for (const auto& r : workload.length_trace->rows)
        mean_seq += std::max(1, r.input_tokens) + std::max(1, r.output_tokens);
      mean_seq /= static_cast<double>(workload.length_trace->rows.size());
    } else {
      mean_seq = workload.input_tokens.mean() + workload.output_tokens.mean();
    }
    mean_seq += workload.shared_prefix_tokens;
  }
  // Clients at the sequence cap (max_num_seqs per replica) and, where the KV pool holds fewer mean-length
  // sequences than that, also at 0.5-1.25x the KV fit: past the fit a closed loop only measures its own
  // preempt-and-recompute thrashing, which an open loop below saturation never reaches (and how far below the
  // fit it starts depends on the admission policy and the tails). The saturation is the best of these.
  std::int64_t cap = 0, fit = 0;
  for (const auto& p : config.pools) {
    if (p.config.role == ReplicaRole::prefill) continue;
    const auto seqs = static_cast<std::int64_t>(p.config.max_num_seqs);
    const double kv_tokens = static_cast<double>(p.config.kv_blocks) * p.config.block_tokens;
    const auto kv_fit = mean_seq > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(kv_tokens / mean_seq)) : seqs;
    cap += static_cast<std::int64_t>(p.replicas) * seqs;
    fit += static_cast<std::int64_t>(p.replicas) * std::min(seqs, kv_fit);
  }
  cap = std::clamp<std::int64_t>(cap, 1, 1 << 20);
  fit = std::clamp<std::int64_t>(fit, 1, cap);
  std::vector<std::int64_t> levels{cap};
  if (fit < cap)
    for (const double x : {0.5, 0.625, 0.75, 0.875, 1.0, 1.25}) {
      const auto c = std::clamp<std::int64_t>(std::llround(x * static_cast<double>(fit)), 1, cap);
      if (std::find(levels.begin(), levels.end(), c) == levels.end()) levels.push_back(c);
    }
  double best = 0;
  for (const std::int64_t clients : levels)
    best = std::max(best, closed_loop_rate(config, workload, seed, requests, clients));
  return best;
}

const schema::Schema& scenario_schema() {
  static const schema::Schema s = [] {
    schema::Schema out;
    out.name = "simulate";
    out.file = "a simulation scenario (tokenmath simulate SCENARIO.yaml; examples in data/scenarios/)";
    out.doc = "Times in seconds, sizes in tokens, bandwidths in GB/s (1e9 B/s) unless stated. Deployment keys may be "
              "overridden per pool under cluster.disaggregation.prefill/decode.deployment. Engine knobs default to "
              "the engine profile's (data/perf/engines.yaml), else vLLM's (256 sequences, 8,192-token budget, 0.9).";
    auto f = [&out](std::string key, std::string type, std::string unit, std::string def, std::string help,
                    std::vector<std::string> choices = {}, double min = -std::numeric_limits<double>::infinity(),
                    double max = std::numeric_limits<double>::infinity()) {
      schema::Field x;
      x.key = std::move(key);
      x.type = std::move(type);
      x.unit = std::move(unit);
      x.default_value = std::move(def);
      x.help = std::move(help);
      x.choices = std::move(choices);
      x.min = min;
      x.max = max;
      out.fields.push_back(std::move(x));
    };
    const double inf = std::numeric_limits<double>::infinity();
    f("name", "text", "", "the file name", "label printed on the report");
    f("seed", "integer", "", "0", "seed of every random stream (arrivals, lengths, routing ties)", {}, 0, inf);
    f("model", "text", "", "", "catalog id, alias or published name, or a path to a config.json (required)");
    f("deployment.gpu", "text", "", "", "accelerator id or alias (required)");
    f("deployment.tp", "integer", "", "1", "tensor-parallel GPUs per replica", {}, 1, inf);
    f("deployment.pp", "integer", "", "1", "pipeline stages per replica", {}, 1, inf);
    f("deployment.ep", "integer", "", "1", "expert-parallel ranks (divides tp)", {}, 1, inf);
    f("deployment.attention_dp", "boolean", "", "false", "attention data-parallel across the tp ranks (DEP)");
    f("deployment.precision", "text", "", "the model's native", "weight format (bf16, fp8, nvfp4, mxfp4, int4, ...)");
    f("deployment.activation_precision", "text", "", "from the weights", "activation format of the GEMMs");
    f("deployment.kv_dtype", "text", "", "fp8 where the GPU has it, else bf16", "KV-cache element type");
    f("deployment.max_batched_tokens", "integer", "tokens", "engine profile's, else 8192", "token budget per step", {}, 1, inf);
    f("deployment.max_num_seqs", "integer", "sequences", "engine profile's, else 256", "cap on running sequences", {}, 1, inf);
    f("deployment.chunked_prefill_tokens", "integer", "tokens", "max_batched_tokens", "largest prefill chunk of one sequence per step", {}, 1, inf);
    f("deployment.kv_mem_fraction", "number", "fraction", "engine profile's, else 0.9", "share of GPU memory for the KV pool: of what is left after weights, activations and reserve (no engine given; TensorRT-LLM), or of all of it, those included, where the engine profile says kv_mem_fraction_of: total (vLLM gpu_memory_utilization, SGLang mem_fraction_static)", {}, 0, 1);
    f("deployment.block_tokens", "integer", "tokens", "16", "tokens per paged-KV block", {}, 1, inf);
    f("deployment.prefix_caching", "boolean", "", "true", "reuse cached prompt prefixes (block hashes)");
    f("deployment.scheduler", "text", "", "decode-first", "batch order each step", {"decode-first", "prefill-first"});
    f("deployment.eviction", "text", "", "lru", "prefix-cache eviction", {"lru", "fifo"});
    f("deployment.host_cache_gb", "number", "GB", "0", "host-memory KV tier per replica (0 = none)", {}, 0, inf);
    f("deployment.host_link_gb_s", "number", "GB/s", "", "host-to-GPU bandwidth; required with host_cache_gb", {}, 0, inf);
    f("deployment.step_time", "mapping", "s", "the perf step model", "linear step time instead: base_s, per_token_s, per_ctx_token_s, per_attn_pair_s");
    f("deployment.kv_capacity_tokens", "integer", "tokens", "from memory", "KV pool size override per replica", {}, 1, inf);
    f("deployment.engine", "text", "", "none", "engine profile (data/perf/engines.yaml), auto (the GPU vendor's) or none");
    f("deployment.speculative", "mapping", "", "off", "{method: mtp|eagle3|ngram, draft_tokens: K, acceptance_length: A}");
    f("deployment.admission", "text", "", "engine profile's, else per-chunk", "KV admission policy, or {policy, watermark}",
      {"per-chunk", "reserve-full-prompt", "conservative", "guaranteed-no-evict"});
    f("deployment.preemption", "text", "", "recompute", "what a preempted sequence loses", {"recompute", "swap"});
    f("cluster.replicas", "integer", "", "1", "replicas of the deployment (colocated pool)", {}, 1, inf);
    f("cluster.router", "text", "", "round-robin", "request routing", {"round-robin", "least-outstanding-tokens", "prefix-affinity"});
    f("cluster.affinity_slack_tokens", "number", "tokens", "1e6", "prefix-affinity: outstanding-token slack before spilling", {}, 0, inf);
    f("cluster.disaggregation.prefill", "mapping", "", "", "prefill pool: replicas, deployment overrides, router");
    f("cluster.disaggregation.decode", "mapping", "", "", "decode pool: replicas, deployment overrides, router");
    f("cluster.disaggregation.kv_link_gb_s", "number", "GB/s", "0 (free)", "prefill-to-decode KV transfer bandwidth", {}, 0, inf);
    // A pool's keys, declared once for prefill (decode takes the same).
    f("cluster.disaggregation.prefill.replicas", "integer", "", "1", "replicas of this pool (decode: the same keys)", {}, 1, inf);
    f("cluster.disaggregation.prefill.deployment", "mapping", "", "the scenario's", "deployment keys overridden for this pool");
    f("cluster.disaggregation.prefill.router", "text", "", "least-outstanding-tokens", "routing inside the pool");
    f("cluster.disaggregation.prefill.affinity_slack_tokens", "number", "tokens", "cluster's", "as cluster.affinity_slack_tokens", {}, 0, inf);
    f("workload.kind", "text", "", "synthetic", "request source", {"synthetic", "trace", "agentic"});
    f("workload.requests", "integer", "", "0 (no limit)", "stop after this many requests", {}, 0, inf);
    f("workload.duration_s", "number", "s", "0 (no limit)", "stop arrivals after this time", {}, 0, inf);
    f("workload.arrival", "mapping", "", "", "synthetic: {kind: poisson|gamma|constant|profile|closed, rate_per_s or load, ...}");
    f("workload.input_tokens", "mapping", "tokens", "", "synthetic: prompt length distribution {kind: fixed|uniform|normal|lognormal|exponential|empirical|trace, ...}");
    f("workload.output_tokens", "mapping", "tokens", "", "synthetic: output length distribution (as input_tokens)");
    f("workload.lengths", "mapping", "", "", "synthetic: joint lengths from a trace {kind: trace, file, format}");
    f("workload.shared_prefix", "mapping", "tokens", "none", "synthetic: {tokens, groups} shared system prompt");
    f("workload.file", "text", "", "", "trace: file (resolved against the scenario folder, then the data directory)");
    f("workload.format", "text", "", "", "trace: azure, mooncake, splitwise or vidur");
    f("workload.speedup", "number", "", "1", "trace: time compression factor", {}, 0, inf);
    f("workload.time_origin", "text", "", "trace", "trace: keep the trace's clock or shift to the first request", {"trace", "first-request"});
    f("workload.sessions", "mapping", "", "", "agentic: arrival process of sessions");
    f("workload.max_sessions", "integer", "", "0 (no limit)", "agentic: sessions to run", {}, 0, inf);
    f("workload.shared_prefix_tokens", "integer", "tokens", "0", "agentic: prefix every session shares", {}, 0, inf);
    f("workload.initial_context_tokens", "mapping", "tokens", "", "agentic: first turn's context distribution");
    f("workload.turns", "mapping", "", "", "agentic: turns per session distribution");
    f("workload.new_tokens", "mapping", "tokens", "", "agentic: new tokens per turn distribution");
    f("workload.think_time_s", "mapping", "s", "0", "agentic / closed loop: pause between turns distribution");
    f("workload.max_context_tokens", "integer", "tokens", "1000000", "agentic: context cap per session", {}, 2, inf);
    f("slo.ttft_s", "number", "s", "0 (none)", "time-to-first-token target counted in the attainment", {}, 0, inf);
    f("slo.tpot_s", "number", "s", "0 (none)", "time-per-output-token target counted in the attainment", {}, 0, inf);
    f("horizon_s", "number", "s", "0 (run to completion)", "simulated time limit", {}, 0, inf);
    f("context_overflow", "text", "", "reject", "a request longer than the model's context", {"reject", "clip"});
    return out;
  }();
  return s;
}

Scenario load_scenario(const Context& ctx, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path.string(), "", "", "cannot open scenario file");
  return parse_scenario(ctx, read_input_file(path), path.string(), path.parent_path());
}

}  // namespace tokenmath::sim
