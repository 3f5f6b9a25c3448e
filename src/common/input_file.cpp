#include "tokenmath/common/input_file.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "tokenmath/common/error.hpp"

namespace tokenmath {

bool path_exists(const std::filesystem::path& path) noexcept {
  std::error_code ec;
  return std::filesystem::exists(path, ec) && !ec;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) noexcept {
  std::error_code ec;
  return path_exists(a) && path_exists(b) && std::filesystem::equivalent(a, b, ec) && !ec;
}


void check_input_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  namespace fs = std::filesystem;
  const std::string file = path.string();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw InputError(file, "", "", "file not found");
  if (fs::is_directory(st)) throw InputError(file, "", "", "is a directory, not a file");
  if (!fs::is_regular_file(st))
    throw InputError(file, "", "", "is not a regular file (a FIFO, socket or device is not read)");
  const auto size = fs::file_size(path, ec);
  if (ec) throw InputError(file, "", "", "cannot read the file size: " + ec.message());
  if (size > max_bytes)
    throw InputError(file, "", fmt::format("{} bytes", size), fmt::format("larger than the {} MiB limit", max_bytes >> 20));
}

std::string read_input_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  check_input_file(path, max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "", "", "cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    text.erase(0, 3);
  return text;
}

void check_nesting(std::string_view text, const std::string& file, int max_depth) {
  int depth = 0;
  bool in_string = false;
  char quote = 0;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) in_string = false;
      continue;
    }
    if (c == '"') in_string = true, quote = c;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw InputError(file, fmt::format("line {}", line), "",
                         fmt::format("nested deeper than {} levels (not a data file this program reads)", max_depth));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

}  // namespace tokenmath
