// The shipped catalog (data/models/*.json, data/gpus.yaml, data/systems.yaml) and name resolution.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/catalog/model.hpp"
#include "tokenmath/catalog/precision.hpp"

namespace tokenmath::catalog {

// One model asked about at a weight and KV precision and a context length (`tokenmath model`).
struct ModelQuery {
  ModelSpec model;
  Precision weights = Precision::bf16;
  Precision kv = Precision::bf16;
  double context_tokens = 8192;
};

class Catalog {
 public:
  // Loads everything under `data_dir` (models/, gpus.yaml, systems.yaml). Throws InputError on bad files.
  static Catalog load(const std::filesystem::path& data_dir);

  const std::vector<ModelSpec>& models() const { return models_; }
  const std::vector<GpuSpec>& gpus() const { return gpus_; }
  const std::vector<SystemSpec>& systems() const { return systems_; }

  // Exact id, alias, or a name as published sources print it ("Llama-3.1-70B-Instruct", "DeepSeek-R1 (671B)",
  // "Llama-2-70B (MLPerf llama2-70b-99)"). Returns nullptr when nothing matches.
  const ModelSpec* resolve_model(std::string_view name) const;
  const GpuSpec* resolve_gpu(std::string_view name) const;
  const SystemSpec* resolve_system(std::string_view name) const;

  // Same, but an unknown name throws InputError with a "did you mean" hint. A `name` that is a path to an
  // existing file is loaded as a config.json (models only).
  ModelSpec model(std::string_view id_or_path) const;
  const GpuSpec& gpu(std::string_view name) const;
  const SystemSpec& system(std::string_view name) const;

 private:
  std::vector<ModelSpec> models_;
  std::vector<GpuSpec> gpus_;
  std::vector<SystemSpec> systems_;
};

}  // namespace tokenmath::catalog
