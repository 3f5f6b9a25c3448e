// Request generators: open-loop synthetic arrivals, closed loops, trace replay and agentic sessions.
#include "tokenmath/sim/workload.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace tokenmath::sim {

double Dist::sample(Rng& rng) const {
  double v = a;
  switch (kind) {
    case Kind::fixed: v = a; break;
    case Kind::uniform: v = a + (b - a) * rng.uniform(); break;
    case Kind::normal: v = a + b * rng.normal(); break;
    case Kind::lognormal: v = rng.lognormal(a, b); break;
    case Kind::exponential: v = rng.exponential(a); break;
    case Kind::empirical: {
      const auto& vs = *values;
      auto i = static_cast<std::size_t>(rng.uniform() * static_cast<double>(vs.size()));
      v = vs[std::min(i, vs.size() - 1)];
      break;
    }
  }
  return std::clamp(v, min, max);
}

std::int32_t Dist::sample_tokens(Rng& rng) const {
  const double v = std::llround(sample(rng));
  return static_cast<std::int32_t>(std::clamp(v, 1.0, 2.0e9));
}

double Dist::mean() const {
  switch (kind) {
    case Kind::fixed: return a;
    case Kind::uniform: return 0.5 * (a + b);
    case Kind::normal: return a;
    case Kind::lognormal: return a * std::exp(0.5 * b * b);  // E[X] = median * exp(sigma^2 / 2)
    case Kind::exponential: return a;
    case Kind::empirical: {
      double s = 0;
      for (double v : *values) s += v;
      return values->empty() ? 0.0 : s / static_cast<double>(values->size());
    }
  }
  return a;
}

namespace {

// Content ids of synthetic chunks live in disjoint ranges (top byte) so they never collide with trace ids.
constexpr std::uint64_t kSharedPrefixSpace = 0x01ULL << 56;
constexpr std::uint64_t kSessionSpace = 0x02ULL << 56;
constexpr std::uint64_t kTraceSpace = 0x03ULL << 56;

// Time from one open-loop arrival to the next.
class ArrivalClock {
 public:
  explicit ArrivalClock(const ArrivalSpec& s) : spec_(s) {
    if (s.kind == ArrivalSpec::Kind::profile)
      max_mult_ = s.hourly.empty() ? 1.0 : *std::max_element(s.hourly.begin(), s.hourly.end());
  }
  // Next arrival after `now` (ns).
  SimTime next(Rng& rng, SimTime now) const {
    const double mean_gap_s = 1.0 / spec_.rate_per_s;
    switch (spec_.kind) {
      case ArrivalSpec::Kind::poisson: return now + gap_ns(rng.exponential(mean_gap_s));
      case ArrivalSpec::Kind::gamma: {
        // Gamma gaps with mean 1/rate and coefficient of variation cv: shape k = 1/cv^2, scale = mean/k.
        const double k = 1.0 / (spec_.cv * spec_.cv);
        return now + gap_ns(rng.gamma(k, mean_gap_s / k));
      }
      case ArrivalSpec::Kind::constant: return now + gap_ns(mean_gap_s);
      case ArrivalSpec::Kind::profile: {
        // Non-homogeneous Poisson by thinning (Lewis and Shedler 1979): candidates at the peak rate
        // rate * max_mult, each kept with probability rate(t) / peak.
        const double peak = spec_.rate_per_s * max_mult_;
        SimTime t = now;
        for (;;) {
          t += gap_ns(rng.exponential(1.0 / peak));
          const double hour = spec_.start_hour + ns_to_seconds(t) / 3600.0;
          const auto h = static_cast<std::size_t>(std::fmod(hour, 24.0));
          const double mult = spec_.hourly.empty() ? 1.0 : spec_.hourly[std::min<std::size_t>(h, 23)];
          if (rng.uniform() * max_mult_ < mult) return t;
        }
      }
      case ArrivalSpec::Kind::closed: return now;
    }
    return now;
  }

 private:
  static SimTime gap_ns(double s) { return std::max<SimTime>(0, seconds_to_ns(s)); }
  ArrivalSpec spec_;
  double max_mult_ = 1;
};

// Shared bookkeeping: request/time limits.
class LimitedWorkload : public Workload {
 protected:
  explicit LimitedWorkload(const WorkloadSpec& s) : spec_(s) {}
  bool may_emit(SimTime at) const {
    if (spec_.max_requests > 0 && emitted_ >= spec_.max_requests) return false;
    if (spec_.duration_s > 0 && at > seconds_to_ns(spec_.duration_s)) return false;
    return true;
  }
  void emit(ArrivalSink& sink, Request r) {
    ++emitted_;
    sink.schedule_arrival(std::move(r));
  }
  const WorkloadSpec spec_;  // a copy: the generator does not depend on the caller keeping the spec alive
  std::int64_t emitted_ = 0;
};

// Synthetic requests: lengths from distributions or jointly from a trace's rows; open-loop or closed-loop.
class SyntheticWorkload final : public LimitedWorkload {
 public:
  SyntheticWorkload(const WorkloadSpec& s, std::uint64_t seed)
      : LimitedWorkload(s), clock_(s.arrival), arrivals_(seed, "arrivals"), lengths_(seed, "lengths"),
        think_(seed, "think") {}

  void start(ArrivalSink& sink) override {
    if (spec_.arrival.kind == ArrivalSpec::Kind::closed) {
      const int n = spec_.arrival.concurrency;
      for (int c = 0; c < n; ++c) {
        const SimTime t = seconds_to_ns(spec_.arrival.ramp_s * c / n);
        if (!may_emit(t)) break;
        emit(sink, make(t, c));
      }
      return;
    }
    const SimTime t = clock_.next(arrivals_, 0);
    if (may_emit(t)) emit(sink, make(t, -1));
  }
  void on_arrival(const Request& r, ArrivalSink& sink) override {
    if (spec_.arrival.kind == ArrivalSpec::Kind::closed) return;
    const SimTime t = clock_.next(arrivals_, r.arrival_ns);
    if (may_emit(t)) emit(sink, make(t, -1));
  }
  void on_finish(const Request& r, ArrivalSink& sink) override {
    if (spec_.arrival.kind != ArrivalSpec::Kind::closed || r.session < 0) return;
    const SimTime t = sink.now() + seconds_to_ns(spec_.arrival.think_time_s.sample(think_));
    if (may_emit(t)) emit(sink, make(t, r.session));
  }

 private:
  Request make(SimTime t, std::int64_t client) {
    Request r;
    r.arrival_ns = t;
    r.session = client;
    if (spec_.length_trace && !spec_.length_trace->rows.empty()) {
      const auto& rows = spec_.length_trace->rows;
      auto i = static_cast<std::size_t>(lengths_.uniform() * static_cast<double>(rows.size()));
      const auto& row = rows[std::min(i, rows.size() - 1)];
      r.prompt_tokens = std::max(1, row.input_tokens);
      r.output_tokens = std::max(1, row.output_tokens);
    } else {
      r.prompt_tokens = spec_.input_tokens.sample_tokens(lengths_);
      r.output_tokens = spec_.output_tokens.sample_tokens(lengths_);
    }
    if (spec_.shared_prefix_tokens > 0) {
      // The sampled input is the request's own part; the shared prefix of its group comes first.
      const auto groups = static_cast<std::uint64_t>(std::max(1, spec_.shared_prefix_groups));
      const std::uint64_t g = lengths_.bits() % groups;
      r.chunks.push_back({chain_hash(0, kSharedPrefixSpace + g), spec_.shared_prefix_tokens});
      r.prompt_tokens += spec_.shared_prefix_tokens;
    }
    return r;
  }
  ArrivalClock clock_;
  Rng arrivals_, lengths_, think_;
};

// Trace replay: arrival times and lengths from the rows, Mooncake hash ids as 512-token prefix chunks.
class TraceWorkload final : public LimitedWorkload {
 public:
  explicit TraceWorkload(const WorkloadSpec& s) : LimitedWorkload(s) {}
  void start(ArrivalSink& sink) override { next(sink); }
  void on_arrival(const Request&, ArrivalSink& sink) override { next(sink); }

 private:
  void next(ArrivalSink& sink) {
    const auto& rows = spec_.trace->rows;
    if (idx_ >= rows.size()) return;
    const TraceRow& row = rows[idx_++];
    Request r;
    r.arrival_ns = seconds_to_ns(row.time_s / spec_.speedup);
    r.prompt_tokens = std::max(1, row.input_tokens);
    r.output_tokens = std::max(1, row.output_tokens);
    std::uint64_t h = 0;
    std::int32_t covered = 0;
    const std::int32_t block = spec_.trace->block_tokens;
    for (std::size_t k = 0; k < row.hash_ids.size() && covered < r.prompt_tokens; ++k) {
      // Block k covers tokens [k*512, (k+1)*512); the last block holds what is left of the prompt.
      const std::int32_t t = std::min(block, r.prompt_tokens - covered);
      h = chain_hash(h, kTraceSpace + row.hash_ids[k]);
      r.chunks.push_back({h, t});
      covered += t;
    }
    if (may_emit(r.arrival_ns)) emit(sink, std::move(r));
  }
  std::size_t idx_ = 0;
};

class AgenticWorkload final : public LimitedWorkload {
 public:
  AgenticWorkload(const WorkloadSpec& s, std::uint64_t seed)
      : LimitedWorkload(s), a_(spec_.agentic), clock_(s.agentic.session_arrival), arrivals_(seed, "session-arrivals"),
        shape_(seed, "session-shape"), turns_(seed, "turn-lengths"), think_(seed, "think") {}

  void start(ArrivalSink& sink) override {
    if (a_.session_arrival.kind == ArrivalSpec::Kind::closed) {
      // Engineers start their first session staggered uniformly over one mean think time.
      const double spread_s = std::max(a_.think_time_s.mean(), 1e-3);
      for (int c = 0; c < a_.session_arrival.concurrency; ++c)
        start_session(sink, seconds_to_ns(spread_s * arrivals_.uniform()));
      return;
    }
    start_session(sink, clock_.next(arrivals_, 0));
  }
  void on_arrival(const Request& r, ArrivalSink& sink) override {
    // The first turn of an open-loop session schedules the next session's start.
    if (a_.session_arrival.kind != ArrivalSpec::Kind::closed && r.turn == 0)
      start_session(sink, clock_.next(arrivals_, r.arrival_ns));
  }
  void on_finish(const Request& r, ArrivalSink& sink) override {
    auto it = sessions_.find(r.session);
    if (it == sessions_.end()) return;
    Session& s = it->second;
    // The turn's new input and its output become part of the context.
    s.chain.push_back(r.chunks.back());
    s.chain.push_back({r.output_hash, r.output_tokens});
    s.context_tokens += r.chunks.back().tokens + r.output_tokens;
    ++s.turn;
    const SimTime t = sink.now() + seconds_to_ns(a_.think_time_s.sample(think_));
    const std::int32_t new_tokens = a_.new_tokens.sample_tokens(turns_);
    if (s.turn < s.turns && s.context_tokens + new_tokens <= a_.max_context_tokens) {
      if (may_emit(t)) emit(sink, make_turn(s, t, new_tokens));
      else sessions_.erase(it);
      return;
    }
    sessions_.erase(it);
    if (a_.session_arrival.kind == ArrivalSpec::Kind::closed) start_session(sink, t);
  }

 private:
  struct Session {
    std::int64_t id = 0;
    std::int32_t turn = 0;
    std::int32_t turns = 1;
    std::int64_t context_tokens = 0;
    std::vector<Chunk> chain;
  };

  void start_session(ArrivalSink& sink, SimTime t) {
    if (a_.sessions > 0 && started_ >= a_.sessions) return;
    if (!may_emit(t)) return;
    Session s;
    s.id = started_++;
    s.turns = std::max<std::int32_t>(1, a_.turns.sample_tokens(shape_));
    std::uint64_t h = 0;
    if (a_.shared_prefix_tokens > 0) {
      h = chain_hash(0, kSharedPrefixSpace);
      s.chain.push_back({h, a_.shared_prefix_tokens});
      s.context_tokens += a_.shared_prefix_tokens;
    }
    const std::int32_t init = a_.initial_context_tokens.sample_tokens(shape_);
    s.chain.push_back({chain_hash(h, kSessionSpace + (static_cast<std::uint64_t>(s.id) << 24)), init});
    s.context_tokens += init;
    const std::int32_t new_tokens = a_.new_tokens.sample_tokens(turns_);
    Request r = make_turn(s, t, new_tokens);
    sessions_.emplace(s.id, std::move(s));
    emit(sink, std::move(r));
  }

  Request make_turn(const Session& s, SimTime t, std::int32_t new_tokens) {
    Request r;
    r.arrival_ns = t;
    r.session = s.id;
    r.turn = s.turn;
    r.chunks = s.chain;
    const std::uint64_t base = kSessionSpace + (static_cast<std::uint64_t>(s.id) << 24) +
                               2 * static_cast<std::uint64_t>(s.turn) + 1;
    const std::uint64_t in_hash = chain_hash(s.chain.back().hash, base);
    r.chunks.push_back({in_hash, new_tokens});
    r.output_hash = chain_hash(in_hash, base + 1);
    r.prompt_tokens = static_cast<std::int32_t>(s.context_tokens + new_tokens);
    r.output_tokens = a_.output_tokens.sample_tokens(turns_);
    return r;
  }

  const AgenticSpec& a_;
  ArrivalClock clock_;
  Rng arrivals_, shape_, turns_, think_;
  std::int64_t started_ = 0;
  std::unordered_map<std::int64_t, Session> sessions_;
};

}  // namespace

std::vector<Request> shared_prefix_prompts(const WorkloadSpec& spec) {
  std::vector<Request> out;
  if (spec.kind != WorkloadSpec::Kind::synthetic || spec.shared_prefix_tokens <= 0) return out;
  const auto groups = static_cast<std::uint64_t>(std::max(1, spec.shared_prefix_groups));
  for (std::uint64_t g = 0; g < groups; ++g) {
    Request r;
    r.prompt_tokens = spec.shared_prefix_tokens;
    r.chunks.push_back({chain_hash(0, kSharedPrefixSpace + g), spec.shared_prefix_tokens});
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec, std::uint64_t seed) {
  switch (spec.kind) {
    case WorkloadSpec::Kind::synthetic: return std::make_unique<SyntheticWorkload>(spec, seed);
    case WorkloadSpec::Kind::trace:
      if (!spec.trace) throw std::logic_error("trace workload without a trace");
      return std::make_unique<TraceWorkload>(spec);
    case WorkloadSpec::Kind::agentic: return std::make_unique<AgenticWorkload>(spec, seed);
  }
  return nullptr;
}

}  // namespace tokenmath::sim
