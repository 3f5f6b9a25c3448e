// Shared scaffolding of the libFuzzer targets (tests/fuzz/fuzz_*.cpp). Each target feeds one reader of the
// product with arbitrary bytes; the contract under test is the reader's: it returns a value or throws
// tokenmath::InputError (one line naming file, field and value). Anything else - another exception, a crash, a
// sanitizer report, a hang - is a bug: the exception escapes LLVMFuzzerTestOneInput and libFuzzer (or the
// standalone regression driver) reports it.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tokenmath/common/error.hpp"
#include "tokenmath/context.hpp"

namespace tokenmath::fuzz {

// The shipped data (loaded once per process; readers that resolve names need a catalog).
inline const Context& context() {
  static const Context ctx = Context::load_default();
  return ctx;
}

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Most readers take a path (they check it is a regular file, cap its size, strip a BOM): write the input to a
// per-process scratch file with the extension the reader expects and hand over its path.
// The folder is removed when the process exits normally (a replay, the end of a fuzz run).
struct ScratchDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("tokenmath-fuzz-" + std::to_string(::getpid()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline std::filesystem::path scratch_file(const std::uint8_t* data, std::size_t size, const std::string& name) {
  static const ScratchDir dir;
  const auto path = dir.path / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Runs one reader call; a refusal (InputError) is the expected outcome for most inputs.
template <class F>
void expect_value_or_input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    // The message must be one line of bounded size (the file boundary quotes at most ~80 characters of a value).
    const std::string what = e.what();
    if (what.find('\n') != std::string::npos || what.size() > 4096) throw std::logic_error("multi-line or huge error: " + what.substr(0, 200));
  }
}

}  // namespace tokenmath::fuzz
