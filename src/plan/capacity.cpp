#include "tokenmath/plan/capacity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::plan {
namespace {

// Token budget of one engine iteration for the whole replica: each attention-DP rank schedules its own batch.
double iteration_budget(const perf::Deployment& d) {
  return static_cast<double>(d.knobs.max_batched_tokens) * (d.attention_dp ? std::max(1, d.tp) : 1);
}

// Adds `tokens` prefill tokens of sequences whose uncached part [C, C + F) is prefilled: the batch is `tokens/F`
// copies of one sequence's prefill (step-model aggregates are sums, so scaling one sequence's is exact).
void add_fresh_prefill(const perf::StepModel& m, perf::BatchSummary& b, double cached, double fresh, double tokens) {
  if (tokens <= 0 || fresh <= 0) return;
  perf::BatchSummary one;
  m.add_prefill(one, cached, fresh);
  const double k = tokens / fresh;
  // Sequences in the batch: a sequence contributes at most one chunk per iteration (chunked_prefill_tokens and the
  // rank's budget), so a chunk of many tokens spans several prompts (several ranks under attention DP).
  const double rank_chunk = m.deployment().knobs.sequence_chunk_tokens();
  b.prefill_tokens += static_cast<std::int64_t>(std::llround(tokens));
  b.prefill_seqs += static_cast<std::int64_t>(std::ceil(std::max(k, tokens / rank_chunk)));
  b.prefill_attn_pairs += one.prefill_attn_pairs * k;
  b.prefill_attn_pairs_windowed += one.prefill_attn_pairs_windowed * k;
}

// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9 on (0, 1)).
double normal_quantile(double p) {
  p = std::clamp(p, 1e-9, 1 - 1e-9);
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (p < lo) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace

// Steady state of continuous batching with chunked prefill, N steps in flight, each needing F prefill tokens
// (after a cached prefix of C tokens) and O decode iterations; B = iteration token budget.
//   S = max(O, N (F + O) / B)      iterations per step: O when the budget fits all decodes and prefills
//   (speculative decoding: O / a decode iterations of q = k + 1 verified tokens each, S = max(O/a, N (F + q O/a) / B),
//   tokens/s per user = a / t)
//   per iteration: N_dec = N O / S decode sequences at context C + F + O/2; on average x = N F / S prefill tokens
//   Prefill is lumpy, as engines schedule it: arrivals per iteration q = N / S are Poisson, so a share
//   p = 1 - exp(-q) of iterations carries the waiting prefills, x / p tokens each (capped at the budget left by
//   decodes, B_free = B - N_dec, in which case p = x / B_free); the other iterations decode only. With t_mix and
//   t_dec the step-model times of those two batches:
//   t = p t_mix + (1 - p) t_dec    (mean iteration; a user's mean time per output token)
//   steps/s = N / (S t); tokens/s per user = 1 / t
//   TTFT: wait for the next iteration (t / 2), prefill in chunks of B_free with queueing at prefill utilisation
//   rho = x / B_free (M/D/1 in iterations), then the first decode:
//   TTFT = t / 2 + host reload + t_mix x (F / B_free) x (1 + rho / (2 (1 - rho))) + t
//   A cache miss (session start, expired prefix) prefills all C + F tokens the same way (TTFT_miss, informational).
//   KV: N active sequences at C + F + O/2 tokens (C + F + O where the engine reserves the output) must fit the KV
//   pool; what they leave holds idle sessions' prefixes (prefix retention, below: it sets F and C).
//   Attribution: output = t_out0 / t (decode-only at zero context), cached = (t_dec - t_out0) / t,
//   fresh = (t - t_dec) / t.
//
// Prefix retention (PrefixRetention, when the curve is set). Between two steps a session is idle (tool runs, the
// engineer thinking); its prefix survives if the replica keeps its KV that long. The trace the curve comes from
// (TraceLab) measures, per eviction timeout tau, the storage ratio R(tau) = idle time held / generation time
// (= idle-session KV / active KV, reading each session's KV as the same size whether active or idle) and the
// prefill amplification A(tau) = tokens prefilled / the eviction-free minimum. The replica's room for idle
// sessions is the KV pool left by the N active sequences, or the host tier less the active sequences' copies
// where that is more (the tier is inclusive):
//   R = (max(pool, host) - N kv(C + F + O/2)) / kv(C + F + O) / N
//   fresh = min(C + F, F_api x A(R) / A_api)       (F_api: the API's fresh tokens, A_api: its amplification)
// and the cached tokens served from the host tier (those beyond what HBM's room alone retains, R_hbm) are
// reloaded over the host link before the step's prefill: host_reload_s = (fresh(R_hbm) - fresh) x kv(C+F)/(C+F)
// / link bandwidth, added to TTFT. Reading R as KV assumes the fleet generates a step in about the time the
// trace's APIs did (both near the SLO's 40-50 tok/s); a faster fleet keeps more sessions idle per active one.
ReplicaPoint replica_point(const perf::StepModel& m, const StepShape& shape, const Slo& slo, std::int64_t n_seqs) {
  ReplicaPoint p;
  const auto& d = m.deployment();
  const double n = static_cast<double>(n_seqs), o = shape.tokens.output, budget = iteration_budget(d);
  const double context = shape.tokens.input();
  // Active sequences' KV (an engine that reserves the whole output, Efficiency::kv_reserve_output, TensorRT-LLM,
  // holds C + F + O tokens per sequence; others what they have written, C + F + O/2 on average).
  const double active_ctx = perf::kv_tokens_per_seq(m, perf::LengthMoments::fixed(context, o));
  const double pool = m.memory().kv_bytes_per_gpu;
  const double active_bytes = n * m.kv_bytes_per_seq_per_gpu(active_ctx);
  double f = shape.tokens.fresh_input;
  const auto& ret = shape.retention;
  if (ret.enabled()) {
    const double idle_seq = m.kv_bytes_per_seq_per_gpu(context + o);
    const double room_hbm = std::max(0.0, pool - active_bytes);
    const auto ratio = [&](double room) { return idle_seq > 0 ? room / idle_seq / n : 0.0; };
    const auto fresh_at = [&](double r) {
      return std::min(context, shape.tokens.fresh_input * ret.amplification(r) / ret.api_amplification);
    };
    // The host tier is inclusive (write-through, as SGLang HiCache and LMCache run by default): it holds copies
    // of what HBM holds, active steps' prefixes included, so it adds room only beyond the HBM pool.
    p.idle_storage_ratio = ratio(std::max(room_hbm, ret.host_kv_bytes_per_gpu - active_bytes));
    f = fresh_at(p.idle_storage_ratio);
    p.host_hit_tokens = std::max(0.0, fresh_at(ratio(room_hbm)) - f);
    if (ret.host_link_bytes_per_s > 0 && context > 0)
      p.host_reload_s = p.host_hit_tokens * m.kv_bytes_per_seq_per_gpu(context) / context / ret.host_link_bytes_per_s;
  }
  const double c = context - f;
  p.tokens = {f, c, o};
  p.cache_hit_rate = context > 0 ? c / context : 0;
  // Speculative decoding: a decode iteration emits a = acceptance_length tokens per sequence and verifies
  // q = draft_tokens + 1 positions of each (O / a decode iterations per step, q budget tokens per decode).
  const double a = d.spec.enabled() ? std::max(1.0, d.spec.acceptance_length) : 1.0;
  const double q = d.spec.enabled() ? d.spec.verified() : 1.0;
  const double dec_iters = std::max(1.0, o / a);
  p.concurrency = n_seqs;
  p.iterations_per_step = std::max(dec_iters, n * (f + dec_iters * q) / budget);
  p.decode_seqs = n * dec_iters / p.iterations_per_step;
  p.prefill_tokens = n * f / p.iterations_per_step;
  const double ctx = c + f + o / 2;
  const double free_budget = budget - p.decode_seqs * q;

  double share = f > 0 ? 1.0 - std::exp(-n / p.iterations_per_step) : 0.0;
  double chunk = share > 0 ? p.prefill_tokens / share : 0.0;
  if (free_budget > 0 && chunk > free_budget) {
    chunk = free_budget;
    share = std::min(1.0, p.prefill_tokens / free_budget);
  }
  p.prefill_iteration_share = share;
  p.prefill_chunk_tokens = chunk;

  perf::BatchSummary out0, dec, mix;
  const auto dec_seqs = static_cast<std::int64_t>(std::llround(p.decode_seqs));
  m.add_decode(out0, 1.0, dec_seqs);
  m.add_decode(dec, ctx, dec_seqs);
  mix = dec;
  add_fresh_prefill(m, mix, c, f, chunk);
  const double t_out = m.step_s(out0), t_dec = m.step_s(dec), t_mix = m.step_s(mix);
  const double t = share * t_mix + (1.0 - share) * t_dec;
  p.iteration_s = t;
  p.steps_per_s = t > 0 ? n / (p.iterations_per_step * t) : 0;
  p.output_tok_s = p.steps_per_s * o;
  p.output_tok_s_per_gpu = p.output_tok_s / d.num_gpus();
  p.tok_s_per_user = t > 0 ? a / t : 0;
  // The SLO holds per request, not on average: a request's TPOT averages its k = O / a decode iterations, of which
  // X ~ Binomial(k, s') carry another request's prefill chunk and last t_mix instead of t_dec, with
  // s' = share x (N - 1) / N (its own prefill is its TTFT, not its TPOT). Its TPOT is (k t_dec + X (t_mix - t_dec)) / O:
  // mean about t / a, standard deviation (t_mix - t_dec) sqrt(k s' (1 - s')) / O.
  // The SLO is checked at its percentile q (slo.percentile): mean + z_q sd (normal approximation).
  {
    const double k = dec_iters;
    const double s_other = share * (n - 1.0) / std::max(1.0, n);
    const double sd = std::max(0.0, t_mix - t_dec) * std::sqrt(k * s_other * (1.0 - s_other)) / std::max(1.0, o);
    const double tpot_p90 = t / a + normal_quantile(slo.percentile) * sd;
    p.tok_s_per_user_p90 = tpot_p90 > 0 ? 1.0 / tpot_p90 : 0;
  }

  double fresh = std::max(0.0, t - t_dec), cached = std::max(0.0, t_dec - t_out), out = std::max(0.0, t_out);
  const double sum = fresh + cached + out;
  if (sum > 0) {
    p.share_fresh = fresh / sum;
    p.share_cached = cached / sum;
    p.share_output = out / sum;
  }

  const double rho = free_budget > 0 ? p.prefill_tokens / free_budget : 1.0;
  const double queue = rho < 1.0 ? 1.0 + rho / (2.0 * (1.0 - rho)) : std::numeric_limits<double>::infinity();
  p.ttft_s = free_budget > 0 ? t / 2 + p.host_reload_s + t_mix * (f / free_budget) * queue + t
                             : std::numeric_limits<double>::infinity();
  p.ttft_miss_s =
      free_budget > 0 ? t / 2 + t_mix * ((c + f) / free_budget) * queue + t : std::numeric_limits<double>::infinity();

  p.kv_used_fraction = pool > 0 ? active_bytes / pool : std::numeric_limits<double>::infinity();

  if (p.kv_used_fraction > 1.0)
    p.limit = fmt::format("KV cache: {:.0f} active sequences need {:.0f}% of the KV pool", n, 100 * p.kv_used_fraction);
  else if (p.tok_s_per_user_p90 < slo.min_output_tok_s_per_user)
    p.limit = fmt::format("decode speed {:.1f} tok/s per user at the 90th percentile (mean {:.1f}) < {:g}",
                          p.tok_s_per_user_p90, p.tok_s_per_user, slo.min_output_tok_s_per_user);
  else if (!(p.ttft_s <= slo.max_ttft_s))
    p.limit = std::isfinite(p.ttft_s) ? fmt::format("TTFT {:.2f} s > {:g} s", p.ttft_s, slo.max_ttft_s)
                                      : "prefill budget saturated";
  return p;
}

double PrefixRetention::amplification(double r) const {
  const auto& x = storage_ratio;
  const auto& y = prefill_amplification;
  if (x.empty()) return api_amplification;
  if (r <= x.front()) return y.front();
  for (std::size_t i = 1; i < x.size(); ++i)
    if (r <= x[i]) return y[i - 1] + (y[i] - y[i - 1]) * (r - x[i - 1]) / (x[i] - x[i - 1]);
  return y.back();
}

ReplicaCapacity replica_capacity(const perf::StepModel& m, const StepShape& shape, const Slo& slo) {
  ReplicaCapacity r;
  r.deployment = m.deployment();
  r.efficiency = m.efficiency();
  r.gpus = r.deployment.num_gpus();
  if (!m.feasible()) {
    r.reason = m.memory().reason;
    return r;
  }
  const ReplicaPoint first = replica_point(m, shape, slo, 1);
  if (!first.limit.empty()) {
    r.reason = "even one sequence fails: " + first.limit;
    r.frontier.push_back(first);
    return r;
  }
  // Upper bound: KV for active sequences alone.
  const double per_seq = m.kv_bytes_per_seq_per_gpu(shape.tokens.input() + shape.tokens.output / 2);
  const auto hi_bound =
      static_cast<std::int64_t>(std::max(1.0, per_seq > 0 ? std::floor(m.memory().kv_bytes_per_gpu / per_seq) : 1e6));
  std::int64_t lo = 1, hi = hi_bound + 1;  // lo meets every constraint; hi does not (or is past the bound)
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (replica_point(m, shape, slo, mid).limit.empty())
      lo = mid;
    else
      hi = mid;
  }
  r.best = replica_point(m, shape, slo, lo);
  if (shape.retention.enabled()) {
    std::int64_t last = lo;
    for (double x = 0.95 * static_cast<double>(lo); x >= 1.0; x *= 0.95) {
      const auto n = static_cast<std::int64_t>(std::llround(x));
      if (n == last) continue;  // below ~20 sequences 5% steps round to the same count
      last = n;
      const ReplicaPoint q = replica_point(m, shape, slo, n);
      if (q.limit.empty() && q.steps_per_s > r.best.steps_per_s) r.best = q;
    }
  }
  r.feasible = true;
  for (std::int64_t c = 1; c <= std::min<std::int64_t>(hi_bound, 1 << 20); c *= 2)
    r.frontier.push_back(replica_point(m, shape, slo, c));
  if (r.frontier.empty() || r.frontier.back().concurrency != lo) {
    r.frontier.push_back(r.best);
    std::sort(r.frontier.begin(), r.frontier.end(),
              [](const ReplicaPoint& a, const ReplicaPoint& b) { return a.concurrency < b.concurrency; });
  }
  const double busy_s_per_step = r.best.steps_per_s > 0 ? 1.0 / r.best.steps_per_s : 0;
  // Per token of each kind as the API bills the step (shape.tokens), so prices x the demand's tokens = the cost:
  // where the owned cache misses more than the API's, the prefill of those extra misses is part of the cost of a
  // cached token (the API would have served it from cache); where it misses less, all prefill is fresh tokens'.
  const auto& t = shape.tokens;
  const double f_owned = r.best.tokens.fresh_input;
  const double excess = f_owned > t.fresh_input && f_owned > 0 ? (f_owned - t.fresh_input) / f_owned : 0.0;
  r.seconds_per_fresh_token =
      t.fresh_input > 0 ? r.best.share_fresh * (1 - excess) * busy_s_per_step / t.fresh_input : 0;
  r.seconds_per_cached_token =
      t.cached_input > 0 ? (r.best.share_cached + r.best.share_fresh * excess) * busy_s_per_step / t.cached_input : 0;
  r.seconds_per_output_token = t.output > 0 ? r.best.share_output * busy_s_per_step / t.output : 0;
  return r;
}

}  // namespace tokenmath::plan
