// One compile request split over several devices: each node runs on the device a placement
// function gives it, and tensors that cross devices go through host memory (the copies a GPU
// executable makes for its arguments and results). Used for TensorFlow's node placement
// ("/cpu:0" and "/gpu:0" on nodes; runtime/device_placement.h) and by the GPU backend for the
// nodes its compiler cannot lower (runtime/gpu/cuda_backend.h).
//
// Every computed node gets a stage: the latest stage among its inputs, one later for an input
// computed on another device (control inputs order the same way). The nodes of one stage and
// one device form a cluster, compiled as a request of its own (its inputs become Placeholders,
// the Consts it reads are copied into it) and run after every cluster of earlier stages. An
// edge between devices always goes from an earlier stage to a later one, so the order is a
// valid schedule and a cluster never waits for itself.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "runtime/executable.h"

namespace strata {

// The nodes `request` computes, which a placement places: every node of its graph but its
// arguments' nodes and the Consts (which every cluster that reads one copies).
std::vector<const Node*> ComputedNodes(const CompileRequest& request);

// Compiles one cluster for `device` (an index into the names given to CompilePartitioned).
using CompileForDevice =
    std::function<absl::StatusOr<std::unique_ptr<Executable>>(int device, const CompileRequest& request)>;

// `device_of(node)` in [0, device_names.size()) for every node the request computes (not its
// arguments and Consts). The clusters of device 0 are compiled first, so that its errors come
// before any other compile work. A compile error is returned as the backend gave it (payloads
// included, graph/status_nodes.h), prefixed with the cluster it was compiling.
absl::StatusOr<std::unique_ptr<Executable>> CompilePartitioned(const CompileRequest& request,
                                                               const std::vector<std::string>& device_names,
                                                               const std::function<int(const Node&)>& device_of,
                                                               const CompileForDevice& compile);

}  // namespace strata
