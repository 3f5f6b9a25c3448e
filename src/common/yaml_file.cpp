#include "tokenmath/common/yaml_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"

namespace tokenmath {
YAML::Node load_yaml_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string text = read_input_file(path);
  check_nesting(text, file);
  try {
    YAML::Node root = YAML::Load(text);
    check_duplicate_keys(root, file);
    return root;
  } catch (const YAML::BadFile&) {
    throw InputError(file, "", "", "cannot open file");
  } catch (const YAML::ParserException& e) {
    throw InputError(file, fmt::format("line {}", e.mark.line + 1), "", "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError(file, "", "", std::string("invalid YAML: ") + e.what());
  }
}

void check_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& path) {
  if (node.IsMap()) {
    std::vector<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("<complex key>");
      const std::string here = path.empty() ? key : path + "." + key;
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        throw InputError(file, here, "", "duplicate key (each key may appear once)");
      seen.push_back(key);
      check_duplicate_keys(kv.second, file, here);
    }
  } else if (node.IsSequence()) {
    std::size_t i = 0;
    for (const auto& item : node) check_duplicate_keys(item, file, fmt::format("{}[{}]", path, i++));
  }
}
}  // namespace tokenmath
