#include "tokenmath/context.hpp"

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/input_file.hpp"

namespace tokenmath {

Context Context::load(const std::filesystem::path& dir) {
  Context c;
  c.data_dir = dir;
  c.catalog = catalog::Catalog::load(dir);
  c.efficiency = perf::load_efficiency(dir / "perf" / "efficiency.yaml");
  c.engines = perf::load_engine_profiles(dir / "perf" / "engines.yaml");
  c.speculative = perf::load_speculative(dir / "perf" / "speculative.yaml");
  c.api_prices_path = cost::api_prices_path(dir);
  c.api_prices = cost::load_litellm_prices(c.api_prices_path);
  c.costs = cost::load_cost_assumptions(dir / "costs.yaml");
  std::vector<std::string> gpu_ids;
  for (const auto& g : c.catalog.gpus()) gpu_ids.push_back(g.id);
  c.rentals = cost::load_rental_prices(dir / "rental_prices.yaml", gpu_ids);
  if (const auto acc = dir / "validation" / "accuracy.json"; path_exists(acc)) {
    c.accuracy = perf::load_accuracy(acc);
    c.accuracy_file = (dir.filename().empty() ? dir.parent_path().filename() : dir.filename()).string() +
                      "/validation/accuracy.json";
  }
  return c;
}

Context Context::load_default() { return load(tokenmath::data_dir()); }

}  // namespace tokenmath
