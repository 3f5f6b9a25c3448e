// Kernel-level check: the step model's kernel formula (perf/kernel.hpp) with the shipped efficiency factors
// against kernels timed on a real GPU (data/validation/kernels/*.csv, written by scripts/gpu_microbench.py).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/validate.hpp"

namespace tokenmath::perf {

struct KernelRow {
  int line = 0;
  std::string device, kind, label, extra;
  long long m = 0, k = 0, n = 0;
  double measured_s = 0;
  double flops = 0;  // useful FLOPs (tflops x time)
  double bytes = 0;  // fewest bytes moved (gb_s x time)
};

struct KernelCheck {
  KernelRow row;
  bool ok = false;
  std::string reason;      // why a row is not predicted
  std::string rates;       // the factors used, e.g. "bf16 x compute_bf16, HBM x memory_bw"
  double predicted_s = 0;
  double error_pct = 0;    // (predicted - measured) / measured x 100
};

struct KernelValidation {
  std::string gpu;
  std::vector<KernelCheck> rows;
  ErrorStats overall;
  std::map<std::string, ErrorStats> by_kind;
};

// Reads the microbenchmark CSV (columns device,torch,kind,label,m,k,n,extra,time_us,tflops,gb_s); InputError
// naming file, line/column and value on malformed rows.
std::vector<KernelRow> read_kernel_csv(const std::filesystem::path& path);

// Predicts each row as one kernel on `gpu`: kernel_time_s(flops, peak x factor, bytes, bandwidth x factor).
// Rows of kinds the step model has no kernel for are returned with ok = false and a reason.
KernelValidation validate_kernels(const std::vector<KernelRow>& rows, const catalog::GpuSpec& gpu,
                                  const Efficiency& eff);

}  // namespace tokenmath::perf
