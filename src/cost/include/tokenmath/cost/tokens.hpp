// Token kinds, token volumes and their prices, on an API or on GPUs paid by the hour.
//
// Own hardware: a deployment of `gpus` GPUs costs usd_per_gpu_hour x gpus per hour whether busy or idle. The
// perf model (via the planner) attributes the deployment's time to the tokens it serves: for each token kind,
// the seconds of deployment time one token of that kind occupies when the deployment runs at its modelled
// throughput (busy time). The attribution used by the planner:
//   fresh input  : prefill compute of the uncached prompt tokens (time of the prefill passes / tokens prefilled)
//   cached input : a prefix-cache hit skips prefill compute but holds KV capacity and is re-read by attention
//                  every decode step; its share of decode-step time and of the KV memory that limits batch size
//   output       : decode steps (time of a decode step / tokens it emits), net of the cached-input share
// The shares must add up to the busy time of the workload so that cost is neither lost nor counted twice:
//   sum_k tokens_k x seconds_per_token_k = busy seconds.
// Then, with utilisation u = busy hours / paid hours (0 < u <= 1),
//   usd_per_mtok_k = usd_per_gpu_hour x gpus / 3600 x seconds_per_token_k x 1e6 / u
// so idle hours are charged to the tokens that are served. Lower u never lowers the price.
#pragma once

#include "tokenmath/cost/api_price.hpp"

namespace tokenmath::cost {

// Token counts by kind (any unit: per request, per day, per year).
struct TokenVolume {
  double fresh_input = 0;   // uncached prompt tokens (prefilled)
  double cached_input = 0;  // prompt tokens served from the prefix cache
  double cache_write = 0;   // prompt tokens written to an API's prompt cache: billed at the cache-write price
                            // instead of the fresh price, so they are counted here and not in fresh_input
  double output = 0;        // generated tokens
  double total() const { return fresh_input + cached_input + cache_write + output; }
};

// Price per 1M tokens by kind, USD.
struct TokenPrices {
  double fresh_input_usd_per_mtok = 0;
  double cached_input_usd_per_mtok = 0;
  double cache_write_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
};

// API price list entry -> TokenPrices (unpriced cache read/write fall back to the fresh-input price).
TokenPrices token_prices(const ApiPrice& p);

// Dollars for a volume: sum_k volume_k x usd_per_mtok_k / 1e6.
double cost_usd(const TokenPrices& prices, const TokenVolume& volume);
// Blended USD per 1M tokens of the volume: cost_usd / total x 1e6 (0 when the volume is empty).
double blended_usd_per_mtok(const TokenPrices& prices, const TokenVolume& volume);

// Deployment seconds per token of each kind at the modelled throughput (see the attribution above).
struct SecondsPerToken {
  double fresh_input = 0;
  double cached_input = 0;
  double output = 0;
};

struct OwnedTokenCostInputs {
  double usd_per_gpu_hour = 0;     // owned (OwnedCost::total_usd_per_gpu_hour) or rented price
  int gpus = 1;                    // GPUs in the deployment (replica) the seconds refer to
  SecondsPerToken seconds_per_token;
  double utilization = 1;          // busy hours / paid hours, 0 < u <= 1
};

// usd_per_mtok_k = usd_per_gpu_hour x gpus / 3600 x seconds_per_token_k x 1e6 / utilization;
// cache_write_usd_per_mtok = fresh_input_usd_per_mtok (writing the KV of a fresh token is its prefill).
// Throws InputError (origin "<cost>") on a negative price or seconds, gpus < 1, or u outside (0, 1].
TokenPrices owned_token_prices(const OwnedTokenCostInputs& in);

}  // namespace tokenmath::cost
