#include "tokenmath/api/bench.hpp"

#include <fmt/format.h>

#include <cmath>

#include "tokenmath/common/error.hpp"
#include "tokenmath/sim/workload.hpp"

namespace tokenmath::api {

loadgen::BenchResult bench(const loadgen::BenchConfig& config, const loadgen::BenchHooks& hooks) {
  return loadgen::run_bench(config, hooks);
}

std::vector<loadgen::ScheduledRequest> bench_schedule(const std::string& path, const std::string& format,
                                                      double speedup) {
  if (!(speedup > 0) || !std::isfinite(speedup))
    throw InputError(kRequest, "`speedup`", fmt::format("{}", speedup), "must be a positive number");
  const sim::Trace t = sim::load_trace(path, format);
  std::vector<loadgen::ScheduledRequest> out;
  out.reserve(t.rows.size());
  for (const auto& row : t.rows) {
    loadgen::ScheduledRequest r;
    r.time_s = row.time_s / speedup;
    r.isl = std::max(1, row.input_tokens);
    r.osl = std::max(1, row.output_tokens);
    r.blocks = row.hash_ids;
    r.block_words = t.block_tokens;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tokenmath::api
