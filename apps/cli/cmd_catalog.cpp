// `tokenmath models` and `tokenmath model ID|PATH`.
#include <fmt/format.h>

#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

void add_catalog_commands(CLI::App& app) {
  const std::vector<std::string> formats = {"table", "json", "csv", "md"};

  auto* models = app.add_subcommand("models", "List the model catalog: shape, parameters, KV bytes per token, source");
  auto models_format = std::make_shared<std::string>();
  add_format_option(models, *models_format, formats);
  models->callback([models_format, formats] {
    const auto f = report::parse_format(*models_format, {report::Format::table, report::Format::json,
                                                         report::Format::csv, report::Format::md});
    fmt::print("{}", report::render_models(api::models(context()), f));
  });

  auto* model = app.add_subcommand(
      "model", "Show one model's derived numbers: parameters, weight bytes per precision, FLOPs/token, KV and state");
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  auto opts = std::make_shared<api::ModelShowOptions>();
  model->add_option("model", *id, "catalog id, alias or published name, or a path to a config.json")->required();
  add_format_option(model, *format, formats);
  model->add_option("--precision", opts->precision, "weight precision for weight_gb_at_precision (bf16, fp8, nvfp4, mxfp4, int4, ...)")
      ->capture_default_str();
  model->add_option("--kv-dtype", opts->kv_dtype, "KV-cache (and Mamba state) element type")->capture_default_str();
  model->add_option("--context", opts->context_len, "context length in tokens for FLOPs and KV figures")
      ->check(finite_range(1, 1e9))
      ->capture_default_str();
  model->callback([id, format, opts] {
    const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                  report::Format::md});
    fmt::print("{}", report::render_model(api::model(model_context(*id), *id, *opts), f));
  });
}

}  // namespace tokenmath::cli
