// Hugging Face config.json -> ModelSpec, then the quantities every stage derives from it and one deployment's
// frontier on an H100 (overflow, NaN or a hang in the derivations is as much a bug as one in the reader).
#include "fuzz_support.hpp"
#include "tokenmath/catalog/model.hpp"
#include "tokenmath/perf/step.hpp"
#include "tokenmath/perf/throughput.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tokenmath;
  const auto& ctx = fuzz::context();
  const auto path = fuzz::scratch_file(data, size, "config.json");
  fuzz::expect_value_or_input_error([&] {
    const catalog::ModelSpec m = catalog::load_model_config(path);
    (void)catalog::count_params(m);
    (void)catalog::weight_bytes(m, catalog::Precision::fp8);
    (void)catalog::flops_per_token(m, 4096);
    (void)catalog::kv_bytes_for_sequence(m, catalog::Precision::fp16, 4096);
    (void)catalog::state_bytes_per_sequence(m, catalog::Precision::fp16);
    perf::DeploymentIntent in;
    in.model = std::make_shared<const catalog::ModelSpec>(m);
    in.gpu = *ctx.catalog.resolve_gpu("h100-sxm");
    in.tp = 8;
    const perf::Deployment d = perf::make_deployment(in);
    const perf::StepModel sm(d, ctx.efficiency.for_gpu(d.gpu));
    (void)perf::frontier(sm, 1024, 256);
  });
  return 0;
}
