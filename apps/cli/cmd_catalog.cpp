#include "commands.hpp"

namespace tokenmath::cli {
void add_catalog_commands(CLI::App& /*app*/) {}
}  // namespace tokenmath::cli
