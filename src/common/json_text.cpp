#include "tokenmath/common/json_text.hpp"

#include <fmt/format.h>

#include <set>
#include <vector>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"

namespace tokenmath {

nlohmann::json parse_json_text(const std::string& text, const std::string& file) {
  using json = nlohmann::json;
  check_nesting(text, file);
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::vector<std::string> path;
  const json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
    switch (ev) {
      case json::parse_event_t::object_start: keys.emplace_back(); break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key: {
        const std::string k = parsed.get<std::string>();
        if (!keys.empty() && !keys.back().insert(k).second)
          throw InputError(file, "/" + k, "", "duplicate key in a JSON object (each key may appear once)");
        break;
      }
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text, cb);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // nlohmann messages look like "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw InputError(file, "", "", fmt::format("invalid JSON at byte {}: {}", e.byte, what));
  } catch (const json::exception& e) {
    // e.g. out_of_range.406: a number literal beyond double's range.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw InputError(file, "", "", "invalid JSON: " + what);
  }
}

}  // namespace tokenmath
