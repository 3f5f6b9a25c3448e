#include "tokenmath/plan/demand.hpp"

#include <algorithm>
#include <numeric>

namespace tokenmath::plan {

double cost_usd(const TokenMix& t, const TokenPrices& p) {
  return (t.fresh_input * p.fresh_input_usd_per_mtok + t.cached_input * p.cached_input_usd_per_mtok +
          t.output * p.output_usd_per_mtok) /
         1e6;
}

TokenMix tokens_per_step(const Scenario& s) {
  return {(1.0 - s.cache_hit_rate) * s.input_tokens_per_step, s.cache_hit_rate * s.input_tokens_per_step,
          s.output_tokens_per_step};
}

Demand compute_demand(const Scenario& s, const TokenPrices& prices) {
  const double usd_per_step = cost_usd(tokens_per_step(s), prices);
  const double budget = s.engineers * s.budget_usd_per_engineer_year;
  Demand d = demand_for_steps(s, prices, usd_per_step > 0 ? budget / usd_per_step : 0);
  d.budget_usd_per_year = budget;
  return d;
}

Demand demand_for_steps(const Scenario& s, const TokenPrices& prices, double steps_per_year) {
  Demand d;
  d.reference_prices = prices;
  d.tokens_per_step = tokens_per_step(s);
  d.usd_per_step = cost_usd(d.tokens_per_step, prices);
  d.steps_per_year = steps_per_year;
  d.budget_usd_per_year = steps_per_year * d.usd_per_step;
  d.tokens_per_year = d.tokens_per_step.scaled(d.steps_per_year);

  constexpr double kHoursPerYear = 8760, kSecondsPerHour = 3600;
  // Non-working days (weekends, holidays) carry off_day_share of a working day's steps each, flat over 24 h.
  const double off_days = std::max(0.0, kHoursPerYear / 24.0 - s.working_days_per_year);
  const double steps_per_day = d.steps_per_year / (s.working_days_per_year + off_days * s.off_day_share);
  const double weight_sum = std::accumulate(s.hourly_profile.begin(), s.hourly_profile.end(), 0.0);
  d.steps_per_s_by_hour.reserve(s.hourly_profile.size());
  for (double w : s.hourly_profile) {
    const double rate = steps_per_day * w / weight_sum / kSecondsPerHour;
    d.steps_per_s_by_hour.push_back(rate);
    d.load_duration.push_back({rate, s.working_days_per_year});
  }
  if (off_days > 0)
    d.load_duration.push_back({steps_per_day * s.off_day_share / (24.0 * kSecondsPerHour), 24.0 * off_days});
  d.average_steps_per_s = d.steps_per_year / (kHoursPerYear * kSecondsPerHour);
  d.peak_hour_steps_per_s = *std::max_element(d.steps_per_s_by_hour.begin(), d.steps_per_s_by_hour.end());
  d.peak_steps_per_s = d.peak_hour_steps_per_s * s.burst_factor;
  return d;
}

}  // namespace tokenmath::plan
