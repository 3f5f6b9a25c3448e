#include "tokenmath/sim/router.hpp"

#include "tokenmath/common/error.hpp"

namespace tokenmath::sim {
namespace {

std::size_t least_outstanding(const std::vector<Replica*>& pool) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < pool.size(); ++i)
    if (pool[i]->outstanding_tokens() < pool[best]->outstanding_tokens()) best = i;
  return best;
}

class RoundRobin final : public Router {
 public:
  std::size_t pick(const Request&, const std::vector<Replica*>& pool) override { return next_++ % pool.size(); }

 private:
  std::size_t next_ = 0;
};

class LeastOutstanding final : public Router {
 public:
  std::size_t pick(const Request&, const std::vector<Replica*>& pool) override { return least_outstanding(pool); }
};

class PrefixAffinity final : public Router {
 public:
  explicit PrefixAffinity(double slack) : slack_(slack) {}
  std::size_t pick(const Request& r, const std::vector<Replica*>& pool) override {
    const std::size_t least = least_outstanding(pool);
    if (r.chunks.empty()) return least;
    std::size_t best = least;
    std::int64_t best_hit = pool[least]->cached_prefix_tokens(r);
    for (std::size_t i = 0; i < pool.size(); ++i) {
      const std::int64_t hit = pool[i]->cached_prefix_tokens(r);
      if (hit > best_hit ||
          (hit == best_hit && hit > 0 && pool[i]->outstanding_tokens() < pool[best]->outstanding_tokens())) {
        best = i;
        best_hit = hit;
      }
    }
    const double excess = static_cast<double>(pool[best]->outstanding_tokens() - pool[least]->outstanding_tokens());
    return excess > slack_ ? least : best;
  }

 private:
  double slack_;
};

}  // namespace

const std::vector<std::string>& router_names() {
  static const std::vector<std::string> n{"round-robin", "least-outstanding-tokens", "prefix-affinity"};
  return n;
}

std::unique_ptr<Router> make_router(const std::string& name, const std::string& file, const std::string& field,
                                    double affinity_slack_tokens) {
  if (name == "round-robin") return std::make_unique<RoundRobin>();
  if (name == "least-outstanding-tokens") return std::make_unique<LeastOutstanding>();
  if (name == "prefix-affinity") return std::make_unique<PrefixAffinity>(affinity_slack_tokens);
  std::string valid;
  for (const auto& n : router_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw InputError(file, field, name, "unknown router; valid: " + valid + did_you_mean(name, router_names()));
}

}  // namespace tokenmath::sim
