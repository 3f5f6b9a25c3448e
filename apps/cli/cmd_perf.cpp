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
    auto profile = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("perf", "throughput-interactivity frontier of a model on a GPU");
    add_engine_profile_option(cmd, *profile);
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
    cmd->callback([req, format, svg, force, profile] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                    report::Format::md});
      std::optional<Context> profiled;
      const perf::PerfResult r = api::perf(context_for(*profile, profiled), *req);
      if (!svg->empty())
        if (const std::string chart = report::perf_svg(r); !chart.empty()) write_output(*svg, chart, "--svg", *force);
      std::cout << report::render_perf(r, f);
    });
  }
  {
    auto path = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto profile = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("validate", "predict published measurements and report the errors");
    add_engine_profile_option(cmd, *profile);
    cmd->add_option("file", *path, "CSV in the published-measurement format (see data/validation/README.md)")
        ->required();
    add_format_option(cmd, *format, {"table", "json", "csv", "md"});
    auto accuracy = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    cmd->add_option("--write-accuracy", *accuracy,
                    "write the frontier points' errors per GPU, model, engine and GPU x model to this JSON file, the "
                    "measured accuracy `perf` prints (the shipped one: data/validation/accuracy.json, from "
                    "data/validation/frontier.csv)");
    cmd->add_flag("--force", *force, "overwrite an existing --write-accuracy file");
    cmd->callback([path, format, profile, accuracy, force] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                    report::Format::md});
      std::optional<Context> profiled;
      const auto v = api::validate(context_for(*profile, profiled), *path);
      if (!accuracy->empty()) {
        if (v.frontier.n == 0)
          throw InputError(*path, "metric", "", "no frontier point was predicted (rows with a tokens/s-per-user "
                                                "figure), so there is no accuracy to write with --write-accuracy");
        write_output(*accuracy, report::accuracy_json(perf::accuracy_summary(v, *path)), "--write-accuracy", *force,
                     {*path});
      }
      std::cout << report::render_validation(v, f);
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
    auto engine = std::make_shared<std::string>();
    cmd->add_option("--engine", *engine,
                    "engine profile of data/perf/efficiency.yaml whose factors apply (e.g. sglang for its fused-MoE rows)");
    add_format_option(cmd, *format, {"table", "json", "csv", "md"});
    cmd->callback([path, gpu, engine, format] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::csv,
                                                    report::Format::md});
      std::cout << report::render_kernel_validation(api::validate_kernels(context(), *path, *gpu, *engine), f);
    });
  }
  {
    auto path = std::make_shared<std::string>();
    auto write = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>();
    auto no_holdout = std::make_shared<bool>(false);
    auto force = std::make_shared<bool>(false);
    auto from = std::make_shared<std::string>();
    auto keys = std::make_shared<std::string>();
    auto metrics = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "calibrate",
        "fit the efficiency factors on published measurements, or (--from FILE) one deployment's engine profile on "
        "its own measurements");
    cmd->add_option("file", *path, "CSV of measurements (default: data/validation/published.csv)");
    cmd->add_option("--from", *from,
                    "fit a deployment profile to this CSV (rows of `tokenmath bench --validation-csv`, or your own in "
                    "the format of data/validation/published.csv); --write saves the profile for --engine-profile")
        ->check(CLI::ExistingFile);
    cmd->add_option("--keys", *keys,
                    "with --from: efficiency keys to fit, comma-separated (default step_overhead_ms,seq_overhead_us,"
                    "memory_bw; e.g. host_overlap, compute_bf16, attention_memory_bw)");
    cmd->add_option("--metrics", *metrics,
                    "with --from: row metrics fitted, comma-separated (default output_tokens_per_s_total,tpot_ms; also "
                    "ttft_ms, itl_ms, e2e_s, tokens_per_s_per_user)");
    cmd->add_flag("--no-holdout", *no_holdout, "skip the hold-out check (fit on one source, test on the others)");
    cmd->add_option("--write", *write, "write the fitted factors as YAML to this file");
    add_format_option(cmd, *format, {"table", "json", "md"});
    cmd->add_flag("--force", *force, "overwrite an existing --write file");
    cmd->callback([path, write, format, no_holdout, force, from, keys, metrics] {
      const auto f = report::parse_format(*format, {report::Format::table, report::Format::json, report::Format::md});
      if (!from->empty()) {
        if (!path->empty()) throw InputError("<command line>", "--from", *from, "give either FILE or --from FILE, not both");
        api::ProfileCalibrationRequest req;
        req.csv_path = *from;
        auto split = [](const std::string& text) {
          std::vector<std::string> out;
          std::string item;
          for (char ch : text + ",") {
            if (ch == ',') {
              if (!item.empty()) out.push_back(item);
              item.clear();
            } else if (ch != ' ') {
              item += ch;
            }
          }
          return out;
        };
        if (!keys->empty()) req.keys = split(*keys);
        if (!metrics->empty()) req.metrics = split(*metrics);
        const api::ProfileCalibration c = api::calibrate_profile(context(), req);
        if (!write->empty()) write_output(*write, api::profile_yaml(c), "--write", *force, {*from});
        std::cout << report::render_profile_fit(c.fit, c.source, f);
        return;
      }
      if (!keys->empty() || !metrics->empty())
        throw InputError("<command line>", "--keys/--metrics", "", "apply to --from FILE");
      const api::Calibration c = api::calibrate(context(), *path, !*no_holdout);
      if (!write->empty()) write_output(*write, api::calibration_yaml(c), "--write", *force, {*path});
      std::cout << report::render_calibration(c.result, f);
    });
  }
}

}  // namespace tokenmath::cli
