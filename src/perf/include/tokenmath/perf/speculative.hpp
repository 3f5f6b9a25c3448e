// Speculative decoding defaults (data/perf/speculative.yaml): which draft method a model supports, its draft
// cost and its acceptance, as SpecDecode values for the step model.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tokenmath/catalog/model.hpp"
#include "tokenmath/perf/step.hpp"

namespace tokenmath::perf {

struct SpecMethod {
  std::string name;                // "mtp", "eagle3", "ngram"
  double draft_layers = 1;
  double position_acceptance = 0;  // p: chance a drafted token is accepted after an accepted one
  std::vector<double> acceptance_lengths;  // measured acceptance length for k = 1, 2, ... (wins over the formula)
  int max_draft_tokens = 3;        // longest draft the search tries
  std::vector<std::string> models; // model ids with a published draft for the method
  std::string source;
};

// Expected tokens emitted per step with a k-token draft: 1 + p + ... + p^k.
double acceptance_length(double position_acceptance, int draft_tokens);
// A method's default for k drafts: its measured acceptance_lengths[k-1] when listed, else the formula.
double default_acceptance_length(const SpecMethod& m, int draft_tokens);

struct SpecTable {
  std::vector<SpecMethod> methods;
  const SpecMethod* find(const std::string& name) const;
  // Whether `model` can run `method` (MTP: the checkpoint ships MTP layers or is listed; others: listed).
  bool supports(const SpecMethod& method, const catalog::ModelSpec& model) const;
  // The SpecDecode of `method` with `draft_tokens` drafts, at the default acceptance unless `acceptance_length`
  // is given. nullopt when the method is unknown.
  std::optional<SpecDecode> make(const std::string& method, int draft_tokens,
                                 std::optional<double> acceptance_length = std::nullopt) const;
  // Choices the deployment search tries for a model: each supported MTP/EAGLE-3 draft of 1..max_draft_tokens
  // tokens (n-gram is workload-dependent and only used when asked for).
  std::vector<SpecDecode> search_options(const catalog::ModelSpec& model) const;
};

// Throws InputError(file, field, value, problem) on malformed entries.
SpecTable load_speculative(const std::filesystem::path& path);

}  // namespace tokenmath::perf
