#include "tokenmath/sim/stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tokenmath::sim {

LogHistogram::LogHistogram(double min_value, double max_value, double rel_error)
    : min_(min_value), log_min_(std::log(min_value)), ratio_(1.0 + 2.0 * rel_error) {
  inv_log_ratio_ = 1.0 / std::log(ratio_);
  const auto n = static_cast<std::size_t>(std::ceil(std::log(max_value / min_value) * inv_log_ratio_)) + 1;
  buckets_.assign(n, 0);
}

void LogHistogram::add(double v, std::int64_t weight) {
  if (weight <= 0) return;
  count_ += weight;
  if (!(v > 0)) {
    zero_ += weight;
    return;
  }
  // bucket index = floor(ln(v / min) / ln(r)), clamped to the table.
  const double x = (std::log(v) - log_min_) * inv_log_ratio_;
  std::size_t i = 0;
  if (x > 0) i = std::min(static_cast<std::size_t>(x), buckets_.size() - 1);
  buckets_[i] += weight;
}

double LogHistogram::quantile(double q) const {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  // rank = ceil(q * count), at least 1: the rank-th smallest sample.
  auto rank = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  if (rank <= zero_) return 0.0;
  std::int64_t seen = zero_;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return min_ * std::pow(ratio_, static_cast<double>(i) + 0.5);
  }
  return min_ * std::pow(ratio_, static_cast<double>(buckets_.size()) - 0.5);
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.buckets_.size() != buckets_.size() || other.min_ != min_)
    throw std::logic_error("LogHistogram::merge: different bucket layouts");
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  zero_ += other.zero_;
  count_ += other.count_;
}

double Metric::quantile(double q) const {
  if (count_ == 0) return 0.0;
  return std::clamp(hist_.quantile(q), min(), max());
}

}  // namespace tokenmath::sim
