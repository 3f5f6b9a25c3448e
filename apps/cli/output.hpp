// Output files of the CLI, written safely: never over an existing file unless --force, never over one of the
// command's inputs, written to a temporary file in the same folder, checked, fsynced and renamed into place, so a
// full disk or a failed write leaves no truncated file and exits non-zero naming the path.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace tokenmath::cli {

class OutputFile {
 public:
  // `flag` names the option in errors; `inputs` are the paths this command reads.
  OutputFile(std::string path, std::string flag, bool force, const std::vector<std::string>& inputs);
  ~OutputFile();  // an uncommitted file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const std::string& text);
  // Flushes, checks, fsyncs and renames into place; throws InputError on any failure.
  void commit();
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& problem);
  std::string path_, flag_, tmp_;
  std::FILE* f_ = nullptr;
  bool failed_ = false;
};

// Writes `text` to `path` through an OutputFile.
void write_output(const std::string& path, const std::string& text, const std::string& flag, bool force,
                  const std::vector<std::string>& inputs = {});

}  // namespace tokenmath::cli
