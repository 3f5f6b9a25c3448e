// Reading a YAML data or scenario file, with the project's error contract: a missing file or a syntax error
// becomes an InputError naming the file (and the line for syntax errors).
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "tokenmath/common/error.hpp"

namespace tokenmath {
YAML::Node load_yaml_file(const std::filesystem::path& path);
// Throws InputError(file, key path, key) when a mapping repeats a key (YAML readers would keep one silently).
void check_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& path = "");

// Runs a reader over a YAML tree: a structural surprise yaml-cpp reports while the tree is walked (a subscript on
// a scalar, a failed conversion) becomes an InputError naming the file and line instead of escaping as
// YAML::Exception. Every data-file reader wraps its body in it.
template <class F>
auto with_yaml_errors(const std::string& file, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const YAML::Exception& e) {
    throw InputError(file, e.mark.is_null() ? std::string() : "line " + std::to_string(e.mark.line + 1), "",
                     "unexpected YAML structure: " + e.msg);
  }
}
}  // namespace tokenmath
