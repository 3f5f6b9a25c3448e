#include "tokenmath/plan/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "tokenmath/cost/cost.hpp"
#include "tokenmath/plan/capacity.hpp"
#include "tokenmath/plan/demand.hpp"

namespace tokenmath::plan {
namespace {

// Uniform in [0, 1) from the top 53 bits (portable: not std::uniform_real_distribution's per-library algorithm).
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Standard normal by Box-Muller.
double normal(std::mt19937_64& rng) {
  const double u1 = std::max(unit(rng), 1e-300), u2 = unit(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Triangular on [lo, hi] with its mode at the scenario's own value (clamped into the range): the declared range
// bounds what is plausible, the scenario value stays the most likely.
double triangular(double lo, double mode, double hi, double u) {
  if (!(hi > lo)) return lo;
  mode = std::clamp(mode, lo, hi);
  const double f = (mode - lo) / (hi - lo);
  return u < f ? lo + std::sqrt(u * (hi - lo) * (mode - lo)) : hi - std::sqrt((1 - u) * (hi - lo) * (hi - mode));
}

// Linear-interpolated quantiles of sorted samples.
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double f = pos - static_cast<double>(i);
  return i + 1 < sorted.size() ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

Percentiles percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {quantile(v, 0.1), quantile(v, 0.5), quantile(v, 0.9)};
}

}  // namespace

Uncertainty run_uncertainty(const Scenario& s, const PlanResult& r) {
  Uncertainty u;
  const Candidate* best = r.best();
  if (s.uncertainty_draws <= 0 || !best) return u;
  u.draws = s.uncertainty_draws;
  u.seed = static_cast<std::uint64_t>(s.uncertainty_seed);
  u.perf_error_sigma = s.uncertainty_perf_error_sigma;
  u.perf_error_bias = s.uncertainty_perf_error_bias;
  const auto sys_it = std::find_if(r.systems.begin(), r.systems.end(),
                                   [&](const catalog::SystemSpec& x) { return x.id == best->system_id; });
  if (sys_it == r.systems.end()) return u;
  const TokenPrices list = workload_prices(s, r.reference_api);
  const perf::StepModel sm(best->replica.deployment, best->replica.efficiency);
  const bool hosted = best->annual_hosted_api_usd > 0;

  std::mt19937_64 rng(u.seed);
  std::vector<double> owned, gpus, fresh, cached, output, blended, api;
  int beats_ref = 0, beats_hosted = 0, ran = 0;
  for (int i = 0; i < u.draws; ++i) {
    Scenario v = s;
    for (const auto& in : sensitivity_inputs()) {
      const auto& range = s.*in.range;
      if (range.size() == 2) in.value(v) = triangular(range[0], in.value(v), range[1], unit(rng));
    }
    // Real throughput over modelled: the model's measured error on the frontier points, its median bias included.
    const double perf_mult = std::exp(-u.perf_error_bias + u.perf_error_sigma * normal(rng));
    // The same work as the plan (steps per year), with the drawn workload shape and prices.
    const Demand d = demand_for_steps(v, list, r.demand.steps_per_year);
    const double annual_api = d.usd_per_step * v.api_price_multiplier * d.steps_per_year;
    const ReplicaCapacity rc = replica_capacity(sm, step_shape(v, d.tokens_per_step, *sys_it),
                                                {v.max_ttft_s, v.min_output_tok_s_per_user, v.slo_percentile});
    if (!rc.feasible) continue;  // the drawn shape breaks the SLO on this deployment: no owned figure
    ++ran;
    const double steps = rc.best.steps_per_s * perf_mult;
    const double replicas = std::max(1.0, std::ceil(d.peak_steps_per_s / (steps * v.peak_load_target)));
    const double g = replicas * rc.gpus;
    cost::OwnedInputs oi = cost::owned_inputs(*sys_it);
    oi.price_usd_per_gpu *= v.gpu_price_multiplier;
    const double util = std::clamp(d.average_steps_per_s / (replicas * steps), 1e-9, 1.0);
    const cost::OwnedCost per_gpu = cost::owned_cost(oi, v.cost, util);  // power at the drawn fleet's busy share
    const double annual_owned = g * per_gpu.annual_usd_per_gpu();
    const cost::TokenPrices p = cost::owned_token_prices(
        {per_gpu.total_usd_per_gpu_hour, rc.gpus,
         {rc.seconds_per_fresh_token / perf_mult, rc.seconds_per_cached_token / perf_mult,
          rc.seconds_per_output_token / perf_mult},
         util});
    owned.push_back(annual_owned);
    gpus.push_back(g);
    fresh.push_back(p.fresh_input_usd_per_mtok);
    cached.push_back(p.cached_input_usd_per_mtok);
    output.push_back(p.output_usd_per_mtok);
    blended.push_back(annual_owned / d.tokens_per_year.total() * 1e6);
    api.push_back(annual_api);
    beats_ref += annual_owned < annual_api;
    if (hosted) {
      const double annual_hosted =
          cost_usd(d.tokens_per_year, best->hosted_prices) * v.api_price_multiplier / s.api_price_multiplier;
      beats_hosted += annual_owned < annual_hosted;
    }
  }
  if (ran == 0) return u;
  u.annual_owned_usd = percentiles(owned);
  u.gpus = percentiles(gpus);
  u.owned_fresh_input_usd_per_mtok = percentiles(fresh);
  u.owned_cached_input_usd_per_mtok = percentiles(cached);
  u.owned_output_usd_per_mtok = percentiles(output);
  u.owned_blended_usd_per_mtok = percentiles(blended);
  u.annual_reference_api_usd = percentiles(api);
  u.p_own_beats_reference_api = static_cast<double>(beats_ref) / ran;
  u.p_own_beats_hosted_api = hosted ? static_cast<double>(beats_hosted) / ran : -1;
  std::sort(owned.begin(), owned.end());
  u.annual_owned_samples = std::move(owned);
  u.draws = ran;
  return u;
}

}  // namespace tokenmath::plan
