#include "tokenmath/report/export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "tokenmath/common/error.hpp"
#include "tokenmath/perf/throughput.hpp"

namespace tokenmath::report {
namespace {

using nlohmann::json;

const plan::Candidate& chosen(const plan::PlanResult& r) {
  if (!r.best())
    throw InputError(r.scenario.file.empty() ? r.scenario.defaults_file : r.scenario.file, "candidates", "",
                     "no feasible candidate to export (see `reason` of each candidate in the plan)");
  return *r.best();
}

bool is_amd(const perf::Deployment& d) { return to_lower(d.gpu.vendor) == "amd"; }

// The planned KV pool as each engine's memory flag means it: vLLM's --gpu-memory-utilization and SGLang's
// --mem-fraction-static are shares of the whole GPU memory, weights and activations included; TensorRT-LLM's
// kv_cache_free_gpu_memory_fraction is a share of what is left after them (perf::EngineKnobs::kv_fraction_of_total).
double engine_memory_fraction(const perf::Deployment& d, const perf::Efficiency& eff, bool of_total) {
  const perf::MemoryPlan mem = perf::plan_memory(d, eff);
  const double hbm = d.gpu.mem_gb * eff.hbm_bytes_per_gb;
  const double rest = mem.weight_bytes_per_gpu + mem.activation_bytes_per_gpu + mem.reserve_bytes_per_gpu;
  const double f = of_total ? (rest + mem.kv_bytes_per_gpu) / hbm : mem.kv_bytes_per_gpu / (hbm - rest);
  return std::round(std::clamp(f, 0.0, 1.0) * 1000) / 1000;
}

// Engines' names for the KV-cache element type.
std::string kv_name(catalog::Precision p, const std::string& engine) {
  const std::string n(catalog::to_string(p));
  if (n == "fp8") return engine == "sglang" ? "fp8_e4m3" : "fp8";
  return "auto";
}

}  // namespace

std::string litellm_export(const plan::PlanResult& r) {
  (void)chosen(r);
  json out = json::object();
  std::map<std::string, bool> done;
  for (const auto& c : r.candidates) {  // feasible first, cheapest first: the first of each model is its best
    if (!c.feasible || done[c.model_id]) continue;
    done[c.model_id] = true;
    const auto& p = c.owned_prices;
    const auto& m = *c.replica.deployment.model;
    json e{{"litellm_provider", "hosted_vllm"},
           {"mode", "chat"},
           {"input_cost_per_token", p.fresh_input_usd_per_mtok / 1e6},
           {"cache_read_input_token_cost", p.cached_input_usd_per_mtok / 1e6},
           {"cache_creation_input_token_cost", p.cache_write_usd_per_mtok / 1e6},
           {"output_cost_per_token", p.output_usd_per_mtok / 1e6},
           {"supports_prompt_caching", true},
           {"source", fmt::format("tokenmath plan '{}': {} on {} ({} replicas of {}), owned cost at {:.0f}% "
                                  "utilisation; a cost, not a list price",
                                  r.scenario.name, m.display_name, c.system_name, c.replicas, c.replica.label,
                                  c.utilisation * 100)}};
    if (m.max_context > 0) {
      e["max_input_tokens"] = m.max_context;
      e["max_tokens"] = m.max_context;
      e["max_output_tokens"] = m.max_context;
    }
    out["self-hosted/" + c.model_id] = std::move(e);
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<std::pair<std::string, std::string>> deploy_export(const plan::PlanResult& r, const std::string& engine) {
  if (engine != "vllm" && engine != "sglang" && engine != "trtllm")
    throw InputError(kRequest, "`engine`", engine, "expected vllm, sglang or trtllm");
  const plan::Candidate& c = chosen(r);
  const perf::Deployment& d = c.replica.deployment;
  const catalog::ModelSpec& m = *d.model;
  const std::string repo = m.hf_repo.empty() ? m.id : m.hf_repo;
  const auto& k = d.knobs;
  const double mem_fraction = engine_memory_fraction(d, c.replica.efficiency, engine != "trtllm");
  const int gpus = d.tp * d.pp;
  const bool amd = is_amd(d);
  const std::string kv = kv_name(d.kv_precision, engine);
  if (amd && engine == "trtllm")
    throw InputError(kRequest, "`engine`", engine,
                     "TensorRT-LLM does not run on AMD GPUs and the plan chose " + d.gpu.name + ": use vllm or sglang");
  // The host-memory KV tier the plan counted (PrefixRetention): configured only when the replica serves hits
  // from it (an inclusive, write-through tier larger than the HBM pool); sizes per GPU.
  const double host_gb = c.replica.best.host_hit_tokens > 0 ? c.shape.retention.host_kv_bytes_per_gpu / 1e9 : 0.0;
  std::vector<std::pair<std::string, std::string>> files;
  std::string cmd;
  std::string extra;
  if (engine == "vllm") {
    cmd = fmt::format("vllm serve {} \\\n", repo);
    if (d.attention_dp)
      cmd += fmt::format("  --data-parallel-size {} --tensor-parallel-size 1 --enable-expert-parallel \\\n", d.tp);
    else
      cmd += fmt::format("  --tensor-parallel-size {}{} \\\n", d.tp, d.ep > 1 ? " --enable-expert-parallel" : "");
    if (d.pp > 1) cmd += fmt::format("  --pipeline-parallel-size {} \\\n", d.pp);
    cmd += fmt::format("  --kv-cache-dtype {} --max-num-seqs {} --max-num-batched-tokens {} \\\n", kv, k.max_num_seqs,
                       k.max_batched_tokens);
    cmd += fmt::format("  --gpu-memory-utilization {} --enable-prefix-caching", mem_fraction);
    // vLLM's CPU offloading buffer is sized for the whole instance (all its GPUs), in GiB.
    if (host_gb > 0)
      cmd += fmt::format(" \\\n  --kv-offloading-backend native --kv-offloading-size {:.0f}", host_gb * gpus * 1e9 / (1 << 30));
    if (d.spec.enabled()) {
      const std::string method = d.spec.method == "mtp" ? "deepseek_mtp" : d.spec.method;
      cmd += fmt::format(" \\\n  --speculative-config \"{{\\\"method\\\": \\\"{}\\\", \\\"num_speculative_tokens\\\": {}{}}}\"",
                         method, d.spec.draft_tokens,
                         d.spec.method == "eagle3" ? ", \\\"model\\\": \\\"${EAGLE3_DRAFT_HEAD:?set the EAGLE-3 draft head repo}\\\"" : "");
    }
  } else if (engine == "sglang") {
    cmd = fmt::format("python3 -m sglang.launch_server --model-path {} \\\n  --tp {}", repo, d.tp);
    if (d.attention_dp) cmd += fmt::format(" --dp {} --enable-dp-attention", d.tp);
    if (d.ep > 1) cmd += fmt::format(" --ep-size {}", d.ep);
    if (d.pp > 1) cmd += fmt::format(" --pp-size {}", d.pp);
    cmd += fmt::format(" \\\n  --kv-cache-dtype {} --max-running-requests {} --chunked-prefill-size {} "
                       "--mem-fraction-static {}",
                       kv, k.max_num_seqs, k.max_batched_tokens, mem_fraction);
    // HiCache's host pool per rank, in GB, written through as the plan assumes.
    if (host_gb > 0)
      cmd += fmt::format(" \\\n  --enable-hierarchical-cache --hicache-size {:.0f} --hicache-write-policy write_through", host_gb);
    if (d.spec.enabled())
      cmd += fmt::format(" \\\n  --speculative-algorithm {} --speculative-num-steps {} --speculative-num-draft-tokens {}"
                         " --speculative-eagle-topk 1{}",
                         d.spec.method == "mtp" ? "EAGLE" : "EAGLE3", d.spec.draft_tokens, d.spec.draft_tokens + 1,
                         d.spec.method == "eagle3"
                             ? " --speculative-draft-model-path \"${EAGLE3_DRAFT_HEAD:?set the EAGLE-3 draft head repo}\""
                             : "");
  } else {
    cmd = fmt::format("trtllm-serve {} \\\n  --tp_size {} --pp_size {} --ep_size {} --max_batch_size {} "
                      "--max_num_tokens {} \\\n  --kv_cache_free_gpu_memory_fraction {} "
                      "--extra_llm_api_options extra_llm_api_options.yaml",
                      repo, d.tp, d.pp, d.ep, k.max_num_seqs, k.max_batched_tokens, mem_fraction);
    extra = fmt::format("# TensorRT-LLM LLM-API options for the planned deployment ({}).\n"
                        "enable_attention_dp: {}\n"
                        "kv_cache_config:\n  dtype: {}\n  enable_block_reuse: true\n",
                        c.replica.label, d.attention_dp ? "true" : "false", kv);
    // The host-memory tier of reusable KV blocks, per rank (bytes).
    if (host_gb > 0) extra += fmt::format("  host_cache_size: {:.0f}\n", host_gb * 1e9);
    if (d.attention_dp) extra += "attention_dp_config:\n  enable_balance: true\n";
    if (d.spec.enabled())
      extra += fmt::format("speculative_config:\n  decoding_type: {}\n  {}: {}\n",
                           d.spec.method == "mtp" ? "MTP" : "Eagle",
                           d.spec.method == "mtp" ? "num_nextn_predict_layers" : "max_draft_len", d.spec.draft_tokens);
  }
  files.push_back({"launch.sh", fmt::format("#!/usr/bin/env bash\n# One replica of the planned deployment: {} on {} x {} "
                                            "({}). A starting point generated by `tokenmath export deploy`: check "
                                            "flags against your engine version.\nset -euo pipefail\n{}\n",
                                            c.replica.label, gpus, d.gpu.name, c.system_name, cmd)});
  if (!extra.empty()) files.push_back({"extra_llm_api_options.yaml", extra});

  const std::string gpu_resource = amd ? "amd.com/gpu" : "nvidia.com/gpu";
  const int per_node = std::max(1, c.nodes > 0 ? static_cast<int>((c.gpus + c.nodes - 1) / c.nodes) : gpus);
  const bool multi_node = gpus > per_node;
  const std::string name = to_lower(m.id);
  std::string k8s = fmt::format(
      "# {} replicas of {} ({} GPUs each) on {}: the plan's fleet for its burst peak. Generated by tokenmath;\n"
      "# a starting point: add your image registry, model cache volume, probes and autoscaling.\n",
      c.replicas, c.replica.label, gpus, c.system_name);
  if (!multi_node) {
    k8s += fmt::format(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {0}\n  labels: {{app: {0}}}\nspec:\n"
        "  replicas: {1}\n  selector:\n    matchLabels: {{app: {0}}}\n  template:\n    metadata:\n"
        "      labels: {{app: {0}}}\n    spec:\n      containers:\n      - name: engine\n        image: <{2} image>\n"
        "        command: [\"bash\", \"/config/launch.sh\"]\n        ports: [{{containerPort: 8000}}]\n"
        "        resources:\n          limits: {{{3}: {4}}}\n",
        name, c.replicas, engine, gpu_resource, gpus);
  } else {
    k8s += fmt::format(
        "# One replica spans {0} nodes of {1} GPUs: a LeaderWorkerSet (sigs.k8s.io/lws) groups them.\n"
        "apiVersion: leaderworkerset.x-k8s.io/v1\nkind: LeaderWorkerSet\nmetadata:\n  name: {2}\nspec:\n"
        "  replicas: {3}\n  leaderWorkerTemplate:\n    size: {0}\n    workerTemplate:\n      spec:\n"
        "        containers:\n        - name: engine\n          image: <{4} image>\n"
        "          command: [\"bash\", \"/config/launch.sh\"]\n          resources:\n"
        "            limits: {{{5}: {1}}}\n",
        (gpus + per_node - 1) / per_node, per_node, name, c.replicas, engine, gpu_resource);
  }
  files.push_back({"k8s.yaml", k8s});
  const auto& p = c.replica.best;
  files.push_back(
      {"README.md",
       fmt::format("# Deployment planned by tokenmath: {} on {}\n\n"
                   "- Scenario: {} (`{}`)\n- Deployment: {} ({} GPUs per replica), {} replicas, {} GPUs in all\n"
                   "- Planned operating point per replica: {} steps in flight, {:.2f} agent steps/s, "
                   "{:.0f} output tok/s per user (p90 {:.0f}), TTFT {:.2f} s\n"
                   "- Engine knobs assumed: max sequences {}, token budget {}, KV memory fraction {}, KV dtype {}\n"
                   "- Prefix cache: {:.1f}% of input tokens hit (idle sessions' KV room {:.1f}x the active steps'){}\n"
                   "- Owned cost: ${:.4f}/M fresh input, ${:.4f}/M cached input, ${:.4f}/M output at {:.0f}% "
                   "utilisation\n\nThese files are a starting point, not a tested configuration: check the flags "
                   "against your engine version, measure the replica (`tokenmath bench` when available) and re-plan "
                   "with the measured figures. Speculative decoding needs a draft head where the command says so.\n",
                   m.display_name, c.system_name, r.scenario.name,
                   r.scenario.file.empty() ? "default" : r.scenario.file, c.replica.label, gpus, c.replicas, c.gpus,
                   p.concurrency, p.steps_per_s, p.tok_s_per_user, p.tok_s_per_user_p90, p.ttft_s, k.max_num_seqs,
                   k.max_batched_tokens,
                   k.kv_fraction_of_total
                       ? fmt::format("{} of all the GPU's memory, weights included", k.kv_mem_fraction)
                       : fmt::format("{} of the memory left after weights and activations ({} of all of it, as vLLM "
                                     "and SGLang count)",
                                     k.kv_mem_fraction, engine_memory_fraction(d, c.replica.efficiency, true)),
                   catalog::to_string(d.kv_precision),
                   100 * p.cache_hit_rate, p.idle_storage_ratio,
                   host_gb > 0 ? fmt::format(", with a host-memory tier of {:.0f} GB per GPU (written through; "
                                             "the launch flags configure it)", host_gb)
                               : std::string(" in HBM"),
                   c.owned_prices.fresh_input_usd_per_mtok, c.owned_prices.cached_input_usd_per_mtok,
                   c.owned_prices.output_usd_per_mtok, c.utilisation * 100)});
  return files;
}

}  // namespace tokenmath::report
