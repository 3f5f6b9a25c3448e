// One model replica: an iteration-level scheduler (token budget per step, chunked prefill, max running sequences,
// decode-first or prefill-first), a paged KV cache counted in blocks, preemption by recompute, a prefix cache of
// content chunks keyed by chained hashes with an eviction policy, and an optional host-memory tier.
//
// Prefix cache granularity: entries are the request's content chunks (a Mooncake 512-token hash block, an agentic
// turn's new input or output, a shared system prompt), keyed by the chunk's chained hash, each holding the KV
// blocks its tokens occupy. A prefix hits chunk by chunk from the start; a chunk that matches only in part does
// not hit. (Engines hash every 16-token block; with chunked sources the two agree except inside a chunk.)
//
// Cost per step is O(1 + prefill sequences in the batch + sequences that join, finish or are preempted), not
// O(running sequences): decode sequences live in aggregates. Every decode sequence advances one token per decode
// step, so its context and private-token count are affine in the replica's decode-step counter:
//     kv(s) = kv0 + (s - join),  priv(s) = priv0 + (s - join)
// The sum of contexts grows by the number of decoders each step; a sequence needs a new KV block in step s iff
// priv(s) % block == 0, i.e. iff (priv0 - join) == -s (mod block), so blocks needed per step are one counter per
// residue class; finishes come from a heap keyed by the step of the last token. Sliding-window sums use a second
// heap of the steps at which contexts reach the window.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenmath/perf/step.hpp"
#include "tokenmath/sim/step_timer.hpp"
#include "tokenmath/sim/workload.hpp"

namespace tokenmath::sim {

enum class SchedulerKind {
  decode_first,   // vLLM v1 / SGLang: every running decode advances each step; prefill chunks fill the budget
  prefill_first,  // vLLM v0 style: a step with pending prefill work runs prefill only; decodes wait
};
enum class EvictionKind {
  lru,   // least recently released first; a request's chunks are released tail first
  fifo,  // oldest inserted first
};
// How a waiting request is admitted into the running batch (KV reservation), as the engines do it:
enum class AdmissionKind {
  // vLLM v1: admit while the step's first chunk fits; later chunks allocate as they run and, when blocks run out,
  // the most recently admitted sequences are preempted (recomputed later).
  per_chunk,
  // vLLM v0 / Sarathi-Serve / Vidur: blocks for the whole prompt are reserved at admission, and only while at
  // least `watermark` of the pool stays free afterwards (vLLM v0 BlockSpaceManager.can_allocate).
  reserve_full_prompt,
  // SGLang: admit only if the pool covers the prompt plus new_token_ratio x the expected output of the request
  // and of every running request; the ratio starts at 0.7, decays linearly to 0.7 x 0.14 over 600 steps and
  // resets after a preemption (sglang global_config / PrefillAdder); chunks then allocate as they run.
  conservative,
  // TensorRT-LLM (CapacitySchedulerPolicy GUARANTEED_NO_EVICT, its default): admit only if the pool covers the
  // prompt and the full remaining output of this and every running request, so nothing is ever evicted.
  guaranteed_no_evict,
};
enum class ReplicaRole { unified, prefill, decode };

// One engine step of one replica (the step log).
struct StepRecord {
  std::int32_t replica = -1;
  double start_s = 0, duration_s = 0;
  std::int64_t prefill_tokens = 0, prefill_seqs = 0, decode_seqs = 0;
  std::int64_t kv_blocks_used = 0, kv_blocks = 0;  // at the step's start, after its allocations
};


// Names accepted in scenarios; the parsers throw InputError listing the valid names.
const std::vector<std::string>& scheduler_names();
const std::vector<std::string>& eviction_names();
SchedulerKind parse_scheduler(const std::string& name, const std::string& file, const std::string& field);
const std::vector<std::string>& admission_names();
AdmissionKind parse_admission(const std::string& name, const std::string& file, const std::string& field);
EvictionKind parse_eviction(const std::string& name, const std::string& file, const std::string& field);

struct ReplicaConfig {
  std::string pool = "main";
  ReplicaRole role = ReplicaRole::unified;
  std::int64_t kv_blocks = 0;        // KV pool in blocks (kv_capacity_tokens / block_tokens)
  std::int32_t block_tokens = 16;
  std::int32_t max_batched_tokens = 8192;
  std::int32_t max_num_seqs = 256;
  std::int32_t chunk_tokens = 8192;  // at most this many prefill tokens of one sequence per step
  bool prefix_caching = true;
  SchedulerKind scheduler = SchedulerKind::decode_first;
  EvictionKind eviction = EvictionKind::lru;
  double host_cache_tokens = 0;      // host-memory (DRAM) tier capacity; 0 = none. Inclusive (write-through, as
                                     // SGLang HiCache and LMCache): every prefix chunk cached in HBM is copied
                                     // there too; swapped-out sequences take precedence over those copies
  double host_bytes_per_s = 0;       // host -> HBM transfer bandwidth
  double kv_bytes_per_token = 0;     // whole replica, for host transfers and disaggregated KV transfer
  std::int32_t window_tokens = 0;    // model's sliding window (0 = none)
  std::int64_t max_context_tokens = 0;  // longest sequence the model accepts (0 = no limit)
  // Speculative decoding (perf::SpecDecode): a decoding sequence emits `decode_tokens_per_step` tokens per step
  // on average (the acceptance length; a sequence with R tokens left needs ceil(R / a) steps) and takes
  // `decode_budget_tokens` (draft + 1 verified positions) of the step's token budget. KV grows by one slot per
  // step: the accepted drafts beyond the first are not stored, which under-counts KV by (a - 1) / a of the
  // output tokens (small when outputs are short next to the context, as in agentic steps).
  double decode_tokens_per_step = 1;
  std::int32_t decode_budget_tokens = 1;
  AdmissionKind admission = AdmissionKind::per_chunk;
  double admission_watermark = 0.01;  // reserve_full_prompt: share of the pool kept free after an admission
  double new_token_ratio_init = 0.7;  // conservative: expected share of the remaining output still to be stored
  double new_token_ratio_min = 0.098;
  double new_token_ratio_decay_steps = 600;
  // Preemption of a decoding sequence: recompute (false: its KV is dropped and its prompt + output prefilled again
  // when readmitted; vLLM's default, SGLang's retract) or swap (true: its KV is copied to the host tier and back when
  // readmitted, each copy at host_bytes_per_s inside the step that does it; vLLM v0 swap). Swap needs a host tier
  // with room beside the host prefix cache; otherwise the sequence is recomputed.
  bool swap_preemption = false;
  std::shared_ptr<const StepTimer> timer;
};

// The one path from a perf deployment to the simulator's replica (scenario pools, the planner's check and the
// differential tests all use it). Quantities are per replica: the KV pool is the step model's
// kv_capacity_tokens (every GPU's share counted; under attention DP the ranks' pools together); the token budget
// and the sequence cap are the engine's per attention-DP rank times the ranks (a sequence cap above the budget
// could not decode, so it is capped there); a sequence prefills at most chunked_prefill_tokens per step; sliding
// window, speculative decoding (acceptance per step, draft + 1 budget tokens), the model's context limit, the KV
// bytes of one token (one copy, full-attention layers) and the step timer come from the step model. Scheduling
// policies (admission, eviction, prefix caching, host tier) keep ReplicaConfig's defaults for the caller to set.
ReplicaConfig replica_config_for(std::shared_ptr<const perf::StepModel> model, std::int32_t block_tokens = 16);

enum class SeqPhase : std::uint8_t { pending, waiting, prefill, decode, transfer, done };

// In-flight state of one request (owned by the simulator's slab, indexed by int32).
struct Seq {
  Request req;
  SeqPhase phase = SeqPhase::pending;
  std::int32_t replica = -1;
  std::int32_t generated = 0;   // output tokens emitted so far
  std::int32_t target = 0;      // tokens of the current (re)computation: prompt + generated at admission
  std::int32_t computed = 0;    // prefill phase: tokens in KV
  std::int32_t chunked = 0;     // tokens covered by referenced cache entries (a prefix of the computed tokens)
  std::int32_t next_chunk = 0;  // first req.chunks index not referenced
  std::int64_t priv_blocks = 0; // prefill phase: private blocks held
  std::vector<std::int32_t> refs;  // cache entries referenced, in chain order
  bool kv_ready = false;        // disaggregated decode: the prompt's KV arrives with the request
  bool swapped = false;         // preempted by swap: its KV waits on the host tier
  // decode phase (see the file comment)
  std::int64_t join_step = 0;
  std::int32_t kv0 = 0;
  std::int32_t priv0 = 0;
  std::uint32_t epoch = 0;      // bumped when the sequence leaves decode: invalidates heap entries
  std::int32_t prev = -1, next = -1;  // running list (admission order)
  // metrics
  SimTime first_sched_ns = -1;
  SimTime first_token_ns = -1;
  SimTime last_token_ns = -1;
  std::int32_t cached_tokens = -1;  // prefix tokens found cached at the first admission
  std::int32_t preemptions = 0;
  std::int32_t route_replica = -1;  // replica the request was first routed to
  std::int32_t reported = 0;        // live driving: output tokens already reported to the caller
};

class SeqPool {
 public:
  std::int32_t alloc();
  void free(std::int32_t i);
  Seq& operator[](std::int32_t i) { return seqs_[static_cast<std::size_t>(i)]; }
  const Seq& operator[](std::int32_t i) const { return seqs_[static_cast<std::size_t>(i)]; }
  std::size_t live() const { return seqs_.size() - free_.size(); }

 private:
  std::deque<Seq> seqs_;  // deque: references stay valid while new requests are added
  std::vector<std::int32_t> free_;
};

// Callbacks from a replica to the cluster.
class ReplicaEvents {
 public:
  virtual ~ReplicaEvents() = default;
  virtual void on_finish(std::int32_t seq, SimTime now) = 0;     // last token emitted, KV released
  virtual void on_prefilled(std::int32_t seq, SimTime now) = 0;  // prefill-role replica: ready for KV transfer
  virtual void on_itl(double gap_s, std::int64_t weight) = 0;    // inter-token gaps
};

struct ReplicaStats {
  std::int64_t steps = 0;
  std::int64_t decode_steps = 0;
  SimTime busy_ns = 0;
  double kv_used_block_ns = 0;   // integral over steps of blocks in use (private + referenced cache entries)
  std::int64_t kv_used_peak_blocks = 0;
  std::int64_t preemptions = 0;
  std::int64_t swapped_out = 0;      // preemptions that parked the KV on the host tier (swap_preemption)
  std::int64_t swapped_in = 0;
  std::int64_t prefill_tokens = 0;   // tokens computed by prefill (incl. recompute)
  std::int64_t decode_tokens = 0;
  std::int64_t lookup_tokens = 0;    // prompt tokens at admissions (incl. recompute)
  std::int64_t hit_tokens = 0;       // of which found in the HBM prefix cache
  std::int64_t host_hit_tokens = 0;  // of which loaded from the host tier
  std::int64_t evicted_blocks = 0;
  std::int64_t blocks_allocated = 0;
  std::int64_t blocks_freed = 0;
  std::int64_t routed = 0;
};

class Replica {
 public:
  Replica(std::int32_t id, ReplicaConfig cfg, SeqPool* pool, ReplicaEvents* events);

  std::int32_t id() const { return id_; }
  const ReplicaConfig& config() const { return cfg_; }
  const ReplicaStats& stats() const { return stats_; }
  bool in_step() const { return in_step_; }
  // The step begin_step() last planned (for the step log).
  const StepRecord& last_step() const { return last_step_; }
  bool has_work() const { return running_ > 0 || !waiting_.empty(); }
  std::int64_t running() const { return running_; }
  std::size_t waiting() const { return waiting_.size(); }
  // Tokens of requests routed here and not yet finished (prompt + output), for routers.
  std::int64_t outstanding_tokens() const { return outstanding_tokens_; }
  void add_outstanding(std::int64_t t) { outstanding_tokens_ += t; }
  // Whether a sequence of `tokens` tokens can ever run: within the model's context and the whole KV pool
  // (else the request is rejected, as engines reject over-long prompts).
  bool fits(std::int64_t tokens, std::int64_t chunks) const;

  // Queues a sequence (new, or arriving with its KV for a decode-role replica).
  void enqueue(std::int32_t seq);
  // Forms the next batch at `now` and returns its duration in ns (0 = nothing to run).
  SimTime begin_step(SimTime now);
  // Applies the running step's effects at its end time `now`.
  void end_step(SimTime now);

  // Tokens of r's prompt prefix cached in HBM here (for prefix-affinity routing); no side effects.
  std::int64_t cached_prefix_tokens(const Request& r) const;
  // Warm start (before the run): caches r's prompt chunks that are not cached yet, in chain order, as evictable
  // HBM entries while free blocks remain, then in the host tier (if any); no time passes.
  void warm(const Request& r);

  // Block accounting (free + private + referenced + evictable == kv_blocks at all times).
  std::int64_t free_blocks() const { return free_blocks_; }
  std::int64_t private_blocks() const { return priv_used_; }
  std::int64_t cached_used_blocks() const { return cached_used_; }
  std::int64_t evictable_blocks() const { return evictable_; }
  // Recomputes every aggregate from the sequences (O(running)); throws std::logic_error on a mismatch. Tests.
  void check_invariants() const;
  // Calls f(seq, output tokens emitted so far) for every running sequence, in admission order. O(running): for
  // live driving (LiveSimulator), where each step's tokens are streamed to clients.
  template <class F>
  void for_each_running(F&& f) const {
    for (std::int32_t s = run_head_; s >= 0; s = (*pool_)[s].next) f(s, emitted_tokens((*pool_)[s]));
  }
  // Output tokens a running or finished sequence has emitted (decode sequences: from the step counter).
  std::int32_t emitted_tokens(const Seq& q) const;

 private:
  struct Entry {
    std::uint64_t hash = 0;
    std::int32_t tokens = 0;
    std::int64_t blocks = 0;
    std::int32_t refs = 0;
    std::int64_t created = 0;  // insertion counter (fifo key)
    std::int64_t key = 0;      // key in evictable_set_ while refs == 0
    bool live = false;
  };
  struct PlanItem {
    std::int32_t seq;
    std::int32_t tokens;
  };
  struct HeapItem {
    std::int64_t step;
    std::int32_t seq;
    std::uint32_t epoch;
    bool operator>(const HeapItem& o) const {
      return step != o.step ? step > o.step : seq > o.seq;
    }
  };
  using MinHeap = std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<HeapItem>>;

  std::int64_t blocks_for(std::int64_t tokens) const {
    return (tokens + cfg_.block_tokens - 1) / cfg_.block_tokens;
  }
  std::int64_t available() const { return free_blocks_ + evictable_; }
  void allocate(std::int64_t n);
  void free_private(std::int64_t n);
  bool ensure_available(std::int64_t n, std::int32_t protect);
  void plan_decode();
  void plan_prefills(std::int64_t& budget);
  void admit(std::int64_t& budget, SimTime now, bool allow_prefill);
  void preempt(std::int32_t s);
  void running_push(std::int32_t s);
  void running_remove(std::int32_t s);
  void join_decode(std::int32_t s);
  // Removes a decode sequence from the aggregates; returns its private blocks.
  // Decode steps a sequence needs to emit `tokens` more tokens (ceil(tokens / decode_tokens_per_step)).
  std::int64_t decode_steps_for(std::int64_t tokens) const;
  std::int64_t leave_decode(std::int32_t s);
  bool reserves_prompt() const;                 // AdmissionKind::reserve_full_prompt
  // Blocks the running requests' remaining output will need (each capped at `cap` tokens), times `ratio`.
  std::int64_t expected_output_blocks(double ratio, double cap) const;
  void release(std::int32_t s, std::int64_t priv_blocks);
  void finish_seq(std::int32_t s, SimTime now);
  void complete_prefill(std::int32_t s, SimTime now);
  std::int64_t residue(const Seq& q) const;
  // Moves the first `tokens` of a sequence's `priv_tokens` private tokens into a cache entry `hash`.
  void convert(Seq& q, std::uint64_t hash, std::int32_t tokens, std::int64_t priv_tokens, std::int64_t& priv_blocks);
  // Prefix cache
  std::int32_t lookup_ref(Seq& q, double& host_bytes);
  void register_chunks(Seq& q);
  void ref(std::int32_t e);
  void unref(std::int32_t e);
  void evict_one();
  // A new cache entry of `blocks` blocks the caller has taken (from the free pool or a sequence's private
  // region), indexed and written through to the host tier: referenced once by the caller's sequence, or evictable.
  std::int32_t add_entry(std::uint64_t hash, std::int32_t tokens, std::int64_t blocks, bool referenced);
  void host_insert(std::uint64_t hash, std::int32_t tokens);
  void host_trim();  // drops LRU prefix copies until they and the swapped-out sequences fit the tier

  std::int32_t id_;
  ReplicaConfig cfg_;
  SeqPool* pool_;
  ReplicaEvents* events_;
  ReplicaStats stats_;

  std::deque<std::int32_t> waiting_;
  std::int32_t run_head_ = -1, run_tail_ = -1;
  std::int64_t running_ = 0;
  std::vector<std::int32_t> prefilling_;  // prefill-phase sequences in admission order
  std::int64_t outstanding_tokens_ = 0;

  // blocks
  std::int64_t free_blocks_ = 0, priv_used_ = 0, cached_used_ = 0, evictable_ = 0;

  // decode aggregates
  std::int64_t decode_step_ = 0;   // decode steps completed
  bool decode_allocated_ = false;  // blocks for the current decode step's tokens are allocated
  std::int64_t decode_seqs_ = 0;
  std::int64_t sum_kv_ = 0;        // sum of kv(s)
  std::vector<std::int64_t> residue_count_;
  MinHeap finish_heap_;
  std::int64_t win_sum_ = 0;       // sum of min(kv(s) + 1, window)
  std::int64_t below_window_ = 0;  // decoders with kv(s) + 1 < window
  MinHeap window_heap_;

  // current step
  bool in_step_ = false;
  bool step_has_decode_ = false;
  bool preempted_this_step_ = false;
  StepRecord last_step_;
  double new_token_ratio_ = 0.7;   // conservative admission (AdmissionKind::conservative)
  std::int64_t step_decode_seqs_ = 0;
  SimTime step_start_ns_ = 0;
  SimTime last_decode_end_ns_ = 0;
  double step_host_bytes_ = 0;
  struct Joiner {
    std::int32_t seq;
    std::uint32_t epoch;
    SimTime last_token_ns;
  };
  std::vector<Joiner> pending_joiners_;  // joined decode, first decode step not yet finished (for ITL)
  std::vector<PlanItem> plan_;

  // prefix cache
  std::vector<Entry> entries_;
  std::vector<std::int32_t> free_entries_;
  std::unordered_map<std::uint64_t, std::int32_t> index_;
  std::set<std::pair<std::int64_t, std::int32_t>> evictable_set_;  // (key, entry): begin() is evicted first
  std::int64_t order_counter_ = 0;
  // host tier: LRU of (hash -> tokens)
  struct HostEntry {
    std::int32_t tokens;
    std::int64_t stamp;
  };
  std::unordered_map<std::uint64_t, HostEntry> host_;
  std::deque<std::pair<std::uint64_t, std::int64_t>> host_lru_;  // (hash, stamp); stale stamps skipped
  std::int64_t host_tokens_ = 0;
  std::int64_t swap_tokens_ = 0;   // tokens of swapped-out sequences held on the host tier
  std::int64_t host_stamp_ = 0;
};

}  // namespace tokenmath::sim
