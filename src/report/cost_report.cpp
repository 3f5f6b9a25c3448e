// Renderers of cost records: API price lists and the $/GPU-hour breakdown of systems (report/cost.hpp).
#include "tokenmath/report/cost.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tokenmath/cost/cost.hpp"

namespace tokenmath::report {

namespace {

Cell opt(const std::optional<double>& v) { return v ? Cell{*v} : Cell{}; }
}  // namespace

std::string render_prices(const std::vector<cost::ApiPrice>& prices, Format f) {
  Table t({{"model", "model"},
           {"provider", "provider"},
           {"input_usd_per_mtok", "input $/M", 3},
           {"cached_input_usd_per_mtok", "cached $/M", 3},
           {"cache_write_usd_per_mtok", "cache write $/M", 3},
           {"output_usd_per_mtok", "output $/M", 3},
           {"max_input_tokens", "max input", 0}});
  for (const auto& p : prices) {
    t.add_row({p.model, p.provider, p.input_usd_per_mtok, opt(p.cached_input_usd_per_mtok),
               opt(p.cache_write_usd_per_mtok), p.output_usd_per_mtok,
               p.max_input_tokens > 0 ? Cell{p.max_input_tokens} : Cell{}});
  }
  return t.render(f);
}

std::string render_system_cost(const cost::SystemCost& sc, Format f) {
  const catalog::SystemSpec& sys = sc.system;
  const cost::CostAssumptions& a = sc.assumptions;
  const cost::OwnedCost& c = sc.owned;
  const auto& rented = sc.rented;
  const std::string& price_note = sc.price_note;
  const std::string& power_note = sc.power_note;

  // One row per figure: section, item, value, unit, source. The json form nests the same figures.
  Table t({{"section", "section"}, {"item", "item"}, {"value", "value", 3}, {"unit", "unit"}, {"source", "source"}});
  t.add_row({"capex", "system", c.system_usd_per_gpu, "$/GPU", price_note});
  t.add_row({"capex", "network share", c.network_usd_per_gpu, "$/GPU", "network_share x system"});
  t.add_row({"capex", "installation", c.installation_usd_per_gpu, "$/GPU", "installation_share x system"});
  t.add_row({"capex", "spares", c.spares_usd_per_gpu, "$/GPU", "spares_fraction x system"});
  t.add_row({"capex", "total", c.capex_usd_per_gpu, "$/GPU", "sum"});
  t.add_row({"capex", "crf", c.crf, "1/yr", "r / (1 - (1 + r)^-N)"});
  t.add_row({"owned", "capital", c.capital_usd_per_gpu_hour, "$/GPU-h",
             "(capex - spares, net of residual (1+r)^-N) x CRF / 8760"});
  t.add_row({"owned", "spares", c.spares_usd_per_gpu_hour, "$/GPU-h", "(spares net of residual (1+r)^-N) x CRF / 8760"});
  t.add_row({"owned", "power", c.power_usd_per_gpu_hour, "$/GPU-h",
             fmt::format("(u {} x {:.3f} + (1 - u) x {:.3f}) kW x PUE {:.2f} x $/kWh ({} kW rated, {}: {})",
                         c.utilization, c.busy_kw_per_gpu, c.idle_kw_per_gpu, c.pue, c.wall_kw_per_gpu, sys.cooling,
                         power_note)});
  t.add_row({"owned", "facility", c.facility_usd_per_gpu_hour, "$/GPU-h", "colo $/kW-month x rated kW / 730"});
  t.add_row({"owned", "staff", c.staff_usd_per_gpu_hour, "$/GPU-h",
             "staff_fte_per_mw x rated kW / 1000 x staff_usd_per_fte_year / 8760"});
  t.add_row({"owned", "software", c.software_usd_per_gpu_hour, "$/GPU-h", "software_usd_per_gpu_year / 8760"});
  t.add_row({"owned", "total", c.total_usd_per_gpu_hour, "$/GPU-h", "per GPU-hour owned, busy or idle"});
  t.add_row({"owned", "per busy hour", c.total_usd_per_gpu_hour / a.utilization, "$/GPU-h",
             fmt::format("total / utilization {}", a.utilization)});
  for (const auto& r : rented)
    t.add_row({"rented", r.tier, r.usd_per_gpu_hour, "$/GPU-h",
               fmt::format("{}..{} {}{} ({})", r.low_usd_per_gpu_hour, r.high_usd_per_gpu_hour,
                           r.derived ? "derived: " : "", r.source, r.date)});
  if (rented.empty()) t.add_row({"rented", "none published", Cell{}, "$/GPU-h", "no rental price for " + sys.gpu_id});
  for (const auto& k : cost::assumption_keys()) {
    const auto& pv = a.provenance.at(k.key);
    t.add_row({"assumption", k.key, cost::get_assumption(a, k.key), k.unit,
               pv.date.empty() ? pv.source : fmt::format("{} ({})", pv.source, pv.date)});
  }
  if (f == Format::table) {
    // Keep the terminal table readable: long sources are cut here and printed whole in json/csv/md.
    Table shortened(t.columns());
    for (auto row : t.rows()) {
      if (auto* s = std::get_if<std::string>(&row.back()); s && s->size() > 110) *s = s->substr(0, 107) + "...";
      shortened.add_row(row);
    }
    t = shortened;
  }
  if (f != Format::json) {
    std::string head = fmt::format("{} ({}, {} GPUs/node, {} cooling): owned ${:.2f}/GPU-h", sys.name, sys.gpu_id,
                                   sys.gpus_per_node, sys.cooling, c.total_usd_per_gpu_hour);
    for (const auto& r : rented) head += fmt::format("; {} ${:.2f}", r.tier, r.usd_per_gpu_hour);
    return f == Format::csv ? t.render(f) : head + "\n\n" + t.render(f);
  }
  nlohmann::json j;
  j["system"] = sys.id;
  j["gpu"] = sys.gpu_id;
  j["cooling"] = sys.cooling;
  j["owned"] = {{"system_usd_per_gpu", c.system_usd_per_gpu},
                {"network_usd_per_gpu", c.network_usd_per_gpu},
                {"installation_usd_per_gpu", c.installation_usd_per_gpu},
                {"spares_usd_per_gpu", c.spares_usd_per_gpu},
                {"capex_usd_per_gpu", c.capex_usd_per_gpu},
                {"residual_usd_per_gpu", c.residual_usd_per_gpu},
                {"crf", c.crf},
                {"pue", c.pue},
                {"wall_kw_per_gpu", c.wall_kw_per_gpu},
                {"busy_kw_per_gpu", c.busy_kw_per_gpu},
                {"idle_kw_per_gpu", c.idle_kw_per_gpu},
                {"utilization", c.utilization},
                {"capital_usd_per_gpu_hour", c.capital_usd_per_gpu_hour},
                {"spares_usd_per_gpu_hour", c.spares_usd_per_gpu_hour},
                {"power_usd_per_gpu_hour", c.power_usd_per_gpu_hour},
                {"facility_usd_per_gpu_hour", c.facility_usd_per_gpu_hour},
                {"staff_usd_per_gpu_hour", c.staff_usd_per_gpu_hour},
                {"software_usd_per_gpu_hour", c.software_usd_per_gpu_hour},
                {"total_usd_per_gpu_hour", c.total_usd_per_gpu_hour},
                {"usd_per_busy_gpu_hour", c.total_usd_per_gpu_hour / a.utilization},
                {"price_source", price_note}};
  j["rented"] = nlohmann::json::array();
  for (const auto& r : rented)
    j["rented"].push_back({{"tier", r.tier},
                           {"usd_per_gpu_hour", r.usd_per_gpu_hour},
                           {"low_usd_per_gpu_hour", r.low_usd_per_gpu_hour},
                           {"high_usd_per_gpu_hour", r.high_usd_per_gpu_hour},
                           {"derived", r.derived},
                           {"source", r.source},
                           {"date", r.date}});
  j["assumptions"] = nlohmann::json::object();
  for (const auto& k : cost::assumption_keys()) {
    const auto& pv = a.provenance.at(k.key);
    j["assumptions"][k.key] = {
        {"value", cost::get_assumption(a, k.key)}, {"unit", k.unit}, {"source", pv.source}, {"date", pv.date}};
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_system_costs(const std::vector<cost::SystemCost>& systems, Format f) {
  Table t({{"system", "system"},
           {"gpu", "gpu"},
           {"cooling", "cooling"},
           {"capex_usd_per_gpu", "capex $/GPU", 0},
           {"capital_usd_per_gpu_hour", "capital", 3},
           {"power_usd_per_gpu_hour", "power", 3},
           {"facility_usd_per_gpu_hour", "facility", 3},
           {"spares_usd_per_gpu_hour", "spares", 3},
           {"staff_usd_per_gpu_hour", "staff", 3},
           {"software_usd_per_gpu_hour", "software", 3},
           {"owned_usd_per_gpu_hour", "owned $/GPU-h", 2},
           {"owned_usd_per_busy_gpu_hour", "owned $/busy GPU-h", 2},
           {"hyperscaler_usd_per_gpu_hour", "hyperscaler", 2},
           {"neocloud_usd_per_gpu_hour", "neocloud", 2},
           {"reserved_usd_per_gpu_hour", "reserved", 2},
           {"spot_usd_per_gpu_hour", "spot (interruptible)", 2}});
  for (const auto& sc : systems) {
    const auto& sys = sc.system;
    const auto& a = sc.assumptions;
    const cost::OwnedCost& c = sc.owned;
    auto tier = [&](std::string_view name) -> Cell {
      const auto* r = cost::find_rental_price(sc.rented, sys.gpu_id, name);
      return r ? Cell{r->usd_per_gpu_hour} : Cell{};
    };
    t.add_row({sys.id, sys.gpu_id, sys.cooling, c.capex_usd_per_gpu, c.capital_usd_per_gpu_hour,
               c.power_usd_per_gpu_hour, c.facility_usd_per_gpu_hour, c.spares_usd_per_gpu_hour,
               c.staff_usd_per_gpu_hour, c.software_usd_per_gpu_hour, c.total_usd_per_gpu_hour,
               c.total_usd_per_gpu_hour / a.utilization, tier(cost::kTierHyperscaler), tier(cost::kTierNeocloud),
               tier(cost::kTierReserved), tier(cost::kTierSpot)});
  }
  return t.render(f);
}

}  // namespace tokenmath::report
