// Time of one GPU kernel: the contract the step model builds every group of kernels from, and that
// `tokenmath validate-kernels` checks against kernels measured on real GPUs (data/validation/kernels/).
#pragma once

#include <algorithm>
#include <cmath>

#include "tokenmath/perf/efficiency.hpp"

namespace tokenmath::perf {

// Compute time c and memory time m (seconds, each at its achievable rate) of work that overlaps loads and math
// imperfectly: (c^p + m^p)^(1/p). p = 1 adds them (no overlap); p -> infinity is the ideal roofline max(c, m).
// Measured cuBLAS GEMMs on H100/H200 sit at p ~ 6-8: within ~12% of max(c, m) at the ridge point, where the
// two times are equal, and indistinguishable from it away from the ridge.
// (1 + x)^(1/6) for x in [0, 1] without std::pow/cbrt: second-order Taylor start, then two Newton steps on
// y^6 = 1 + x (relative error below 5e-6 on the whole interval, far below the model's accuracy;
// tests/perf/kernel_test.cpp checks it).
inline double sixth_root_1p(double x) {
  const double a = 1.0 + x;
  double y = 1.0 + x * (1.0 / 6.0) - x * x * (5.0 / 72.0);
  for (int i = 0; i < 2; ++i) {
    const double y2 = y * y, y5 = y2 * y2 * y;
    y -= (y5 * y - a) / (6.0 * y5);
  }
  return y;
}

inline double roofline_s(double c, double m, double p) {
  const double hi = std::max(c, m);
  if (hi <= 0) return 0;
  const double lo = std::min(c, m) / hi;
  // p = 6 (the measured value) has a fast path: lo^6 by multiplication and the 6th root by Newton steps; the
  // step model calls this a few times per evaluation and std::pow would dominate its cost.
  if (p == 6.0) {
    const double lo2 = lo * lo, lp = lo2 * lo2 * lo2;
    return lp < 1e-12 ? hi : hi * sixth_root_1p(lp);
  }
  const double lp = std::pow(lo, p);
  if (lp < 1e-12) return hi;  // (1 + lp)^(1/p) - 1 < 1e-12
  return hi * std::pow(1.0 + lp, 1.0 / p);
}

// A grouped expert GEMM (one launch over the experts a batch touches): routed compute c_routed, tile padding
// c_pad (each touched expert computes moe_tile_tokens extra rows: partial M tiles, per-expert prologue, wave
// quantisation) and weight reads m. The padding runs while the weights stream in, so it only costs once the
// kernel is compute-bound: max(c_routed + c_pad, roofline(c_routed, m)).
inline double grouped_roofline_s(double c_routed, double c_pad, double m, double p) {
  return std::max(c_routed + c_pad, roofline_s(c_routed, m, p));
}

// Padded rows per touched expert in a serving MoE kernel (vLLM / SGLang fused_moe, TensorRT-LLM's grouped GEMMs):
// while the batch has no more tokens than experts the kernels use a small M tile (moe_serving_tile_small) and an
// expert with `rows_per_expert` below it computes the rest of the tile; otherwise each touched expert pays
// moe_serving_pad_rows. The step model (step.cpp stage_time) and validate-kernels' fused_moe rows share it.
inline double serving_moe_pad_rows(const Efficiency& eff, double tokens, double experts, double rows_per_expert) {
  return (tokens <= experts && rows_per_expert < eff.moe_serving_tile_small)
             ? eff.moe_serving_tile_small - rows_per_expert
             : eff.moe_serving_pad_rows;
}

// Share of the bf16 peak causal prefill attention reaches for prompts of `prompt_tokens`: short prompts leave
// the kernel's tiles and waves part-empty, so efficiency rises towards attention_compute as
// attention_compute x L / (L + attention_half_tokens) (measured on H100/H200 for 512-32768-token prompts).
inline double prefill_attention_efficiency(const Efficiency& eff, double prompt_tokens) {
  const double l = std::max(prompt_tokens, 1.0);
  return eff.attention_compute * l / (l + eff.attention_half_tokens);
}

// Time of prefill attention at per-head score FLOPs `head_flops` = 2 x (qk head dim + v head dim), relative to
// the head dims attention_compute was measured at. A score costs its matmul FLOPs plus one exponential, which the
// special-function units run at a small fraction of the matmul rate (H100: 3.9 TFLOP/s against 989, the
// FlashAttention-3 paper's figures), i.e. softmax_flop_equiv matmul-FLOP equivalents. With FLOPs counted as
// head_flops per score, time scales as (1 + k / head_flops) / (1 + k / reference): head dim 64 runs at 0.75 of
// the head-dim-128 rate, head dim 256 at 1.2 (FlashAttention-3 on H100, bf16 forward at 16k: 497, 648 and
// ~740-760 TFLOP/s).
inline double attention_head_dim_scale(const Efficiency& eff, double head_flops) {
  if (eff.softmax_flop_equiv <= 0 || head_flops <= 0 || eff.attention_ref_head_flops <= 0) return 1.0;
  const double k = eff.softmax_flop_equiv;
  return (1.0 + k / head_flops) / (1.0 + k / eff.attention_ref_head_flops);
}

// One kernel doing `flops` at `flops_per_s` and moving `bytes` at `bytes_per_s` (peak x efficiency):
// kernel_fixed_s + roofline_s(flops / flops_per_s, bytes / bytes_per_s, roof_p).
inline double kernel_time_s(double flops, double flops_per_s, double bytes, double bytes_per_s, const Efficiency& eff) {
  const double c = flops_per_s > 0 ? flops / flops_per_s : 0;
  const double m = bytes_per_s > 0 ? bytes / bytes_per_s : 0;
  return eff.kernel_fixed_s + roofline_s(c, m, eff.roof_p);
}

}  // namespace tokenmath::perf
