// Steady-state serving of a fixed workload (ISL prompt tokens, OSL output tokens per request) at a given
// concurrency, the throughput-interactivity frontier, and the search over deployments of a model on a GPU.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenmath/perf/step.hpp"

namespace tokenmath::perf {

struct OperatingPoint {
  std::int64_t concurrency = 0;       // sequences in flight in one replica
  double step_s = 0;                  // the average engine step at steady state
  double decode_seqs_per_step = 0;    // sequences decoding in an average step
  double prefill_tokens_per_step = 0; // prompt tokens prefilled in an average step
  double output_tok_s = 0;            // output tokens/s of one replica
  double output_tok_s_per_gpu = 0;
  double tok_s_per_user = 0;          // 1 / TPOT
  double tpot_s = 0;                  // time per output token seen by a user (one step / acceptance length)
  double itl_s = 0;                   // time between streamed chunks (one engine step)
  double ttft_s = 0;                  // prompt prefill at this load (no queueing: closed loop)
  double e2e_s = 0;                   // ttft + (osl - 1) * tpot
  StepTime breakdown;                 // of the average step
  // Share of the time spent at concurrency + 1 (0: none). A point on the frontier between two integer
  // concurrencies, reached by a replica that alternates between them (time_share in throughput.cpp); its mean
  // concurrency is concurrency + timeshare.
  double timeshare = 0;
  double mean_concurrency() const { return static_cast<double>(concurrency) + timeshare; }
};

// Continuous batching at steady state with `concurrency` requests of fixed ISL/OSL in flight (a closed loop:
// a finished request is replaced at once). Every step runs the decoding sequences plus prompt tokens at the
// rate that keeps the loop full: a request needs OSL decode steps and ISL prefill tokens, so per step
// P = N*ISL/S prefill tokens with S = max(OSL, N*ISL/(budget - decode)) steps per request cycle, where
// budget = knobs.max_batched_tokens. Prefill comes in lumps of one prompt (or chunk): a share P / lump of the
// steps carries one, the rest only decode (throughput.cpp). Decode contexts average ISL + OSL/2; prefill
// tokens attend ISL/2 on average. Output tokens/s = N*OSL / (S * average step).
OperatingPoint steady_state(const StepModel& model, double isl, double osl, std::int64_t concurrency);

// Time to first token of the median request of a wave: `concurrency` prompts of ISL tokens arriving together at
// an idle replica. Fixed-length closed-loop benchmarks at request rate inf (bench_serving with max_concurrency
// and random_range_ratio 1) stay in such waves: every request of a wave finishes together, so the next wave
// arrives together too. Prompts are prefilled first come, first served (spread over the attention-DP ranks, each
// rank taking its own), in iterations of the rank's token budget B (knobs.max_batched_tokens); the median
// request of a rank's k = ceil(c_rank / 2)-th place gets its first token with the iteration that completes the
// rank's first k prompts:
//   TTFT = ceil(k ISL / B) x t(iteration of min(B, k ISL) prompt tokens per rank, attending (ISL + 1) / 2 each)
// (decodes of already-prefilled requests ride along in engines that mix them; they are few next to B tokens and
// are left out).
double wave_ttft_s(const StepModel& model, double isl, std::int64_t concurrency);
// The whole wave of such a run: the c prompts prefilled (prefill P, the same iterations), then c sequences
// decoding together (step D at context ISL + OSL/2). The last prompt's request finishes at W = P + (OSL - 1) D,
// and so does the wave; the median request starts at its TTFT and decodes until W:
//   TPOT = (W - TTFT) / (OSL - 1),  throughput = c OSL / W,  E2E = W.
// (Unlike the staggered steady state, prefill is not spread over every decode step: it sits in TTFT and in the
// median request's wait for the rest of its wave.)
OperatingPoint wave_state(const StepModel& model, double isl, double osl, std::int64_t concurrency);

// Request lengths drawn from a distribution rather than fixed: besides the means, the step costs depend on two
// length-biased moments (a long request holds more of the steps). With the same means they reduce to the
// fixed-length model.
//   pair_isl   = E[ISL^2] / E[ISL]: a prompt token at position q attends q + 1 tokens, so prefill attention
//                pairs per prompt token average (pair_isl + 1) / 2, not (ISL + 1) / 2
//   decode_ctx = E[OSL (ISL + OSL/2)] / E[OSL]: the context of the sequence decoding at a random step (a request
//                decodes for OSL steps), not ISL + OSL/2
struct LengthMoments {
  double isl = 0, osl = 0;
  double pair_isl = 0;    // 0 = isl (fixed lengths)
  double decode_ctx = 0;  // 0 = isl + osl / 2
  static LengthMoments fixed(double isl, double osl) { return {isl, osl, isl, isl + osl / 2}; }
  // From (input, output) samples.
  static LengthMoments of(const std::vector<std::pair<double, double>>& samples);
};
OperatingPoint steady_state(const StepModel& model, const LengthMoments& lengths, std::int64_t concurrency);
// Tokens of KV the pool must hold per sequence in flight, by the engine's admission (Efficiency::kv_reserve_output):
// ISL + OSL when the whole output is reserved up front (plus how much longer the in-flight sequences run than the
// mean when lengths vary), else the in-flight sequences' mean context decode_ctx.
double kv_tokens_per_seq(const StepModel& model, const LengthMoments& lengths);

// Prefill/decode disaggregation ("xPyD"): x prefill replicas and y decode replicas of one deployment shape
// serve together; prompts are prefilled on the prefill replicas, their KV is sent to a decode replica, which only
// decodes. Off when either count is 0.
struct Disaggregation {
  int prefill_replicas = 0;
  int decode_replicas = 0;
  bool enabled() const { return prefill_replicas > 0 && decode_replicas > 0; }
};

// Steady state of an xPyD group with `concurrency` requests in flight in the whole group (a closed loop):
//   decode: every in-flight request sits on a decode replica, n_d = N / y each, in decode-only steps at context
//     ISL + OSL/2: t_d = step(n_d decodes); output = y n_d a / t_d (a = acceptance length; 1 without speculation)
//   prefill: each prefill replica runs prefill-only steps of its token budget B (whole prompts, or chunks of
//     longer ones): capacity P = B / step(B prefill tokens); the group needs output x ISL / OSL prompt tokens/s.
//     When that exceeds x P, output = x P OSL / ISL and the decode replicas run with fewer sequences (n_d found by
//     bisection so that decode output equals it).
//   TTFT = prefill of one prompt x (1 + rho / (2 (1 - rho))) (M/D/1 wait at prefill utilisation rho) + the KV
//     transfer (the prompt's KV per GPU over the scale-up link when the group fits one fabric, else the
//     scale-out NIC) + one decode step.
//   Per GPU: output / (x x prefill GPUs per replica + y x decode GPUs per replica).
// A decode pool on its own (disaggregated serving whose prefill pool is not stated, e.g. a "decode nodes" figure):
// `concurrency` sequences decoding at context ISL + OSL/2, no prefill in its steps; per-GPU output over the pool's
// GPUs only. TTFT is not defined (0).
OperatingPoint decode_pool_state(const StepModel& decode, double isl, double osl, std::int64_t concurrency);

// GPUs of one xPyD group: x prefill replicas and y decode replicas, each of its own width.
int disaggregated_gpus(const Disaggregation& pd, const Deployment& prefill, const Deployment& decode);

OperatingPoint disaggregated_state(const StepModel& prefill, const StepModel& decode, const Disaggregation& pd,
                                   double isl, double osl, std::int64_t concurrency);

struct Frontier {
  bool feasible = false;
  std::string reason;                 // why not, when infeasible
  std::int64_t max_concurrency = 0;   // KV capacity / max_num_seqs bound for ISL+OSL
  std::vector<OperatingPoint> points; // concurrency 1, 2, 4, ... up to max_concurrency
  OperatingPoint best;                // the max-throughput point
  MemoryPlan memory;                  // per-GPU memory of the replica (the decode replica of an xPyD group)
};

// Sweeps concurrency in powers of two up to the memory/engine bound (and includes the bound itself).
Frontier frontier(const StepModel& model, double isl, double osl);
Frontier frontier(const StepModel& model, const LengthMoments& lengths);

// Concurrency sweep of an xPyD group (powers of two up to what the decode replicas' KV pools hold).
Frontier disaggregated_frontier(const StepModel& prefill, const StepModel& decode, const Disaggregation& pd,
                                double isl, double osl);

struct DeploymentOption {
  Deployment deployment;
  Frontier frontier;
  std::string label;  // e.g. "TP4 fp8 kv=fp8" / "DEP8 fp8 MTPx2"
  std::string engine; // engine profile whose efficiency factors priced it ("" = defaults)
  Disaggregation pd;  // enabled: xPyD groups, `deployment` the decode replicas; frontier points are per group
  // The prefill replicas' deployment when it differs from the decode one (a wide-EP decode pool fed by small
  // prefill replicas); unset (no model): `deployment` without speculative decoding. Use prefill_deployment().
  Deployment prefill;
};

// The deployment of an xPyD group's prefill replicas: `prefill` when set, else the decode deployment without its
// speculative decoding (prefill replicas only prefill).
Deployment prefill_deployment(const DeploymentOption& o);

struct SearchRequest {
  std::shared_ptr<const catalog::ModelSpec> model;
  catalog::GpuSpec gpu;
  std::vector<catalog::Precision> precisions;  // weight precisions to try (empty: bf16, fp8, nvfp4 as supported,
                                               // and the checkpoint's native format)
  std::vector<catalog::Precision> kv_precisions;  // empty: fp8 when the GPU has fp8, else bf16
  std::vector<int> gpu_counts = {1, 2, 4, 8};  // GPUs per replica to try
  double isl = 1024, osl = 1024;
  EngineKnobs knobs;
  std::string engine;  // engine profile (data/perf/engines.yaml name) whose efficiency overrides apply; "" = none
  // Speculative decoding choices besides "off": empty = none tried. `speculative_choices(model)` gives the
  // shipped defaults (data/perf/speculative.yaml).
  std::vector<SpecDecode> spec_options;
  bool spec_off_too = true;  // also try without speculative decoding
  // Also try prefill/decode disaggregation (1P1D, 1P2D, 1P3D, 2P1D groups of each single-stage shape; with wide_ep,
  // one wide-EP decode replica fed by 1, 2, 4 or 8 DEP4 prefill replicas).
  bool disaggregated = true;
  // MoE models: also try wide expert parallelism with attention DP over more GPUs than one 8-GPU node (16, 32,
  // 64: inside an NVL72 domain over NVLink, else across nodes over the scale-out network).
  bool wide_ep = true;
};

// Tries TP (and PP for counts beyond the scale-up domain), attention-DP + EP for MoE models, over precisions
// and GPU counts; keeps feasible deployments, best output tokens/s per GPU first. Infeasible ones are returned
// after the feasible ones with their reason.
std::vector<DeploymentOption> search_deployments(const SearchRequest& req, const EfficiencyTable& eff);

// The operating point of one deployment with the most output tokens/s per GPU whose tokens/s per user is at
// least `min_tok_s_user` (binary search over the concurrency, 1..max concurrency). ok=false when even one
// request at a time is slower than that.
struct InteractivePoint {
  bool ok = false;
  OperatingPoint point;
};
// `max_concurrency` > 0 caps the concurrency searched (a run that had at most that many requests in flight).
InteractivePoint best_at_interactivity(const StepModel& model, double isl, double osl, double min_tok_s_user,
                                       std::int64_t max_concurrency = 0);

// The largest wave (concurrency <= max_concurrency and the KV pool) whose median request still gets
// `min_tok_s_user` (1 / wave TPOT): the frontier of a synchronised-wave run.
InteractivePoint wave_at_interactivity(const StepModel& model, double isl, double osl, double min_tok_s_user,
                                       std::int64_t max_concurrency = 0);
struct DeploymentOption;
// Same for a searched option (co-located or xPyD; concurrency per replica or per group).
InteractivePoint option_at_interactivity(const DeploymentOption& o, const EfficiencyTable& eff, double isl,
                                         double osl, double min_tok_s_user, std::int64_t max_concurrency = 0);

// Over a search's options: the best tok/s/GPU meeting `min_tok_s_user`; index into `options` or -1.
struct FrontierChoice {
  int index = -1;
  OperatingPoint point;
};
// The operating point of a searched option at `concurrency` requests in flight per replica (per xPyD group).
OperatingPoint option_point(const DeploymentOption& o, const EfficiencyTable& eff, double isl, double osl,
                            std::int64_t concurrency);
// GPUs one option occupies: a replica, or a whole xPyD group.
int option_gpus(const DeploymentOption& o);
FrontierChoice best_option_at_interactivity(const std::vector<DeploymentOption>& options, const EfficiencyTable& eff,
                                            double isl, double osl, double min_tok_s_user);

// Pareto envelope over the frontiers of `options`: the points no other point beats on both tokens/s per user
// and tokens/s per GPU, by tokens/s per user ascending; `option` indexes `options`.
struct EnvelopePoint {
  double tok_s_per_user = 0, output_tok_s_per_gpu = 0;
  std::size_t option = 0;
};
std::vector<EnvelopePoint> frontier_envelope(const std::vector<DeploymentOption>& options);

// Default activation (GEMM) precision for a weight precision on a GPU: fp8 weights -> fp8 GEMMs, nvfp4/mxfp4 ->
// fp4 GEMMs where the GPU has fp4, else weight-only bf16 GEMMs (W4A16); int4 -> bf16 (weight-only).
catalog::Precision default_activation_precision(catalog::Precision weights, const catalog::GpuSpec& gpu);
// Default KV-cache precision: FP8 where the GPU has FP8 tensor cores, else BF16.
catalog::Precision default_kv_precision(const catalog::GpuSpec& gpu);

// What a user asks for; make_deployment fills the rest with the defaults declared once here: weights in the
// model's native format (use_native_weights: gpt-oss keeps MXFP4 routed experts, BF16 elsewhere), activations by
// default_activation_precision, KV by default_kv_precision, engine knobs EngineKnobs' defaults. perf, sim
// scenarios, the planner, the deployment search and validation all build deployments through it. Shape checks
// (ep divides tp, ...) stay with the callers, which know the file and field to name.
struct DeploymentIntent {
  std::shared_ptr<const catalog::ModelSpec> model;
  catalog::GpuSpec gpu;
  int tp = 1, pp = 1, ep = 1;
  bool attention_dp = false;
  std::optional<catalog::Precision> weights;      // unset: the model's native format
  std::optional<catalog::Precision> activations;  // unset: default_activation_precision(weights)
  std::optional<catalog::Precision> kv;           // unset: default_kv_precision(gpu)
  EngineKnobs knobs;
};
Deployment make_deployment(const DeploymentIntent& intent);
std::string deployment_label(const Deployment& d);

}  // namespace tokenmath::perf
