// Event loop, routing, disaggregated KV transfer and result statistics.
#include "tokenmath/sim/simulator.hpp"

#include <algorithm>
#include <memory>
#include <queue>
#include <stdexcept>

#include "tokenmath/sim/router.hpp"
#include "tokenmath/sim/stats.hpp"

namespace tokenmath::sim {
namespace {

enum class EventKind : std::uint8_t { arrival, step_end, kv_arrival };

struct Event {
  SimTime t;
  std::uint64_t seq;  // insertion order: ties at equal time run first-scheduled first
  EventKind kind;
  std::int32_t a;     // seq slot (arrival, kv_arrival) or replica (step_end)
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

LatencyStats summarize(const Metric& m) {
  LatencyStats s;
  s.count = m.count();
  s.mean = m.mean();
  s.p50 = m.quantile(0.50);
  s.p90 = m.quantile(0.90);
  s.p99 = m.quantile(0.99);
  s.max = m.max();
  return s;
}

class Simulator final : public ArrivalSink, public ReplicaEvents {
 public:
  Simulator(const SimConfig& cfg, Workload& wl, const SimOptions& opt) : cfg_(cfg), wl_(wl), opt_(opt) {
    if (cfg.pools.empty() || cfg.pools.size() > 2) throw std::invalid_argument("one or two replica pools");
    for (std::size_t p = 0; p < cfg.pools.size(); ++p) {
      const PoolSpec& ps = cfg.pools[p];
      pools_.emplace_back();
      routers_.push_back(make_router(ps.router, "<scenario>", "cluster.router", ps.affinity_slack_tokens));
      for (int i = 0; i < ps.replicas; ++i) {
        const auto id = static_cast<std::int32_t>(replicas_.size());
        replicas_.push_back(std::make_unique<Replica>(id, ps.config, &seqs_, this));
        for (const Request& w : opt.warm_prompts) replicas_.back()->warm(w);
        pool_of_.push_back(static_cast<int>(p));
        pools_.back().push_back(replicas_.back().get());
      }
    }
    disaggregated_ = cfg.pools.size() == 2;
    link_free_ns_.assign(replicas_.size(), 0);
  }

  SimResult run() {
    wl_.start(*this);
    const SimTime horizon = cfg_.horizon_s > 0 ? seconds_to_ns(cfg_.horizon_s) : INT64_MAX;
    while (process_next(horizon)) {
      if (opt_.stop && (n_events_ & 0xfff) == 0 && opt_.stop()) {
        interrupted_ = true;
        break;
      }
      if (opt_.on_progress && (n_events_ & 0xffff) == 0) {
        double f = 0;
        if (opt_.expected_requests > 0)
          f = static_cast<double>(finished_) / static_cast<double>(opt_.expected_requests);
        if (opt_.expected_sim_s > 0) f = std::max(f, ns_to_seconds(now_) / opt_.expected_sim_s);
        if (f > 0) opt_.on_progress(std::min(1.0, f));
      }
    }
    return result();
  }

  // Runs the next event if it is at or before `limit`; false when there is none.
  bool process_next(SimTime limit) {
    if (events_.empty() || events_.top().t > limit) return false;
    const Event ev = events_.top();
    events_.pop();
    advance(ev.t);
    ++n_events_;
    switch (ev.kind) {
      case EventKind::arrival: arrive(ev.a); break;
      case EventKind::step_end: {
        Replica& r = *replicas_[static_cast<std::size_t>(ev.a)];
        r.end_step(now_);
        if (opt_.check_invariants) r.check_invariants();
        if (live_) report_running(r);
        try_start(r);
        break;
      }
      case EventKind::kv_arrival: route(ev.a, 1); break;
    }
    return true;
  }

  // Live driving: token progress goes to `out` (nullptr: batch run).
  void set_live_output(std::vector<TokenUpdate>* out) { live_ = out; }
  void start() { wl_.start(*this); }
  void advance_clock(SimTime t) {
    if (t > now_) advance(t);
  }
  SimTime next_event_ns() const { return events_.empty() ? INT64_MAX : events_.top().t; }

  // ArrivalSink
  void schedule_arrival(Request r) override {
    const std::int32_t s = seqs_.alloc();
    Seq& q = seqs_[s];
    r.arrival_ns = std::max(r.arrival_ns, now_);
    q.req = std::move(r);
    q.phase = SeqPhase::pending;
    push(q.req.arrival_ns, EventKind::arrival, s);
  }
  SimTime now() const override { return now_; }

  // ReplicaEvents
  void on_finish(std::int32_t s, SimTime t) override {
    Seq& q = seqs_[s];
    Replica& rep = *replicas_[static_cast<std::size_t>(q.replica)];
    rep.add_outstanding(-outstanding_share(q, pool_of_[static_cast<std::size_t>(q.replica)]));
    const double ttft = ns_to_seconds(q.first_token_ns - q.req.arrival_ns);
    const double e2e = ns_to_seconds(t - q.req.arrival_ns);
    const double tpot =
        q.req.output_tokens > 1 ? ns_to_seconds(t - q.first_token_ns) / (q.req.output_tokens - 1) : 0.0;
    const double queue = ns_to_seconds(q.first_sched_ns - q.req.arrival_ns);
    const std::int32_t cached = std::max(0, q.cached_tokens);
    ttft_.add(ttft);
    e2e_.add(e2e);
    queue_.add(queue);
    if (q.req.output_tokens > 1) tpot_.add(tpot);
    input_tokens_ += q.req.prompt_tokens;
    output_tokens_ += q.req.output_tokens;
    cached_tokens_ += cached;
    const bool ok = (cfg_.slo.ttft_s <= 0 || ttft <= cfg_.slo.ttft_s) &&
                    (cfg_.slo.tpot_s <= 0 || q.req.output_tokens <= 1 || tpot <= cfg_.slo.tpot_s);
    if (ok) ++good_;
    ++finished_;
    if (live_) {
      TokenUpdate u;
      u.tag = q.req.tag;
      u.time_ns = t;
      u.tokens = q.req.output_tokens;
      u.done = true;
      u.prompt_tokens = q.req.prompt_tokens;
      u.cached_tokens = cached;
      live_->push_back(u);
    }
    --in_system_;
    if (opt_.on_request) {
      RequestRecord rec;
      rec.id = q.req.id;
      rec.replica = q.replica;
      rec.arrival_s = ns_to_seconds(q.req.arrival_ns);
      rec.first_token_s = ns_to_seconds(q.first_token_ns);
      rec.finish_s = ns_to_seconds(t);
      rec.prompt_tokens = q.req.prompt_tokens;
      rec.output_tokens = q.req.output_tokens;
      rec.cached_tokens = cached;
      rec.preemptions = q.preemptions;
      rec.ttft_s = ttft;
      rec.tpot_s = tpot;
      rec.e2e_s = e2e;
      rec.queue_s = queue;
      rec.session = q.req.session;
      rec.turn = q.req.turn;
      opt_.on_request(rec);
    }
    wl_.on_finish(q.req, *this);
    seqs_.free(s);
  }

  void on_prefilled(std::int32_t s, SimTime t) override {
    Seq& q = seqs_[s];
    Replica& rep = *replicas_[static_cast<std::size_t>(q.replica)];
    rep.add_outstanding(-outstanding_share(q, 0));
    // KV transfer over the prefill replica's link, one transfer at a time: bytes / bandwidth.
    const double bytes = static_cast<double>(q.target) * rep.config().kv_bytes_per_token;
    const SimTime dur = cfg_.kv_link_bytes_per_s > 0 ? seconds_to_ns(bytes / cfg_.kv_link_bytes_per_s) : 0;
    SimTime& link = link_free_ns_[static_cast<std::size_t>(q.replica)];
    const SimTime start = std::max(t, link);
    link = start + dur;
    q.kv_ready = true;
    push(link, EventKind::kv_arrival, s);
    if (live_ && q.generated > q.reported) {
      q.reported = q.generated;
      live_->push_back(TokenUpdate{q.req.tag, t, q.generated, false, false, 0, 0});
    }
  }

  void on_itl(double gap_s, std::int64_t weight) override { itl_.add(gap_s, weight); }

 private:
  void push(SimTime t, EventKind k, std::int32_t a) { events_.push(Event{t, next_event_seq_++, k, a}); }

  // Area under the number-in-system curve, for Little's law.
  void advance(SimTime t) {
    in_system_area_ += static_cast<double>(in_system_) * static_cast<double>(t - now_);
    now_ = t;
  }

  // Tokens a request adds to its replica's outstanding count: prompt + output (unified), prompt (prefill pool),
  // output (decode pool).
  std::int64_t outstanding_share(const Seq& q, int pool) const {
    if (!disaggregated_) return q.req.prompt_tokens + q.req.output_tokens;
    return pool == 0 ? q.req.prompt_tokens : q.req.output_tokens;
  }

  void arrive(std::int32_t s) {
    Seq& q = seqs_[s];
    q.req.id = next_id_++;
    ++arrived_;
    ++in_system_;
    wl_.on_arrival(q.req, *this);
    route(s, 0);
  }

  void route(std::int32_t s, int pool) {
    Seq& q = seqs_[s];
    auto& reps = pools_[static_cast<std::size_t>(pool)];
    const std::size_t i = routers_[static_cast<std::size_t>(pool)]->pick(q.req, reps);
    Replica& rep = *reps[i];
    // Context overflow: clip the prompt (keeping its beginning, i.e. the cached prefix) when asked to.
    const std::int64_t max_ctx = rep.config().max_context_tokens;
    if (pool == 0 && cfg_.clip_context_overflow && max_ctx > 0 &&
        static_cast<std::int64_t>(q.req.prompt_tokens) + q.req.output_tokens > max_ctx) {
      q.req.prompt_tokens = static_cast<std::int32_t>(std::max<std::int64_t>(1, max_ctx - q.req.output_tokens));
      if (q.req.output_tokens >= max_ctx) q.req.output_tokens = static_cast<std::int32_t>(std::max<std::int64_t>(1, max_ctx - 1));
      std::int64_t covered = 0;
      std::size_t keep = 0;
      while (keep < q.req.chunks.size() && covered + q.req.chunks[keep].tokens <= q.req.prompt_tokens)
        covered += q.req.chunks[keep++].tokens;
      q.req.chunks.resize(keep);
      q.req.output_hash = 0;  // the chain no longer continues this prompt
      ++clipped_;
    }
    if (!rep.fits(static_cast<std::int64_t>(q.req.prompt_tokens) + q.req.output_tokens,
                  static_cast<std::int64_t>(q.req.chunks.size()) + 1)) {
      // Longer than the replica's whole KV cache: it can never run.
      ++rejected_;
      --in_system_;
      if (live_) live_->push_back(TokenUpdate{q.req.tag, now_, 0, false, true, q.req.prompt_tokens, 0});
      wl_.on_finish(q.req, *this);
      seqs_.free(s);
      return;
    }
    if (pool == 0) q.route_replica = rep.id();
    rep.add_outstanding(outstanding_share(q, pool));
    if (pool == 1) {
      q.generated = 1;
      q.target = q.req.prompt_tokens;
    }
    rep.enqueue(s);
    try_start(rep);
  }

  // Reports the running sequences of `r` whose emitted-token count grew in the step that just ended.
  void report_running(const Replica& r) {
    r.for_each_running([&](std::int32_t s, std::int32_t tokens) {
      Seq& q = seqs_[s];
      if (tokens <= q.reported) return;
      q.reported = tokens;
      live_->push_back(TokenUpdate{q.req.tag, now_, tokens, false, false, 0, 0});
    });
  }

  void try_start(Replica& r) {
    if (r.in_step() || !r.has_work()) return;
    const SimTime dur = r.begin_step(now_);
    if (dur > 0) {
      if (opt_.on_step) opt_.on_step(r.last_step());
      push(now_ + dur, EventKind::step_end, r.id());
    }
  }


 public:
  SimResult result() {
    SimResult res;
    res.interrupted = interrupted_;
    res.arrived = arrived_;
    res.finished = finished_;
    res.rejected = rejected_;
    res.clipped = clipped_;
    res.unfinished = arrived_ - finished_ - rejected_;
    res.sim_time_s = ns_to_seconds(now_);
    const double t = res.sim_time_s > 0 ? res.sim_time_s : 1.0;
    res.input_tokens = input_tokens_;
    res.output_tokens = output_tokens_;
    res.cached_tokens = cached_tokens_;
    res.request_rate_per_s = static_cast<double>(finished_) / t;
    res.input_tok_per_s = input_tokens_ / t;
    res.output_tok_per_s = output_tokens_ / t;
    res.ttft_s = summarize(ttft_);
    res.tpot_s = summarize(tpot_);
    res.itl_s = summarize(itl_);
    res.e2e_s = summarize(e2e_);
    res.queue_s = summarize(queue_);
    res.prefix_hit_rate = input_tokens_ > 0 ? cached_tokens_ / input_tokens_ : 0.0;
    res.goodput_req_per_s = static_cast<double>(good_) / t;
    res.slo_attainment = finished_ > 0 ? static_cast<double>(good_) / static_cast<double>(finished_) : 0.0;
    res.mean_in_system = in_system_area_ / (static_cast<double>(now_ > 0 ? now_ : 1));
    // lambda = arrivals per second; W = mean time in system of finished requests.
    res.littles_lambda_w = static_cast<double>(arrived_) / t * e2e_.mean();
    res.events = n_events_;
    double busy_min = 1e300, busy_max = 0, busy_sum = 0, kv_sum = 0;
    for (const auto& rp : replicas_) {
      const ReplicaStats& st = rp->stats();
      ReplicaResult rr;
      rr.id = rp->id();
      rr.pool = rp->config().pool;
      rr.routed = st.routed;
      rr.steps = st.steps;
      rr.busy_fraction = static_cast<double>(st.busy_ns) / (t * 1e9);
      const double blocks = static_cast<double>(std::max<std::int64_t>(1, rp->config().kv_blocks));
      rr.kv_util_mean = st.kv_used_block_ns / (blocks * t * 1e9);
      rr.kv_util_peak = static_cast<double>(st.kv_used_peak_blocks) / blocks;
      rr.preemptions = st.preemptions;
      rr.prefix_hit_rate =
          st.lookup_tokens > 0 ? static_cast<double>(st.hit_tokens) / static_cast<double>(st.lookup_tokens) : 0.0;
      rr.prefill_tokens = st.prefill_tokens;
      rr.decode_tokens = st.decode_tokens;
      rr.evicted_blocks = st.evicted_blocks;
      res.preemptions += st.preemptions;
      res.swapped_out += st.swapped_out;
      res.steps += st.steps;
      res.blocks_allocated += st.blocks_allocated;
      res.blocks_freed += st.blocks_freed;
      res.blocks_in_use_end += rp->private_blocks() + rp->cached_used_blocks();
      res.blocks_cached_end += rp->evictable_blocks();
      busy_min = std::min(busy_min, rr.busy_fraction);
      busy_max = std::max(busy_max, rr.busy_fraction);
      busy_sum += rr.busy_fraction;
      kv_sum += rr.kv_util_mean;
      res.replicas.push_back(std::move(rr));
    }
    const double n = static_cast<double>(std::max<std::size_t>(1, replicas_.size()));
    res.busy_fraction_mean = busy_sum / n;
    res.busy_fraction_min = replicas_.empty() ? 0 : busy_min;
    res.busy_fraction_max = busy_max;
    res.kv_util_mean = kv_sum / n;
    return res;
  }

 private:

  const SimConfig& cfg_;
  Workload& wl_;
  const SimOptions& opt_;
  SeqPool seqs_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<int> pool_of_;
  std::vector<std::vector<Replica*>> pools_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::vector<SimTime> link_free_ns_;
  bool disaggregated_ = false;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::uint64_t next_event_seq_ = 0;
  SimTime now_ = 0;
  std::int64_t next_id_ = 0;
  std::int64_t arrived_ = 0, finished_ = 0, rejected_ = 0, good_ = 0, in_system_ = 0, n_events_ = 0;
  bool interrupted_ = false;
  std::vector<TokenUpdate>* live_ = nullptr;
  std::int64_t clipped_ = 0;
  double in_system_area_ = 0;
  double input_tokens_ = 0, output_tokens_ = 0, cached_tokens_ = 0;
  Metric ttft_, tpot_, itl_, e2e_, queue_;
};

}  // namespace

SimResult simulate(const SimConfig& config, Workload& workload, const SimOptions& options) {
  Simulator sim(config, workload, options);
  return sim.run();
}

namespace {
// A LiveSimulator's workload: nothing of its own, every request is submitted.
class SubmittedOnly final : public Workload {
 public:
  void start(ArrivalSink& /*sink*/) override {}
};
}  // namespace

struct LiveSimulator::Impl {
  SimConfig config;
  SimOptions options;
  SubmittedOnly workload;
  Simulator sim;
  Impl(const SimConfig& c, const SimOptions& o) : config(c), options(o), sim(config, workload, options) {}
};

LiveSimulator::LiveSimulator(const SimConfig& config, const SimOptions& options)
    : impl_(std::make_unique<Impl>(config, options)) {
  impl_->sim.start();
}
LiveSimulator::~LiveSimulator() = default;

void LiveSimulator::submit(Request r) { impl_->sim.schedule_arrival(std::move(r)); }

void LiveSimulator::advance_to(SimTime t, std::vector<TokenUpdate>& out) {
  impl_->sim.set_live_output(&out);
  while (impl_->sim.process_next(t)) {
  }
  impl_->sim.advance_clock(t);
  impl_->sim.set_live_output(nullptr);
}

SimTime LiveSimulator::next_event_ns() const { return impl_->sim.next_event_ns(); }
SimTime LiveSimulator::now() const { return impl_->sim.now(); }
SimResult LiveSimulator::result() { return impl_->sim.result(); }

}  // namespace tokenmath::sim
