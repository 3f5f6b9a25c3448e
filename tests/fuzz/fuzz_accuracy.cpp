// The measured-accuracy summary a data directory ships (validation/accuracy.json, perf::load_accuracy).
#include "fuzz_support.hpp"
#include "tokenmath/perf/accuracy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  const auto path = fuzz::scratch_file(data, size, "accuracy.json");
  fuzz::expect_value_or_input_error([&] {
    const auto s = perf::load_accuracy(path);
    (void)perf::accuracy_note(s, path.string(), "b200", "deepseek-r1", "");
  });
  return 0;
}
