// The graph nodes an error is about, carried in the Status as a payload (not only in its
// message), so that a caller can act on them: the GPU backend places the nodes its compiler
// cannot lower on the CPU (runtime/device_partition.h) instead of parsing messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace strata {

// `status` with `nodes` added to the node names it carries (order kept, no repeats). An OK
// status is returned unchanged.
absl::Status WithNodes(absl::Status status, const std::vector<std::string>& nodes);

// The node names `status` carries; empty when it carries none.
std::vector<std::string> NodesOf(const absl::Status& status);

// `status` with `prefix` before its message, its payloads (the nodes among them) kept.
absl::Status Prefixed(const absl::Status& status, std::string_view prefix);

}  // namespace strata
