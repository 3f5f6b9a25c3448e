// `tokenmath gpus`, `tokenmath gpu ID`, `tokenmath systems`, `tokenmath system ID`.
#include <fmt/format.h>

#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

namespace {
const std::vector<std::string> kFormats = {"table", "json", "csv", "md"};
const std::vector<report::Format> kAllowed = {report::Format::table, report::Format::json, report::Format::csv,
                                              report::Format::md};

// A listing subcommand: `name` with --format, printing list().
template <class List>
void add_listing(CLI::App& app, const char* name, const char* help, List list) {
  auto* cmd = app.add_subcommand(name, help);
  auto format = std::make_shared<std::string>();
  add_format_option(cmd, *format, kFormats);
  cmd->callback([format, list] { fmt::print("{}", list(report::parse_format(*format, kAllowed))); });
}

// A show subcommand: `name ID` with --format, printing show(id).
template <class Show>
void add_show(CLI::App& app, const char* name, const char* help, const char* id_help, Show show) {
  auto* cmd = app.add_subcommand(name, help);
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  cmd->add_option("id", *id, id_help)->required();
  add_format_option(cmd, *format, kFormats);
  cmd->callback([id, format, show] { fmt::print("{}", show(*id, report::parse_format(*format, kAllowed))); });
}
}  // namespace

void add_hardware_commands(CLI::App& app) {
  add_listing(app, "gpus", "List accelerators: dense TFLOPS per precision, memory, scale-up, TDP, source",
              [](report::Format f) { return report::render_gpus(api::gpus(context()), f); });
  add_show(app, "gpu", "Show one accelerator with its sparse figures, aliases, derived fields, source and notes",
           "id, alias or published name (e.g. h100-sxm, H100-SXM-80GB, MI300X)",
           [](const std::string& id, report::Format f) { return report::render_gpu(api::gpu(context(), id), f); });
  add_listing(app, "systems", "List systems: GPUs per node/rack, scale-up domain, scale-out, wall power, cooling, price",
              [](report::Format f) { return report::render_systems(api::systems(context()), f); });
  add_show(app, "system", "Show one system with its price and power sources and derivations",
           "id or alias (e.g. hgx-h100, DGX H100, gb200-nvl72)",
           [](const std::string& id, report::Format f) { return report::render_system(api::system(context(), id), f); });
}

}  // namespace tokenmath::cli
