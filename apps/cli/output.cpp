#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "tokenmath/common/error.hpp"

namespace tokenmath::cli {

namespace fs = std::filesystem;

OutputFile::OutputFile(std::string path, std::string flag, bool force, const std::vector<std::string>& inputs)
    : path_(std::move(path)), flag_(std::move(flag)) {
  std::error_code ec;
  for (const auto& in : inputs)
    if (!in.empty() && fs::exists(in, ec) && fs::exists(path_, ec) && fs::equivalent(in, path_, ec))
      fail("is an input of this command; refusing to write over it");
  const auto st = fs::status(path_, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(st)) fail("is a directory");
    if (!fs::is_regular_file(st)) {
      // A device or FIFO (/dev/null, /dev/stdout, a pipe): written in place, never replaced by a renamed file.
      f_ = std::fopen(path_.c_str(), "wb");
      if (!f_) fail(fmt::format("cannot write: {}", std::strerror(errno)));
      return;
    }
    if (!force) fail("exists; pass --force to overwrite it");
  }
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / fmt::format(".{}.tmp.XXXXXX", target.filename().string())).string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) fail(fmt::format("cannot create a file in its folder: {}", std::strerror(errno)));
  tmp_ = tmpl;
  f_ = fdopen(fd, "wb");
  if (!f_) {
    ::close(fd);
    fail(fmt::format("cannot write: {}", std::strerror(errno)));
  }
}

OutputFile::~OutputFile() {
  if (f_) std::fclose(f_);
  if (!tmp_.empty()) std::remove(tmp_.c_str());
}

void OutputFile::fail(const std::string& problem) {
  failed_ = true;
  throw InputError("<command line>", flag_, path_, problem);
}

void OutputFile::write(const std::string& text) {
  if (!f_) return;
  if (std::fwrite(text.data(), 1, text.size(), f_) != text.size())
    fail(fmt::format("write failed: {}", std::strerror(errno)));
}

void OutputFile::commit() {
  if (!f_) fail("not open");
  if (std::fflush(f_) != 0 || std::ferror(f_)) fail(fmt::format("write failed: {}", std::strerror(errno)));
  if (::fsync(fileno(f_)) != 0 && errno != EINVAL && errno != EROFS) fail(fmt::format("fsync failed: {}", std::strerror(errno)));
  if (std::fclose(f_) != 0) {
    f_ = nullptr;
    fail(fmt::format("close failed: {}", std::strerror(errno)));
  }
  f_ = nullptr;
  if (tmp_.empty()) return;  // written in place (a device or FIFO)
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail(fmt::format("cannot rename into place: {}", std::strerror(errno)));
  tmp_.clear();
}

void write_output(const std::string& path, const std::string& text, const std::string& flag, bool force,
                  const std::vector<std::string>& inputs) {
  OutputFile out(path, flag, force, inputs);
  out.write(text);
  out.commit();
}

}  // namespace tokenmath::cli
