// Readers for public LLM serving traces (Azure LLM inference 2023/2024 CSV, Mooncake FAST'25 JSONL).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"
#include "tokenmath/sim/workload.hpp"

namespace tokenmath::sim {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

template <class T>
bool parse_num(std::string_view s, T& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "2023-11-16 18:17:03.9799600" -> seconds since the epoch (UTC, as a double).
bool parse_timestamp(std::string_view s, double& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.remove_suffix(1);
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
      s[16] != ':')
    return false;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double sec = 0;
  if (!parse_num(s.substr(0, 4), y) || !parse_num(s.substr(5, 2), mo) || !parse_num(s.substr(8, 2), d) ||
      !parse_num(s.substr(11, 2), h) || !parse_num(s.substr(14, 2), mi) || !parse_num(s.substr(17), sec))
    return false;
  // A real calendar time only (2023-13-45 or 25:61:99 is not one).
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || !(sec >= 0 && sec < 61))
    return false;
  out = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0 +
        h * 3600.0 + mi * 60.0 + sec;
  return true;
}

// Sorts by time; calendar timestamps are rebased to the first request (their origin is a date), numeric seconds
// keep the trace's own origin (a replay starts where the trace does) unless `rebase`.
void finish(Trace& t, bool rebase) {
  std::stable_sort(t.rows.begin(), t.rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.time_s < b.time_s; });
  if (t.rows.empty()) throw InputError(t.file, "", "", "trace has no requests");
  if (!rebase) return;
  const double t0 = t.rows.front().time_s;
  for (auto& r : t.rows) r.time_s -= t0;
}

// Column index of the first of `names` in a CSV header, or npos.
std::size_t column(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (const char* n : names)
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == n) return i;
  return std::string::npos;
}

std::vector<std::string> split_csv_simple(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto c = line.find(',', start);
    out.push_back(line.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

}  // namespace

Trace load_azure_trace(const std::filesystem::path& path) {
  check_input_file(path, kMaxTraceFileBytes);
  std::ifstream in(path);
  Trace t;
  t.file = path.string();
  t.format = "azure";
  if (!in) throw InputError(t.file, "", "", "cannot open trace file");
  // Azure: TIMESTAMP,ContextTokens,GeneratedTokens with calendar timestamps (or numeric seconds, the
  // Splitwise form); Vidur's processed traces: arrived_at,num_prefill_tokens,num_decode_tokens in seconds.
  std::string line;
  std::size_t lineno = 0;
  std::size_t ct = 0, ci = 1, co = 2, ncols = 3;
  bool numeric = false, calendar = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (lineno == 1) {
      const auto header = split_csv_simple(line);
      ct = column(header, {"TIMESTAMP", "arrived_at"});
      ci = column(header, {"ContextTokens", "num_prefill_tokens"});
      co = column(header, {"GeneratedTokens", "num_decode_tokens"});
      ncols = header.size();
      if (ct == std::string::npos || ci == std::string::npos || co == std::string::npos)
        throw InputError(t.file, "line 1", line.substr(0, 120),
                         "expected the header TIMESTAMP,ContextTokens,GeneratedTokens (Azure, Splitwise) or "
                         "arrived_at,num_prefill_tokens,num_decode_tokens (Vidur)");
      continue;
    }
    const auto f = split_csv_simple(line);
    TraceRow row;
    bool ok = f.size() == ncols && parse_num(std::string_view(f[ci]), row.input_tokens) &&
              parse_num(std::string_view(f[co]), row.output_tokens) && row.input_tokens >= 0 && row.output_tokens >= 0;
    if (ok) {
      if (parse_timestamp(f[ct], row.time_s)) {
        calendar = true;
      } else if (parse_num(std::string_view(f[ct]), row.time_s) && std::isfinite(row.time_s) && row.time_s >= 0 &&
                 row.time_s < 1e12) {
        numeric = true;
      } else {
        ok = false;
      }
    }
    if (!ok || (numeric && calendar))
      throw InputError(t.file, fmt::format("line {}", lineno), line.substr(0, 120),
                       numeric && calendar ? "mixes calendar timestamps and numeric seconds"
                                           : "expected a timestamp (YYYY-MM-DD hh:mm:ss.f or seconds >= 0) and two "
                                             "token counts >= 0");
    t.rows.push_back(std::move(row));
  }
  finish(t, /*rebase=*/!numeric);
  return t;
}

Trace load_mooncake_trace(const std::filesystem::path& path) {
  check_input_file(path, kMaxTraceFileBytes);
  std::ifstream in(path);
  Trace t;
  t.file = path.string();
  t.format = "mooncake";
  if (!in) throw InputError(t.file, "", "", "cannot open trace file");
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    const std::string where = fmt::format("line {}", lineno);
    nlohmann::json j;
    check_nesting(line, t.file + ":" + where, 8);
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(t.file, where, line.substr(0, 60), std::string("not valid JSON: ") + e.what());
    }
    TraceRow row;
    try {
      // Range-checked as doubles before any integer conversion (1e300 cast to int32 is undefined).
      const double ms = j.at("timestamp").get<double>();
      const auto in_len = j.at("input_length").get<double>(), out_len = j.at("output_length").get<double>();
      if (!std::isfinite(ms) || ms < 0 || ms > 1e15 || !(in_len >= 0) || !(out_len >= 0) || in_len > 2147483647.0 ||
          out_len > 2147483647.0 || in_len != std::floor(in_len) || out_len != std::floor(out_len))
        throw InputError(t.file, where, line.substr(0, 60),
                         "timestamp must be finite ms in [0, 1e15] and lengths whole numbers in [0, 2^31)");
      row.time_s = ms / 1000.0;  // milliseconds in the file
      row.input_tokens = static_cast<std::int32_t>(in_len);
      row.output_tokens = static_cast<std::int32_t>(out_len);
      if (j.contains("hash_ids")) {
        const auto& ids = j.at("hash_ids");
        if (!ids.is_array())
          throw InputError(t.file, where + "/hash_ids", line.substr(0, 60), "must be a list of non-negative integers");
        row.hash_ids.reserve(ids.size());
        for (const auto& id : ids) {
          // Only integer literals: a float (4e122) would be converted with undefined behaviour.
          if (!id.is_number_unsigned())
            throw InputError(t.file, where + "/hash_ids", id.dump().substr(0, 60), "must be a list of non-negative integers");
          row.hash_ids.push_back(id.get<std::uint64_t>());
        }
      }
    } catch (const nlohmann::json::exception& e) {
      throw InputError(t.file, where, line.substr(0, 60),
                       std::string("expected timestamp (ms), input_length, output_length, hash_ids: ") + e.what());
    }
    t.rows.push_back(std::move(row));
  }
  finish(t, /*rebase=*/false);  // milliseconds from the trace's own origin
  return t;
}

Trace load_trace(const std::filesystem::path& path, const std::string& format) {
  if (format == "azure") return load_azure_trace(path);
  if (format == "mooncake") return load_mooncake_trace(path);
  throw InputError(path.string(), "format", format,
                   "unknown trace format; valid: azure, mooncake" + did_you_mean(format, {"azure", "mooncake"}));
}

}  // namespace tokenmath::sim
