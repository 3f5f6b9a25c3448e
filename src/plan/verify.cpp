#include "tokenmath/plan/verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/sim/simulator.hpp"
#include "tokenmath/sim/step_timer.hpp"

namespace tokenmath::plan {

SimCheck simulate_replica(const ReplicaCapacity& rc, const StepShape& shape, const Slo& slo, double load_fraction,
                          std::int64_t requests, std::uint64_t seed) {
  SimCheck out;
  if (requests <= 0) {
    out.note = "not run (verify.simulate_requests = 0)";
    return out;
  }
  if (!rc.feasible) {
    out.note = "not run: no feasible deployment";
    return out;
  }
  const perf::Deployment& d = rc.deployment;
  // The same factors the planner priced the replica with (its engine profile included).
  auto sm = std::make_shared<const perf::StepModel>(d, rc.efficiency);
  const double ranks = d.attention_dp ? d.tp : 1;

  // One replica as the simulator builds it from the step model (sim::replica_config_for), with the planner's
  // analytic assumptions on top: prefix caching with LRU eviction, a prefill chunk of the whole iteration budget,
  // and the admission of the engine the replica was priced with.
  sim::ReplicaConfig cfg = sim::replica_config_for(sm, 16);
  // KV pool in tokens at this workload's context length: sliding-window layers hold only their window, so a
  // long-context token costs kv_bytes_per_seq(ctx) / ctx (the analytic model's accounting), not the per-token
  // bytes of all layers that MemoryPlan::kv_capacity_tokens assumes.
  const double ctx = shape.tokens.input() + shape.tokens.output;
  const double bytes_per_token = sm->kv_bytes_per_seq_per_gpu(ctx) / ctx;
  if (bytes_per_token > 0)
    cfg.kv_blocks = static_cast<std::int64_t>(sm->memory().kv_bytes_per_gpu / bytes_per_token / cfg.block_tokens);
  cfg.chunk_tokens = static_cast<std::int32_t>(d.knobs.max_batched_tokens * ranks);
  cfg.prefix_caching = true;
  // The host-memory KV tier the analytic model counted (PrefixRetention), reloaded over the host link: each GPU
  // holds and reloads its own share of a token's KV.
  if (shape.retention.host_kv_bytes_per_gpu > 0 && bytes_per_token > 0) {
    cfg.host_cache_tokens = shape.retention.host_kv_bytes_per_gpu / bytes_per_token;
    cfg.host_bytes_per_s = shape.retention.host_link_bytes_per_s * cfg.kv_bytes_per_token / bytes_per_token;
  }
  // KV admission as the engine the replica was priced with: reserving the whole output (TensorRT-LLM's
  // GUARANTEED_NO_EVICT) or allocating as tokens are written (vLLM V1's per-chunk; SGLang's conservative
  // admission is also run as per-chunk here).
  cfg.admission = rc.efficiency.kv_reserve_output >= 0.5 ? sim::AdmissionKind::guaranteed_no_evict
                                                         : sim::AdmissionKind::per_chunk;

  sim::SimConfig config;
  sim::PoolSpec pool;
  pool.replicas = 1;
  pool.config = cfg;
  config.pools.push_back(pool);
  config.slo.ttft_s = slo.max_ttft_s;
  config.slo.tpot_s = 1.0 / slo.min_output_tok_s_per_user;

  // Sessions whose prefix the analytic model retains: the in-flight steps plus the idle sessions its KV room
  // (HBM left by active steps, and the host tier) keeps, idle_storage_ratio per active one; the steps it does not
  // retain are the misses already in the step's fresh tokens (rc.best.tokens).
  const TokenMix& tokens = rc.best.tokens;
  out.arrival_rate_per_s = rc.best.steps_per_s * load_fraction;
  const double active = static_cast<double>(rc.best.concurrency) * load_fraction;
  out.session_groups = std::max<std::int64_t>(
      1, std::llround(active * (1.0 + (shape.retention.enabled() ? rc.best.idle_storage_ratio : 0.0))));
  sim::WorkloadSpec w;
  w.kind = sim::WorkloadSpec::Kind::synthetic;
  w.arrival.kind = sim::ArrivalSpec::Kind::poisson;
  w.arrival.rate_per_s = out.arrival_rate_per_s;
  w.input_tokens = sim::Dist::fixed(std::max(1.0, std::round(tokens.fresh_input)));
  w.output_tokens = sim::Dist::fixed(std::max(1.0, std::round(tokens.output)));
  w.shared_prefix_tokens = static_cast<std::int32_t>(std::round(tokens.cached_input));
  w.shared_prefix_groups = static_cast<std::int32_t>(out.session_groups);
  w.max_requests = requests;
  auto workload = sim::make_workload(w, seed);
  // Statistics over the steady state only: requests arriving after the first half of the run (the queue starts
  // empty).
  const double warmup_s = 0.5 * static_cast<double>(requests) / out.arrival_rate_per_s;
  std::vector<double> ttft, tpot;
  double prompt = 0, cached = 0, output = 0, first_s = -1, last_s = 0;
  std::int64_t ok = 0, ttft_ok = 0, tpot_ok = 0;
  sim::SimOptions opts;
  // The cache starts as after a long run (the sessions' prefixes held, HBM first, then the host tier), not cold:
  // a cold start would prefill every session's whole context at once.
  opts.warm_prompts = sim::shared_prefix_prompts(w);
  opts.on_request = [&](const sim::RequestRecord& q) {
    if (q.arrival_s < warmup_s) return;
    ttft.push_back(q.ttft_s);
    tpot.push_back(q.tpot_s);
    prompt += q.prompt_tokens;
    cached += q.cached_tokens;
    output += q.output_tokens;
    if (first_s < 0 || q.arrival_s < first_s) first_s = q.arrival_s;
    last_s = std::max(last_s, q.arrival_s);
    const bool t1 = q.ttft_s <= slo.max_ttft_s, t2 = q.tpot_s <= 1.0 / slo.min_output_tok_s_per_user;
    ttft_ok += t1;
    tpot_ok += t2;
    if (t1 && t2) ++ok;
  };
  const sim::SimResult r = sim::simulate(config, *workload, opts);
  auto quantile = [](std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    const auto k = static_cast<std::size_t>(
        std::min<double>(static_cast<double>(v.size()) - 1, q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  out.ran = true;
  out.requests = static_cast<std::int64_t>(ttft.size());
  out.ttft_p50_s = quantile(ttft, 0.5);
  out.ttft_p90_s = quantile(ttft, 0.9);
  out.tpot_p50_s = quantile(tpot, 0.5);
  out.tpot_p90_s = quantile(tpot, 0.9);
  out.prefix_hit_rate = prompt > 0 ? cached / prompt : 0;
  out.output_tok_s = last_s > first_s ? output / (last_s - first_s) : 0;
  out.busy_fraction = r.busy_fraction_mean;
  out.preemptions = r.preemptions;
  out.slo_attainment = ttft.empty() ? 0 : static_cast<double>(ok) / static_cast<double>(ttft.size());
  out.ttft_attainment = ttft.empty() ? 0 : static_cast<double>(ttft_ok) / static_cast<double>(ttft.size());
  out.tpot_attainment = ttft.empty() ? 0 : static_cast<double>(tpot_ok) / static_cast<double>(ttft.size());
  out.note = fmt::format(
      "{} requests, Poisson {:.2f}/s ({:.0f}% of the replica's SLO capacity), {} session prefixes of {:.0f} tokens "
      "+ {:.0f} fresh, {:.0f} output, cache warm at the start (HBM, then the host tier); statistics over the {} "
      "requests arriving in the second half",
      requests, out.arrival_rate_per_s, 100 * load_fraction, out.session_groups, tokens.cached_input,
      tokens.fresh_input, tokens.output, out.requests);
  return out;
}

}  // namespace tokenmath::plan
