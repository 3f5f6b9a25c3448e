#include "tokenmath/perf/validate_kernels.hpp"

#include <fmt/format.h>

#include <cmath>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/kernel.hpp"

namespace tokenmath::perf {

namespace {
double parse_number(const std::string& s, const std::string& file, const std::string& field) {
  double v = 0;
  const auto* end = s.data() + s.size();
  const auto res = std::from_chars(s.data(), end, v);
  if (s.empty() || res.ec != std::errc() || res.ptr != end || !(v >= 0))
    throw InputError(file, field, s, "expected a non-negative number");
  return v;
}

// The number after `key` (e.g. "E=") in a row's `extra` ("E=256;k=8;kernels=8"), or -1 when absent.
double extra_number(const std::string& extra, const std::string& key) {
  std::size_t at = 0;
  while ((at = extra.find(key, at)) != std::string::npos) {
    if (at == 0 || extra[at - 1] == ';') return std::atof(extra.c_str() + at + key.size());
    at += key.size();
  }
  return -1;
}
}  // namespace

std::vector<KernelRow> read_kernel_csv(const std::filesystem::path& path) {
  const std::string file = path.string();
  const auto table = read_csv_table(path);
  const auto& header = table.front();
  static const char* kColumns[] = {"device", "kind", "label", "m", "k", "n", "extra", "time_us", "tflops", "gb_s"};
  std::vector<std::size_t> idx;
  for (const char* c : kColumns) {
    const auto it = std::find(header.begin(), header.end(), c);
    if (it == header.end()) throw InputError(file, std::string("header/") + c, "", "missing column '" + std::string(c) + "'");
    idx.push_back(static_cast<std::size_t>(it - header.begin()));
  }
  std::vector<KernelRow> rows;
  for (std::size_t i = 1; i < table.size(); ++i) {
    const auto& t = table[i];
    const int line = static_cast<int>(i + 1);
    if (t.size() < header.size())
      throw InputError(file, fmt::format("line {}", line), std::to_string(t.size()) + " fields",
                       fmt::format("expected {} fields (truncated row?)", header.size()));
    auto num = [&](int k) { return parse_number(t[idx[k]], file, fmt::format("line {}/{}", line, kColumns[k])); };
    KernelRow r;
    r.line = line;
    r.device = t[idx[0]], r.kind = t[idx[1]], r.label = t[idx[2]], r.extra = t[idx[6]];
    // GEMM dimensions: whole numbers in [0, 2^40] before the integer conversion (1e70 would be undefined).
    auto dim = [&](int k) {
      const double v = num(k);
      if (!(v >= 0 && v <= 1099511627776.0) || v != std::floor(v))
        throw InputError(file, fmt::format("line {}/{}", line, kColumns[k]), t[idx[k]],
                         "must be a whole number in [0, 2^40]");
      return static_cast<long long>(v);
    };
    r.m = dim(3), r.k = dim(4), r.n = dim(5);
    r.measured_s = num(7) * 1e-6;
    if (r.measured_s <= 0) throw InputError(file, fmt::format("line {}/time_us", line), t[idx[7]], "must be > 0");
    r.flops = num(8) * 1e12 * r.measured_s;
    r.bytes = num(9) * 1e9 * r.measured_s;
    rows.push_back(std::move(r));
  }
  return rows;
}

KernelValidation validate_kernels(const std::vector<KernelRow>& rows, const catalog::GpuSpec& gpu, const Efficiency& eff) {
  using catalog::ComputeClass;
  KernelValidation v;
  v.gpu = gpu.name;
  const double bf16 = gpu.peak_flops(ComputeClass::bf16), fp8 = gpu.peak_flops(ComputeClass::fp8);
  const double hbm = gpu.mem_bytes_per_s();
  std::vector<double> all;
  std::map<std::string, std::vector<double>> by_kind;
  for (const auto& row : rows) {
    KernelCheck c;
    c.row = row;
    KernelRow r = row;  // a fused_moe row's work comes from its shape, not its columns
    double frate = 0, brate = 0, pad_flops = 0, fused_kernels = 1;
    bool grouped = false;
    // Each kind is priced with the factors the step model (step.cpp) uses for that work.
    if (r.kind == "gemm_bf16") {
      frate = bf16 * eff.compute_bf16, brate = hbm * eff.memory_bw, c.rates = "bf16 x compute_bf16, HBM x memory_bw";
    } else if (r.kind == "gemm_fp8") {
      frate = fp8 * eff.compute_fp8, brate = hbm * eff.memory_bw, c.rates = "fp8 x compute_fp8, HBM x memory_bw";
    } else if (r.kind == "moe_bmm_bf16") {
      frate = bf16 * eff.compute_bf16 * eff.compute_moe, brate = hbm * eff.memory_bw;
      c.rates = "bf16 x compute_bf16 x compute_moe, HBM x memory_bw";
    } else if (r.kind == "moe_grouped_bf16" || r.kind == "moe_grouped_fp8") {
      // Grouped GEMM with uneven routing, priced as the step model prices a routed-expert group: each touched
      // expert adds moe_tile_tokens rows of padding (grouped_roofline_s).
      const bool fp8_kind = r.kind == "moe_grouped_fp8";
      const double touched = extra_number(r.extra, "touched=");
      frate = fp8_kind ? fp8 * eff.compute_fp8 * eff.compute_moe_lowp : bf16 * eff.compute_bf16 * eff.compute_moe;
      brate = hbm * eff.moe_memory_bw;
      pad_flops = touched * eff.moe_tile_tokens * 2.0 * static_cast<double>(r.k) * static_cast<double>(r.n);
      grouped = true;
      c.rates = fp8_kind ? "fp8 x compute_fp8 x compute_moe_lowp + moe_tile_tokens per touched expert, HBM x moe_memory_bw"
                         : "bf16 x compute_bf16 x compute_moe + moe_tile_tokens per touched expert, HBM x moe_memory_bw";
      if (touched <= 0) c.reason = "no touched-expert count ('touched=N') in extra";
    } else if (r.kind == "fused_moe_bf16" || r.kind == "fused_moe_fp8") {
      // One whole serving fused-MoE call (the Triton fused_moe of vLLM and SGLang, as their benchmark_moe.py /
      // tuning_fused_moe_triton.py time it in a CUDA graph): top-k, the routing alignment, [activation
      // quantisation], the gate/up GEMM, the activation, [its quantisation], the down GEMM and the reduction, for
      // m tokens routed top-k ("k=") of E ("E=") experts with hidden size k and expert width n per rank (gated: three
      // k x n matrices per expert). Priced as the step model prices one layer's routed experts (step.cpp
      // stage_time): expected experts touched by random routing E (1 - (1 - top-k/E)^m), their weights streamed at
      // moe_memory_bw, the routed rows' FLOPs at the grouped-GEMM compute share, each touched expert padded to the
      // small M tile (moe_serving_tile_small) or by moe_serving_pad_rows (the engine's factors), plus the fixed
      // cost of each of the call's kernels ("kernels="). "block" in extra: a block-scaled FP8 checkpoint (the
      // block_fp8_* shares). The flops/bytes columns are not used: the shape defines the work.
      const bool fp8_kind = r.kind == "fused_moe_fp8";
      const bool block = r.extra.find("block") != std::string::npos;
      const double experts = extra_number(r.extra, "E="), top_k = extra_number(r.extra, "k="),
                   kernels = extra_number(r.extra, "kernels=");
      const auto pick = [](double family, double generic) { return family > 0 ? family : generic; };
      if (experts <= 0 || top_k <= 0 || top_k > experts || kernels < 0) {
        c.reason = "extra needs E=experts, k=top-k (<= E) and kernels=launches of the call";
      } else {
        const double tokens = static_cast<double>(r.m), hidden = static_cast<double>(r.k),
                     width = static_cast<double>(r.n);
        const double touched = experts * (1.0 - std::pow(1.0 - top_k / experts, tokens));
        const double rows = touched > 0 ? tokens * top_k / touched : 0.0;
        const double pad = serving_moe_pad_rows(eff, tokens, experts, rows);
        const double weight_bytes = fp8_kind ? 1.0 : 2.0;
        r.flops = 2.0 * tokens * top_k * 3.0 * hidden * width;
        pad_flops = touched * pad * 2.0 * 3.0 * hidden * width;
        // Expert weights once per touched expert, the routed rows' hidden-width input and output.
        r.bytes = touched * 3.0 * hidden * width * weight_bytes + tokens * top_k * hidden * (weight_bytes + 2.0);
        // The step model's expert-GEMM rate (step.cpp): the class's compute share times its grouped-GEMM share.
        const ComputeClass cls = fp8_kind ? ComputeClass::fp8 : ComputeClass::bf16;
        frate = block ? fp8 * pick(eff.block_fp8_compute, eff.compute_fp8) *
                            pick(eff.block_fp8_moe_compute, eff.compute_moe_lowp)
                      : gpu.peak_flops(cls) * eff.compute(cls) * eff.grouped(cls);
        brate = hbm * (block ? pick(eff.block_fp8_moe_memory_bw, eff.moe_memory_bw) : eff.moe_memory_bw);
        fused_kernels = kernels;
        grouped = true;
        c.rates = fmt::format("{} experts touched of {}; weights at HBM x {}moe_memory_bw; {} kernels x kernel_fixed_us",
                              std::lround(touched), experts, block ? "block_fp8_" : "", kernels);
      }
      c.row = r;
    } else if (r.kind == "attn_decode_bf16" && r.extra == "sdpa") {
      frate = bf16 * eff.attention_compute, brate = hbm * eff.attention_memory_bw;
      c.rates = "bf16 x attention_compute, HBM x attention_memory_bw";
    } else if (r.kind == "attn_prefill_bf16" || r.kind == "attn_prefix_bf16" || r.kind == "attn_cross_bf16") {
      // Prefill attention, priced as the step model prices it (step.cpp): attention_compute x L/(L +
      // attention_half_tokens) at L = twice the mean attended length (a causal prompt: its length, k), over the
      // head-dim scale of 2 x (query/key head dim n + value head dim: n, or the label's "_vNNN") FLOPs per score.
      // attn_prefill rows are causal prompts of k tokens; attn_prefix / attn_cross rows are m new tokens over a
      // cached prefix (k = attended context, label hQ_kvK), their FLOPs counting attended pairs only. Serving
      // engines run FlashAttention-3, FlashInfer or cuDNN-class kernels: rows on FlashAttention-2 or the
      // memory-efficient backend, with the value padded to the key's head dim, or with PyTorch's lower-right causal
      // bias (FlashAttention-2 speed at best, whatever the backend) are listed but not priced; the prefix side is
      // checked by the unmasked rows (attn_cross_bf16).
      const bool other_backend = r.extra.find(";flash") != std::string::npos ||
                                 r.extra.find("efficient") != std::string::npos ||
                                 r.label.find("pad") != std::string::npos;
      const bool bias = r.kind == "attn_prefix_bf16" && r.extra.find("prefix=0") == std::string::npos;
      const double hd = static_cast<double>(r.n);
      const auto v_at = r.label.find("_v");
      const double vd = v_at == std::string::npos ? hd : std::atof(r.label.c_str() + v_at + 2);
      double prompt_len = static_cast<double>(r.k);
      if (r.kind != "attn_prefill_bf16") {
        const auto hq_at = r.label.find('h');
        const double hq = hq_at == std::string::npos ? 0 : std::atof(r.label.c_str() + hq_at + 1);
        prompt_len = hq > 0 && hd > 0 && r.m > 0 ? 2.0 * r.flops / (4.0 * hq * hd) / static_cast<double>(r.m) : 0;
      }
      if (other_backend || bias) {
        c.reason = "FlashAttention-2 / memory-efficient backend, a padded value head, or PyTorch's lower-right causal "
                   "bias (FlashAttention-2 or slower on every backend): not a serving-grade attention kernel";
      } else if (prompt_len <= 0 || hd <= 0 || vd <= 0) {
        c.reason = "no query-head count in label ('hQ_kvK') or no head dim / new tokens";
      } else {
        frate = bf16 * prefill_attention_efficiency(eff, prompt_len) / attention_head_dim_scale(eff, 2.0 * (hd + vd));
        brate = hbm * eff.attention_memory_bw;
        c.rates = "bf16 x attention_compute x L/(L + attention_half_tokens) / head-dim scale, L = 2 x mean attended "
                  "tokens";
      }
    } else if (r.kind == "stream_read" || r.kind == "rmsnorm_bf16" || r.kind == "silu_mul_bf16") {
      brate = hbm * eff.memory_bw, c.rates = "HBM x memory_bw";
    } else if (r.kind == "attn_decode_bf16") {
      c.reason = "unfused reference decode (three plain kernels); engines run a fused kernel (the sdpa rows)";
    } else if (r.kind == "stream_copy") {
      c.reason = "device-to-device copy: the step model streams reads, it has no copy kernel";
    } else {
      c.reason = "kind '" + r.kind + "' has no counterpart in the step model";
    }
    if (c.reason.empty() && (frate <= 0 && r.flops > 0)) c.reason = "the GPU has no peak for this compute class";
    if (c.reason.empty()) {
      c.predicted_s = grouped ? fused_kernels * eff.kernel_fixed_s +
                                    grouped_roofline_s(r.flops / frate, pad_flops / frate, r.bytes / brate, eff.roof_p)
                              : kernel_time_s(r.flops, frate, r.bytes, brate, eff);
      c.error_pct = (c.predicted_s / r.measured_s - 1) * 100;
      c.ok = true;
      all.push_back(c.error_pct);
      by_kind[r.kind].push_back(c.error_pct);
    }
    v.rows.push_back(std::move(c));
  }
  v.overall = error_stats(all);
  for (auto& [k, e] : by_kind) v.by_kind[k] = error_stats(e);
  return v;
}

}  // namespace tokenmath::perf
