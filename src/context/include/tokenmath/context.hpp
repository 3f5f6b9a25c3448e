// The loaded data every stage reads: the catalog (models, GPUs, systems), the perf model's efficiency factors,
// engine profiles and speculative drafts, the API price list, cost assumptions and rental prices. A frontend
// builds one from a data directory and passes it by const reference; nothing below reads data on its own.
// Immutable once loaded, so one context is safe to share read-only between threads, and two contexts over
// different directories (two price lists, an edited catalog) coexist in one process.
#pragma once

#include <filesystem>
#include <vector>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/cost/api_price.hpp"
#include "tokenmath/cost/assumptions.hpp"
#include "tokenmath/cost/rental.hpp"
#include "tokenmath/perf/accuracy.hpp"
#include "tokenmath/perf/efficiency.hpp"
#include "tokenmath/perf/speculative.hpp"
#include "tokenmath/perf/validate.hpp"

namespace tokenmath {

struct Context {
  std::filesystem::path data_dir;                // where it was loaded from
  catalog::Catalog catalog;                      // models/, gpus.yaml, systems.yaml
  perf::EfficiencyTable efficiency;              // perf/efficiency.yaml
  std::vector<perf::EngineProfile> engines;      // perf/engines.yaml
  perf::SpecTable speculative;                   // perf/speculative.yaml
  std::filesystem::path api_prices_path;         // prices/litellm_subset_*.json
  std::vector<cost::ApiPrice> api_prices;
  cost::CostAssumptions costs;                   // costs.yaml
  std::vector<cost::RentalPrice> rentals;        // rental_prices.yaml (GPU ids checked against the catalog)
  // validation/accuracy.json, the measured frontier accuracy `perf` prints beside a prediction; empty (and
  // accuracy_file "") when the directory ships none. accuracy_file names it as "<data dir name>/validation/...".
  perf::AccuracySummary accuracy;
  std::string accuracy_file;

  // Loads every file under `dir` (the layout of the shipped data/ folder). Throws InputError naming the file,
  // the field and the value of the first bad entry.
  static Context load(const std::filesystem::path& dir);
  // The shipped data: $TOKENMATH_DATA if set, else the source tree's data/ (tokenmath::data_dir()).
  static Context load_default();
};

}  // namespace tokenmath
