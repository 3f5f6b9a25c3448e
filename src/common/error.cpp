#include "tokenmath/common/error.hpp"

#include <algorithm>
#include <cctype>

namespace tokenmath {

namespace {
// One line, bounded: control characters are escaped (a newline in a bad value or a parser message would split
// the message) and a part longer than `max` bytes is cut with "...".
std::string one_line(std::string_view part, std::size_t max) {
  std::string out;
  for (const char ch : part) {
    if (out.size() >= max) {
      // Never end inside a UTF-8 sequence: drop its continuation bytes and its lead byte.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}
}  // namespace

std::string format_input_error(std::string_view file, std::string_view field, std::string_view value,
                               std::string_view problem) {
  std::string out;
  auto add = [&](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += ": ";
    out += part;
  };
  add(one_line(file, 512));
  add(one_line(field, 256));
  if (!value.empty()) add("value '" + one_line(value, 80) + "'");
  add(one_line(problem, 1024));
  return out;
}

InputError::InputError(std::string file, std::string field, std::string value, std::string problem)
    : std::runtime_error(format_input_error(file, field, value, problem)),
      file_(std::move(file)),
      field_(std::move(field)),
      value_(std::move(value)),
      problem_(std::move(problem)) {}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const std::string a = to_lower(a_in), b = to_lower(b_in);
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({sub, prev[j] + 1, cur[j - 1] + 1});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       std::size_t max) {
  const std::size_t tolerance = std::max<std::size_t>(2, name.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::string lname = to_lower(name);
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(name, c);
    // A candidate that contains the name (or vice versa) is a strong hint even when lengths differ.
    const std::string lc = to_lower(c);
    if (!lname.empty() && (lc.find(lname) != std::string::npos || lname.find(lc) != std::string::npos)) d = 1;
    if (d <= tolerance) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (const auto& [d, c] : scored) {
    if (out.size() >= max) break;
    out.push_back(c);
  }
  return out;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const auto close = closest_names(name, candidates);
  if (close.empty()) return "";
  std::string out = "; did you mean ";
  for (std::size_t i = 0; i < close.size(); ++i) {
    if (i) out += (i + 1 == close.size()) ? " or " : ", ";
    out += "'" + close[i] + "'";
  }
  return out + "?";
}

std::string reword_request_error(const InputError& e, std::string_view origin,
                                 std::string (*option_word)(std::string_view name)) {
  auto reword = [&](const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::size_t close = s[i] == '`' ? s.find('`', i + 1) : std::string::npos;
      const std::string name = close == std::string::npos ? "" : s.substr(i + 1, close - i - 1);
      const bool option = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!option) {
        out += s[i];
        continue;
      }
      out += option_word(name);
      i = close;
    }
    return out;
  };
  const std::string file = e.file() == kRequest ? std::string(origin) : e.file();
  return format_input_error(file, reword(e.field()), e.value(), reword(e.problem()));
}

}  // namespace tokenmath
