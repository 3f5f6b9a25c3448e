// Facade: the performance model (frontier, deployment search), validation against published measurements,
// and calibration of the efficiency factors.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/common/schema.hpp"
#include "tokenmath/context.hpp"
#include "tokenmath/perf/result.hpp"
#include "tokenmath/perf/validate.hpp"
#include "tokenmath/perf/validate_kernels.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::api {

struct PerfRequest {
  std::string model;            // catalog id, published name, or a config.json path
  std::string gpu;              // one accelerator, or several comma-separated to compare them
  int tp = 0, pp = 0, ep = 0;   // 0 = not given: search deployments
  bool dp_attn = false;
  std::string precision;        // weights ("" = the model's native precision; search tries all when no TP given)
  std::string kv_dtype;         // "" = fp8 where the GPU has fp8, else bf16
  double isl = 1024, osl = 1024;
  int max_num_seqs = 0, max_batched_tokens = 0;  // 0 = engine defaults
  double kv_mem_fraction = 0;
  int top = 5;                  // deployments listed when searching
  // Searching: the best deployment whose tokens/s per user is at least this (0 = the max-throughput ranking).
  double min_tok_s_user = 0;
  // Engine profile whose software factors apply (host overlap, attention-DP prefill balancing): a name of
  // data/perf/engines.yaml, "auto" (the GPU vendor's default: TensorRT-LLM PyTorch on NVIDIA, ROCm vLLM on AMD)
  // or "none" (the fitted defaults of the trtllm-bench perf-overview runs).
  std::string engine = "auto";
  // Speculative decoding: "auto" (search tries off and the model's shipped drafts), "off", or METHOD:K[:A]
  // (mtp, eagle3, ngram; K draft tokens; A acceptance length, default from data/perf/speculative.yaml).
  std::string spec = "auto";
};
// The options of a perf request, declared once (type, range, default, help): the CLI's flags, the HTTP body of
// POST /api/perf and the Python keyword arguments are all checked against it (`tokenmath schema perf`).
schema::Schema perf_request_schema();
// A request from a JSON object whose keys are the schema's (model, gpu, tp, ...): every value type- and
// range-checked, unknown keys refused with "did you mean". Errors name the option `like_this` (origin kRequest).
PerfRequest perf_request_from_json(const std::string& json_text);
// Range checks of a request built in code (perf() runs them first): 0 means "not given" where the field says so.
void check_perf_request(const PerfRequest& req);

// Frontier of one deployment, or the ranked deployments when no parallelism is given (the best one meeting
// min_tok_s_user when set); with several comma-separated GPUs, the best deployment on each. Render with
// report::render_perf / report::perf_svg. Throws InputError for unknown names or bad options.
perf::PerfResult perf(const Context& ctx, const PerfRequest& req);

// `tokenmath validate FILE.csv`: every row predicted, with summaries (report::render_validation).
perf::ValidationResult validate(const Context& ctx, const std::string& csv_path);
// `tokenmath validate-kernels FILE.csv [--gpu G]`: the kernel formula vs kernels timed on a GPU. gpu_name empty:
// the CSV's device column, resolved in the catalog.
// `engine` (optional): the efficiency profile whose factors apply (e.g. "sglang" for its Triton fused-MoE rows).
perf::KernelValidation validate_kernels(const Context& ctx, const std::string& csv_path, const std::string& gpu_name,
                                        const std::string& engine = "");

// `tokenmath calibrate [FILE.csv]`: fits the table's fitted factors, with before/after and the hold-out check
// (report::render_calibration); calibration_yaml gives the fitted values as the YAML `--write` saves.
struct Calibration {
  std::string source;  // the CSV fitted ("" given: data/validation/published.csv of the context)
  perf::CalibrationResult result;
};
Calibration calibrate(const Context& ctx, const std::string& csv_path, bool holdout);
std::string calibration_yaml(const Calibration& c);

// `tokenmath calibrate --from FILE`: one deployment's engine/runtime factors fitted to its measurements (the
// validation CSV `tokenmath bench --validation-csv` writes, or the user's own rows in that format).
struct ProfileCalibrationRequest {
  std::string csv_path;
  std::vector<std::string> keys = {"step_overhead_ms", "seq_overhead_us", "memory_bw"};
  std::vector<std::string> metrics = {"output_tokens_per_s_total", "tpot_ms"};
};
struct ProfileCalibration {
  std::string source;
  perf::ProfileFit fit;
};
ProfileCalibration calibrate_profile(const Context& ctx, const ProfileCalibrationRequest& req);
// The profile file (`--engine-profile`): each fitted value with its bounds, source and how it was obtained.
std::string profile_yaml(const ProfileCalibration& c);
// A copy of `ctx` whose efficiency factors are replaced by the profile's for every accelerator and engine.
Context with_engine_profile(const Context& ctx, const std::string& profile_path);

}  // namespace tokenmath::api
