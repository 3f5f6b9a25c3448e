// API prices per 1M tokens, read from LiteLLM's model_prices_and_context_window.json format (a user can drop
// in today's file). The shipped default is a dated subset: data/prices/litellm_subset_2026-07-24.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokenmath::cost {

struct ApiPrice {
  std::string model;                          // LiteLLM key, e.g. "claude-opus-4-5", "together_ai/openai/gpt-oss-120b"
  std::string provider;                       // litellm_provider
  std::string mode;                           // chat, completion, responses, ...
  double input_usd_per_mtok = 0;              // fresh (uncached) input
  std::optional<double> cached_input_usd_per_mtok;  // cache read; absent when the provider does not price it
  std::optional<double> cache_write_usd_per_mtok;   // cache creation; absent when not priced separately
  double output_usd_per_mtok = 0;
  long long max_input_tokens = 0;             // 0 = not given

  // Price of a cached input token: the cache-read price, or the fresh price when caching is not priced.
  double effective_cached_input_usd_per_mtok() const { return cached_input_usd_per_mtok.value_or(input_usd_per_mtok); }
  // Price of a cache-write token: the cache-write price, or the fresh price when not priced separately.
  // A cache miss costs the input price unless the provider charges a separate, positive write price: a listed
  // write price of 0 (DeepSeek, providers with automatic caching) means "no surcharge", not "free".
  double effective_cache_write_usd_per_mtok() const {
    return cache_write_usd_per_mtok && *cache_write_usd_per_mtok > 0 ? *cache_write_usd_per_mtok : input_usd_per_mtok;
  }
};

// Parses a LiteLLM price map. Entries are kept when they have both input_cost_per_token and
// output_cost_per_token and a text mode of chat, completion or responses (image, audio, embedding and
// rerank entries and the "sample_spec" documentation entry are skipped). USD per token x 1e6 = USD per 1M.
// Errors (file missing, invalid JSON, a price that is not a number or is negative) name the file, the JSON
// pointer (e.g. /gpt-5/input_cost_per_token) and the value.
std::vector<ApiPrice> load_litellm_prices(const std::filesystem::path& path);
// The shipped price list under a data directory: DIR/prices/litellm_subset_2026-07-24.json.
std::filesystem::path api_prices_path(const std::filesystem::path& data_dir);

// Exact model key first, then case-insensitive match of the key or of its last path segment
// ("gpt-oss-120b" finds "together_ai/openai/gpt-oss-120b" only if no exact key matches; the first such entry
// wins). Returns nullptr when nothing matches.
const ApiPrice* find_api_price(const std::vector<ApiPrice>& prices, std::string_view model);
// Same; an unknown model throws InputError (field "model") with a did-you-mean hint.
const ApiPrice& api_price(const std::vector<ApiPrice>& prices, std::string_view model, std::string_view origin);

}  // namespace tokenmath::cost
