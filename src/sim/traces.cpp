// Readers for public LLM serving traces (Azure LLM inference 2023/2024 CSV, Mooncake FAST'25 JSONL).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenmath/common/error.hpp"
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
  out = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0 +
        h * 3600.0 + mi * 60.0 + sec;
  return true;
}

void finish(Trace& t) {
  std::stable_sort(t.rows.begin(), t.rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.time_s < b.time_s; });
  if (t.rows.empty()) throw InputError(t.file, "", "", "trace has no requests");
  const double t0 = t.rows.front().time_s;
  for (auto& r : t.rows) r.time_s -= t0;
}

}  // namespace

Trace load_azure_trace(const std::filesystem::path& path) {
  std::ifstream in(path);
  Trace t;
  t.file = path.string();
  t.format = "azure";
  if (!in) throw InputError(t.file, "", "", "cannot open trace file");
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (lineno == 1) {
      if (line.rfind("TIMESTAMP", 0) != 0)
        throw InputError(t.file, "line 1", line, "expected the header TIMESTAMP,ContextTokens,GeneratedTokens");
      continue;
    }
    const auto c1 = line.find(',');
    const auto c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    TraceRow row;
    if (c2 == std::string::npos || !parse_timestamp(std::string_view(line).substr(0, c1), row.time_s) ||
        !parse_num(std::string_view(line).substr(c1 + 1, c2 - c1 - 1), row.input_tokens) ||
        !parse_num(std::string_view(line).substr(c2 + 1), row.output_tokens) || row.input_tokens < 0 ||
        row.output_tokens < 0)
      throw InputError(t.file, fmt::format("line {}", lineno), line,
                       "expected TIMESTAMP (YYYY-MM-DD hh:mm:ss.f),ContextTokens,GeneratedTokens");
    t.rows.push_back(std::move(row));
  }
  finish(t);
  return t;
}

Trace load_mooncake_trace(const std::filesystem::path& path) {
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
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(t.file, where, line.substr(0, 60), std::string("not valid JSON: ") + e.what());
    }
    TraceRow row;
    try {
      row.time_s = j.at("timestamp").get<double>() / 1000.0;  // milliseconds in the file
      row.input_tokens = j.at("input_length").get<std::int32_t>();
      row.output_tokens = j.at("output_length").get<std::int32_t>();
      if (j.contains("hash_ids")) row.hash_ids = j.at("hash_ids").get<std::vector<std::uint64_t>>();
    } catch (const nlohmann::json::exception& e) {
      throw InputError(t.file, where, line.substr(0, 60),
                       std::string("expected timestamp (ms), input_length, output_length, hash_ids: ") + e.what());
    }
    t.rows.push_back(std::move(row));
  }
  finish(t);
  return t;
}

Trace load_trace(const std::filesystem::path& path, const std::string& format) {
  if (format == "azure") return load_azure_trace(path);
  if (format == "mooncake") return load_mooncake_trace(path);
  throw InputError(path.string(), "format", format,
                   "unknown trace format; valid: azure, mooncake" + did_you_mean(format, {"azure", "mooncake"}));
}

}  // namespace tokenmath::sim
