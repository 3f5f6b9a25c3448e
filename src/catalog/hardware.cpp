// Loaders and name resolution for accelerators (data/gpus.yaml) and systems (data/systems.yaml).
#include "tokenmath/catalog/hardware.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/yaml_file.hpp"

namespace tokenmath::catalog {

double GpuSpec::peak_flops(ComputeClass c) const {
  switch (c) {
    // No accelerator in the catalog publishes a dense fp32 matrix rate we use; fp32 GEMMs run as TF32/bf16
    // on tensor cores at best, so the bf16 figure is an upper bound and we take half of it (TF32 rate).
    case ComputeClass::fp32: return dense_bf16_tflops * 0.5e12;
    case ComputeClass::bf16: return dense_bf16_tflops * 1e12;
    case ComputeClass::fp8: return dense_fp8_tflops * 1e12;
    case ComputeClass::fp4: return dense_fp4_tflops * 1e12;
  }
  return 0;
}

namespace {

// Reads typed fields of one YAML mapping and reports errors with file and key path ("gpus[3].mem_tb_s").
class EntryReader {
 public:
  EntryReader(const YAML::Node& node, std::string file, std::string path)
      : node_(node), file_(std::move(file)), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const { return path_ + "." + std::string(key); }

  [[noreturn]] void fail(std::string_view key, const std::string& value, const std::string& problem) const {
    throw InputError(file_, key_path(key), value, problem);
  }

  static std::string text_of(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    YAML::Emitter e;
    e << YAML::Flow << n;
    return e.c_str();
  }

  std::string str(std::string_view key, bool required = true) const {
    const YAML::Node n = node_[std::string(key)];
    if (!n || n.IsNull()) {
      if (required) fail(key, "", "missing required field");
      return "";
    }
    if (!n.IsScalar()) fail(key, text_of(n), "expected text");
    if (required && n.Scalar().empty()) fail(key, "", "must not be empty");
    return n.Scalar();
  }

  // A number; absent -> nullopt when optional. Rejects text such as "~16700" (put approximations in notes).
  std::optional<double> num(std::string_view key, bool required) const {
    const YAML::Node n = node_[std::string(key)];
    if (!n || n.IsNull()) {
      if (required) fail(key, "", "missing required field");
      return std::nullopt;
    }
    if (!n.IsScalar()) fail(key, text_of(n), "expected a number");
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      fail(key, n.Scalar(), "expected a number");
    }
    if (!std::isfinite(v)) fail(key, n.Scalar(), "expected a finite number");
    return v;
  }

  double positive(std::string_view key) const {
    const double v = *num(key, true);
    if (v <= 0) fail(key, text_of(node_[std::string(key)]), "must be > 0");
    return v;
  }

  // Optional non-negative figure: absent = 0 (meaning "not supported" or "not published", per field).
  double optional_positive(std::string_view key) const {
    const auto v = num(key, false);
    if (!v) return 0;
    if (*v <= 0) fail(key, text_of(node_[std::string(key)]), "must be > 0 (leave the field out if not published)");
    return *v;
  }

  int positive_int(std::string_view key, std::optional<int> default_value = std::nullopt) const {
    const YAML::Node n = node_[std::string(key)];
    if ((!n || n.IsNull()) && default_value) return *default_value;
    const double v = *num(key, true);
    if (v <= 0 || v != std::floor(v) || v > 1e7) fail(key, text_of(n), "must be a positive whole number");
    return static_cast<int>(v);
  }

  bool boolean(std::string_view key, bool default_value) const {
    const YAML::Node n = node_[std::string(key)];
    if (!n || n.IsNull()) return default_value;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(key, text_of(n), "expected true or false");
    }
  }

  std::vector<std::string> str_list(std::string_view key) const {
    const YAML::Node n = node_[std::string(key)];
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) fail(key, text_of(n), "expected a list of text");
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar() || n[i].Scalar().empty())
        throw InputError(file_, fmt::format("{}[{}]", key_path(key), i), text_of(n[i]), "expected non-empty text");
      out.push_back(n[i].Scalar());
    }
    return out;
  }

  // Every key must be one the loader knows: a misspelled key fails instead of being silently ignored.
  void check_keys(const std::set<std::string>& known) const {
    for (const auto& kv : node_) {
      const std::string k = kv.first.as<std::string>();
      if (!known.count(k)) {
        const std::vector<std::string> names(known.begin(), known.end());
        fail(k, "", "unknown field" + did_you_mean(k, names));
      }
    }
  }

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
};

YAML::Node load_list(const std::filesystem::path& path, const std::string& top_key) {
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node list = root[top_key];
  if (!list || !list.IsSequence() || list.size() == 0)
    throw InputError(path.string(), top_key, "", "expected a non-empty list under '" + top_key + "'");
  return list;
}

// Lower-case letters and digits only: "H100-SXM-80GB", "h100 sxm 80gb" and "H100_SXM_80GB" compare equal.
std::string squash(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
  return out;
}

// An id or alias may repeat within its own entry but must not name two entries (lookup would be ambiguous).
void check_unique(const std::string& file, const std::string& path, const std::string& name, std::size_t entry,
                  std::map<std::string, std::size_t>& seen) {
  const auto [it, inserted] = seen.emplace(squash(name), entry);
  if (!inserted && it->second != entry)
    throw InputError(file, path, name, fmt::format("id or alias already names entry {}", it->second));
}

}  // namespace

std::vector<GpuSpec> load_gpus(const std::filesystem::path& path) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node list = load_list(path, "gpus");
    static const std::set<std::string> known = {
        "id", "name", "vendor", "year", "dense_bf16_tflops", "dense_fp8_tflops", "dense_fp4_tflops",
        "sparse_bf16_tflops", "sparse_fp8_tflops", "sparse_fp4_tflops", "mem_gb", "mem_tb_s", "mem_kind",
        "scaleup_gb_s_per_dir", "scaleup_domain_gpus", "tdp_w", "compute_units", "preliminary", "source", "notes",
        "aliases", "derived_fields"};
    std::vector<GpuSpec> out;
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = fmt::format("gpus[{}]", i);
      if (!list[i].IsMap()) throw InputError(file, p, EntryReader::text_of(list[i]), "expected a mapping");
      const EntryReader r(list[i], file, p);
      r.check_keys(known);
      GpuSpec g;
      g.id = r.str("id");
      g.name = r.str("name");
      g.vendor = r.str("vendor");
      g.year = r.positive_int("year");
      g.dense_bf16_tflops = r.positive("dense_bf16_tflops");
      g.dense_fp8_tflops = r.optional_positive("dense_fp8_tflops");
      g.dense_fp4_tflops = r.optional_positive("dense_fp4_tflops");
      g.sparse_bf16_tflops = r.optional_positive("sparse_bf16_tflops");
      g.sparse_fp8_tflops = r.optional_positive("sparse_fp8_tflops");
      g.sparse_fp4_tflops = r.optional_positive("sparse_fp4_tflops");
      g.mem_gb = r.positive("mem_gb");
      g.mem_tb_s = r.positive("mem_tb_s");
      g.mem_kind = r.str("mem_kind");
      g.scaleup_gb_s = r.positive("scaleup_gb_s_per_dir");
      g.scaleup_domain_gpus = r.positive_int("scaleup_domain_gpus");
      g.tdp_w = r.optional_positive("tdp_w");
      g.compute_units = r.positive_int("compute_units", 0);
      g.preliminary = r.boolean("preliminary", false);
      g.source = r.str("source");
      g.notes = r.str("notes", false);
      g.aliases = r.str_list("aliases");
      g.derived_fields = r.str_list("derived_fields");
      // A sparse headline figure is twice the dense one on 2:4-capable tensor cores; dense above it means a
      // sparse figure was entered as dense.
      const std::pair<const char*, std::pair<double, double>> pairs[] = {
          {"dense_bf16_tflops", {g.dense_bf16_tflops, g.sparse_bf16_tflops}},
          {"dense_fp8_tflops", {g.dense_fp8_tflops, g.sparse_fp8_tflops}},
          {"dense_fp4_tflops", {g.dense_fp4_tflops, g.sparse_fp4_tflops}}};
      for (const auto& [key, dv] : pairs)
        if (dv.second > 0 && dv.first > dv.second)
          r.fail(key, fmt::format("{}", dv.first), fmt::format("dense figure exceeds the sparse one ({})", dv.second));
      for (const auto& f : g.derived_fields)
        if (!known.count(f)) r.fail("derived_fields", f, "names no field of a GPU entry");
      check_unique(file, r.key_path("id"), g.id, i, seen);
      check_unique(file, r.key_path("name"), g.name, i, seen);
      for (std::size_t a = 0; a < g.aliases.size(); ++a)
        check_unique(file, fmt::format("{}.aliases[{}]", p, a), g.aliases[a], i, seen);
      out.push_back(std::move(g));
    }
    return out;
  });
}

std::vector<SystemSpec> load_systems(const std::filesystem::path& path, const std::vector<GpuSpec>& gpus) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node list = load_list(path, "systems");
    static const std::set<std::string> known = {
        "id", "name", "gpu", "gpus_per_node", "gpus_per_rack", "scaleup_domain_gpus", "scaleout_gb_s_per_gpu",
        "wall_w_per_gpu", "cooling", "price_usd_per_gpu", "price_date", "price_source", "source", "preliminary",
        "aliases", "notes", "derived_fields", "host_memory_gb_per_gpu", "host_link_gb_s_per_gpu", "host_source"};
    std::vector<SystemSpec> out;
    std::map<std::string, std::size_t> seen;
    std::vector<std::string> gpu_ids;
    for (const auto& g : gpus) gpu_ids.push_back(g.id);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = fmt::format("systems[{}]", i);
      if (!list[i].IsMap()) throw InputError(file, p, EntryReader::text_of(list[i]), "expected a mapping");
      const EntryReader r(list[i], file, p);
      r.check_keys(known);
      SystemSpec s;
      s.id = r.str("id");
      s.name = r.str("name");
      s.gpu_id = r.str("gpu");
      if (std::find(gpu_ids.begin(), gpu_ids.end(), s.gpu_id) == gpu_ids.end())
        r.fail("gpu", s.gpu_id, "no GPU with this id in gpus.yaml" + did_you_mean(s.gpu_id, gpu_ids));
      s.gpus_per_node = r.positive_int("gpus_per_node");
      s.gpus_per_rack = r.positive_int("gpus_per_rack");
      s.scaleup_domain_gpus = r.positive_int("scaleup_domain_gpus");
      if (s.gpus_per_rack < s.gpus_per_node)
        r.fail("gpus_per_rack", std::to_string(s.gpus_per_rack), "must be >= gpus_per_node");
      s.scaleout_gb_s_per_gpu = r.positive("scaleout_gb_s_per_gpu");
      s.wall_w_per_gpu = r.positive("wall_w_per_gpu");
      s.host_memory_gb_per_gpu = r.positive("host_memory_gb_per_gpu");
      s.host_link_gb_s_per_gpu = r.positive("host_link_gb_s_per_gpu");
      s.host_source = r.str("host_source");
      s.cooling = r.str("cooling");
      if (s.cooling != "air" && s.cooling != "liquid") r.fail("cooling", s.cooling, "expected 'air' or 'liquid'");
      s.price_usd_per_gpu = r.positive("price_usd_per_gpu");
      s.price_date = r.str("price_date");
      s.price_source = r.str("price_source");
      s.source = r.str("source");
      s.preliminary = r.boolean("preliminary", false);
      s.aliases = r.str_list("aliases");
      s.notes = r.str("notes", false);
      s.derived_fields = r.str_list("derived_fields");
      for (const auto& f : s.derived_fields)
        if (!known.count(f)) r.fail("derived_fields", f, "names no field of a system entry");
      check_unique(file, r.key_path("id"), s.id, i, seen);
      check_unique(file, r.key_path("name"), s.name, i, seen);
      for (std::size_t a = 0; a < s.aliases.size(); ++a)
        check_unique(file, fmt::format("{}.aliases[{}]", p, a), s.aliases[a], i, seen);
      out.push_back(std::move(s));
    }
    return out;
  });
}

// ---- name resolution ------------------------------------------------------------------------------------

namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

// Variants of a squashed name that published sources add or drop: a vendor prefix ("nvidia", "amd",
// "amdinstinct") and a trailing memory size ("80gb", "141gb", "192gib").
std::vector<std::string> variants(const std::string& sq) {
  std::vector<std::string> out{sq};
  // Vendor and brand prefixes, and the system a GPU is named after ("NVIDIA HGX B200", "DGX H100"), one after
  // the other.
  for (std::string rest = sq;;) {
    bool stripped = false;
    for (std::string_view prefix : {"amdinstinct", "nvidia", "amd", "instinct", "hgx", "dgx"})
      if (starts_with(rest, prefix) && rest.size() > prefix.size()) {
        rest = rest.substr(prefix.size());
        out.push_back(rest);
        stripped = true;
        break;
      }
    if (!stripped) break;
  }
  const std::size_t n = out.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string v = out[i];  // copy: push_back below may reallocate `out`
    for (std::string_view unit : {"gb", "gib"}) {
      if (v.size() <= unit.size() || v.compare(v.size() - unit.size(), unit.size(), unit) != 0) continue;
      std::size_t end = v.size() - unit.size(), start = end;
      while (start > 0 && std::isdigit(static_cast<unsigned char>(v[start - 1]))) --start;
      if (start < end && start > 0) out.push_back(v.substr(0, start));
    }
  }
  return out;
}

template <typename Spec>
const Spec* resolve_in(const std::vector<Spec>& specs, std::string_view name) {
  if (name.empty()) return nullptr;
  // Pass 1: exact id (case-insensitive). Pass 2: squashed id, name or alias. Pass 3: the same after dropping
  // vendor prefix or memory suffix from the query (an entry whose own names carry the memory size, such as
  // gh200-96gb, is matched in pass 2 first, so sizes still distinguish variants).
  const std::string lower = to_lower(name);
  for (const auto& s : specs)
    if (to_lower(s.id) == lower) return &s;
  auto names_of = [](const Spec& s) {
    std::vector<std::string> v{squash(s.id), squash(s.name)};
    for (const auto& a : s.aliases) v.push_back(squash(a));
    return v;
  };
  std::vector<std::string> queries = variants(squash(name));
  // A memory size written as its own token ("B200-192GB") is also dropped before squashing, where its digits
  // would otherwise merge with the model number ("b200192gb").
  static const std::regex memory_token(R"([\s_\-(]+\d+(\.\d+)?\s*gi?b\)?\s*$)");
  const std::string raw = to_lower(name);
  const std::string dropped = std::regex_replace(raw, memory_token, "");
  if (dropped != raw && !dropped.empty())
    for (auto& v : variants(squash(dropped))) queries.push_back(std::move(v));
  for (const auto& q : queries)
    for (const auto& s : specs)
      for (const auto& n : names_of(s))
        if (n == q) return &s;
  return nullptr;
}

template <typename Spec>
std::vector<std::string> ids_of(const std::vector<Spec>& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.id);
  return out;
}

}  // namespace

// A memory size printed in the name ("A100-SXM4-40GB") must agree with the entry it resolves to within 12%
// (vendors print 180 or 192 GB for the same B200): a different memory variant is not the same accelerator
// for capacity planning, so it resolves to nothing rather than silently to the other size.
const GpuSpec* Catalog::resolve_gpu(std::string_view name) const {
  const GpuSpec* g = resolve_in(gpus_, name);
  if (!g) return nullptr;
  const std::string lower = to_lower(name);
  for (std::size_t at = lower.find("gb"); at != std::string::npos; at = lower.find("gb", at + 2)) {
    std::size_t start = at;
    while (start > 0 && (std::isdigit(static_cast<unsigned char>(lower[start - 1])) || lower[start - 1] == '.')) --start;
    if (start == at) continue;
    const double printed = std::atof(lower.substr(start, at - start).c_str());
    if (printed > 0 && g->mem_gb > 0 && std::fabs(printed / g->mem_gb - 1.0) > 0.12) return nullptr;
  }
  return g;
}

// A system by its own names first; failing that, a GPU name that exactly one system is built from ("B200" ->
// hgx-b200, "GB200-NVL72" -> gb200-nvl72).
const SystemSpec* Catalog::resolve_system(std::string_view name) const {
  if (const SystemSpec* s = resolve_in(systems_, name)) return s;
  const GpuSpec* g = resolve_gpu(name);
  if (!g) return nullptr;
  const SystemSpec* only = nullptr;
  for (const auto& s : systems_) {
    if (s.gpu_id != g->id) continue;
    if (only) return nullptr;
    only = &s;
  }
  return only;
}

const GpuSpec& Catalog::gpu(std::string_view name) const {
  if (const GpuSpec* g = resolve_gpu(name)) return *g;
  throw InputError(kRequest, "gpu", std::string(name),
                   "unknown accelerator" + did_you_mean(name, ids_of(gpus_)) + " (see `tokenmath gpus`)");
}

const SystemSpec& Catalog::system(std::string_view name) const {
  if (const SystemSpec* s = resolve_system(name)) return *s;
  throw InputError(kRequest, "system", std::string(name),
                   "unknown system" + did_you_mean(name, ids_of(systems_)) + " (see `tokenmath systems`)");
}

}  // namespace tokenmath::catalog
