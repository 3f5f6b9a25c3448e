// Validation against published measurements (the format of data/validation/published.csv) and calibration of
// the fitted efficiency factors on them.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/step.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::perf {

// One row as published: every column as text (see data/validation/README.md for their meaning).
struct PublishedRow {
  int line = 0;  // 1-based line in the file (header = 1)
  std::string source, url_or_repo_path, version_or_date, engine, model, precision, gpu, num_gpus, tp, pp, ep, isl,
      osl, concurrency_or_batch, scenario, metric, value, unit, notes;
};

// Reads the CSV (RFC 4180 quoting). Throws InputError when the file is unreadable or a required column is
// missing; rows are returned as text, never judged here.
std::vector<PublishedRow> read_published_csv(const std::filesystem::path& path);

// Engine settings a published run used (max batch, token budget, KV fraction), from data/perf/engines.yaml.
struct EngineProfile {
  std::string name;
  std::vector<std::string> match;     // lower-case substrings of the row's engine column
  int max_num_seqs = 0;               // fixed engine cap (0 = derived with the trtllm-bench rule below)
  int max_num_seqs_cap = 0;           // trtllm-bench: min(KV-capacity requests, cap)
  int spec_max_num_seqs = 0;          // running cap with speculative decoding when none is set (EngineKnobs)
  int max_batched_tokens = 0;         // fixed token budget (0 = derived)
  // A larger budget the engine picks by itself on GPUs with at least `min_gb` of memory (SGLang server_args:
  // chunked_prefill_size 16384 from 160 GiB up, 8192 below). 0 = none.
  double large_hbm_min_gb = 0;
  int large_hbm_max_batched_tokens = 0;
  // The engine's largest captured decode batch by GPU memory and TP (EngineKnobs::cuda_graph_max_bs); empty = none.
  std::vector<EngineKnobs::GraphCapRule> cuda_graph_max_bs;
  int max_batched_tokens_min = 0;     // trtllm-bench: clamp(batch * (1 + ISL/OSL), min, cap)
  int max_batched_tokens_cap = 0;
  double kv_mem_fraction = 0.9;
  bool kv_fraction_of_total = false;  // `kv_mem_fraction_of: total` (vLLM, SGLang) rather than `free` (TensorRT-LLM)
  // KV admission policy the engine runs by default (sim::AdmissionKind names: per-chunk, reserve-full-prompt,
  // conservative, guaranteed-no-evict); "" = not stated.
  std::string admission;
  // KV-cache format when a row does not state one: "model-dtype" (vLLM's and SGLang's kv_cache_dtype=auto: the
  // model's activation dtype, 16-bit) or "" (an FP8 cache for FP8/FP4 checkpoints, as TensorRT-LLM's quantised
  // checkpoints ship, 16-bit otherwise).
  std::string kv_cache_default;
  // GPU vendors (catalog GpuSpec::vendor) for which this profile is what "auto" means.
  std::vector<std::string> default_for;
  std::string source;
  // Profiles of one engine linked by release date (data/perf/engines.yaml `supersedes` / `superseded_by`): a row
  // whose engine column names no version and whose version_or_date cell states only dates on or before
  // `supersedes.released` (YYYY-MM-DD) ran `supersedes.profile`; one whose every stated date is after
  // `superseded_by.released` ran `superseded_by.profile` (each followed transitively). Empty when none.
  struct Release {
    std::string profile, released, source;
  };
  Release supersedes, superseded_by;
  // The engine's scheduling defaults over `base`: its request cap and token budget where it states them (fixed
  // values; the trtllm-bench rule's caps are applied per row by `validate`), its KV fraction and what that is a
  // fraction of. perf, simulate and validate all take an engine's knobs through this.
  EngineKnobs knobs(EngineKnobs base, const catalog::GpuSpec& gpu) const;
};
std::vector<EngineProfile> load_engine_profiles(const std::filesystem::path& path);
// The latest date a free-text cell states, as YYYYMMDD with each date taken at the end of the period it names:
// "2025-01-15" is 20250115, "2025-03" 20250331, "Feb 2025" 20250231 (day 31 for any month: only the order
// matters), "2024" 20241231, an image tag's "20250112" 20250112. nullopt when the cell states no date.
std::optional<int> latest_stated_date(const std::string& text);
// The earliest date a cell states, each date taken at the start of its period ("2025" is 20250101).
std::optional<int> earliest_stated_date(const std::string& text);
// The profile a row's engine column means at its stated dates: `matched` itself, or, while the engine column
// names no version (no "x.y" number) and every date of `version_or_date` is on or before the matched profile's
// `supersedes.released` day, the profile it supersedes (followed transitively); failing that, while every date is
// after its `superseded_by.released` day, the profile that supersedes it.
const EngineProfile* engine_of_date(const EngineProfile* matched, const std::string& engine_column,
                                    const std::string& version_or_date, const std::vector<EngineProfile>& profiles);
// The engine profile name a request means on `gpu`: "auto" is the profile whose default_for lists the GPU's
// vendor (TensorRT-LLM on NVIDIA, ROCm vLLM on AMD; "" when none does), "none" is "", any other name itself.
std::string engine_for_gpu(const std::string& requested, const catalog::GpuSpec& gpu,
                           const std::vector<EngineProfile>& profiles);
// Accepted values of an engine option: the profile names, "auto" and "none".
std::vector<std::string> engine_choices(const std::vector<EngineProfile>& profiles);

// A row resolved into a deployment and workload, ready to predict under any efficiency table.
struct PreparedRow {
  PublishedRow row;
  bool ok = false;
  std::string skip_reason;
  bool suspect = false;
  std::string caveat;            // e.g. "speculative decoding (MTP) not modelled"
  std::string model_id, gpu_id;
  Deployment deployment;         // knobs filled from the engine profile (batch/token derived per efficiency)
  bool search_parallelism = false;  // TP/PP not published: best of the factorizations of num_gpus
  int num_gpus = 0;
  double isl = 0, osl = 0;
  std::int64_t concurrency = 0;  // 0 = saturation (max the memory and engine allow)
  std::int64_t num_requests = 0; // requests in the whole run when the notes state it ("2000 synthetic requests")
  double measured = 0;
  bool per_user_with_context = false;
  const EngineProfile* engine = nullptr;
  std::string point_id;          // "point=<id>" of the notes: rows of one measured operating point share it
  Disaggregation pd;             // "N prefill + M decode" servers stated in the notes (xPyD of `deployment`)
  // The prefill servers' own parallelism where the notes state one that differs from the decode servers'
  // ("prefill TP4", "prefill DEP4", "prefill TEP4"): the deployment of the group's prefill pool. Unset (no model):
  // `deployment` without speculative decoding.
  Deployment prefill;
  bool spec_stated = false;      // the row says whether speculative decoding was on (deployment.spec)
  std::optional<double> host_overlap;  // the row says the overlap scheduler was on (1) or off (0)
  std::optional<double> dp_prefill_balance;  // the row says attention-DP prefill balancing was on (1) or off (0)
  // The row says the engine fused QK-norm, rotary and the KV-cache write into one kernel (ATOM's
  // "QK-norm+RoPE+cache-quant fusion"): unfused_kernels_per_layer 1, qk_norm_kernels 0 for its run.
  bool qk_norm_rope_cache_fused = false;
  // The launch names an MoE runner other than Triton's fused_moe (--moe-runner-backend X, X not triton): the
  // Triton path's start-up (triton_moe_layer_extra_us) does not apply.
  bool moe_runner_not_triton = false;
  // Fixed-length closed-loop run at request rate inf (bench_serving max_concurrency, random_range_ratio 1):
  // requests arrive in synchronised waves, and TTFT is a wave's (perf::wave_ttft_s), not a staggered steady state.
  bool synchronized_waves = false;
  // A closed-loop run of variable lengths at request rate inf with a stated request count (bench_serving's
  // max_concurrency, num_prompts): its first `concurrency` requests arrive together, so their prompts are
  // prefilled as one wave before the run settles into the staggered steady state. `ttft_mean`: the row's TTFT is
  // the run's mean ("value = 'Mean TTFT"), which counts that start; a median of a run with fewer than half its
  // requests in the first wave does not.
  bool burst_start = false;
  bool ttft_mean = false;
  // A figure of decode nodes alone ("decode nodes", "decode-only") whose prefill pool is not stated: predicted as
  // a decode pool (perf::decode_pool_state), prefill excluded from its GPUs.
  bool decode_only = false;
  // A finite run of variable-length requests whose notes give its measured mean concurrency below the stated
  // one (the client ramps up and drains the last requests at lower load): that mean / the stated concurrency.
  // Throughput predictions (output tokens/s and frontier points) are the steady state at the stated concurrency
  // times this share; 1 when not stated or when synchronised waves already model the run.
  double run_concurrency_share = 1.0;
  // An offline static batch ("static batch" in the scenario: every prompt submitted at once, e.g. vLLM's
  // benchmark_throughput / benchmark_latency): the batch is the run's request count, and its e2e_s is the wall time
  // of the whole batch, which queues in waves once the batch exceeds what the KV cache or the engine admits.
  bool static_batch = false;
  // Frontier rows (metric "frontier_tok_s_per_gpu", built from a point's measured rows): the measured
  // tokens/s per user the prediction must meet; the prediction is the best tokens/s per GPU of the deployment
  // search (the row's engine, precision and speculative decoding when stated; at most num_gpus GPUs).
  double frontier_min_tok_s_user = 0;
};

struct RowPrediction {
  double predicted = 0;
  double error_pct = 0;          // (predicted - measured) / measured * 100
  std::string deployment;        // label of the deployment used
  std::int64_t concurrency = 0;  // in one replica
  bool ok = false;
  std::string reason;            // when !ok (e.g. infeasible on this GPU)
};

// Resolves each row against the catalog, the engine profiles (batch caps, token budget, KV fraction) and the
// speculative-draft table (acceptance defaults for rows that state a draft length only).
std::vector<PreparedRow> prepare_rows(const std::vector<PublishedRow>& rows, const catalog::Catalog& cat,
                                      const std::vector<EngineProfile>& engines, const SpecTable& drafts);
RowPrediction predict_row(const PreparedRow& r, const EfficiencyTable& eff);

struct ErrorStats {
  int n = 0;
  double median_abs_error_pct = 0;
  double p90_abs_error_pct = 0;
  double median_signed_error_pct = 0;  // bias: > 0 means over-prediction
};
ErrorStats error_stats(std::vector<double> signed_errors_pct);

// RFC 4180 CSV file as rows of fields (header first); InputError if unreadable or empty.
std::vector<std::vector<std::string>> read_csv_table(const std::filesystem::path& path);

// Rows counted towards the accuracy target: saturated throughput (`output_tokens_per_s_*`).
bool is_saturated_throughput_metric(const std::string& metric);
// The synthetic metric of a frontier point: tokens/s per GPU at the point's measured tokens/s per user.
// The deployment keeps what the row states (TP/PP/EP/attention DP, xPyD split); the rest is searched.
inline constexpr const char* kFrontierMetric = "frontier_tok_s_per_gpu";
// The same point with the whole deployment searched (engine, precision, speculative decoding kept): a
// measured point that is not on the frontier of its hardware shows here as headroom (positive error).
inline constexpr const char* kFrontierBestMetric = "frontier_best_tok_s_per_gpu";

// The engine key of frontier rows that matched no engine profile, and of a prediction made without one: the word
// `perf`'s engine option uses for it.
inline constexpr const char* kNoEngineProfile = "none";

struct ValidationRow {
  PreparedRow prepared;
  RowPrediction prediction;
};

struct ValidationResult {
  std::vector<ValidationRow> rows;
  int predicted = 0, skipped = 0, suspect = 0, failed = 0;
  ErrorStats overall;      // all predicted rows except SUSPECT ones
  ErrorStats saturated;    // output_tokens_per_s_* rows except SUSPECT ones
  ErrorStats frontier;     // frontier_tok_s_per_gpu rows (one per measured point with a per-user rate)
  ErrorStats frontier_best;  // frontier_best_tok_s_per_gpu rows (same points, deployment searched)
  // All predicted rows but the headroom ones (frontier_best_tok_s_per_gpu, which only by_metric lists).
  std::map<std::string, ErrorStats> by_model, by_gpu, by_metric, by_source;
  // frontier_tok_s_per_gpu rows only; by_engine is keyed by the engine profile the row ran (kNoEngineProfile when none matched),
  // by_gpu_model by perf::gpu_model_key (accuracy.hpp).
  std::map<std::string, ErrorStats> frontier_by_model, frontier_by_gpu, frontier_by_source, frontier_by_engine,
      frontier_by_gpu_model;
};

ValidationResult validate(const std::vector<PreparedRow>& rows, const EfficiencyTable& eff);

// Calibration: coordinate search over `keys` (default: the table's fitted_keys) minimising the mean absolute
// log error, ln(predicted/measured), over saturated-throughput rows that are not SUSPECT.
struct CalibrationStep {
  std::string key;
  double value = 0;
  double objective = 0;
};
struct HoldoutResult {
  std::string fit_group;   // rows fitted on
  ErrorStats fit_stats;    // on the fitted rows, after fitting
  ErrorStats test_stats;   // on all other rows
  EfficiencyTable fitted;
};
struct CalibrationResult {
  std::vector<std::string> keys;
  EfficiencyTable before, after;
  ErrorStats before_stats, after_stats;
  double before_objective = 0, after_objective = 0;
  std::vector<CalibrationStep> trace;
  std::vector<HoldoutResult> holdout;
};
CalibrationResult calibrate(const std::vector<PreparedRow>& rows, const EfficiencyTable& start,
                            std::vector<std::string> keys = {}, bool with_holdout = true);

// A deployment's engine profile (`calibrate --from FILE`, `--engine-profile FILE`): values of efficiency keys
// (plain YAML keys such as step_overhead_ms, memory_bw) that replace the table's for every accelerator and engine.
struct ProfileFactor {
  double value = 0;
  double lo = 0, hi = 0;     // the bounds it was fitted within (0, 0: not stated)
  std::string source, how_obtained;
};
struct DeploymentProfile {
  std::string file;
  std::map<std::string, ProfileFactor> factors;
};
// `table` with each factor as its default and the classes' and engines' overrides of those keys removed, so the
// profile's values apply to every accelerator and engine.
EfficiencyTable with_profile(const EfficiencyTable& table, const DeploymentProfile& profile);
// Reads a profile file (`factors: {key: {value, bounds, source, how_obtained}}` or `key: number`); throws InputError
// naming the file, the key and the value (unknown keys with a "did you mean").
DeploymentProfile load_deployment_profile(const std::filesystem::path& path);
// The bounds calibration keeps a key within.
std::pair<double, double> calibration_bounds(const std::string& key);

// Fit of a deployment's factors to its measurements (bench's validation rows or the user's CSV): coordinate
// search over `keys` (plain keys; start = the values the table gives the first row's accelerator and engine)
// minimising the mean |ln(predicted / measured)| over the rows of `metrics`. Hold-out: the fit is repeated
// without the rows of the highest concurrency and tested on them (when the rows span two or more levels).
struct ProfileFit {
  std::vector<std::string> keys, metrics;
  std::map<std::string, double> before, after;       // effective values
  std::map<std::string, std::pair<double, double>> bounds;
  int rows = 0;
  ErrorStats before_stats, after_stats;
  std::map<std::string, std::pair<ErrorStats, ErrorStats>> by_metric;  // before, after
  double before_objective = 0, after_objective = 0;
  bool holdout = false;
  std::string holdout_label;                          // e.g. "concurrency 32"
  ErrorStats holdout_before, holdout_fit, holdout_test;  // before; after (fit without them) on the others; on them
  std::map<std::string, double> holdout_values;
};
ProfileFit calibrate_profile(const std::vector<PreparedRow>& rows, const EfficiencyTable& table,
                             const std::vector<std::string>& keys, const std::vector<std::string>& metrics);

// Group used by the hold-out check: source + version (e.g. "NVIDIA TensorRT-LLM perf-overview v0.10.0").
std::string holdout_group(const PublishedRow& r);
// Model family of a catalog model id, for the leave-one-family-out check: its leading name words before the first
// one that carries a size or version digit ("llama-3.1-8b" -> "llama", "gpt-oss-120b" -> "gpt-oss",
// "qwen3-235b-a22b" -> "qwen", "deepseek-r1" -> "deepseek"). Derivatives named after their base ("llama-3.3-nemotron")
// stay in its family.
std::string model_family(const std::string& model_id);

}  // namespace tokenmath::perf
