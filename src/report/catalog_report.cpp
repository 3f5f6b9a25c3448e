// Renderers of catalog records: model listings and one model's derived figures (report/catalog.hpp). Numbers
// come from the catalog's derived functions; this file only arranges them.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/report/catalog.hpp"

namespace tokenmath::report {

namespace {

using catalog::AttentionSpec;
using catalog::FfnSpec;
using catalog::ModelSpec;
using catalog::Precision;

constexpr double kBillion = 1e9;

// Summary of a model's layer kinds for display.
struct Shape {
  long long attention_layers = 0, mla_layers = 0, mamba_layers = 0, window_layers = 0, no_attention_layers = 0;
  long long moe_layers = 0, dense_ffn_layers = 0, no_ffn_layers = 0;
  long long window_tokens = 0, experts = 0, top_k = 0, shared = 0, chunked_layers = 0, chunk_tokens = 0;
  long long sparse_layers = 0, sparse_topk = 0, deltanet_layers = 0;
  std::string kind;
};

Shape shape_of(const ModelSpec& m) {
  Shape s;
  for (const auto& l : m.layers) {
    switch (l.attn.kind) {
      case AttentionSpec::Kind::standard: ++s.attention_layers; break;
      case AttentionSpec::Kind::mla: ++s.mla_layers; break;
      case AttentionSpec::Kind::mamba2: ++s.mamba_layers; break;
      case AttentionSpec::Kind::gated_deltanet: ++s.deltanet_layers; break;
      case AttentionSpec::Kind::none: ++s.no_attention_layers; break;
    }
    if (l.attn.sliding_window > 0 && l.attn.chunked) {
      ++s.chunked_layers;
      s.chunk_tokens = l.attn.sliding_window;
    } else if (l.attn.sliding_window > 0) {
      ++s.window_layers;
      s.window_tokens = l.attn.sliding_window;
    }
    if (l.attn.sparse_topk > 0) {
      ++s.sparse_layers;
      s.sparse_topk = l.attn.sparse_topk;
    }
    switch (l.ffn.kind) {
      case FfnSpec::Kind::moe:
        ++s.moe_layers;
        s.experts = l.ffn.num_experts;
        s.top_k = l.ffn.experts_per_token;
        s.shared = l.ffn.num_shared_experts;
        break;
      case FfnSpec::Kind::dense: ++s.dense_ffn_layers; break;
      case FfnSpec::Kind::none: ++s.no_ffn_layers; break;
    }
  }
  std::vector<std::string> parts;
  parts.push_back(s.moe_layers > 0 ? "moe" : "dense");
  if (s.mla_layers > 0) parts.push_back("mla");
  if (s.sparse_layers > 0) parts.push_back("sparse-attention");
  if (s.mamba_layers > 0) parts.push_back("hybrid-mamba");
  if (s.deltanet_layers > 0) parts.push_back("hybrid-deltanet");
  if (s.window_layers > 0) parts.push_back("sliding-window");
  if (s.chunked_layers > 0) parts.push_back("chunked-attention");
  if (s.no_attention_layers > 0 || s.no_ffn_layers > 0) parts.push_back("per-layer");
  for (const auto& p : parts) s.kind += (s.kind.empty() ? "" : "+") + p;
  return s;
}

std::string short_source(const std::string& src, Format f) {
  if (f != Format::table) return src;
  std::string s = src.substr(0, src.find_first_of(";("));
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

}  // namespace

std::string render_models(const std::vector<catalog::ModelSpec>& models, Format f) {
  Table t({{"id", "id"},
           {"name", "name"},
           {"type", "type"},
           {"layers", "layers", 0},
           {"total_params_b", "total B", 1},
           {"active_params_b", "active B", 1},
           {"kv_bytes_per_token_bf16", "KV B/token bf16", 0},
           {"max_context_tokens", "max ctx", 0},
           {"source", "source"}});
  for (const auto& m : models) {
    const auto p = catalog::count_params(m);
    t.add_row({m.id, m.display_name, shape_of(m).kind, static_cast<long long>(m.layers.size()), p.total / kBillion,
               p.active / kBillion, catalog::kv_bytes_per_token(m, Precision::bf16),
               m.max_context > 0 ? Cell{static_cast<long long>(m.max_context)} : Cell{}, short_source(m.source, f)});
  }
  return t.render(f);
}

std::string render_model(const catalog::ModelQuery& q, Format f) {
  const ModelSpec& m = q.model;
  const Precision wp = q.weights, kvp = q.kv;
  struct {
    double context_len;
  } o{q.context_tokens};
  const auto p = catalog::count_params(m);
  const auto fl = catalog::flops_per_token(m, o.context_len);
  const Shape s = shape_of(m);
  std::string aliases;
  for (const auto& a : m.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
  std::vector<std::string> note_list = m.notes;
  if (m.max_context > 0 && o.context_len > static_cast<double>(m.max_context))
    note_list.push_back(fmt::format("context {} exceeds the model's max_position_embeddings {}", o.context_len,
                                    m.max_context));
  std::string notes;
  for (const auto& n : note_list) notes += (notes.empty() ? "" : "; ") + n;

  std::vector<std::pair<std::string, Cell>> kv = {
      {"id", m.id},
      {"name", m.display_name},
      {"hf_repo", m.hf_repo},
      {"model_type", m.model_type},
      {"architecture", s.kind},
      {"config_path", m.config_path},
      {"source", short_source(m.source, f)},
      {"aliases", aliases},
      {"layers", static_cast<long long>(m.layers.size())},
      {"hidden_size", static_cast<long long>(m.hidden_size)},
      {"vocab_size", static_cast<long long>(m.vocab_size)},
      {"max_context_tokens", static_cast<long long>(m.max_context)},
      {"tie_word_embeddings", m.tie_word_embeddings},
      {"attention_layers", s.attention_layers},
      {"mla_layers", s.mla_layers},
      {"mamba_layers", s.mamba_layers},
      {"gated_deltanet_layers", s.deltanet_layers},
      {"no_attention_layers", s.no_attention_layers},
      {"sliding_window_layers", s.window_layers},
      {"sliding_window_tokens", s.window_tokens},
      {"chunked_attention_layers", s.chunked_layers},
      {"attention_chunk_tokens", s.chunk_tokens},
      {"sparse_attention_layers", s.sparse_layers},
      {"sparse_attention_topk_tokens", s.sparse_topk},
      {"moe_layers", s.moe_layers},
      {"dense_ffn_layers", s.dense_ffn_layers},
      {"no_ffn_layers", s.no_ffn_layers},
      {"routed_experts", s.experts},
      {"experts_per_token", s.top_k},
      {"shared_experts", s.shared},
      {"mtp_layers_excluded", static_cast<long long>(m.mtp_layers)},
      {"native_weight_precision", std::string(catalog::to_string(m.native_weight_precision)) +
                                      (m.native_precision_experts_only ? " (routed experts; rest bf16)" : "")},
      {"params_total_b", p.total / kBillion},
      {"params_active_b", p.active / kBillion},
      {"params_active_excl_embedding_b", p.active_excl_embedding / kBillion},
      {"params_embedding_b", p.embedding / kBillion},
      {"params_attention_b", p.attention / kBillion},
      {"params_mamba_b", p.mamba / kBillion},
      {"params_dense_ffn_b", p.dense_ffn / kBillion},
      {"params_routed_experts_b", p.routed_experts / kBillion},
      {"params_shared_experts_b", p.shared_experts / kBillion},
      {"params_router_b", p.router / kBillion},
      {"params_norms_b", p.norms / kBillion},
      {"params_vision_b", p.vision / kBillion},
      {"params_mtp_not_in_total_b", p.mtp / kBillion},
      {"weight_gb_native", catalog::weight_bytes_native(m) / 1e9},
  };
  for (Precision q : {Precision::bf16, Precision::fp8, Precision::nvfp4, Precision::mxfp4, Precision::int4})
    kv.emplace_back(fmt::format("weight_gb_{}", catalog::to_string(q)), catalog::weight_bytes(m, q) / 1e9);
  kv.emplace_back("precision", std::string(catalog::to_string(wp)));
  kv.emplace_back("weight_gb_at_precision", catalog::weight_bytes(m, wp) / 1e9);
  kv.emplace_back("context_tokens", o.context_len);
  kv.emplace_back("gflops_per_token_linear", fl.linear / 1e9);
  kv.emplace_back("gflops_per_token_attention", fl.attention / 1e9);
  kv.emplace_back("gflops_per_token_router", fl.router / 1e9);
  kv.emplace_back("gflops_per_token_total", fl.total() / 1e9);
  kv.emplace_back("kv_dtype", std::string(catalog::to_string(kvp)));
  kv.emplace_back("kv_bytes_per_token_full_layers", catalog::kv_bytes_per_token(m, kvp));
  kv.emplace_back("kv_bytes_per_token_at_context", catalog::kv_bytes_per_token(m, kvp, o.context_len));
  kv.emplace_back("kv_gb_per_sequence_at_context", catalog::kv_bytes_for_sequence(m, kvp, o.context_len) / 1e9);
  kv.emplace_back("state_bytes_per_sequence", catalog::state_bytes_per_sequence(m, kvp));
  kv.emplace_back("notes", notes);
  // The table view is read by people: numbers as left-aligned text (4 decimals, integers without), so long
  // text values (aliases, notes) do not push them to the far right. json/csv keep typed full-precision values.
  if (f == Format::table)
    for (auto& [key, cell] : kv) {
      if (const auto* d = std::get_if<double>(&cell))
        cell = format_number(*d, std::floor(*d) == *d ? 0 : 4);
      else if (const auto* i = std::get_if<long long>(&cell))
        cell = format_number(static_cast<double>(*i), 0);
    }
  return render_kv(kv, f);
}

}  // namespace tokenmath::report
