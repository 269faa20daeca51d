// The CUDA toolkit's ptxas for the GPU tests: find it the way `strata compile --out_cubin` does
// ($STRATA_PTXAS, `ptxas` on PATH, /usr/local/cuda/bin/ptxas) and run it on PTX text. Tests that
// need it skip where it is absent (CI machines may have no toolkit).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"

namespace strata::testing_util {

// The ptxas to run; empty when there is none.
inline std::string FindPtxas() {
  if (const char* env = std::getenv("STRATA_PTXAS"); env != nullptr && *env != '\0') return env;
  if (std::system("command -v ptxas >/dev/null 2>&1") == 0) return "ptxas";
  if (std::filesystem::exists("/usr/local/cuda/bin/ptxas")) return "/usr/local/cuda/bin/ptxas";
  return "";
}

struct PtxasRun {
  int exit_code = -1;
  std::string command;
  std::string output;  // stdout and stderr together: diagnostics, and the -v resource report
};

// `ptxas [flags] -arch=<arch> <ptx> -o /dev/null` on a temporary file named after `tag` (tags
// keep parallel test processes apart).
inline PtxasRun RunPtxas(const std::string& ptxas, const std::string& ptx, const std::string& arch,
                         const std::string& tag, const std::string& flags = "") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string stem = absl::StrCat("strata_ptxas_", ::getpid(), "_", tag);
  const std::string ptx_path = (dir / (stem + ".ptx")).string(), log_path = (dir / (stem + ".log")).string();
  std::ofstream(ptx_path) << ptx;
  PtxasRun run;
  run.command = absl::StrCat(ptxas, flags.empty() ? "" : " ", flags, " -arch=", arch, " ", ptx_path, " -o /dev/null");
  run.exit_code = std::system(absl::StrCat(run.command, " > ", log_path, " 2>&1").c_str());
  std::ifstream log_in(log_path);
  run.output.assign(std::istreambuf_iterator<char>(log_in), std::istreambuf_iterator<char>());
  std::filesystem::remove(ptx_path);
  std::filesystem::remove(log_path);
  return run;
}

}  // namespace strata::testing_util
