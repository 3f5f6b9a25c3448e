// Request traces: the first byte picks the reader (Azure/Splitwise/Vidur CSV or Mooncake JSONL), the rest is the
// file.
#include "fuzz_support.hpp"
#include "tokenmath/sim/workload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  if (size == 0) return 0;
  const bool mooncake = data[0] & 1;
  const auto path = fuzz::scratch_file(data + 1, size - 1, mooncake ? "trace.jsonl" : "trace.csv");
  fuzz::expect_value_or_input_error([&] { (void)sim::load_trace(path, mooncake ? "mooncake" : "azure"); });
  return 0;
}
