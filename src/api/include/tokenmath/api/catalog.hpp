// Facade: catalog listings and details, rendered in a chosen format.
#pragma once
#include <string>

#include "tokenmath/context.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/report/table.hpp"

namespace tokenmath::api {
// models (src/api/catalog.cpp)
std::string list_models(const Context& ctx, report::Format f);
std::string show_model(const Context& ctx, const std::string& id_or_path, report::Format f);
// `tokenmath model` options: weight precision and KV dtype names as parse_precision accepts them, and the
// context length (tokens) at which FLOPs and KV figures are given.
struct ModelShowOptions {
  std::string precision = "bf16";
  std::string kv_dtype = "bf16";
  double context_len = 8192;
};
std::string show_model(const Context& ctx, const std::string& id_or_path, report::Format f, const ModelShowOptions& options);
// accelerators and systems (src/api/hardware.cpp)
std::string list_gpus(const Context& ctx, report::Format f);
std::string show_gpu(const Context& ctx, const std::string& id, report::Format f);
std::string list_systems(const Context& ctx, report::Format f);
std::string show_system(const Context& ctx, const std::string& id, report::Format f);
}  // namespace tokenmath::api
