#include "tokenmath/sim/step_timer.hpp"

#include <algorithm>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/sim/replica.hpp"

namespace tokenmath::sim {
double PerfStepTimer::step_s(const perf::BatchSummary& b) const { return model_->step_s(b); }
}  // namespace tokenmath::sim

namespace tokenmath::sim {

ReplicaConfig replica_config_for(std::shared_ptr<const perf::StepModel> model, std::int32_t block_tokens) {
  const perf::Deployment& d = model->deployment();
  const int ranks = d.attention_dp ? std::max(1, d.tp) : 1;
  ReplicaConfig rc;
  rc.block_tokens = std::max<std::int32_t>(1, block_tokens);
  rc.kv_blocks = static_cast<std::int64_t>(model->memory().kv_capacity_tokens / rc.block_tokens);
  rc.max_batched_tokens = d.knobs.max_batched_tokens * ranks;
  rc.max_num_seqs = std::min(d.knobs.max_num_seqs * ranks, rc.max_batched_tokens);
  rc.chunk_tokens = d.knobs.chunked_prefill_tokens;
  rc.window_tokens = static_cast<std::int32_t>(model->sliding_window());
  if (d.spec.enabled()) {
    rc.decode_tokens_per_step = d.spec.acceptance_length;
    rc.decode_budget_tokens = d.spec.verified();
  }
  if (d.model) {
    rc.max_context_tokens = d.model->max_context;
    rc.kv_bytes_per_token = catalog::kv_bytes_per_token(*d.model, d.kv_precision, 0);
  }
  rc.timer = std::make_shared<PerfStepTimer>(model);
  return rc;
}

}  // namespace tokenmath::sim
