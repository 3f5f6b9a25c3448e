#include "tokenmath/plan/finance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tokenmath::plan {

double break_even_utilisation(double owned_usd_per_year, double capacity_tokens_per_year, double api_usd_per_token) {
  const double denom = capacity_tokens_per_year * api_usd_per_token;
  return denom > 0 ? owned_usd_per_year / denom : std::numeric_limits<double>::infinity();
}

double payback_years(double capex_usd, double api_usd_per_year, double owned_opex_usd_per_year) {
  const double saving = api_usd_per_year - owned_opex_usd_per_year;
  return saving > 0 ? capex_usd / saving : std::numeric_limits<double>::infinity();
}

namespace {
HybridPoint evaluate(const std::vector<LoadBlock>& load, double c, long long replicas, long long full,
                     double usd_per_replica, double api_usd_per_step) {
  HybridPoint p;
  p.replicas = replicas;
  p.owned_fraction = full > 0 ? static_cast<double>(replicas) / static_cast<double>(full) : 1.0;
  p.owned_usd_per_year = static_cast<double>(replicas) * usd_per_replica;
  const double capacity = static_cast<double>(replicas) * c;
  double all_steps = 0, owned_steps = 0;
  for (const auto& b : load) {
    const double steps = b.steps_per_s * b.hours_per_year * 3600.0;
    const double owned = std::min(b.steps_per_s, capacity) * b.hours_per_year * 3600.0;
    all_steps += steps;
    owned_steps += owned;
  }
  p.api_usd_per_year = (all_steps - owned_steps) * api_usd_per_step;
  p.owned_share_of_steps = all_steps > 0 ? owned_steps / all_steps : 0;
  return p;
}
}  // namespace

HybridResult hybrid_split(const std::vector<LoadBlock>& load, double c, long long full, double usd_per_replica,
                          double api_usd_per_step, int points) {
  HybridResult r;
  points = std::max(points, 2);
  for (int i = 0; i < points; ++i) {
    const double f = static_cast<double>(i) / (points - 1);
    const auto replicas = static_cast<long long>(std::llround(f * static_cast<double>(full)));
    auto p = evaluate(load, c, replicas, full, usd_per_replica, api_usd_per_step);
    p.owned_fraction = f;
    r.curve.push_back(p);
  }
  // The API share only changes where R x c crosses a block's load, so the optimum is at R = 0, R = full, or
  // the smallest R covering one of the block loads (ceil(load / c)) or the one just below it.
  std::vector<long long> candidates = {0, full};
  if (c > 0)
    for (const auto& b : load) {
      const auto k = static_cast<long long>(std::ceil(b.steps_per_s / c));
      for (long long x : {k - 1, k})
        if (x >= 0 && x <= full) candidates.push_back(x);
    }
  r.best = evaluate(load, c, 0, full, usd_per_replica, api_usd_per_step);
  for (long long x : candidates) {
    auto p = evaluate(load, c, x, full, usd_per_replica, api_usd_per_step);
    if (p.total_usd_per_year() < r.best.total_usd_per_year()) r.best = p;
  }
  return r;
}

}  // namespace tokenmath::plan
