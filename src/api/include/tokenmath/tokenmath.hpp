// The tokenmath facade: the only header frontends include.
#pragma once
#include "tokenmath/context.hpp"
#include "tokenmath/api/catalog.hpp"
#include "tokenmath/api/perf.hpp"
#include "tokenmath/api/cost.hpp"
#include "tokenmath/api/plan.hpp"
#include "tokenmath/api/schema.hpp"
#include "tokenmath/report/perf.hpp"
#include "tokenmath/report/plan.hpp"
#include "tokenmath/report/schema.hpp"
#include "tokenmath/report/sim.hpp"
#include "tokenmath/api/sim.hpp"
