// Each group of subcommands registers itself on the root app. A subcommand's callback runs the command;
// InputError escaping a callback is printed as one line by main() with exit code 2.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tokenmath::cli {
void add_catalog_commands(CLI::App& app);   // models, model
void add_hardware_commands(CLI::App& app);  // gpus, gpu, systems, system
void add_perf_commands(CLI::App& app);     // perf, validate, calibrate
void add_sim_commands(CLI::App& app);      // simulate
void add_cost_commands(CLI::App& app);     // cost, prices
void add_plan_commands(CLI::App& app);     // plan

// Adds `--format` accepting `allowed` (first is the default) and returns the string it writes to.
std::string& add_format_option(CLI::App* cmd, std::string& target, const std::vector<std::string>& allowed);
}  // namespace tokenmath::cli
