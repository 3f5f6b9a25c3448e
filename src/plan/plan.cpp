#include "tokenmath/plan/plan.hpp"
#include "tokenmath/plan/uncertainty.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/cost/rental.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/validate.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::plan {
namespace {

constexpr double kSecondsPerYear = 8760.0 * 3600.0;

std::string scenario_file(const Scenario& s) { return s.file.empty() ? s.defaults_file : s.file; }

// Prompt tokens one agent step sends (its whole context: fresh and cached).
double step_input_tokens(const Demand& d) { return d.tokens_per_step.input(); }

// Why an API endpoint cannot take a step of `input_tokens` ("" when it can, or when no limit is listed).
std::string context_limit(const cost::ApiPrice& p, double input_tokens) {
  if (p.max_input_tokens <= 0 || input_tokens <= static_cast<double>(p.max_input_tokens)) return "";
  return fmt::format("its max_input_tokens {} is below the step's {:.0f} input tokens", p.max_input_tokens,
                     input_tokens);
}

// The scenario's price list: the context's own when the scenario names that file, else read from disk.
const std::vector<cost::ApiPrice>& price_list(const Context& ctx, const Scenario& s, std::vector<cost::ApiPrice>& storage) {
  std::filesystem::path path = s.price_list;
  if (path.is_relative()) path = ctx.data_dir / path;
  const std::vector<cost::ApiPrice>* prices = nullptr;
  if (same_file(path, ctx.api_prices_path)) {
    prices = &ctx.api_prices;
  } else {
    if (!path_exists(path))
      throw InputError(scenario_file(s), "demand.price_list", s.price_list,
                       "no such file (looked at " + path.string() + ")");
    storage = cost::load_litellm_prices(path);
    prices = &storage;
  }
  return *prices;
}

const cost::ApiPrice& reference_price(const Context& ctx, const Scenario& s, const std::vector<cost::ApiPrice>& prices_in) {
  const auto* prices = &prices_in;
  std::filesystem::path path = s.price_list;
  if (path.is_relative()) path = ctx.data_dir / path;
  const cost::ApiPrice* p = cost::find_api_price(*prices, s.reference_api_model);
  if (!p) {
    std::vector<std::string> keys;
    for (const auto& x : *prices) keys.push_back(x.model);
    throw InputError(scenario_file(s), "demand.reference_api_model", s.reference_api_model,
                     "not in the price list " + path.string() + did_you_mean(s.reference_api_model, keys));
  }
  return *p;
}


std::vector<catalog::Precision> weight_precisions(const Scenario& s, const catalog::ModelSpec& m,
                                                  const catalog::GpuSpec& gpu) {
  std::vector<catalog::Precision> out;
  for (std::size_t i = 0; i < s.weight_precisions.size(); ++i) {
    const std::string& name = s.weight_precisions[i];
    catalog::Precision p;
    if (to_lower(name) == "native") {
      p = m.native_weight_precision;
    } else {
      p = catalog::parse_precision(name, scenario_file(s), fmt::format("candidates.weight_precisions[{}]", i));
      // A format the GPU cannot compute in is skipped (the model as shipped is always tried).
      if (gpu.peak_flops(catalog::compute_class(p)) <= 0) continue;
      // Never store weights wider than shipped (no quality is gained by up-casting).
      if (catalog::bytes_per_element(p) > catalog::bytes_per_element(m.native_weight_precision)) continue;
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

// Deployment shapes tried for one model on one system: GPUs per replica 1, 2, 4, 8, ... up to the scale-up
// domain (and the domain size itself, e.g. 72); dense models run tensor-parallel (TP <= 8); MoE models also run
// TP with expert parallelism, and attention-DP + EP ("DEP") across any count, also 16 and 32 GPUs across
// scale-up domains; every shape also with the model's speculative drafts (candidates.speculative).
std::vector<perf::Deployment> deployments(const Context& ctx, const Scenario& s, const std::shared_ptr<const catalog::ModelSpec>& m,
                                          const catalog::GpuSpec& gpu, const catalog::SystemSpec& sys) {
  const catalog::Precision kv = catalog::parse_precision(s.kv_precision, scenario_file(s), "candidates.kv_precision");
  std::vector<int> counts;
  for (int n = 1; n <= sys.scaleup_domain_gpus; n *= 2) counts.push_back(n);
  if (counts.back() != sys.scaleup_domain_gpus) counts.push_back(sys.scaleup_domain_gpus);
  // MoE models also span scale-up domains with attention DP + wide EP over the scale-out network (DEP16/32 across
  // HGX nodes over InfiniBand/RoCE; the step model prices the all-to-all at the NIC's bandwidth).
  if (m->is_moe())
    for (int n : {16, 32})
      if (n > sys.scaleup_domain_gpus) counts.push_back(n);
  std::vector<perf::Deployment> out;
  for (catalog::Precision wp : weight_precisions(s, *m, gpu)) {
    for (int n : counts) {
      perf::DeploymentIntent in;
      in.model = m;
      in.gpu = gpu;
      in.tp = n;
      if (wp != m->native_weight_precision) in.weights = wp;  // native: gpt-oss's experts-only format
      in.kv = kv;
      in.knobs.max_num_seqs = 4096;  // the KV pool, not a sequence cap, limits concurrency at these contexts
      perf::Deployment d = perf::make_deployment(in);
      if (n <= 8) out.push_back(d);
      if (m->is_moe() && n > 1) {
        perf::Deployment ep = d;
        ep.ep = n;
        if (n <= 8) out.push_back(ep);
        ep.attention_dp = true;
        out.push_back(ep);  // DEP: inside the domain over NVLink / Infinity Fabric, beyond it over the NIC
      }
    }
  }
  // Speculative decoding is a search choice: every shape also with each of the model's shipped drafts.
  if (s.speculative == "auto") {
    const auto specs = ctx.speculative.search_options(*m);
    const std::size_t plain = out.size();
    for (std::size_t i = 0; i < plain; ++i)
      for (const auto& sp : specs) {
        perf::Deployment d = out[i];
        d.spec = sp;
        out.push_back(d);
      }
  }
  return out;
}

Candidate evaluate(const Context& ctx, const Scenario& s, const Demand& demand, double api_usd_per_step,
                   const std::shared_ptr<const catalog::ModelSpec>& model, const catalog::SystemSpec& sys,
                   const catalog::GpuSpec& gpu, const cost::ApiPrice* hosted) {
  Candidate c;
  const double step_input = step_input_tokens(demand);
  if (hosted && !(c.hosted_api_unusable = context_limit(*hosted, step_input)).empty()) {
    // Listed, but its endpoint cannot take the step: not a price for this workload, not an overflow target.
    c.hosted_api_model = hosted->model;
    hosted = nullptr;
  }
  if (hosted) {
    c.hosted_api_model = hosted->model;
    const TokenPrices list_prices = workload_prices(s, *hosted);
    c.hosted_prices = {list_prices.fresh_input_usd_per_mtok * s.api_price_multiplier,
                       list_prices.cached_input_usd_per_mtok * s.api_price_multiplier,
                       list_prices.output_usd_per_mtok * s.api_price_multiplier};
    c.annual_hosted_api_usd = cost_usd(demand.tokens_per_year, c.hosted_prices);
  }
  c.model_id = model->id;
  c.model_name = model->display_name;
  c.system_id = sys.id;
  c.system_name = sys.name;
  c.gpu_id = gpu.id;
  c.preliminary = sys.preliminary || gpu.preliminary;
  // A step longer than the model's context window cannot be served by any deployment of it.
  const double step_tokens = step_input + demand.tokens_per_step.output;
  if (model->max_context > 0 && step_tokens > static_cast<double>(model->max_context)) {
    c.reason = fmt::format("a step of {:.0f} tokens exceeds the model's context window ({} tokens, config.json "
                           "max_position_embeddings; a long-context variant or a config with rope_scaling would "
                           "serve it)", step_tokens, model->max_context);
    return c;
  }

  c.shape = step_shape(s, demand.tokens_per_step, sys);
  const StepShape& shape = c.shape;
  const Slo slo{s.max_ttft_s, s.min_output_tok_s_per_user, s.slo_percentile};
  const perf::Efficiency eff = ctx.efficiency.for_gpu(gpu, perf::engine_for_gpu(s.engine, gpu, ctx.engines));
  std::string memory_reason, slo_reason;
  double best_slo_speed = 0;
  long long best_gpus = std::numeric_limits<long long>::max();
  for (const auto& d : deployments(ctx, s, model, gpu, sys)) {
    ++c.deployments_tried;
    const perf::StepModel sm(d, eff);
    ReplicaCapacity rc = replica_capacity(sm, shape, slo);
    rc.label = perf::deployment_label(d);
    if (!rc.feasible) {
      // Report the closest miss: among deployments that fit, the one with the fastest single-sequence decode.
      const double speed = rc.frontier.empty() ? 0 : rc.frontier.front().tok_s_per_user;
      if (!sm.feasible())
        memory_reason = rc.label + ": " + rc.reason;
      else if (slo_reason.empty() || speed > best_slo_speed)
        slo_reason = rc.label + ": " + rc.reason, best_slo_speed = speed;
      continue;
    }
    const double usable = rc.best.steps_per_s * s.peak_load_target;
    const auto replicas = static_cast<long long>(std::max(1.0, std::ceil(demand.peak_steps_per_s / usable)));
    const long long gpus = replicas * rc.gpus;
    const bool better = gpus < best_gpus || (gpus == best_gpus && rc.best.steps_per_s / rc.gpus >
                                                                      c.replica.best.steps_per_s / c.replica.gpus);
    if (better) {
      best_gpus = gpus;
      c.replica = std::move(rc);
      c.replicas = replicas;
      c.gpus = gpus;
      c.feasible = true;
    }
  }
  if (!c.feasible) {
    c.reason = !slo_reason.empty()      ? "no deployment meets the SLOs (closest: " + slo_reason + ")"
               : !memory_reason.empty() ? "does not fit (e.g. " + memory_reason + ")"
                                        : "no deployment to try (no weight precision the GPU supports)";
    return c;
  }

  const double g = static_cast<double>(c.gpus);
  c.nodes = (c.gpus + sys.gpus_per_node - 1) / sys.gpus_per_node;
  c.racks = (c.gpus + sys.gpus_per_rack - 1) / sys.gpus_per_rack;
  c.scaleup_domains = (c.gpus + sys.scaleup_domain_gpus - 1) / sys.scaleup_domain_gpus;
  const double fleet_steps_per_s = static_cast<double>(c.replicas) * c.replica.best.steps_per_s;
  c.utilisation = demand.average_steps_per_s / fleet_steps_per_s;
  cost::OwnedInputs in = cost::owned_inputs(sys);
  in.price_usd_per_gpu *= s.gpu_price_multiplier;
  // Power is priced at the fleet's busy share (the load-duration curve's average over the year, daily cycle and
  // off days included); every other line is paid per GPU whatever the load.
  c.per_gpu = cost::owned_cost(in, s.cost, std::min(1.0, c.utilisation));
  c.it_mw = g * c.per_gpu.wall_kw_per_gpu / 1000.0;
  c.facility_mw = g * c.per_gpu.facility_kw_per_gpu / 1000.0;

  c.capex_usd = g * c.per_gpu.capex_usd_per_gpu;
  c.annual_capital_usd = g * c.per_gpu.capital_usd_per_gpu_year();
  c.annual_opex_usd = g * c.per_gpu.opex_usd_per_gpu_year();
  c.annual_owned_usd = g * c.per_gpu.annual_usd_per_gpu();
  c.annual_lines = owned_lines(c.per_gpu, g);
  c.annual_owned_idle_usd = g * c.per_gpu.idle_usd_per_gpu_year();
  // Serving adds only the power above the idle draw: per agent step, a replica's GPUs busy for 1 / steps_per_s.
  c.owned_usd_per_step =
      c.per_gpu.busy_extra_power_usd_per_gpu_hour() * c.replica.gpus / 3600.0 / c.replica.best.steps_per_s;
  c.owned_prices = cost::owned_token_prices(
      {c.per_gpu.total_usd_per_gpu_hour,
       c.replica.gpus,
       {c.replica.seconds_per_fresh_token, c.replica.seconds_per_cached_token, c.replica.seconds_per_output_token},
       std::min(1.0, c.utilisation)});
  c.owned_blended_usd_per_mtok = c.annual_owned_usd / demand.tokens_per_year.total() * 1e6;

  if (const auto* r = cost::find_rental_price(ctx.rentals, gpu.id, s.rented_tier)) {
    c.rented_usd_per_gpu_hour = r->usd_per_gpu_hour;
    // GPU-hours billed: reserved = peak fleet x hours_per_year; autoscaled = per block of the load-duration
    // curve, the replicas its load needs (same sizing rule as the peak) x GPUs per replica x its hours.
    double gpu_hours = g * s.rented_hours_per_year;
    if (s.rented_billing == "autoscaled") {
      gpu_hours = 0;
      const double usable = c.replica.best.steps_per_s * s.peak_load_target;
      for (const auto& b : demand.load_duration)
        gpu_hours += std::ceil(b.steps_per_s * s.burst_factor / usable) * c.replica.gpus * b.hours_per_year;
    }
    c.rented_gpu_hours_per_year = gpu_hours;
    c.annual_rented_usd = gpu_hours * r->usd_per_gpu_hour;
    const double k = c.annual_rented_usd / c.annual_owned_usd;
    c.rented_prices = {c.owned_prices.fresh_input_usd_per_mtok * k, c.owned_prices.cached_input_usd_per_mtok * k,
                       c.owned_prices.cache_write_usd_per_mtok * k, c.owned_prices.output_usd_per_mtok * k};
  }

  const double api_annual = demand.steps_per_year * api_usd_per_step;
  c.break_even_utilisation = break_even_utilisation(c.annual_owned_idle_usd, fleet_steps_per_s * kSecondsPerYear,
                                                    api_usd_per_step, c.owned_usd_per_step);
  // One replica serves the peak of E engineers while E x peak per engineer <= its usable steps/s; owning wins
  // for the smallest E whose API spend E x budget x multiplier reaches one replica's annual cost (its idle cost
  // plus the power their steps add), provided that E still fits one replica (otherwise the per-engineer cost of
  // owning exceeds the API's at every size).
  // A replica's yearly cost before it serves anything; serving adds owned_usd_per_step per step.
  const double usd_per_replica = c.annual_owned_idle_usd / static_cast<double>(c.replicas);
  const double api_per_engineer = api_annual / s.engineers;
  const double power_per_engineer = demand.steps_per_year / s.engineers * c.owned_usd_per_step;
  const double engineers_per_replica =
      c.replica.best.steps_per_s * s.peak_load_target / (demand.peak_steps_per_s / s.engineers);
  const double e_star = api_per_engineer > power_per_engineer ? usd_per_replica / (api_per_engineer - power_per_engineer)
                                                              : std::numeric_limits<double>::infinity();
  c.break_even_engineers = e_star <= engineers_per_replica ? e_star : std::numeric_limits<double>::infinity();
  c.payback_years = payback_years(c.capex_usd, api_annual, c.annual_opex_usd);
  c.discounted_payback_years = discounted_payback_years(c.capex_usd, api_annual, c.annual_opex_usd, s.cost.cost_of_capital);
  // `hosted` is null here when the model has no hosted API or it cannot serve the step (context limit).
  c.hosted_payback_years = hosted ? payback_years(c.capex_usd, c.annual_hosted_api_usd, c.annual_opex_usd)
                                  : std::numeric_limits<double>::infinity();
  c.hosted_discounted_payback_years =
      hosted ? discounted_payback_years(c.capex_usd, c.annual_hosted_api_usd, c.annual_opex_usd, s.cost.cost_of_capital)
             : std::numeric_limits<double>::infinity();
  const double hosted_usd_per_step = hosted ? cost_usd(demand.tokens_per_step, c.hosted_prices) : 0.0;
  if (hosted)
    c.hosted_break_even_utilisation =
        break_even_utilisation(c.annual_owned_idle_usd, fleet_steps_per_s * kSecondsPerYear, hosted_usd_per_step,
                               c.owned_usd_per_step);
  // Overflow goes to the same model's hosted API when asked and priced (quality unchanged), else the reference.
  const bool same = s.hybrid_overflow_api == "same_model" && hosted;
  c.hybrid_overflow_api = same ? c.hosted_api_model : s.reference_api_model;
  // A cold overflow pays the step's whole context as fresh input (overflow_cache: cold); warm, the API's cache hits.
  const TokenMix overflow_step =
      s.hybrid_overflow_cache == "cold"
          ? TokenMix{demand.tokens_per_step.input(), 0.0, demand.tokens_per_step.output}
          : demand.tokens_per_step;
  // The reference API's step price is its list price x api.price_multiplier (api_usd_per_step / usd_per_step).
  const double ref_scale = demand.usd_per_step > 0 ? api_usd_per_step / demand.usd_per_step : 0.0;
  const double overflow_usd_per_step = same ? cost_usd(overflow_step, c.hosted_prices)
                                            : cost_usd(overflow_step, demand.reference_prices) * ref_scale;
  const double whole_usd_per_step = same ? hosted_usd_per_step : api_usd_per_step;
  // A replica's usable steps/s against the hourly load (the burst is the sizing margin, not load).
  const double hybrid_capacity = c.replica.best.steps_per_s * s.peak_load_target / s.burst_factor;
  // The API's contract terms: a tokens-per-minute rate limit as steps/s, and a committed spend.
  ApiTerms terms;
  const double tokens_per_step = demand.tokens_per_step.input() + demand.tokens_per_step.output;
  if (s.hybrid_api_rate_limit_tokens_per_min > 0 && tokens_per_step > 0)
    terms.max_steps_per_s = s.hybrid_api_rate_limit_tokens_per_min / 60.0 / tokens_per_step;
  terms.commit_usd_per_year = s.hybrid_api_commitment_usd_per_year;
  terms.commit_discount = s.hybrid_api_commitment_discount;
  c.hybrid_terms = terms;
  c.hybrid = hybrid_split(demand.load_duration, hybrid_capacity, c.replicas, usd_per_replica, whole_usd_per_step,
                          s.hybrid_points, overflow_usd_per_step, c.owned_usd_per_step, terms);
  {
    HorizonInputs h;
    h.years = s.horizon_years;
    h.growth = s.horizon_demand_growth;
    h.api_decline = s.horizon_api_price_decline;
    h.rate = s.cost.cost_of_capital;
    h.lifetime_years = s.cost.lifetime_years;
    h.residual_fraction = s.cost.residual_fraction;
    h.replicas_year0 = c.replicas;
    h.capex_per_replica = c.capex_usd / static_cast<double>(c.replicas);
    h.opex_per_replica_year = (c.annual_owned_idle_usd - c.annual_capital_usd) / static_cast<double>(c.replicas);
    h.owned_usd_per_step = c.owned_usd_per_step;
    h.api_usd_year0 = api_annual;
    h.hosted_api_usd_year0 = c.annual_hosted_api_usd;  // 0 without a usable hosted API
    h.owned_usd_per_replica_year = usd_per_replica;
    h.load_year0 = demand.load_duration;
    h.steps_per_s_per_replica = hybrid_capacity;
    h.api_usd_per_step_year0 = whole_usd_per_step;
    h.overflow_usd_per_step_year0 = overflow_usd_per_step;
    h.terms = terms;
    c.horizon = horizon_view(h);
  }
  return c;
}

// Demand and API price per step for a scenario: demand tokens come from the budget at list prices; the API
// option pays list x price_multiplier.
std::pair<Demand, double> demand_for(const Scenario& s, const TokenPrices& list) {
  Demand d = compute_demand(s, list);
  return {d, d.usd_per_step * s.api_price_multiplier};
}

}  // namespace

OwnedLines owned_lines(const cost::OwnedCost& c, double gpus) {
  const double k = gpus * cost::kHoursPerYear;
  return {c.capital_usd_per_gpu_hour * k, c.spares_usd_per_gpu_hour * k,  c.power_usd_per_gpu_hour * k,
          c.facility_usd_per_gpu_hour * k, c.staff_usd_per_gpu_hour * k, c.software_usd_per_gpu_hour * k};
}

TokenPrices workload_prices(const Scenario& s, const cost::ApiPrice& p) {
  return {s.api_fresh_input_pricing == "cache_write" ? p.effective_cache_write_usd_per_mtok() : p.input_usd_per_mtok,
          p.effective_cached_input_usd_per_mtok(), p.output_usd_per_mtok};
}

double TornadoBar::swing_usd() const { return std::fabs(high_cost_usd - low_cost_usd); }

PlanResult run_plan(const Context& ctx, const Scenario& s) {
  PlanResult r;
  r.scenario = s;
  validate_scenario(s);
  if (const auto engines = perf::engine_choices(ctx.engines); std::find(engines.begin(), engines.end(), s.engine) == engines.end())
    throw InputError(scenario_file(s), "candidates.engine", s.engine,
                     "unknown engine profile" + did_you_mean(s.engine, engines) + " (data/perf/engines.yaml, auto or none)");
  std::vector<cost::ApiPrice> storage;
  const auto& prices = price_list(ctx, s, storage);
  r.reference_api = reference_price(ctx, s, prices);
  const TokenPrices list = workload_prices(s, r.reference_api);
  auto [demand, api_usd_per_step] = demand_for(s, list);
  r.demand = demand;
  r.api_annual_usd = cost_usd(demand.tokens_per_year, list) * s.api_price_multiplier;
  r.api_blended_usd_per_mtok = r.api_annual_usd / demand.tokens_per_year.total() * 1e6;
  r.reference_api_unusable = context_limit(r.reference_api, step_input_tokens(demand));

  const auto& cat = ctx.catalog;
  std::vector<std::shared_ptr<const catalog::ModelSpec>> models;
  for (std::size_t i = 0; i < s.models.size(); ++i) {
    const catalog::ModelSpec* m = cat.resolve_model(s.models[i]);
    if (!m) {
      std::vector<std::string> ids;
      for (const auto& x : cat.models()) ids.push_back(x.id);
      throw InputError(scenario_file(s), fmt::format("candidates.models[{}]", i), s.models[i],
                       "unknown model" + did_you_mean(s.models[i], ids));
    }
    models.push_back(std::make_shared<const catalog::ModelSpec>(*m));
  }
  std::vector<catalog::SystemSpec> systems;
  for (std::size_t i = 0; i < s.systems.size(); ++i) {
    const catalog::SystemSpec* sys = cat.resolve_system(s.systems[i]);
    if (!sys) {
      std::vector<std::string> ids;
      for (const auto& x : cat.systems()) ids.push_back(x.id);
      throw InputError(scenario_file(s), fmt::format("candidates.systems[{}]", i), s.systems[i],
                       "unknown system" + did_you_mean(s.systems[i], ids));
    }
    // The scenario's own price and power for this system, where it gives them (owned.system_*_per_gpu).
    catalog::SystemSpec used = *sys;
    if (i < s.system_price_usd_per_gpu.size() && s.system_price_usd_per_gpu[i] > 0) {
      used.price_usd_per_gpu = s.system_price_usd_per_gpu[i];
      used.price_source = "scenario " + scenario_file(s) + ": owned.system_price_usd_per_gpu";
      used.price_date = "";
    }
    if (i < s.system_wall_w_per_gpu.size() && s.system_wall_w_per_gpu[i] > 0) {
      used.wall_w_per_gpu = s.system_wall_w_per_gpu[i];
      used.notes = "wall power from the scenario (owned.system_wall_w_per_gpu); " + used.notes;
    }
    systems.push_back(used);
    r.systems.push_back(used);
    for (const auto& rp : cost::rental_prices_for(ctx.rentals, sys->gpu_id)) r.rentals.push_back(rp);
  }
  std::vector<const cost::ApiPrice*> hosted(models.size(), nullptr);
  for (std::size_t i = 0; i < s.hosted_api_models.size(); ++i) {
    if (s.hosted_api_models[i] == "-") continue;
    hosted[i] = cost::find_api_price(prices, s.hosted_api_models[i]);
    if (!hosted[i]) {
      std::vector<std::string> keys;
      for (const auto& x : prices) keys.push_back(x.model);
      throw InputError(scenario_file(s), fmt::format("candidates.hosted_api_models[{}]", i), s.hosted_api_models[i],
                       "not in the price list" + did_you_mean(s.hosted_api_models[i], keys));
    }
  }
  for (std::size_t i = 0; i < models.size(); ++i)
    for (const auto& sys : systems)
      r.candidates.push_back(evaluate(ctx, s, demand, api_usd_per_step, models[i], sys, cat.gpu(sys.gpu_id), hosted[i]));
  std::stable_sort(r.candidates.begin(), r.candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.feasible != b.feasible) return a.feasible;
    return a.annual_owned_usd < b.annual_owned_usd;
  });
  if (r.candidates.empty() || !r.candidates.front().feasible) return r;
  r.chosen = 0;
  const Candidate& best = r.candidates.front();
  r.base_saving_usd = r.api_annual_usd - best.annual_owned_usd;
  r.base_cost_usd = best.hybrid.best.total_usd_per_year();
  r.sim_check = simulate_replica(best.replica, best.shape,
                                 {s.max_ttft_s, s.min_output_tok_s_per_user, s.slo_percentile}, s.peak_load_target, s.simulate_requests);
  r.uncertainty = run_uncertainty(s, r);
  r.accuracy = perf::accuracy_note(ctx.accuracy, ctx.accuracy_file, best.gpu_id, best.model_id,
                                   perf::engine_for_gpu(s.engine, cat.gpu(best.gpu_id), ctx.engines));

  // Tornado: the chosen model and system re-planned (deployment search included) with one input at its low and
  // high value and the same work (agent steps per year); outcomes are the plan's annual cost (cheapest hybrid
  // point) and the saving of owning vs the API.
  const auto model_index = static_cast<std::size_t>(
      std::find_if(models.begin(), models.end(), [&](const auto& m) { return m->id == best.model_id; }) -
      models.begin());
  const auto& model = models[model_index];
  const catalog::SystemSpec& sys = cat.system(best.system_id);
  const catalog::GpuSpec& gpu = cat.gpu(sys.gpu_id);
  for (const auto& in : sensitivity_inputs()) {
    const std::string& key = in.key;
    const std::string& label = in.label;
    const std::vector<double>* range = &(s.*in.range);
    TornadoBar bar;
    bar.input = key;
    bar.label = label;
    for (const auto& o : scenario_options())
      if (o.key == key) bar.unit = o.unit;
    double* savings[2] = {&bar.low_saving_usd, &bar.high_saving_usd};
    double* costs[2] = {&bar.low_cost_usd, &bar.high_cost_usd};
    for (int i = 0; i < 2; ++i) {
      Scenario v = s;
      in.value(v) = (*range)[static_cast<std::size_t>(i)];
      // Same work (steps per year) as the base plan; only the input under test changes.
      const Demand d = demand_for_steps(v, list, demand.steps_per_year);
      const double per_step = d.usd_per_step * v.api_price_multiplier;
      const Candidate c = evaluate(ctx, v, d, per_step, model, sys, gpu, hosted[model_index]);
      const double api = cost_usd(d.tokens_per_year, list) * v.api_price_multiplier;
      *savings[i] = c.feasible ? api - c.annual_owned_usd : -std::numeric_limits<double>::infinity();
      *costs[i] = c.feasible ? c.hybrid.best.total_usd_per_year() : std::numeric_limits<double>::quiet_NaN();
    }
    bar.low_value = (*range)[0];
    bar.high_value = (*range)[1];
    Scenario base = s;
    bar.base_value = in.value(base);
    r.tornado.push_back(bar);
  }
  std::stable_sort(r.tornado.begin(), r.tornado.end(),
                   [](const TornadoBar& a, const TornadoBar& b) { return a.swing_usd() > b.swing_usd(); });
  return r;
}

StepShape step_shape(const Scenario& s, const TokenMix& tokens, const catalog::SystemSpec& sys) {
  StepShape shape;
  shape.tokens = tokens;
  shape.retention.storage_ratio = s.prefix_retention_storage_ratio;
  shape.retention.prefill_amplification = s.prefix_retention_prefill_amplification;
  shape.retention.api_amplification = s.api_prefill_amplification;
  shape.retention.host_kv_bytes_per_gpu = s.host_kv_fraction * sys.host_memory_gb_per_gpu * 1e9;
  shape.retention.host_link_bytes_per_s = sys.host_link_gb_s_per_gpu * 1e9;
  return shape;
}

}  // namespace tokenmath::plan
