// Seeded random streams for the simulator. Every purpose (arrivals, lengths, sessions, ...) gets its own stream
// derived from the scenario seed and the purpose's name, so adding draws to one purpose never shifts another.
// The transforms (exponential, normal, gamma, lognormal) are implemented here rather than taken from <random>'s
// distributions, whose algorithms differ between standard libraries: same seed -> same numbers everywhere.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>

namespace tokenmath::sim {

// SplitMix64 finaliser: a bijective 64-bit mixer (Steele, Lea, Flood 2014).
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a over a string: stable stream names -> 64-bit keys.
constexpr std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class Rng {
 public:
  // Stream `purpose` of scenario seed `seed`: engine seeded with mix64(seed ^ fnv1a(purpose)).
  Rng(std::uint64_t seed, std::string_view purpose) : eng_(mix64(seed ^ fnv1a(purpose))) {}

  std::uint64_t bits() { return eng_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_pos() { return 1.0 - uniform(); }
  // Exponential with the given mean: -mean * ln(U), U in (0, 1].
  double exponential(double mean) { return -mean * std::log(uniform_pos()); }
  // Standard normal by the Box-Muller transform; the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform_pos()));
    const double theta = 2.0 * 3.14159265358979323846 * uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }
  // Gamma(shape k, scale theta) by Marsaglia and Tsang (2000); for k < 1 uses Gamma(k+1) * U^(1/k).
  double gamma(double shape, double scale) {
    if (shape < 1.0) return gamma(shape + 1.0, scale) * std::pow(uniform_pos(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = uniform_pos();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
    }
  }
  // Log-normal with median exp(mu) and log-standard-deviation sigma.
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  std::mt19937_64 eng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace tokenmath::sim
