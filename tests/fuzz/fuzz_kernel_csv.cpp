// A kernel-microbenchmark CSV (`tokenmath validate-kernels`, data/validation/kernels/).
#include "fuzz_support.hpp"
#include "tokenmath/perf/validate_kernels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  const auto path = fuzz::scratch_file(data, size, "kernels.csv");
  fuzz::expect_value_or_input_error([&] { (void)perf::read_kernel_csv(path); });
  return 0;
}
