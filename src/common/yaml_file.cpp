#include "tokenmath/common/yaml_file.hpp"

#include <fmt/format.h>

#include "tokenmath/common/error.hpp"
#include "tokenmath/common/input_file.hpp"

namespace tokenmath {
YAML::Node load_yaml_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string text = read_input_file(path);
  check_nesting(text, file);
  try {
    return YAML::Load(text);
  } catch (const YAML::BadFile&) {
    throw InputError(file, "", "", "cannot open file");
  } catch (const YAML::ParserException& e) {
    throw InputError(file, fmt::format("line {}", e.mark.line + 1), "", "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError(file, "", "", std::string("invalid YAML: ") + e.what());
  }
}
}  // namespace tokenmath
