// A plan scenario (YAML or JSON text, as `tokenmath plan FILE`, POST /api/plan and ctx.plan() read it) over the
// shipped default.
#include "fuzz_support.hpp"
#include "tokenmath/plan/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  static const plan::Scenario base = plan::default_scenario(fuzz::context());
  fuzz::expect_value_or_input_error([&] { (void)plan::parse_scenario(fuzz::as_text(data, size), "<fuzz>", base); });
  return 0;
}
