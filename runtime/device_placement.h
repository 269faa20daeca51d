// Node placement, as TensorFlow's: a node whose NodeDef.device names a device ("/cpu:0",
// "/device:GPU:1", "/job:localhost/replica:0/task:0/device:GPU:0") runs there; a node without
// one runs on the Session's device (SessionOptions::backend). A request whose nodes sit on
// several devices is compiled as one cluster per device and stage (runtime/device_partition.h),
// each by its device's backend, with the tensors between them passed through host memory.
//
// Soft placement (allow_soft_placement, on by default as in TF 2 and Keras): a node placed on a
// device this machine lacks (no GPU, a GPU ordinal it does not have, a TPU) runs on the
// Session's device, and the first such node is reported once on stderr. Off, such a node makes
// the compile fail with InvalidArgument naming the node, its device and why it is missing.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "runtime/executable.h"

namespace strata {

// A parsed device name. Job, replica and task are accepted and ignored (one machine).
struct DeviceSpec {
  std::string type;  // "CPU", "GPU", another upper-case type ("TPU"); empty: any device
  int index = -1;    // -1: any of that type
  // "CPU:0" (index -1 reads as 0, the first device of the type); "" for any device.
  std::string Canonical() const;
};

// "" and "/device:*" are any device. InvalidArgument naming `name` when it is malformed.
absl::StatusOr<DeviceSpec> ParseDeviceName(std::string_view name);

struct PlacementOptions {
  bool allow_soft_placement = true;
  // The backend for nodes placed on GPU N: "" = "gpu:N"; a name (e.g. "gpu-emu") for all.
  std::string gpu_backend;
};

// A Backend that places each node of a request (see above) over `session_backend` and the
// backends of the other devices the nodes name, created on first use.
class PlacingBackend : public Backend {
 public:
  PlacingBackend(std::shared_ptr<Backend> session_backend, PlacementOptions options);
  std::string name() const override { return session_backend_->name(); }
  std::string device() const override { return session_backend_->device(); }
  absl::StatusOr<std::unique_ptr<Executable>> Compile(const CompileRequest& request) override;

 private:
  // The backend for `node`: the Session's unless its device names another one this machine
  // has (or soft placement is off).
  absl::StatusOr<Backend*> BackendFor(const Node& node);

  std::shared_ptr<Backend> session_backend_;
  PlacementOptions options_;
  std::mutex mu_;  // Compile may run on several threads (staged clusters)
  std::map<std::string, std::shared_ptr<Backend>> by_device_;  // canonical device -> backend; guarded by mu_
  std::map<std::string, std::string> missing_;  // canonical device -> why it is not available; guarded by mu_
};

// Whether any node of `graph` names a device (then a Session wraps its backend in a
// PlacingBackend). InvalidArgument naming the first node whose device is malformed.
absl::StatusOr<bool> HasPlacedNodes(const Graph& graph);

}  // namespace strata
