// perf, validate, validate-kernels, calibrate.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "tokenmath/tokenmath.hpp"

namespace tokenmath::cli {

void add_perf_commands(CLI::App& app) {
  {
    auto req = std::make_shared<api::PerfRequest>();
    auto format = std::make_shared<std::string>();
    auto svg = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("perf", "throughput-interactivity frontier of a model on a GPU");
    // Flags from the one declaration of the request (api::perf_request_schema: help, range, default).
    const schema::Schema ps = api::perf_request_schema();
    auto opt = [&](const char* key, auto& member) {
      const schema::Field* f = ps.find(key);
      std::string flag = std::string("--") + key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      CLI::Option* o = cmd->add_option(flag, member, f->help);
      if (std::isfinite(f->min)) o->check(finite_range(f->min, f->max));
      if (!f->default_value.empty()) o->capture_default_str();
      return o;
    };
    opt("model", req->model)->required();
    opt("gpu", req->gpu)->required();
    opt("tp", req->tp);
    opt("pp", req->pp);
    opt("ep", req->ep);
    cmd->add_flag("--dp-attn", req->dp_attn, ps.find("dp_attn")->help);
    opt("precision", req->precision);
    opt("kv_dtype", req->kv_dtype);
    opt("isl", req->isl);
    opt("osl", req->osl);
    opt("max_num_seqs", req->max_num_seqs);
    opt("max_batched_tokens", req->max_batched_tokens);
    opt("kv_mem_fraction", req->kv_mem_fraction);
    opt("top", req->top);
    cmd->add_option("--svg", *svg,
                    "write the frontier chart (tok/s/GPU vs tok/s/user) to this SVG file; when searching, the envelope "
                    "over all deployments with each deployment's curve faint beneath");
    opt("min_tok_s_user", req->min_tok_s_user);
    opt("engine", req->engine);
    opt("spec", req->spec);
    add_format_option(cmd, *format, {"table", "json", "csv", "md"});
    cmd->add_flag("--force", *force, "overwrite an existing --svg file");
    cmd->callback([req, format, svg, force] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                    report::Format::md});
      const perf::PerfResult r = api::perf(context(), *req);
      if (!svg->empty())
        if (const std::string chart = report::perf_svg(r); !chart.empty()) write_output(*svg, chart, "--svg", *force);
      std::cout << report::render_perf(r, f);
    });
  }
  {
    auto path = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("validate", "predict published measurements and report the errors");
    cmd->add_option("file", *path, "CSV in the published-measurement format (see data/validation/README.md)")
        ->required();
    add_format_option(cmd, *format, {"table", "json", "csv", "md"});
    cmd->callback([path, format] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                    report::Format::md});
      std::cout << report::render_validation(api::validate(context(), *path), f);
    });
  }
  {
    auto path = std::make_shared<std::string>();
    auto gpu = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("validate-kernels", "check the kernel formula against kernels timed on a real GPU");
    cmd->add_option("file", *path, "CSV written by scripts/gpu_microbench.py (see data/validation/kernels/README.md)")
        ->required();
    cmd->add_option("--gpu", *gpu, "catalog accelerator the CSV was measured on (default: its device column)");
    add_format_option(cmd, *format, {"table", "json", "csv", "md"});
    cmd->callback([path, gpu, format] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                    report::Format::md});
      std::cout << report::render_kernel_validation(api::validate_kernels(context(), *path, *gpu), f);
    });
  }
  {
    auto path = std::make_shared<std::string>();
    auto write = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto no_holdout = std::make_shared<bool>(false);
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("calibrate", "fit the efficiency factors on published measurements");
    cmd->add_option("file", *path, "CSV of measurements (default: data/validation/published.csv)");
    cmd->add_flag("--no-holdout", *no_holdout, "skip the hold-out check (fit on one source, test on the others)");
    cmd->add_option("--write", *write, "write the fitted factors as YAML to this file");
    add_format_option(cmd, *format, {"table", "json", "md"});
    cmd->add_flag("--force", *force, "overwrite an existing --write file");
    cmd->callback([path, write, format, no_holdout, force] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::md});
      const api::Calibration c = api::calibrate(context(), *path, !*no_holdout);
      if (!write->empty()) write_output(*write, api::calibration_yaml(c), "--write", *force, {*path});
      std::cout << report::render_calibration(c.result, f);
    });
  }
}

}  // namespace tokenmath::cli
