// Golden scenarios: every tests/golden/sim/<name>.yaml is simulated and its JSON summary compared with the approved
// tests/golden/sim/<name>.approved.json (numbers to a relative 1e-9, everything else exactly).
// Re-approve after an intended behaviour change (and review the diff in git):
//   TOKENMATH_APPROVE_GOLDEN=1 build/<dir>/tests/tm_sim_tests --gtest_filter='Golden*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/report/sim.hpp"
#include "tokenmath/sim/scenario.hpp"

namespace fs = std::filesystem;
using namespace tokenmath;

namespace {

fs::path golden_dir() { return fs::path(TOKENMATH_SOURCE_DIR) / "tests" / "golden" / "sim"; }

std::vector<std::string> golden_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(golden_dir()))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json run_scenario(const fs::path& yaml) {
  const sim::Scenario sc = sim::load_scenario(test::shipped(), yaml);
  auto wl = sim::make_workload(sc.workload, sc.seed);
  sim::SimOptions opt;
  opt.check_invariants = true;
  const sim::SimResult r = sim::simulate(sc.config, *wl, opt);
  return report::sim_json(sc, r);
}

// Appends "path: expected vs actual" lines for every difference.
void diff(const nlohmann::json& a, const nlohmann::json& b, const std::string& path, std::vector<std::string>& out) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    if (std::fabs(x - y) > 1e-9 * std::max(std::fabs(x), std::fabs(y)) + 1e-12)
      out.push_back(path + ": approved " + a.dump() + ", now " + b.dump());
    return;
  }
  if (a.type() != b.type()) {
    out.push_back(path + ": approved " + a.dump() + ", now " + b.dump());
    return;
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) out.push_back(path + "/" + it.key() + ": missing now");
      else diff(it.value(), b.at(it.key()), path + "/" + it.key(), out);
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) out.push_back(path + "/" + it.key() + ": new key");
    return;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      out.push_back(path + ": approved " + std::to_string(a.size()) + " items, now " + std::to_string(b.size()));
      return;
    }
    for (std::size_t i = 0; i < a.size(); ++i) diff(a[i], b[i], path + "/" + std::to_string(i), out);
    return;
  }
  if (a != b) out.push_back(path + ": approved " + a.dump() + ", now " + b.dump());
}

class Golden : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Golden, MatchesApprovedSummary) {
  const fs::path yaml = golden_dir() / (GetParam() + ".yaml");
  const fs::path approved = golden_dir() / (GetParam() + ".approved.json");
  const nlohmann::json now = run_scenario(yaml);
  // Conservation holds in every golden run: everything arrived is finished, unfinished or rejected.
  const auto& s = now.at("summary");
  EXPECT_EQ(s.at("requests_arrived").get<long long>(),
            s.at("requests_finished").get<long long>() + s.at("requests_unfinished").get<long long>() +
                s.at("requests_rejected").get<long long>());
  EXPECT_EQ(s.at("kv_blocks_allocated").get<long long>(),
            s.at("kv_blocks_freed").get<long long>() + s.at("kv_blocks_in_use_end").get<long long>() +
                s.at("kv_blocks_cached_end").get<long long>());
  const char* approve = std::getenv("TOKENMATH_APPROVE_GOLDEN");
  if (approve && std::string(approve) == "1") {
    std::ofstream(approved) << now.dump(2) << "\n";
    GTEST_SKIP() << "approved " << approved;
  }
  ASSERT_TRUE(fs::exists(approved)) << approved << " missing; run with TOKENMATH_APPROVE_GOLDEN=1 to create it";
  std::ifstream in(approved);
  const nlohmann::json want = nlohmann::json::parse(in);
  std::vector<std::string> diffs;
  diff(want, now, "", diffs);
  std::string msg;
  for (std::size_t i = 0; i < diffs.size() && i < 25; ++i) msg += "  " + diffs[i] + "\n";
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences from " << approved
                             << " (re-approve with TOKENMATH_APPROVE_GOLDEN=1 if intended):\n"
                             << msg;
}

INSTANTIATE_TEST_SUITE_P(Sim, Golden, ::testing::ValuesIn(golden_names()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(GoldenCli, SameScenarioSameBytesAndJsonMatchesApi) {
  const std::string yaml = (golden_dir() / "bursty_shared_prefix_host_tier.yaml").string();
  const auto a = tokenmath::testing::run_cli("simulate " + yaml + " --format json");
  const auto b = tokenmath::testing::run_cli("simulate " + yaml + " --format json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);  // byte-identical
  EXPECT_EQ(nlohmann::json::parse(a.out), run_scenario(yaml));
  const auto other_seed = tokenmath::testing::run_cli("simulate " + yaml + " --format json --seed 6");
  EXPECT_NE(a.out, other_seed.out);
}
