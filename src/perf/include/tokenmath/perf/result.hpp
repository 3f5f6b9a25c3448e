// What `perf` answers, as one value that renderers (report/perf.hpp) and every frontend share.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <optional>

#include "tokenmath/perf/accuracy.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::perf {

struct PerfResult {
  enum class Kind {
    frontier,     // one stated deployment: its concurrency sweep
    search,       // the deployment search, best first (and the best one's frontier)
    interactive,  // the best deployment meeting a tok/s/user target, at its operating point
    compare,      // the best deployment on each of several GPUs
  };
  Kind kind = Kind::frontier;
  std::string title;                      // "<model> on <GPU>, ISL i / OSL o" (chart title)
  double isl = 0, osl = 0;
  std::vector<DeploymentOption> options;  // frontier: the one; search: ranked; interactive: all searched; compare: one per GPU
  std::size_t top = 5;                    // search: rows listed
  double min_tok_s_user = 0;              // interactive: the target
  FrontierChoice choice;                  // interactive: index into options and the point chosen
  // What validation measured for this model, its GPU(s) and engine(s) (data/validation/accuracy.json).
  std::optional<AccuracyNote> accuracy;
};

}  // namespace tokenmath::perf
