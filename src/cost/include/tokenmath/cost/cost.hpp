// The cost module: owned and rented $/GPU-hour, API prices, and $/M tokens by token kind.
#pragma once
#include "tokenmath/cost/api_price.hpp"
#include "tokenmath/cost/assumptions.hpp"
#include "tokenmath/cost/owned.hpp"
#include "tokenmath/cost/rental.hpp"
#include "tokenmath/cost/tokens.hpp"
