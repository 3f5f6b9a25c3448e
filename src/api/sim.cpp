#include "tokenmath/api/sim.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "tokenmath/common/error.hpp"
#include "tokenmath/report/sim.hpp"
#include "tokenmath/sim/scenario.hpp"

namespace tokenmath::api {

std::string simulate(const SimulateRequest& req, report::Format f) {
  sim::Scenario sc = sim::load_scenario(req.scenario_path);
  if (req.seed >= 0) sc.seed = static_cast<std::uint64_t>(req.seed);
  if (req.requests == 0) throw InputError("<command line>", "--requests", "0", "must be >= 1");
  if (req.requests > 0) {
    sc.workload.max_requests = req.requests;
    sc.expected_requests = req.requests;
  }
  sim::SimOptions opt;
  opt.expected_requests = sc.expected_requests;
  opt.expected_sim_s = sc.workload.duration_s;
  std::ofstream csv;
  if (!req.requests_csv.empty()) {
    csv.open(req.requests_csv);
    if (!csv) throw InputError("<command line>", "--requests-csv", req.requests_csv, "cannot write this file");
    csv << report::sim_request_csv_header();
    opt.on_request = [&csv](const sim::RequestRecord& r) { csv << report::sim_request_csv_row(r); };
  }
  int last_pct = -1;
  if (req.progress) {
    opt.on_progress = [&last_pct](double frac) {
      const int pct = static_cast<int>(frac * 100);
      if (pct == last_pct) return;
      last_pct = pct;
      const int bar = pct * 40 / 100;
      fmt::print(stderr, "\r[{:<40}] {:3d}%", std::string(static_cast<std::size_t>(bar), '#'), pct);
      std::fflush(stderr);
    };
  }
  auto wl = sim::make_workload(sc.workload, sc.seed);
  const auto t0 = std::chrono::steady_clock::now();
  const sim::SimResult r = sim::simulate(sc.config, *wl, opt);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (req.progress) fmt::print(stderr, "\r{:<48}\r", "");
  if (req.bench)
    fmt::print(stderr, "bench: {} requests, {} events, {} steps in {:.3f} s wall: {:.0f} simulated requests/s, {:.0f} events/s\n",
               r.arrived, r.events, r.steps, wall_s, static_cast<double>(r.arrived) / wall_s,
               static_cast<double>(r.events) / wall_s);
  return report::render_sim(sc, r, f);
}

}  // namespace tokenmath::api
