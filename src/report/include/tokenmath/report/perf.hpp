// Renderers for the performance model: frontier tables and SVG chart, deployment search, validation and
// calibration reports.
#pragma once

#include <string>
#include <vector>

#include "tokenmath/perf/accuracy.hpp"
#include "tokenmath/perf/result.hpp"
#include "tokenmath/perf/throughput.hpp"
#include "tokenmath/perf/validate.hpp"
#include "tokenmath/perf/validate_kernels.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::report {

// Concurrency, tok/s/GPU, tok/s/user, TTFT, TPOT, total output tok/s (+ step breakdown), one row per point.
Table frontier_table(const perf::Frontier& f);
// Header lines (deployment, memory plan, max-throughput point) + the table, or a json object
// {deployment, memory, max_throughput, frontier: [...]}.
// label_override / gpus_override: an xPyD option's label and group size (default: the deployment's own).
std::string render_frontier(const perf::Deployment& d, const perf::Frontier& f, double isl, double osl, Format fmt,
                            const std::string& label_override = "", int gpus_override = 0);
// Best deployments of a search (feasible first), one row each with its max-throughput point.
std::string render_deployment_options(const std::vector<perf::DeploymentOption>& opts, std::size_t max_rows,
                                      double isl, double osl, Format fmt);
// `perf --min-tok-s-user`: the chosen deployment and its operating point. json: {model, gpu, min_tok_s_user,
// deployment, engine, gpus_per_replica, isl, osl, speculative, point}.
std::string render_interactive_choice(const perf::DeploymentOption& o, const perf::OperatingPoint& p,
                                     double min_tok_s_user, double isl, double osl, Format fmt);
// SVG line chart: x = tokens/s per user, y = output tokens/s per GPU, one series per frontier.
struct FrontierSeries {
  std::string label;
  const perf::Frontier* frontier;
};
std::string frontier_svg(const std::vector<FrontierSeries>& series, const std::string& title);
// The envelope over all searched deployments: every feasible deployment's curve faint grey beneath, the Pareto
// envelope (best tok/s/GPU at each tok/s/user over all of them) bold, labelled with the deployment that owns
// each envelope point; `min_tok_s_user` > 0 draws that target as a vertical line.
std::string frontier_envelope_svg(const std::vector<perf::DeploymentOption>& options, const std::string& title,
                                  double min_tok_s_user);

// The measured accuracy behind a prediction (perf::AccuracyNote): one row per scope (model on this GPU, GPU, model,
// engine, all points) with its points and median / p90 / signed median error; table and md only ("" otherwise).
std::string render_accuracy_note(const perf::AccuracyNote& note, Format fmt);
Table accuracy_note_table(const perf::AccuracyNote& note);
nlohmann::json accuracy_note_json(const perf::AccuracyNote& note);
// The file `tokenmath validate --write-accuracy` writes and perf::load_accuracy reads.
std::string accuracy_json(const perf::AccuracySummary& s);

// A `perf` answer in any format (each kind as the renderers above draw it); a single-GPU answer ends with its
// accuracy note (json: an "accuracy" member of the frontier and interactive objects).
std::string render_perf(const perf::PerfResult& r, Format fmt);
// Its chart: the frontier (one deployment), the envelope over the searched ones (with the target line when
// interactive), or one curve per GPU (compare). "" when nothing feasible is there to draw.
std::string perf_svg(const perf::PerfResult& r);

// Per-row predictions (predicted vs measured, error %), skipped rows with reasons, then summaries by model,
// GPU, metric and source. json: {rows: [...], skipped: [...], summary: {rows, predicted, skipped,
// median_abs_error_pct, p90_abs_error_pct, ...}}.
std::string render_validation(const perf::ValidationResult& v, Format fmt);
std::string render_calibration(const perf::CalibrationResult& c, Format fmt);
// `calibrate --from FILE`: the fitted factors (before, after, bounds), the error on the measured rows before and
// after (all, per metric) and the hold-out of the highest load level.
std::string render_profile_fit(const perf::ProfileFit& f, const std::string& source, Format fmt);
// Per-kernel measured vs predicted time, rows not predicted with reasons, summary overall and by kind.
// json: {gpu, rows: [...], skipped: [...], summary: {predicted, skipped, median_abs_error_pct,
// p90_abs_error_pct, median_signed_error_pct, by_kind}}.
std::string render_kernel_validation(const perf::KernelValidation& v, Format fmt);

}  // namespace tokenmath::report
