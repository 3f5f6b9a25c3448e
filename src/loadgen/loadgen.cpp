// The load generator: libcurl multi interface, one thread, streaming SSE parsed as it arrives.
#include "tokenmath/loadgen/loadgen.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <unordered_map>

#include "tokenmath/common/error.hpp"

namespace tokenmath::loadgen {

namespace {
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Words most BPE tokenizers keep as one token each (with their leading space).
constexpr const char* kWords[] = {
    "the",   "of",    "and",   "to",    "in",    "is",    "that",  "for",   "it",    "as",    "was",   "with",
    "be",    "by",    "on",    "not",   "he",    "this",  "are",   "or",    "his",   "from",  "at",    "which",
    "but",   "have",  "an",    "had",   "they",  "you",   "were",  "their", "one",   "all",   "we",    "can",
    "her",   "has",   "there", "been",  "if",    "more",  "when",  "will",  "would", "who",   "so",    "no",
    "time",  "new",   "some",  "could", "them",  "other", "than",  "then",  "now",   "only",  "its",   "also",
    "two",   "may",   "after", "first", "well",  "way",   "many",  "like",  "over",  "such",  "make",  "what",
    "year",  "work",  "most",  "used",  "people", "water", "world", "day",  "city",  "small", "house", "river",
    "light", "green", "music", "table", "paper", "stone", "horse", "cloud", "train", "field", "glass", "bread"};
constexpr std::size_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

std::string base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One line from a server's error body: OpenAI's {"error": {"message"}} or {"error": "..."}, else the text.
std::string error_message(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const json& e = j["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
  }
  if (!j.is_discarded() && j.is_object() && j.contains("detail") && j["detail"].is_string())
    return j["detail"].get<std::string>();
  std::string s = body.substr(0, 200);
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string payload;
  RequestRecord rec;
  std::string pending;     // SSE bytes not yet ending in a blank line
  std::string raw_prefix;  // first bytes of a non-SSE or error body
  bool checked_type = false;
  bool sse = false;
  bool done_marker = false;
  Clock::time_point t0;

  ~Transfer() {
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }

  void fail(const std::string& kind, const std::string& msg) {
    if (!rec.error_kind.empty()) return;
    rec.error_kind = kind;
    rec.error = msg;
  }

  void on_event(const std::string& data, double t) {
    if (data == "[DONE]") {
      done_marker = true;
      return;
    }
    const json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail("non_sse", "a stream event is not JSON: " + data.substr(0, 80));
      return;
    }
    if (j.contains("error")) {
      fail("server_error_event", "error event in the stream: " + error_message(data));
      return;
    }
    if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
      rec.prompt_tokens = u->value("prompt_tokens", -1);
      rec.completion_tokens = u->value("completion_tokens", -1);
      if (const auto d = u->find("prompt_tokens_details"); d != u->end() && d->is_object())
        rec.cached_tokens = d->value("cached_tokens", -1);
    }
    const auto ch = j.find("choices");
    if (ch == j.end() || !ch->is_array() || ch->empty()) return;
    const json& c = (*ch)[0];
    std::size_t chars = 0;
    if (const auto tx = c.find("text"); tx != c.end() && tx->is_string()) chars = tx->get_ref<const std::string&>().size();
    if (const auto d = c.find("delta"); d != c.end() && d->is_object())
      if (const auto ct = d->find("content"); ct != d->end() && ct->is_string())
        chars = ct->get_ref<const std::string&>().size();
    if (const auto fr = c.find("finish_reason"); fr != c.end() && fr->is_string()) rec.finish_reason = fr->get<std::string>();
    if (chars > 0) {
      rec.chunk_s.push_back(t);
      rec.chunk_chars.push_back(static_cast<std::int32_t>(chars));
    }
  }

  std::size_t on_data(const char* p, std::size_t n) {
    const double t = seconds_since(t0);
    if (!checked_type) {
      checked_type = true;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      rec.status = static_cast<int>(status);
      char* ct = nullptr;
      curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct);
      sse = status == 200 && ct && std::string_view(ct).find("text/event-stream") != std::string_view::npos;
    }
    if (!sse) {
      if (raw_prefix.size() < 4096) raw_prefix.append(p, std::min(n, 4096 - raw_prefix.size()));
      return n;
    }
    pending.append(p, n);
    // Events end with a blank line; lines may end in \r\n.
    std::size_t start = 0;
    while (true) {
      std::size_t end = pending.find("\n\n", start);
      std::size_t skip = 2;
      const std::size_t crlf = pending.find("\r\n\r\n", start);
      if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
        end = crlf;
        skip = 4;
      }
      if (end == std::string::npos) break;
      std::size_t line = start;
      while (line < end) {
        std::size_t eol = pending.find('\n', line);
        if (eol == std::string::npos || eol > end) eol = end;
        std::string_view l(pending.data() + line, eol - line);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.rfind("data:", 0) == 0) {
          l.remove_prefix(5);
          if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
          on_event(std::string(l), t);
        }
        line = eol + 1;
      }
      start = end + skip;
    }
    pending.erase(0, start);
    return n;
  }
};

std::size_t write_cb(char* p, std::size_t size, std::size_t n, void* user) {
  return static_cast<Transfer*>(user)->on_data(p, size * n);
}

// The outcome of a finished transfer, as one error kind and line (or ok).
void classify(Transfer& x, CURLcode code, const BenchConfig& cfg, const std::string& url) {
  RequestRecord& r = x.rec;
  long status = 0;
  curl_easy_getinfo(x.easy, CURLINFO_RESPONSE_CODE, &status);
  r.status = static_cast<int>(status);
  if (code == CURLE_COULDNT_CONNECT) {
    x.fail("connection_refused", fmt::format("connection refused: nothing is listening at {}", url));
  } else if (code == CURLE_COULDNT_RESOLVE_HOST) {
    x.fail("connection_refused", fmt::format("cannot resolve the host of {}", url));
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    x.fail("timeout", fmt::format("timeout: no complete answer within {:g} s ({} chunks received)", cfg.timeout_s,
                                  r.chunk_s.size()));
  } else if (code != CURLE_OK && r.status == 200 && x.sse) {
    x.fail("truncated", fmt::format("truncated stream: the connection ended before `data: [DONE]` ({})",
                                    curl_easy_strerror(code)));
  } else if (code != CURLE_OK) {
    x.fail("transport", fmt::format("transport error: {}", curl_easy_strerror(code)));
  } else if (r.status == 401 || r.status == 403) {
    x.fail("unauthorized", fmt::format("HTTP {}: not authorized ({}); check the API key variable", r.status,
                                       error_message(x.raw_prefix)));
  } else if (r.status == 404) {
    x.fail("not_found", fmt::format("HTTP 404: {} (model `{}`, endpoint {})", error_message(x.raw_prefix), cfg.model.empty() ? "?" : cfg.model, url));
  } else if (r.status != 200) {
    x.fail("http_error", fmt::format("HTTP {}: {}", r.status, error_message(x.raw_prefix)));
  } else if (!x.sse) {
    x.fail("non_sse", fmt::format("non-SSE body (Content-Type is not text/event-stream): {}",
                                  error_message(x.raw_prefix)));
  } else if (!x.done_marker && r.error_kind.empty()) {
    x.fail("truncated", "truncated stream: the response ended without `data: [DONE]`");
  }
  r.ok = r.error_kind.empty();
  r.output_tokens = r.completion_tokens >= 0 ? r.completion_tokens : static_cast<std::int32_t>(r.chunk_s.size());
}

std::string json_payload(const BenchConfig& cfg, const std::string& model, const std::string& prompt,
                         std::int32_t max_tokens) {
  json j{{"model", model}, {"max_tokens", max_tokens}, {"stream", true}, {"temperature", 0}};
  if (cfg.ignore_eos) j["ignore_eos"] = true;
  if (cfg.include_usage) j["stream_options"] = {{"include_usage", true}};
  if (cfg.endpoint == "chat") j["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
  else j["prompt"] = prompt;
  return j.dump();
}

// A session's turn: completions send the segments joined; chat sends them as alternating user and assistant
// messages (turn 1's prompt, answer 1, turn 2's new words, ...), so either way the conversation grows by appending.
std::string session_payload(const BenchConfig& cfg, const std::string& model, std::int64_t session,
                            const std::vector<std::int32_t>& segs, std::int32_t shared, std::int32_t max_tokens) {
  if (cfg.endpoint != "chat") return json_payload(cfg, model, session_prompt(cfg.seed, session, segs, shared), max_tokens);
  json j{{"model", model}, {"max_tokens", max_tokens}, {"stream", true}, {"temperature", 0}};
  if (cfg.ignore_eos) j["ignore_eos"] = true;
  if (cfg.include_usage) j["stream_options"] = {{"include_usage", true}};
  json msgs = json::array();
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (segs[i] <= 0) continue;
    msgs.push_back({{"role", i % 2 == 0 ? "user" : "assistant"},
                    {"content", session_segment(cfg.seed, session, static_cast<std::int32_t>(i), segs[i],
                                                i == 0 ? shared : 0)}});
  }
  j["messages"] = std::move(msgs);
  return j.dump();
}

// GET /v1/models: the first model's id ("" with `error` set when the server cannot tell).
std::string first_model(const BenchConfig& cfg, std::string& error) {
  CURL* e = curl_easy_init();
  std::string body;
  const std::string url = base_url(cfg.url) + "/v1/models";
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, +[](char* p, std::size_t s, std::size_t n, void* u) {
    static_cast<std::string*>(u)->append(p, s * n);
    return s * n;
  });
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.connect_timeout_s * 1000 + 5000));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.connect_timeout_s * 1000));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_slist* h = nullptr;
  if (!cfg.api_key.empty()) h = curl_slist_append(h, ("Authorization: Bearer " + cfg.api_key).c_str());
  if (h) curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  const CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  if (h) curl_slist_free_all(h);
  if (rc == CURLE_COULDNT_CONNECT) {
    error = fmt::format("connection refused: nothing is listening at {}", url);
    return "";
  }
  if (rc != CURLE_OK) {
    error = fmt::format("{}: {}", url, curl_easy_strerror(rc));
    return "";
  }
  if (status == 401 || status == 403) {
    error = fmt::format("HTTP {} from {}: not authorized ({}); check the API key variable", status, url, error_message(body));
    return "";
  }
  const json j = json::parse(body, nullptr, false);
  if (status != 200 || j.is_discarded() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
      !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
    error = fmt::format("HTTP {} from {}: no model list; give `model`", status, url);
    return "";
  }
  return j["data"][0]["id"].get<std::string>();
}

void check_config(const BenchConfig& c) {
  auto bad = [](const std::string& field, const std::string& value, const std::string& problem) {
    throw InputError(kRequest, field, value, problem);
  };
  if (c.url.rfind("http://", 0) != 0 && c.url.rfind("https://", 0) != 0)
    bad("`url`", c.url, "must start with http:// or https://");
  if (c.endpoint != "completions" && c.endpoint != "chat")
    bad("`endpoint`", c.endpoint, "expected completions or chat" + did_you_mean(c.endpoint, {"completions", "chat"}));
  if (c.isl < 1 || c.osl < 1) bad("`isl`/`osl`", fmt::format("{}/{}", c.isl, c.osl), "must be >= 1");
  if (c.isl_max != 0 && c.isl_max < c.isl) bad("`isl_max`", std::to_string(c.isl_max), "must be >= `isl`");
  if (c.osl_max != 0 && c.osl_max < c.osl) bad("`osl_max`", std::to_string(c.osl_max), "must be >= `osl`");
  if (!(c.shared_prefix >= 0 && c.shared_prefix <= 1)) bad("`shared_prefix`", fmt::format("{}", c.shared_prefix), "must be in [0, 1]");
  if (c.requests <= 0 && !(c.duration_s > 0) && c.schedule.empty())
    bad("`requests`", "", "give `requests` or `duration` per level (every level is bounded)");
  if (c.concurrency.empty() && c.rates.empty() && c.schedule.empty()) bad("`concurrency`", "", "give at least one level");
  if (!c.schedule.empty() && c.concurrency.size() > 1)
    bad("`concurrency`", "", "with a trace, one value: the cap on requests in flight");
  for (int n : c.concurrency)
    if (n < 1 || n > 100000) bad("`concurrency`", std::to_string(n), "must be in [1, 100000]");
  for (double r : c.rates)
    if (!(r > 0) || !std::isfinite(r)) bad("`rate`", fmt::format("{}", r), "must be a positive number");
  if (!(c.timeout_s > 0)) bad("`timeout`", fmt::format("{}", c.timeout_s), "must be > 0");
  if (!(c.time_scale > 0) || !std::isfinite(c.time_scale)) bad("`time_scale`", fmt::format("{}", c.time_scale), "must be > 0");
  if (c.turns < 0) bad("`turns`", std::to_string(c.turns), "must be >= 1 (0: no sessions)");
  if (c.turns > 0) {
    if (!c.rates.empty()) bad("`rate`", "", "sessions are a closed loop: give concurrency levels (sessions in flight), not rates");
    if (!c.schedule.empty()) bad("`turns`", std::to_string(c.turns), "sessions and a trace replay exclude each other");
    if (c.turns_max != 0 && c.turns_max < c.turns) bad("`turns_max`", std::to_string(c.turns_max), "must be >= `turns`");
    if (c.turn_isl < 0) bad("`turn_isl`", std::to_string(c.turn_isl), "must be >= 1 (0: `isl`)");
    if (!(c.think_s >= 0) || !std::isfinite(c.think_s)) bad("`think`", fmt::format("{}", c.think_s), "must be >= 0");
    if (c.think_max_s != 0 && !(c.think_max_s >= c.think_s && std::isfinite(c.think_max_s)))
      bad("`think_max`", fmt::format("{}", c.think_max_s), "must be >= `think`");
  } else if (c.turns_max != 0 || c.turn_isl != 0 || c.think_s != 0 || c.think_max_s != 0) {
    bad("`turns`", "0", "`turns_max`, `turn_isl` and `think` need sessions (`turns` >= 1)");
  }
}

}  // namespace

void check_bench_config(const BenchConfig& config) { check_config(config); }

Stats stats_of(std::vector<double> v) {
  Stats s;
  s.count = static_cast<std::int64_t>(v.size());
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  auto q = [&](double p) {
    // Linear interpolation between closest ranks.
    const double pos = p * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(std::floor(pos));
    const double f = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
  };
  s.p50 = q(0.5);
  s.p90 = q(0.9);
  s.p99 = q(0.99);
  s.max = v.back();
  return s;
}

std::pair<std::int32_t, std::int32_t> request_lengths(const BenchConfig& c, std::int64_t id) {
  auto draw = [&](std::int32_t lo, std::int32_t hi, std::uint64_t salt) {
    if (hi <= lo) return lo;
    const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int32_t>(mix(mix(c.seed ^ salt) + static_cast<std::uint64_t>(id)) % span);
  };
  return {draw(c.isl, c.isl_max, 0x15151515ULL), draw(c.osl, c.osl_max, 0x05150515ULL)};
}

std::string scheduled_prompt(std::uint64_t seed, std::int64_t id, const ScheduledRequest& r) {
  std::string s;
  std::int32_t words = 0;
  for (std::uint64_t b : r.blocks) {
    if (words + r.block_words > r.isl) break;
    // A block's words depend on the run's seed and the block id only: every request listing it shares them.
    const std::string w = make_prompt(mix(seed ^ (b * 0x9e3779b97f4a7c15ULL)), 0, r.block_words, r.block_words);
    s += (s.empty() ? "" : " ") + w;
    words += r.block_words;
  }
  if (words < r.isl) {
    const std::string rest = make_prompt(seed, id, r.isl - words, 0);
    s += (s.empty() ? "" : " ") + rest;
  }
  return s;
}

std::string make_prompt(std::uint64_t seed, std::int64_t id, std::int32_t words, std::int32_t shared) {
  std::string s;
  s.reserve(static_cast<std::size_t>(words) * 6);
  for (std::int32_t i = 0; i < words; ++i) {
    // Shared words depend on the seed only; the rest on the request too (a salt: no two requests agree there).
    const std::uint64_t key = i < shared ? mix(seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i))
                                         : mix(mix(seed ^ (static_cast<std::uint64_t>(id) << 20)) + static_cast<std::uint64_t>(i));
    if (i) s += ' ';
    s += kWords[key % kNumWords];
  }
  return s;
}

std::string session_segment(std::uint64_t seed, std::int64_t session, std::int32_t segment, std::int32_t words,
                            std::int32_t shared) {
  std::string s;
  s.reserve(static_cast<std::size_t>(std::max(words, 0)) * 6);
  const std::uint64_t salt =
      mix(mix(seed ^ 0x5e55105e55105e55ULL) + mix(static_cast<std::uint64_t>(session) * 0x9e3779b97f4a7c15ULL +
                                                  static_cast<std::uint64_t>(segment)));
  for (std::int32_t i = 0; i < words; ++i) {
    // Turn 1's shared words are make_prompt's (the same in every session and request of the seed); the rest
    // depend on the session and the segment too.
    const std::uint64_t key = segment == 0 && i < shared
                                  ? mix(seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i))
                                  : mix(salt + static_cast<std::uint64_t>(i));
    if (i) s += ' ';
    s += kWords[key % kNumWords];
  }
  return s;
}

std::string session_prompt(std::uint64_t seed, std::int64_t session, const std::vector<std::int32_t>& segment_words,
                           std::int32_t shared) {
  std::string s;
  for (std::size_t i = 0; i < segment_words.size(); ++i) {
    if (segment_words[i] <= 0) continue;
    if (!s.empty()) s += ' ';
    s += session_segment(seed, session, static_cast<std::int32_t>(i), segment_words[i], i == 0 ? shared : 0);
  }
  return s;
}

std::int32_t session_turns(const BenchConfig& c, std::int64_t session) {
  if (c.turns_max <= c.turns) return c.turns;
  const std::uint64_t span = static_cast<std::uint64_t>(c.turns_max - c.turns) + 1;
  return c.turns + static_cast<std::int32_t>(mix(mix(c.seed ^ 0x7a7a7a7aULL) + static_cast<std::uint64_t>(session)) % span);
}

double think_time_s(const BenchConfig& c, std::int64_t session, std::int32_t turn) {
  if (turn <= 1) return 0;
  if (!(c.think_max_s > c.think_s)) return c.think_s;
  const std::uint64_t h = mix(mix(c.seed ^ 0x7171717171ULL) + mix(static_cast<std::uint64_t>(session)) +
                              static_cast<std::uint64_t>(turn));
  return c.think_s + (c.think_max_s - c.think_s) * (static_cast<double>(h >> 11) * 0x1.0p-53);
}

namespace {
// Per-session and per-turn summaries of one level's records (sessions mode), times x k (the server's seconds).
SessionSummary summarize_sessions(const std::vector<RequestRecord>& recs, int level, double k) {
  struct Agg {
    std::int32_t planned = 0, ok_turns = 0, last_turn = 0, last_prompt = 0;
    bool failed = false, usage = true;
    double first = 1e300, last = -1e300, prompt = 0, cached = 0;
  };
  std::map<std::int64_t, Agg> by_session;
  std::map<std::int32_t, std::vector<const RequestRecord*>> by_turn;
  SessionSummary S;
  double prompt_all = 0, cached_all = 0;
  for (const auto& r : recs) {
    if (r.level != level || r.session < 0) continue;
    Agg& a = by_session[r.session];
    a.planned = r.session_turns;
    a.first = std::min(a.first, r.send_s);
    a.last = std::max(a.last, r.end_s);
    if (!r.ok) {
      if (r.error_kind != "interrupted") a.failed = true;  // Ctrl-C cuts a session, it did not fail
      continue;
    }
    ++a.ok_turns;
    by_turn[r.turn].push_back(&r);
    if (r.prompt_tokens < 0) a.usage = false;
    a.prompt += std::max(0, r.prompt_tokens);
    a.cached += std::max(0, r.cached_tokens);
    if (r.prompt_tokens >= 0) {
      prompt_all += r.prompt_tokens;
      cached_all += std::max(0, r.cached_tokens);
    }
    if (r.turn > a.last_turn) {
      a.last_turn = r.turn;
      a.last_prompt = r.prompt_tokens >= 0 ? r.prompt_tokens : r.prompt_words;
    }
  }
  std::vector<double> turns, times, shares;
  double last_prompt = 0;
  for (const auto& [id, a] : by_session) {
    ++S.started;
    if (a.failed) {
      ++S.failed;
    } else if (a.ok_turns < a.planned) {
      ++S.cut;
    } else {
      ++S.complete;
      turns.push_back(a.ok_turns);
      times.push_back((a.last - a.first) * k);
      if (a.usage && a.prompt > 0) shares.push_back(a.cached / a.prompt);
      last_prompt += a.last_prompt;
    }
  }
  S.turns = stats_of(turns);
  S.session_s = stats_of(times);
  S.cached_share = stats_of(shares);
  S.cached_share_all = prompt_all > 0 ? cached_all / prompt_all : 0;
  S.mean_last_prompt_tokens = S.complete ? last_prompt / static_cast<double>(S.complete) : 0;
  for (const auto& [turn, rs] : by_turn) {
    TurnSummary t;
    t.turn = turn;
    t.count = static_cast<std::int64_t>(rs.size());
    std::vector<double> ttft;
    double p = 0, c = 0;
    for (const RequestRecord* r : rs) {
      p += r->prompt_tokens >= 0 ? r->prompt_tokens : r->prompt_words;
      c += std::max(0, r->cached_tokens);
      if (r->ttft_s() >= 0) ttft.push_back(r->ttft_s() * k);
    }
    t.mean_prompt_tokens = p / static_cast<double>(t.count);
    t.mean_cached_tokens = c / static_cast<double>(t.count);
    t.ttft_s = stats_of(ttft);
    S.by_turn.push_back(std::move(t));
  }
  return S;
}
}  // namespace

LevelResult summarize(const std::vector<RequestRecord>& recs, const BenchConfig& cfg, int level) {
  LevelResult L;
  double first = 1e300, last = -1e300, area = 0;
  std::vector<double> ttft, itl, tpot, e2e, user;
  double out_tokens = 0, in_tokens = 0, cached = 0;
  std::int64_t good = 0, with_usage = 0;
  for (const auto& r : recs) {
    if (r.level != level) continue;
    ++L.sent;
    first = std::min(first, r.send_s);
    last = std::max(last, r.end_s);
    area += r.end_s - r.send_s;
    L.chunks += static_cast<std::int64_t>(r.chunk_s.size());
    if (!r.ok) {
      ++L.failed;
      ++L.errors[r.error_kind];
      L.first_error.emplace(r.error_kind, r.error);
      continue;
    }
    ++L.ok;
    out_tokens += r.output_tokens;
    if (r.prompt_tokens >= 0) {
      in_tokens += r.prompt_tokens;
      ++with_usage;
    }
    if (r.cached_tokens > 0) cached += r.cached_tokens;
    const double tt = r.ttft_s(), tp = r.tpot_s();
    if (tt >= 0) ttft.push_back(tt);
    if (tp > 0) {
      tpot.push_back(tp);
      user.push_back(1.0 / tp);
    }
    for (std::size_t i = 1; i < r.chunk_s.size(); ++i) itl.push_back(r.chunk_s[i] - r.chunk_s[i - 1]);
    e2e.push_back(r.e2e_s());
    const double ks = cfg.time_scale > 0 ? cfg.time_scale : 1;
    if ((cfg.slo_ttft_s <= 0 || (tt >= 0 && tt * ks <= cfg.slo_ttft_s)) &&
        (cfg.slo_tpot_s <= 0 || tp * ks <= cfg.slo_tpot_s))
      ++good;
  }
  // Wall seconds -> the server's seconds (time_scale: simulated seconds per wall second).
  const double k = cfg.time_scale > 0 ? cfg.time_scale : 1;
  for (auto* v : {&ttft, &itl, &tpot, &e2e})
    for (double& x : *v) x *= k;
  for (double& x : user) x /= k;
  first *= k;
  last *= k;
  area *= k;
  L.duration_s = L.sent ? std::max(0.0, last - first) : 0;
  const double d = L.duration_s > 0 ? L.duration_s : 1;
  L.output_tok_per_s = out_tokens / d;
  L.input_tok_per_s = in_tokens / d;
  L.request_per_s = static_cast<double>(L.ok) / d;
  L.chunks_per_s = static_cast<double>(L.chunks) / d;
  L.mean_in_flight = area / d;
  L.mean_output_tokens = L.ok ? out_tokens / static_cast<double>(L.ok) : 0;
  L.mean_prompt_tokens = with_usage ? in_tokens / static_cast<double>(with_usage) : 0;
  L.mean_cached_tokens = L.ok ? cached / static_cast<double>(L.ok) : 0;
  L.ttft_s = stats_of(ttft);
  L.itl_s = stats_of(itl);
  L.tpot_s = stats_of(tpot);
  L.e2e_s = stats_of(e2e);
  L.tok_s_per_user = stats_of(user);
  L.goodput_req_per_s = static_cast<double>(good) / d;
  L.slo_attainment = L.ok ? static_cast<double>(good) / static_cast<double>(L.ok) : 0;
  L.sessions = summarize_sessions(recs, level, k);
  return L;
}

BenchResult run_bench(const BenchConfig& config_in, const BenchHooks& hooks) {
  check_config(config_in);
  curl_init_once();
  BenchResult res;
  BenchConfig cfg = config_in;
  if (cfg.model.empty()) {
    std::string err;
    cfg.model = first_model(cfg, err);
    if (cfg.model.empty()) throw InputError(kRequest, "`url`", cfg.url, err);
  }
  res.model = cfg.model;
  const std::string url =
      base_url(cfg.url) + (cfg.endpoint == "chat" ? "/v1/chat/completions" : "/v1/completions");
  const bool replay = !cfg.schedule.empty();
  const bool open_loop = !cfg.rates.empty() || replay;
  const std::size_t n_levels = replay ? 1 : open_loop ? cfg.rates.size() : cfg.concurrency.size();
  const int cap = open_loop ? (cfg.concurrency.empty() ? 10000 : cfg.concurrency.front()) : 0;
  const auto shared = static_cast<std::int32_t>(std::floor(cfg.shared_prefix * cfg.isl));
  const bool sessions_mode = cfg.turns > 0;
  std::int64_t next_session = 0;
  // A session in flight: the words of its segments so far (turn 1's prompt, answer 1, turn 2's new words, ...).
  struct Session {
    std::int32_t turns = 0, sent_turns = 0;
    std::vector<std::int32_t> segs;
  };

  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 100000L);
  const auto t0 = Clock::now();
  std::int64_t next_id = 0;
  std::mt19937_64 arrivals(cfg.seed ^ 0xa5a5a5a5ULL);
  double best_tok_s = 0, first_ttft_p50 = 0;

  for (std::size_t lv = 0; lv < n_levels && !res.interrupted; ++lv) {
    const int level = static_cast<int>(lv);
    const int conc = open_loop ? cap : cfg.concurrency[lv];
    const double rate = replay ? 0 : open_loop ? cfg.rates[lv] : 0;
    std::vector<std::unique_ptr<Transfer>> live;
    std::int64_t sent = 0, done = 0, failed = 0;
    const double level_start = seconds_since(t0);
    const double cpu_start = cpu_seconds();
    double next_arrival = level_start;
    double last_progress = -1;
    double out_tok = 0;
    std::vector<RequestRecord> level_recs;
    // Sessions: those in flight (sending, or thinking before their next turn), and the next-turn times (wall s).
    std::unordered_map<std::int64_t, Session> active;
    using Ready = std::pair<double, std::int64_t>;
    std::priority_queue<Ready, std::vector<Ready>, std::greater<>> ready;
    std::int64_t owed = 0;  // turns the sessions in flight have yet to send (a request count serves them first)

    auto launch = [&](std::int64_t session = -1) {
      auto x = std::make_unique<Transfer>();
      x->t0 = t0;
      x->rec.id = next_id++;
      x->rec.level = level;
      if (session >= 0) {
        Session& ss = active.at(session);
        x->rec.session = session;
        x->rec.turn = ++ss.sent_turns;
        --owed;
        x->rec.session_turns = ss.turns;
        for (std::int32_t w : ss.segs) x->rec.prompt_words += std::max(0, w);
        const std::int32_t osl = request_lengths(cfg, x->rec.id).second;
        x->payload = session_payload(cfg, cfg.model, session, ss.segs, std::min(shared, ss.segs.front()), osl);
      } else if (replay) {
        const ScheduledRequest& sr = cfg.schedule[static_cast<std::size_t>(sent)];
        x->rec.prompt_words = sr.isl;
        x->payload = json_payload(cfg, cfg.model, scheduled_prompt(cfg.seed, x->rec.id, sr), sr.osl);
      } else {
        const auto [isl, osl] = request_lengths(cfg, x->rec.id);
        x->rec.prompt_words = isl;
        x->payload = json_payload(cfg, cfg.model, make_prompt(cfg.seed, x->rec.id, isl, std::min(shared, isl)), osl);
      }
      x->easy = curl_easy_init();
      CURL* e = x->easy;
      curl_easy_setopt(e, CURLOPT_URL, url.c_str());
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->payload.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(x->payload.size()));
      x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
      x->headers = curl_slist_append(x->headers, "Accept: text/event-stream");
      // No `Expect: 100-continue` round trip before a large prompt (libcurl adds it above 1 KiB).
      x->headers = curl_slist_append(x->headers, "Expect:");
      if (!cfg.api_key.empty()) x->headers = curl_slist_append(x->headers, ("Authorization: Bearer " + cfg.api_key).c_str());
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
      curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
      curl_easy_setopt(e, CURLOPT_WRITEDATA, x.get());
      curl_easy_setopt(e, CURLOPT_PRIVATE, x.get());
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.timeout_s * 1000));
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.connect_timeout_s * 1000));
      curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
      x->rec.send_s = seconds_since(t0);
      curl_multi_add_handle(multi, e);
      live.push_back(std::move(x));
      ++sent;
    };
    auto finish = [&](Transfer* x, CURLcode code) {
      x->rec.end_s = seconds_since(t0);
      classify(*x, code, cfg, url);
      if (x->rec.ok) {
        ++done;
        out_tok += x->rec.output_tokens;
      } else {
        ++failed;
      }
      if (const auto it = x->rec.session >= 0 ? active.find(x->rec.session) : active.end(); it != active.end()) {
        // A failed turn ends its session; else the answer joins the conversation, then the next turn's new words.
        Session& ss = it->second;
        if (!x->rec.ok || ss.sent_turns >= ss.turns) {
          owed -= ss.turns - ss.sent_turns;
          active.erase(it);
        } else {
          ss.segs.push_back(x->rec.output_tokens);
          ss.segs.push_back(cfg.turn_isl > 0 ? cfg.turn_isl : cfg.isl);
          ready.emplace(x->rec.end_s + think_time_s(cfg, x->rec.session, ss.sent_turns + 1) / cfg.time_scale,
                        x->rec.session);
        }
      }
      curl_multi_remove_handle(multi, x->easy);
      if (hooks.on_request) hooks.on_request(x->rec);
      level_recs.push_back(std::move(x->rec));
      live.erase(std::find_if(live.begin(), live.end(), [&](const auto& p) { return p.get() == x; }));
    };
    auto may_send = [&](double now) {
      if (cfg.requests > 0 && sent >= cfg.requests) return false;
      if (replay && sent >= static_cast<std::int64_t>(cfg.schedule.size())) return false;
      if (cfg.duration_s > 0 && now - level_start >= cfg.duration_s) return false;
      return true;
    };

    while (true) {
      const double now = seconds_since(t0);
      if (hooks.stop && hooks.stop()) {
        res.interrupted = true;
        break;
      }
      if (replay) {
        // The trace's times are the server's: time_scale times sooner on the wall clock.
        while (may_send(now) && static_cast<int>(live.size()) < conc &&
               level_start + cfg.schedule[static_cast<std::size_t>(sent)].time_s / cfg.time_scale <= now)
          launch();
        if (may_send(now)) next_arrival = level_start + cfg.schedule[static_cast<std::size_t>(sent)].time_s / cfg.time_scale;
      } else if (open_loop) {
        while (may_send(now) && next_arrival <= now && static_cast<int>(live.size()) < conc) {
          launch();
          // Rates are in the server's time: S times faster on the wall clock of a serve-sim at time scale S.
          const double wall_rate = rate * cfg.time_scale;
          const double gap = cfg.poisson ? std::exponential_distribution<double>(wall_rate)(arrivals) : 1.0 / wall_rate;
          next_arrival += gap;
        }
      } else if (sessions_mode) {
        // Closed loop of sessions: a finished session is replaced at once (while `requests` leaves turns beyond
        // those the sessions in flight still owe, so they complete first); a session's next turn goes when its
        // think time is over.
        while (may_send(now) && static_cast<int>(active.size()) < conc && (cfg.requests <= 0 || sent + owed < cfg.requests)) {
          const std::int64_t id = next_session++;
          Session ss;
          ss.turns = session_turns(cfg, id);
          owed += ss.turns;
          ss.segs.push_back(request_lengths(cfg, id).first);
          active.emplace(id, std::move(ss));
          ready.emplace(now, id);
        }
        while (may_send(now) && !ready.empty() && ready.top().first <= now) {
          const std::int64_t id = ready.top().second;
          ready.pop();
          launch(id);
        }
      } else {
        while (may_send(now) && static_cast<int>(live.size()) < conc) launch();
      }
      if (live.empty() && !may_send(now)) break;
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      bool finished_any = false;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        Transfer* x = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&x));
        finish(x, m->data.result);
        finished_any = true;
      }
      // A closed loop sends the next request at once (no wait between a finish and the next send).
      if (finished_any && !open_loop) continue;
      const double t_now = seconds_since(t0);
      if (hooks.on_progress && t_now - last_progress >= 0.25) {
        last_progress = t_now;
        Progress p;
        p.level = level + 1;
        p.levels = static_cast<int>(n_levels);
        p.sent = sent;
        p.done = done;
        p.failed = failed;
        p.in_flight = static_cast<std::int64_t>(live.size());
        p.elapsed_s = t_now - level_start;
        p.output_tok_per_s = p.elapsed_s > 0 ? out_tok / p.elapsed_s : 0;
        p.client_cpu_cores = p.elapsed_s > 0 ? (cpu_seconds() - cpu_start) / p.elapsed_s : 0;
        hooks.on_progress(p);
      }
      // Wait for socket activity, the next open-loop arrival, or 50 ms (progress, stop polling).
      int wait_ms = 50;
      if (open_loop && may_send(t_now) && static_cast<int>(live.size()) < conc)
        wait_ms = std::clamp(static_cast<int>(std::ceil((next_arrival - t_now) * 1000)), 0, 50);
      if (sessions_mode && may_send(t_now) && !ready.empty())
        wait_ms = std::clamp(static_cast<int>(std::ceil((ready.top().first - t_now) * 1000)), 0, 50);
      if (!live.empty() || wait_ms > 0) curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
    }
    // Interrupted: what is in flight is recorded as such.
    while (!live.empty()) {
      Transfer* x = live.back().get();
      x->fail("interrupted", "interrupted before the answer completed");
      x->rec.end_s = seconds_since(t0);
      x->rec.ok = false;
      x->rec.output_tokens = static_cast<std::int32_t>(x->rec.chunk_s.size());
      curl_multi_remove_handle(multi, x->easy);
      if (hooks.on_request) hooks.on_request(x->rec);
      level_recs.push_back(std::move(x->rec));
      live.pop_back();
    }
    const double wall = seconds_since(t0) - level_start;
    LevelResult L = summarize(level_recs, cfg, level);
    L.concurrency = replay ? 0 : conc;  // 0 and no rate: a trace replay
    L.rate_per_s = rate;
    L.client_cpu_cores = wall > 0 ? (cpu_seconds() - cpu_start) / wall : 0;
    if (L.client_cpu_cores > 0.8 && wall >= 1.0)  // shorter levels: too little CPU time to tell
      res.warnings.push_back(fmt::format(
          "level {}: the client used {:.0f}% of a core: it may be saturated, and its delays are in the measurements",
          level + 1, L.client_cpu_cores * 100));
    if (L.sent > 0 && L.failed * 2 > L.sent) {
      res.levels.push_back(std::move(L));
      res.stop_reason = fmt::format("level {}: more than half of the requests failed", level + 1);
      break;
    }
    const double tok_s = L.output_tok_per_s;
    const double ttft_p50 = L.ttft_s.p50;
    if (lv == 0) first_ttft_p50 = ttft_p50;
    res.levels.push_back(std::move(L));
    if (lv > 0 && cfg.saturation_gain > 0 && tok_s < best_tok_s * (1 + cfg.saturation_gain) && lv + 1 < n_levels) {
      res.stop_reason = fmt::format("saturated at level {}: output tok/s {:.1f} rose less than {:g}% over the best "
                                    "earlier level ({:.1f})", level + 1, tok_s, cfg.saturation_gain * 100, best_tok_s);
      break;
    }
    if (lv > 0 && cfg.saturation_gain > 0 && first_ttft_p50 > 0 && ttft_p50 > 10 * first_ttft_p50 && lv + 1 < n_levels) {
      res.stop_reason = fmt::format("queueing exploded at level {}: TTFT p50 {:.3g} s is over 10x the first level's "
                                    "({:.3g} s)", level + 1, ttft_p50, first_ttft_p50);
      break;
    }
    best_tok_s = std::max(best_tok_s, tok_s);
  }
  curl_multi_cleanup(multi);
  cfg.api_key.clear();
  res.config = cfg;
  return res;
}

}  // namespace tokenmath::loadgen
