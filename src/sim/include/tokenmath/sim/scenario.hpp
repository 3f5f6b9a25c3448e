// Simulation scenarios (YAML): model, deployment, cluster, workload, SLOs, seed. Loading resolves names against
// the catalog, builds the step model of each pool and the workload (reading traces), and validates every value;
// errors name the file, the key path and the value (see data/scenarios/README.md for the schema).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tokenmath/common/schema.hpp"
#include "tokenmath/context.hpp"
#include "tokenmath/sim/simulator.hpp"
#include "tokenmath/sim/workload.hpp"

namespace tokenmath::sim {

struct PoolInfo {
  std::string name;
  std::string model;        // display name
  std::string gpu;          // display name
  std::string deployment;   // perf::deployment_label, e.g. "TP4 bf16 kv=fp8"
  int replicas = 0;
  int gpus_per_replica = 0;
  double kv_capacity_tokens = 0;   // per replica
  double capacity_req_per_s = 0;   // per replica, perf model's max-throughput point (colocated: over the length
                                   // distribution; prefill/decode pools: at the means; 0 = n/a)
};

struct Scenario {
  std::string file;
  std::string name;
  std::uint64_t seed = 0;
  SimConfig config;
  WorkloadSpec workload;
  std::vector<PoolInfo> pools;
  double offered_rate_per_s = 0;   // open-loop arrival rate after resolving `load` (0 = closed loop / trace)
  // The cluster's saturation as the simulator itself serves this workload (requests/s), measured by a short
  // closed-loop run when `load` is used; 0 when not measured. `load` is a fraction of this.
  double saturation_req_per_s = 0;
  double mean_input_tokens = 0;    // of the length distributions (0 = trace replay / agentic)
  double mean_output_tokens = 0;
  std::int64_t expected_requests = 0;  // for progress reporting (0 = unknown)
};

// Requests/s the cluster serves at saturation for the workload's length distributions: the best of closed loops
// of sum(replicas x max_num_seqs) clients and, where the KV pool holds fewer mean-length sequences, at 0.5-1.25x
// the KV fit; `requests` requests each (at least 8 per client), throughput measured between the 20% and 80%
// finish quantiles (warm-up and drain excluded). Deterministic for a seed.
double simulated_saturation(const SimConfig& config, const WorkloadSpec& workload, std::uint64_t seed,
                            std::int64_t requests = 4000);

// Every key a scenario file may hold, declared once (`tokenmath schema simulate`); the reader's key checks use it.
const schema::Schema& scenario_schema();
// Reads and validates a scenario file against the context's catalog, engine profiles, drafts and efficiency
// factors. Relative paths inside it (traces) resolve against the file's folder, then the context's data directory.
Scenario load_scenario(const Context& ctx, const std::filesystem::path& path);
// Same, from text; `file` names it in errors, `base_dir` resolves relative paths.
Scenario parse_scenario(const Context& ctx, const std::string& yaml_text, const std::string& file,
                        const std::filesystem::path& base_dir);

}  // namespace tokenmath::sim
