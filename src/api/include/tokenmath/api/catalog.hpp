// Facade: catalog records (models, accelerators, systems). Render with report/catalog.hpp.
#pragma once
#include <string>
#include <vector>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/context.hpp"

namespace tokenmath::api {

const std::vector<catalog::ModelSpec>& models(const Context& ctx);
// `tokenmath model` options: weight precision and KV dtype names as parse_precision accepts them, and the
// context length (tokens) at which FLOPs and KV figures are given.
struct ModelShowOptions {
  std::string precision = "bf16";
  std::string kv_dtype = "bf16";
  double context_len = 8192;
};
// A catalog id, alias or published name, or a path to a config.json (which needs nothing from the context).
// Throws InputError for unknown names and bad options.
catalog::ModelQuery model(const Context& ctx, const std::string& id_or_path, const ModelShowOptions& options = {});

const std::vector<catalog::GpuSpec>& gpus(const Context& ctx);
const catalog::GpuSpec& gpu(const Context& ctx, const std::string& id);
const std::vector<catalog::SystemSpec>& systems(const Context& ctx);
const catalog::SystemSpec& system(const Context& ctx, const std::string& id);

}  // namespace tokenmath::api
