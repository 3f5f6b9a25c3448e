#include "commands.hpp"

namespace tokenmath::cli {
void add_hardware_commands(CLI::App& /*app*/) {}
}  // namespace tokenmath::cli
