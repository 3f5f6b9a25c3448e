#pragma once
#include <filesystem>

namespace tokenmath {
// Directory holding the shipped data files: $TOKENMATH_DATA if set, else the source tree's data/ folder
// recorded at build time.
std::filesystem::path data_dir();
}  // namespace tokenmath
