// The measured accuracy of the frontier prediction, shown where a prediction is printed.
//
// `tokenmath validate data/validation/frontier.csv --write-accuracy data/validation/accuracy.json` summarises the
// errors of the frontier points (tokens/s per GPU at each point's measured tokens/s per user, SUSPECT rows left
// out) per GPU, per model, per engine profile and per GPU x model; `perf` looks up the request's GPU, model and
// engine in that file and prints what was measured there. The file is generated, never edited: a test
// (Accuracy.ShippedSummaryIsTheFrontierSetsOwn) fails when it no longer equals a fresh `validate` of the set.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tokenmath/perf/validate.hpp"

namespace tokenmath::perf {

struct AccuracySummary {
  std::string measured_on;  // the validation CSV, as the command named it
  ErrorStats overall;       // every frontier point
  std::map<std::string, ErrorStats> by_gpu, by_model, by_engine;  // catalog ids; engine profile names
  std::map<std::string, ErrorStats> by_gpu_model;                 // key: gpu_model_key(gpu, model)
  bool empty() const { return overall.n == 0; }
};

std::string gpu_model_key(const std::string& gpu_id, const std::string& model_id);

// The frontier points of a validation run, grouped (pure).
AccuracySummary accuracy_summary(const ValidationResult& v, std::string measured_on);

// Reads the JSON `report::accuracy_json` writes. InputError naming the file, the field and the value when it is
// malformed (a missing group, a count that is not a positive integer, an error that is not a finite number >= 0).
AccuracySummary load_accuracy(const std::filesystem::path& path);

// What was measured for one prediction: one line per scope looked up, measured or not.
struct AccuracyLine {
  std::string scope;  // "GPU", "model", "engine", "model on this GPU", "all frontier points"
  std::string key;    // the id looked up
  ErrorStats stats;   // n == 0: no published point in this scope
};
struct AccuracyNote {
  std::string file;   // where the summary was read ("" when none was shipped)
  std::string measured_on;
  std::vector<AccuracyLine> lines;
};
// The note for a prediction of `model_id` on `gpu_id` under engine profile `engine` ("" = none): the
// model-on-GPU cell, the GPU, the model, the engine and all points, in that order; scopes without points are
// kept with n = 0 so the reader sees that nothing was measured there.
AccuracyNote accuracy_note(const AccuracySummary& s, const std::string& file, const std::string& gpu_id,
                           const std::string& model_id, const std::string& engine);
// The same for one model compared on several GPUs (`perf --gpu a,b,c`), each with the engine profile it runs:
// per GPU its model-on-GPU cell and the GPU, then the model, each distinct engine and all points.
struct GpuEngine {
  std::string gpu_id, engine;
};
AccuracyNote accuracy_note(const AccuracySummary& s, const std::string& file, const std::vector<GpuEngine>& gpus,
                           const std::string& model_id);

}  // namespace tokenmath::perf
