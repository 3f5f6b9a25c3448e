// Reading a YAML data or scenario file, with the project's error contract: a missing file or a syntax error
// becomes an InputError naming the file (and the line for syntax errors).
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace tokenmath {
YAML::Node load_yaml_file(const std::filesystem::path& path);
}  // namespace tokenmath
