#include "tokenmath/catalog/precision.hpp"

#include <array>
#include <utility>

#include "tokenmath/common/error.hpp"

namespace tokenmath::catalog {

double bytes_per_element(Precision p) {
  switch (p) {
    case Precision::fp32: return 4.0;
    case Precision::bf16:
    case Precision::fp16: return 2.0;
    case Precision::fp8:
    case Precision::int8: return 1.0;
    case Precision::nvfp4: return 0.5 + 1.0 / 16.0;
    case Precision::mxfp4: return 0.5 + 1.0 / 32.0;
    case Precision::int4: return 0.5 + 4.0 / 128.0;
  }
  return 2.0;
}

ComputeClass compute_class(Precision p) {
  switch (p) {
    case Precision::fp32: return ComputeClass::fp32;
    case Precision::bf16:
    case Precision::fp16: return ComputeClass::bf16;
    case Precision::fp8:
    case Precision::int8: return ComputeClass::fp8;
    case Precision::nvfp4:
    case Precision::mxfp4: return ComputeClass::fp4;
    case Precision::int4: return ComputeClass::bf16;  // weight-only int4 (w4a16) dequantises to bf16 GEMMs
  }
  return ComputeClass::bf16;
}

namespace {
constexpr std::array<std::pair<std::string_view, Precision>, 14> kNames = {{
    {"fp32", Precision::fp32}, {"bf16", Precision::bf16}, {"fp16", Precision::fp16}, {"fp8", Precision::fp8},
    {"int8", Precision::int8}, {"nvfp4", Precision::nvfp4}, {"mxfp4", Precision::mxfp4}, {"int4", Precision::int4},
    {"fp4", Precision::nvfp4}, {"fp8_e4m3", Precision::fp8}, {"e4m3", Precision::fp8}, {"w4a16", Precision::int4},
    {"bfloat16", Precision::bf16}, {"float16", Precision::fp16},
}};
}  // namespace

std::string_view to_string(Precision p) {
  for (const auto& [n, v] : kNames)
    if (v == p) return n;
  return "?";
}

std::vector<std::string> precision_names() {
  std::vector<std::string> out;
  for (const auto& [n, v] : kNames) out.emplace_back(n);
  return out;
}

Precision parse_precision(std::string_view name, std::string_view file, std::string_view field) {
  const std::string lower = to_lower(name);
  for (const auto& [n, v] : kNames)
    if (lower == n) return v;
  std::string list;
  for (const auto& n : precision_names()) list += (list.empty() ? "" : ", ") + n;
  throw InputError(std::string(file), std::string(field), std::string(name),
                   "unknown precision (accepted: " + list + ")" + did_you_mean(name, precision_names()));
}

}  // namespace tokenmath::catalog
