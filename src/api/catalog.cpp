// Facade: catalog records (see tokenmath/api/catalog.hpp).
#include "tokenmath/api/catalog.hpp"

#include <fmt/format.h>

#include "tokenmath/common/error.hpp"

namespace tokenmath::api {

const std::vector<catalog::ModelSpec>& models(const Context& ctx) { return ctx.catalog.models(); }

catalog::ModelQuery model(const Context& ctx, const std::string& id_or_path, const ModelShowOptions& o) {
  catalog::ModelQuery q;
  q.weights = catalog::parse_precision(o.precision, kRequest, "`precision`");
  q.kv = catalog::parse_precision(o.kv_dtype, kRequest, "`kv_dtype`");
  if (!(o.context_len >= 1))
    throw InputError(kRequest, "`context`", fmt::format("{}", o.context_len), "must be a positive token count");
  q.context_tokens = o.context_len;
  q.model = ctx.catalog.model(id_or_path);
  return q;
}

const std::vector<catalog::GpuSpec>& gpus(const Context& ctx) { return ctx.catalog.gpus(); }
const catalog::GpuSpec& gpu(const Context& ctx, const std::string& id) { return ctx.catalog.gpu(id); }
const std::vector<catalog::SystemSpec>& systems(const Context& ctx) { return ctx.catalog.systems(); }
const catalog::SystemSpec& system(const Context& ctx, const std::string& id) { return ctx.catalog.system(id); }

}  // namespace tokenmath::api
