// Accelerators and the systems they are sold in. Values are vendor or third-party figures with a source;
// peak FLOPS are dense (2:4-sparsity headline figures halved).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tokenmath/catalog/precision.hpp"

namespace tokenmath::catalog {

struct GpuSpec {
  std::string id;    // e.g. "h100-sxm"
  std::string name;  // e.g. "H100 SXM"
  std::string vendor;
  int year = 0;
  double dense_bf16_tflops = 0;
  double dense_fp8_tflops = 0;  // 0 = no hardware support
  double dense_fp4_tflops = 0;  // 0 = no hardware support
  double mem_gb = 0;            // 1 GB = 1e9 bytes, as vendors print
  double mem_tb_s = 0;          // 1 TB/s = 1e12 bytes/s
  std::string mem_kind;         // HBM3, HBM3e, GDDR7, ...
  double scaleup_gb_s = 0;      // per GPU, per direction
  int scaleup_domain_gpus = 1;  // GPUs sharing the scale-up fabric
  double tdp_w = 0;             // 0 = not published
  // Streaming multiprocessors (NVIDIA) / compute units (AMD): the workgroups a kernel runs at once, one per unit
  // (perf: a decode GEMM with fewer output tiles than units cannot stream at the full HBM rate). 0 = not given.
  int compute_units = 0;
  // Vendor headline figures with 2:4 sparsity, where published (0 = not given). Kept to check dense <= sparse.
  double sparse_bf16_tflops = 0;
  double sparse_fp8_tflops = 0;
  double sparse_fp4_tflops = 0;
  bool preliminary = false;     // announced, not shipping: figures may change
  std::string source;
  std::string notes;
  std::vector<std::string> aliases;
  std::vector<std::string> derived_fields;  // fields computed from other figures, not read from a source

  // Dense peak in FLOP/s for a compute class; 0 when the GPU lacks it.
  double peak_flops(ComputeClass c) const;
  double mem_bytes() const { return mem_gb * 1e9; }
  double mem_bytes_per_s() const { return mem_tb_s * 1e12; }
};

struct SystemSpec {
  std::string id;      // e.g. "hgx-h100"
  std::string name;    // e.g. "HGX H100 8-GPU"
  std::string gpu_id;  // GpuSpec id
  int gpus_per_node = 8;
  int gpus_per_rack = 32;
  int scaleup_domain_gpus = 8;
  double scaleout_gb_s_per_gpu = 50;  // per direction (400 Gb/s NIC = 50 GB/s)
  double wall_w_per_gpu = 0;          // IT power at the wall per GPU incl. CPU, NICs, fans, switches share
  // Host (CPU) memory, the tier a KV-cache offload (LMCache, SGLang HiCache, vLLM/TensorRT-LLM host offload)
  // keeps evicted prefixes in, and the host<->GPU link that reloads them.
  double host_memory_gb_per_gpu = 0;  // system DRAM / LPDDR per GPU (GB)
  double host_link_gb_s_per_gpu = 0;  // host -> GPU bandwidth per GPU, one direction (GB/s)
  std::string host_source;
  std::string cooling;                // "air" or "liquid"
  double price_usd_per_gpu = 0;       // purchase estimate, system price / GPUs
  std::string price_date;
  std::string price_source;
  std::string source;
  bool preliminary = false;
  std::vector<std::string> aliases;
  std::string notes;
  std::vector<std::string> derived_fields;  // fields computed from other figures (formula in notes)
};

// Loaders for data/gpus.yaml and data/systems.yaml (defined in hardware.cpp). Throw InputError with
// file/key/value on malformed entries.
std::vector<GpuSpec> load_gpus(const std::filesystem::path& path);
std::vector<SystemSpec> load_systems(const std::filesystem::path& path, const std::vector<GpuSpec>& gpus);

}  // namespace tokenmath::catalog
