// Reading a YAML data or scenario file, with the project's error contract: a missing file or a syntax error
// becomes an InputError naming the file (and the line for syntax errors).
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace tokenmath {
YAML::Node load_yaml_file(const std::filesystem::path& path);
// Throws InputError(file, key path, key) when a mapping repeats a key (YAML readers would keep one silently).
void check_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& path = "");
}  // namespace tokenmath
