// `tokenmath prices` and `tokenmath cost --system ID [--<assumption> VALUE ...]`.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

namespace {
std::string dashed(std::string s) {
  std::replace(s.begin(), s.end(), '_', '-');
  return "--" + s;
}
}  // namespace

void add_cost_commands(CLI::App& app) {
  const std::vector<std::string> formats = {"table", "json", "csv", "md"};
  const std::vector<report::Format> allowed = {report::Format::table, report::Format::json, report::Format::csv,
                                               report::Format::md};

  auto* prices = app.add_subcommand("prices", "List API prices per 1M tokens (fresh input, cached input, cache write, output)");
  auto filter = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto prices_format = std::make_shared<std::string>();
  prices->add_option("--filter", *filter, "case-insensitive substring of model or provider");
  prices->add_option("--file", *file,
                     "a LiteLLM model_prices_and_context_window.json (default: the shipped dated subset)");
  add_format_option(prices, *prices_format, formats);
  prices->callback([=] {
    const auto f = report::parse_format(*prices_format, allowed);
    fmt::print("{}", report::render_prices(api::prices(context(), *filter, *file), f));
  });

  auto* cost = app.add_subcommand(
      "cost", "Break down $/GPU-hour of a system owned (capital, power, facility, ops) next to rented tiers");
  auto system = std::make_shared<std::string>();
  auto cost_format = std::make_shared<std::string>();
  cost->add_option("--system", *system, "system id or alias (see `tokenmath systems`); without it, one row per system");
  add_format_option(cost, *cost_format, formats);
  // One flag per cost assumption, declared once in the cost module (data/costs.yaml keys).
  auto values = std::make_shared<std::map<std::string, double>>();
  auto options = std::make_shared<std::vector<std::pair<api::CostFlag, CLI::Option*>>>();
  for (const auto& flag : api::cost_flags()) {
    CLI::Option* o = cost->add_option(dashed(flag.key), (*values)[flag.key],
                                      fmt::format("{} [{}]", flag.help, flag.unit));
    options->emplace_back(flag, o);
  }
  cost->callback([=] {
    std::vector<api::CostOverride> overrides;
    for (const auto& [flag, o] : *options)
      if (o->count() > 0) overrides.push_back({flag.key, values->at(flag.key), dashed(flag.key), "<command line>"});
    const auto f = report::parse_format(*cost_format, allowed);
    fmt::print("{}", system->empty() ? report::render_system_costs(api::system_costs(context(), overrides), f)
                                      : report::render_system_cost(api::system_cost(context(), *system, overrides), f));
  });
}

}  // namespace tokenmath::cli
