#include "tokenmath/common/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tokenmath::schema {

bool Field::accepts(double v) const {
  if (!std::isfinite(v)) return false;
  const bool low_ok = min_exclusive ? v > min : v >= min;
  return low_ok && v <= max;
}

std::string Field::range_text() const {
  if (!choices.empty()) {
    std::string out;
    for (const auto& c : choices) out += (out.empty() ? "" : "|") + c;
    return out;
  }
  const bool lo = std::isfinite(min), hi = std::isfinite(max);
  if (lo && hi) return fmt::format("{}{}, {}]", min_exclusive ? "(" : "[", min, max);
  if (lo) return fmt::format("{} {}", min_exclusive ? ">" : ">=", min);
  if (hi) return fmt::format("<= {}", max);
  return "";
}

const Field* Schema::find(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

std::vector<std::string> Schema::keys() const {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.key);
  return out;
}

std::vector<std::string> Schema::children(std::string_view prefix) const {
  std::vector<std::string> out;
  const std::string p = prefix.empty() ? "" : std::string(prefix) + ".";
  for (const auto& f : fields) {
    if (f.key.compare(0, p.size(), p) != 0) continue;
    const std::string rest = f.key.substr(p.size());
    const std::string head = rest.substr(0, rest.find('.'));
    if (!head.empty() && std::find(out.begin(), out.end(), head) == out.end()) out.push_back(head);
  }
  return out;
}

}  // namespace tokenmath::schema
