#include "tokenmath/perf/throughput.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tokenmath::perf {

using catalog::ComputeClass;
using catalog::Precision;

namespace {
// Mean keys a prompt token attends on a sliding-window layer of window w: min(q + 1, w) over positions q uniform
// in [0, ISL): (ISL + 1) / 2 within the window, about w - w^2 / (2 ISL) once ISL > w.
double mean_windowed_pairs(double isl, double w) { return isl <= w ? (isl + 1) / 2 : w - w * w / (2 * isl); }
}  // namespace

LengthMoments LengthMoments::of(const std::vector<std::pair<double, double>>& samples) {
  double si = 0, so = 0, sii = 0, sod = 0;
  for (const auto& [i, o] : samples) {
    si += i;
    so += o;
    sii += i * i;
    sod += o * (i + o / 2);
  }
  const double n = static_cast<double>(samples.size());
  if (n <= 0 || si <= 0 || so <= 0) return {};
  return {si / n, so / n, sii / si, sod / so};
}

namespace {
// Prefill of the first `share` of a wave's prompts on each attention-DP rank, in budget-sized iterations.
double wave_prefill_s(const StepModel& model, double isl, std::int64_t concurrency, double share) {
  const Deployment& d = model.deployment();
  const double ranks = d.attention_dp ? std::max(1, d.tp) : 1.0;
  isl = std::max(1.0, isl);
  const double c_rank = std::ceil(static_cast<double>(std::max<std::int64_t>(1, concurrency)) / ranks);
  const double k = std::max(1.0, std::ceil(c_rank * share));
  const double budget = std::max(1, d.knobs.max_batched_tokens);
  const double tokens = k * isl;
  const double per_iter = std::min(budget, tokens);
  BatchSummary b;
  b.prefill_tokens = static_cast<std::int64_t>(std::llround(per_iter * ranks));
  b.prefill_seqs = static_cast<std::int64_t>(std::ceil(std::max(1.0, per_iter / isl) * ranks));
  b.prefill_attn_pairs = per_iter * ranks * (isl + 1) / 2;
  const double w = model.sliding_window();
  if (w > 0) b.prefill_attn_pairs_windowed = per_iter * ranks * mean_windowed_pairs(isl, w);
  return std::ceil(tokens / budget) * model.step_s(b);
}
}  // namespace

double wave_ttft_s(const StepModel& model, double isl, std::int64_t concurrency) {
  return wave_prefill_s(model, isl, concurrency, 0.5);
}

OperatingPoint wave_state(const StepModel& model, double isl, double osl, std::int64_t concurrency) {
  OperatingPoint pt;
  pt.concurrency = concurrency;
  if (concurrency <= 0 || osl < 1) return pt;
  const double c = static_cast<double>(concurrency);
  const double prefill = wave_prefill_s(model, isl, concurrency, 1.0);
  BatchSummary dec;
  model.add_decode(dec, std::max(0.0, isl) + osl / 2, concurrency);
  const double step = model.step_s(dec);
  pt.ttft_s = wave_ttft_s(model, isl, concurrency);
  const double wave = prefill + (osl - 1) * step;
  pt.e2e_s = wave;
  pt.tpot_s = osl > 1 ? (wave - pt.ttft_s) / (osl - 1) : step;
  pt.itl_s = step;
  pt.step_s = step;
  pt.tok_s_per_user = 1.0 / pt.tpot_s;
  pt.output_tok_s = c * osl / wave;
  pt.output_tok_s_per_gpu = pt.output_tok_s / model.deployment().num_gpus();
  pt.decode_seqs_per_step = c;
  pt.prefill_tokens_per_step = c * isl * step / wave;
  pt.breakdown = model.step(dec);
  return pt;
}

OperatingPoint steady_state(const StepModel& model, double isl, double osl, std::int64_t concurrency) {
  return steady_state(model, LengthMoments::fixed(isl, osl), concurrency);
}

OperatingPoint steady_state(const StepModel& model, const LengthMoments& lengths, std::int64_t concurrency) {
  const double isl = lengths.isl, osl = lengths.osl;
  const double pair_isl = lengths.pair_isl > 0 ? lengths.pair_isl : isl;
  const double decode_ctx = lengths.decode_ctx > 0 ? lengths.decode_ctx : isl + osl / 2;
  OperatingPoint pt;
  pt.concurrency = concurrency;
  if (concurrency <= 0 || osl <= 0 || isl < 0) return pt;
  const auto& d = model.deployment();
  const double n = static_cast<double>(concurrency);
  // The token budget (like max_num_seqs) applies per attention-DP rank.
  const double ranks = d.attention_dp ? std::max(1, d.tp) : 1;
  const double budget = std::max(1, d.knobs.max_batched_tokens) * ranks;
  // Steps per request cycle: at least OSL (one token per step), more when the token budget cannot carry the
  // N*(ISL+OSL) tokens of a cycle in OSL steps.
  // Speculative decoding: a decoding sequence emits acceptance_length tokens per step (so a request decodes
  // in OSL / a steps) and puts draft_tokens + 1 query tokens into each verify pass (counted in the budget).
  const double a = d.spec.enabled() ? std::max(1.0, d.spec.acceptance_length) : 1.0;
  const double q = d.spec.enabled() ? d.spec.verified() : 1.0;
  const double decode_steps = std::max(1.0, osl / a);
  const double cycle_steps = std::max(decode_steps, n * (isl + decode_steps * q) / budget);
  const double dec = n * decode_steps / cycle_steps;
  const double pre = n * isl / cycle_steps;
  // Prefill arrives in lumps, not spread evenly over steps: the scheduler admits a waiting prompt whole (or one
  // chunk of it: at most knobs.chunked_prefill_tokens per attention-DP rank and the budget the decodes leave) into
  // a single step. When fewer than one prompt's tokens are due per step on average (pre < min(ISL, chunk cap)),
  // a share f = pre / lump of the steps carries a lump of lump = min(ISL, chunk cap) prompt tokens and the
  // others decode only; otherwise every step carries pre.
  // A lump step is compute-bound and a decode-only step memory-bound, so the two costs add up over a cycle
  // instead of hiding one another, which is what measured saturated throughput shows (a kernel on its own
  // overlaps compute and memory almost fully: perf/kernel.hpp).
  // Under attention DP with prefill balancing (Efficiency::dp_prefill_balance, e.g. TensorRT-LLM's
  // attention_dp_config.enable_balance) the scheduler holds prompts until every rank has one, so a lump carries
  // one prompt (or chunk) per rank and no rank stalls the others; without it a lump lands on one rank.
  const Efficiency& eff = model.efficiency();
  const double lump_prompts = (d.attention_dp && eff.dp_prefill_balance > 0.5) ? ranks : 1.0;
  const double chunk_cap =
      std::max(1.0, std::min(budget - dec * q, static_cast<double>(std::max(1, d.knobs.chunked_prefill_tokens)) * ranks));
  // One prompt's share of a lump: at most one rank's chunk (a sequence is prefilled on its own rank, at most
  // chunked_prefill_tokens and the rank's token budget per step), so a budget-bound lump under attention DP holds
  // a chunk on each of several ranks rather than one prompt on one rank.
  const double rank_chunk = d.knobs.sequence_chunk_tokens();
  const double one_prompt = std::min({std::max(1.0, isl), chunk_cap, rank_chunk});
  double lump =
      pre > 0 ? std::min(chunk_cap, std::max(pre, std::min(chunk_cap, one_prompt * lump_prompts))) : 0.0;
  double f = lump > 0 ? std::min(1.0, pre / lump) : 0.0;
  // An engine that prefills in forwards of their own (Efficiency::prefill_eager_kernel_s > 0: SGLang) takes every
  // prompt waiting at a step boundary into one prefill forward. Prompts arrive as requests finish, independently:
  // with lambda = f lumps due per step, a share 1 - exp(-lambda) of the steps run a prefill forward, each over
  // lambda / (1 - exp(-lambda)) lumps. (Engines that mix prefill into the decode batch keep one lump per step:
  // merging changes little there, and the saturated rows they were fitted on say so.)
  if (eff.prefill_eager_kernel_s > 0 && f > 0 && f < 1) {
    const double merged = -std::expm1(-f);
    lump = std::min(chunk_cap, pre / merged);
    f = pre / lump;
  }
  BatchSummary b;
  b.decode_seqs = std::max<std::int64_t>(1, std::llround(dec));
  // Context sums keep the exact (fractional) number of decoding sequences.
  b.decode_ctx_sum = dec * decode_ctx;
  const double w = model.sliding_window();
  if (w > 0) b.decode_ctx_windowed_sum = dec * std::min(decode_ctx, w);
  const StepTime dec_only = model.step(b);
  b.prefill_tokens = std::llround(lump);
  b.prefill_seqs = lump > 0 ? std::max<std::int64_t>(1, std::llround(lump / one_prompt)) : 0;
  // A prompt token at position q attends q+1 tokens: average (ISL+1)/2; windowed layers: the mean of
  // min(q+1, w) over q uniform in [0, ISL), about w - w^2/(2*ISL) once ISL > w.
  b.prefill_attn_pairs = lump * (pair_isl + 1) / 2;
  if (w > 0) b.prefill_attn_pairs_windowed = lump * mean_windowed_pairs(isl, w);
  if (d.attention_dp && ranks > 1 && lump_prompts < ranks && pre > 0) {
    // Attention DP without prefill balancing: each rank schedules its own prompts, independently. A rank needs
    // pre / r prompt tokens per step and takes them in lumps of lump_r = one prompt or chunk (or its whole due
    // share, when larger), so it prefills in a share f_r of the steps; k of the r ranks prefill in a step with
    // probability Binomial(r, f_r), and such a step lasts as its busiest rank (k lumps over k ranks).
    const double pre_r = pre / ranks, cap_r = std::max(1.0, chunk_cap / ranks);
    const double lump_r = std::min(cap_r, std::max(pre_r, std::min(cap_r, one_prompt)));
    const double f_r = std::min(1.0, pre_r / lump_r);
    const int r = static_cast<int>(ranks);
    for (auto field : kStepTimeFields) pt.breakdown.*field = 0;
    double p_k = std::pow(1.0 - f_r, r);  // P(k = 0)
    for (auto field : kStepTimeFields) pt.breakdown.*field += p_k * dec_only.*field;
    for (int k = 1; k <= r; ++k) {
      p_k = f_r >= 1.0 ? (k == r ? 1.0 : 0.0) : p_k * (r - k + 1) / k * f_r / (1.0 - f_r);
      if (p_k < 1e-9) continue;
      BatchSummary bk = b;
      bk.prefill_tokens = std::llround(k * lump_r);
      bk.prefill_seqs = k;
      bk.prefill_attn_pairs = k * lump_r * (pair_isl + 1) / 2;
      if (w > 0) bk.prefill_attn_pairs_windowed = k * lump_r * mean_windowed_pairs(isl, w);
      const StepTime sk = model.step(bk);
      for (auto field : kStepTimeFields) pt.breakdown.*field += p_k * sk.*field;
    }
  } else {
    const StepTime with_prefill = lump > 0 ? model.step(b) : dec_only;
    // The average step: f lump steps, 1 - f decode-only steps (every field of the breakdown alike).
    for (auto field : kStepTimeFields) pt.breakdown.*field = f * with_prefill.*field + (1 - f) * dec_only.*field;
  }
  pt.step_s = pt.breakdown.total_s;
  pt.decode_seqs_per_step = dec;
  pt.prefill_tokens_per_step = pre;
  pt.output_tok_s = dec * a / pt.step_s;
  pt.output_tok_s_per_gpu = pt.output_tok_s / d.num_gpus();
  // A user sees one token per step once decoding. Its prompt is prefilled in chunks of whatever budget the
  // decoding sequences leave (chunk = min(ISL, budget - decode)), one chunk per step, each step carrying the
  // decode batch too: TTFT = ceil(ISL / chunk) * step(decode batch + one chunk at the prompt's middle).
  pt.itl_s = pt.step_s;
  pt.tpot_s = pt.step_s / a;
  pt.tok_s_per_user = 1.0 / pt.tpot_s;
  const double chunk = std::clamp(budget - dec * q, 1.0, std::max(1.0, isl));
  const double chunks = std::ceil(std::max(1.0, isl) / chunk);
  BatchSummary t;
  t.decode_seqs = std::max<std::int64_t>(0, std::llround(dec) - 1);
  t.decode_ctx_sum = b.decode_ctx_sum * (dec > 0 ? std::max(0.0, dec - 1) / dec : 0.0);
  t.decode_ctx_windowed_sum = b.decode_ctx_windowed_sum * (dec > 0 ? std::max(0.0, dec - 1) / dec : 0.0);
  model.add_prefill(t, std::max(0.0, isl / 2 - chunk / 2), chunk);
  // Before its first chunk a request waits for the step in flight: in a closed loop (a benchmark at a fixed
  // concurrency) it is sent when an earlier request's last token arrives, i.e. just after a step ended, so it waits
  // about one decode step whenever other sequences are decoding (none at concurrency 1: the engine is idle). Under
  // an overlap scheduler the batch of the next step was scheduled while the current one ran, before the request
  // arrived, so it waits one step more (host_overlap of a step: TensorRT-LLM's overlap scheduler launches step n+1
  // before processing step n, and opts in to an early first-token path, PR #14061; Furiosa-LLM's overlap-scheduling
  // guide: "a newly arriving request cannot join a batch that has already been prepared").
  const double in_flight = std::clamp(dec - 1.0, 0.0, 1.0);
  pt.ttft_s = in_flight * (1.0 + model.host_overlap()) * dec_only.total_s + chunks * model.step_s(t);
  pt.e2e_s = pt.ttft_s + std::max(0.0, osl - 1) * pt.tpot_s;
  return pt;
}

double kv_tokens_per_seq(const StepModel& model, const LengthMoments& lengths) {
  const double isl = lengths.isl, osl = lengths.osl;
  const double decode_ctx = lengths.decode_ctx > 0 ? lengths.decode_ctx : isl + osl / 2;
  if (model.efficiency().kv_reserve_output >= 0.5) return isl + osl + std::max(0.0, decode_ctx - (isl + osl / 2));
  return decode_ctx;
}

Frontier frontier(const StepModel& model, double isl, double osl) {
  return frontier(model, LengthMoments::fixed(isl, osl));
}

Frontier frontier(const StepModel& model, const LengthMoments& lengths) {
  const double isl = lengths.isl, osl = lengths.osl;
  Frontier f;
  f.memory = model.memory();
  if (!model.feasible()) {
    f.reason = model.memory().reason;
    return f;
  }
  f.max_concurrency = model.max_concurrent_seqs(kv_tokens_per_seq(model, lengths));
  if (f.max_concurrency <= 0) {
    f.reason = fmt::format("the KV pool ({:.1f} GB per GPU) cannot hold one sequence of {:.0f} tokens",
                           model.memory().kv_bytes_per_gpu / 1e9, isl + osl);
    return f;
  }
  f.feasible = true;
  for (std::int64_t c = 1; c < f.max_concurrency; c *= 2) f.points.push_back(steady_state(model, lengths, c));
  f.points.push_back(steady_state(model, lengths, f.max_concurrency));
  f.best = *std::max_element(f.points.begin(), f.points.end(), [](const auto& a, const auto& b) {
    return a.output_tok_s < b.output_tok_s;
  });
  return f;
}

namespace {
// One step of `decode_seqs` decodes at context `ctx` (no prefill), and its time.
BatchSummary decode_only_batch(const StepModel& m, double decode_seqs, double ctx) {
  BatchSummary b;
  b.decode_seqs = std::max<std::int64_t>(1, std::llround(decode_seqs));
  m.add_decode(b, ctx, 0);
  b.decode_ctx_sum = std::max(1.0, decode_seqs) * ctx;
  const double w = m.sliding_window();
  if (w > 0) b.decode_ctx_windowed_sum = std::max(1.0, decode_seqs) * std::min(ctx, w);
  return b;
}
double decode_only_step(const StepModel& m, double decode_seqs, double ctx) {
  return m.step_s(decode_only_batch(m, decode_seqs, ctx));
}

// Prefill-only step of `tokens` prompt tokens from prompts of `isl` tokens (whole prompts, or one chunk).
double prefill_only_step(const StepModel& m, double tokens, double isl) {
  BatchSummary b;
  const double prompts = std::max(1.0, tokens / std::max(1.0, isl));
  const double each = tokens / prompts;
  for (int i = 0; i < static_cast<int>(std::min(prompts, 64.0)); ++i) m.add_prefill(b, std::max(0.0, isl - each), each);
  // More than 64 prompts: scale the aggregates (sums) instead of adding each.
  if (prompts > 64) {
    const double k = prompts / 64.0;
    b.prefill_tokens = std::llround(static_cast<double>(b.prefill_tokens) * k);
    b.prefill_seqs = std::llround(static_cast<double>(b.prefill_seqs) * k);
    b.prefill_attn_pairs *= k;
    b.prefill_attn_pairs_windowed *= k;
  }
  return m.step_s(b);
}
}  // namespace

OperatingPoint decode_pool_state(const StepModel& decode, double isl, double osl, std::int64_t concurrency) {
  OperatingPoint pt;
  pt.concurrency = concurrency;
  if (concurrency <= 0 || osl <= 0) return pt;
  const auto& d = decode.deployment();
  const double a = d.spec.enabled() ? std::max(1.0, d.spec.acceptance_length) : 1.0;
  const double n = static_cast<double>(concurrency), ctx = std::max(0.0, isl) + osl / 2;
  pt.breakdown = decode.step(decode_only_batch(decode, n, ctx));
  const double t = pt.breakdown.total_s;
  pt.step_s = t;
  pt.itl_s = t;
  pt.tpot_s = t / a;
  pt.tok_s_per_user = a / t;
  pt.decode_seqs_per_step = n;
  pt.output_tok_s = n * a / t;
  pt.output_tok_s_per_gpu = pt.output_tok_s / d.num_gpus();
  return pt;
}

int disaggregated_gpus(const Disaggregation& pd, const Deployment& prefill, const Deployment& decode) {
  return pd.prefill_replicas * prefill.num_gpus() + pd.decode_replicas * decode.num_gpus();
}

OperatingPoint disaggregated_state(const StepModel& prefill, const StepModel& decode, const Disaggregation& pd,
                                   double isl, double osl, std::int64_t concurrency) {
  OperatingPoint pt;
  pt.concurrency = concurrency;
  if (!pd.enabled() || concurrency <= 0 || osl <= 0 || isl < 0) return pt;
  const auto& dd = decode.deployment();
  const auto& pdp = prefill.deployment();
  const double x = pd.prefill_replicas, y = pd.decode_replicas;
  const double a = dd.spec.enabled() ? std::max(1.0, dd.spec.acceptance_length) : 1.0;
  const double ctx = isl + osl / 2;
  // Prefill capacity of one prefill replica (tokens/s) and the time of one prompt.
  const double ranks = pdp.attention_dp ? std::max(1, pdp.tp) : 1;
  const double budget = std::max(1.0, static_cast<double>(pdp.knobs.max_batched_tokens) * ranks);
  const double lump = std::max(budget, std::min(std::max(1.0, isl), budget));
  const double cap = lump / prefill_only_step(prefill, lump, isl);
  const double chunk = std::min(std::max(1.0, isl), budget);
  const double prompt_s = std::ceil(std::max(1.0, isl) / chunk) * prefill_only_step(prefill, chunk, isl);
  // Decode side at n_d sequences per decode replica.
  auto decode_out = [&](double nd) { return y * nd * a / decode_only_step(decode, nd, ctx); };
  double nd = static_cast<double>(concurrency) / y;
  double out = decode_out(nd);
  const double prefill_limit = x * cap * osl / std::max(1.0, isl);
  const bool prefill_bound = isl > 0 && out > prefill_limit;
  if (prefill_bound) {
    double lo = 0, hi = nd;  // decode output rises with n_d: the n_d whose output equals the prefill limit
    for (int i = 0; i < 40; ++i) {
      const double mid = 0.5 * (lo + hi);
      (decode_out(mid) > prefill_limit ? hi : lo) = mid;
    }
    nd = std::max(lo, 1e-9);
    out = prefill_limit;
  }
  const double t_d = decode_only_step(decode, std::max(1.0, nd), ctx);
  const double rho = isl > 0 ? std::min(0.999, out * isl / osl / (x * cap)) : 0.0;
  // KV transfer: the prompt's KV on each decode GPU, over the link one GPU has to the group.
  const int group_gpus = disaggregated_gpus(pd, pdp, dd);
  const double link = (group_gpus <= std::max(dd.gpu.scaleup_domain_gpus, 8) && dd.gpu.scaleup_gb_s > 0)
                          ? dd.gpu.scaleup_gb_s * 1e9 * decode.efficiency().comm_bw
                          : decode.efficiency().scaleout_bytes_per_s * decode.efficiency().comm_bw;
  const double transfer_s = decode.kv_bytes_per_seq_per_gpu(isl) / std::max(1.0, link);
  pt.step_s = t_d;
  pt.itl_s = t_d;
  pt.tpot_s = t_d / a;
  pt.tok_s_per_user = a / t_d;
  pt.decode_seqs_per_step = nd;
  pt.prefill_tokens_per_step = 0;
  pt.output_tok_s = out;
  pt.output_tok_s_per_gpu = out / std::max(1, group_gpus);
  // Queueing for a prefill slot: M/D/1 at utilisation rho, but never longer than prefilling every other
  // in-flight request first. Prefill-bound: the N - y n_d requests that do not decode wait in line, served at the
  // request rate output / OSL (Little's law).
  const double wait = std::min(prompt_s * rho / (2.0 * (1.0 - rho)),
                               prompt_s * static_cast<double>(concurrency) / x);
  pt.ttft_s = prompt_s + wait + transfer_s + t_d;
  if (prefill_bound)
    pt.ttft_s = prompt_s + transfer_s + t_d +
                std::max(0.0, static_cast<double>(concurrency) - y * nd) * osl / std::max(1e-9, out);
  pt.e2e_s = pt.ttft_s + std::max(0.0, osl - 1) * pt.tpot_s;
  BatchSummary b;
  b.decode_seqs = std::max<std::int64_t>(1, std::llround(nd));
  b.decode_ctx_sum = std::max(1.0, nd) * ctx;
  pt.breakdown = decode.step(b);
  return pt;
}

Frontier disaggregated_frontier(const StepModel& prefill, const StepModel& decode, const Disaggregation& pd,
                                double isl, double osl) {
  Frontier f;
  f.memory = decode.memory();
  if (!prefill.feasible() || !decode.feasible()) {
    f.reason = !prefill.feasible() ? prefill.memory().reason : decode.memory().reason;
    return f;
  }
  // Decode replicas hold every in-flight request (the prompt's KV plus its output); past the point where the
  // prefill replicas are saturated more requests only queue (same throughput, longer TTFT), so the sweep stops
  // at the first prefill-bound concurrency.
  f.max_concurrency = decode.max_concurrent_seqs(isl + osl) * pd.decode_replicas;
  {
    std::int64_t lo = 1, hi = f.max_concurrency;
    const auto bound = [&](std::int64_t c) {
      const OperatingPoint p = disaggregated_state(prefill, decode, pd, isl, osl, c);
      return p.decode_seqs_per_step * pd.decode_replicas < 0.999 * static_cast<double>(c);
    };
    if (hi > 1 && bound(hi)) {
      while (hi - lo > 1) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        (bound(mid) ? hi : lo) = mid;
      }
      f.max_concurrency = lo;
    }
  }
  if (f.max_concurrency <= 0) {
    f.reason = fmt::format("the KV pool ({:.1f} GB per GPU) cannot hold one sequence of {:.0f} tokens",
                           decode.memory().kv_bytes_per_gpu / 1e9, isl + osl);
    return f;
  }
  f.feasible = true;
  for (std::int64_t c = 1; c < f.max_concurrency; c *= 2) f.points.push_back(disaggregated_state(prefill, decode, pd, isl, osl, c));
  f.points.push_back(disaggregated_state(prefill, decode, pd, isl, osl, f.max_concurrency));
  f.best = *std::max_element(f.points.begin(), f.points.end(), [](const auto& p, const auto& q) {
    return p.output_tok_s < q.output_tok_s;
  });
  return f;
}

Deployment prefill_deployment(const DeploymentOption& o) {
  if (o.prefill.model) return o.prefill;
  Deployment pre = o.deployment;
  pre.spec = SpecDecode{};
  return pre;
}

int option_gpus(const DeploymentOption& o) {
  const int n = o.deployment.num_gpus();
  return o.pd.enabled() ? disaggregated_gpus(o.pd, prefill_deployment(o), o.deployment) : n;
}

OperatingPoint option_point(const DeploymentOption& o, const EfficiencyTable& eff, double isl, double osl,
                            std::int64_t concurrency) {
  const StepModel sm(o.deployment, eff.for_gpu(o.deployment.gpu, o.engine));
  if (!o.pd.enabled()) return steady_state(sm, isl, osl, concurrency);
  const Deployment pre = prefill_deployment(o);
  const StepModel psm(pre, eff.for_gpu(pre.gpu, o.engine));
  return disaggregated_state(psm, sm, o.pd, isl, osl, concurrency);
}

Precision default_activation_precision(Precision weights, const catalog::GpuSpec& gpu) {
  const bool fp8 = gpu.peak_flops(ComputeClass::fp8) > 0;
  const bool fp4 = gpu.peak_flops(ComputeClass::fp4) > 0;
  switch (weights) {
    case Precision::fp8:
    case Precision::int8: return fp8 ? Precision::fp8 : Precision::bf16;
    // 4-bit weights on a GPU without FP4 units run weight-only kernels (W4A16: Marlin, Triton matmul_ogs in
    // vLLM/SGLang on Hopper and Ampere): dequantised to bf16 in registers, bf16 GEMM rate.
    case Precision::nvfp4:
    case Precision::mxfp4: return fp4 ? weights : Precision::bf16;
    case Precision::fp16: return Precision::fp16;
    default: return Precision::bf16;
  }
}

Precision default_kv_precision(const catalog::GpuSpec& gpu) {
  return gpu.peak_flops(ComputeClass::fp8) > 0 ? Precision::fp8 : Precision::bf16;
}

Deployment make_deployment(const DeploymentIntent& in) {
  Deployment d;
  d.model = in.model;
  d.gpu = in.gpu;
  d.tp = in.tp;
  d.pp = in.pp;
  d.ep = in.ep;
  d.attention_dp = in.attention_dp;
  if (in.weights) {
    d.weight_precision = *in.weights;
  } else if (d.model) {
    d.weight_precision = d.model->native_weight_precision;
    use_native_weights(d);
  }
  d.activation_precision = in.activations ? *in.activations : default_activation_precision(d.weight_precision, d.gpu);
  d.kv_precision = in.kv ? *in.kv : default_kv_precision(d.gpu);
  d.knobs = in.knobs;
  return d;
}

namespace {
// The frontier between two integer concurrencies c and c + 1, whose per-user rates straddle the target u: a
// replica alternating between them (time share f at c + 1: an open-loop fleet's mean concurrency is not an
// integer) delivers X = (1 - f) X_c + f X_c+1 output tokens/s, and its users see the token-weighted mean TPOT
//   T = ((1 - f) X_c T_c + f X_c+1 T_c+1) / X,
// so T = 1/u at f = b / (a + b), a = X_c+1 (T_c+1 - 1/u), b = X_c (1/u - T_c). Without it the best point meeting
// u drops to concurrency c, which at low concurrency (throughput ~ c) moves tok/s/GPU by up to 1/c for a small
// change of u. Latencies and step averages are mixed by the same time share.
OperatingPoint time_share(const OperatingPoint& lo, const OperatingPoint& hi, double u) {
  const double t = 1.0 / u;
  const double a = hi.output_tok_s * (hi.tpot_s - t), b = lo.output_tok_s * (t - lo.tpot_s);
  if (!(a > 0) || !(b > 0)) return lo;
  const double f = b / (a + b);
  const auto mix = [f](double x, double y) { return (1 - f) * x + f * y; };
  OperatingPoint p = lo;
  p.timeshare = f;
  p.output_tok_s = mix(lo.output_tok_s, hi.output_tok_s);
  p.output_tok_s_per_gpu = mix(lo.output_tok_s_per_gpu, hi.output_tok_s_per_gpu);
  p.tpot_s = t;
  p.tok_s_per_user = u;
  p.step_s = mix(lo.step_s, hi.step_s);
  p.itl_s = mix(lo.itl_s, hi.itl_s);
  p.ttft_s = mix(lo.ttft_s, hi.ttft_s);
  p.e2e_s = mix(lo.e2e_s, hi.e2e_s);
  p.decode_seqs_per_step = mix(lo.decode_seqs_per_step, hi.decode_seqs_per_step);
  p.prefill_tokens_per_step = mix(lo.prefill_tokens_per_step, hi.prefill_tokens_per_step);
  for (auto field : kStepTimeFields) p.breakdown.*field = mix(lo.breakdown.*field, hi.breakdown.*field);
  return p;
}

// tokens/s per user falls as concurrency rises (a longer step): the largest concurrency in [1, maxc] still
// meeting the target, time-shared with the next one up to meet it exactly (time_share). Throughput rises with
// concurrency, so that is the best point of this deployment.
template <class Eval>
InteractivePoint search_concurrency(Eval point_at, std::int64_t maxc, double min_tok_s_user) {
  InteractivePoint r;
  if (maxc <= 0) return r;
  std::int64_t lo = 1, hi = maxc;
  OperatingPoint at_lo = point_at(1);
  if (at_lo.tok_s_per_user < min_tok_s_user) return r;
  OperatingPoint at_hi = point_at(hi);
  if (at_hi.tok_s_per_user >= min_tok_s_user) {
    r.ok = true;
    r.point = at_hi;
    return r;
  }
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    OperatingPoint pm = point_at(mid);
    if (pm.tok_s_per_user >= min_tok_s_user) {
      lo = mid;
      at_lo = pm;
    } else {
      hi = mid;
      at_hi = pm;
    }
  }
  r.ok = true;
  r.point = time_share(at_lo, at_hi, min_tok_s_user);
  return r;
}
}  // namespace

namespace {
// The most fixed-length requests one replica holds at once: its KV pool, capped at `max_concurrency` when > 0.
std::int64_t fixed_length_max_concurrency(const StepModel& model, double isl, double osl, std::int64_t max_concurrency) {
  const std::int64_t maxc = model.max_concurrent_seqs(kv_tokens_per_seq(model, LengthMoments::fixed(isl, osl)));
  return max_concurrency > 0 ? std::min(maxc, max_concurrency) : maxc;
}
}  // namespace

InteractivePoint wave_at_interactivity(const StepModel& model, double isl, double osl, double min_tok_s_user,
                                       std::int64_t max_concurrency) {
  if (!model.feasible()) return {};
  return search_concurrency([&](std::int64_t c) { return wave_state(model, isl, osl, c); },
                            fixed_length_max_concurrency(model, isl, osl, max_concurrency), min_tok_s_user);
}

InteractivePoint best_at_interactivity(const StepModel& model, double isl, double osl, double min_tok_s_user,
                                       std::int64_t max_concurrency) {
  if (!model.feasible()) return {};
  return search_concurrency([&](std::int64_t c) { return steady_state(model, isl, osl, c); },
                            fixed_length_max_concurrency(model, isl, osl, max_concurrency), min_tok_s_user);
}

InteractivePoint option_at_interactivity(const DeploymentOption& o, const EfficiencyTable& eff, double isl,
                                         double osl, double min_tok_s_user, std::int64_t max_concurrency) {
  if (!o.frontier.feasible) return {};
  if (!o.pd.enabled()) {
    const StepModel sm(o.deployment, eff.for_gpu(o.deployment.gpu, o.engine));
    return best_at_interactivity(sm, isl, osl, min_tok_s_user, max_concurrency);
  }
  std::int64_t maxc = o.frontier.max_concurrency;
  if (max_concurrency > 0) maxc = std::min(maxc, max_concurrency);
  const Deployment pre = prefill_deployment(o);
  const StepModel psm(pre, eff.for_gpu(pre.gpu, o.engine));
  const StepModel dsm(o.deployment, eff.for_gpu(o.deployment.gpu, o.engine));
  return search_concurrency([&](std::int64_t c) { return disaggregated_state(psm, dsm, o.pd, isl, osl, c); }, maxc,
                            min_tok_s_user);
}

FrontierChoice best_option_at_interactivity(const std::vector<DeploymentOption>& options, const EfficiencyTable& eff,
                                            double isl, double osl, double min_tok_s_user) {
  FrontierChoice best;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const auto& o = options[i];
    if (!o.frontier.feasible) continue;
    // Cheap bound first: the deployment's best throughput cannot beat the current choice.
    if (best.index >= 0 && o.frontier.best.output_tok_s_per_gpu <= best.point.output_tok_s_per_gpu) continue;
    const InteractivePoint ip = option_at_interactivity(o, eff, isl, osl, min_tok_s_user, 0);
    if (ip.ok && (best.index < 0 || ip.point.output_tok_s_per_gpu > best.point.output_tok_s_per_gpu)) {
      best.index = static_cast<int>(i);
      best.point = ip.point;
    }
  }
  return best;
}

std::vector<EnvelopePoint> frontier_envelope(const std::vector<DeploymentOption>& options) {
  std::vector<EnvelopePoint> all;
  for (std::size_t i = 0; i < options.size(); ++i)
    if (options[i].frontier.feasible)
      for (const auto& p : options[i].frontier.points) all.push_back({p.tok_s_per_user, p.output_tok_s_per_gpu, i});
  // Walk from the most interactive point down: keep a point when it beats every more interactive one on
  // throughput (ties broken by option order, deterministic).
  std::stable_sort(all.begin(), all.end(), [](const EnvelopePoint& a, const EnvelopePoint& b) {
    if (a.tok_s_per_user != b.tok_s_per_user) return a.tok_s_per_user > b.tok_s_per_user;
    return a.output_tok_s_per_gpu > b.output_tok_s_per_gpu;
  });
  std::vector<EnvelopePoint> env;
  double best = -1;
  for (const auto& p : all)
    if (p.output_tok_s_per_gpu > best) {
      env.push_back(p);
      best = p.output_tok_s_per_gpu;
    }
  std::reverse(env.begin(), env.end());
  return env;
}

std::string deployment_label(const Deployment& d) {
  std::string par;
  if (d.attention_dp)
    par = fmt::format("DEP{}", d.tp);
  else
    par = fmt::format("TP{}", d.tp);
  if (d.ep > 1 && !d.attention_dp) par += fmt::format(" EP{}", d.ep);
  if (d.attention_dp && d.ep != d.tp) par += fmt::format(" EP{}", d.ep);
  if (d.pp > 1) par += fmt::format(" PP{}", d.pp);
  std::string spec;
  if (d.spec.enabled()) {
    std::string m = d.spec.method;
    for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    spec = fmt::format(" {}x{}", m, d.spec.draft_tokens);
  }
  return fmt::format("{} {} kv={}{}", par, catalog::to_string(d.weight_precision), catalog::to_string(d.kv_precision),
                     spec);
}

std::vector<DeploymentOption> search_deployments(const SearchRequest& req, const EfficiencyTable& eff) {
  std::vector<DeploymentOption> out;
  if (!req.model) return out;
  const auto& gpu = req.gpu;
  std::vector<Precision> precisions = req.precisions;
  if (precisions.empty()) {
    precisions.push_back(Precision::bf16);
    if (gpu.peak_flops(ComputeClass::fp8) > 0) precisions.push_back(Precision::fp8);
    // 4-bit: NVIDIA's NVFP4 on NVIDIA parts, the OCP MXFP4 format AMD's FP4 units run.
    if (gpu.peak_flops(ComputeClass::fp4) > 0) precisions.push_back(gpu.vendor == "AMD" ? Precision::mxfp4 : Precision::nvfp4);
    // The checkpoint as shipped (e.g. gpt-oss: MXFP4 experts, BF16 attention), where it is none of the above.
    const Precision native = req.model->native_weight_precision;
    if (std::find(precisions.begin(), precisions.end(), native) == precisions.end()) precisions.push_back(native);
  }
  const Efficiency e = eff.for_gpu(gpu, req.engine);
  const bool moe = req.model->is_moe();
  std::vector<SpecDecode> specs;
  if (req.spec_off_too || req.spec_options.empty()) specs.push_back(SpecDecode{});
  for (const auto& sp : req.spec_options) specs.push_back(sp);
  std::vector<int> counts = req.gpu_counts;
  // Wide expert parallelism: attention DP + EP over 16-64 GPUs (one NVL72 domain, or HGX nodes over the
  // scale-out network; the step model picks the link from the group size).
  std::vector<int> wide;
  if (moe && req.wide_ep) {
    const int largest = counts.empty() ? 1 : *std::max_element(counts.begin(), counts.end());
    for (int n : {16, 32, 64})
      if (n > largest) wide.push_back(n);
  }
  for (Precision wp : precisions) {
    std::vector<Precision> kvs = req.kv_precisions;
    if (kvs.empty()) kvs.push_back(default_kv_precision(gpu));
    for (Precision kv : kvs) {
      for (int n : counts) {
        std::vector<Deployment> shapes;
        for (int tp = 1; tp <= n; tp *= 2) {
          if (n % tp) continue;
          DeploymentIntent in;
          in.model = req.model;
          in.gpu = gpu;
          in.tp = tp;
          in.pp = n / tp;
          if (wp != req.model->native_weight_precision) in.weights = wp;
          in.kv = kv;
          in.knobs = req.knobs;
          Deployment d = make_deployment(in);
          shapes.push_back(d);
          if (moe && d.pp == 1 && tp > 1) {
            Deployment ep = d;
            ep.ep = tp;
            shapes.push_back(ep);
            ep.attention_dp = true;
            shapes.push_back(ep);
          }
        }
        for (const auto& base : shapes)
          for (const auto& sp : specs) {
            Deployment d = base;
            d.spec = sp;
            StepModel sm(d, e);
            DeploymentOption o{d, frontier(sm, req.isl, req.osl), deployment_label(d), req.engine, {}, {}};
            out.push_back(std::move(o));
            if (!req.disaggregated || d.pp > 1) continue;
            // xPyD groups of this shape (prefill replicas without speculative decoding).
            Deployment pre = d;
            pre.spec = SpecDecode{};
            const StepModel psm(pre, e);
            if (!psm.feasible()) continue;
            for (const auto& [x, y] : {std::pair{1, 1}, std::pair{1, 2}, std::pair{1, 3}, std::pair{2, 1}}) {
              const Disaggregation pd{x, y};
              DeploymentOption g{d, disaggregated_frontier(psm, sm, pd, req.isl, req.osl),
                                 fmt::format("{}P{}D {}", x, y, deployment_label(d)), req.engine, pd, pre};
              out.push_back(std::move(g));
            }
          }
      }
      for (int n : wide) {
        DeploymentIntent in;
        in.model = req.model;
        in.gpu = gpu;
        in.tp = in.ep = n;
        in.attention_dp = true;
        if (wp != req.model->native_weight_precision) in.weights = wp;
        in.kv = kv;
        in.knobs = req.knobs;
        Deployment d = make_deployment(in);
        // The prefill replicas of a disaggregated group around this wide decode replica: DEP4 (attention DP and
        // EP over 4 GPUs of the same kind), as the wide-EP serving recipes pair them.
        DeploymentIntent pin = in;
        pin.tp = pin.ep = 4;
        const Deployment pre = make_deployment(pin);
        const std::optional<StepModel> psm = req.disaggregated ? std::optional<StepModel>(StepModel(pre, e)) : std::nullopt;
        for (const auto& sp : specs) {
          d.spec = sp;
          StepModel sm(d, e);
          DeploymentOption o{d, frontier(sm, req.isl, req.osl), deployment_label(d), req.engine, {}, {}};
          out.push_back(std::move(o));
          if (!psm || !psm->feasible()) continue;
          for (int x : {1, 2, 4, 8}) {
            const Disaggregation pd{x, 1};
            DeploymentOption g{d, disaggregated_frontier(*psm, sm, pd, req.isl, req.osl),
                               fmt::format("{}P1D {} / {}", x, deployment_label(pre), deployment_label(d)), req.engine,
                               pd, pre};
            out.push_back(std::move(g));
          }
        }
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const DeploymentOption& a, const DeploymentOption& b) {
    if (a.frontier.feasible != b.frontier.feasible) return a.frontier.feasible;
    return a.frontier.best.output_tok_s_per_gpu > b.frontier.best.output_tok_s_per_gpu;
  });
  return out;
}

}  // namespace tokenmath::perf
