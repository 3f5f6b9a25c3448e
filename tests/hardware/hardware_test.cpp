// Accelerator and system catalog: data sanity, name resolution, loader errors, CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "run_cli.hpp"
#include "shipped.hpp"
#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"

namespace tokenmath {
namespace {

using catalog::Catalog;
using catalog::GpuSpec;
using catalog::SystemSpec;
using ::testing::HasSubstr;

const std::string kData = TOKENMATH_SOURCE_DIR "/data";

std::vector<GpuSpec> shipped_gpus() { return catalog::load_gpus(kData + "/gpus.yaml"); }

// Runs `fn`, which must throw InputError, and returns its message.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InputError";
  return "";
}

TEST(GpuCatalog, ListsEveryReferenceAcceleratorPlusGh200AndH800) {
  std::set<std::string> ids;
  for (const auto& g : shipped_gpus()) ids.insert(g.id);
  for (const char* id : {"a100-sxm-80gb", "h100-sxm", "h800", "h100-pcie", "h100-nvl", "h200-sxm", "gh200-96gb", "gh200-144gb",
                         "b200", "b300", "gb200", "gb300", "vera-rubin", "rubin-cpx", "mi300x", "mi325x", "mi350x",
                         "mi355x", "l40s", "rtx-pro-6000-server"})
    EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(ids.size(), 20u);
}

TEST(GpuCatalog, SanityDenseBelowSparsePositiveMemoryAndSources) {
  for (const auto& g : shipped_gpus()) {
    SCOPED_TRACE(g.id);
    EXPECT_GT(g.dense_bf16_tflops, 0);
    EXPECT_GT(g.mem_gb, 0);
    EXPECT_GT(g.mem_tb_s, 0);
    EXPECT_GT(g.scaleup_gb_s, 0);
    EXPECT_GE(g.scaleup_domain_gpus, 1);
    EXPECT_FALSE(g.source.empty());
    EXPECT_FALSE(g.mem_kind.empty());
    if (g.sparse_bf16_tflops > 0) { EXPECT_LE(g.dense_bf16_tflops, g.sparse_bf16_tflops); }
    if (g.sparse_fp8_tflops > 0) { EXPECT_LE(g.dense_fp8_tflops, g.sparse_fp8_tflops); }
    if (g.sparse_fp4_tflops > 0) { EXPECT_LE(g.dense_fp4_tflops, g.sparse_fp4_tflops); }
    // Narrower formats are never slower on the same tensor cores.
    if (g.dense_fp8_tflops > 0) { EXPECT_GE(g.dense_fp8_tflops, g.dense_bf16_tflops); }
    if (g.dense_fp4_tflops > 0) { EXPECT_GE(g.dense_fp4_tflops, g.dense_fp8_tflops); }
  }
}

TEST(GpuCatalog, OnlyAnnouncedPartsArePreliminary) {
  std::set<std::string> prelim;
  for (const auto& g : shipped_gpus())
    if (g.preliminary) prelim.insert(g.id);
  EXPECT_EQ(prelim, (std::set<std::string>{"vera-rubin", "rubin-cpx"}));
}

TEST(GpuCatalog, PeakFlopsUsesDenseFiguresInFlopPerSecond) {
  const auto gpus = shipped_gpus();
  const auto h100 = std::find_if(gpus.begin(), gpus.end(), [](const GpuSpec& g) { return g.id == "h100-sxm"; });
  ASSERT_NE(h100, gpus.end());
  EXPECT_DOUBLE_EQ(h100->peak_flops(catalog::ComputeClass::bf16), 989e12);
  EXPECT_DOUBLE_EQ(h100->peak_flops(catalog::ComputeClass::fp8), 1979e12);
  EXPECT_EQ(h100->peak_flops(catalog::ComputeClass::fp4), 0);  // no FP4 on Hopper
  EXPECT_DOUBLE_EQ(h100->mem_bytes(), 80e9);
  EXPECT_DOUBLE_EQ(h100->mem_bytes_per_s(), 3.35e12);
}

TEST(GpuCatalog, PublishedNamesResolve) {
  const Catalog& cat = test::shipped().catalog;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"H100-SXM-80GB", "h100-sxm"},
      {"H200-SXM-141GB", "h200-sxm"},
      {"B200-180GB", "b200"},
      {"GB200-NVL72", "gb200"},
      {"GB300-NVL72", "gb300"},
      {"GH200-96GB", "gh200-96gb"},
      {"GH200-144GB", "gh200-144gb"},
      {"A100-SXM4-80GB", "a100-sxm-80gb"},
      {"L40S-48GB", "l40s"},
      {"RTX PRO 6000 Blackwell Server Ed.", "rtx-pro-6000-server"},
      {"MI300X", "mi300x"},
      {"MI325X", "mi325x"},
      // case, punctuation, vendor prefix and memory suffix tolerance
      {"h100 sxm", "h100-sxm"},
      {"NVIDIA H100-SXM5-80GB", "h100-sxm"},
      {"AMD Instinct MI355X", "mi355x"},
      {"mi300x-192gb", "mi300x"},
      {"B300 (HGX Blackwell Ultra)", "b300"},
      {"NVIDIA L40S", "l40s"},
      // a memory token of its own, and vendors' 180/192 GB for the same B200
      {"B200-192GB", "b200"},
      {"B200 (192 GB)", "b200"},
      {"B300-288GB", "b300"},
      // the system a GPU is named after, after the vendor
      {"HGX B200", "b200"},
      {"NVIDIA DGX H100", "h100-sxm"},
      {"NVIDIA HGX H200 141GB", "h200-sxm"},
  };
  for (const auto& [name, id] : cases) {
    const GpuSpec* g = cat.resolve_gpu(name);
    ASSERT_NE(g, nullptr) << name;
    EXPECT_EQ(g->id, id) << name;
  }
  // Memory sizes distinguish variants instead of being dropped.
  EXPECT_EQ(cat.resolve_gpu("GH200 144GB")->id, "gh200-144gb");
  EXPECT_EQ(cat.resolve_gpu("nonexistent-9000"), nullptr);
  // A memory size that contradicts the entry is another variant: nothing, not the 80 GB card.
  EXPECT_EQ(cat.resolve_gpu("A100-SXM4-40GB"), nullptr);
  EXPECT_EQ(cat.resolve_gpu("H100-SXM-40GB"), nullptr);
}

TEST(GpuCatalog, EveryAliasAndNameResolvesToItsOwnEntry) {
  const Catalog& cat = test::shipped().catalog;
  for (const auto& g : cat.gpus()) {
    EXPECT_EQ(cat.resolve_gpu(g.name)->id, g.id) << g.name;
    for (const auto& a : g.aliases) {
      const GpuSpec* r = cat.resolve_gpu(a);
      ASSERT_NE(r, nullptr) << a;
      EXPECT_EQ(r->id, g.id) << a;
    }
  }
  for (const auto& s : cat.systems()) {
    EXPECT_EQ(cat.resolve_system(s.name)->id, s.id) << s.name;
    for (const auto& a : s.aliases) {
      const SystemSpec* r = cat.resolve_system(a);
      ASSERT_NE(r, nullptr) << a;
      EXPECT_EQ(r->id, s.id) << a;
    }
  }
}

TEST(GpuCatalog, UnknownIdSuggestsClosestName) {
  const std::string msg = error_of([] { (void)test::shipped().catalog.gpu("h100-sxn"); });
  EXPECT_THAT(msg, HasSubstr("h100-sxn"));
  EXPECT_THAT(msg, HasSubstr("did you mean"));
  EXPECT_THAT(msg, HasSubstr("h100-sxm"));
}

TEST(SystemCatalog, EverySystemIsConsistentWithItsGpu) {
  const Catalog& cat = test::shipped().catalog;
  std::set<std::string> ids;
  for (const auto& s : cat.systems()) {
    SCOPED_TRACE(s.id);
    ids.insert(s.id);
    const GpuSpec* g = cat.resolve_gpu(s.gpu_id);
    ASSERT_NE(g, nullptr);
    EXPECT_FALSE(s.source.empty());
    EXPECT_FALSE(s.price_source.empty());
    EXPECT_FALSE(s.price_date.empty());
    EXPECT_GT(s.price_usd_per_gpu, 0);
    EXPECT_GT(s.scaleout_gb_s_per_gpu, 0);
    // Wall power includes the GPU itself plus host, NICs and fans.
    if (g->tdp_w > 0) { EXPECT_GT(s.wall_w_per_gpu, g->tdp_w); }
    EXPECT_LE(s.gpus_per_node, s.gpus_per_rack);
    EXPECT_LE(s.scaleup_domain_gpus, s.gpus_per_rack);
    EXPECT_TRUE(s.cooling == "air" || s.cooling == "liquid");
  }
  for (const char* id : {"hgx-h100", "hgx-h200", "hgx-b200", "hgx-b300", "gb200-nvl72", "gb300-nvl72", "mi300x-8gpu",
                         "mi325x-8gpu", "mi355x-8gpu", "l40s-8gpu", "rtx-pro-6000-8gpu"})
    EXPECT_TRUE(ids.count(id)) << id;
}

TEST(SystemCatalog, WallPowerFromCostsReference) {
  // costs.md §4: DGX H100 10.2 kW per 8 GPUs, GB200 NVL72 ~120 kW per 72 GPUs.
  const Catalog& cat = test::shipped().catalog;
  EXPECT_NEAR(cat.system("DGX H100").wall_w_per_gpu, 10200.0 / 8, 1);
  EXPECT_NEAR(cat.system("gb200-nvl72").wall_w_per_gpu, 120000.0 / 72, 1);
  EXPECT_EQ(cat.system("GB200 NVL72 rack").cooling, "liquid");
  // A GPU name that exactly one system is built from names that system.
  EXPECT_EQ(cat.system("B200").id, "hgx-b200");
  EXPECT_EQ(cat.system("MI355X").id, "mi355x-8gpu");
}

// ---- loader errors --------------------------------------------------------------------------------------

const char* kGoodGpu = R"(gpus:
  - id: test-gpu
    name: Test GPU
    vendor: T
    year: 2024
    dense_bf16_tflops: 100
    sparse_bf16_tflops: 200
    mem_gb: 80
    mem_tb_s: 2
    mem_kind: HBM3
    scaleup_gb_s_per_dir: 100
    scaleup_domain_gpus: 8
    tdp_w: 500
    source: "test"
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(GpuLoader, AcceptsAMinimalEntry) {
  const auto path = testing::write_temp(kGoodGpu, ".yaml");
  const auto gpus = catalog::load_gpus(path);
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].dense_fp8_tflops, 0);  // absent = no hardware support
}

TEST(GpuLoader, NegativeBandwidthNamesFileKeyAndValue) {
  const auto path = testing::write_temp(replace(kGoodGpu, "mem_tb_s: 2", "mem_tb_s: -2"), ".yaml");
  const std::string msg = error_of([&] { catalog::load_gpus(path); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("gpus[0].mem_tb_s"));
  EXPECT_THAT(msg, HasSubstr("'-2'"));
}

TEST(GpuLoader, DenseAboveSparseIsRejected) {
  const auto path = testing::write_temp(replace(kGoodGpu, "sparse_bf16_tflops: 200", "sparse_bf16_tflops: 50"), ".yaml");
  const std::string msg = error_of([&] { catalog::load_gpus(path); });
  EXPECT_THAT(msg, HasSubstr("gpus[0].dense_bf16_tflops"));
  EXPECT_THAT(msg, HasSubstr("sparse"));
}

TEST(GpuLoader, MissingSourceIsRejected) {
  const auto path = testing::write_temp(replace(kGoodGpu, "    source: \"test\"\n", ""), ".yaml");
  EXPECT_THAT(error_of([&] { catalog::load_gpus(path); }), HasSubstr("gpus[0].source"));
}

TEST(GpuLoader, TextWhereANumberBelongsIsRejected) {
  const auto path = testing::write_temp(replace(kGoodGpu, "mem_gb: 80", "mem_gb: ~80"), ".yaml");
  const std::string msg = error_of([&] { catalog::load_gpus(path); });
  EXPECT_THAT(msg, HasSubstr("gpus[0].mem_gb"));
  EXPECT_THAT(msg, HasSubstr("expected a number"));
}

TEST(GpuLoader, MisspelledKeySuggestsTheRightOne) {
  const auto path = testing::write_temp(replace(kGoodGpu, "mem_tb_s: 2", "mem_tbs: 2"), ".yaml");
  const std::string msg = error_of([&] { catalog::load_gpus(path); });
  EXPECT_THAT(msg, HasSubstr("gpus[0].mem_tbs"));
  EXPECT_THAT(msg, HasSubstr("mem_tb_s"));
}

TEST(GpuLoader, AliasNamingTwoEntriesIsRejected) {
  // A second entry whose alias squashes to the first entry's id ("TEST-GPU" ~ "test-gpu").
  std::string second = std::string(kGoodGpu).substr(std::string("gpus:\n").size());
  second = replace(replace(second, "id: test-gpu", "id: other-gpu"), "name: Test GPU", "name: Other GPU");
  second += "    aliases: [TEST-GPU]\n";
  const auto path = testing::write_temp(std::string(kGoodGpu) + second, ".yaml");
  const std::string msg = error_of([&] { catalog::load_gpus(path); });
  EXPECT_THAT(msg, HasSubstr("gpus[1].aliases[0]"));
  EXPECT_THAT(msg, HasSubstr("TEST-GPU"));
}

TEST(GpuLoader, MissingFileAndInvalidYaml) {
  EXPECT_THAT(error_of([] { catalog::load_gpus("/nonexistent/gpus.yaml"); }), HasSubstr("file not found"));
  const auto path = testing::write_temp("gpus: [ {id: x, \n", ".yaml");
  EXPECT_THAT(error_of([&] { catalog::load_gpus(path); }), HasSubstr("invalid YAML"));
}

TEST(SystemLoader, UnknownGpuAndBadCoolingAreRejected) {
  const auto gpus = shipped_gpus();
  const std::string sys = R"(systems:
  - id: s
    name: S
    gpu: h100-sxn
    gpus_per_node: 8
    gpus_per_rack: 32
    scaleup_domain_gpus: 8
    scaleout_gb_s_per_gpu: 50
    wall_w_per_gpu: 1275
    host_memory_gb_per_gpu: 256
    host_link_gb_s_per_gpu: 63
    host_source: "test"
    cooling: air
    price_usd_per_gpu: 1000
    price_date: "2026"
    price_source: "test"
    source: "test"
)";
  const auto p1 = testing::write_temp(sys, ".yaml");
  const std::string m1 = error_of([&] { catalog::load_systems(p1, gpus); });
  EXPECT_THAT(m1, HasSubstr("systems[0].gpu"));
  EXPECT_THAT(m1, HasSubstr("h100-sxm"));  // did you mean
  const auto p2 = testing::write_temp(replace(replace(sys, "h100-sxn", "h100-sxm"), "cooling: air", "cooling: water"), ".yaml");
  const std::string m2 = error_of([&] { catalog::load_systems(p2, gpus); });
  EXPECT_THAT(m2, HasSubstr("systems[0].cooling"));
  EXPECT_THAT(m2, HasSubstr("'water'"));
  const auto p3 = testing::write_temp(replace(replace(sys, "h100-sxn", "h100-sxm"), "price_usd_per_gpu: 1000", "price_usd_per_gpu: -5"), ".yaml");
  EXPECT_THAT(error_of([&] { catalog::load_systems(p3, gpus); }), HasSubstr("systems[0].price_usd_per_gpu: value '-5'"));
}

// ---- CLI --------------------------------------------------------------------------------------------------

TEST(HardwareCli, GpusJsonListsEveryAcceleratorWithSource) {
  const auto r = testing::run_cli("gpus --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 20u);
  for (const auto& g : j) {
    EXPECT_FALSE(g.at("source").get<std::string>().empty()) << g.at("id");
    EXPECT_GT(g.at("mem_tb_s").get<double>(), 0);
  }
}

TEST(HardwareCli, H800IsAnH100WithLessThanHalfTheNvlink) {
  // The export variant: the H100 SXM's compute and HBM, NVLink 400 GB/s bidirectional (200 per direction).
  const auto h800 = nlohmann::json::parse(testing::run_cli("gpu H800 --format json").out);
  const auto h100 = nlohmann::json::parse(testing::run_cli("gpu h100-sxm --format json").out);
  EXPECT_EQ(h800.at("id"), "h800");
  EXPECT_EQ(h800.at("dense_fp8_tflops"), h100.at("dense_fp8_tflops"));
  EXPECT_EQ(h800.at("mem_tb_s"), h100.at("mem_tb_s"));
  EXPECT_EQ(h800.at("scaleup_gb_s_per_dir").get<double>(), 200);
  EXPECT_LT(h800.at("scaleup_gb_s_per_dir").get<double>() * 2, h100.at("scaleup_gb_s_per_dir").get<double>());
}

TEST(HardwareCli, GpuShowTableCsvAndUnknownId) {
  auto r = testing::run_cli("gpu H100-SXM-80GB --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("id"), "h100-sxm");
  EXPECT_EQ(j.at("sparse_bf16_tflops").get<double>(), 1979);
  r = testing::run_cli("gpu b300");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dense_fp4_tflops      14,000"));
  r = testing::run_cli("gpu mi355x --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dense_fp4_tflops,10000"));
  r = testing::run_cli("gpu h100-sxn");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean 'h100-sxm'"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);  // one line
}

TEST(HardwareCli, SystemsAndSystem) {
  auto r = testing::run_cli("systems --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("gb200-nvl72,GB200 NVL72,gb200,4,72,72"));
  r = testing::run_cli("system 'DGX H100' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("id"), "hgx-h100");
  r = testing::run_cli("system hgx-h1000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown system"));
  r = testing::run_cli("gpus --format xml");
  EXPECT_EQ(r.exit_code, 2);
  r = testing::run_cli("gpus --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--format"));
}

}  // namespace
}  // namespace tokenmath
