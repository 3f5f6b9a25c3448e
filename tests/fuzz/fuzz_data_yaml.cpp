// The YAML data files of a data directory (what Context::load reads): the first byte picks the reader (gpus,
// systems, efficiency factors, engine profiles, speculative drafts, cost assumptions, rental prices), the rest is
// the file.
#include "fuzz_support.hpp"
#include "tokenmath/catalog/hardware.hpp"
#include "tokenmath/cost/assumptions.hpp"
#include "tokenmath/cost/rental.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  if (size == 0) return 0;
  const auto& ctx = fuzz::context();
  const auto path = fuzz::scratch_file(data + 1, size - 1, "data.yaml");
  fuzz::expect_value_or_input_error([&] {
    switch (data[0] % 7) {
      case 0: (void)catalog::load_gpus(path); break;
      case 1: (void)catalog::load_systems(path, ctx.catalog.gpus()); break;
      case 2: (void)perf::load_efficiency(path); break;
      case 3: (void)perf::load_engine_profiles(path); break;
      case 4: (void)perf::load_speculative(path); break;
      case 5: (void)cost::load_cost_assumptions(path); break;
      default: (void)cost::load_rental_prices(path, {"h100-sxm", "h200-sxm"}); break;
    }
  });
  return 0;
}
