// Runs the built `tokenmath` binary (TOKENMATH_BIN) with arguments and captures stdout, stderr, exit code.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace tokenmath::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `args` is appended to the binary path verbatim (quote as for /bin/sh).
inline CliResult run_cli(const std::string& args) {
  char out_tmpl[] = "/tmp/tm_cli_out_XXXXXX";
  char err_tmpl[] = "/tmp/tm_cli_err_XXXXXX";
  const int out_fd = mkstemp(out_tmpl);
  const int err_fd = mkstemp(err_tmpl);
  close(out_fd);
  close(err_fd);
  const std::string cmd = std::string(TOKENMATH_BIN) + " " + args + " >" + out_tmpl + " 2>" + err_tmpl + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_tmpl);
  r.err = slurp(err_tmpl);
  std::remove(out_tmpl);
  std::remove(err_tmpl);
  return r;
}

// Writes `content` to a fresh temporary file with the given suffix and returns its path.
inline std::string write_temp(const std::string& content, const std::string& suffix = ".json") {
  std::string tmpl = "/tmp/tm_test_XXXXXX" + suffix;
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
  close(fd);
  std::ofstream(buf.data()) << content;
  return buf.data();
}

}  // namespace tokenmath::testing
