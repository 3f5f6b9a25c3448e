// Renderers of catalog records: models, accelerators, systems (table/json/csv/md).
#pragma once
#include <string>
#include <vector>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::report {
// One row per model: shape, parameters, KV bytes per token, source.
std::string render_models(const std::vector<catalog::ModelSpec>& models, Format f);
// Every derived figure of one model (parameters by kind, weight bytes per precision, FLOPs/token, KV, state).
std::string render_model(const catalog::ModelQuery& q, Format f);
std::string render_gpus(const std::vector<catalog::GpuSpec>& gpus, Format f);
std::string render_gpu(const catalog::GpuSpec& g, Format f);
std::string render_systems(const std::vector<catalog::SystemSpec>& systems, Format f);
// One system with its price and power sources and the node/rack aggregates.
std::string render_system(const catalog::SystemSpec& s, Format f);
}  // namespace tokenmath::report
