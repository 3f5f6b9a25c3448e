// `tokenmath serve-sim SCENARIO.yaml --port N`: an OpenAI-compatible endpoint (POST /v1/completions and
// /v1/chat/completions, streaming SSE or not; GET /v1/models) whose token timing is the simulator's, run in real
// time (sim::RealtimeCluster) on the scenario's cluster. Tokens are placeholders; `usage` is what was served.
//
// Prompt tokens, a documented deterministic rule (no tokenizer): a string counts one token per
// whitespace-separated word; an array of integers is token ids, one each; chat messages count the words of every
// message's text content (roles and message framing count nothing). A prompt counts at least one token. The
// words' hashes are the token contents, so two prompts share prefix-cache blocks exactly as far as they agree
// word for word, block by block (the scenario's block_tokens).
// Output tokens: `max_tokens` (chat: `max_completion_tokens` too; default --default-max-tokens). The placeholder
// model stops by itself after --eos-after tokens (0: never) unless the request sets `ignore_eos`.
#include "commands.hpp"

#if TOKENMATH_HAVE_HTTPLIB
#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http_bind.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxBody = 16 << 20;  // 16 MiB of prompt
constexpr double kStreamTimeoutS = 600;      // a stream with no new token for this long (wall) is ended

struct ServeSimOptions {
  api::ServeSimRequest req;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string model_name;
  std::string api_key_env;
  int threads = 1024;
  int default_max_tokens = 256;
  int eos_after = 0;
  std::string engine_profile;
};

std::uint64_t word_id(std::string_view w) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : w) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

void add_words(const std::string& text, std::vector<std::uint64_t>& ids) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t j = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > j) ids.push_back(word_id(std::string_view(text).substr(j, i - j)));
  }
}

// An OpenAI-style error body.
std::string error_body(const std::string& message, const std::string& type, int code) {
  return json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}.dump();
}

struct BadRequest {
  int status;
  std::string message;
  std::string type;
};

// Token contents of the request's prompt (see the file comment).
std::vector<std::uint64_t> prompt_ids(const json& body, bool chat) {
  std::vector<std::uint64_t> ids;
  if (chat) {
    const auto it = body.find("messages");
    if (it == body.end() || !it->is_array() || it->empty())
      throw BadRequest{400, "`messages` must be a non-empty array", "BadRequestError"};
    for (const auto& m : *it) {
      if (!m.is_object()) throw BadRequest{400, "each message must be an object", "BadRequestError"};
      const auto c = m.find("content");
      if (c == m.end() || c->is_null()) continue;
      if (c->is_string()) {
        add_words(c->get<std::string>(), ids);
      } else if (c->is_array()) {
        for (const auto& part : *c)
          if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
            add_words(part["text"].get<std::string>(), ids);
      } else {
        throw BadRequest{400, "a message's `content` must be a string or an array of parts", "BadRequestError"};
      }
    }
  } else {
    const auto it = body.find("prompt");
    if (it == body.end()) throw BadRequest{400, "`prompt` is required", "BadRequestError"};
    const json* p = &*it;
    if (p->is_array() && p->size() == 1 && ((*p)[0].is_string() || (*p)[0].is_array())) p = &(*p)[0];
    if (p->is_string()) {
      add_words(p->get<std::string>(), ids);
    } else if (p->is_array()) {
      for (const auto& t : *p) {
        if (!t.is_number_integer())
          throw BadRequest{400, "`prompt` must be a string, token ids, or one of either (one prompt per request here)",
                           "BadRequestError"};
        ids.push_back(sim::mix64(static_cast<std::uint64_t>(t.get<std::int64_t>())));
      }
    } else {
      throw BadRequest{400, "`prompt` must be a string or an array of token ids", "BadRequestError"};
    }
  }
  if (ids.empty()) ids.push_back(0);
  return ids;
}

std::string placeholder_text(std::int32_t from, std::int32_t to) {
  std::string s;
  for (std::int32_t i = from; i < to; ++i) s += " tok";
  return s;
}

json usage_json(std::int32_t prompt, std::int32_t completion, std::int32_t cached) {
  return json{{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", prompt + completion},
              {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

class Endpoint {
 public:
  Endpoint(const ServeSimOptions& o, api::ServeSim& s) : o_(o), s_(s) {
    if (!o.api_key_env.empty()) {
      const char* k = std::getenv(o.api_key_env.c_str());
      if (!k || !*k)
        throw InputError("<command line>", "--api-key-env", o.api_key_env, "the environment variable is not set");
      api_key_ = k;
    }
  }

  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    if (api_key_.empty()) return true;
    if (req.get_header_value("Authorization") == "Bearer " + api_key_) return true;
    res.status = 401;
    res.set_content(error_body("invalid API key", "AuthenticationError", 401), "application/json");
    return false;
  }

  void models(httplib::Response& res) const {
    const json j{{"object", "list"},
                 {"data", json::array({{{"id", o_.model_name},
                                        {"object", "model"},
                                        {"created", 0},
                                        {"owned_by", "tokenmath-serve-sim"},
                                        {"max_model_len", s_.max_context_tokens}}})}};
    res.set_content(j.dump(), "application/json");
  }

  void stats(httplib::Response& res) const {
    res.set_content(report::render_sim(s_.scenario, s_.cluster->result(), report::Format::json), "application/json");
  }

  void completion(const httplib::Request& req, httplib::Response& res, bool chat) {
    if (!authorized(req, res)) return;
    try {
      handle(req, res, chat);
    } catch (const BadRequest& e) {
      res.status = e.status;
      res.set_content(error_body(e.message, e.type, e.status), "application/json");
    }
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res, bool chat) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw BadRequest{400, "the body must be a JSON object", "BadRequestError"};
    const std::string model = body.value("model", o_.model_name);
    if (model != o_.model_name)
      throw BadRequest{404, fmt::format("The model `{}` does not exist.", model), "NotFoundError"};
    const std::vector<std::uint64_t> ids = prompt_ids(body, chat);
    auto whole = [&](const char* key, std::int64_t dflt) -> std::int64_t {
      const auto it = body.find(key);
      if (it == body.end() || it->is_null()) return dflt;
      if (!it->is_number_integer() || it->get<std::int64_t>() < 1)
        throw BadRequest{400, fmt::format("`{}` must be a positive integer", key), "BadRequestError"};
      return it->get<std::int64_t>();
    };
    std::int64_t max_tokens = whole("max_tokens", o_.default_max_tokens);
    if (chat) max_tokens = whole("max_completion_tokens", max_tokens);
    const bool ignore_eos = body.value("ignore_eos", false);
    const bool stream = body.value("stream", false);
    bool include_usage = false;
    if (const auto so = body.find("stream_options"); so != body.end() && so->is_object())
      include_usage = so->value("include_usage", false);
    std::int64_t out_tokens = max_tokens;
    const bool eos = !ignore_eos && o_.eos_after > 0 && o_.eos_after < max_tokens;
    if (eos) out_tokens = o_.eos_after;
    const auto prompt = static_cast<std::int64_t>(ids.size());
    if (s_.max_context_tokens > 0 && prompt + out_tokens > s_.max_context_tokens)
      throw BadRequest{400,
                       fmt::format("This model's maximum context length is {} tokens; the request has {} prompt + {} "
                                   "output tokens.", s_.max_context_tokens, prompt, out_tokens),
                       "BadRequestError"};
    if (prompt + out_tokens + 1 > s_.kv_capacity_tokens)
      throw BadRequest{400, fmt::format("prompt + output ({} tokens) exceed a replica's KV cache ({} tokens)",
                                        prompt + out_tokens, s_.kv_capacity_tokens), "BadRequestError"};
    sim::Request r;
    r.prompt_tokens = static_cast<std::int32_t>(prompt);
    r.output_tokens = static_cast<std::int32_t>(out_tokens);
    if (s_.prefix_caching) r.chunks = sim::block_chunks(ids, s_.block_tokens);
    const std::string finish = eos ? "stop" : "length";
    const std::int64_t n = ++counter_;
    const std::string id = fmt::format("{}-{}", chat ? "chatcmpl" : "cmpl", n);
    const auto created = static_cast<std::int64_t>(std::time(nullptr));
    auto stream_ptr = s_.cluster->submit(std::move(r));
    auto choice = [chat](const std::string& text, const char* finish_reason, bool first) {
      json c{{"index", 0}, {"finish_reason", finish_reason ? json(finish_reason) : json(nullptr)}};
      if (chat) {
        json delta{{"content", text}};
        if (first) delta["role"] = "assistant";
        c["delta"] = delta;
      } else {
        c["text"] = text;
        c["logprobs"] = nullptr;
      }
      return c;
    };
    const std::string object = chat ? "chat.completion.chunk" : "text_completion";
    if (!stream) {
      sim::Stream::State st;
      while (!st.done && !st.rejected) {
        st = stream_ptr->wait(st.tokens, kStreamTimeoutS);
        if (stream_ptr->closed()) break;
      }
      if (!st.done) {
        res.status = 503;
        res.set_content(error_body("the simulated server could not serve the request", "ServiceUnavailableError", 503),
                        "application/json");
        return;
      }
      json c{{"index", 0}, {"finish_reason", finish}};
      const std::string text = placeholder_text(0, st.tokens);
      if (chat) c["message"] = {{"role", "assistant"}, {"content", text}};
      else {
        c["text"] = text;
        c["logprobs"] = nullptr;
      }
      const json j{{"id", id}, {"object", chat ? "chat.completion" : "text_completion"}, {"created", created},
                   {"model", o_.model_name}, {"choices", json::array({c})},
                   {"usage", usage_json(st.prompt_tokens, st.tokens, st.cached_tokens)}};
      res.set_content(j.dump(), "application/json");
      return;
    }
    const std::string model_name = o_.model_name;
    struct Progress {
      std::int32_t sent = 0;
      bool finished = false;
    };
    auto prog = std::make_shared<Progress>();
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [=](std::size_t /*offset*/, httplib::DataSink& sink) {
          if (prog->finished) {
            sink.done();
            return true;
          }
          const sim::Stream::State st = stream_ptr->wait(prog->sent, kStreamTimeoutS);
          std::string out;
          auto event = [&](const json& j) { out += "data: " + j.dump() + "\n\n"; };
          if (st.rejected || (!st.done && st.tokens <= prog->sent)) {
            // Rejected by the simulator, or no progress (the server is stopping): an error event, then the end.
            event(json{{"error", {{"message", "the simulated server could not serve the request"}, {"code", 503}}}});
            prog->finished = true;
          } else {
            if (st.tokens > prog->sent) {
              event(json{{"id", id}, {"object", object}, {"created", created}, {"model", model_name},
                         {"choices", json::array({choice(placeholder_text(prog->sent, st.tokens),
                                                         st.done ? finish.c_str() : nullptr, prog->sent == 0)})}});
              prog->sent = st.tokens;
            }
            if (st.done) {
              if (include_usage)
                event(json{{"id", id}, {"object", object}, {"created", created}, {"model", model_name},
                           {"choices", json::array()},
                           {"usage", usage_json(st.prompt_tokens, st.tokens, st.cached_tokens)}});
              out += "data: [DONE]\n\n";
              prog->finished = true;
            }
          }
          if (!out.empty() && !sink.write(out.data(), out.size())) return false;
          if (prog->finished) sink.done();
          return true;
        });
  }

  const ServeSimOptions& o_;
  api::ServeSim& s_;
  std::string api_key_;
  std::atomic<std::int64_t> counter_{0};
};

}  // namespace

void add_serve_sim_commands(CLI::App& app) {
  auto o = std::make_shared<ServeSimOptions>();
  auto* cmd = app.add_subcommand(
      "serve-sim", "OpenAI-compatible endpoint whose token timing is the simulator's, in real time (127.0.0.1)");
  cmd->add_option("scenario", o->req.scenario_path, "simulation scenario (its cluster; the workload is unused)")
      ->required();
  cmd->add_option("--host", o->host, "address to bind (127.0.0.1: this machine only)")->capture_default_str();
  cmd->add_option("--port", o->port, "TCP port (0: any free port, printed)")->capture_default_str()->check(finite_range(0, 65535));
  cmd->add_option("--time-scale", o->req.time_scale,
                  "simulated seconds per wall second (10: ten times faster than the simulated GPUs)")
      ->capture_default_str()->check(finite_range(1e-3, 1e6));
  cmd->add_option("--replicas", o->req.replicas, "override cluster.replicas (single-pool scenarios)")->check(finite_range(1, 100000));
  cmd->add_option("--served-model-name", o->model_name, "model name of /v1/models (default: the scenario's model)");
  cmd->add_option("--api-key-env", o->api_key_env,
                  "require `Authorization: Bearer $NAME` (the key read from this environment variable)");
  cmd->add_option("--threads", o->threads, "HTTP worker threads (each open stream holds one)")
      ->capture_default_str()->check(finite_range(2, 16384));
  cmd->add_option("--default-max-tokens", o->default_max_tokens, "output tokens when a request gives no max_tokens")
      ->capture_default_str()->check(finite_range(1, 1e7));
  add_engine_profile_option(cmd, o->engine_profile);
  cmd->add_option("--eos-after", o->eos_after,
                  "the placeholder model ends its answer after this many tokens unless the request sets ignore_eos "
                  "(0: never)")->capture_default_str()->check(finite_range(0, 1e7));
  cmd->callback([o] {
    std::optional<Context> profiled;
    api::ServeSim s = api::serve_sim(context_for(o->engine_profile, profiled), o->req);
    if (o->model_name.empty()) o->model_name = s.scenario.pools.front().model;
    Endpoint ep(*o, s);
    httplib::Server srv;
    srv.set_payload_max_length(kMaxBody);
    const int threads = o->threads;
    srv.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    srv.set_tcp_nodelay(true);  // each SSE event goes out at once
    srv.set_keep_alive_max_count(100000);
    srv.set_keep_alive_timeout(30);
    srv.set_read_timeout(60, 0);
    srv.set_write_timeout(60, 0);
    srv.Get("/v1/models", [&ep](const httplib::Request& req, httplib::Response& res) {
      if (ep.authorized(req, res)) ep.models(res);
    });
    srv.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
    srv.Get("/sim/stats", [&ep](const httplib::Request& req, httplib::Response& res) {
      if (ep.authorized(req, res)) ep.stats(res);
    });
    srv.Post("/v1/completions",
             [&ep](const httplib::Request& req, httplib::Response& res) { ep.completion(req, res, false); });
    srv.Post("/v1/chat/completions",
             [&ep](const httplib::Request& req, httplib::Response& res) { ep.completion(req, res, true); });
    srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
      res.set_content(error_body("internal error", "InternalServerError", 500), "application/json");
    });
    // A burst of new connections (a client opening its streams at once) must not overflow the listen backlog.
    const int bound = bind_http(srv, o->host, o->port);
    if (bound < 0)
      throw InputError("<command line>", "--port", std::to_string(o->port), "cannot listen on this address and port");
    fmt::print("tokenmath serve-sim: http://{}:{}/v1 (model {}, time scale {:g})\n", o->host, bound, o->model_name,
               o->req.time_scale);
    std::fflush(stdout);
    srv.listen_after_bind();
  });
}

}  // namespace tokenmath::cli
#else
namespace tokenmath::cli {
void add_serve_sim_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve-sim", "OpenAI-compatible simulated endpoint (this build has no cpp-httplib)");
  cmd->allow_extras();
  cmd->callback([] {
    throw InputError("<command line>", "serve-sim", "",
                     "built without cpp-httplib (scripts/deps.sh installs libcpp-httplib-dev)");
  });
}
}  // namespace tokenmath::cli
#endif
