// An API price list in LiteLLM's model_prices_and_context_window.json format.
#include "fuzz_support.hpp"
#include "tokenmath/cost/api_price.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  const auto path = fuzz::scratch_file(data, size, "prices.json");
  fuzz::expect_value_or_input_error([&] { (void)cost::load_litellm_prices(path); });
  return 0;
}
