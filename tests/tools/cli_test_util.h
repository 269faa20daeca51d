// Running the real `strata` binary from a CLI test: the command line shell-quoted, stdout and
// stderr captured through files in the test's directory, the exit code and whether it crashed.
#pragma once

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace strata::testing_util {

struct CliResult {
  int exit_code = -1;
  bool crashed = false;  // killed by a signal
  std::string out, err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `[env] cli args...`; `dir` receives stdout.txt and stderr.txt. `env` is a prefix of
// VAR=value assignments (e.g. "PATH=/nonexistent"), or empty.
inline CliResult RunCli(const std::string& cli, const std::vector<std::string>& args, const std::string& dir,
                        const std::string& env = "") {
  const std::string out = (std::filesystem::path(dir) / "stdout.txt").string();
  const std::string err = (std::filesystem::path(dir) / "stderr.txt").string();
  std::string command = env.empty() ? ShellQuote(cli) : absl::StrCat(env, " ", ShellQuote(cli));
  for (const std::string& a : args) absl::StrAppend(&command, " ", ShellQuote(a));
  absl::StrAppend(&command, " >", ShellQuote(out), " 2>", ShellQuote(err));
  const int status = std::system(command.c_str());
  CliResult r;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.crashed = r.exit_code > 128;  // the shell reports a signal-killed child as 128 + signal
  } else {
    r.crashed = true;
  }
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

}  // namespace strata::testing_util
