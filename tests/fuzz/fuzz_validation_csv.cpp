// A published-measurement CSV (`tokenmath validate FILE`): the CSV reader, then each row resolved against the
// catalog, engine profiles and drafts as validation prepares it.
#include "fuzz_support.hpp"
#include "tokenmath/perf/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  const auto& ctx = fuzz::context();
  const auto path = fuzz::scratch_file(data, size, "rows.csv");
  fuzz::expect_value_or_input_error([&] {
    const auto rows = perf::read_published_csv(path);
    (void)perf::prepare_rows(rows, ctx.catalog, ctx.engines, ctx.speculative);
  });
  return 0;
}
