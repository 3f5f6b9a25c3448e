// The one file boundary every reader goes through: the path must name a regular file (a directory, FIFO, socket
// or device is refused before anything blocks on it), no larger than a cap; text has a UTF-8 byte-order mark
// removed (every reader treats a BOM the same way); JSON and YAML flow text may not nest deeper than a cap (the
// parsers recurse). Errors are InputError naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tokenmath {

inline constexpr std::uintmax_t kMaxDataFileBytes = 256ull << 20;  // config, scenario, price list, CSV
inline constexpr std::uintmax_t kMaxTraceFileBytes = 4ull << 30;   // request traces (read as a stream)
inline constexpr int kMaxNesting = 200;                            // JSON / YAML flow nesting depth

// Whether `path` names something on disk; never throws (a name too long or with an invalid component is "no",
// where std::filesystem::exists would throw filesystem_error).
bool path_exists(const std::filesystem::path& path) noexcept;
// Whether both name the same file; false when either cannot be resolved. Never throws.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) noexcept;

// Throws unless `path` is a readable regular file of at most `max_bytes`.
void check_input_file(const std::filesystem::path& path, std::uintmax_t max_bytes = kMaxDataFileBytes);
// check_input_file, then the whole text without a leading UTF-8 BOM.
std::string read_input_file(const std::filesystem::path& path, std::uintmax_t max_bytes = kMaxDataFileBytes);
// Throws InputError(file, where, "", ...) when brackets outside strings nest deeper than `max_depth`.
void check_nesting(std::string_view text, const std::string& file, int max_depth = kMaxNesting);

}  // namespace tokenmath
