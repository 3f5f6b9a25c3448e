// Routing policies: which replica of a pool receives a request. Chosen by name in the scenario.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tokenmath/sim/replica.hpp"

namespace tokenmath::sim {

class Router {
 public:
  virtual ~Router() = default;
  // Index into `pool` (non-empty) of the replica that gets `r`.
  virtual std::size_t pick(const Request& r, const std::vector<Replica*>& pool) = 0;
};

// round-robin: in turn. least-outstanding-tokens: fewest prompt+output tokens routed and unfinished (ties: lowest
// index). prefix-affinity: the replica holding the longest cached prefix of the prompt (ties and misses: least
// outstanding tokens), unless its outstanding tokens exceed the least-loaded replica's by more than
// `affinity_slack_tokens`, in which case load wins (SGLang's cache-aware router balances the same way).
const std::vector<std::string>& router_names();
std::unique_ptr<Router> make_router(const std::string& name, const std::string& file, const std::string& field,
                                    double affinity_slack_tokens = 1e6);

}  // namespace tokenmath::sim
