#include "tokenmath/cost/tokens.hpp"

#include <fmt/format.h>

#include <cmath>

#include "tokenmath/common/error.hpp"

namespace tokenmath::cost {

TokenPrices token_prices(const ApiPrice& p) {
  return TokenPrices{p.input_usd_per_mtok, p.effective_cached_input_usd_per_mtok(),
                     p.effective_cache_write_usd_per_mtok(), p.output_usd_per_mtok};
}

double cost_usd(const TokenPrices& p, const TokenVolume& v) {
  return (v.fresh_input * p.fresh_input_usd_per_mtok + v.cached_input * p.cached_input_usd_per_mtok +
          v.cache_write * p.cache_write_usd_per_mtok + v.output * p.output_usd_per_mtok) /
         1e6;
}

double blended_usd_per_mtok(const TokenPrices& p, const TokenVolume& v) {
  const double total = v.total();
  return total > 0 ? cost_usd(p, v) / total * 1e6 : 0.0;
}

namespace {
void require_non_negative(double v, const char* field) {
  if (!(v >= 0) || !std::isfinite(v)) throw InputError("<cost>", field, fmt::format("{}", v), "must be >= 0");
}
}  // namespace

TokenPrices owned_token_prices(const OwnedTokenCostInputs& in) {
  require_non_negative(in.usd_per_gpu_hour, "usd_per_gpu_hour");
  require_non_negative(in.seconds_per_token.fresh_input, "seconds_per_token.fresh_input");
  require_non_negative(in.seconds_per_token.cached_input, "seconds_per_token.cached_input");
  require_non_negative(in.seconds_per_token.output, "seconds_per_token.output");
  if (in.gpus < 1) throw InputError("<cost>", "gpus", std::to_string(in.gpus), "must be >= 1");
  if (!(in.utilization > 0 && in.utilization <= 1))
    throw InputError("<cost>", "utilization", fmt::format("{}", in.utilization), "must be in (0, 1]");
  // USD per deployment-second of paid time, spread over busy time: / utilisation.
  const double usd_per_busy_s = in.usd_per_gpu_hour * in.gpus / 3600.0 / in.utilization;
  TokenPrices p;
  p.fresh_input_usd_per_mtok = usd_per_busy_s * in.seconds_per_token.fresh_input * 1e6;
  p.cached_input_usd_per_mtok = usd_per_busy_s * in.seconds_per_token.cached_input * 1e6;
  p.cache_write_usd_per_mtok = p.fresh_input_usd_per_mtok;
  p.output_usd_per_mtok = usd_per_busy_s * in.seconds_per_token.output * 1e6;
  return p;
}

}  // namespace tokenmath::cost
