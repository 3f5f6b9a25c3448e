#include "tokenmath/perf/efficiency.hpp"

#include <fmt/format.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <mutex>

#include "tokenmath/common/data_dir.hpp"
#include "tokenmath/common/error.hpp"
#include "tokenmath/common/yaml_file.hpp"

namespace tokenmath::perf {

namespace {
// YAML key -> member, with its schema declaration (unit, range, help). Keys carry their unit; runtime reserve and
// scale-out bandwidth are stored in bytes.
struct KeyDef {
  schema::Field field;
  double Efficiency::*member;
  double scale;  // value in the file * scale = member
  const char* key() const { return field.key.c_str(); }
};

KeyDef def(const char* key, double Efficiency::*member, double scale, const char* unit, const char* help) {
  schema::Field f;
  f.key = key;
  f.type = "number";
  f.unit = unit;
  f.min = std::string_view(key) == "roof_p" ? 1 : 0;
  f.help = help;
  return {std::move(f), member, scale};
}

const std::vector<KeyDef>& key_defs() {
  static const std::vector<KeyDef> defs = {
      def("compute_bf16", &Efficiency::compute_bf16, 1, "fraction", "share of the dense BF16 peak reached by GEMMs once compute-bound"),
      def("compute_fp8", &Efficiency::compute_fp8, 1, "fraction", "share of the dense FP8 peak reached by FP8 GEMMs"),
      def("compute_fp4", &Efficiency::compute_fp4, 1, "fraction", "share of the dense FP4 peak reached by NVFP4/MXFP4 GEMMs"),
      def("compute_moe", &Efficiency::compute_moe, 1, "factor", "grouped expert GEMMs' rate relative to dense BF16 GEMMs"),
      def("compute_moe_lowp", &Efficiency::compute_moe_lowp, 1, "factor", "grouped expert GEMMs' rate relative to dense FP8/FP4 GEMMs"),
      def("attention_compute", &Efficiency::attention_compute, 1, "fraction", "share of the BF16 peak reached by attention kernels (long prompts)"),
      def("attention_half_tokens", &Efficiency::attention_half_tokens, 1, "tokens", "prompt length at which prefill attention reaches half of attention_compute"),
      def("softmax_flop_equiv", &Efficiency::softmax_flop_equiv, 1, "FLOPs", "matmul FLOPs one attention score's softmax exponential costs in prefill (matmul peak / exp rate)"),
      def("attention_ref_head_flops", &Efficiency::attention_ref_head_flops, 1, "FLOPs", "matmul FLOPs per score per head of the kernels attention_compute was measured on (2 x (128 + 128))"),
      def("memory_bw", &Efficiency::memory_bw, 1, "fraction", "share of HBM bandwidth reached streaming dense weights"),
      def("moe_memory_bw", &Efficiency::moe_memory_bw, 1, "fraction", "share of HBM bandwidth reached streaming expert weights in grouped GEMMs"),
      def("roof_p", &Efficiency::roof_p, 1, "exponent", "p of the p-norm joining compute and memory time in one kernel (1 = no overlap)"),
      def("kernel_fixed_us", &Efficiency::kernel_fixed_s, 1e-6, "us", "fixed time per kernel (launch gap, ramp-up, tail)"),
      def("unfused_kernels_per_layer", &Efficiency::unfused_kernels_per_layer, 1, "kernels", "kernels per attention layer an engine runs unfused (rotary, KV-cache write)"),
      def("qk_norm_kernels", &Efficiency::qk_norm_kernels, 1, "kernels", "kernels per QK-norm attention layer (Qwen3, GLM-4.5, Llama-4 RoPE layers) for its per-head q/k norms"),
      def("act_quant_kernels", &Efficiency::act_quant_kernels, 1, "kernels", "dynamic activation-quantisation kernels per GEMM input group with FP8/FP4 activations"),
      def("w4a16_moe_kernels", &Efficiency::w4a16_moe_kernels, 1, "kernels", "kernels per MoE layer beyond the structural count when MXFP4 experts run weight-only (W4A16) on a GPU without FP4 units"),
      def("fp4_gemm_tile_n", &Efficiency::fp4_gemm_tile_n, 1, "columns", "output columns one workgroup of a dense FP4 (W4A4) decode GEMM without split-K computes (0 = off: the GEMM fills the GPU)"),
      def("fp4_gemm_workgroup_gb_s", &Efficiency::fp4_gemm_workgroup_bytes_s, 1e9, "GB/s (1e9 B/s)", "weight bytes one such workgroup streams per second"),
      def("block_fp8_gemm_tile_n", &Efficiency::block_fp8_gemm_tile_n, 1, "columns", "output columns one thread block of a block-scaled FP8 decode GEMM computes (0 = off: the GEMM fills the GPU)"),
      def("block_fp8_gemm_tile_gb_s", &Efficiency::block_fp8_gemm_tile_bytes_s, 1e9, "GB/s (1e9 B/s)", "weight bytes one such thread block streams per second"),
      def("attention_memory_bw", &Efficiency::attention_memory_bw, 1, "fraction", "share of HBM bandwidth reached streaming the KV cache in decode attention"),
      def("block_fp8_memory_bw", &Efficiency::block_fp8_memory_bw, 1, "fraction", "share of HBM bandwidth block-scaled FP8 linears reach streaming weights (0 = memory_bw)"),
      def("block_fp8_compute", &Efficiency::block_fp8_compute, 1, "fraction", "share of the dense FP8 peak block-scaled FP8 linears reach (0 = compute_fp8)"),
      def("block_fp8_moe_memory_bw", &Efficiency::block_fp8_moe_memory_bw, 1, "fraction", "share of HBM bandwidth block-scaled FP8 expert GEMMs reach (0 = moe_memory_bw)"),
      def("block_fp8_moe_compute", &Efficiency::block_fp8_moe_compute, 1, "factor", "block-scaled FP8 grouped expert GEMMs' rate relative to block-scaled dense ones (0 = compute_moe_lowp)"),
      def("mla_attention_memory_bw", &Efficiency::mla_attention_memory_bw, 1, "fraction", "share of HBM bandwidth MLA decode attention reaches streaming the latent KV cache (0 = attention_memory_bw)"),
      def("mla_attention_compute", &Efficiency::mla_attention_compute, 1, "fraction", "share of the BF16 peak MLA prefill attention reaches (0 = attention_compute)"),
      def("mla_layer_fixed_us", &Efficiency::mla_layer_fixed_s, 1e-6, "us", "fixed GPU time per MLA layer per step beyond its itemised kernels (early DeepSeek-V3 runtimes)"),
      def("grouped_router_fallback_us", &Efficiency::grouped_router_fallback_s, 1e-6, "us", "extra GPU time per MoE layer per step when the engine's fused gate does not cover the model's grouped (DeepSeek-V3-style) routing and a fallback runs (0 = covered by every shape)"),
      def("grouped_router_group_experts", &Efficiency::grouped_router_group_experts, 1, "experts", "most experts per group the fused grouped gate handles (with a power-of-two expert count)"),
      def("grouped_router_single_group_experts", &Efficiency::grouped_router_single_group_experts, 1, "experts", "expert count of a single-group router that a model-specific fused gate handles (0 = none)"),
      def("triton_moe_layer_extra_us", &Efficiency::triton_moe_layer_extra_s, 1e-6, "us", "fixed GPU time per MoE layer per step of the engine's Triton fused-MoE path beyond its itemised kernels' fixed cost, where the engine runs that path (0 = none)"),
      def("block_fp8_triton_moe_layer_extra_us", &Efficiency::block_fp8_triton_moe_layer_extra_s, 1e-6, "us", "the same for block-scaled FP8 experts (0 = triton_moe_layer_extra_us)"),
      def("prefill_eager_kernel_us", &Efficiency::prefill_eager_kernel_s, 1e-6, "us", "host time per kernel of a prefill forward run without a CUDA graph (0 = graphed or hidden); such engines run prefill and decode as separate forwards"),
      def("eager_launch_overlap", &Efficiency::eager_launch_overlap, 1, "fraction", "share of the shorter of an eager forward's host launch time and GPU time hidden under the longer (1 = the larger of the two, 0 = their sum)"),
      def("piecewise_prefill_launch_share", &Efficiency::piecewise_prefill_launch_share, 1, "fraction", "share of a prefill forward's eager launch time left when the engine runs it through a piecewise CUDA graph (1 = no piecewise graph)"),
      def("triton_decode_max_kv_splits", &Efficiency::triton_decode_max_kv_splits, 1, "splits", "most KV splits per sequence of the split-KV Triton decode attention kernel (SGLang --triton-attention-num-kv-splits; 0 = off: other decode kernels)"),
      def("triton_decode_block_h", &Efficiency::triton_decode_block_h, 1, "heads", "query heads one thread block of that kernel handles per KV head (BLOCK_H)"),
      def("triton_decode_cta_gb_s", &Efficiency::triton_decode_cta_bytes_s, 1e9, "GB/s (1e9 B/s)", "KV bytes one thread block of that kernel streams per second walking its split"),
      def("gdn_prefill_floor_us", &Efficiency::gdn_prefill_floor_s, 1e-6, "us", "least time of one Gated DeltaNet layer's chunked prefill call per forward (FLA chunk_gated_delta_rule; 0 = off)"),
      def("gdn_prefill_chunk_us", &Efficiency::gdn_prefill_chunk_s, 1e-6, "us", "time per chunk of the longest prompt in that call (its state pass walks a sequence's chunks in turn)"),
      def("gdn_prefill_token_head_ns", &Efficiency::gdn_prefill_token_head_s, 1e-9, "ns", "time per prompt token per value head on the GPU in that call, once the work fills the GPU"),
      def("gdn_chunk_tokens", &Efficiency::gdn_chunk_tokens, 1, "tokens", "tokens per chunk of that kernel (FLA's chunk size)"),
      def("mamba2_prefill_floor_us", &Efficiency::mamba2_prefill_floor_s, 1e-6, "us", "least time of one Mamba2 layer's chunked (SSD) prefill call per forward (0 = off)"),
      def("mamba2_prefill_token_head_ns", &Efficiency::mamba2_prefill_token_head_s, 1e-9, "ns", "time per prompt token per SSM head on the GPU in that call at head dim 64 and state 128 (scaled by head_dim x state), once the work fills the GPU"),
      def("attention_fp8kv_bw_ratio", &Efficiency::attention_fp8kv_bw_ratio, 1, "ratio", "decode attention's KV bandwidth share with an FP8 KV cache / with BF16 (dequantisation per element)"),
      def("gqa_kv_reread", &Efficiency::gqa_kv_reread, 1, "fraction", "share of per-query-head K/V re-reads on GQA layers (0 = read once per group)"),
      def("ep_imbalance", &Efficiency::ep_imbalance, 1, "ratio", "busiest expert-parallel rank's token load / mean"),
      def("moe_tile_tokens", &Efficiency::moe_tile_tokens, 1, "tokens", "extra rows each touched expert costs in torch._grouped_mm (validate-kernels only)"),
      def("moe_serving_tile_small", &Efficiency::moe_serving_tile_small, 1, "tokens", "M tile serving MoE kernels pad each touched expert to while tokens <= experts"),
      def("moe_serving_pad_rows", &Efficiency::moe_serving_pad_rows, 1, "tokens", "padded rows per touched expert beyond that"),
      def("comm_bw", &Efficiency::comm_bw, 1, "fraction", "share of link bandwidth reached by all-reduce / all-to-all"),
      def("collective_latency_us", &Efficiency::collective_latency_s, 1e-6, "us", "fixed cost per collective"),
      def("step_overhead_ms", &Efficiency::step_overhead_s, 1e-3, "ms", "host time per engine iteration"),
      def("seq_overhead_us", &Efficiency::seq_overhead_s, 1e-6, "us", "host time per running sequence per iteration"),
      def("host_overlap", &Efficiency::host_overlap, 1, "fraction", "share of host time hidden under the previous GPU step (1 = overlap scheduler)"),
      def("spec_host_overlap", &Efficiency::spec_host_overlap, 1, "fraction", "the same with speculative decoding on"),
      def("recurrent_host_overlap", &Efficiency::recurrent_host_overlap, 1, "fraction", "at most this share hidden for models with recurrent-state (Mamba2, Gated DeltaNet) layers"),
      def("dp_prefill_balance", &Efficiency::dp_prefill_balance, 1, "0|1", "1 = attention-DP ranks prefill together (TensorRT-LLM enable_balance)"),
      def("kv_reserve_output", &Efficiency::kv_reserve_output, 1, "0|1", "1 = admission reserves each request's whole output in the KV pool"),
      def("runtime_reserve_gb", &Efficiency::runtime_reserve_bytes, 1e9, "GB (1e9 B)", "per-GPU memory the runtime keeps (context, workspaces, graphs)"),
      def("scaleout_gb_s_per_gpu", &Efficiency::scaleout_bytes_per_s, 1e9, "GB/s (1e9 B/s)", "scale-out bandwidth per GPU per direction"),
      def("hbm_bytes_per_gb", &Efficiency::hbm_bytes_per_gb, 1, "bytes", "bytes per GB of HBM capacity as the catalog prints it"),
  };
  return defs;
}

const KeyDef* find_key(const std::string& key) {
  for (const auto& k : key_defs())
    if (key == k.field.key) return &k;
  return nullptr;
}

std::vector<std::string> key_names() {
  std::vector<std::string> out;
  for (const auto& k : key_defs()) out.emplace_back(k.field.key);
  return out;
}

// "; did you mean 'x'?" when a key is close, else the list of accepted keys.
std::string unknown_key_hint(const std::string& key) {
  const std::string hint = did_you_mean(key, key_names());
  if (!hint.empty()) return "unknown efficiency factor" + hint;
  std::string list;
  for (const auto& k : key_names()) list += (list.empty() ? "" : ", ") + k;
  return "unknown efficiency factor; accepted: " + list;
}

double read_factor(const YAML::Node& node, const std::string& file, const std::string& path) {
  double v = 0;
  try {
    v = node.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(file, path, node.IsScalar() ? node.Scalar() : "<not a scalar>", "expected a number");
  }
  if (!(v >= 0)) throw InputError(file, path, node.Scalar(), "must be a non-negative number");
  return v;
}

void read_block(const YAML::Node& block, const std::string& file, const std::string& prefix,
                std::map<std::string, double>& out) {
  for (const auto& kv : block) {
    const auto key = kv.first.as<std::string>();
    if (key == "how_obtained" || key == "note" || key == "source") continue;
    if (!find_key(key))
      throw InputError(file, prefix + "/" + key, key, unknown_key_hint(key));
    // A factor is either a number or a map {value: x, how_obtained: "..."}.
    const YAML::Node v = kv.second.IsMap() ? kv.second["value"] : kv.second;
    if (!v) throw InputError(file, prefix + "/" + key, "", "expected a number or {value, how_obtained}");
    out[key] = read_factor(v, file, prefix + "/" + key);
    if (key == "roof_p" && out[key] < 1)
      throw InputError(file, prefix + "/" + key, v.Scalar(), "must be >= 1 (1 = compute and memory time add up)");
  }
}
}  // namespace

double Efficiency::compute(catalog::ComputeClass c) const {
  switch (c) {
    case catalog::ComputeClass::fp4: return compute_fp4;
    case catalog::ComputeClass::fp8: return compute_fp8;
    default: return compute_bf16;
  }
}

double Efficiency::get(const std::string& key) const {
  const KeyDef* k = find_key(key);
  if (!k) throw InputError("<efficiency>", key, key, unknown_key_hint(key));
  return this->*(k->member) / k->scale;
}

void Efficiency::set(const std::string& key, double value) {
  const KeyDef* k = find_key(key);
  if (!k) throw InputError("<efficiency>", key, key, unknown_key_hint(key));
  this->*(k->member) = value * k->scale;
}

schema::Schema efficiency_schema(const EfficiencyTable& table) {
  schema::Schema out;
  out.name = "efficiency";
  out.file = "data/perf/efficiency.yaml (the context's perf/efficiency.yaml)";
  out.doc = "Factors of the step model: `defaults`, then accelerator `classes` and `engines` override some keys "
            "(each a number or {value, how_obtained}); an engine entry may name an earlier one as its `base`, whose "
            "factors it starts from, and list `on_classes` ({class: one class or a list of them, factors}) for factors that hold "
            "on some accelerator classes only. Defaults below are the file's `defaults`; how each was "
            "obtained (measured, sourced or fitted) is written beside it in the file.";
  for (const auto& k : key_defs()) {
    schema::Field f = k.field;
    f.default_value = fmt::format("{}", table.defaults.get(f.key));
    out.fields.push_back(std::move(f));
  }
  return out;
}

const std::vector<std::string>& Efficiency::keys() {
  static const std::vector<std::string> names = key_names();
  return names;
}

double EfficiencyTable::get(const std::string& key) const {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return defaults.get(key);
  const std::string group = key.substr(0, slash), k = key.substr(slash + 1);
  for (const auto* list : {&engines, &classes})
    for (const auto& e : *list)
      if (e.name == group) {
        const auto it = e.overrides.find(k);
        if (it != e.overrides.end()) return it->second;
        return e.base.empty() ? defaults.get(k) : get(e.base + "/" + k);
      }
  return defaults.get(k);
}

void EfficiencyTable::set(const std::string& key, double value) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return defaults.set(key, value);
  const std::string group = key.substr(0, slash), k = key.substr(slash + 1);
  (void)defaults.get(k);  // validates the key
  for (auto* list : {&engines, &classes})
    for (auto& e : *list)
      if (e.name == group) {
        e.overrides[k] = value;
        return;
      }
  engines.push_back({group, {}, {{k, value}}, {}, {}});
}

Efficiency EfficiencyTable::for_gpu(const catalog::GpuSpec& gpu, const std::string& engine) const {
  Efficiency e = defaults;
  std::vector<std::string> names = {to_lower(gpu.id), to_lower(gpu.name)};
  for (const auto& a : gpu.aliases) names.push_back(to_lower(a));
  for (const auto& c : classes) {
    const bool hit = std::any_of(c.match.begin(), c.match.end(), [&](const std::string& pat) {
      return std::any_of(names.begin(), names.end(),
                         [&](const std::string& n) { return n.find(pat) != std::string::npos; });
    });
    if (!hit) continue;
    e.gpu_class = c.name;
    for (const auto& [k, v] : c.overrides) e.set(k, v);
    break;
  }
  // An engine's factors: its base engine's first (load_efficiency only accepts a base defined earlier in the
  // list, so the chain ends), then its own, then its own on this accelerator class.
  auto apply_engine = [&](const std::string& name, auto&& self) -> void {
    for (const auto& en : engines)
      if (en.name == name) {
        if (!en.base.empty()) self(en.base, self);
        for (const auto& [k, v] : en.overrides) e.set(k, v);
        if (const auto it = en.class_overrides.find(e.gpu_class); it != en.class_overrides.end())
          for (const auto& [k, v] : it->second) e.set(k, v);
      }
  };
  if (!engine.empty()) apply_engine(engine, apply_engine);
  return e;
}

EfficiencyTable load_efficiency(const std::filesystem::path& path) {
  return with_yaml_errors(path.string(), [&] {
    const std::string file = path.string();
    const YAML::Node root = load_yaml_file(path);
    EfficiencyTable t;
    t.source_path = file;
    if (!root["defaults"] || !root["defaults"].IsMap())
      throw InputError(file, "/defaults", "", "missing the defaults block");
    std::map<std::string, double> d;
    read_block(root["defaults"], file, "/defaults", d);
    for (const auto& [k, v] : d) t.defaults.set(k, v);
    if (const auto fitted = root["fitted"]) {
      for (const auto& f : fitted) {
        const auto key = f.as<std::string>();
        const auto base = key.substr(key.find('/') + 1);
        if (!find_key(base)) throw InputError(file, "/fitted", key, unknown_key_hint(base));
        t.fitted_keys.push_back(key);
      }
    }
    if (const auto classes = root["classes"]) {
      std::size_t i = 0;
      for (const auto& c : classes) {
        const std::string prefix = "/classes/" + std::to_string(i++);
        EfficiencyClass ec;
        if (!c["name"]) throw InputError(file, prefix + "/name", "", "each class needs a name");
        ec.name = c["name"].as<std::string>();
        if (!c["match"] || !c["match"].IsSequence())
          throw InputError(file, prefix + "/match", "", "each class needs a list of accelerator name patterns");
        for (const auto& m : c["match"]) ec.match.push_back(to_lower(m.as<std::string>()));
        if (c["factors"]) read_block(c["factors"], file, prefix + "/factors", ec.overrides);
        t.classes.push_back(std::move(ec));
      }
    }
    if (const auto engines = root["engines"]) {
      std::size_t i = 0;
      for (const auto& c : engines) {
        const std::string prefix = "/engines/" + std::to_string(i++);
        EfficiencyClass ec;
        if (!c["name"]) throw InputError(file, prefix + "/name", "", "each engine entry needs a name");
        ec.name = c["name"].as<std::string>();
        if (const auto base = c["base"]) {
          ec.base = base.as<std::string>();
          const bool earlier = std::any_of(t.engines.begin(), t.engines.end(),
                                           [&](const EfficiencyClass& k) { return k.name == ec.base; });
          if (!earlier)
            throw InputError(file, prefix + "/base", ec.base, "no engine entry with this name earlier in /engines");
        }
        if (c["factors"]) read_block(c["factors"], file, prefix + "/factors", ec.overrides);
        if (const auto on = c["on_classes"]) {
          if (!on.IsSequence())
            throw InputError(file, prefix + "/on_classes", "", "expected a list of {class, factors}");
          std::size_t j = 0;
          for (const auto& oc : on) {
            const std::string op = prefix + "/on_classes/" + std::to_string(j++);
            if (!oc["class"]) throw InputError(file, op + "/class", "", "each entry needs the accelerator class it applies to");
            // One class, or a list of classes sharing the factors (one GPU generation split over classes).
            std::vector<std::string> names;
            if (oc["class"].IsSequence())
              for (const auto& n : oc["class"]) names.push_back(n.as<std::string>());
            else
              names.push_back(oc["class"].as<std::string>());
            if (names.empty()) throw InputError(file, op + "/class", "[]", "name at least one accelerator class");
            for (const auto& cls : names) {
              const bool known = std::any_of(t.classes.begin(), t.classes.end(),
                                             [&](const EfficiencyClass& k) { return k.name == cls; });
              if (!known) throw InputError(file, op + "/class", cls, "no accelerator class with this name under /classes");
              if (oc["factors"]) read_block(oc["factors"], file, op + "/factors", ec.class_overrides[cls]);
            }
          }
        }
        t.engines.push_back(std::move(ec));
      }
    }
    return t;
  });
}

}  // namespace tokenmath::perf
