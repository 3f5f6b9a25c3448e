#include <fmt/format.h>

#include "tokenmath/report/loadgen.hpp"

namespace tokenmath::report {

namespace {
using nlohmann::json;

json stats_json(const loadgen::Stats& s) {
  return json{{"count", s.count}, {"mean", s.mean}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}};
}

std::string load_label(const loadgen::LevelResult& L) {
  if (L.rate_per_s == 0 && L.concurrency == 0) return std::string("trace replay");
  return L.rate_per_s > 0 ? fmt::format("rate {:g}/s", L.rate_per_s) : fmt::format("concurrency {}", L.concurrency);
}
}  // namespace

json bench_json(const loadgen::BenchResult& r) {
  const auto& c = r.config;
  json levels = json::array();
  for (const auto& L : r.levels) {
    json errors = json::object();
    for (const auto& [k, n] : L.errors) errors[k] = {{"count", n}, {"first", L.first_error.at(k)}};
    levels.push_back(json{{"load", load_label(L)},
                          {"concurrency", L.concurrency},
                          {"rate_req_per_s", L.rate_per_s},
                          {"sent", L.sent},
                          {"completed", L.ok},
                          {"failed", L.failed},
                          {"errors", errors},
                          {"duration_s", L.duration_s},
                          {"output_tok_per_s", L.output_tok_per_s},
                          {"input_tok_per_s", L.input_tok_per_s},
                          {"request_per_s", L.request_per_s},
                          {"mean_prompt_tokens", L.mean_prompt_tokens},
                          {"mean_output_tokens", L.mean_output_tokens},
                          {"mean_cached_tokens", L.mean_cached_tokens},
                          {"mean_in_flight", L.mean_in_flight},
                          {"goodput_req_per_s", L.goodput_req_per_s},
                          {"slo_attainment", L.slo_attainment},
                          {"ttft_s", stats_json(L.ttft_s)},
                          {"itl_s", stats_json(L.itl_s)},
                          {"tpot_s", stats_json(L.tpot_s)},
                          {"e2e_s", stats_json(L.e2e_s)},
                          {"tok_s_per_user", stats_json(L.tok_s_per_user)},
                          {"chunks", L.chunks},
                          {"chunks_per_s", L.chunks_per_s},
                          {"client_cpu_cores", L.client_cpu_cores}});
    if (L.sessions.started > 0) {
      const auto& S = L.sessions;
      json turns = json::array();
      for (const auto& t : S.by_turn)
        turns.push_back(json{{"turn", t.turn},
                             {"completed", t.count},
                             {"mean_prompt_tokens", t.mean_prompt_tokens},
                             {"mean_cached_tokens", t.mean_cached_tokens},
                             {"cached_share", t.mean_prompt_tokens > 0 ? t.mean_cached_tokens / t.mean_prompt_tokens : 0},
                             {"ttft_s", stats_json(t.ttft_s)}});
      levels.back()["sessions"] = json{{"started", S.started},
                                       {"complete", S.complete},
                                       {"failed", S.failed},
                                       {"cut", S.cut},
                                       {"turns", stats_json(S.turns)},
                                       {"session_s", stats_json(S.session_s)},
                                       {"cached_share", stats_json(S.cached_share)},
                                       {"cached_share_all_turns", S.cached_share_all},
                                       {"mean_last_prompt_tokens", S.mean_last_prompt_tokens},
                                       {"by_turn", turns}};
    }
  }
  return json{{"config",
               {{"url", c.url},
                {"endpoint", c.endpoint},
                {"model", r.model},
                {"isl", c.isl},
                {"osl", c.osl},
                {"isl_max", c.isl_max},
                {"osl_max", c.osl_max},
                {"shared_prefix", c.shared_prefix},
                {"ignore_eos", c.ignore_eos},
                {"requests_per_level", c.requests},
                {"duration_s_per_level", c.duration_s},
                {"arrival", !c.schedule.empty() ? "trace" : c.rates.empty() ? "closed" : (c.poisson ? "poisson" : "constant")},
                {"seed", c.seed},
                {"time_scale", c.time_scale},
                {"slo_ttft_s", c.slo_ttft_s},
                {"slo_tpot_s", c.slo_tpot_s},
                {"turns", c.turns},
                {"turns_max", c.turns_max},
                {"turn_isl", c.turns > 0 && c.turn_isl == 0 ? c.isl : c.turn_isl},
                {"think_s", c.think_s},
                {"think_max_s", c.think_max_s}}},
              {"levels", levels},
              {"interrupted", r.interrupted},
              {"stop_reason", r.stop_reason},
              {"warnings", r.warnings}};
}

std::string render_bench(const loadgen::BenchResult& r, Format f) {
  if (f == Format::json) return bench_json(r).dump(2) + "\n";
  const bool sessions = r.config.turns > 0;
  std::vector<Column> cols{{"load", "load", 0},
           {"completed", "ok", 0},
           {"failed", "failed", 0},
           {"output_tok_per_s", "out tok/s", 1},
           {"request_per_s", "req/s", 3},
           {"ttft_ms_p50", "TTFT p50 ms", 1},
           {"ttft_ms_p90", "TTFT p90 ms", 1},
           {"ttft_ms_p99", "TTFT p99 ms", 1},
           {"tpot_ms_p50", "TPOT p50 ms", 2},
           {"tpot_ms_p90", "TPOT p90 ms", 2},
           {"tpot_ms_p99", "TPOT p99 ms", 2},
           {"itl_ms_p50", "ITL p50 ms", 2},
           {"itl_ms_p99", "ITL p99 ms", 2},
           {"e2e_s_p50", "E2E p50 s", 2},
           {"e2e_s_p99", "E2E p99 s", 2},
           {"tok_s_per_user_p50", "tok/s/user p50", 1},
           {"goodput_req_per_s", "goodput req/s", 3},
           {"mean_in_flight", "in flight", 1},
           {"client_cpu_cores", "client CPU", 2}};
  if (sessions)
    cols.insert(cols.end(), {{"sessions_complete", "sessions done", 0},
                             {"session_turns_mean", "turns mean", 1},
                             {"session_s_p50", "session p50 s", 2},
                             {"session_s_p99", "session p99 s", 2},
                             {"last_prompt_tokens_mean", "last prompt tok", 0},
                             {"cached_share", "cached share", 3}});
  Table t(std::move(cols));
  for (const auto& L : r.levels) {
    std::vector<Cell> row{load_label(L), static_cast<long long>(L.ok), static_cast<long long>(L.failed), L.output_tok_per_s,
               L.request_per_s, L.ttft_s.p50 * 1e3, L.ttft_s.p90 * 1e3, L.ttft_s.p99 * 1e3, L.tpot_s.p50 * 1e3,
               L.tpot_s.p90 * 1e3, L.tpot_s.p99 * 1e3, L.itl_s.p50 * 1e3, L.itl_s.p99 * 1e3, L.e2e_s.p50,
               L.e2e_s.p99, L.tok_s_per_user.p50, L.goodput_req_per_s, L.mean_in_flight, L.client_cpu_cores};
    if (sessions) {
      const auto& S = L.sessions;
      row.insert(row.end(), {static_cast<long long>(S.complete), S.turns.mean, S.session_s.p50, S.session_s.p99,
                             S.mean_last_prompt_tokens, S.cached_share_all});
    }
    t.add_row(std::move(row));
  }
  if (f == Format::csv) return t.to_csv();
  auto range = [](std::int32_t lo, std::int32_t hi) {
    return hi > lo ? fmt::format("{}..{}", lo, hi) : std::to_string(lo);
  };
  std::string out = fmt::format("bench: {} {} {}{}\n", r.model, r.config.endpoint,
                                !r.config.schedule.empty()
                                    ? fmt::format("trace replay of {} requests", r.config.schedule.size())
                                    : fmt::format("isl={} osl={}{}", range(r.config.isl, r.config.isl_max),
                                                  range(r.config.osl, r.config.osl_max),
                                                  sessions ? fmt::format(" sessions of {} turns, +{} words a turn, think {}",
                                                                         range(r.config.turns, r.config.turns_max),
                                                                         r.config.turn_isl > 0 ? r.config.turn_isl : r.config.isl,
                                                                         r.config.think_max_s > r.config.think_s
                                                                             ? fmt::format("{:g}..{:g} ms", r.config.think_s * 1e3, r.config.think_max_s * 1e3)
                                                                             : fmt::format("{:g} ms", r.config.think_s * 1e3))
                                                           : std::string()),
                                r.config.time_scale != 1 ? fmt::format(" (times x{:g}: server time)", r.config.time_scale)
                                                         : std::string());
  out += t.to_text();
  for (const auto& L : r.levels)
    for (const auto& [k, n] : L.errors)
      out += fmt::format("{}: {} x {}: {}\n", load_label(L), n, k, L.first_error.at(k));
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  if (!r.stop_reason.empty()) out += "sweep stopped: " + r.stop_reason + "\n";
  if (r.interrupted) out += "interrupted: partial results\n";
  return out;
}

std::string bench_request_jsonl(const loadgen::RequestRecord& rec) {
  json j{{"id", rec.id},
         {"level", rec.level},
         {"send_s", rec.send_s},
         {"end_s", rec.end_s},
         {"status", rec.status},
         {"ok", rec.ok},
         {"error_kind", rec.error_kind},
         {"error", rec.error},
         {"prompt_tokens", rec.prompt_tokens},
         {"completion_tokens", rec.completion_tokens},
         {"cached_tokens", rec.cached_tokens},
         {"output_tokens", rec.output_tokens},
         {"finish_reason", rec.finish_reason},
         {"prompt_words", rec.prompt_words},
         {"chunk_s", rec.chunk_s},
         {"chunk_chars", rec.chunk_chars}};
  if (rec.session >= 0) {
    j["session"] = rec.session;
    j["turn"] = rec.turn;
    j["session_turns"] = rec.session_turns;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string bench_validation_csv(const loadgen::BenchResult& r, const BenchDeployment& d) {
  std::string out =
      "source,url_or_repo_path,version_or_date,engine,model,precision,gpu,num_gpus,tp,pp,ep,isl,osl,"
      "concurrency_or_batch,scenario,metric,value,unit,notes\n";
  const std::string model = d.model.empty() ? r.model : d.model;
  // Uniform lengths: the rows state the means (the notes the ranges).
  const auto mean_len = [](std::int32_t lo, std::int32_t hi) {
    return hi > lo ? fmt::format("{:g}", (lo + hi) / 2.0) : std::to_string(lo);
  };
  std::string isl = mean_len(r.config.isl, r.config.isl_max), osl = mean_len(r.config.osl, r.config.osl_max);
  const std::string ranges =
      (r.config.isl_max > r.config.isl ? fmt::format("; ISL uniform {}..{}", r.config.isl, r.config.isl_max) : std::string()) +
      (r.config.osl_max > r.config.osl ? fmt::format("; OSL uniform {}..{}", r.config.osl, r.config.osl_max) : std::string());
  for (const auto& L : r.levels) {
    if (L.ok == 0) continue;
    const std::string notes = fmt::format(
        "num_requests={}; measured mean concurrency {:.2f}; mean prompt tokens {:.1f}; mean output tokens {:.1f}; "
        "{} {}{}{}",
        L.ok, L.mean_in_flight, L.mean_prompt_tokens, L.mean_output_tokens, r.config.endpoint,
        !r.config.schedule.empty() ? std::string("trace replay")
        : r.config.turns > 0       ? fmt::format("closed loop of multi-turn sessions (mean cached share {:.3f})",
                                                 L.sessions.cached_share_all)
        : r.config.rates.empty()   ? std::string("closed loop")
                                   : fmt::format("{} arrivals at {:g}/s", r.config.poisson ? "poisson" : "constant", L.rate_per_s),
        (r.config.time_scale != 1 ? fmt::format("; serve-sim time scale {:g}", r.config.time_scale) : std::string()) + ranges,
        d.notes.empty() ? std::string() : "; " + d.notes);
    if (!r.config.schedule.empty() || r.config.turns > 0) {  // a trace or sessions: the measured mean lengths
      isl = fmt::format("{:.0f}", L.mean_prompt_tokens);
      osl = fmt::format("{:.0f}", L.mean_output_tokens);
    }
    auto row = [&](const char* metric, double value, const char* unit) {
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.6g},{},{}\n", csv_escape(d.source),
                         csv_escape(r.config.url), "", csv_escape(d.engine), csv_escape(model), csv_escape(d.precision),
                         csv_escape(d.gpu), d.num_gpus, d.tp, d.pp, d.ep, isl, osl,
                         L.concurrency == 0 || L.rate_per_s > 0
                             ? fmt::format("{}", static_cast<long long>(L.mean_in_flight + 0.5))
                             : std::to_string(L.concurrency),
                         L.concurrency == 0 ? "online (trace replay)"
                         : L.rate_per_s > 0 ? "online (open loop)"
                                            : "online (closed loop)",
                         metric, value, unit,
                         csv_escape(notes));
    };
    row("output_tokens_per_s_total", L.output_tok_per_s, "tokens/s");
    if (L.ttft_s.count) row("ttft_ms", L.ttft_s.mean * 1e3, "ms");
    if (L.tpot_s.count) {
      row("tpot_ms", L.tpot_s.mean * 1e3, "ms");
      row("tokens_per_s_per_user", 1.0 / L.tpot_s.mean, "tokens/s/user");
    }
    if (L.itl_s.count) row("itl_ms", L.itl_s.mean * 1e3, "ms");
    if (L.e2e_s.count) row("e2e_s", L.e2e_s.mean, "s");
  }
  return out;
}

}  // namespace tokenmath::report
