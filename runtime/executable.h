// The contract between the Session and a backend: a backend turns a pruned, shape-specialized
// graph into an immutable Executable that maps argument tensors to result tensors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "graph/graph.h"
#include "graph/tensor.h"

namespace strata {

class ThreadPool;
class VariableStore;  // runtime/variables.h

// What one compiled call computes. The graph has been pruned to what `results` need, shape
// inference has run with the fed shapes (every tensor on the path has a static shape), and
// compile-time constants are folded (Node::output_value is set where known).
struct CompileRequest {
  const Graph* graph = nullptr;
  // Fed tensors, in the order Run receives them (usually Placeholder outputs, but any tensor
  // may be fed; its producer is then not computed).
  std::vector<Output> args;
  // Fetched tensors, in the order Run returns them.
  std::vector<Output> results;
  // A name for the compiled function (diagnostics, symbol names).
  std::string name = "main";
  // Float32 contractions may run on TensorFloat-32 tensor cores (inputs rounded to 10 mantissa
  // bits, f32 sums) where the backend has them: the GPU's; the CPU ignores it. Set by
  // SessionOptions::allow_tf32.
  bool allow_tf32 = false;
};

struct RunOptions {
  // Intra-op parallelism; null runs on the calling thread.
  ThreadPool* thread_pool = nullptr;
  // The variables state ops read and update; null when the caller has none (no Session).
  VariableStore* variables = nullptr;
  // A device backend may return results that stay in its memory (Tensor::device_memory()), to
  // be passed to its next run without a copy: the staged runner asks for this so that a training
  // step's variables stay on the GPU. Their host copy is made when host code reads them (call
  // Tensor::SyncToHost() first where an error can be returned). The CPU backends ignore it.
  bool results_may_stay_on_device = false;
};

// Makes sure every tensor in `tensors` is on the host (Tensor::SyncToHost): what an executable
// that reads its arguments' bytes on the host calls first, so that a device tensor's failed copy
// is an error rather than an abort.
inline absl::Status SyncToHost(absl::Span<const Tensor> tensors) {
  for (const Tensor& t : tensors) {
    if (absl::Status s = t.SyncToHost(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// `t` as a host tensor with no device copy (what a caller that did not allow device results
// gets): synced, then its device copy dropped, or a host clone when others share the buffer.
inline absl::StatusOr<Tensor> HostOnly(Tensor t) {
  if (t.device_memory() == nullptr) return t;
  if (absl::Status s = t.SyncToHost(); !s.ok()) return s;
  if (t.buffer().use_count() > 1) return t.Clone();
  if (absl::Status s = t.buffer()->DropDeviceCopy(); !s.ok()) return s;
  return t;
}

class Executable {
 public:
  virtual ~Executable() = default;
  // args match CompileRequest::args in order, dtype and shape (the Session checks this before
  // calling). Fills `results` in CompileRequest::results order. Thread-safe and reentrant.
  virtual absl::Status Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                           const RunOptions& options = {}) const = 0;
  // Human-readable IR of the compiled code at each stage, for `strata compile --emit`.
  virtual std::string DebugString() const { return ""; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // The device its executables run on, as TensorFlow names it without the "/device:" prefix:
  // "CPU:0", "GPU:1". Node placement (runtime/device_placement.h) compares nodes' devices with it.
  virtual std::string device() const { return "CPU:0"; }
  virtual absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) = 0;
};

}  // namespace strata
