#include "tokenmath/plan/finance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tokenmath::plan {

double break_even_utilisation(double owned_idle_usd_per_year, double capacity_per_year, double api_usd_per_unit,
                              double owned_usd_per_unit) {
  const double denom = capacity_per_year * (api_usd_per_unit - owned_usd_per_unit);
  return denom > 0 ? owned_idle_usd_per_year / denom : std::numeric_limits<double>::infinity();
}

double payback_years(double capex_usd, double api_usd_per_year, double owned_opex_usd_per_year) {
  const double saving = api_usd_per_year - owned_opex_usd_per_year;
  return saving > 0 ? capex_usd / saving : std::numeric_limits<double>::infinity();
}

double discounted_payback_years(double capex_usd, double api_usd_per_year, double owned_opex_usd_per_year, double rate) {
  const double saving = api_usd_per_year - owned_opex_usd_per_year;
  if (!(saving > 0)) return std::numeric_limits<double>::infinity();
  if (rate <= 0) return capex_usd / saving;
  const double x = 1.0 - rate * capex_usd / saving;
  if (!(x > 0)) return std::numeric_limits<double>::infinity();
  return -std::log(x) / std::log1p(rate);
}

double ApiTerms::prepaid_list_usd() const { return commit_usd_per_year / std::max(1e-12, 1.0 - commit_discount); }

double ApiTerms::bill(double list_usd) const {
  if (commit_usd_per_year <= 0) return list_usd;
  // What exceeds the prepaid usage pays list.
  return commit_usd_per_year + std::max(0.0, list_usd - prepaid_list_usd());
}

namespace {
HybridPoint evaluate(const std::vector<LoadBlock>& load, double c, long long replicas, long long full,
                     double usd_per_replica, double api_usd_per_step, double overflow_usd_per_step,
                     double owned_usd_per_step, const ApiTerms& terms) {
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
    if (b.hours_per_year > 0) p.api_peak_steps_per_s = std::max(p.api_peak_steps_per_s, b.steps_per_s - capacity);
  }
  p.feasible = p.api_peak_steps_per_s <= terms.max_steps_per_s * (1 + 1e-12);
  // All-API (no owned replica): whole sessions run on the API at its own price; with owned replicas the overflow is
  // billed at overflow_usd_per_step (a cold step when the session's prefix lives on the owned fleet).
  const double price = replicas > 0 && overflow_usd_per_step >= 0 ? overflow_usd_per_step : api_usd_per_step;
  p.api_usd_per_year = terms.bill((all_steps - owned_steps) * price);
  p.owned_usd_per_year += owned_steps * owned_usd_per_step;
  p.owned_share_of_steps = all_steps > 0 ? owned_steps / all_steps : 0;
  return p;
}

// Smallest x in [0, full] with pred(x), for a pred that is false then true as x grows (pred(full) assumed true).
template <class Pred>
long long first_true(long long full, Pred pred) {
  long long lo = 0, hi = full;
  while (lo < hi) {
    const long long mid = lo + (hi - lo) / 2;
    if (pred(mid)) hi = mid; else lo = mid + 1;
  }
  return lo;
}

// The fewest of `full` replicas whose overflow the API's rate limit accepts in every hour (0 without a limit):
// the peak overflow falls as replicas are added, so feasibility is monotone in R.
long long min_feasible_replicas(const std::vector<LoadBlock>& load, double c, long long full, const ApiTerms& terms) {
  if (!std::isfinite(terms.max_steps_per_s)) return 0;
  return first_true(full, [&](long long x) { return evaluate(load, c, x, full, 0, 0, -1, 0, terms).feasible; });
}
}  // namespace

HybridPoint hybrid_point(const std::vector<LoadBlock>& load, double c, long long replicas, long long full,
                         double usd_per_replica, double api_usd_per_step, double overflow_usd_per_step,
                         double owned_usd_per_step, const ApiTerms& terms) {
  return evaluate(load, c, replicas, full, usd_per_replica, api_usd_per_step, overflow_usd_per_step,
                  owned_usd_per_step, terms);
}

HybridResult hybrid_split(const std::vector<LoadBlock>& load, double c, long long full, double usd_per_replica,
                          double api_usd_per_step, int points, double overflow_usd_per_step,
                          double owned_usd_per_step, const ApiTerms& terms) {
  HybridResult r;
  points = std::max(points, 2);
  for (int i = 0; i < points; ++i) {
    const double f = static_cast<double>(i) / (points - 1);
    const auto replicas = static_cast<long long>(std::llround(f * static_cast<double>(full)));
    auto p = evaluate(load, c, replicas, full, usd_per_replica, api_usd_per_step, overflow_usd_per_step,
                      owned_usd_per_step, terms);
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
  // The API's terms add two kinks: the fewest replicas its rate limit allows (the peak overflow falls as R grows),
  // and the R where the overflow's list price uses up the commitment (the API's marginal price steps from 0 to
  // list there). Both are monotone in R, so each is found by bisection.
  auto eval = [&](long long x) {
    return evaluate(load, c, x, full, usd_per_replica, api_usd_per_step, overflow_usd_per_step, owned_usd_per_step,
                    terms);
  };
  r.min_replicas = min_feasible_replicas(load, c, full, terms);
  candidates.push_back(r.min_replicas);
  if (terms.commit_usd_per_year > 0) {
    const double covered = terms.prepaid_list_usd();
    auto list_api = [&](long long x) {
      ApiTerms plain = terms;
      plain.commit_usd_per_year = 0;
      return evaluate(load, c, x, full, usd_per_replica, api_usd_per_step, overflow_usd_per_step, owned_usd_per_step,
                      plain)
          .api_usd_per_year;
    };
    const long long k = first_true(full, [&](long long x) { return list_api(x) <= covered; });
    for (long long x : {k - 1, k})
      if (x >= 0 && x <= full) candidates.push_back(x);
  }
  bool have = false;
  for (long long x : candidates) {
    auto p = eval(x);
    if (!p.feasible) continue;
    if (!have || p.total_usd_per_year() < r.best.total_usd_per_year()) r.best = p, have = true;
  }
  if (!have) r.best = eval(full);  // all-owned never overflows, so this is only reached with full = 0
  return r;
}

namespace {
// Installed cohorts of one option: (year bought, replicas). Buys what `needed` exceeds the cohorts still in life.
struct Fleet {
  std::vector<std::pair<int, long long>> cohorts;
  long long in_life(int y, double life) const {
    long long n = 0;
    for (const auto& [b, k] : cohorts)
      if (y < b + life) n += k;
    return n;
  }
  // Replicas whose life ends at the start of year y (life is a whole number of years).
  long long retiring(int y, double life) const {
    long long n = 0;
    for (const auto& [b, k] : cohorts)
      if (static_cast<double>(y) == b + life) n += k;
    return n;
  }
  // Returns the replicas bought at the start of year y.
  long long top_up(int y, long long needed, double life) {
    const long long have = in_life(y, life);
    if (needed <= have) return 0;
    cohorts.push_back({y, needed - have});
    return needed - have;
  }
  // Resale value at the end of year `end` (exclusive) of cohorts still in life: linear from capex to residual.
  double residual(int end, double life, double capex, double residual_fraction) const {
    double v = 0;
    for (const auto& [b, k] : cohorts) {
      const double age = std::min(static_cast<double>(end - b), life);  // a cohort retiring at the end is resold too
      if (static_cast<double>(end) - 1 >= b + life) continue;             // retired (and resold) before the end
      v += static_cast<double>(k) * capex * (1.0 - (1.0 - residual_fraction) * age / life);
    }
    return v;
  }
};
}  // namespace

HorizonView horizon_view(const HorizonInputs& in) {
  HorizonView v;
  v.in = in;
  const double life = std::max(1.0, std::round(in.lifetime_years));
  Fleet owned, hybrid;
  auto pv_start = [&](int y) { return std::pow(1.0 + in.rate, -static_cast<double>(y)); };
  auto pv_mid = [&](int y) { return std::pow(1.0 + in.rate, -(static_cast<double>(y) + 0.5)); };
  for (int y = 0; y < in.years; ++y) {
    HorizonYear hy;
    hy.year = y;
    hy.demand_factor = std::pow(1.0 + in.growth, y);
    const double price_factor = std::pow(1.0 - in.api_decline, y);
    // All owned: the fleet grows with the peak (same sizing rule as year 0), whole replicas.
    const auto needed = static_cast<long long>(std::ceil(static_cast<double>(in.replicas_year0) * hy.demand_factor - 1e-9));
    hy.resale_usd = static_cast<double>(owned.retiring(y, life)) * in.capex_per_replica * in.residual_fraction;
    hy.capex_usd = static_cast<double>(owned.top_up(y, needed, life)) * in.capex_per_replica;
    hy.owned_replicas = owned.in_life(y, life);
    double year_steps = 0;
    for (const auto& b : in.load_year0) year_steps += b.steps_per_s * b.hours_per_year * 3600.0 * hy.demand_factor;
    // Idle running costs of every installed replica, plus the power its steps add (the fleet serves all of them).
    hy.opex_usd = static_cast<double>(hy.owned_replicas) * in.opex_per_replica_year + year_steps * in.owned_usd_per_step;
    hy.api_usd = in.api_usd_year0 * hy.demand_factor * price_factor;
    hy.hosted_api_usd = in.hosted_api_usd_year0 * hy.demand_factor * price_factor;
    // Hybrid: year 0's owned replicas, refreshed; the grown load beyond them overflows at that year's price.
    std::vector<LoadBlock> load = in.load_year0;
    for (auto& b : load) b.steps_per_s *= hy.demand_factor;
    const double overflow_price = in.overflow_usd_per_step_year0 * price_factor;
    const double api_price = in.api_usd_per_step_year0 * price_factor;
    // Replicas already in life are sunk: the year's choice weighs only new replicas (annualised) against the
    // overflow they save. With none installed, all-API (whole sessions, warm) is a choice too.
    const long long installed = hybrid.in_life(y, life);
    long long want = 0;
    if (installed == 0) {
      want = hybrid_split(load, in.steps_per_s_per_replica, needed, in.owned_usd_per_replica_year, api_price, 2,
                          overflow_price, in.owned_usd_per_step, in.terms)
                 .best.replicas;
    } else {
      std::vector<long long> options = {installed, std::max(installed, needed)};
      // The fewest replicas the API's rate limit allows this year.
      if (const long long k = min_feasible_replicas(load, in.steps_per_s_per_replica, needed, in.terms);
          k > installed && k <= needed)
        options.push_back(k);
      if (in.steps_per_s_per_replica > 0)
        for (const auto& b : load) {
          const auto k = static_cast<long long>(std::ceil(b.steps_per_s / in.steps_per_s_per_replica));
          for (long long x : {k - 1, k})
            if (x > installed && x <= needed) options.push_back(x);
        }
      double best = std::numeric_limits<double>::infinity();
      for (long long x : options) {
        const HybridPoint p = hybrid_point(load, in.steps_per_s_per_replica, x, needed, 0, api_price, overflow_price,
                                           in.owned_usd_per_step, in.terms);
        if (!p.feasible && x < needed) continue;
        const double cost = static_cast<double>(x - installed) * in.owned_usd_per_replica_year + p.total_usd_per_year();
        if (cost < best) best = cost, want = x;
      }
    }
    hy.hybrid_resale_usd = static_cast<double>(hybrid.retiring(y, life)) * in.capex_per_replica * in.residual_fraction;
    hy.hybrid_capex_usd = static_cast<double>(hybrid.top_up(y, want, life)) * in.capex_per_replica;
    hy.hybrid_replicas = hybrid.in_life(y, life);
    const HybridPoint hp = hybrid_point(load, in.steps_per_s_per_replica, hy.hybrid_replicas, needed, 0, api_price,
                                        overflow_price, in.owned_usd_per_step, in.terms);
    hy.hybrid_opex_usd = static_cast<double>(hy.hybrid_replicas) * in.opex_per_replica_year + hp.owned_usd_per_year;
    hy.hybrid_api_usd = hp.api_usd_per_year;
    v.npv_owned_usd += (hy.capex_usd - hy.resale_usd) * pv_start(y) + hy.opex_usd * pv_mid(y);
    v.npv_api_usd += hy.api_usd * pv_mid(y);
    v.npv_hosted_api_usd += hy.hosted_api_usd * pv_mid(y);
    v.npv_hybrid_usd += (hy.hybrid_capex_usd - hy.hybrid_resale_usd) * pv_start(y) +
                        (hy.hybrid_opex_usd + hy.hybrid_api_usd) * pv_mid(y);
    v.years.push_back(hy);
  }
  v.residual_owned_usd = owned.residual(in.years, life, in.capex_per_replica, in.residual_fraction);
  v.residual_hybrid_usd = hybrid.residual(in.years, life, in.capex_per_replica, in.residual_fraction);
  v.npv_owned_usd -= v.residual_owned_usd * pv_start(in.years);
  v.npv_hybrid_usd -= v.residual_hybrid_usd * pv_start(in.years);
  return v;
}

}  // namespace tokenmath::plan
