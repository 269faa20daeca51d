// The backends a Session can compile with, chosen by name at run time: "cpu" (MLIR -> native
// code, present when libstrata_runtime was built with libstrata_compiler), "reference" (the
// host evaluator, always present) and "gpu" / "gpu:N" (MLIR -> PTX run on CUDA device N, present
// where a CUDA driver and device are; docs/gpu.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/executable.h"

namespace strata {

// The backends of this build and machine, default first ("gpu" only where a CUDA device opens).
std::vector<std::string> AvailableBackends();
// "cpu" when this build has it, else "reference".
std::string DefaultBackendName();
bool IsBackendAvailable(std::string_view name);

// A new backend by name ("" = the default). InvalidArgument for an unknown name;
// Unimplemented for "cpu" in a build without the MLIR compiler; Unavailable for "gpu" where
// there is no CUDA driver or device (the message says why).
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view name);

}  // namespace strata
