// Iteration-level scheduler, paged KV accounting and prefix cache of one replica. See replica.hpp for the
// aggregate representation of decode sequences.
#include "tokenmath/sim/replica.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tokenmath/common/error.hpp"

namespace tokenmath::sim {

namespace {
std::string join_names(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
  return s;
}
std::int64_t pos_mod(std::int64_t a, std::int64_t m) { return ((a % m) + m) % m; }
}  // namespace

const std::vector<std::string>& scheduler_names() {
  static const std::vector<std::string> n{"decode-first", "prefill-first"};
  return n;
}
const std::vector<std::string>& eviction_names() {
  static const std::vector<std::string> n{"lru", "fifo"};
  return n;
}
const std::vector<std::string>& admission_names() {
  static const std::vector<std::string> n{"per-chunk", "reserve-full-prompt", "conservative", "guaranteed-no-evict"};
  return n;
}
AdmissionKind parse_admission(const std::string& name, const std::string& file, const std::string& field) {
  if (name == "per-chunk") return AdmissionKind::per_chunk;
  if (name == "reserve-full-prompt") return AdmissionKind::reserve_full_prompt;
  if (name == "conservative") return AdmissionKind::conservative;
  if (name == "guaranteed-no-evict") return AdmissionKind::guaranteed_no_evict;
  throw InputError(file, field, name,
                   "unknown admission policy; valid: " + join_names(admission_names()) + did_you_mean(name, admission_names()));
}
SchedulerKind parse_scheduler(const std::string& name, const std::string& file, const std::string& field) {
  if (name == "decode-first") return SchedulerKind::decode_first;
  if (name == "prefill-first") return SchedulerKind::prefill_first;
  throw InputError(file, field, name,
                   "unknown scheduler; valid: " + join_names(scheduler_names()) + did_you_mean(name, scheduler_names()));
}
EvictionKind parse_eviction(const std::string& name, const std::string& file, const std::string& field) {
  if (name == "lru") return EvictionKind::lru;
  if (name == "fifo") return EvictionKind::fifo;
  throw InputError(file, field, name,
                   "unknown eviction policy; valid: " + join_names(eviction_names()) + did_you_mean(name, eviction_names()));
}

std::int32_t SeqPool::alloc() {
  if (!free_.empty()) {
    const std::int32_t i = free_.back();
    free_.pop_back();
    Seq& q = seqs_[static_cast<std::size_t>(i)];
    std::vector<std::int32_t> refs = std::move(q.refs);  // keep the capacity
    refs.clear();
    // The epoch keeps counting across reuse of the slot: heap entries left by the previous occupant must never
    // match the new one.
    const std::uint32_t epoch = q.epoch + 1;
    q = Seq{};
    q.refs = std::move(refs);
    q.epoch = epoch;
    return i;
  }
  seqs_.emplace_back();
  return static_cast<std::int32_t>(seqs_.size() - 1);
}

void SeqPool::free(std::int32_t i) {
  Seq& q = seqs_[static_cast<std::size_t>(i)];
  q.req.chunks.clear();
  q.req.chunks.shrink_to_fit();
  q.phase = SeqPhase::done;
  free_.push_back(i);
}

Replica::Replica(std::int32_t id, ReplicaConfig cfg, SeqPool* pool, ReplicaEvents* events)
    : id_(id), cfg_(std::move(cfg)), pool_(pool), events_(events) {
  if (cfg_.block_tokens < 1) throw std::invalid_argument("block_tokens must be >= 1");
  free_blocks_ = cfg_.kv_blocks;
  residue_count_.assign(static_cast<std::size_t>(cfg_.block_tokens), 0);
  new_token_ratio_ = cfg_.new_token_ratio_init;
}

bool Replica::reserves_prompt() const { return cfg_.admission == AdmissionKind::reserve_full_prompt; }

std::int64_t Replica::expected_output_blocks(double ratio, double cap) const {
  // Output still to be written by every running sequence (capped per request: SGLang clips its estimate at
  // 4096 tokens), times `ratio`. O(running): only the conservative and no-evict policies pay it.
  double tokens = 0;
  for (std::int32_t s = run_head_; s >= 0; s = (*pool_)[s].next) {
    const Seq& q = (*pool_)[s];
    std::int64_t generated = q.generated;
    if (q.phase == SeqPhase::decode)
      generated += static_cast<std::int64_t>(static_cast<double>(decode_step_ - q.join_step) * cfg_.decode_tokens_per_step);
    tokens += std::min<double>(cap, static_cast<double>(std::max<std::int64_t>(0, q.req.output_tokens - generated)));
  }
  return static_cast<std::int64_t>(std::ceil(tokens * ratio / cfg_.block_tokens));
}

std::int32_t Replica::emitted_tokens(const Seq& q) const {
  if (q.phase != SeqPhase::decode || q.replica != id_) return q.generated;
  const double d = static_cast<double>(decode_step_ - q.join_step);
  return q.generated + static_cast<std::int32_t>(std::min<double>(q.req.output_tokens - q.generated,
                                                                  std::floor(d * cfg_.decode_tokens_per_step)));
}

bool Replica::fits(std::int64_t tokens, std::int64_t chunks) const {
  if (cfg_.max_context_tokens > 0 && tokens > cfg_.max_context_tokens) return false;
  // Each cached chunk may round up to one block more than the tokens need; host loads one more.
  return blocks_for(tokens + 1) + chunks + 2 <= cfg_.kv_blocks;
}

void Replica::enqueue(std::int32_t s) {
  Seq& q = (*pool_)[s];
  q.phase = SeqPhase::waiting;
  q.replica = id_;
  ++stats_.routed;
  waiting_.push_back(s);
}

// ---- blocks ----

void Replica::allocate(std::int64_t n) {
  while (free_blocks_ < n) evict_one();
  free_blocks_ -= n;
  priv_used_ += n;
  stats_.blocks_allocated += n;
}

void Replica::free_private(std::int64_t n) {
  priv_used_ -= n;
  free_blocks_ += n;
  stats_.blocks_freed += n;
}

bool Replica::ensure_available(std::int64_t n, std::int32_t protect) {
  while (available() < n) {
    if (run_tail_ < 0) return false;
    const std::int32_t victim = run_tail_;
    preempt(victim);
    if (victim == protect) return false;
  }
  return true;
}

// ---- running list ----

void Replica::running_push(std::int32_t s) {
  Seq& q = (*pool_)[s];
  q.prev = run_tail_;
  q.next = -1;
  if (run_tail_ >= 0) (*pool_)[run_tail_].next = s;
  else run_head_ = s;
  run_tail_ = s;
  ++running_;
}

void Replica::running_remove(std::int32_t s) {
  Seq& q = (*pool_)[s];
  if (q.prev >= 0) (*pool_)[q.prev].next = q.next;
  else run_head_ = q.next;
  if (q.next >= 0) (*pool_)[q.next].prev = q.prev;
  else run_tail_ = q.prev;
  q.prev = q.next = -1;
  --running_;
}

// ---- decode aggregates ----

std::int64_t Replica::residue(const Seq& q) const {
  // New block in step s iff priv0 + (s - join) == 0 (mod block), i.e. iff s == -(priv0 - join) (mod block).
  return pos_mod(static_cast<std::int64_t>(q.priv0) - q.join_step, cfg_.block_tokens);
}

void Replica::join_decode(std::int32_t s) {
  Seq& q = (*pool_)[s];
  q.phase = SeqPhase::decode;
  q.join_step = decode_step_;
  q.kv0 = q.target;
  q.priv0 = q.target - q.chunked;
  ++decode_seqs_;
  sum_kv_ += q.kv0;
  ++residue_count_[static_cast<std::size_t>(residue(q))];
  const std::int64_t w = cfg_.window_tokens;
  if (w > 0) {
    win_sum_ += std::min<std::int64_t>(q.kv0 + 1, w);
    if (q.kv0 + 1 < w) {
      ++below_window_;
      // kv(s) + 1 reaches the window at s = join + (w - 1 - kv0).
      window_heap_.push({q.join_step + (w - 1 - q.kv0), s, q.epoch});
    }
  }
  // Each decode step emits one token (a = decode_tokens_per_step with speculative decoding); the last of the
  // remaining R = output - generated is emitted in step join + ceil(R / a) - 1.
  finish_heap_.push({q.join_step + decode_steps_for(q.req.output_tokens - q.generated) - 1, s, q.epoch});
}

std::int64_t Replica::decode_steps_for(std::int64_t tokens) const {
  if (cfg_.decode_tokens_per_step <= 1) return tokens;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(static_cast<double>(tokens) / cfg_.decode_tokens_per_step)));
}

std::int64_t Replica::leave_decode(std::int32_t s) {
  Seq& q = (*pool_)[s];
  const std::int64_t d = decode_step_ - q.join_step;
  const std::int64_t kv = q.kv0 + d;
  const std::int64_t priv = q.priv0 + d;
  --decode_seqs_;
  sum_kv_ -= kv;
  --residue_count_[static_cast<std::size_t>(residue(q))];
  const std::int64_t w = cfg_.window_tokens;
  if (w > 0) {
    win_sum_ -= std::min<std::int64_t>(kv + 1, w);
    if (kv + 1 < w) --below_window_;
  }
  ++q.epoch;
  q.generated += static_cast<std::int32_t>(std::min<std::int64_t>(
      q.req.output_tokens - q.generated,
      static_cast<std::int64_t>(std::floor(static_cast<double>(d) * cfg_.decode_tokens_per_step))));
  q.target = static_cast<std::int32_t>(kv);
  q.computed = static_cast<std::int32_t>(kv);
  // After this step's decode allocation the sequence holds a block for the token it was about to add.
  return decode_allocated_ ? blocks_for(priv + 1) : blocks_for(priv);
}

// ---- prefix cache ----

void Replica::ref(std::int32_t e) {
  Entry& x = entries_[static_cast<std::size_t>(e)];
  if (x.refs == 0) {
    evictable_set_.erase({x.key, e});
    evictable_ -= x.blocks;
    cached_used_ += x.blocks;
  }
  ++x.refs;
}

void Replica::unref(std::int32_t e) {
  Entry& x = entries_[static_cast<std::size_t>(e)];
  if (--x.refs == 0) {
    cached_used_ -= x.blocks;
    evictable_ += x.blocks;
    x.key = cfg_.eviction == EvictionKind::lru ? order_counter_++ : x.created;
    evictable_set_.insert({x.key, e});
  }
}

void Replica::evict_one() {
  if (evictable_set_.empty()) throw std::logic_error("KV allocation without available blocks");
  const std::int32_t e = evictable_set_.begin()->second;
  evictable_set_.erase(evictable_set_.begin());
  Entry& x = entries_[static_cast<std::size_t>(e)];
  evictable_ -= x.blocks;
  free_blocks_ += x.blocks;
  stats_.evicted_blocks += x.blocks;
  stats_.blocks_freed += x.blocks;
  index_.erase(x.hash);
  // Write-through keeps a copy already unless the tier dropped it since; its recency there is left as it is.
  if (cfg_.host_cache_tokens > 0 && !host_.count(x.hash)) host_insert(x.hash, x.tokens);
  x.live = false;
  free_entries_.push_back(e);
}

std::int32_t Replica::add_entry(std::uint64_t hash, std::int32_t tokens, std::int64_t blocks, bool referenced) {
  std::int32_t e;
  if (!free_entries_.empty()) {
    e = free_entries_.back();
    free_entries_.pop_back();
  } else {
    e = static_cast<std::int32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& x = entries_[static_cast<std::size_t>(e)];
  x = Entry{};
  x.hash = hash;
  x.tokens = tokens;
  x.blocks = blocks;
  x.created = order_counter_++;
  x.live = true;
  if (referenced) {
    x.refs = 1;
    cached_used_ += blocks;
  } else {
    x.key = cfg_.eviction == EvictionKind::lru ? order_counter_++ : x.created;
    evictable_ += blocks;
    evictable_set_.insert({x.key, e});
  }
  index_.emplace(hash, e);
  if (cfg_.host_cache_tokens > 0) host_insert(hash, tokens);  // write-through: the host tier is inclusive
  return e;
}

void Replica::warm(const Request& r) {
  if (!cfg_.prefix_caching) return;
  for (const Chunk& c : r.chunks) {
    if (index_.count(c.hash)) continue;
    const std::int64_t b = blocks_for(c.tokens);
    if (b > free_blocks_) {
      if (cfg_.host_cache_tokens > 0) host_insert(c.hash, c.tokens);
      continue;
    }
    free_blocks_ -= b;
    stats_.blocks_allocated += b;
    add_entry(c.hash, c.tokens, b, false);
  }
}

void Replica::host_insert(std::uint64_t hash, std::int32_t tokens) {
  if (tokens > cfg_.host_cache_tokens) return;
  const std::int64_t stamp = host_stamp_++;
  auto [it, inserted] = host_.try_emplace(hash, HostEntry{tokens, stamp});
  if (!inserted) it->second.stamp = stamp;
  else host_tokens_ += tokens;
  host_lru_.emplace_back(hash, stamp);
  host_trim();
}

void Replica::host_trim() {
  while (static_cast<double>(host_tokens_ + swap_tokens_) > cfg_.host_cache_tokens && !host_lru_.empty()) {
    auto [h, st] = host_lru_.front();
    host_lru_.pop_front();
    auto f = host_.find(h);
    if (f == host_.end() || f->second.stamp != st) continue;  // stale: touched again later
    host_tokens_ -= f->second.tokens;
    host_.erase(f);
  }
  if (host_lru_.size() > 2 * host_.size() + 64) {  // drop stale stamps so the queue stays O(entries)
    std::deque<std::pair<std::uint64_t, std::int64_t>> fresh;
    for (const auto& [h, st] : host_lru_) {
      auto f = host_.find(h);
      if (f != host_.end() && f->second.stamp == st) fresh.emplace_back(h, st);
    }
    host_lru_.swap(fresh);
  }
}

std::int32_t Replica::lookup_ref(Seq& q, double& host_bytes) {
  const auto& ch = q.req.chunks;
  std::int32_t hit = 0;
  std::size_t k = 0;
  // At least one token is always computed, so a fully cached prompt still runs its last chunk.
  for (; k < ch.size(); ++k) {
    auto it = index_.find(ch[k].hash);
    if (it == index_.end() || hit + ch[k].tokens >= q.target) break;
    ref(it->second);
    q.refs.push_back(it->second);
    hit += ch[k].tokens;
  }
  q.chunked = hit;
  q.next_chunk = static_cast<std::int32_t>(k);
  std::int32_t loaded = 0;
  if (cfg_.host_cache_tokens > 0) {
    for (; k < ch.size(); ++k) {
      auto it = host_.find(ch[k].hash);
      if (it == host_.end() || hit + loaded + ch[k].tokens >= q.target) break;
      loaded += ch[k].tokens;
      it->second.stamp = host_stamp_++;
      host_lru_.emplace_back(ch[k].hash, it->second.stamp);
    }
  }
  host_bytes = static_cast<double>(loaded) * cfg_.kv_bytes_per_token;
  q.computed = hit + loaded;
  return hit;
}

std::int64_t Replica::cached_prefix_tokens(const Request& r) const {
  if (!cfg_.prefix_caching) return 0;
  std::int64_t hit = 0;
  for (const auto& c : r.chunks) {
    if (!index_.count(c.hash)) break;
    hit += c.tokens;
  }
  return hit;
}

void Replica::convert(Seq& q, std::uint64_t hash, std::int32_t tokens, std::int64_t priv_tokens,
                      std::int64_t& priv_blocks) {
  // The entry takes exactly the blocks the private region shrinks by, so block counts are conserved:
  // blocks = ceil(P / B) - ceil((P - T) / B).
  const std::int64_t conv = blocks_for(priv_tokens) - blocks_for(priv_tokens - tokens);
  priv_blocks -= conv;
  priv_used_ -= conv;
  auto it = index_.find(hash);
  if (it != index_.end()) {
    // Computed concurrently by another sequence: keep one copy.
    free_blocks_ += conv;
    stats_.blocks_freed += conv;
    ref(it->second);
    q.refs.push_back(it->second);
  } else {
    q.refs.push_back(add_entry(hash, tokens, conv, true));
  }
  q.chunked += tokens;
}

void Replica::register_chunks(Seq& q) {
  if (!cfg_.prefix_caching) return;
  const auto& ch = q.req.chunks;
  while (static_cast<std::size_t>(q.next_chunk) < ch.size()) {
    const Chunk& c = ch[static_cast<std::size_t>(q.next_chunk)];
    if (q.chunked + c.tokens > q.computed) break;
    // Reserved prompts hold the blocks of all target - chunked tokens: convert within that region.
    convert(q, c.hash, c.tokens, reserves_prompt() ? q.target - q.chunked : q.computed - q.chunked, q.priv_blocks);
    ++q.next_chunk;
  }
}

void Replica::release(std::int32_t s, std::int64_t priv_blocks) {
  Seq& q = (*pool_)[s];
  // Tail first, so that under LRU a chain is evicted from its end.
  for (auto it = q.refs.rbegin(); it != q.refs.rend(); ++it) unref(*it);
  q.refs.clear();
  free_private(priv_blocks);
  q.priv_blocks = 0;
  q.chunked = 0;
  q.next_chunk = 0;
}

// ---- sequence transitions ----

void Replica::preempt(std::int32_t s) {
  Seq& q = (*pool_)[s];
  const bool was_decoding = q.phase == SeqPhase::decode;
  std::int64_t priv;
  if (q.phase == SeqPhase::decode) {
    priv = leave_decode(s);
    q.last_token_ns = step_start_ns_;
  } else {
    priv = q.priv_blocks;
    prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), s));
  }
  running_remove(s);
  release(s, priv);
  q.phase = SeqPhase::waiting;
  q.computed = 0;
  q.kv_ready = false;
  // Swap: a decoding sequence's KV (its q.target tokens) goes to the host tier when there is room beside the host
  // prefix cache; it comes back at readmission instead of being recomputed. The copy runs in this step.
  if (cfg_.swap_preemption && q.target > 0 && cfg_.host_cache_tokens > 0 && cfg_.host_bytes_per_s > 0 &&
      static_cast<double>(swap_tokens_ + q.target) <= cfg_.host_cache_tokens &&
      was_decoding && cfg_.role != ReplicaRole::prefill) {
    q.swapped = true;
    q.kv_ready = true;
    swap_tokens_ += q.target;
    host_trim();  // the prefix copies give way to the swapped sequence
    step_host_bytes_ += static_cast<double>(q.target) * cfg_.kv_bytes_per_token;
    ++stats_.swapped_out;
  }
  ++q.preemptions;
  ++stats_.preemptions;
  preempted_this_step_ = true;
  new_token_ratio_ = cfg_.new_token_ratio_init;  // conservative admission: back to the cautious estimate
  waiting_.push_front(s);
}

void Replica::finish_seq(std::int32_t s, SimTime now) {
  Seq& q = (*pool_)[s];
  std::int64_t priv_blocks, priv_tokens;
  if (q.phase == SeqPhase::decode) {
    priv_blocks = leave_decode(s);
    priv_tokens = q.computed - q.chunked;
  } else {
    priv_blocks = q.priv_blocks;
    priv_tokens = q.computed - q.chunked;
  }
  q.generated = q.req.output_tokens;
  running_remove(s);
  // The output joins the cache when the whole prompt is chained (agentic turns): the next turn re-reads it.
  if (cfg_.prefix_caching && q.req.output_hash != 0 &&
      static_cast<std::size_t>(q.next_chunk) == q.req.chunks.size() && priv_tokens > 0) {
    const auto t = static_cast<std::int32_t>(std::min<std::int64_t>(q.req.output_tokens, priv_tokens));
    convert(q, q.req.output_hash, t, priv_tokens, priv_blocks);
  }
  release(s, priv_blocks);
  q.phase = SeqPhase::done;
  q.last_token_ns = now;
  events_->on_finish(s, now);
}

void Replica::complete_prefill(std::int32_t s, SimTime now) {
  Seq& q = (*pool_)[s];
  ++q.generated;
  if (q.first_token_ns < 0) q.first_token_ns = now;
  else events_->on_itl(ns_to_seconds(now - q.last_token_ns), 1);  // gap across a preemption
  q.last_token_ns = now;
  prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), s));
  if (q.generated >= q.req.output_tokens) {
    finish_seq(s, now);
    return;
  }
  if (cfg_.role == ReplicaRole::prefill) {
    running_remove(s);
    release(s, q.priv_blocks);
    q.phase = SeqPhase::transfer;
    events_->on_prefilled(s, now);
    return;
  }
  join_decode(s);
  pending_joiners_.push_back({s, q.epoch, now});
}

// ---- one step ----

void Replica::plan_decode() {
  // Decoders whose private token count is a multiple of the block size need one new block this step.
  const auto cls = static_cast<std::size_t>(pos_mod(-decode_step_, cfg_.block_tokens));
  while (available() < residue_count_[cls] && run_tail_ >= 0) preempt(run_tail_);
  allocate(residue_count_[cls]);
  decode_allocated_ = true;
}

void Replica::plan_prefills(std::int64_t& budget) {
  for (std::size_t i = 0; i < prefilling_.size() && budget > 0;) {
    const std::int32_t s = prefilling_[i];
    Seq& q = (*pool_)[s];
    const auto n = static_cast<std::int32_t>(
        std::min<std::int64_t>({q.target - q.computed, budget, cfg_.chunk_tokens}));
    // Under reserve_full_prompt the whole prompt's blocks are held already (need <= 0).
    const std::int64_t need = blocks_for(q.computed - q.chunked + n) - q.priv_blocks;
    if (need > 0) {
      // Blocks run out: preempt the most recently admitted sequences; if that is this one, stop here.
      if (!ensure_available(need, s)) break;
      allocate(need);
      (*pool_)[s].priv_blocks += need;
    }
    plan_.push_back({s, n});
    budget -= n;
    ++i;
  }
}

void Replica::admit(std::int64_t& budget, SimTime now, bool allow_prefill) {
  // As vLLM v1: a step that had to preempt admits nothing, so a preempted sequence is not readmitted into the
  // step it was evicted from (which could otherwise livelock prefill-first scheduling).
  if (preempted_this_step_) return;
  while (budget > 0 && running_ < cfg_.max_num_seqs && !waiting_.empty()) {
    const std::int32_t s = waiting_.front();
    Seq& q = (*pool_)[s];
    if (q.kv_ready) {
      // Disaggregated decode: the prompt's KV arrives; the sequence decodes in this very step. A swapped-out
      // sequence returns the same way, its KV copied back from the host tier within this step.
      if (!decode_allocated_) break;
      const std::int64_t need = blocks_for(static_cast<std::int64_t>(q.target) + 1);
      if (available() < need) break;
      allocate(need);
      if (q.swapped) {
        q.swapped = false;
        swap_tokens_ -= q.target;
        step_host_bytes_ += static_cast<double>(q.target) * cfg_.kv_bytes_per_token;
        ++stats_.swapped_in;
      }
      waiting_.pop_front();
      running_push(s);
      q.chunked = 0;
      q.computed = q.target;
      join_decode(s);
      pending_joiners_.push_back({s, q.epoch, q.last_token_ns});
      budget -= 1;
      continue;
    }
    if (!allow_prefill) break;
    q.target = q.req.prompt_tokens + q.generated;
    double host_bytes = 0;
    if (cfg_.prefix_caching) lookup_ref(q, host_bytes);
    const auto n = static_cast<std::int32_t>(
        std::min<std::int64_t>({q.target - q.computed, budget, cfg_.chunk_tokens}));
    // Host-tier tokens are placed (and become cache entries) before the chunk's blocks are added, which can
    // cost one block more than placing both together.
    const std::int64_t loaded = q.computed - q.chunked;
    std::int64_t need = blocks_for(loaded + n) + (loaded > 0 ? 1 : 0);
    // The admission policy's gate (AdmissionKind): the first chunk must fit (per-chunk); the whole prompt and a
    // watermark (reserve-full-prompt); or the prompt plus the expected output of this and every running request
    // (conservative).
    std::int64_t gate = need;
    if (reserves_prompt()) {
      need = blocks_for(q.target - q.chunked) + (loaded > 0 ? 1 : 0);
      gate = need + static_cast<std::int64_t>(std::ceil(cfg_.admission_watermark * static_cast<double>(cfg_.kv_blocks)));
    } else if (cfg_.admission == AdmissionKind::conservative || cfg_.admission == AdmissionKind::guaranteed_no_evict) {
      const double ratio = cfg_.admission == AdmissionKind::conservative ? new_token_ratio_ : 1.0;
      const double cap = cfg_.admission == AdmissionKind::conservative ? 4096.0 : 1e18;
      const double out = std::min<double>(cap, q.req.output_tokens - q.generated);
      gate = blocks_for(q.target - q.chunked) + expected_output_blocks(ratio, cap) +
             static_cast<std::int64_t>(std::ceil(out * ratio / cfg_.block_tokens));
    }
    if (available() < gate) {  // no preemption to admit: wait for blocks
      for (auto it = q.refs.rbegin(); it != q.refs.rend(); ++it) unref(*it);
      q.refs.clear();
      q.chunked = q.computed = q.next_chunk = 0;
      break;
    }
    q.priv_blocks = 0;
    if (loaded > 0) {
      q.priv_blocks = blocks_for(loaded);
      allocate(q.priv_blocks);
      register_chunks(q);  // chunks loaded from the host tier become HBM entries
    }
    // Reserving the prompt allocates all of it now; otherwise the first chunk's blocks.
    const std::int64_t rest =
        blocks_for(reserves_prompt() ? q.target - q.chunked : q.computed - q.chunked + n) - q.priv_blocks;
    allocate(rest);
    q.priv_blocks += rest;
    waiting_.pop_front();
    running_push(s);
    prefilling_.push_back(s);
    q.phase = SeqPhase::prefill;
    stats_.lookup_tokens += q.target;
    stats_.hit_tokens += q.chunked;
    stats_.host_hit_tokens += q.computed - q.chunked;
    if (q.cached_tokens < 0) q.cached_tokens = q.computed;
    if (q.first_sched_ns < 0) q.first_sched_ns = now;
    step_host_bytes_ += host_bytes;
    plan_.push_back({s, n});
    budget -= n;
  }
}

SimTime Replica::begin_step(SimTime now) {
  plan_.clear();
  step_host_bytes_ = 0;
  step_start_ns_ = now;
  preempted_this_step_ = false;
  if (cfg_.admission == AdmissionKind::conservative && cfg_.new_token_ratio_decay_steps > 0)
    new_token_ratio_ = std::max(cfg_.new_token_ratio_min,
                                new_token_ratio_ - (cfg_.new_token_ratio_init - cfg_.new_token_ratio_min) /
                                                       cfg_.new_token_ratio_decay_steps);
  std::int64_t budget = cfg_.max_batched_tokens;
  if (cfg_.scheduler == SchedulerKind::decode_first) {
    plan_decode();
    budget -= decode_seqs_ * cfg_.decode_budget_tokens;
    plan_prefills(budget);
    admit(budget, now, true);
  } else {
    plan_prefills(budget);
    admit(budget, now, true);
    if (plan_.empty()) {
      plan_decode();
      budget -= decode_seqs_ * cfg_.decode_budget_tokens;
      admit(budget, now, false);
    }
  }
  // prefill-first runs a prefill-only step (decoders wait) whenever it planned prefill work.
  bool with_decode = decode_allocated_ && decode_seqs_ > 0;
  if (!with_decode && plan_.empty() && preempted_this_step_ && !waiting_.empty()) {
    // The step would be empty and the next one would start at once: admit now rather than idle.
    preempted_this_step_ = false;
    if (!decode_allocated_) plan_decode();  // no decoders: allocates nothing, lets KV-ready sequences in
    admit(budget, now, true);
    with_decode = decode_allocated_ && decode_seqs_ > 0;
  }
  if (!with_decode) decode_allocated_ = false;
  if (!with_decode && plan_.empty()) return 0;

  // Batch summary: decode contexts from the aggregates (each decoder attends kv + 1 tokens), prefill chunks
  // token by token: the token at position p attends p + 1 tokens, so a chunk of n tokens after c0 computed
  // tokens has sum_{i=1..n} (c0 + i) = n*c0 + n(n+1)/2 attention pairs; windowed layers clip each term at W.
  perf::BatchSummary b;
  const std::int64_t w = cfg_.window_tokens;
  if (with_decode) {
    b.decode_seqs = decode_seqs_;
    b.decode_ctx_sum = static_cast<double>(sum_kv_ + decode_seqs_);
    b.decode_ctx_windowed_sum = w > 0 ? static_cast<double>(win_sum_) : 0.0;
  }
  for (const auto& it : plan_) {
    const double c0 = (*pool_)[it.seq].computed;
    const double n = it.tokens;
    b.prefill_tokens += it.tokens;
    ++b.prefill_seqs;
    b.prefill_attn_pairs += n * c0 + n * (n + 1) / 2;
    if (w > 0) {
      const double wd = static_cast<double>(w);
      if (c0 + n <= wd) b.prefill_attn_pairs_windowed += n * c0 + n * (n + 1) / 2;
      else if (c0 >= wd) b.prefill_attn_pairs_windowed += n * wd;
      else {
        const double m = wd - c0;  // tokens below the window
        b.prefill_attn_pairs_windowed += m * c0 + m * (m + 1) / 2 + (n - m) * wd;
      }
    }
  }
  double dur_s = cfg_.timer->step_s(b);
  // Host-tier hits are copied to HBM before the step's attention reads them (transfer not overlapped).
  if (step_host_bytes_ > 0 && cfg_.host_bytes_per_s > 0) dur_s += step_host_bytes_ / cfg_.host_bytes_per_s;
  const SimTime dur = std::max<SimTime>(1, static_cast<SimTime>(std::llround(dur_s * 1e9)));

  step_has_decode_ = with_decode;
  step_decode_seqs_ = with_decode ? decode_seqs_ : 0;
  in_step_ = true;
  ++stats_.steps;
  stats_.busy_ns += dur;
  const std::int64_t used = priv_used_ + cached_used_;
  last_step_ = StepRecord{id_, ns_to_seconds(now), ns_to_seconds(dur), b.prefill_tokens, b.prefill_seqs,
                          b.decode_seqs, used, cfg_.kv_blocks};
  stats_.kv_used_block_ns += static_cast<double>(used) * static_cast<double>(dur);
  stats_.kv_used_peak_blocks = std::max(stats_.kv_used_peak_blocks, used);
  return dur;
}

void Replica::end_step(SimTime now) {
  in_step_ = false;
  if (step_has_decode_) {
    ++stats_.decode_steps;
    stats_.decode_tokens += step_decode_seqs_;
    // Inter-token gaps: sequences that joined since the last decode step wait from their previous token;
    // the others from the end of the previous decode step.
    std::int64_t joiners = 0;
    for (const auto& j : pending_joiners_) {
      const Seq& q = (*pool_)[j.seq];
      if (q.phase == SeqPhase::decode && q.replica == id_ && q.epoch == j.epoch) {
        events_->on_itl(ns_to_seconds(now - j.last_token_ns), 1);
        ++joiners;
      }
    }
    pending_joiners_.clear();
    if (step_decode_seqs_ > joiners)
      events_->on_itl(ns_to_seconds(now - last_decode_end_ns_), step_decode_seqs_ - joiners);
    last_decode_end_ns_ = now;

    sum_kv_ += decode_seqs_;
    win_sum_ += below_window_;
    ++decode_step_;
    decode_allocated_ = false;
    while (!window_heap_.empty() && window_heap_.top().step <= decode_step_) {
      const HeapItem h = window_heap_.top();
      window_heap_.pop();
      const Seq& q = (*pool_)[h.seq];
      if (q.phase == SeqPhase::decode && q.replica == id_ && q.epoch == h.epoch) --below_window_;
    }
    while (!finish_heap_.empty() && finish_heap_.top().step < decode_step_) {
      const HeapItem h = finish_heap_.top();
      finish_heap_.pop();
      const Seq& q = (*pool_)[h.seq];
      if (q.phase == SeqPhase::decode && q.replica == id_ && q.epoch == h.epoch) finish_seq(h.seq, now);
    }
  }
  decode_allocated_ = false;
  for (const auto& it : plan_) {
    Seq& q = (*pool_)[it.seq];
    q.computed += it.tokens;
    stats_.prefill_tokens += it.tokens;
    register_chunks(q);
    if (q.computed == q.target) complete_prefill(it.seq, now);
  }
  plan_.clear();
}

void Replica::check_invariants() const {
  auto fail = [this](const std::string& what) {
    throw std::logic_error("replica " + std::to_string(id_) + ": " + what);
  };
  if (free_blocks_ + priv_used_ + cached_used_ + evictable_ != cfg_.kv_blocks) fail("block totals");
  if (free_blocks_ < 0 || priv_used_ < 0 || cached_used_ < 0 || evictable_ < 0) fail("negative block count");
  std::int64_t priv = 0, dec = 0, kv = 0, n = 0, win = 0, below = 0;
  std::vector<std::int64_t> res(residue_count_.size(), 0);
  std::unordered_map<std::int32_t, std::int32_t> refs;
  for (std::int32_t s = run_head_; s >= 0; s = (*pool_)[s].next) {
    const Seq& q = (*pool_)[s];
    ++n;
    for (auto e : q.refs) ++refs[e];
    if (q.phase == SeqPhase::decode) {
      const std::int64_t d = decode_step_ - q.join_step;
      const std::int64_t p = q.priv0 + d;
      priv += decode_allocated_ ? blocks_for(p + 1) : blocks_for(p);
      ++dec;
      kv += q.kv0 + d;
      ++res[static_cast<std::size_t>(residue(q))];
      if (cfg_.window_tokens > 0) {
        win += std::min<std::int64_t>(q.kv0 + d + 1, cfg_.window_tokens);
        if (q.kv0 + d + 1 < cfg_.window_tokens) ++below;
      }
    } else if (q.phase == SeqPhase::prefill) {
      priv += q.priv_blocks;
      const std::int64_t held = reserves_prompt() ? q.target - q.chunked : q.computed - q.chunked;
      if (q.priv_blocks != blocks_for(held) && !in_step_) fail("prefill private blocks");
    } else {
      fail("non-running sequence in the running list");
    }
  }
  if (n != running_) fail("running count");
  if (priv != priv_used_) fail("private blocks " + std::to_string(priv) + " != " + std::to_string(priv_used_));
  if (dec != decode_seqs_) fail("decode count");
  if (kv != sum_kv_) fail("context sum");
  if (res != residue_count_) fail("residue classes");
  if (cfg_.window_tokens > 0 && (win != win_sum_ || below != below_window_))
    fail("window sums " + std::to_string(win) + " != " + std::to_string(win_sum_) + " or below " +
         std::to_string(below) + " != " + std::to_string(below_window_));
  std::int64_t used = 0, ev = 0;
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const Entry& x = entries_[e];
    if (!x.live) continue;
    const auto it = refs.find(static_cast<std::int32_t>(e));
    if ((it == refs.end() ? 0 : it->second) != x.refs) fail("entry reference count");
    (x.refs > 0 ? used : ev) += x.blocks;
  }
  if (used != cached_used_ || ev != evictable_) fail("cache block counts");
}

}  // namespace tokenmath::sim
