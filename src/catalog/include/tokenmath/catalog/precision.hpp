// Numeric formats for weights, activations and the KV cache, with their storage cost per element including
// block-scale overhead (see bytes_per_element for the formula of each).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tokenmath::catalog {

enum class Precision { fp32, bf16, fp16, fp8, int8, nvfp4, mxfp4, int4 };

// Storage bytes per element, including scale overhead of block formats:
//   nvfp4: 4-bit value + one FP8 scale per 16 elements  = 0.5 + 1/16  = 0.5625
//   mxfp4: 4-bit value + one E8M0 scale per 32 elements = 0.5 + 1/32  = 0.53125
//   int4 : 4-bit value + FP16 scale and FP16 zero per group of 128 = 0.5 + 4/128 = 0.53125
//   fp8  : 1 byte (per-tensor or 128x128 block scales: < 0.03% overhead, ignored)
double bytes_per_element(Precision p);

// Which peak-FLOPS column of an accelerator a precision computes at (fp4 formats -> fp4, int8/fp8 -> fp8, ...).
enum class ComputeClass { fp32, bf16, fp8, fp4 };
ComputeClass compute_class(Precision p);

std::string_view to_string(Precision p);
// Accepts bf16, fp16, fp8, fp8_e4m3, nvfp4, fp4 (= nvfp4), mxfp4, int8, int4, w4a16 (= int4) ... case-insensitive.
// Throws InputError naming `file`/`field` and listing the accepted names.
Precision parse_precision(std::string_view name, std::string_view file = "<input>", std::string_view field = "precision");
std::vector<std::string> precision_names();

}  // namespace tokenmath::catalog
