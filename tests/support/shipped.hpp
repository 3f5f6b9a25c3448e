// The shipped data as one Context, loaded once per test binary (ctest sets TOKENMATH_DATA to data/). Test code
// only: the library holds no such object; frontends build their own.
#pragma once
#include "tokenmath/context.hpp"

namespace tokenmath::test {
inline const Context& shipped() {
  static const Context ctx = Context::load_default();
  return ctx;
}
}  // namespace tokenmath::test
