// Real-time driver of the simulator (serve-sim).
#include "tokenmath/sim/realtime.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace tokenmath::sim {

std::vector<Chunk> block_chunks(const std::vector<std::uint64_t>& token_ids, std::int32_t block_tokens) {
  std::vector<Chunk> out;
  if (block_tokens <= 0) return out;
  const std::size_t b = static_cast<std::size_t>(block_tokens);
  std::uint64_t h = 0;
  for (std::size_t i = 0; i + b <= token_ids.size(); i += b) {
    std::uint64_t content = 0xcbf29ce484222325ULL;
    for (std::size_t k = i; k < i + b; ++k) content = mix64(content ^ token_ids[k]);
    h = chain_hash(h, content);
    out.push_back(Chunk{h, block_tokens});
  }
  return out;
}

Stream::State Stream::wait(std::int32_t seen, double timeout_s) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, std::chrono::duration<double>(std::max(0.0, timeout_s)),
               [&] { return closed_ || state_.done || state_.rejected || state_.tokens > seen; });
  return state_;
}

void Stream::update(const TokenUpdate& u) {
  {
    std::lock_guard lk(mu_);
    if (u.tokens > state_.tokens) state_.tokens = u.tokens;
    if (u.done) {
      state_.done = true;
      state_.prompt_tokens = u.prompt_tokens;
      state_.cached_tokens = u.cached_tokens;
    }
    if (u.rejected) {
      state_.rejected = true;
      state_.prompt_tokens = u.prompt_tokens;
    }
  }
  cv_.notify_all();
}

void Stream::close() {
  {
    std::lock_guard lk(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Stream::closed() const {
  std::lock_guard lk(mu_);
  return closed_;
}

namespace {
double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

RealtimeCluster::RealtimeCluster(const SimConfig& config, double time_scale, std::function<double()> wall_clock)
    : time_scale_(time_scale), clock_(wall_clock ? std::move(wall_clock) : steady_seconds), live_(config) {
  if (!(time_scale > 0) || !std::isfinite(time_scale)) throw std::invalid_argument("time_scale must be > 0");
  start_wall_s_ = clock_();
  driver_ = std::thread([this] { run(); });
}

RealtimeCluster::~RealtimeCluster() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  driver_.join();
  for (auto& [tag, s] : streams_) s->close();
}

SimTime RealtimeCluster::sim_now() const {
  return static_cast<SimTime>(std::llround((clock_() - start_wall_s_) * time_scale_ * 1e9));
}

std::shared_ptr<Stream> RealtimeCluster::submit(Request r) {
  auto s = std::make_shared<Stream>();
  {
    std::lock_guard lk(mu_);
    r.arrival_ns = sim_now();
    r.tag = next_tag_++;
    streams_.emplace(r.tag, s);
    pending_.push_back(std::move(r));
  }
  cv_.notify_all();
  return s;
}

SimResult RealtimeCluster::result() {
  std::lock_guard lk(mu_);
  return live_.result();
}

void RealtimeCluster::run() {
  std::vector<TokenUpdate> updates;
  std::unique_lock lk(mu_);
  while (!stop_) {
    // Submissions first (stamped when they came in), then every event up to the scaled wall clock.
    for (auto& r : pending_) live_.submit(std::move(r));
    pending_.clear();
    updates.clear();
    live_.advance_to(sim_now(), updates);
    for (const auto& u : updates) {
      const auto it = streams_.find(u.tag);
      if (it == streams_.end()) continue;
      it->second->update(u);
      if (u.done || u.rejected) streams_.erase(it);
    }
    const SimTime next = live_.next_event_ns();
    auto woken = [&] { return stop_ || !pending_.empty(); };
    if (next == INT64_MAX) {
      cv_.wait(lk, woken);
    } else {
      // Sleep until the wall clock reaches the next event (or a submission arrives).
      const double wait_s = (static_cast<double>(next) * 1e-9 / time_scale_) - (clock_() - start_wall_s_);
      if (wait_s > 0)
        cv_.wait_until(lk, std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s), woken);
    }
  }
}

}  // namespace tokenmath::sim
