#include "commands.hpp"

namespace tokenmath::cli {
void add_perf_commands(CLI::App& /*app*/) {}
}  // namespace tokenmath::cli
