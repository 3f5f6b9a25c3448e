// `calibrate`'s hold-out: every row predicted once by a fit that never saw it, and nothing fitted on the test
// rows leaks in through engine or accelerator-class overrides.
#include <gtest/gtest.h>

#include <algorithm>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/perf/validate.hpp"

namespace tokenmath::perf {
namespace {

const std::string kMini = std::string(TOKENMATH_TEST_DATA) + "/perf/mini.csv";

TEST(Calibrate, CrossValidationPredictsEveryRowOnceWithoutLeakage) {
  const auto prepared = prepare_rows(read_published_csv(kMini), catalog::Catalog::shipped());
  const auto res = calibrate(prepared, shipped_efficiency(), {}, true);
  ASSERT_GT(res.after_stats.n, 0);
  const auto pooled = std::find_if(res.holdout.begin(), res.holdout.end(),
                                   [](const HoldoutResult& h) { return h.fit_group.find("pooled") != std::string::npos; });
  ASSERT_NE(pooled, res.holdout.end());
  EXPECT_EQ(pooled->test_stats.n, res.after_stats.n);  // each counted row tested exactly once
  // The mini file has no PCIe/GDDR card: no fold fit may carry that class's overrides (fitted on all of
  // published.csv) into its predictions.
  for (const auto& h : res.holdout) {
    if (h.fit_group.find("(fold") == std::string::npos) continue;  // the per-fold fits, not the pooled line
    for (const auto& c : h.fitted.classes) EXPECT_NE(c.name, "pcie-gddr") << h.fit_group;
  }
}

}  // namespace
}  // namespace tokenmath::perf
