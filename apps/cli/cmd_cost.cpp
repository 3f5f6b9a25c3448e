#include "commands.hpp"

namespace tokenmath::cli {
void add_cost_commands(CLI::App& /*app*/) {}
}  // namespace tokenmath::cli
