// Loading the shipped catalog and resolving model names as published sources print them.
// (GPU/system members live in hardware.cpp.)
#include "tokenmath/catalog/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"

namespace tokenmath::catalog {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Normal form of a model name: lower case; parenthetical notes removed ("DeepSeek-R1 (671B)" -> "deepseek-r1");
// spaces and underscores as '-';
// then release and quantisation suffixes stripped repeatedly (-instruct, -chat, -base, -hf, -it, -fp8, -fp4,
// -nvfp4, -awq, ..., -v0.1, see below) and a 4-digit date tag (-0528, -2407). "meta-llama-3..." becomes "llama-3...".
std::string normalise_model_name(std::string_view name) {
  std::string s;
  int depth = 0;
  for (char ch : name) {
    if (ch == '(' || ch == '[') ++depth;
    else if ((ch == ')' || ch == ']') && depth > 0) --depth;
    else if (depth == 0) s += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  for (char& ch : s)
    if (ch == ' ' || ch == '_') ch = '-';
  // trim '-' runs and ends
  std::string t;
  for (char ch : s)
    if (!(ch == '-' && (t.empty() || t.back() == '-'))) t += ch;
  while (!t.empty() && t.back() == '-') t.pop_back();
  if (t.rfind("meta-llama-", 0) == 0) t = t.substr(5);
  // Quantised-checkpoint tags (-fp8, -fp4, -nvfp4, -mxfp4, -mxfp8, -fp8-dynamic, -awq, -gptq, -int4, -int8, -w4a16,
  // -w4a8, -w8a8; AMD's -fp8-kv, -ptpc and -mxfp4-preview, NVIDIA's -fp4-v2) name the same architecture.
  static const std::vector<std::string_view> suffixes = {
      "-instruct", "-chat", "-base", "-hf", "-it", "-fp8", "-bf16", "-fp16", "-fp4", "-nvfp4", "-mxfp4", "-mxfp8",
      "-dynamic", "-awq", "-gptq", "-int4", "-int8", "-w4a16", "-w4a8", "-w8a8", "-v0.1", "-v1", "-fp8-kv", "-fp4-v2",
      "-ptpc", "-preview"};
  for (bool changed = true; changed;) {
    changed = false;
    for (auto suf : suffixes)
      if (ends_with(t, suf) && t.size() > suf.size()) {
        t.resize(t.size() - suf.size());
        changed = true;
      }
    if (t.size() > 5 && t[t.size() - 5] == '-' &&
        std::all_of(t.end() - 4, t.end(), [](unsigned char c) { return std::isdigit(c); })) {
      t.resize(t.size() - 5);
      changed = true;
    }
  }
  return t;
}

// "meta-llama/llama-3.1-8b" -> "llama-3.1-8b" (the Hugging Face organisation dropped); unchanged without '/'.
std::string strip_org(const std::string& key) {
  const auto slash = key.find('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

// Normalised names a model answers to: id, display name, aliases, and its HF repo with and without the
// organisation. (Aliases keep their '/': "DeepSeek-V3/R1" is a name, not an organisation.)
std::vector<std::string> keys_of(const ModelSpec& m) {
  std::vector<std::string> out;
  for (const auto& n : {m.id, m.display_name}) out.push_back(normalise_model_name(n));
  for (const auto& a : m.aliases) out.push_back(normalise_model_name(a));
  if (!m.hf_repo.empty()) {
    std::string repo = m.hf_repo;
    if (auto sp = repo.find(' '); sp != std::string::npos) repo = repo.substr(0, sp);
    out.push_back(normalise_model_name(repo));
    out.push_back(strip_org(normalise_model_name(repo)));
  }
  return out;
}

// A name is taken as a file path when it names a .json file or starts like a path.
bool looks_like_path(std::string_view s) {
  const std::string str(s);
  return ends_with(str, ".json") || str.rfind('/', 0) == 0 || str.rfind("./", 0) == 0 || str.rfind("../", 0) == 0 ||
         str.rfind('~', 0) == 0;
}

}  // namespace

Catalog Catalog::load(const std::filesystem::path& data_dir) {
  Catalog c;
  const auto models_dir = data_dir / "models";
  std::error_code ec;
  if (!std::filesystem::is_directory(models_dir, ec))
    throw InputError(models_dir.string(), "", "", "model catalog directory not found (set TOKENMATH_DATA?)");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(models_dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  // Every id and alias must name one model only (after normalisation).
  std::map<std::string, std::string> owner;
  for (const auto& f : files) {
    ModelSpec m = load_model_config(f);
    std::vector<std::string> names = {m.id, m.display_name};
    names.insert(names.end(), m.aliases.begin(), m.aliases.end());
    for (const auto& n : names) {
      auto [it, inserted] = owner.emplace(normalise_model_name(n), m.id);
      if (!inserted && it->second != m.id)
        throw InputError(f.string(), "/_meta/aliases", n, "name already used by model '" + it->second + "'");
    }
    c.models_.push_back(std::move(m));
  }
  c.gpus_ = load_gpus(data_dir / "gpus.yaml");
  c.systems_ = load_systems(data_dir / "systems.yaml", c.gpus_);
  return c;
}

const ModelSpec* Catalog::resolve_model(std::string_view name) const {
  const std::string key = normalise_model_name(name);
  if (key.empty()) return nullptr;
  for (const auto& m : models_)
    if (to_lower(m.id) == to_lower(name)) return &m;
  // Full name first ("deepseek-v3/r1" is an alias), then without an organisation prefix.
  for (const std::string& k : {key, strip_org(key)})
    for (const auto& m : models_)
      for (const auto& mk : keys_of(m))
        if (mk == k) return &m;
  return nullptr;
}

ModelSpec Catalog::model(std::string_view id_or_path) const {
  if (const ModelSpec* m = resolve_model(id_or_path)) return *m;
  std::error_code ec;
  const std::filesystem::path p{std::string(id_or_path)};
  if (std::filesystem::exists(p, ec) || looks_like_path(id_or_path)) return load_model_config(p);
  std::vector<std::string> ids;
  for (const auto& m : models_) ids.push_back(m.id);
  std::vector<std::string> hint = closest_names(normalise_model_name(id_or_path), ids);
  std::string problem = "unknown model (not a catalog id, alias or config.json path; see `tokenmath models`)";
  if (!hint.empty()) problem += did_you_mean(normalise_model_name(id_or_path), ids);
  throw InputError("<model catalog>", "model", std::string(id_or_path), problem);
}

}  // namespace tokenmath::catalog
