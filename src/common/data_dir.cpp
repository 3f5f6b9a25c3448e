#include "tokenmath/common/data_dir.hpp"

#include <cstdlib>

namespace tokenmath {
std::filesystem::path data_dir() {
  if (const char* env = std::getenv("TOKENMATH_DATA"); env && *env) return env;
  return TOKENMATH_DATA_DIR;
}
}  // namespace tokenmath
