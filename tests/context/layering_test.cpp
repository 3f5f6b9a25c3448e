// Nothing below apps/ speaks CLI: library errors name request options `like_this` (frontends word them), never
// a --flag or "<command line>", and the library holds no loaded data of its own (function-local singletons).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "run_cli.hpp"

namespace tokenmath {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> offending_lines(const std::regex& re) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(TOKENMATH_SOURCE_DIR) / "src")) {
    if (!e.is_regular_file() || (e.path().extension() != ".cpp" && e.path().extension() != ".hpp")) continue;
    std::ifstream in(e.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const auto code = line.substr(0, line.find("//"));  // comments may mention flags
      if (std::regex_search(code, re)) out.push_back(e.path().string() + ":" + std::to_string(n) + ": " + line);
    }
  }
  return out;
}

TEST(Layering, NoCliFlagOrCommandLineBelowApps) {
  // Errors are where a flag would leak (engine launch commands in report/export are content, not our flags).
  const auto flags = offending_lines(std::regex(R"(InputError\([^;]*"[^"]*--[a-z][a-z-]+)"));
  EXPECT_TRUE(flags.empty()) << flags.size() << " string literals name a --flag in src/, e.g. " << flags.front();
  const auto origin = offending_lines(std::regex(R"("<command line>")"));
  EXPECT_TRUE(origin.empty()) << origin.front();
}

TEST(Layering, NoFunctionLocalDataSingletons) {
  // A static holding loaded data (a Catalog, price list, efficiency table, scenario...) in the library.
  const auto statics = offending_lines(std::regex(R"(static const (Catalog|EfficiencyTable|SpecTable|CostAssumptions|Scenario|Context|std::vector<(ApiPrice|RentalPrice|EngineProfile)>) )"));
  EXPECT_TRUE(statics.empty()) << statics.front();
}

// The CLI words request errors as flags.
TEST(Layering, CliWordsRequestOptionsAsFlags) {
  const auto r = testing::run_cli("perf --model llama-3.1-8b --gpu h100 --tp 4 --ep 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("<command line>: --ep: value '3': must divide --tp (4)"), std::string::npos) << r.err;
  const auto g = testing::run_cli("gpu h1000");
  EXPECT_NE(g.err.find("(see `tokenmath gpus`)"), std::string::npos) << g.err;  // not an option name: kept
}

}  // namespace
}  // namespace tokenmath
