#include "commands.hpp"

namespace tokenmath::cli {
void add_sim_commands(CLI::App& /*app*/) {}
}  // namespace tokenmath::cli
