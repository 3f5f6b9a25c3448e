#include <fmt/format.h>

#include "tokenmath/report/sim.hpp"

namespace tokenmath::report {
namespace {

nlohmann::json latency_json(const sim::LatencyStats& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}};
}

const char* workload_kind(const sim::WorkloadSpec& w) {
  switch (w.kind) {
    case sim::WorkloadSpec::Kind::synthetic: return "synthetic";
    case sim::WorkloadSpec::Kind::trace: return "trace";
    case sim::WorkloadSpec::Kind::agentic: return "agentic";
  }
  return "";
}

// Summary figures in display order: key (with unit), value.
std::vector<std::pair<std::string, Cell>> summary_items(const sim::SimResult& r) {
  return {
      {"requests_arrived", static_cast<long long>(r.arrived)},
      {"requests_finished", static_cast<long long>(r.finished)},
      {"requests_unfinished", static_cast<long long>(r.unfinished)},
      {"requests_rejected", static_cast<long long>(r.rejected)},
      {"requests_clipped", static_cast<long long>(r.clipped)},
      {"sim_time_s", r.sim_time_s},
      {"request_rate_per_s", r.request_rate_per_s},
      {"input_tok_per_s", r.input_tok_per_s},
      {"output_tok_per_s", r.output_tok_per_s},
      {"goodput_req_per_s", r.goodput_req_per_s},
      {"slo_attainment", r.slo_attainment},
      {"prefix_hit_rate", r.prefix_hit_rate},
      {"kv_util_mean", r.kv_util_mean},
      {"busy_fraction_mean", r.busy_fraction_mean},
      {"busy_fraction_min", r.busy_fraction_min},
      {"busy_fraction_max", r.busy_fraction_max},
      {"preemptions", static_cast<long long>(r.preemptions)},
      {"preemptions_swapped", static_cast<long long>(r.swapped_out)},
      {"mean_in_system", r.mean_in_system},
      {"littles_lambda_w", r.littles_lambda_w},
      {"steps", static_cast<long long>(r.steps)},
      {"events", static_cast<long long>(r.events)},
  };
}

}  // namespace

nlohmann::json sim_json(const sim::Scenario& sc, const sim::SimResult& r) {
  nlohmann::json pools = nlohmann::json::array();
  for (const auto& p : sc.pools)
    pools.push_back({{"name", p.name},
                     {"model", p.model},
                     {"gpu", p.gpu},
                     {"deployment", p.deployment},
                     {"replicas", p.replicas},
                     {"gpus_per_replica", p.gpus_per_replica},
                     {"kv_capacity_tokens", p.kv_capacity_tokens},
                     {"capacity_req_per_s_per_replica", p.capacity_req_per_s}});
  nlohmann::json j;
  j["scenario"] = {{"name", sc.name},
                   {"seed", sc.seed},
                   {"workload", workload_kind(sc.workload)},
                   {"offered_rate_per_s", sc.offered_rate_per_s},
                   {"saturation_req_per_s", sc.saturation_req_per_s},
                   {"slo_ttft_s", sc.config.slo.ttft_s},
                   {"slo_tpot_s", sc.config.slo.tpot_s},
                   {"pools", pools}};
  nlohmann::json s = nlohmann::json::object();
  for (const auto& [k, v] : summary_items(r)) s[k] = cell_to_json(v);
  s["input_tokens"] = r.input_tokens;
  s["output_tokens"] = r.output_tokens;
  s["cached_tokens"] = r.cached_tokens;
  s["kv_blocks_allocated"] = r.blocks_allocated;
  s["kv_blocks_freed"] = r.blocks_freed;
  s["kv_blocks_in_use_end"] = r.blocks_in_use_end;
  s["kv_blocks_cached_end"] = r.blocks_cached_end;
  j["summary"] = s;
  j["latency_s"] = {{"ttft", latency_json(r.ttft_s)},
                    {"tpot", latency_json(r.tpot_s)},
                    {"itl", latency_json(r.itl_s)},
                    {"e2e", latency_json(r.e2e_s)},
                    {"queue", latency_json(r.queue_s)}};
  nlohmann::json reps = nlohmann::json::array();
  for (const auto& x : r.replicas)
    reps.push_back({{"id", x.id},
                    {"pool", x.pool},
                    {"routed", x.routed},
                    {"steps", x.steps},
                    {"busy_fraction", x.busy_fraction},
                    {"kv_util_mean", x.kv_util_mean},
                    {"kv_util_peak", x.kv_util_peak},
                    {"preemptions", x.preemptions},
                    {"prefix_hit_rate", x.prefix_hit_rate},
                    {"prefill_tokens", x.prefill_tokens},
                    {"decode_tokens", x.decode_tokens},
                    {"evicted_blocks", x.evicted_blocks}});
  j["replicas"] = reps;
  if (r.interrupted) j["interrupted"] = true;  // a partial run (SIGINT/SIGTERM): the figures cover what ran
  return j;
}

std::string render_sim(const sim::Scenario& sc, const sim::SimResult& r, Format f) {
  if (f == Format::json) return sim_json(sc, r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::vector<std::pair<std::string, const sim::LatencyStats*>> lat{
      {"ttft", &r.ttft_s}, {"tpot", &r.tpot_s}, {"itl", &r.itl_s}, {"e2e", &r.e2e_s}, {"queue", &r.queue_s}};
  if (f == Format::csv) {
    std::vector<std::pair<std::string, Cell>> items = summary_items(r);
    for (const auto& [name, s] : lat) {
      items.emplace_back(fmt::format("{}_mean_s", name), s->mean);
      items.emplace_back(fmt::format("{}_p50_s", name), s->p50);
      items.emplace_back(fmt::format("{}_p90_s", name), s->p90);
      items.emplace_back(fmt::format("{}_p99_s", name), s->p99);
      items.emplace_back(fmt::format("{}_max_s", name), s->max);
    }
    return render_kv(items, f);
  }
  std::string out = r.interrupted ? "INTERRUPTED: partial results over the simulated time that ran\n" : "";
  for (std::size_t i = 0; i < sc.pools.size(); ++i) {
    const auto& p = sc.pools[i];
    // Colocated pools: the perf steady state over the length distribution; prefill/decode pools: at the means.
    const bool colocated = i < sc.config.pools.size() && sc.config.pools[i].config.role == sim::ReplicaRole::unified;
    out += fmt::format("{}: {} x {} on {}, {} ({} GPUs each, KV {} tokens{})\n", p.name, p.replicas, p.model, p.gpu,
                       p.deployment, p.gpus_per_replica, format_number(p.kv_capacity_tokens, 0),
                       p.capacity_req_per_s > 0
                           ? fmt::format(", modelled capacity {:.2f} req/s each {}", p.capacity_req_per_s,
                                         colocated ? "over the length distribution" : "at the mean lengths")
                           : "");
  }
  out += fmt::format("workload: {}{}{}, seed {}\n\n", workload_kind(sc.workload),
                     sc.offered_rate_per_s > 0 ? fmt::format(", offered {:.3f} req/s", sc.offered_rate_per_s) : "",
                     sc.saturation_req_per_s > 0
                         ? fmt::format(" ({:.1f}% of the simulated saturation, {:.3f} req/s)",
                                       100.0 * sc.offered_rate_per_s / sc.saturation_req_per_s, sc.saturation_req_per_s)
                         : "",
                     sc.seed);
  if (r.rejected > 0 || r.clipped > 0)
    out += sc.config.clip_context_overflow
               ? fmt::format("context overflow (clip): {} prompts clipped to the model's context, {} requests rejected "
                             "(longer than the KV pool)\n\n", r.clipped, r.rejected)
               : fmt::format("context overflow (reject): {} requests rejected (longer than the model's context or the "
                             "KV pool)\n\n", r.rejected);
  out += render_kv(summary_items(r), f);
  Table t({{"metric", "latency"}, {"count", "count", 0}, {"mean_s", "mean s", 4}, {"p50_s", "p50 s", 4},
           {"p90_s", "p90 s", 4}, {"p99_s", "p99 s", 4}, {"max_s", "max s", 4}});
  for (const auto& [name, s] : lat)
    t.add_row({name, static_cast<long long>(s->count), s->mean, s->p50, s->p90, s->p99, s->max});
  out += "\n";
  out += t.render(f);
  Table rt({{"id", "replica", 0}, {"pool", "pool"}, {"routed", "routed", 0}, {"steps", "steps", 0},
            {"busy_fraction", "busy", 3}, {"kv_util_mean", "kv mean", 3}, {"kv_util_peak", "kv peak", 3},
            {"preemptions", "preempt", 0}, {"prefix_hit_rate", "prefix hit", 3}});
  for (const auto& x : r.replicas)
    rt.add_row({static_cast<long long>(x.id), x.pool, static_cast<long long>(x.routed),
                static_cast<long long>(x.steps), x.busy_fraction, x.kv_util_mean, x.kv_util_peak,
                static_cast<long long>(x.preemptions), x.prefix_hit_rate});
  out += "\n";
  out += rt.render(f);
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

std::string sim_request_csv_header() {
  return "id,replica,session,turn,arrival_s,first_token_s,finish_s,prompt_tokens,output_tokens,cached_tokens,"
         "preemptions,ttft_s,tpot_s,e2e_s,queue_s\n";
}

std::string sim_request_csv_row(const sim::RequestRecord& x) {
  return fmt::format("{},{},{},{},{:.9f},{:.9f},{:.9f},{},{},{},{},{:.9f},{:.9f},{:.9f},{:.9f}\n", x.id, x.replica,
                     x.session, x.turn, x.arrival_s, x.first_token_s, x.finish_s, x.prompt_tokens, x.output_tokens,
                     x.cached_tokens, x.preemptions, x.ttft_s, x.tpot_s, x.e2e_s, x.queue_s);
}

std::string sim_step_csv_header() {
  return "replica,start_s,duration_s,prefill_tokens,prefill_seqs,decode_seqs,kv_blocks_used,kv_blocks\n";
}

std::string sim_step_csv_row(const sim::StepRecord& s) {
  return fmt::format("{},{:.9f},{:.9f},{},{},{},{},{}\n", s.replica, s.start_s, s.duration_s, s.prefill_tokens,
                     s.prefill_seqs, s.decode_seqs, s.kv_blocks_used, s.kv_blocks);
}

}  // namespace tokenmath::report
