#include "tokenmath/perf/speculative.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/yaml_file.hpp"

namespace tokenmath::perf {

double acceptance_length(double p, int k) {
  double a = 1, term = 1;
  for (int i = 0; i < k; ++i) {
    term *= p;
    a += term;
  }
  return a;
}

double default_acceptance_length(const SpecMethod& m, int k) {
  if (k >= 1 && static_cast<std::size_t>(k) <= m.acceptance_lengths.size()) return m.acceptance_lengths[k - 1];
  return acceptance_length(m.position_acceptance, k);
}

const SpecMethod* SpecTable::find(const std::string& name) const {
  for (const auto& m : methods)
    if (m.name == name) return &m;
  return nullptr;
}

bool SpecTable::supports(const SpecMethod& method, const catalog::ModelSpec& model) const {
  if (method.name == "mtp" && model.mtp_layers > 0) return true;
  return std::find(method.models.begin(), method.models.end(), model.id) != method.models.end();
}

std::optional<SpecDecode> SpecTable::make(const std::string& method, int draft_tokens,
                                          std::optional<double> acc) const {
  const SpecMethod* m = find(method);
  if (!m || draft_tokens <= 0) return std::nullopt;
  SpecDecode s;
  s.method = m->name;
  s.draft_tokens = draft_tokens;
  s.draft_layers = m->draft_layers;
  s.acceptance_length = std::clamp(acc.value_or(default_acceptance_length(*m, draft_tokens)), 1.0,
                                   draft_tokens + 1.0);
  return s;
}

std::vector<SpecDecode> SpecTable::search_options(const catalog::ModelSpec& model) const {
  std::vector<SpecDecode> out;
  for (const auto& m : methods) {
    if (m.name == "ngram" || !supports(m, model)) continue;
    for (int k = 1; k <= m.max_draft_tokens; ++k) out.push_back(*make(m.name, k));
  }
  return out;
}

SpecTable load_speculative(const std::filesystem::path& path) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node root = load_yaml_file(path);
    SpecTable t;
    if (!root["methods"] || !root["methods"].IsSequence())
      throw InputError(file, "/methods", "", "expected a list of speculative-decoding methods");
    std::size_t i = 0;
    for (const auto& n : root["methods"]) {
      const std::string prefix = "/methods/" + std::to_string(i++);
      SpecMethod m;
      try {
        m.name = n["name"].as<std::string>();
        m.draft_layers = n["draft_layers"].as<double>();
        m.position_acceptance = n["position_acceptance"].as<double>();
        m.max_draft_tokens = n["max_draft_tokens"].as<int>(3);
        if (n["models"])
          for (const auto& x : n["models"]) m.models.push_back(x.as<std::string>());
        if (n["acceptance_lengths"])
          for (const auto& x : n["acceptance_lengths"]) m.acceptance_lengths.push_back(x.as<double>());
        m.source = n["source"].as<std::string>("");
      } catch (const YAML::Exception& e) {
        throw InputError(file, prefix, "", std::string("malformed method: ") + e.what());
      }
      if (!(m.position_acceptance >= 0 && m.position_acceptance < 1))
        throw InputError(file, prefix + "/position_acceptance", std::to_string(m.position_acceptance), "must be in [0, 1)");
      if (!(m.draft_layers >= 0 && m.draft_layers <= 16))
        throw InputError(file, prefix + "/draft_layers", std::to_string(m.draft_layers), "must be in [0, 16]");
      if (m.max_draft_tokens < 1 || m.max_draft_tokens > 16)
        throw InputError(file, prefix + "/max_draft_tokens", std::to_string(m.max_draft_tokens), "must be in [1, 16]");
      for (std::size_t k = 0; k < m.acceptance_lengths.size(); ++k)
        if (!(m.acceptance_lengths[k] >= 1 && m.acceptance_lengths[k] <= k + 2.0))
          throw InputError(file, prefix + "/acceptance_lengths/" + std::to_string(k),
                           std::to_string(m.acceptance_lengths[k]), "must be in [1, k + 1] for k = index + 1 drafts");
      if (m.source.empty()) throw InputError(file, prefix + "/source", "", "every method needs a source");
      t.methods.push_back(std::move(m));
    }
    return t;
  });
}

}  // namespace tokenmath::perf
