// Memory-bounded statistics for long simulations: exact count/sum/min/max and a fixed-size log-bucketed
// histogram for quantiles (relative error <= 0.5% of the value, independent of the number of samples).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace tokenmath::sim {

// Histogram over [min_value, max_value] with geometric buckets of ratio (1 + 2 * rel_error): bucket i covers
// [min * r^i, min * r^(i+1)); a quantile is reported as the bucket's geometric midpoint, so its relative error
// is at most sqrt(r) - 1 ~= rel_error. Values <= 0 are counted in a separate zero bucket (reported as 0);
// values outside the range are clamped into the first/last bucket. Samples carry integer weights.
class LogHistogram {
 public:
  explicit LogHistogram(double min_value = 1e-7, double max_value = 1e7, double rel_error = 0.005);
  void add(double v, std::int64_t weight = 1);
  std::int64_t count() const { return count_; }
  // q in [0, 1]: the smallest recorded value x such that the weight of samples <= x is >= q * count.
  double quantile(double q) const;
  void merge(const LogHistogram& other);  // same bucket layout required

 private:
  double min_, log_min_, inv_log_ratio_, ratio_;
  std::vector<std::int64_t> buckets_;
  std::int64_t zero_ = 0;
  std::int64_t count_ = 0;
};

// Count, sum, min, max and quantiles of one metric.
class Metric {
 public:
  Metric() = default;
  Metric(double min_value, double max_value) : hist_(min_value, max_value) {}
  void add(double v, std::int64_t weight = 1) {
    count_ += weight;
    sum_ += v * static_cast<double>(weight);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    hist_.add(v, weight);
  }
  std::int64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return count_ ? min_ : 0.0; }
  double max() const { return count_ ? max_ : 0.0; }
  // Quantile clamped to [min, max] so that a one-sample metric reports its value exactly.
  double quantile(double q) const;

 private:
  std::int64_t count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  LogHistogram hist_;
};

}  // namespace tokenmath::sim
