#include "tokenmath/sim/step_timer.hpp"

namespace tokenmath::sim {
double PerfStepTimer::step_s(const perf::BatchSummary& b) const { return model_->step_s(b); }
}  // namespace tokenmath::sim
