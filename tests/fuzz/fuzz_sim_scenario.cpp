// A simulation scenario (YAML text, as `tokenmath simulate FILE` and POST /api/simulate read it), validated against
// the shipped catalog, engine profiles and drafts.
#include "fuzz_support.hpp"
#include "tokenmath/sim/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  fuzz::expect_value_or_input_error(
      [&] { (void)sim::parse_scenario(fuzz::context(), fuzz::as_text(data, size), "<fuzz>", "/nonexistent"); });
  return 0;
}
