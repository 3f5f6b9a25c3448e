// Exports of a plan a user acts on: LiteLLM price-map entries for the self-hosted models, and the chosen
// deployment as an engine launch command plus a Kubernetes manifest (a starting point, assumptions beside it).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "tokenmath/plan/plan.hpp"

namespace tokenmath::report {

// LiteLLM model_prices_and_context_window.json entries ("self-hosted/<model id>"), one per model with a feasible
// candidate (its cheapest system): input/cache-read/cache-write/output cost per token = the owned fleet's $/M by
// kind at the plan's utilisation / 1e6; max_input_tokens = the model's context window; a `source` naming the
// scenario, system and deployment. Throws InputError when no candidate is feasible.
std::string litellm_export(const plan::PlanResult& r);

// The chosen deployment for `engine` (vllm, sglang, trtllm): files (name, content) to write into one folder:
// launch.sh (the engine's serve command with TP/PP/EP/attention-DP, precision, KV dtype, batch caps and
// speculative decoding), extra_llm_api_options.yaml (trtllm only), k8s.yaml (a Deployment of the planned replicas,
// or a LeaderWorkerSet when a replica spans nodes) and README.md (what was planned and what to check).
// Throws InputError (option `engine`) for another engine, and when no candidate is feasible.
std::vector<std::pair<std::string, std::string>> deploy_export(const plan::PlanResult& r, const std::string& engine);

}  // namespace tokenmath::report
