#include <fmt/format.h>

#include <fstream>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

void add_plan_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "plan",
      "Organisation planner: engineers x token budget -> tokens by kind -> cheapest owned fleet per open model and "
      "system vs rented GPUs and the API; break-even, payback, hybrid split, sensitivity. Without SCENARIO runs "
      "the built-in default (data/plan/default.yaml).");
  auto scenario = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto write_default = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto profile = std::make_shared<std::string>();
  add_engine_profile_option(cmd, *profile);
  cmd->add_option("scenario", *scenario, "scenario YAML; its options overlay the default")->check(CLI::ExistingFile);
  add_format_option(cmd, *format, {"table", "json", "md", "html"});
  cmd->add_option("-o,--output", *output, "write the report to FILE instead of stdout");
  cmd->add_option("--write-default", *write_default,
                  "write the default scenario (every option with unit, range, help and source) to FILE and exit");
  cmd->add_flag("--force", *force, "overwrite an existing output file");
  cmd->callback([=] {
    if (!write_default->empty()) {
      write_output(*write_default, api::default_scenario_yaml(context()), "--write-default", *force);
      fmt::print("wrote {}\n", *write_default);
      return;
    }
    const auto f = report::parse_format(
        *format, {report::Format::table, report::Format::json, report::Format::md, report::Format::html});
    std::optional<Context> profiled;
    const std::string text = report::render_plan(api::plan(context_for(*profile, profiled), *scenario), f);
    if (output->empty()) {
      fmt::print("{}", text);
    } else {
      write_output(*output, text, "--output", *force, {*scenario});
      fmt::print("wrote {}\n", *output);
    }
  });
}
}  // namespace tokenmath::cli
