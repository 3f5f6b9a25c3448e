#include "tokenmath/api/bench.hpp"

namespace tokenmath::api {

loadgen::BenchResult bench(const loadgen::BenchConfig& config, const loadgen::BenchHooks& hooks) {
  return loadgen::run_bench(config, hooks);
}

}  // namespace tokenmath::api
