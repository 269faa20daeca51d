// Shared pieces of the AOT tests: deterministic inputs, Session::Run on a graph file, output
// comparison, and running programs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/tensor.h"

namespace strata::aot_test {

// Floats in [-1, 1), ints in [0, 10), bools alternating by a hash; the same for a given seed.
Tensor MakeInput(DType dtype, const Shape& shape, uint64_t seed);

// Runs the model file (.pb, .pbtxt or TF.js model.json) in a one-thread Session on the CPU backend.
absl::StatusOr<std::vector<Tensor>> RunSession(const std::string& graph_path,
                                               const std::vector<std::pair<std::string, Tensor>>& feeds,
                                               const std::vector<std::string>& fetches);

// Empty when `actual` (raw bytes of expected's dtype and size) matches: exactly for ints and
// bools, within |a - e| <= atol + rtol * |e| for floats. Otherwise names the first mismatch.
std::string Compare(const void* actual, const Tensor& expected, double rtol = 1e-5, double atol = 1e-6);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
CommandResult RunCommand(const std::string& command);
std::string ShellQuote(const std::string& s);

// Builds tests/aot/aot_driver.cc (a generic program around any AOT header) against DIR/HEADER,
// class CPP_CLASS, into DIR/driver with the system compiler CXX, the way a user outside CMake
// would; `link` names the object and the runtime archive, or the model's shared library.
CommandResult BuildDriver(const std::string& cxx, const std::string& dir, const std::string& header,
                          const std::string& cpp_class, const std::string& link);
// DIR/arg<i>.bin per tensor: the driver's inputs. Its outputs are DIR/result<j>.bin.
void WriteDriverArgs(const std::string& dir, const std::vector<Tensor>& args);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents);

}  // namespace strata::aot_test
