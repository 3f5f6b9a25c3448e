// Renderers of accelerator and system records: listings and details (report/catalog.hpp).
#include <fmt/format.h>

#include "tokenmath/catalog/catalog.hpp"
#include "tokenmath/report/catalog.hpp"

namespace tokenmath::report {

namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

// Optional figures (0 = not supported / not published) show as empty cells, not as 0.
Cell opt(double v) { return v > 0 ? Cell{v} : Cell{}; }

// Key/value blocks mix long text and numbers; in the terminal table numbers are printed as left-aligned text
// (thousands separators, no padding zeros) so they sit next to their key. json/csv keep the numbers.
std::string show(std::vector<std::pair<std::string, Cell>> kv, Format f) {
  if (f == Format::table)
    for (auto& [k, v] : kv) {
      if (const double* d = std::get_if<double>(&v)) {
        std::string t = format_number(*d, 4);
        if (t.find('.') != std::string::npos) {
          while (t.back() == '0') t.pop_back();
          if (t.back() == '.') t.pop_back();
        }
        v = t;
      } else if (const long long* i = std::get_if<long long>(&v)) {
        v = format_number(static_cast<double>(*i), 0);
      }
    }
  return render_kv(kv, f);
}

}  // namespace

std::string render_gpus(const std::vector<catalog::GpuSpec>& gpus, Format f) {
  Table t({{"id", "id"},
           {"name", "name"},
           {"vendor", "vendor"},
           {"year", "year"},
           {"dense_bf16_tflops", "bf16 TFLOPS", 0},
           {"dense_fp8_tflops", "fp8 TFLOPS", 0},
           {"dense_fp4_tflops", "fp4 TFLOPS", 0},
           {"mem_gb", "mem GB", 0},
           {"mem_tb_s", "mem TB/s", 2},
           {"mem_kind", "mem"},
           {"scaleup_gb_s_per_dir", "scale-up GB/s", 0},
           {"scaleup_domain_gpus", "domain", 0},
           {"tdp_w", "TDP W", 0},
           {"preliminary", "prelim"},
           {"source", "source"}});
  for (const auto& g : gpus) {
    // The table view keeps the source short (its first reference); json/csv carry the whole text.
    std::string src = g.source;
    if (f == Format::table) src = src.substr(0, src.find("; ")).substr(0, 60);
    t.add_row({g.id, g.name, g.vendor, std::to_string(g.year), g.dense_bf16_tflops, opt(g.dense_fp8_tflops),
               opt(g.dense_fp4_tflops), g.mem_gb, g.mem_tb_s, g.mem_kind, g.scaleup_gb_s,
               static_cast<long long>(g.scaleup_domain_gpus), opt(g.tdp_w), g.preliminary, src});
  }
  return t.render(f);
}

std::string render_gpu(const catalog::GpuSpec& g, Format f) {
  std::vector<std::pair<std::string, Cell>> kv = {
      {"id", g.id},
      {"name", g.name},
      {"vendor", g.vendor},
      {"year", std::to_string(g.year)},
      {"dense_bf16_tflops", g.dense_bf16_tflops},
      {"dense_fp8_tflops", opt(g.dense_fp8_tflops)},
      {"dense_fp4_tflops", opt(g.dense_fp4_tflops)},
      {"sparse_bf16_tflops", opt(g.sparse_bf16_tflops)},
      {"sparse_fp8_tflops", opt(g.sparse_fp8_tflops)},
      {"sparse_fp4_tflops", opt(g.sparse_fp4_tflops)},
      {"mem_gb", g.mem_gb},
      {"mem_tb_s", g.mem_tb_s},
      {"mem_kind", g.mem_kind},
      {"scaleup_gb_s_per_dir", g.scaleup_gb_s},
      {"scaleup_domain_gpus", static_cast<long long>(g.scaleup_domain_gpus)},
      {"tdp_w", opt(g.tdp_w)},
      {"compute_units", static_cast<long long>(g.compute_units)},
      {"preliminary", g.preliminary},
      {"derived_fields", join(g.derived_fields)},
      {"aliases", join(g.aliases)},
      {"source", g.source},
      {"notes", g.notes},
  };
  return show(std::move(kv), f);
}

std::string render_systems(const std::vector<catalog::SystemSpec>& systems, Format f) {
  Table t({{"id", "id"},
           {"name", "name"},
           {"gpu", "gpu"},
           {"gpus_per_node", "GPUs/node", 0},
           {"gpus_per_rack", "GPUs/rack", 0},
           {"scaleup_domain_gpus", "scale-up domain", 0},
           {"scaleout_gb_s_per_gpu", "scale-out GB/s/GPU", 1},
           {"wall_w_per_gpu", "wall W/GPU", 0},
           {"rack_kw", "rack kW", 1},
           {"cooling", "cooling"},
           {"price_usd_per_gpu", "$/GPU", 0},
           {"price_date", "price date"},
           {"derived_fields", "derived"}});
  for (const auto& s : systems)
    t.add_row({s.id, s.name, s.gpu_id, static_cast<long long>(s.gpus_per_node), static_cast<long long>(s.gpus_per_rack),
               static_cast<long long>(s.scaleup_domain_gpus), s.scaleout_gb_s_per_gpu, s.wall_w_per_gpu,
               s.wall_w_per_gpu * s.gpus_per_rack / 1000.0, s.cooling,
               s.price_usd_per_gpu, s.price_date, join(s.derived_fields, f == Format::csv ? ";" : ",")});
  return t.render(f);
}

std::string render_system(const catalog::SystemSpec& s, Format f) {
  std::vector<std::pair<std::string, Cell>> kv = {
      {"id", s.id},
      {"name", s.name},
      {"gpu", s.gpu_id},
      {"gpus_per_node", static_cast<long long>(s.gpus_per_node)},
      {"gpus_per_rack", static_cast<long long>(s.gpus_per_rack)},
      {"scaleup_domain_gpus", static_cast<long long>(s.scaleup_domain_gpus)},
      {"scaleout_gb_s_per_gpu", s.scaleout_gb_s_per_gpu},
      {"wall_w_per_gpu", s.wall_w_per_gpu},
      {"host_memory_gb_per_gpu", s.host_memory_gb_per_gpu},
      {"host_link_gb_s_per_gpu", s.host_link_gb_s_per_gpu},
      {"host_source", s.host_source},
      {"cooling", s.cooling},
      {"price_usd_per_gpu", s.price_usd_per_gpu},
      // Aggregates computed here (not data): node and rack price and IT power.
      {"node_price_usd", s.price_usd_per_gpu * s.gpus_per_node},
      {"node_kw", s.wall_w_per_gpu * s.gpus_per_node / 1000.0},
      {"rack_kw", s.wall_w_per_gpu * s.gpus_per_rack / 1000.0},
      {"price_date", s.price_date},
      {"price_source", s.price_source},
      {"preliminary", s.preliminary},
      {"derived_fields", join(s.derived_fields)},
      {"aliases", join(s.aliases)},
      {"source", s.source},
      {"notes", s.notes},
  };
  return show(std::move(kv), f);
}

}  // namespace tokenmath::report
