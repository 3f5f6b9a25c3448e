#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {
const Context& context() {
  static const Context ctx = Context::load_default();
  return ctx;
}

const Context& model_context(const std::string& id_or_path) {
  static const Context empty;
  std::error_code ec;
  return std::filesystem::is_regular_file(id_or_path, ec) ? empty : context();
}

// The library names a request's own options `like_this` and their origin kRequest; on the command line they
// are flags (--like-this) given on "<command line>".
std::string cli_wording(const InputError& e) {
  return reword_request_error(e, "<command line>", [](std::string_view name) {
    std::string flag = "--" + std::string(name);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  });
}

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(s, &used);
        } catch (...) {
          return "expected a number, got '" + s + "'";
        }
        if (used != s.size() || !std::isfinite(v) || v < lo || v > hi)
          return fmt::format("value '{}' must be a finite number in [{}, {}]", s, lo, hi);
        return "";
      },
      fmt::format("NUMBER in [{}, {}]", lo, hi));
}


void add_engine_profile_option(CLI::App* cmd, std::string& target) {
  cmd->add_option("--engine-profile", target,
                  "engine profile of a deployment (written by `tokenmath calibrate --from FILE --write PROFILE`): its "
                  "factors replace the shipped ones for every accelerator and engine")
      ->check(CLI::ExistingFile);
}

const Context& context_for(const std::string& engine_profile, std::optional<Context>& storage) {
  if (engine_profile.empty()) return context();
  return storage.emplace(api::with_engine_profile(context(), engine_profile));
}

std::string& add_format_option(CLI::App* cmd, std::string& target, const std::vector<std::string>& allowed) {
  target = allowed.front();
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
  cmd->add_option("--format", target, "output format: " + list)->capture_default_str();
  return target;
}
}  // namespace tokenmath::cli

int main(int argc, char** argv) {
  CLI::App app{"tokenmath: the token economics of open models (catalog, perf, sim, cost, plan)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tokenmath 0.1.0");
  tokenmath::cli::add_catalog_commands(app);
  tokenmath::cli::add_hardware_commands(app);
  tokenmath::cli::add_perf_commands(app);
  tokenmath::cli::add_sim_commands(app);
  tokenmath::cli::add_cost_commands(app);
  tokenmath::cli::add_plan_commands(app);
  tokenmath::cli::add_schema_commands(app);
  tokenmath::cli::add_export_commands(app);
  tokenmath::cli::add_serve_commands(app);
  tokenmath::cli::add_serve_sim_commands(app);
  tokenmath::cli::add_bench_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // One line, like every other input error (CLI11 would add a second "Run with --help" line).
    std::fflush(stdout);
    fmt::print(stderr, "tokenmath: error: <command line>: {}\n", e.what());
    return 2;
  } catch (const tokenmath::InputError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "tokenmath: error: {}\n", tokenmath::cli::cli_wording(e));
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "tokenmath: internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
