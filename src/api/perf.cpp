// Facade for the performance model: resolves names and options, runs perf, renders through report/.
#include "tokenmath/api/perf.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/throughput.hpp"
#include "tokenmath/perf/validate.hpp"

namespace tokenmath::api {

namespace {
constexpr const char* kCli = kRequest;

void check_positive(double v, const char* field) {
  if (!(v > 0)) throw InputError(kCli, field, fmt::format("{}", v), "must be a positive number");
}

}  // namespace

schema::Schema perf_request_schema() {
  using schema::Field;
  schema::Schema s;
  s.name = "perf";
  s.file = "perf request (CLI flags --like-this; HTTP body of POST /api/perf and Python keywords like_this)";
  s.doc = "One perf question. Without tp (and pp) the deployment search answers it; integers given as 0 mean "
          "'not given' (search, or the engine profile's default).";
  auto add = [&](std::string key, std::string type, std::string unit, double lo, double hi, std::string def,
                 std::string help) {
    Field f;
    f.key = std::move(key);
    f.type = std::move(type);
    f.unit = std::move(unit);
    f.min = lo;
    f.max = hi;
    f.default_value = std::move(def);
    f.help = std::move(help);
    s.fields.push_back(std::move(f));
  };
  const double inf = std::numeric_limits<double>::infinity();
  add("model", "text", "", -inf, inf, "", "model id, published name, or config.json path");
  add("gpu", "text", "", -inf, inf, "", "accelerator id or name; several, comma-separated, to compare them");
  add("tp", "integer", "GPUs", 1, 4096, "", "tensor-parallel GPUs per stage (omit to search deployments)");
  add("pp", "integer", "stages", 1, 1024, "", "pipeline stages");
  add("ep", "integer", "GPUs", 1, 4096, "", "expert-parallel ways (divides tp)");
  add("dp_attn", "boolean", "", -inf, inf, "false", "attention data-parallel across the tp GPUs (MoE, as DEP)");
  add("precision", "text", "", -inf, inf, "", "weight precision (bf16, fp8, nvfp4, mxfp4, int4, ...)");
  add("kv_dtype", "text", "", -inf, inf, "", "KV-cache precision (default fp8 where supported)");
  add("isl", "number", "tokens", 1, 1e8, "1024", "prompt tokens per request");
  add("osl", "number", "tokens", 1, 1e8, "1024", "output tokens per request");
  add("max_num_seqs", "integer", "sequences", 1, 1e6, "", "engine cap on running sequences");
  add("max_batched_tokens", "integer", "tokens", 1, 1e8, "", "engine token budget per step");
  add("kv_mem_fraction", "number", "", 1e-6, 1, "", "fraction of memory given to the KV cache: of the HBM the weights and activations leave, or of all of it where the engine counts so (vLLM, SGLang: engines.yaml kv_mem_fraction_of)");
  add("top", "integer", "deployments", 1, 10000, "5", "deployments listed when searching");
  add("min_tok_s_user", "number", "tokens/s", 0, 1e6, "",
      "searching: the best deployment (tok/s/GPU) whose tok/s per user is at least this");
  add("engine", "text", "", -inf, inf, "auto",
      "engine profile of data/perf/engines.yaml whose software factors apply; auto = the GPU vendor's engine; "
      "none = the fitted perf-overview runtime");
  add("spec", "text", "", -inf, inf, "auto",
      "speculative decoding: auto (search with and without the model's drafts), off, or METHOD:K[:A] (mtp, "
      "eagle3, ngram)");
  return s;
}

namespace {
void check_field(const schema::Schema& s, const char* key, double v, bool zero_is_unset) {
  if (zero_is_unset && v == 0) return;
  const schema::Field* f = s.find(key);
  const bool whole = f->type == "integer";
  if (!std::isfinite(v) || !f->accepts(v) || (whole && v != std::floor(v)))
    throw InputError(kCli, fmt::format("`{}`", key), fmt::format("{}", v),
                     fmt::format("must be {}{}", whole ? "a whole number in " : "in ", f->range_text()));
}
}  // namespace

void check_perf_request(const PerfRequest& r) {
  const schema::Schema s = perf_request_schema();
  check_field(s, "tp", r.tp, true);
  check_field(s, "pp", r.pp, true);
  check_field(s, "ep", r.ep, true);
  check_field(s, "isl", r.isl, false);
  check_field(s, "osl", r.osl, false);
  check_field(s, "max_num_seqs", r.max_num_seqs, true);
  check_field(s, "max_batched_tokens", r.max_batched_tokens, true);
  check_field(s, "kv_mem_fraction", r.kv_mem_fraction, true);
  check_field(s, "top", r.top, false);
  check_field(s, "min_tok_s_user", r.min_tok_s_user, false);
  if (r.model.empty() || r.gpu.empty()) throw InputError(kCli, "`model`/`gpu`", "", "both are required");
}

PerfRequest perf_request_from_json(const std::string& json_text) {
  using nlohmann::json;
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InputError(kCli, "", "", "the request must be a JSON object of perf options");
  const schema::Schema s = perf_request_schema();
  PerfRequest r;
  for (const auto& [k, v] : j.items()) {
    const schema::Field* f = s.find(k);
    const std::string field = "`" + k + "`";
    const std::string shown = v.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 80);
    if (!f) throw InputError(kCli, field, "", "unknown perf option" + did_you_mean(k, s.keys()));
    if (f->type == "text") {
      if (!v.is_string()) throw InputError(kCli, field, shown, "expected a string");
      const auto t = v.get<std::string>();
      if (k == "model") r.model = t;
      else if (k == "gpu") r.gpu = t;
      else if (k == "precision") r.precision = t;
      else if (k == "kv_dtype") r.kv_dtype = t;
      else if (k == "engine") r.engine = t;
      else r.spec = t;
    } else if (f->type == "boolean") {
      if (!v.is_boolean()) throw InputError(kCli, field, shown, "expected true or false");
      r.dp_attn = v.get<bool>();
    } else {
      if (!v.is_number()) throw InputError(kCli, field, shown, "expected a number");
      const double d = v.get<double>();
      check_field(s, f->key.c_str(), d, false);
      const int i = f->type == "integer" ? static_cast<int>(d) : 0;
      if (k == "tp") r.tp = i;
      else if (k == "pp") r.pp = i;
      else if (k == "ep") r.ep = i;
      else if (k == "isl") r.isl = d;
      else if (k == "osl") r.osl = d;
      else if (k == "max_num_seqs") r.max_num_seqs = i;
      else if (k == "max_batched_tokens") r.max_batched_tokens = i;
      else if (k == "kv_mem_fraction") r.kv_mem_fraction = d;
      else if (k == "top") r.top = i;
      else r.min_tok_s_user = d;
    }
  }
  if (r.model.empty() || r.gpu.empty()) throw InputError(kCli, "`model`/`gpu`", "", "both are required");
  return r;
}

namespace {
// Options shared by every accelerator of one `perf` call.
struct PerfSetup {
  std::shared_ptr<const catalog::ModelSpec> model;
  perf::EngineKnobs knobs;
  std::vector<catalog::Precision> kvs;
  std::string engine;                    // engine profile as asked: a name, "auto" or "none" (perf::engine_for_gpu)
  std::vector<perf::SpecDecode> specs;   // speculative-decoding choices besides off
  bool spec_off_too = true;
};

// The whole text as a finite number (nullopt when anything else is in it).
std::optional<double> whole_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// --spec: "auto" | "off" | METHOD:K[:A].
void parse_spec(const perf::SpecTable& table, const std::string& text, const catalog::ModelSpec& model, PerfSetup& s) {
  if (text == "auto") {
    s.specs = table.search_options(model);
    return;
  }
  if (text == "off") return;
  const auto c1 = text.find(':');
  const std::string method = text.substr(0, c1);
  const perf::SpecMethod* m = table.find(method);
  if (!m || c1 == std::string::npos)
    throw InputError(kCli, "`spec`", text, "expected auto, off or METHOD:K[:ACCEPTANCE] with METHOD one of mtp, eagle3, ngram");
  const auto c2 = text.find(':', c1 + 1);
  const std::string k_text = text.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  const std::optional<double> kv = whole_number(k_text);
  if (!kv || *kv != std::floor(*kv) || *kv < 1 || *kv > 16)
    throw InputError(kCli, "`spec`", text, "draft tokens K must be an integer in [1, 16]");
  const int k = static_cast<int>(*kv);
  std::optional<double> acc;
  if (c2 != std::string::npos) {
    const double a = whole_number(text.substr(c2 + 1)).value_or(0);
    if (!(a >= 1 && a <= k + 1))
      throw InputError(kCli, "`spec`", text, fmt::format("acceptance length must be in [1, {}] (K + 1)", k + 1));
    acc = a;
  }
  if (!table.supports(*m, model) && method != "ngram")
    throw InputError(kCli, "`spec`", text,
                     fmt::format("{} has no {} draft in data/perf/speculative.yaml", model.id, method));
  s.specs = {*table.make(method, k, acc)};
  s.spec_off_too = false;
}

PerfSetup setup(const Context& ctx, const PerfRequest& req) {
  PerfSetup s;
  s.model = std::make_shared<const catalog::ModelSpec>(ctx.catalog.model(req.model));
  check_positive(req.isl, "`isl`");
  check_positive(req.osl, "`osl`");
  if (req.tp < 0 || req.pp < 0 || req.ep < 0) throw InputError(kCli, "`tp`/`pp`/`ep`", "", "must be positive");
  if (req.kv_mem_fraction > 1)
    throw InputError(kCli, "`kv_mem_fraction`", fmt::format("{}", req.kv_mem_fraction), "must be in (0, 1]");
  if (!req.kv_dtype.empty()) s.kvs.push_back(catalog::parse_precision(req.kv_dtype, kCli, "`kv_dtype`"));
  if (req.tp == 0 && req.pp == 0 && (req.ep > 0 || req.dp_attn))
    throw InputError(kCli, "`ep`/`dp_attn`", "", "give `tp` with `ep` or `dp_attn` (without `tp`, tokenmath searches)");
  if (!(req.min_tok_s_user >= 0) || !std::isfinite(req.min_tok_s_user))
    throw InputError(kCli, "`min_tok_s_user`", fmt::format("{}", req.min_tok_s_user), "must be a non-negative number");
  const auto engines = perf::engine_choices(ctx.engines);
  if (std::find(engines.begin(), engines.end(), req.engine) == engines.end())
    throw InputError(kCli, "`engine`", req.engine,
                     "unknown engine profile" + did_you_mean(req.engine, engines) + " (data/perf/engines.yaml, auto or none)");
  s.engine = req.engine;
  parse_spec(ctx.speculative, req.spec, *s.model, s);
  return s;
}

// Engine knobs on `gpu`: the scheduling defaults of the engine profile that runs there (data/perf/engines.yaml:
// max_num_seqs, max_batched_tokens, kv_mem_fraction and what it is a share of) where the profile states them, else
// the perf model's (perf::EngineKnobs); --max-num-seqs / --max-batched-tokens / --kv-mem-fraction over both.
perf::EngineKnobs knobs_on(const Context& ctx, const PerfRequest& req, const PerfSetup& s, const catalog::GpuSpec& gpu) {
  perf::EngineKnobs k = s.knobs;
  const std::string engine = perf::engine_for_gpu(s.engine, gpu, ctx.engines);
  for (const auto& p : ctx.engines)
    if (p.name == engine) k = p.knobs(k, gpu);
  if (req.max_num_seqs > 0) k.set_max_num_seqs(req.max_num_seqs);
  if (req.max_batched_tokens > 0) k.max_batched_tokens = k.chunked_prefill_tokens = req.max_batched_tokens;
  if (req.kv_mem_fraction > 0) k.kv_mem_fraction = req.kv_mem_fraction;
  return k;
}

perf::SearchRequest search_request(const Context& ctx, const PerfRequest& req, const PerfSetup& s, const catalog::GpuSpec& gpu) {
  perf::SearchRequest r;
  r.model = s.model;
  r.gpu = gpu;
  if (!req.precision.empty()) r.precisions.push_back(catalog::parse_precision(req.precision, kCli, "`precision`"));
  r.kv_precisions = s.kvs;
  r.isl = req.isl;
  r.osl = req.osl;
  r.knobs = knobs_on(ctx, req, s, gpu);
  r.engine = perf::engine_for_gpu(s.engine, gpu, ctx.engines);
  r.spec_options = s.specs;
  r.spec_off_too = s.spec_off_too;
  return r;
}

// The deployment --tp/--pp/--ep/--dp-attn/--precision/--kv-dtype describe on `gpu`.
perf::Deployment explicit_deployment(const Context& ctx, const PerfRequest& req, const PerfSetup& s,
                                     const catalog::GpuSpec& gpu) {
  perf::DeploymentIntent in;
  in.model = s.model;
  in.gpu = gpu;
  in.tp = req.tp > 0 ? req.tp : 1;
  in.pp = req.pp > 0 ? req.pp : 1;
  in.ep = req.ep > 0 ? req.ep : 1;
  if (in.ep > in.tp || in.tp % in.ep != 0)
    throw InputError(kCli, "`ep`", std::to_string(in.ep), fmt::format("must divide `tp` ({})", in.tp));
  in.attention_dp = req.dp_attn;
  if (!req.precision.empty()) in.weights = catalog::parse_precision(req.precision, kCli, "`precision`");
  if (!s.kvs.empty()) in.kv = s.kvs.front();
  in.knobs = knobs_on(ctx, req, s, gpu);
  perf::Deployment d = perf::make_deployment(in);
  // An explicit deployment runs the one speculative draft given by --spec METHOD:K (auto: off).
  if (!s.spec_off_too && !s.specs.empty()) d.spec = s.specs.front();
  return d;
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    std::string item = list.substr(start, comma - start);
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

// `--gpu A,B,C`: the best deployment of the model on each accelerator (searched, or the one --tp describes),
// one row each, and their frontiers in one chart - the comparison the industry draws between GPUs.
perf::PerfResult compare_gpus(const Context& ctx, const PerfRequest& req, const std::vector<std::string>& names) {
  const PerfSetup s = setup(ctx, req);
  const auto& cat = ctx.catalog;
  const auto& table = ctx.efficiency;
  perf::PerfResult r;
  r.kind = perf::PerfResult::Kind::compare;
  r.isl = req.isl;
  r.osl = req.osl;
  r.title = fmt::format("{}, ISL {:.0f} / OSL {:.0f}", s.model->display_name, req.isl, req.osl);
  std::vector<perf::GpuEngine> measured;
  for (const auto& name : names) {
    const catalog::GpuSpec gpu = cat.gpu(name);
    measured.push_back({gpu.id, perf::engine_for_gpu(s.engine, gpu, ctx.engines)});
    perf::DeploymentOption o;
    if (req.tp == 0 && req.pp == 0) {
      const auto opts = perf::search_deployments(search_request(ctx, req, s, gpu), table);
      if (opts.empty()) continue;
      o = opts.front();
    } else {
      o.deployment = explicit_deployment(ctx, req, s, gpu);
      o.frontier = perf::frontier(perf::StepModel(o.deployment, table.for_gpu(gpu, perf::engine_for_gpu(s.engine, gpu, ctx.engines))), req.isl, req.osl);
      o.label = perf::deployment_label(o.deployment);
    }
    o.label = fmt::format("{}: {}", gpu.name, o.label);
    r.options.push_back(std::move(o));
  }
  r.accuracy = perf::accuracy_note(ctx.accuracy, ctx.accuracy_file, measured, s.model->id);
  return r;
}
}  // namespace

perf::PerfResult perf(const Context& ctx, const PerfRequest& req) {
  check_perf_request(req);
  if (const auto names = split_names(req.gpu); names.size() > 1) return compare_gpus(ctx, req, names);
  const PerfSetup s = setup(ctx, req);
  const auto& model = s.model;
  const catalog::GpuSpec gpu = ctx.catalog.gpu(req.gpu);
  const auto& table = ctx.efficiency;
  perf::PerfResult r;
  r.isl = req.isl;
  r.osl = req.osl;
  r.title = fmt::format("{} on {}, ISL {:.0f} / OSL {:.0f}", model->display_name, gpu.name, req.isl, req.osl);
  r.accuracy = perf::accuracy_note(ctx.accuracy, ctx.accuracy_file, gpu.id, model->id,
                                   perf::engine_for_gpu(s.engine, gpu, ctx.engines));

  if (req.tp == 0 && req.pp == 0) {
    r.options = perf::search_deployments(search_request(ctx, req, s, gpu), table);
    if (req.min_tok_s_user > 0) {
      // The deployment with the most output tokens/s per GPU among those whose tokens/s per user reaches the
      // target, at its best concurrency.
      r.kind = perf::PerfResult::Kind::interactive;
      r.min_tok_s_user = req.min_tok_s_user;
      r.choice = perf::best_option_at_interactivity(r.options, table, req.isl, req.osl, req.min_tok_s_user);
      if (r.choice.index < 0) {
        double best_user = 0;
        for (const auto& o : r.options)
          if (o.frontier.feasible && !o.frontier.points.empty())
            best_user = std::max(best_user, o.frontier.points.front().tok_s_per_user);
        throw InputError(kCli, "`min_tok_s_user`", fmt::format("{}", req.min_tok_s_user),
                         fmt::format("no searched deployment reaches it (the fastest reaches {:.1f} tok/s/user at one "
                                     "request)", best_user));
      }
      return r;
    }
    r.kind = perf::PerfResult::Kind::search;
    r.top = static_cast<std::size_t>(std::max(1, req.top));
    return r;
  }

  r.kind = perf::PerfResult::Kind::frontier;
  perf::DeploymentOption o;
  o.deployment = explicit_deployment(ctx, req, s, gpu);
  const perf::StepModel sm(o.deployment, table.for_gpu(gpu, perf::engine_for_gpu(s.engine, gpu, ctx.engines)));
  o.frontier = perf::frontier(sm, req.isl, req.osl);
  o.label = perf::deployment_label(o.deployment);
  r.options.push_back(std::move(o));
  return r;
}

perf::ValidationResult validate(const Context& ctx, const std::string& csv_path) {
  const auto rows = perf::read_published_csv(csv_path);
  const auto prepared = perf::prepare_rows(rows, ctx.catalog, ctx.engines, ctx.speculative);
  return perf::validate(prepared, ctx.efficiency);
}

perf::KernelValidation validate_kernels(const Context& ctx, const std::string& csv_path, const std::string& gpu_name,
                                        const std::string& engine) {
  const auto rows = perf::read_kernel_csv(csv_path);
  const auto& cat = ctx.catalog;
  const catalog::GpuSpec* gpu = nullptr;
  if (!gpu_name.empty()) {
    gpu = &cat.gpu(gpu_name);  // unknown gpu: the catalog's error with its suggestions
  } else {
    if (rows.empty()) throw InputError(csv_path, "device", "", "no rows: pass `gpu`");
    gpu = cat.resolve_gpu(rows.front().device);
    if (!gpu)
      throw InputError(csv_path, "line 2/device", rows.front().device,
                       "not a catalog accelerator name; pass `gpu` (e.g. `gpu` h100-sxm)");
  }
  if (!engine.empty()) {
    const auto engines = perf::engine_choices(ctx.engines);
    if (std::find(engines.begin(), engines.end(), engine) == engines.end())
      throw InputError(kCli, "`engine`", engine,
                       "unknown engine profile" + did_you_mean(engine, engines) + " (data/perf/engines.yaml, auto or none)");
  }
  return perf::validate_kernels(rows, *gpu, ctx.efficiency.for_gpu(*gpu, engine));
}

Calibration calibrate(const Context& ctx, const std::string& csv_path, bool holdout) {
  Calibration c;
  c.source = csv_path.empty() ? (ctx.data_dir / "validation" / "published.csv").string() : csv_path;
  const auto rows = perf::read_published_csv(c.source);
  const auto prepared = perf::prepare_rows(rows, ctx.catalog, ctx.engines, ctx.speculative);
  c.result = perf::calibrate(prepared, ctx.efficiency, {}, holdout);
  return c;
}

std::string calibration_yaml(const Calibration& c) {
  std::string out = "# fitted by `tokenmath calibrate` on " + c.source + "\n";
  for (const auto& k : c.result.keys) out += k + ": " + fmt::format("{:.4g}", c.result.after.get(k)) + "\n";
  return out;
}

ProfileCalibration calibrate_profile(const Context& ctx, const ProfileCalibrationRequest& req) {
  if (req.csv_path.empty()) throw InputError(kRequest, "`from`", "", "give the CSV of measurements");
  if (req.keys.empty()) throw InputError(kRequest, "`keys`", "", "give at least one key to fit");
  if (req.metrics.empty()) throw InputError(kRequest, "`metrics`", "", "give at least one metric");
  ProfileCalibration c;
  c.source = req.csv_path;
  const auto rows = perf::read_published_csv(c.source);
  const auto prepared = perf::prepare_rows(rows, ctx.catalog, ctx.engines, ctx.speculative);
  c.fit = perf::calibrate_profile(prepared, ctx.efficiency, req.keys, req.metrics);
  return c;
}

std::string profile_yaml(const ProfileCalibration& c) {
  const auto& f = c.fit;
  std::string out = fmt::format(
      "# Engine profile of one deployment: `tokenmath perf|simulate|plan|serve-sim ... --engine-profile FILE` uses\n"
      "# these factors for every accelerator and engine. Fitted by `tokenmath calibrate --from {}`.\n"
      "kind: tokenmath-engine-profile\n"
      "source: \"{}\"\n"
      "fit:\n  rows: {}\n  metrics: [{}]\n"
      "  median_abs_error_pct_before: {:.2f}\n  median_abs_error_pct_after: {:.2f}\n",
      c.source, c.source, f.rows, fmt::join(f.metrics, ", "), f.before_stats.median_abs_error_pct,
      f.after_stats.median_abs_error_pct);
  if (f.holdout)
    out += fmt::format("  holdout: \"fitted without the {} rows: their median error {:.2f}% (before {:.2f}%)\"\n",
                       f.holdout_label, f.holdout_test.median_abs_error_pct, f.holdout_before.median_abs_error_pct);
  out += "factors:\n";
  for (const auto& k : f.keys) {
    const auto& b = f.bounds.at(k);
    out += fmt::format(
        "  {}:\n    value: {:.6g}\n    bounds: [{:g}, {:g}]\n    source: \"{} ({} rows: {})\"\n"
        "    how_obtained: \"fitted: coordinate search within the bounds minimising the mean |ln(predicted/measured)| "
        "of the rows (objective {:.4f} -> {:.4f}); started from {:.6g}, the shipped value for this accelerator and "
        "engine\"\n",
        k, f.after.at(k), b.first, b.second, c.source, f.rows, fmt::join(f.metrics, ", "), f.before_objective,
        f.after_objective, f.before.at(k));
  }
  return out;
}

Context with_engine_profile(const Context& ctx, const std::string& profile_path) {
  Context c = ctx;
  c.efficiency = perf::with_profile(ctx.efficiency, perf::load_deployment_profile(profile_path));
  return c;
}

}  // namespace tokenmath::api
