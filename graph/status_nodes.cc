#include "graph/status_nodes.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "graph/str_util.h"

namespace strata {

namespace {

// A URL-like type name, as absl::Status payloads expect. Node names cannot contain newlines.
constexpr char kNodesPayload[] = "type.strata.dev/nodes";

}  // namespace

absl::Status WithNodes(absl::Status status, const std::vector<std::string>& nodes) {
  if (status.ok() || nodes.empty()) return status;
  std::vector<std::string> all = NodesOf(status);
  for (const std::string& n : nodes) {
    if (!n.empty() && std::find(all.begin(), all.end(), n) == all.end()) all.push_back(n);
  }
  status.SetPayload(kNodesPayload, absl::Cord(absl::StrJoin(all, "\n")));
  return status;
}

absl::Status Prefixed(const absl::Status& status, std::string_view prefix) {
  absl::Status out(status.code(), absl::StrCat(Absl(prefix), status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

std::vector<std::string> NodesOf(const absl::Status& status) {
  auto payload = status.GetPayload(kNodesPayload);
  if (!payload.has_value() || payload->empty()) return {};
  return absl::StrSplit(std::string(*payload), '\n', absl::SkipEmpty());
}

}  // namespace strata
