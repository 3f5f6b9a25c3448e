// `tokenmath export litellm [SCENARIO] [-o FILE]` and `tokenmath export deploy --engine E [SCENARIO] -o DIR`:
// what a plan's user acts on (gateway billing entries; a launch command and manifest for the chosen deployment).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

void add_export_commands(CLI::App& app) {
  auto* exp = app.add_subcommand("export", "Export a plan: LiteLLM price entries, or the deployment to launch");
  exp->require_subcommand(1);

  auto* lite = exp->add_subcommand(
      "litellm", "LiteLLM model_prices_and_context_window.json entries pricing the plan's self-hosted models at their "
                 "owned cost per token");
  auto lite_scenario = std::make_shared<std::string>();
  auto lite_out = std::make_shared<std::string>();
  auto lite_force = std::make_shared<bool>(false);
  lite->add_option("scenario", *lite_scenario, "plan scenario YAML (default: the built-in plan)")
      ->check(CLI::ExistingFile);
  lite->add_option("-o,--output", *lite_out, "write the JSON to FILE instead of stdout");
  lite->add_flag("--force", *lite_force, "overwrite an existing output file");
  lite->callback([=] {
    const std::string text = report::litellm_export(api::plan(context(), *lite_scenario));
    if (lite_out->empty()) {
      fmt::print("{}", text);
      return;
    }
    write_output(*lite_out, text, "--output", *lite_force, {*lite_scenario});
    fmt::print("wrote {}\n", *lite_out);
  });

  auto* dep = exp->add_subcommand(
      "deploy", "The plan's chosen deployment as an engine launch command and a Kubernetes manifest (a starting point)");
  auto dep_scenario = std::make_shared<std::string>();
  auto dep_out = std::make_shared<std::string>();
  auto engine = std::make_shared<std::string>();
  auto dep_force = std::make_shared<bool>(false);
  dep->add_option("--engine", *engine, "vllm | sglang | trtllm")->required();
  dep->add_option("scenario", *dep_scenario, "plan scenario YAML (default: the built-in plan)")
      ->check(CLI::ExistingFile);
  dep->add_option("-o,--output", *dep_out, "folder to write launch.sh, k8s.yaml, README.md (created if missing)")
      ->required();
  dep->add_flag("--force", *dep_force, "overwrite existing files in the folder");
  dep->callback([=] {
    const auto files = report::deploy_export(api::plan(context(), *dep_scenario), *engine);
    std::error_code ec;
    const std::filesystem::path dir(*dep_out);
    if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
      throw InputError("<command line>", "--output", *dep_out, "exists and is not a folder");
    std::filesystem::create_directories(dir, ec);
    if (ec) throw InputError("<command line>", "--output", *dep_out, "cannot create this folder: " + ec.message());
    for (const auto& [name, text] : files) {
      write_output((dir / name).string(), text, "--output", *dep_force, {*dep_scenario});
      fmt::print("wrote {}\n", (dir / name).string());
    }
  });
}

}  // namespace tokenmath::cli
