#include "commands.hpp"

namespace tokenmath::cli {
void add_plan_commands(CLI::App& /*app*/) {}
}  // namespace tokenmath::cli
