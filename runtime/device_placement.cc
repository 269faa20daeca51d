// See device_placement.h.
#include "runtime/device_placement.h"

#include <cstdio>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "graph/str_util.h"
#include "runtime/backends.h"
#include "runtime/device_partition.h"

namespace strata {

namespace {

absl::Status Malformed(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed device name '", std::string(name), "': ", std::string(why),
                                                 " (expected e.g. /cpu:0, /gpu:1, /device:GPU:0, "
                                                 "/job:localhost/replica:0/task:0/device:CPU:0)"));
}

// "GPU:1", "gpu:*", "CPU" -> the spec; false when `part` is not of that form.
bool ParseTypeAndIndex(const std::string& part, DeviceSpec* spec) {
  std::vector<std::string> fields = absl::StrSplit(part, ':');
  if (fields.empty() || fields.size() > 2 || fields[0].empty()) return false;
  for (char c : fields[0]) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  std::string type = absl::AsciiStrToUpper(fields[0]);
  // XLA's device types run the same kernels here.
  if (type == "XLA_CPU") type = "CPU";
  if (type == "XLA_GPU") type = "GPU";
  int index = -1;
  if (fields.size() == 2 && fields[1] != "*") {
    if (!absl::SimpleAtoi(fields[1], &index) || index < 0) return false;
  }
  spec->type = type;
  spec->index = index;
  return true;
}

}  // namespace

std::string DeviceSpec::Canonical() const {
  if (type.empty()) return "";
  return absl::StrCat(type, ":", index < 0 ? 0 : index);
}

absl::StatusOr<DeviceSpec> ParseDeviceName(std::string_view name) {
  DeviceSpec spec;
  bool have_device = false;
  const std::vector<std::string> parts = absl::StrSplit(Absl(name), '/', absl::SkipEmpty());
  for (std::string part : parts) {
    if (have_device) return Malformed(name, "nothing may follow the device");
    const std::string lower = absl::AsciiStrToLower(part);
    if (lower.starts_with("job:")) {
      if (part.size() == 4) return Malformed(name, "empty job name");
      continue;
    }
    if (lower.starts_with("replica:") || lower.starts_with("task:")) {
      const std::string number = part.substr(part.find(':') + 1);
      int n = 0;
      if (number != "*" && (!absl::SimpleAtoi(number, &n) || n < 0)) {
        return Malformed(name, absl::StrCat("'", part, "' is not a number"));
      }
      continue;
    }
    if (lower.starts_with("device:")) part = part.substr(7);
    if (part == "*") {
      have_device = true;
      continue;
    }
    if (!ParseTypeAndIndex(part, &spec)) return Malformed(name, absl::StrCat("cannot read '", part, "'"));
    have_device = true;
  }
  return spec;
}

absl::StatusOr<bool> HasPlacedNodes(const Graph& graph) {
  bool placed = false;
  for (const std::unique_ptr<Node>& n : graph.nodes()) {
    if (n->device().empty()) continue;
    absl::StatusOr<DeviceSpec> spec = ParseDeviceName(n->device());
    if (!spec.ok()) return n->Annotate(spec.status());
    placed = placed || !spec->type.empty();
  }
  return placed;
}

PlacingBackend::PlacingBackend(std::shared_ptr<Backend> session_backend, PlacementOptions options)
    : session_backend_(std::move(session_backend)), options_(std::move(options)) {}

absl::StatusOr<Backend*> PlacingBackend::BackendFor(const Node& node) {
  if (node.device().empty()) return session_backend_.get();
  absl::StatusOr<DeviceSpec> spec = ParseDeviceName(node.device());
  if (!spec.ok()) return node.Annotate(spec.status());
  if (spec->type.empty()) return session_backend_.get();
  const std::string session_device = session_backend_->device();
  const std::string device = spec->Canonical();
  // "/gpu:*" is any GPU, the Session's included.
  if (device == session_device || (spec->index < 0 && session_device.starts_with(spec->type + ":"))) {
    return session_backend_.get();
  }

  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_device_.find(device); it != by_device_.end()) return it->second.get();
  auto missing = missing_.find(device);
  if (missing == missing_.end()) {
    absl::StatusOr<std::unique_ptr<Backend>> backend;
    if (spec->type == "CPU") {
      backend = spec->index > 0 ? absl::UnavailableError("this machine has one CPU device, CPU:0")
                                : CreateBackend(DefaultBackendName());
    } else if (spec->type == "GPU") {
      backend = CreateBackend(options_.gpu_backend.empty() ? absl::StrCat("gpu:", std::max(spec->index, 0))
                                                           : options_.gpu_backend);
    } else {
      backend = absl::UnavailableError(absl::StrCat("strata has no ", spec->type, " devices"));
    }
    if (backend.ok()) {
      std::shared_ptr<Backend> shared = *std::move(backend);
      by_device_[device] = shared;
      return shared.get();
    }
    missing = missing_.emplace(device, std::string(backend.status().message())).first;
    if (options_.allow_soft_placement) {
      std::fprintf(stderr, "strata: node '%s' is placed on %s, which is not available (%s); it runs on %s, as does any other node placed there\n",
                   node.name().c_str(), node.device().c_str(), missing->second.c_str(), session_device.c_str());
    }
  }
  if (options_.allow_soft_placement) return session_backend_.get();
  return absl::InvalidArgumentError(absl::StrCat("Cannot assign a device for operation '", node.name(), "' (",
                                                 node.op(), "): it is placed on ", node.device(),
                                                 ", which is not available (", missing->second, "); the session runs on ",
                                                 session_device, " (allow_soft_placement would run it there)"));
}

absl::StatusOr<std::unique_ptr<Executable>> PlacingBackend::Compile(const CompileRequest& request) {
  if (request.graph == nullptr) return absl::InvalidArgumentError("Compile: no graph");
  std::vector<Backend*> backends = {session_backend_.get()};
  absl::flat_hash_map<const Node*, int> device_of;
  for (const Node* n : ComputedNodes(request)) {
    absl::StatusOr<Backend*> backend = BackendFor(*n);
    if (!backend.ok()) return backend.status();
    int d = 0;
    while (d < static_cast<int>(backends.size()) && backends[d] != *backend) ++d;
    if (d == static_cast<int>(backends.size())) backends.push_back(*backend);
    device_of[n] = d;
  }
  if (backends.size() == 1) return session_backend_->Compile(request);
  std::vector<std::string> names;
  for (Backend* b : backends) names.push_back(absl::StrCat(b->name(), " (", b->device(), ")"));
  return CompilePartitioned(
      request, names, [&](const Node& n) { return device_of.at(&n); },
      [&](int d, const CompileRequest& part) { return backends[d]->Compile(part); });
}

}  // namespace strata
