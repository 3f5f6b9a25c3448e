#include "tokenmath/perf/accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/common/json_text.hpp"

namespace tokenmath::perf {

namespace {
using nlohmann::json;

ErrorStats stats_from(const json& j, const std::string& file, const std::string& where) {
  if (!j.is_object()) throw InputError(file, where, j.dump(), "expected an object of error statistics");
  ErrorStats s;
  const auto rows = j.find("rows");
  if (rows == j.end() || !rows->is_number_integer() || rows->get<long long>() < 1 || rows->get<long long>() > 1000000)
    throw InputError(file, where + "/rows", rows == j.end() ? "" : rows->dump(), "expected a count of points >= 1");
  s.n = static_cast<int>(rows->get<long long>());
  auto number = [&](const char* key, bool non_negative) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number() || !std::isfinite(it->get<double>()) ||
        (non_negative && it->get<double>() < 0))
      throw InputError(file, where + "/" + key, it == j.end() ? "" : it->dump(),
                       non_negative ? "expected a finite percentage >= 0" : "expected a finite percentage");
    return it->get<double>();
  };
  s.median_abs_error_pct = number("median_abs_error_pct", true);
  s.p90_abs_error_pct = number("p90_abs_error_pct", true);
  s.median_signed_error_pct = number("median_signed_error_pct", false);
  return s;
}

std::map<std::string, ErrorStats> group_from(const json& root, const char* name, const std::string& file) {
  const std::string where = std::string("/") + name;
  const auto it = root.find(name);
  if (it == root.end() || !it->is_object())
    throw InputError(file, where, it == root.end() ? "" : it->dump().substr(0, 40), "expected an object keyed by id");
  std::map<std::string, ErrorStats> out;
  for (const auto& [k, v] : it->items()) {
    if (k.empty()) throw InputError(file, where, "\"\"", "an id may not be empty");
    out[k] = stats_from(v, file, where + "/" + k);
  }
  return out;
}

const ErrorStats* find(const std::map<std::string, ErrorStats>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}
}  // namespace

std::string gpu_model_key(const std::string& gpu_id, const std::string& model_id) { return gpu_id + "|" + model_id; }

AccuracySummary accuracy_summary(const ValidationResult& v, std::string measured_on) {
  AccuracySummary s;
  s.measured_on = std::move(measured_on);
  s.overall = v.frontier;
  s.by_gpu = v.frontier_by_gpu;
  s.by_model = v.frontier_by_model;
  s.by_engine = v.frontier_by_engine;
  s.by_gpu_model = v.frontier_by_gpu_model;
  return s;
}

AccuracySummary load_accuracy(const std::filesystem::path& path) {
  const std::string file = path.string();
  const json root = parse_json_text(read_input_file(path), file);
  if (!root.is_object()) throw InputError(file, "", "", "expected a JSON object (the accuracy summary `tokenmath validate` writes)");
  AccuracySummary s;
  const auto on = root.find("measured_on");
  if (on == root.end() || !on->is_string() || on->get<std::string>().empty())
    throw InputError(file, "/measured_on", on == root.end() ? "" : on->dump(), "expected the validation CSV it was measured on");
  s.measured_on = on->get<std::string>();
  const auto overall = root.find("overall");
  if (overall == root.end()) throw InputError(file, "/overall", "", "missing: the statistics of every frontier point");
  s.overall = stats_from(*overall, file, "/overall");
  s.by_gpu = group_from(root, "by_gpu", file);
  s.by_model = group_from(root, "by_model", file);
  s.by_engine = group_from(root, "by_engine", file);
  s.by_gpu_model = group_from(root, "by_gpu_model", file);
  for (const auto& [name, group] : {std::pair{"by_gpu", &s.by_gpu}, std::pair{"by_model", &s.by_model},
                                    std::pair{"by_engine", &s.by_engine}, std::pair{"by_gpu_model", &s.by_gpu_model}}) {
    int n = 0;
    for (const auto& [k, e] : *group) n += e.n;
    if (n != s.overall.n)
      throw InputError(file, std::string("/") + name, std::to_string(n),
                       "its points must add up to /overall/rows (" + std::to_string(s.overall.n) + ")");
  }
  return s;
}

AccuracyNote accuracy_note(const AccuracySummary& s, const std::string& file, const std::vector<GpuEngine>& gpus,
                           const std::string& model_id) {
  AccuracyNote note;
  note.file = file;
  note.measured_on = s.measured_on;
  if (s.empty()) return note;
  auto add = [&](const char* scope, const std::string& key, const ErrorStats* e) {
    note.lines.push_back({scope, key, e ? *e : ErrorStats{}});
  };
  for (const auto& g : gpus) {
    add("model on this GPU", model_id + " on " + g.gpu_id, find(s.by_gpu_model, gpu_model_key(g.gpu_id, model_id)));
    add("GPU", g.gpu_id, find(s.by_gpu, g.gpu_id));
  }
  add("model", model_id, find(s.by_model, model_id));
  std::vector<std::string> engines;
  for (const auto& g : gpus) {
    const std::string key = g.engine.empty() ? kNoEngineProfile : g.engine;
    if (std::find(engines.begin(), engines.end(), key) != engines.end()) continue;
    engines.push_back(key);
    add("engine", key, find(s.by_engine, key));
  }
  add("all frontier points", "", &s.overall);
  return note;
}

AccuracyNote accuracy_note(const AccuracySummary& s, const std::string& file, const std::string& gpu_id,
                           const std::string& model_id, const std::string& engine) {
  return accuracy_note(s, file, std::vector<GpuEngine>{{gpu_id, engine}}, model_id);
}

}  // namespace tokenmath::perf
