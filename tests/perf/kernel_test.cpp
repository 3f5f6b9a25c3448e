// The kernel contract (perf/kernel.hpp): the p-norm roofline and its fast path for p = 6.
#include <gtest/gtest.h>

#include <cmath>

#include "tokenmath/perf/kernel.hpp"

namespace tokenmath::perf {
namespace {

TEST(Kernel, SixthRootFastPathMatchesPow) {
  for (int i = 0; i <= 10000; ++i) {
    const double x = i / 10000.0;
    EXPECT_NEAR(sixth_root_1p(x) / std::pow(1.0 + x, 1.0 / 6.0), 1.0, 5e-6) << x;
  }
}

TEST(Kernel, RooflineLimits) {
  // Equal times: 2^(1/p) above either; p = 1 adds them; far from the ridge the larger time alone.
  EXPECT_NEAR(roofline_s(1.0, 1.0, 6.0), std::pow(2.0, 1.0 / 6.0), 1e-5);
  EXPECT_NEAR(roofline_s(1.0, 1.0, 1.0), 2.0, 1e-12);
  EXPECT_NEAR(roofline_s(3.0, 1.0, 2.0), std::sqrt(10.0), 1e-12);
  EXPECT_DOUBLE_EQ(roofline_s(5.0, 0.001, 6.0), 5.0);
  EXPECT_EQ(roofline_s(0.0, 0.0, 6.0), 0.0);
  // Fast path and generic path agree.
  for (double r : {0.05, 0.3, 0.7, 1.0})
    EXPECT_NEAR(roofline_s(2.0, 2.0 * r, 6.0), 2.0 * std::pow(1.0 + std::pow(r, 6.0), 1.0 / 6.0), 1e-5) << r;
}

TEST(Kernel, KernelTimeAddsTheFixedCost) {
  Efficiency e;
  e.roof_p = 6;
  e.kernel_fixed_s = 4e-6;
  // 1 GFLOP at 1 TFLOP/s = 1 ms; 1 MB at 1 TB/s = 1 us: compute-bound.
  EXPECT_NEAR(kernel_time_s(1e9, 1e12, 1e6, 1e12, e), 4e-6 + 1e-3, 1e-12);
}

}  // namespace
}  // namespace tokenmath::perf
