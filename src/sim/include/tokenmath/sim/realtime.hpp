// The simulator in real time (`tokenmath serve-sim`): a driver thread owns a LiveSimulator and keeps its clock
// at (wall seconds since start) x time_scale. Requests submitted from other threads (HTTP handlers) arrive at the
// simulated time of their submission; each step end is delivered when the wall clock reaches it, to a Stream the
// submitter waits on. Token timings are the simulator's, deterministic for the same arrival times; what differs
// from run to run is wall-clock jitter (thread wake-up, transport).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tokenmath/sim/simulator.hpp"

namespace tokenmath::sim {

// Prefix-cache chunks of a prompt given as per-token content ids: one chunk per full block of `block_tokens`
// tokens, chained (chain_hash), so two prompts share cached blocks exactly as far as their tokens agree block by
// block - as engines hash 16-token blocks. A trailing partial block gets no chunk.
std::vector<Chunk> block_chunks(const std::vector<std::uint64_t>& token_ids, std::int32_t block_tokens);

// One submitted request's progress, filled by the driver thread, read by the submitter.
class Stream {
 public:
  struct State {
    std::int32_t tokens = 0;  // output tokens emitted so far
    bool done = false;
    bool rejected = false;
    std::int32_t prompt_tokens = 0;  // done: as served
    std::int32_t cached_tokens = 0;  // done: prompt tokens found in the prefix cache
  };
  // Blocks until more than `seen` tokens are out, the request ended (done or rejected), the stream was closed
  // by the driver's shutdown, or `timeout_s` passed; returns the state then.
  State wait(std::int32_t seen, double timeout_s);
  void update(const TokenUpdate& u);
  void close();  // the driver stops: wake every waiter (state stays as it is)
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_;
  bool closed_ = false;
};

class RealtimeCluster {
 public:
  // time_scale: simulated seconds per wall second (> 0; 10 runs the simulator ten times faster than real time).
  // wall_clock: monotone seconds (default: std::chrono::steady_clock); waits assume it advances like real time.
  RealtimeCluster(const SimConfig& config, double time_scale, std::function<double()> wall_clock = {});
  ~RealtimeCluster();  // stops the driver thread; open streams are closed
  RealtimeCluster(const RealtimeCluster&) = delete;
  RealtimeCluster& operator=(const RealtimeCluster&) = delete;

  // Submits a request arriving now (its arrival_ns and tag are set here). Thread-safe.
  std::shared_ptr<Stream> submit(Request r);
  // Statistics of everything simulated so far (TTFT, TPOT, throughput in simulated seconds). Thread-safe.
  SimResult result();
  double time_scale() const { return time_scale_; }
  // Simulated time now (ns) on the scaled clock.
  SimTime sim_now() const;

 private:
  void run();

  double time_scale_;
  std::function<double()> clock_;
  double start_wall_s_ = 0;
  LiveSimulator live_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::int64_t next_tag_ = 0;
  std::vector<Request> pending_;
  std::unordered_map<std::int64_t, std::shared_ptr<Stream>> streams_;
  std::thread driver_;
};

}  // namespace tokenmath::sim
