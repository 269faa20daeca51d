// The backends a Session can compile with, chosen by name at run time: "cpu" (MLIR -> native
// code, present when libstrata_runtime was built with libstrata_compiler), "reference" (the
// host evaluator, always present) and "gpu" / "gpu:N" (MLIR -> PTX run on CUDA device N, present
// where a CUDA driver and device are; docs/gpu.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
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

// Compiles every request with CompileRequest::allow_tf32 set, by the backend it wraps
// (SessionOptions::allow_tf32).
class AllowTf32Backend : public Backend {
 public:
  explicit AllowTf32Backend(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::string device() const override { return inner_->device(); }
  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override {
    CompileRequest tf32 = request;
    tf32.allow_tf32 = true;
    return inner_->Compile(tf32);
  }

 private:
  std::shared_ptr<Backend> inner_;
};

}  // namespace strata
