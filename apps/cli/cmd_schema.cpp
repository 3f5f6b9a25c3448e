// `tokenmath schema [plan|simulate|cost|efficiency]`: every key of an input file with type, unit, default, range
// and help, from the one declaration each reader checks against.
#include <fmt/format.h>

#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

void add_schema_commands(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "schema", "Print the keys of an input file (plan, simulate, cost, efficiency): type, unit, default, range, help");
  auto name = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  cmd->add_option("input", *name, "plan | simulate | cost | efficiency (default: all four)");
  add_format_option(cmd, *format, {"table", "json", "csv", "md"});
  cmd->callback([name, format] {
    const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                  report::Format::md});
    std::vector<schema::Schema> all;
    try {
      if (name->empty())
        for (const auto& n : api::schema_names()) all.push_back(api::input_schema(context(), n));
      else
        all.push_back(api::input_schema(context(), *name));
    } catch (const InputError& e) {
      throw InputError("<command line>", "input", *name, e.problem());
    }
    fmt::print("{}", report::render_schemas(all, f));
  });
}

}  // namespace tokenmath::cli
