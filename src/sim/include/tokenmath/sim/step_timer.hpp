// The simulator asks a StepTimer how long each engine step takes. The real one wraps perf::StepModel; tests use
// LinearStepTimer, whose durations are simple enough to compute by hand.
#pragma once

#include <memory>

#include "tokenmath/perf/step.hpp"

namespace tokenmath::sim {

class StepTimer {
 public:
  virtual ~StepTimer() = default;
  virtual double step_s(const perf::BatchSummary& b) const = 0;
};

// t = base_s + per_token_s * (decode_seqs + prefill_tokens) + per_ctx_token_s * decode_ctx_sum
//     + per_attn_pair_s * prefill_attn_pairs
struct LinearStepTimer final : StepTimer {
  double base_s = 0.01;
  double per_token_s = 0;
  double per_ctx_token_s = 0;
  double per_attn_pair_s = 0;
  double step_s(const perf::BatchSummary& b) const override {
    return base_s + per_token_s * static_cast<double>(b.tokens()) + per_ctx_token_s * b.decode_ctx_sum +
           per_attn_pair_s * b.prefill_attn_pairs;
  }
};

// perf::StepModel behind the StepTimer interface (perf_step_timer.cpp).
class PerfStepTimer final : public StepTimer {
 public:
  explicit PerfStepTimer(std::shared_ptr<const perf::StepModel> model) : model_(std::move(model)) {}
  double step_s(const perf::BatchSummary& b) const override;
  const perf::StepModel& model() const { return *model_; }

 private:
  std::shared_ptr<const perf::StepModel> model_;
};

}  // namespace tokenmath::sim
