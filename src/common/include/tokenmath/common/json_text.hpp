// Parsing JSON text with the project's error contract: nesting capped (check_nesting), a repeated key in an
// object is an error (nlohmann would keep the last silently), syntax errors name the byte.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace tokenmath {
nlohmann::json parse_json_text(const std::string& text, const std::string& file);
}  // namespace tokenmath
