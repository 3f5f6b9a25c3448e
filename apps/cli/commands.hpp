// Each group of subcommands registers itself on the root app. A subcommand's callback runs the command;
// InputError escaping a callback is printed as one line by main() with exit code 2.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "output.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {
void add_catalog_commands(CLI::App& app);   // models, model
void add_hardware_commands(CLI::App& app);  // gpus, gpu, systems, system
void add_perf_commands(CLI::App& app);     // perf, validate, calibrate
void add_sim_commands(CLI::App& app);      // simulate
void add_cost_commands(CLI::App& app);     // cost, prices
void add_plan_commands(CLI::App& app);     // plan
void add_schema_commands(CLI::App& app);   // schema
void add_export_commands(CLI::App& app);   // export litellm, export deploy
void add_serve_commands(CLI::App& app);    // serve (HTTP API and web page)
void add_serve_sim_commands(CLI::App& app);  // serve-sim (OpenAI-compatible simulated endpoint)
void add_bench_commands(CLI::App& app);    // bench (load generator for OpenAI-compatible endpoints)

// The data every command reads: loaded on first use from $TOKENMATH_DATA or the shipped data/ folder, then
// shared by the command (one context per process; the library itself holds none).
const Context& context();
// For `model PATH`: a config.json on disk needs no data directory (an empty context), a catalog name the shipped one.
const Context& model_context(const std::string& id_or_path);

// An InputError worded for the command line (request options as --flags).
std::string cli_wording(const InputError& e);
// A numeric option's one checked conversion: finite and within [lo, hi] (CLI11's Range lets NaN through).
CLI::Validator finite_range(double lo, double hi);

// `--engine-profile FILE` (a profile written by `calibrate --from ... --write`): adds the option to `cmd`.
void add_engine_profile_option(CLI::App* cmd, std::string& target);
// The process context, or (a profile given) a copy whose efficiency factors are the profile's, kept in `storage`.
const Context& context_for(const std::string& engine_profile, std::optional<Context>& storage);

// Adds `--format` accepting `allowed` (first is the default) and returns the string it writes to.
std::string& add_format_option(CLI::App* cmd, std::string& target, const std::vector<std::string>& allowed);
}  // namespace tokenmath::cli
