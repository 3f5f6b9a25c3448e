#include "tokenmath/perf/validate.hpp"

#include "tokenmath/perf/accuracy.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <regex>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/common/yaml_file.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::perf {

using catalog::ComputeClass;
using catalog::Precision;

namespace {

// Digits from a note as an integer in [0, cap]; nullopt when out of range (a 30-digit number in a CSV note must not
// throw out of std::stoll).
std::optional<std::int64_t> digits_int(const std::string& digits, std::int64_t cap) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v < 0 || v > cap) return std::nullopt;
  return v;
}

// RFC 4180: fields separated by commas, optionally quoted; "" inside quotes is a quote; quoted fields may
// contain commas and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Leading number of a cell ("131072 (128K)" -> 131072; "~20000" = about 20000) and where it ends; nullopt when
// the cell does not start with one.
std::optional<std::pair<double, std::size_t>> leading_number_at(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isspace(static_cast<unsigned char>(s[i])) || s[i] == '~')) ++i;
  if (i >= s.size() || !(std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(s.substr(i), &used);
    return std::make_pair(v, i + used);
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<double> leading_number(const std::string& s) {
  const auto n = leading_number_at(s);
  return n ? std::optional<double>(n->first) : std::nullopt;
}

// Whole cell is a number (allowing surrounding spaces and a leading "~").
std::optional<double> exact_number(const std::string& s) {
  const auto n = leading_number_at(s);
  if (!n || s.find_first_not_of(" \t", n->second) != std::string::npos) return std::nullopt;
  return n->first;
}

// A layout cell: a whole number, or a number with its derivation in parentheses ("1 (inferred: data_parallel_size=8
// on 8 GPUs)": the source states the replica count, the per-replica size follows). Anything else (prose, "not
// stated") is no number: the layout is searched.
std::optional<double> layout_number(const std::string& s) {
  const auto n = leading_number_at(s);
  if (!n) return std::nullopt;
  const std::size_t rest = s.find_first_not_of(" \t", n->second);
  if (rest == std::string::npos || (s[rest] == '(' && s.back() == ')')) return n->first;
  return std::nullopt;
}

bool contains(const std::string& hay, std::string_view needle) { return to_lower(hay).find(needle) != std::string::npos; }

// An engine column as the profiles' `match` strings spell it: lower case, and TensorRT-LLM under one name. Sources
// write it "TensorRT-LLM", "TensorRT LLM" (NVIDIA's spelling since late 2025), "TRT-LLM", "tensorrt_llm", or as the
// bare words "TRT" and "TRTLLM" (benchmark harnesses' framework names: "trt", Dynamo's "dynamo-trt"); the tools' own
// names ("trtllm-bench", "trtllm-serve") are left as they are.
std::string normalised_engine(const std::string& engine) {
  std::string e = to_lower(engine);
  for (const std::string_view alias : {"tensorrt llm", "tensorrt_llm", "trt-llm", "trt llm"}) {
    for (auto pos = e.find(alias); pos != std::string::npos; pos = e.find(alias, pos + 1))
      e.replace(pos, alias.size(), "tensorrt-llm");
  }
  // "trt" and "trtllm" as whole words ("dynamo-trt"; not "trtllm-bench", not part of another name).
  static const std::regex kBare(R"((^|[^a-z0-9_])(trtllm(?![a-z0-9_-])|trt(?![a-z0-9_])(?!-(?:llm|bench|serve))))");
  return std::regex_replace(e, kBare, "$1tensorrt-llm");
}

// The weights' format as a precision cell states it (lower case): the first format named, in reading order, that
// describes weights. A format followed by "kv"/"attention" or preceded by "kv cache" is the KV cache's or
// attention's ("BF16 attention, NVFP4 MoE"; "FP8 KV cache"), one preceded by "not" is excluded ("BF16 checkpoint,
// not the -FP8 variant"). "" when none is named. Keys: mxfp4, nvfp4, fp4 (bare), int4, fp8, fp16 (FP16 or BF16).
std::string_view stated_weight_format(const std::string& prec) {
  static const std::pair<std::string_view, std::string_view> kFormats[] = {
      {"mxfp4", "mxfp4"}, {"nvfp4", "nvfp4"}, {"fp4", "fp4"}, {"int4", "int4"},
      {"fp8", "fp8"},     {"fp16", "fp16"},   {"bf16", "fp16"}};
  const auto starts_with_at = [&](std::size_t pos, std::string_view w) { return prec.compare(pos, w.size(), w) == 0; };
  std::size_t best = std::string::npos;
  std::string_view key;
  for (const auto& [word, k] : kFormats) {
    for (auto pos = prec.find(word); pos != std::string::npos; pos = prec.find(word, pos + 1)) {
      // Part of a longer format name ("nvfp4" holds "fp4").
      if (pos > 0 && std::isalpha(static_cast<unsigned char>(prec[pos - 1]))) continue;
      std::size_t after = pos + word.size();
      while (after < prec.size() && (prec[after] == ' ' || prec[after] == '-' || prec[after] == '(')) ++after;
      if (starts_with_at(after, "kv") || starts_with_at(after, "attention")) continue;
      std::size_t end = pos;  // the words just before it
      while (end > 0 && (prec[end - 1] == ' ' || prec[end - 1] == '-')) --end;
      const std::string_view before(prec.data(), end);
      const auto ends_with = [&](std::string_view w) {
        return before.size() >= w.size() && before.substr(before.size() - w.size()) == w;
      };
      if (ends_with("kv cache") || ends_with("kv-cache") || ends_with("not") || ends_with("not the") ||
          ends_with("not a") || ends_with("not an"))
        continue;
      if (pos < best) {
        best = pos;
        key = k;
      }
      break;  // the first usable occurrence of this word is its earliest
    }
  }
  return key;
}

// Value of "key N" in the notes ("kv frac 0.93", "max_batch_size 896"); nullopt if absent.
std::optional<double> note_number(const std::string& notes, std::string_view key) {
  const std::string lower = to_lower(notes);
  const auto pos = lower.find(key);
  if (pos == std::string::npos) return std::nullopt;
  return leading_number(lower.substr(pos + key.size()));
}

const char* kSupportedMetrics[] = {"output_tokens_per_s_total", "output_tokens_per_s_per_gpu", "tokens_per_s_per_user",
                                   "ttft_ms", "tpot_ms", "itl_ms", "e2e_s"};

// First capture group of `re` in the lower-cased text as a number; nullopt when absent.
// The most GPUs a row's system or parallel layout may state.
constexpr int kMaxSystemGpus = 1'000'000;

// A GPU count or parallel size from a cell as an int (a fraction truncates, as the conversion always did); a
// number outside 1..kMaxSystemGpus sets `out_of_range` and gives nullopt.
std::optional<int> system_count(const std::optional<double>& cell, bool& out_of_range) {
  if (!cell) return std::nullopt;
  if (!(*cell >= 1 && *cell <= kMaxSystemGpus)) {
    out_of_range = true;
    return std::nullopt;
  }
  return static_cast<int>(*cell);
}

// A count a note states ("num-steps 3"): its digits as an int, nullopt past `cap` (a malformed note must not
// overflow the conversion).
std::optional<int> regex_count(const std::string& lower, const std::regex& re, int cap) {
  std::smatch m;
  if (!std::regex_search(lower, m, re)) return std::nullopt;
  const auto v = digits_int(m[1].str(), cap);
  return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
}

std::optional<double> regex_number(const std::string& lower, const std::regex& re) {
  std::smatch m;
  if (!std::regex_search(lower, m, re)) return std::nullopt;
  try {
    return std::stod(m[1].str());
  } catch (...) {
    return std::nullopt;
  }
}

// Speculative decoding as a row states it (notes, engine, scenario): method, draft tokens and acceptance.
// Returns whether the row says anything about it; `out` is left off when the row says it was off.
bool stated_spec(const PublishedRow& row, const catalog::ModelSpec& model, const SpecTable& drafts, SpecDecode& out) {
  const std::string t = to_lower(row.notes + " ; " + row.engine + " ; " + row.scenario);
  // A row that says speculative decoding was off means it, whatever else it mentions (e.g. "the MTP3 rows of
  // the same run are not taken"); one that says only MTP was off is off unless it names another method.
  static const std::regex all_off(R"(speculative decoding off|no speculative decoding)");
  if (std::regex_search(t, all_off)) return true;
  static const std::regex mtp_off(R"(no mtp|without mtp)");
  const bool eagle = t.find("eagle3") != std::string::npos || t.find("eagle-3") != std::string::npos;
  const bool mtp = t.find("mtp") != std::string::npos;
  static const std::regex mtp_on(
      R"(mtp[- =]?(\d+)|(\d+) autoregressive|num_nextn_predict_layers (\d+)|mtp (\d+) draft|(\d+)-token window|mtp with (\d+) steps)");
  std::smatch m;
  std::optional<int> k;
  if (mtp && std::regex_search(t, m, mtp_on)) {
    for (std::size_t i = 1; i < m.size(); ++i)
      if (m[i].matched) {
        k = digits_int(m[i].str(), 1000);
        if (!k) break;
        if (i == 5) k = *k - 1;  // an N-token verify window drafts N - 1 tokens
        break;
      }
  }
  static const std::regex eagle_steps(R"(num-steps (\d+))");
  if (eagle) {
    if (auto v = regex_count(t, eagle_steps, 1000)) k = *v;
  }
  if (!(eagle || (mtp && k)) || !k || *k <= 0) return std::regex_search(t, mtp_off);
  static const std::regex acc_len(R"(accep\w* (?:rate|length) (\d+\.\d+))");
  static const std::regex acc_pct(R"(~?(\d+)% draft acceptance)");
  std::optional<double> a = regex_number(t, acc_len);
  if (a && *a < 1) a.reset();
  if (!a)
    if (auto pct = regex_number(t, acc_pct)) a = acceptance_length(*pct / 100.0, *k);
  auto spec = drafts.make(eagle ? "eagle3" : "mtp", *k, a);
  if (!spec) return false;
  // Tree drafts: "eagle-topk N" candidates per draft step, "num-draft-tokens M" positions verified.
  static const std::regex topk(R"(eagle-topk (\d+))");
  static const std::regex verify(R"(num-draft-tokens (\d+))");
  if (auto v = regex_count(t, topk, 1000)) spec->draft_width = std::max(1, *v);
  if (auto v = regex_count(t, verify, 100'000)) spec->verify_tokens = std::max(*k + 1, *v);
  out = *spec;
  (void)model;
  return true;
}

// Mean prompt and output lengths of a variable-length run from totals stated in the notes ("23260 input /
// 22061 generated tokens in total" over "100 prompts").
std::optional<std::pair<double, double>> stated_mean_lengths(const std::string& notes) {
  const std::string t = to_lower(notes);
  static const std::regex totals(R"((\d+) input / (\d+) generated tokens)");
  static const std::regex prompts(R"((\d+) prompts)");
  std::smatch m, n;
  if (!std::regex_search(t, m, totals) || !std::regex_search(t, n, prompts)) return std::nullopt;
  const auto count = digits_int(n[1].str(), 1'000'000'000), in = digits_int(m[1].str(), 1'000'000'000'000'000),
             out = digits_int(m[2].str(), 1'000'000'000'000'000);
  if (!count || *count <= 0 || !in || !out) return std::nullopt;
  return std::make_pair(static_cast<double>(*in) / *count, static_cast<double>(*out) / *count);
}

// The mean length of a cell "~N (random-range-ratio R)" (0 <= R < 1): the midpoint of floor(R N) and N, the range a
// vLLM-style benchmark client draws each length from uniformly; any other cell keeps `n`.
double range_ratio_mean(const std::string& cell, double n) {
  static const std::regex ratio(R"(^\s*~[^(]*\(random-range-ratio (0(\.\d+)?)\))");
  std::smatch m;
  if (!std::regex_search(cell, m, ratio)) return n;
  const double r = std::stod(m[1].str());
  return (std::floor(r * n) + n) / 2;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

// Engine knobs of a row: the profile's fixed values, or the trtllm-bench rule: batch = min(requests the KV
// pool holds at ISL+OSL, cap); token budget = clamp(batch * (1 + ISL/OSL), min, cap). Values published in the
// row's notes (max_batch_size per attention-DP rank, max_num_tokens, kv frac) take precedence.
Deployment with_engine_knobs(const PreparedRow& r, const Efficiency& eff) {
  Deployment d = r.deployment;
  const EngineProfile* e = r.engine;
  if (e) d.knobs = e->knobs(d.knobs, d.gpu);
  if (auto f = note_number(r.row.notes, "kv frac ")) d.knobs.kv_mem_fraction = *f;
  // The running cap under each engine's own name: TensorRT-LLM's max_batch_size, vLLM's max_num_seqs (each per
  // attention-DP rank, vLLM's per engine core) and the NVIDIA MLPerf harness's gpu_batch_size (per TensorRT-LLM
  // engine, i.e. per replica of these dense runs).
  std::optional<double> note_bs;
  for (const char* key : {"max_batch_size ", "max_num_seqs ", "gpu_batch_size "})
    if (!note_bs) note_bs = note_number(r.row.notes, key);
  const auto note_tokens = note_number(r.row.notes, "max_num_tokens ");
  if (e && e->max_num_seqs_cap > 0) {
    // First pass with the smallest budget to size the KV pool, then apply the rule.
    Deployment probe = d;
    probe.knobs.max_num_seqs = e->max_num_seqs_cap;
    probe.knobs.max_batched_tokens = std::max(1, e->max_batched_tokens_min);
    StepModel sm(probe, eff);
    const double reqs = static_cast<double>(sm.max_concurrent_seqs(r.isl + r.osl));
    // Under attention DP each rank schedules its own share (knobs are per rank).
    const double ranks = d.attention_dp ? std::max(1, d.tp) : 1;
    const double bs = std::min<double>(reqs, e->max_num_seqs_cap) / ranks;
    d.knobs.max_num_seqs = std::max(1, static_cast<int>(bs));
    if (e->max_batched_tokens_cap > 0) {
      const double tok = std::clamp(bs * (1 + r.isl / std::max(1.0, r.osl)), static_cast<double>(e->max_batched_tokens_min),
                                    static_cast<double>(e->max_batched_tokens_cap));
      d.knobs.max_batched_tokens = d.knobs.chunked_prefill_tokens = static_cast<int>(tok);
    }
  }
  // Stated caps are clamped to a range an int holds (a malformed note must not overflow the conversion).
  const auto as_cap = [](double v) { return static_cast<int>(std::clamp(v, 1.0, 1e7)); };
  if (note_bs) d.knobs.set_max_num_seqs(as_cap(*note_bs));
  // SGLang's --max-running-requests as the launch command states it: the replica's cap (its attention-DP ranks
  // share it).
  if (const auto mrr = note_number(to_lower(r.row.engine + " ; " + r.row.notes), "max-running-requests ")) {
    const double ranks = d.attention_dp ? std::max(1, d.tp) : 1;
    d.knobs.set_max_num_seqs(as_cap(*mrr / ranks));
  }
  if (note_tokens) d.knobs.max_batched_tokens = d.knobs.chunked_prefill_tokens = as_cap(*note_tokens);
  return d;
}

struct Evaluated {
  OperatingPoint point;
  Deployment deployment;
  bool ok = false;
  std::string reason;
  std::int64_t running = 0;  // requests one replica runs at once (its sequence cap or KV pool, at most the clients)
};

// The share of a finite run's length its engine ran at full load, from the run's measured mean concurrency (the
// requests in the system: running and queued). A replica set that runs `running_total` requests at once under more
// clients was full whenever at least that many were in the system: min(1, mean / running_total). Otherwise the
// stated share (mean / clients).
double full_load_share(const PreparedRow& r, double running_total) {
  if (r.run_concurrency_share >= 1.0 || r.concurrency <= 0 || running_total <= 0 ||
      running_total >= static_cast<double>(r.concurrency))
    return r.run_concurrency_share;
  return std::min(1.0, r.run_concurrency_share * static_cast<double>(r.concurrency) / running_total);
}

// The prefill pool of a disaggregated row on deployment `d` (its precision, knobs and GPU): without speculative
// decoding, in the row's stated prefill layout where it has one (PreparedRow::prefill), else `d`'s.
Deployment prefill_pool(Deployment d, const PreparedRow& r) {
  d.spec = SpecDecode{};
  if (r.prefill.model) d.tp = r.prefill.tp, d.ep = r.prefill.ep, d.pp = r.prefill.pp, d.attention_dp = r.prefill.attention_dp;
  return d;
}

// "N synthetic requests" / "N requests" in a row's notes: the run's request count; 0 when not stated.
std::int64_t stated_request_count(const std::string& notes) {
  static const std::regex re(R"((\d[\d,]*) (?:synthetic )?(?:requests|prompts))");
  std::smatch m;
  if (!std::regex_search(notes, m, re)) return 0;
  std::string digits;
  for (char ch : m[1].str())
    if (ch != ',') digits += ch;
  return digits_int(digits, 1'000'000'000'000).value_or(0);
}

// Engine factors a row states about its own run (overlap scheduler, attention-DP balancing), as efficiency keys.
std::vector<std::pair<std::string, double>> stated_factors(const PreparedRow& r) {
  std::vector<std::pair<std::string, double>> out;
  if (r.host_overlap) out.emplace_back("host_overlap", *r.host_overlap);
  if (r.dp_prefill_balance) out.emplace_back("dp_prefill_balance", *r.dp_prefill_balance);
  if (r.qk_norm_rope_cache_fused) {
    out.emplace_back("unfused_kernels_per_layer", 1.0);
    out.emplace_back("qk_norm_kernels", 0.0);
  }
  if (r.moe_runner_not_triton) {
    out.emplace_back("triton_moe_layer_extra_us", 0.0);
    out.emplace_back("block_fp8_triton_moe_layer_extra_us", 0.0);
  }
  return out;
}

Evaluated evaluate(const PreparedRow& r, const Deployment& base, const EfficiencyTable& table) {
  Evaluated out;
  Efficiency eff = table.for_gpu(base.gpu, r.engine ? r.engine->name : "");
  for (const auto& [key, value] : stated_factors(r)) eff.set(key, value);
  PreparedRow tmp = r;
  tmp.deployment = base;
  const Deployment d = with_engine_knobs(tmp, eff);
  StepModel sm(d, eff);
  if (!sm.feasible()) {
    out.reason = sm.memory().reason;
    return out;
  }
  std::int64_t maxc = sm.max_concurrent_seqs(kv_tokens_per_seq(sm, LengthMoments::fixed(r.isl, r.osl)));
  if (maxc <= 0) {
    out.reason = fmt::format("KV pool cannot hold one sequence of {:.0f} tokens", r.isl + r.osl);
    return out;
  }
  // Disaggregated rows: the stated xPyD group of this deployment serves the whole run's concurrency.
  if (r.pd.enabled()) {
    const StepModel psm(prefill_pool(d, r), eff);
    const std::int64_t group_max = maxc * r.pd.decode_replicas;
    const std::int64_t c = r.concurrency > 0 ? std::min<std::int64_t>(group_max, r.concurrency) : group_max;
    out.point = disaggregated_state(psm, sm, r.pd, r.isl, r.osl, c);
    out.deployment = d;
    out.ok = true;
    return out;
  }
  // Published concurrency and request counts are for the whole run; one replica carries its share.
  const int replicas = std::max(1, r.num_gpus / std::max(1, d.num_gpus()));
  std::int64_t c = maxc;
  if (r.concurrency > 0) c = std::min<std::int64_t>(maxc, std::max<std::int64_t>(1, r.concurrency / replicas));
  const std::int64_t n = r.num_requests > 0 ? std::max<std::int64_t>(1, r.num_requests / replicas) : 0;
  if (r.decode_only && !r.pd.enabled()) {
    out.point = decode_pool_state(sm, r.isl, r.osl, c);
    out.deployment = d;
    out.ok = true;
    return out;
  }
  // A finite run of n requests (per replica) with room for c at once, admitted together, runs in waves:
  // w = ceil(n / c) waves, the last with n - (w-1)*c requests, so its output rate is n * OSL over
  // (w-1) * T(c) + T(rem), T(k) the time of a wave of k requests (`full_s` = T(c), `wave_s(k)` for the tail).
  const auto finite_run = [&](OperatingPoint pt, double full_s, auto wave_s) {
    const std::int64_t waves = (n + c - 1) / c, rem = n - (waves - 1) * c;
    pt.output_tok_s = static_cast<double>(n) * r.osl / (static_cast<double>(waves - 1) * full_s + wave_s(rem));
    pt.output_tok_s_per_gpu = pt.output_tok_s / d.num_gpus();
    return pt;
  };
  if (r.synchronized_waves && !d.spec.enabled()) {
    // The run as its waves: TTFT, TPOT and throughput of the wave (perf::wave_state); T(k) is a wave's wall time.
    out.point = wave_state(sm, r.isl, r.osl, c);
    if (n > c)
      out.point = finite_run(out.point, out.point.e2e_s,
                             [&](std::int64_t k) { return wave_state(sm, r.isl, r.osl, k).e2e_s; });
  } else {
    // Staggered steady state; T(k) = k * OSL / throughput at k (the tail wave runs at lower batch efficiency).
    // A run that states its own mean concurrency is scaled by that instead (predict_row).
    const bool finite = n > 0 && r.run_concurrency_share >= 1.0;
    out.point = steady_state(sm, r.isl, r.osl, finite && n <= c ? n : c);
    const auto wave_s = [&](std::int64_t k, const OperatingPoint& at) {
      return static_cast<double>(k) * r.osl / at.output_tok_s;
    };
    if (finite && n > c)
      out.point = finite_run(out.point, wave_s(c, out.point),
                             [&](std::int64_t k) { return wave_s(k, steady_state(sm, r.isl, r.osl, k)); });
    if (r.synchronized_waves) {  // with speculative decoding: the wave's TTFT only
      out.point.ttft_s = wave_ttft_s(sm, r.isl, c);
      out.point.e2e_s = out.point.ttft_s + std::max(0.0, r.osl - 1) * out.point.tpot_s;
    } else if (r.burst_start && r.ttft_mean && n >= c) {
      // The run's mean TTFT: its first c requests arrive together and are prefilled as one wave (perf::wave_ttft_s,
      // the wave's median request), the other n - c in the steady state. The run's length barely changes (one
      // wave's prefill), so throughput keeps the steady state's.
      const double burst = wave_ttft_s(sm, r.isl, c);
      const double mean = (static_cast<double>(c) * burst + static_cast<double>(n - c) * out.point.ttft_s) / n;
      out.point.e2e_s += mean - out.point.ttft_s;
      out.point.ttft_s = mean;
    }
  }
  // Clients beyond what the replica runs at once (its sequence cap or KV pool) wait in the engine's queue. In a
  // closed loop of C clients served c at a time a request cycle lasts C / c end-to-end service times (Little's law),
  // so each request waits (C - c) / c of one before its prefill starts: TTFT and e2e grow by that wait (throughput
  // and TPOT are the c running requests').
  const std::int64_t clients = r.concurrency > 0 ? std::max<std::int64_t>(1, r.concurrency / replicas) : 0;
  if (clients > c && !r.static_batch && out.point.e2e_s > 0) {
    const double wait = static_cast<double>(clients - c) / static_cast<double>(c) * out.point.e2e_s;
    out.point.ttft_s += wait;
    out.point.e2e_s += wait;
  }
  // An offline static batch's e2e is the batch's wall time: its requests' output at the run's rate.
  if (r.static_batch && n > 0 && out.point.output_tok_s > 0) out.point.e2e_s = static_cast<double>(n) * r.osl / out.point.output_tok_s;
  out.deployment = d;
  out.running = c;
  out.ok = true;
  return out;
}
}  // namespace

std::vector<std::vector<std::string>> read_csv_table(const std::filesystem::path& path) {
  auto table = parse_csv(read_input_file(path));
  if (table.empty()) throw InputError(path.string(), "", "", "empty file: expected a header row");
  return table;
}

std::vector<PublishedRow> read_published_csv(const std::filesystem::path& path) {
  const auto table = read_csv_table(path);
  const auto& header = table.front();
  static const char* kColumns[] = {"source", "url_or_repo_path", "version_or_date", "engine", "model", "precision",
                                   "gpu", "num_gpus", "tp", "pp", "ep", "isl", "osl", "concurrency_or_batch",
                                   "scenario", "metric", "value", "unit", "notes"};
  std::vector<int> idx;
  for (const char* c : kColumns) {
    const auto it = std::find(header.begin(), header.end(), c);
    if (it == header.end() && std::string(c) != "notes" && std::string(c) != "url_or_repo_path")
      throw InputError(path.string(), std::string("header/") + c, "", "missing column '" + std::string(c) + "'");
    idx.push_back(it == header.end() ? -1 : static_cast<int>(it - header.begin()));
  }
  std::vector<PublishedRow> rows;
  for (std::size_t i = 1; i < table.size(); ++i) {
    const auto& t = table[i];
    auto col = [&](int k) { return idx[k] >= 0 && idx[k] < static_cast<int>(t.size()) ? t[idx[k]] : std::string(); };
    PublishedRow r;
    r.line = static_cast<int>(i + 1);
    r.source = col(0), r.url_or_repo_path = col(1), r.version_or_date = col(2), r.engine = col(3);
    r.model = col(4), r.precision = col(5), r.gpu = col(6), r.num_gpus = col(7), r.tp = col(8), r.pp = col(9);
    r.ep = col(10), r.isl = col(11), r.osl = col(12), r.concurrency_or_batch = col(13), r.scenario = col(14);
    r.metric = col(15), r.value = col(16), r.unit = col(17), r.notes = col(18);
    rows.push_back(std::move(r));
  }
  return rows;
}

EngineKnobs EngineProfile::knobs(EngineKnobs base, const catalog::GpuSpec& gpu) const {
  if (max_num_seqs > 0) base.max_num_seqs = max_num_seqs;
  base.spec_max_num_seqs = spec_max_num_seqs;
  if (max_batched_tokens > 0) base.max_batched_tokens = base.chunked_prefill_tokens = max_batched_tokens;
  if (large_hbm_max_batched_tokens > 0 && gpu.mem_gb >= large_hbm_min_gb)
    base.max_batched_tokens = base.chunked_prefill_tokens = large_hbm_max_batched_tokens;
  base.cuda_graph_max_bs = cuda_graph_max_bs;
  base.kv_mem_fraction = kv_mem_fraction;
  base.kv_fraction_of_total = kv_fraction_of_total;
  return base;
}

std::vector<EngineProfile> load_engine_profiles(const std::filesystem::path& path) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node root = load_yaml_file(path);
    std::vector<EngineProfile> out;
    std::size_t i = 0;
    for (const auto& n : root["engines"]) {
      const std::string prefix = "/engines/" + std::to_string(i++);
      EngineProfile p;
      try {
        p.name = n["name"].as<std::string>();
        for (const auto& m : n["match"]) p.match.push_back(to_lower(m.as<std::string>()));
        p.max_num_seqs = n["max_num_seqs"].as<int>(0);
        p.max_num_seqs_cap = n["max_num_seqs_cap"].as<int>(0);
        p.spec_max_num_seqs = n["spec_max_num_seqs"].as<int>(0);
        if (p.spec_max_num_seqs < 0)
          throw InputError(file, prefix + "/spec_max_num_seqs", std::to_string(p.spec_max_num_seqs), "must be >= 0");
        p.max_batched_tokens = n["max_batched_tokens"].as<int>(0);
        p.max_batched_tokens_min = n["max_batched_tokens_min"].as<int>(0);
        p.max_batched_tokens_cap = n["max_batched_tokens_cap"].as<int>(0);
        if (const auto big = n["max_batched_tokens_large_hbm"]) {
          if (!big.IsMap() || !big["min_gb"] || !big["tokens"])
            throw InputError(file, prefix + "/max_batched_tokens_large_hbm", "", "expected {min_gb, tokens}");
          p.large_hbm_min_gb = big["min_gb"].as<double>();
          p.large_hbm_max_batched_tokens = big["tokens"].as<int>();
          if (!(p.large_hbm_min_gb > 0) || p.large_hbm_max_batched_tokens < 1)
            throw InputError(file, prefix + "/max_batched_tokens_large_hbm",
                             fmt::format("{}/{}", p.large_hbm_min_gb, p.large_hbm_max_batched_tokens),
                             "min_gb must be > 0 and tokens >= 1");
        }
        if (const auto caps = n["cuda_graph_max_bs"]) {
          if (!caps.IsSequence())
            throw InputError(file, prefix + "/cuda_graph_max_bs", "", "expected a list of {min_gb, max_tp, max_bs}");
          std::size_t j = 0;
          for (const auto& c : caps) {
            const std::string cp = prefix + "/cuda_graph_max_bs/" + std::to_string(j++);
            if (!c.IsMap() || !c["max_bs"]) throw InputError(file, cp, "", "expected {min_gb, max_tp, max_bs}");
            EngineKnobs::GraphCapRule rule;
            rule.min_gb = c["min_gb"].as<double>(0);
            rule.max_tp = c["max_tp"].as<int>(0);
            rule.max_bs = c["max_bs"].as<int>();
            if (rule.min_gb < 0 || rule.max_tp < 0 || rule.max_bs < 1)
              throw InputError(file, cp, fmt::format("{}/{}/{}", rule.min_gb, rule.max_tp, rule.max_bs),
                               "min_gb and max_tp must be >= 0, max_bs >= 1");
            p.cuda_graph_max_bs.push_back(rule);
          }
        }
        p.kv_mem_fraction = n["kv_mem_fraction"].as<double>(0.9);
        const std::string of = n["kv_mem_fraction_of"].as<std::string>("free");
        if (of != "free" && of != "total")
          throw InputError(file, prefix + "/kv_mem_fraction_of", of, "expected 'free' or 'total'");
        p.kv_fraction_of_total = of == "total";
        p.source = n["source"].as<std::string>("");
        p.admission = n["admission"].as<std::string>("");
        p.kv_cache_default = n["kv_cache_default"].as<std::string>("");
        for (const auto& v : n["default_for"]) p.default_for.push_back(to_lower(v.as<std::string>()));
        for (auto [key, link] : {std::pair{"supersedes", &p.supersedes}, std::pair{"superseded_by", &p.superseded_by}})
          if (const auto r = n[key])
            *link = {r["profile"].as<std::string>(""), r["released"].as<std::string>(""), r["source"].as<std::string>("")};
      } catch (const YAML::Exception& e) {
        throw InputError(file, prefix, "", std::string("malformed engine profile: ") + e.what());
      }
      if (!p.kv_cache_default.empty() && p.kv_cache_default != "model-dtype")
        throw InputError(file, prefix + "/kv_cache_default", p.kv_cache_default, "expected 'model-dtype' or absent");
      if (p.kv_mem_fraction <= 0 || p.kv_mem_fraction > 1)
        throw InputError(file, prefix + "/kv_mem_fraction", std::to_string(p.kv_mem_fraction), "must be in (0, 1]");
      for (const auto& [key, link] : {std::pair{"supersedes", &p.supersedes}, std::pair{"superseded_by", &p.superseded_by}}) {
        const std::string at = prefix + "/" + key;
        if (link->profile.empty() && link->released.empty()) continue;
        static const std::regex kDay(R"((19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
        if (!std::regex_match(link->released, kDay))
          throw InputError(file, at + "/released", link->released, "expected a date YYYY-MM-DD");
        if (link->profile.empty() || link->profile == p.name)
          throw InputError(file, at + "/profile", link->profile, "expected the name of another engine profile");
        if (link->source.empty()) throw InputError(file, at + "/source", "", "the release date needs its source");
      }
      out.push_back(std::move(p));
    }
    const auto known = [&](const std::string& name) {
      return std::any_of(out.begin(), out.end(), [&](const EngineProfile& q) { return q.name == name; });
    };
    for (std::size_t k = 0; k < out.size(); ++k)
      for (const auto& [key, link] :
           {std::pair{"supersedes", &out[k].supersedes}, std::pair{"superseded_by", &out[k].superseded_by}})
        if (!link->profile.empty() && !known(link->profile))
          throw InputError(file, "/engines/" + std::to_string(k) + "/" + key + "/profile", link->profile,
                           "no engine profile has this name");
    return out;
  });
}

namespace {
// Every date a free-text cell states, as [first day, last day] of the period it names (YYYYMMDD; day 31 for any
// month's end: only the order matters).
std::vector<std::pair<int, int>> stated_periods(const std::string& text) {
  // Patterns from the most to the least specific; each match is blanked before the next pattern runs, so the
  // year inside "2025-01-15" or "Feb 2025" is not read again as a bare year.
  static const std::regex kDay(R"((^|[^0-9A-Za-z])((?:19|20)\d\d)-(\d\d)-(\d\d)(?![0-9]))");
  static const std::regex kMonth(R"((^|[^0-9A-Za-z])((?:19|20)\d\d)-(\d\d)(?![0-9-]))");
  static const std::regex kTag(R"((^|[^0-9A-Za-z])((?:19|20)\d\d)(\d\d)(\d\d)(?![0-9A-Za-z]))");
  static const std::regex kNamed(
      R"((^|[^A-Za-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+((?:19|20)\d\d)(?![0-9]))",
      std::regex::icase);
  static const std::regex kYear(R"((^|[^0-9A-Za-z.\-])((?:19|20)\d\d)(?![0-9A-Za-z\-]))");
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string t = text;
  std::vector<std::pair<int, int>> out;
  const auto note = [&](int y, int m, int d_first, int d_last) {
    if (m < 1 || m > 12 || d_first < 1 || d_last > 31) return;
    out.emplace_back(y * 10000 + m * 100 + d_first, y * 10000 + m * 100 + d_last);
  };
  const auto scan = [&](const std::regex& re, auto&& on_match) {
    for (std::smatch m; std::regex_search(t, m, re);) {
      on_match(m);
      // Blank the match (after its leading separator) so neither it nor its parts match again.
      const auto from = static_cast<std::size_t>(m.position(0) + m.length(1));
      const auto len = static_cast<std::size_t>(m.length(0) - m.length(1));
      t.replace(from, len, len, ' ');
    }
  };
  const auto one_day = [&](const std::smatch& m) {
    const int d = std::stoi(m[4]);
    note(std::stoi(m[2]), std::stoi(m[3]), d, d);
  };
  scan(kDay, one_day);
  scan(kMonth, [&](const std::smatch& m) { note(std::stoi(m[2]), std::stoi(m[3]), 1, 31); });
  scan(kTag, one_day);
  scan(kNamed, [&](const std::smatch& m) {
    const std::string mon = to_lower(m[2].str());
    const auto it = std::find_if(std::begin(kMonths), std::end(kMonths), [&](const char* x) { return mon == x; });
    note(std::stoi(m[3]), static_cast<int>(it - std::begin(kMonths)) + 1, 1, 31);
  });
  scan(kYear, [&](const std::smatch& m) {
    const int y = std::stoi(m[2]);
    out.emplace_back(y * 10000 + 101, y * 10000 + 1231);
  });
  return out;
}

int day_number(const std::string& yyyy_mm_dd) {
  return std::stoi(yyyy_mm_dd.substr(0, 4)) * 10000 + std::stoi(yyyy_mm_dd.substr(5, 2)) * 100 +
         std::stoi(yyyy_mm_dd.substr(8, 2));
}
}  // namespace

std::optional<int> latest_stated_date(const std::string& text) {
  std::optional<int> latest;
  for (const auto& [first, last] : stated_periods(text))
    if (!latest || last > *latest) latest = last;
  return latest;
}

std::optional<int> earliest_stated_date(const std::string& text) {
  std::optional<int> earliest;
  for (const auto& [first, last] : stated_periods(text))
    if (!earliest || first < *earliest) earliest = first;
  return earliest;
}

const EngineProfile* engine_of_date(const EngineProfile* matched, const std::string& engine_column,
                                    const std::string& version_or_date, const std::vector<EngineProfile>& profiles) {
  static const std::regex kVersion(R"(\d+\.\d+)");
  if (!matched || std::regex_search(engine_column, kVersion)) return matched;
  const auto named = [&](const std::string& name) -> const EngineProfile* {
    const auto it = std::find_if(profiles.begin(), profiles.end(), [&](const EngineProfile& q) { return q.name == name; });
    return it == profiles.end() ? nullptr : &*it;
  };
  // Follow `link` from `matched` while `crosses` holds for the linked release's day. Each step moves one profile
  // along; the bound stops a cycle in a malformed file.
  const auto walk = [&](EngineProfile::Release EngineProfile::*link, const auto& crosses) {
    const EngineProfile* p = matched;
    for (std::size_t hops = 0; hops < profiles.size() && !(p->*link).profile.empty(); ++hops) {
      const EngineProfile* q = named((p->*link).profile);
      if (!q || !crosses(day_number((p->*link).released))) break;
      p = q;
    }
    return p;
  };
  // Back: every stated date on or before the day the profile's release came out.
  if (const auto latest = latest_stated_date(version_or_date)) {
    const EngineProfile* older = walk(&EngineProfile::supersedes, [&](int day) { return *latest <= day; });
    if (older != matched) return older;
  }
  // Forward: every stated date after the day the successor's release came out.
  if (const auto earliest = earliest_stated_date(version_or_date))
    return walk(&EngineProfile::superseded_by, [&](int day) { return *earliest > day; });
  return matched;
}

std::string engine_for_gpu(const std::string& requested, const catalog::GpuSpec& gpu,
                           const std::vector<EngineProfile>& profiles) {
  if (requested == "none") return "";
  if (requested != "auto") return requested;
  const std::string vendor = to_lower(gpu.vendor);
  for (const auto& p : profiles)
    if (std::find(p.default_for.begin(), p.default_for.end(), vendor) != p.default_for.end()) return p.name;
  return "";
}

std::vector<std::string> engine_choices(const std::vector<EngineProfile>& profiles) {
  std::vector<std::string> names = {"auto", "none"};
  for (const auto& e : profiles) names.push_back(e.name);
  return names;
}

std::string model_family(const std::string& model_id) {
  const std::string id = to_lower(model_id);
  std::string family;
  std::size_t start = 0;
  while (start <= id.size()) {
    const std::size_t end = std::min(id.find('-', start), id.size());
    std::string word = id.substr(start, end - start);
    const auto digit = std::find_if(word.begin(), word.end(), [](unsigned char ch) { return std::isdigit(ch); });
    if (digit != word.end()) {
      // "qwen3": the name before its version digit, when nothing came before it.
      if (family.empty()) family = std::string(word.begin(), digit);
      break;
    }
    family += (family.empty() ? "" : "-") + word;
    start = end + 1;
  }
  return family.empty() ? id : family;
}

std::string holdout_group(const PublishedRow& r) {
  if (r.source.find("perf-overview") != std::string::npos) {
    const auto v = r.version_or_date.substr(0, r.version_or_date.find(' '));
    return r.source + " " + v;
  }
  return r.source;
}

bool is_saturated_throughput_metric(const std::string& metric) { return metric.rfind("output_tokens_per_s_", 0) == 0; }

namespace {
// One frontier row per measured point (rows sharing `point=<id>`) that gives both a per-user rate and a
// per-GPU throughput: tokens/s per user from tokens_per_s_per_user, else 1000 / tpot_ms, else (at concurrency
// 1) the system output rate; tokens/s per GPU from output_tokens_per_s_per_gpu, else the system rate / GPUs,
// else (at concurrency 1) the per-user rate / GPUs.
void append_frontier_rows(std::vector<PreparedRow>& rows) {
  std::map<std::string, std::vector<std::size_t>> points;
  std::vector<std::string> order;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].ok || rows[i].point_id.empty()) continue;
    if (!points.count(rows[i].point_id)) order.push_back(rows[i].point_id);
    points[rows[i].point_id].push_back(i);
  }
  for (const auto& id : order) {
    const auto& idx = points[id];
    std::optional<double> user, tpot, total, per_gpu;
    for (std::size_t i : idx) {
      const auto& r = rows[i];
      if (r.row.metric == "tokens_per_s_per_user" && !r.per_user_with_context) user = r.measured;
      if (r.row.metric == "tpot_ms") tpot = r.measured;
      // Without speculative decoding one step emits one token: the inter-token latency is the TPOT.
      if (r.row.metric == "itl_ms" && !r.deployment.spec.enabled() && !tpot) tpot = r.measured;
      if (r.row.metric == "output_tokens_per_s_total") total = r.measured;
      if (r.row.metric == "output_tokens_per_s_per_gpu") per_gpu = r.measured;
    }
    const PreparedRow& first = rows[idx.front()];
    const double gpus = std::max(1, first.num_gpus);
    const bool single = first.concurrency == 1;
    if (!user && tpot) user = 1000.0 / *tpot;
    if (!user && single && total) user = *total;
    if (!per_gpu && total) per_gpu = *total / gpus;
    if (!per_gpu && single && user) per_gpu = *user / gpus;
    if (!user || !per_gpu || first.concurrency <= 0) continue;  // saturation runs have no interactivity target
    PreparedRow f = first;
    f.row.metric = kFrontierMetric;
    f.row.value = fmt::format("{}", *per_gpu);
    f.row.unit = "tokens/s/gpu";
    f.measured = *per_gpu;
    f.frontier_min_tok_s_user = *user;
    rows.push_back(f);
    // The same point asked with the deployment left to the search (only engine, precision and speculative
    // decoding kept): how far the best searched deployment is from what the source ran.
    f.row.metric = kFrontierBestMetric;
    rows.push_back(std::move(f));
  }
}
}  // namespace

std::vector<PreparedRow> prepare_rows(const std::vector<PublishedRow>& rows, const catalog::Catalog& cat,
                                      const std::vector<EngineProfile>& engines, const SpecTable& drafts) {
  std::vector<PreparedRow> out;
  for (const auto& row : rows) {
    PreparedRow r;
    r.row = row;
    r.suspect = contains(row.notes, "suspect");
    auto skip = [&](std::string why) {
      r.skip_reason = std::move(why);
      out.push_back(r);
    };
    const bool metric_ok = std::any_of(std::begin(kSupportedMetrics), std::end(kSupportedMetrics),
                                       [&](const char* m) { return row.metric == m; });
    if (!metric_ok) {
      skip("unsupported metric '" + row.metric + "'");
      continue;
    }
    const auto* model = cat.resolve_model(row.model);
    if (!model) {
      skip("unknown model '" + row.model + "'");
      continue;
    }
    const auto* gpu = cat.resolve_gpu(row.gpu);
    // "H100 (variant not stated)": the base name resolves to the usual (SXM) part.
    if (!gpu && row.gpu.find(" (") != std::string::npos) {
      gpu = cat.resolve_gpu(row.gpu.substr(0, row.gpu.find(" (")));
      if (gpu) r.caveat = "GPU variant not stated: taken as " + gpu->id;
    }
    if (!gpu) {
      skip("unknown GPU '" + row.gpu + "'");
      continue;
    }
    r.model_id = model->id;
    r.gpu_id = gpu->id;
    auto isl = leading_number(row.isl), osl = leading_number(row.osl);
    if (!isl || !osl) {
      if (const auto means = stated_mean_lengths(row.notes)) {
        isl = means->first;
        osl = means->second;
        r.caveat = fmt::format("variable lengths: means {:.0f}/{:.0f} from the stated totals", *isl, *osl);
      }
    }
    // Runs that stop at EOS print the output they produced: "total_output_tokens N over M requests".
    if (osl && contains(row.osl, "max")) {
      static const std::regex produced(R"(total_output_tokens (\d+) over (\d+) requests)");
      std::smatch m;
      const auto total = std::regex_search(row.notes, m, produced) ? digits_int(m[1].str(), 1'000'000'000'000'000)
                                                                       : std::nullopt;
      const auto requests = total ? digits_int(m[2].str(), 1'000'000'000) : std::nullopt;
      if (total && requests && *requests > 0) {
        osl = static_cast<double>(*total) / static_cast<double>(*requests);
        r.caveat = fmt::format("output stops at EOS: mean {:.0f} tokens from the stated total (OSL {} is a cap)", *osl,
                               row.osl.substr(0, row.osl.find(' ')));
      }
    }
    // "~N (random-range-ratio R)": vLLM-style benchmark_serving clients (ATOM's copy included) draw each length
    // uniformly from the integers [floor(R N), N], so the run's mean is their midpoint, not N.
    if (isl) isl = range_ratio_mean(row.isl, *isl);
    if (osl) osl = range_ratio_mean(row.osl, *osl);
    if (!isl || !osl || *isl <= 0 || *osl <= 0) {
      skip("ISL/OSL not fixed in the row (isl '" + row.isl + "', osl '" + row.osl + "')");
      continue;
    }
    r.isl = *isl;
    r.osl = *osl;
    const auto value = exact_number(row.value);
    if (!value || *value <= 0) {
      skip("value '" + row.value + "' is not a positive number");
      continue;
    }
    r.measured = *value;
    const auto ngpu_cell = exact_number(row.num_gpus);
    if (row.metric == "output_tokens_per_s_total" && !ngpu_cell) {
      skip("GPU count not stated ('" + row.num_gpus + "') for a whole-system metric");
      continue;
    }
    const auto tp_cell = layout_number(row.tp), pp_cell = layout_number(row.pp);
    // "not stated" = the engine's default (no expert parallelism unless attention DP is on).
    const bool ep_unstated = to_lower(row.ep).find("not stated") != std::string::npos;
    const auto ep_cell = ep_unstated ? std::nullopt : leading_number(row.ep);
    if (!row.ep.empty() && !ep_cell && !ep_unstated) {
      skip("expert-parallel layout not numeric ('" + row.ep + "')");
      continue;
    }
    // Counts become integers only inside a range a real system has (a malformed row must not overflow the
    // conversion).
    bool out_of_range = false;
    const auto ngpu = system_count(ngpu_cell, out_of_range), tp = system_count(tp_cell, out_of_range),
               pp = system_count(pp_cell, out_of_range), ep = system_count(ep_cell, out_of_range);
    if (out_of_range || (tp && pp && static_cast<double>(*tp) * *pp > kMaxSystemGpus)) {
      skip(fmt::format("GPU count or layout out of range 1..{} (num_gpus '{}', tp '{}', pp '{}', ep '{}')", kMaxSystemGpus,
                       row.num_gpus, row.tp, row.pp, row.ep));
      continue;
    }
    r.num_gpus = ngpu ? *ngpu : (tp ? *tp * pp.value_or(1) : 8);

    const std::string engine_name = normalised_engine(row.engine);
    for (const auto& e : engines) {
      if (std::any_of(e.match.begin(), e.match.end(),
                      [&](const std::string& m) { return engine_name.find(m) != std::string::npos; })) {
        r.engine = &e;
        break;
      }
    }
    // An engine named without its version ran the release current at the row's dates (vLLM before v0.8.0 was
    // the V0 engine).
    if (const auto* dated = engine_of_date(r.engine, row.engine, row.version_or_date, engines); dated != r.engine) {
      r.caveat += (r.caveat.empty() ? "" : "; ") +
                  fmt::format("engine version not stated: '{}' read as {} (the release current at the row's date)",
                              row.engine.substr(0, std::min<std::size_t>(row.engine.size(), 40)), dated->name);
      r.engine = dated;
    }

    // Precision as printed: weights, the first format the cell names for them (stated_weight_format: INT4 -> int4,
    // MXFP4 -> mxfp4, NVFP4 -> nvfp4, a bare FP4 as below, FP8 -> fp8, FP16/BF16 -> fp16); "not stated" -> the
    // checkpoint's native precision. KV cache: as stated ("FP16 KV", "FP8 KV", "BF16 attention"), else the engine's
    // default (EngineProfile::kv_cache_default): 16-bit under vLLM/SGLang (kv_cache_dtype=auto), fp8 for fp8/fp4
    // checkpoints otherwise (TensorRT-LLM quantised checkpoints ship an FP8 KV cache) and 16-bit for the rest.
    const std::string prec = to_lower(row.precision);
    Precision wp;
    const bool weights_unstated = prec.find("weights not stated") != std::string::npos;
    if (weights_unstated)
      wp = model->native_weight_precision;
    else if (const std::string_view f = stated_weight_format(prec); f == "mxfp4")
      wp = Precision::mxfp4;
    else if (f == "nvfp4")
      wp = Precision::nvfp4;
    else if (f == "fp4")
      // A bare "FP4" is the checkpoint's own 4-bit format where it ships one (gpt-oss: MXFP4 experts), else the GPU
      // vendor's: NVFP4 on NVIDIA, MXFP4 (the OCP MX format AMD's Instinct FP4 units and checkpoints use) on AMD.
      wp = model->native_weight_precision == Precision::mxfp4 || to_lower(gpu->vendor) == "amd" ? Precision::mxfp4
                                                                                                 : Precision::nvfp4;
    else if (f == "int4")
      wp = Precision::int4;  // weight-only INT4 (W4A16: GPTQ/AWQ/compressed-tensors), dequantised into bf16 GEMMs
    else if (f == "fp8")
      wp = Precision::fp8;
    else if (f == "fp16")
      wp = Precision::fp16;
    else
      wp = model->native_weight_precision;
    // Not stated, or stated as the checkpoint's own MXFP4: the checkpoint as shipped, whose native precision may
    // cover the routed experts only (gpt-oss: MXFP4 experts, BF16 attention).
    const bool native_weights = wp == model->native_weight_precision &&
                                (weights_unstated || prec.find("fp") == std::string::npos || wp == Precision::mxfp4);
    const bool kv_model_dtype = r.engine && r.engine->kv_cache_default == "model-dtype";
    Precision kv = !kv_model_dtype && (wp == Precision::fp8 || wp == Precision::nvfp4 || wp == Precision::mxfp4) &&
                           gpu->peak_flops(ComputeClass::fp8) > 0
                       ? Precision::fp8
                       : Precision::fp16;
    if (prec.find("fp16 kv") != std::string::npos || prec.find("bf16 attention") != std::string::npos)
      kv = Precision::fp16;
    if (prec.find("fp8 kv") != std::string::npos || prec.find("fp8 attention") != std::string::npos) kv = Precision::fp8;
    if (prec.find("kv cache bf16") != std::string::npos || prec.find("kv cache fp16") != std::string::npos)
      kv = Precision::fp16;
    if (prec.find("kv cache fp8") != std::string::npos || prec.find("kv cache + attention fp8") != std::string::npos)
      kv = Precision::fp8;

    DeploymentIntent in;
    // A row run from a block-scaled FP8 checkpoint of a model the catalog holds in 16 bits (Qwen's "-FP8" releases:
    // quantization_config weight_block_size [128, 128]) runs the block-scaled FP8 kernels (ModelSpec::block_scaled_fp8).
    catalog::ModelSpec spec = *model;
    if (wp == Precision::fp8 && (contains(prec, "block-fp8") || contains(prec, "block fp8") ||
                                 contains(prec, "block-wise fp8") || contains(prec, "blockwise fp8")))
      spec.block_scaled_fp8 = true;
    in.model = std::make_shared<const catalog::ModelSpec>(std::move(spec));
    in.gpu = *gpu;
    if (!native_weights) in.weights = wp;
    in.kv = kv;
    Deployment d = make_deployment(in);
    // A low-precision format stated for the routed experts only ("INT4 ... routed experts ..., non-expert layers
    // 16-bit"): attention, dense and shared layers stay 16-bit.
    if (!native_weights && model->is_moe() &&
        (prec.find("non-expert layers 16-bit") != std::string::npos || prec.find("non-expert layers bf16") != std::string::npos))
      d.non_expert_weight_precision = Precision::bf16;
    if (tp) {
      d.tp = *tp;
      d.pp = pp.value_or(1);
      d.ep = ep.value_or(1);
      // Attention data parallelism where the source says so (MoE runs in the TensorRT-LLM docs use it);
      // experts then shard over the whole group unless an EP size is given.
      const bool dp_off = contains(row.notes, "attention dp off") || contains(row.notes, "attention_dp false") ||
                          contains(row.notes, "attention dp disabled");
      if (model->is_moe() && d.tp > 1 && !dp_off &&
          (contains(row.notes, "attention dp") || contains(row.notes, "dp-attention") ||
           contains(row.notes, "attention_dp true") || contains(row.notes, "(dep"))) {
        d.attention_dp = true;
        if (!ep) d.ep = d.tp;
      }
      if (d.ep > d.tp) d.ep = d.tp;
    } else {
      r.search_parallelism = true;
    }
    d.knobs = EngineKnobs{};
    r.deployment = d;
    const auto conc = leading_number(row.concurrency_or_batch);
    if (conc && *conc > 1e9) {
      skip("concurrency '" + row.concurrency_or_batch + "' out of range (above 1e9)");
      continue;
    }
    r.concurrency = conc ? static_cast<std::int64_t>(*conc) : 0;
    // "2 per rank": every GPU (attention-DP rank) runs that many.
    if (conc && contains(row.concurrency_or_batch, "per rank")) r.concurrency *= r.num_gpus;
    // A run whose own measured mean concurrency is far from the stated one did not run at the stated load (the
    // client did not enforce it, or the figure is inconsistent): shown, kept out of the statistics.
    static const std::regex mean_conc_re(R"(measured mean concurrency ([\d.]+))");
    const std::optional<double> stated_mean_conc =
        r.concurrency > 0 ? regex_number(to_lower(row.notes), mean_conc_re) : std::nullopt;
    const bool has_mean_conc = stated_mean_conc.has_value();
    const double mean_conc = stated_mean_conc.value_or(0.0);
    if (has_mean_conc) {
      const double ratio = mean_conc / static_cast<double>(r.concurrency);
      if (ratio > 2.0 || ratio < 0.5) {
        r.suspect = true;
        r.caveat = fmt::format("SUSPECT: measured mean concurrency {:g} vs stated {}", mean_conc, r.concurrency);
      }
    }
    {
      const auto pos = row.notes.find("point=");
      if (pos != std::string::npos) {
        const auto end = row.notes.find_first_of(";, ", pos);
        r.point_id = row.notes.substr(pos + 6, end == std::string::npos ? std::string::npos : end - pos - 6);
      }
    }
    r.spec_stated = stated_spec(row, *model, drafts, r.deployment.spec);
    if (contains(row.notes, "no overlap") || contains(row.notes, "overlap off")) r.host_overlap = 0.0;
    else if (contains(row.notes, "overlap scheduling on")) r.host_overlap = 1.0;
    // TensorRT-LLM's attention-DP balancing (attention_dp_config.enable_balance), as a row states it.
    if (contains(row.notes, "adp balance off")) r.dp_prefill_balance = 0.0;
    else if (contains(row.notes, "enable_balance true")) r.dp_prefill_balance = 1.0;
    r.qk_norm_rope_cache_fused = contains(row.notes, "qk-norm+rope+cache");
    {
      static const std::regex runner(R"(moe[-_]runner[-_]backend[ =]+([a-z_0-9]+))");
      std::smatch mm;
      const std::string launch = to_lower(row.engine + " ; " + row.notes);
      if (std::regex_search(launch, mm, runner)) r.moe_runner_not_triton = mm[1].str() != "triton" && mm[1].str() != "auto";
    }
    r.num_requests = stated_request_count(row.notes);
    r.static_batch = contains(row.scenario, "static batch");
    if (r.static_batch && r.num_requests == 0 && r.concurrency > 0) r.num_requests = r.concurrency;
    {
      // Waves: an online run with a stated concurrency, every prompt and output of one length, and no finite
      // request rate (bench_serving's default is inf).
      const std::string t = to_lower(row.scenario + " ; " + row.notes);
      static const std::regex finite_rate(R"(request[ _]rate[ =:]*[0-9])");
      const auto has = [&](std::string_view needle) { return t.find(needle) != std::string::npos; };
      const bool fixed = has("fixed length") || has("random_range_ratio 1") || has("random_range_ratio=1") ||
                         has("range ratio 1");
      r.synchronized_waves = fixed && r.concurrency > 0 && has("online") && !std::regex_search(t, finite_rate);
      r.burst_start = !fixed && r.concurrency > 0 && r.num_requests >= r.concurrency && has("request rate inf") &&
                      !std::regex_search(t, finite_rate);
      r.ttft_mean = has("value = 'mean ttft") || has("value = mean ttft");
      r.decode_only = contains(row.scenario, "decode nodes") || contains(row.scenario, "decode-only");
    }
    // A finite run below its stated load (ramp-up and drain): its throughput is the steady state's times the share.
    if (has_mean_conc && !r.synchronized_waves && !r.suspect && mean_conc < static_cast<double>(r.concurrency)) {
      r.run_concurrency_share = mean_conc / static_cast<double>(r.concurrency);
      if (r.caveat.empty())
        r.caveat = fmt::format("finite run: mean concurrency {:g} of {} (throughput x {:.2f})", mean_conc,
                               r.concurrency, r.run_concurrency_share);
    }
    r.per_user_with_context = contains(row.notes, "incl. context") || contains(row.notes, "w/ ctx");
    // Disaggregated runs: "N prefill + M decode" servers of the stated deployment, or the shorthand "NPMD"
    // ("1P3D", "3p1d") in the notes, scenario or engine cell.
    {
      static const std::regex xpyd(R"((\d+) prefill \+ (\d+) decode)");
      static const std::regex short_xpyd(R"((^|[^a-z0-9])(\d{1,3})p(\d{1,3})d([^a-z0-9]|$))");
      std::smatch m;
      const std::string lower = to_lower(row.notes);
      const std::string cells = to_lower(row.notes + " " + row.scenario + " " + row.engine);
      if (std::regex_search(lower, m, xpyd)) {
        r.pd = {static_cast<int>(digits_int(m[1].str(), 1024).value_or(0)),
                static_cast<int>(digits_int(m[2].str(), 1024).value_or(0))};
      } else if (std::regex_search(cells, m, short_xpyd)) {
        r.pd = {static_cast<int>(digits_int(m[2].str(), 1024).value_or(0)),
                static_cast<int>(digits_int(m[3].str(), 1024).value_or(0))};
      } else if (contains(row.scenario, "disagg") || contains(row.scenario, "pd-")) {
        r.caveat = "prefill/decode disaggregation without stated pools (predicted as co-located)";
      }
      // The prefill servers' parallelism, where stated apart from the decode servers' (the row's tp/ep columns):
      // "prefill TP4" (tensor parallel), "prefill TEP4" (TP4 with the experts over the same 4 GPUs), "prefill DEP4"
      // (attention DP with the experts over the 4 GPUs); "prefill worker(s)/server(s)/replica(s)" read alike.
      static const std::regex pre_par(R"(prefill(?: (?:worker|server|replica)s?)?(?: pool)?[ :=(]+(tep|dep|tp)(\d{1,3})\b)");
      if (r.pd.enabled() && !r.search_parallelism && std::regex_search(lower, m, pre_par)) {
        const std::string kind = m[1].str();
        Deployment pre = r.deployment;
        pre.spec = SpecDecode{};
        pre.pp = 1;
        pre.tp = static_cast<int>(digits_int(m[2].str(), 4096).value_or(1));
        pre.attention_dp = kind == "dep" && model->is_moe() && pre.tp > 1;
        pre.ep = (kind == "tp" || !model->is_moe()) ? 1 : pre.tp;
        if (pre.tp != r.deployment.tp || pre.ep != r.deployment.ep || pre.attention_dp != r.deployment.attention_dp ||
            r.deployment.pp != 1)
          r.prefill = pre;
      }
    }
    r.ok = true;
    out.push_back(std::move(r));
  }
  append_frontier_rows(out);
  return out;
}

namespace {
// A frontier row as a user would ask it: the best tokens/s per GPU over the deployment search (at most the
// row's GPU count per replica; the row's engine, weight and KV precision; its speculative decoding when the
// row states it, else with and without the shipped defaults) that meets the measured tokens/s per user.
RowPrediction predict_frontier_row(const PreparedRow& r, const EfficiencyTable& eff) {
  RowPrediction p;
  SearchRequest req;
  req.model = r.deployment.model;
  req.gpu = r.deployment.gpu;
  req.precisions = {r.deployment.weight_precision};
  req.kv_precisions = {r.deployment.kv_precision};
  req.gpu_counts.clear();
  for (int n = 1; n <= std::max(1, r.num_gpus) && n <= 8; n *= 2) req.gpu_counts.push_back(n);
  req.wide_ep = r.num_gpus > 8;
  req.isl = r.isl;
  req.osl = r.osl;
  if (r.engine) {
    req.engine = r.engine->name;
    req.knobs = r.engine->knobs(req.knobs, r.deployment.gpu);
  }
  // Engines run without speculative decoding unless told to: a row that does not mention it ran without.
  if (r.spec_stated && r.deployment.spec.enabled()) {
    req.spec_off_too = false;
    req.spec_options = {r.deployment.spec};
  }
  EfficiencyTable table = eff;
  for (auto& en : table.engines)
    if (r.engine && en.name == r.engine->name)
      for (const auto& [key, value] : stated_factors(r)) en.overrides[key] = value;
  // frontier_tok_s_per_gpu keeps the deployment the row states (TP/PP/EP/attention DP, its xPyD split, its
  // speculative decoding); frontier_best_tok_s_per_gpu (and rows that state no layout) search it, with no more
  // GPUs per replica or group than the row's system.
  std::vector<DeploymentOption> options;
  if (r.row.metric == kFrontierMetric && !r.search_parallelism) {
    Efficiency e = table.for_gpu(r.deployment.gpu, req.engine);
    DeploymentOption o;
    o.deployment = with_engine_knobs(r, e);
    o.engine = req.engine;
    o.pd = r.pd;
    if (r.pd.enabled() && r.prefill.model) o.prefill = prefill_pool(o.deployment, r);
    o.label = (r.pd.enabled() ? fmt::format("{}P{}D ", r.pd.prefill_replicas, r.pd.decode_replicas) : std::string()) +
              (o.prefill.model ? deployment_label(o.prefill) + " / " : std::string()) + deployment_label(o.deployment);
    const StepModel sm(o.deployment, e);
    if (r.pd.enabled()) {
      o.frontier = disaggregated_frontier(StepModel(prefill_deployment(o), e), sm, r.pd, r.isl, r.osl);
    } else {
      o.frontier = frontier(sm, r.isl, r.osl);
    }
    options.push_back(std::move(o));
  } else {
    options = search_deployments(req, table);
    options.erase(std::remove_if(options.begin(), options.end(),
                                 [&](const DeploymentOption& o) { return option_gpus(o) > std::max(1, r.num_gpus); }),
                  options.end());
  }
  // The measured system: N GPUs with c requests in flight. A deployment of n GPUs runs R = N / n replicas, each
  // with at most max(1, c / R) requests; min(R, c) replicas are busy. Its per-GPU rate is the busy replicas'
  // output over all N GPUs, at the largest per-replica concurrency that still meets the per-user rate.
  const double n_sys = std::max(1, r.num_gpus);
  const double c_sys = static_cast<double>(std::max<std::int64_t>(1, r.concurrency));
  int best = -1;
  OperatingPoint best_pt;
  double best_rate = 0;
  // Every option whose group divides the system: `point(o, cap)` gives its operating point with at most `cap`
  // requests per replica (nullopt: none); the best per-GPU rate over the system wins.
  auto choose = [&](auto point) {
    for (std::size_t i = 0; i < options.size(); ++i) {
      const auto& o = options[i];
      if (!o.frontier.feasible) continue;
      const int n = option_gpus(o);
      if (static_cast<int>(n_sys) % n) continue;
      const double replicas = n_sys / n;
      const auto cap = static_cast<std::int64_t>(std::max(1.0, std::floor(c_sys / replicas)));
      const std::optional<OperatingPoint> pt = point(o, cap);
      if (!pt) continue;
      const double rate = pt->output_tok_s * std::min(replicas, c_sys) / n_sys;
      if (best < 0 || rate > best_rate) {
        best = static_cast<int>(i);
        best_pt = *pt;
        best_rate = rate;
      }
    }
  };
  // A synchronised-wave run (fixed lengths, request rate inf) is met as its waves are (perf::wave_state): the
  // per-user rate of a wave's median request, the wave's throughput. Other runs: the steady state.
  const auto waves = [&](const DeploymentOption& o) {
    return r.synchronized_waves && !o.pd.enabled() && !o.deployment.spec.enabled();
  };
  choose([&](const DeploymentOption& o, std::int64_t cap) -> std::optional<OperatingPoint> {
    const InteractivePoint ip =
        waves(o) ? wave_at_interactivity(StepModel(o.deployment, table.for_gpu(o.deployment.gpu, o.engine)), r.isl, r.osl,
                                         r.frontier_min_tok_s_user, cap)
                 : option_at_interactivity(o, table, r.isl, r.osl, r.frontier_min_tok_s_user, cap);
    return ip.ok ? std::optional<OperatingPoint>(ip.point) : std::nullopt;
  });
  // The model cannot reach the measured per-user rate at all (it is too slow): the prediction is then what the
  // fastest option delivers per GPU at the row's concurrency. At a fixed concurrency tok/s/GPU is proportional to
  // tok/s/user, so this reads the per-user shortfall as a throughput error instead of dropping the row.
  const bool short_of_target = best < 0;
  if (short_of_target)
    choose([&](const DeploymentOption& o, std::int64_t cap) -> std::optional<OperatingPoint> {
      const std::int64_t c = std::min(o.frontier.max_concurrency, cap);
      if (waves(o)) return wave_state(StepModel(o.deployment, table.for_gpu(o.deployment.gpu, o.engine)), r.isl, r.osl, c);
      return option_point(o, table, r.isl, r.osl, c);
    });
  if (best < 0) {
    p.reason = "no feasible deployment";
    return p;
  }
  {
    // A run its engine could not hold at once (a running cap below the clients) ran full while the queue lasted.
    const auto& bo = options[static_cast<std::size_t>(best)];
    const double replicas = std::min(n_sys / option_gpus(bo), c_sys);
    p.predicted = best_rate * full_load_share(r, static_cast<double>(bo.frontier.max_concurrency) * replicas);
  }
  p.error_pct = (p.predicted - r.measured) / r.measured * 100.0;
  p.deployment = options[static_cast<std::size_t>(best)].label + (short_of_target ? " (below the measured tok/s/user)" : "");
  p.concurrency = best_pt.concurrency;
  p.ok = true;
  return p;
}
}  // namespace

RowPrediction predict_row(const PreparedRow& r, const EfficiencyTable& eff) {
  RowPrediction p;
  if (!r.ok) {
    p.reason = r.skip_reason;
    return p;
  }
  if (r.row.metric == kFrontierMetric || r.row.metric == kFrontierBestMetric) return predict_frontier_row(r, eff);
  Evaluated best;
  if (r.search_parallelism) {
    // Parallelism not published. On GPUs with a scale-up fabric (NVLink) engines run tensor parallelism across
    // it and pipeline stages beyond it; on PCIe cards the vendor reports its best mapping, so take the best
    // TP x PP factorisation of the GPU count (per GPU output tokens/s).
    const int fabric = r.deployment.gpu.scaleup_domain_gpus;
    for (int tp = 1; tp <= r.num_gpus; tp *= 2) {
      if (r.num_gpus % tp) continue;
      if (fabric > 1 && tp != std::min(r.num_gpus, fabric)) continue;
      Deployment d = r.deployment;
      d.tp = tp;
      d.pp = r.num_gpus / tp;
      std::vector<Deployment> shapes{d};
      // MoE: the engines' expert-parallel layouts too (EP across the group, with and without attention DP).
      if (d.model->is_moe() && d.pp == 1 && tp > 1) {
        Deployment ep = d;
        ep.ep = tp;
        shapes.push_back(ep);
        ep.attention_dp = true;
        shapes.push_back(ep);
      }
      for (const auto& sh : shapes) {
        Evaluated e = evaluate(r, sh, eff);
        if (e.ok && (!best.ok || e.point.output_tok_s_per_gpu > best.point.output_tok_s_per_gpu)) best = e;
        if (!best.ok && !e.ok) best.reason = e.reason;
      }
    }
  } else {
    best = evaluate(r, r.deployment, eff);
  }
  if (!best.ok && best.reason.empty())
    best.reason = fmt::format("no tensor-parallel layout of {} GPUs spans the scale-up domain in powers of two; state the row's tp",
                              r.num_gpus);
  if (!best.ok) {
    p.reason = "infeasible: " + best.reason;
    return p;
  }
  const auto& pt = best.point;
  const int unit_gpus = r.pd.enabled() ? disaggregated_gpus(r.pd, prefill_pool(best.deployment, r), best.deployment)
                                       : best.deployment.num_gpus();
  const int replicas = std::max(1, r.num_gpus / std::max(1, unit_gpus));
  const std::string& m = r.row.metric;
  if (m == "output_tokens_per_s_total")
    p.predicted = pt.output_tok_s * replicas * full_load_share(r, static_cast<double>(best.running) * replicas);
  else if (m == "output_tokens_per_s_per_gpu")
    p.predicted = pt.output_tok_s_per_gpu * full_load_share(r, static_cast<double>(best.running) * replicas);
  else if (m == "tokens_per_s_per_user")
    p.predicted = r.per_user_with_context ? r.osl / pt.e2e_s : pt.tok_s_per_user;
  else if (m == "ttft_ms")
    p.predicted = pt.ttft_s * 1e3;
  else if (m == "tpot_ms")
    p.predicted = pt.tpot_s * 1e3;
  else if (m == "itl_ms")
    p.predicted = pt.itl_s * 1e3;
  else if (m == "e2e_s")
    p.predicted = pt.e2e_s;
  p.error_pct = (p.predicted - r.measured) / r.measured * 100.0;
  p.deployment = deployment_label(best.deployment);
  p.concurrency = pt.concurrency;
  p.ok = true;
  return p;
}

ErrorStats error_stats(std::vector<double> e) {
  ErrorStats s;
  s.n = static_cast<int>(e.size());
  if (e.empty()) return s;
  std::vector<double> a;
  for (double x : e) a.push_back(std::fabs(x));
  s.median_abs_error_pct = percentile(a, 0.5);
  s.p90_abs_error_pct = percentile(a, 0.9);
  s.median_signed_error_pct = percentile(e, 0.5);
  return s;
}

ValidationResult validate(const std::vector<PreparedRow>& rows, const EfficiencyTable& eff) {
  ValidationResult v;
  std::vector<double> all, sat, fr, frb;
  std::map<std::string, std::vector<double>> by_model, by_gpu, by_metric, by_source, fr_model, fr_gpu, fr_source,
      fr_engine, fr_gpu_model;
  for (const auto& r : rows) {
    ValidationRow vr{r, predict_row(r, eff)};
    if (!r.ok) {
      ++v.skipped;
    } else if (!vr.prediction.ok) {
      ++v.failed;
    } else {
      ++v.predicted;
      if (r.suspect) {
        ++v.suspect;
      } else {
        const double e = vr.prediction.error_pct;
        by_metric[r.row.metric].push_back(e);
        // Headroom rows (the searched deployment against what the source ran) are not prediction errors: they
        // are kept out of every pooled figure but their own.
        if (r.row.metric == kFrontierBestMetric) {
          frb.push_back(e);
        } else {
          all.push_back(e);
          if (is_saturated_throughput_metric(r.row.metric)) sat.push_back(e);
          by_model[r.model_id].push_back(e);
          by_gpu[r.gpu_id].push_back(e);
          by_source[holdout_group(r.row)].push_back(e);
        }
        if (r.row.metric == kFrontierMetric) {
          fr.push_back(e);
          fr_model[r.model_id].push_back(e);
          fr_gpu[r.gpu_id].push_back(e);
          fr_source[holdout_group(r.row)].push_back(e);
          fr_engine[r.engine ? r.engine->name : kNoEngineProfile].push_back(e);
          fr_gpu_model[gpu_model_key(r.gpu_id, r.model_id)].push_back(e);
        }
      }
    }
    v.rows.push_back(std::move(vr));
  }
  v.overall = error_stats(all);
  v.saturated = error_stats(sat);
  v.frontier = error_stats(fr);
  v.frontier_best = error_stats(frb);
  for (auto& [k, e] : by_model) v.by_model[k] = error_stats(e);
  for (auto& [k, e] : by_gpu) v.by_gpu[k] = error_stats(e);
  for (auto& [k, e] : by_metric) v.by_metric[k] = error_stats(e);
  for (auto& [k, e] : by_source) v.by_source[k] = error_stats(e);
  for (auto& [k, e] : fr_model) v.frontier_by_model[k] = error_stats(e);
  for (auto& [k, e] : fr_gpu) v.frontier_by_gpu[k] = error_stats(e);
  for (auto& [k, e] : fr_source) v.frontier_by_source[k] = error_stats(e);
  for (auto& [k, e] : fr_engine) v.frontier_by_engine[k] = error_stats(e);
  for (auto& [k, e] : fr_gpu_model) v.frontier_by_gpu_model[k] = error_stats(e);
  return v;
}

}  // namespace tokenmath::perf
