// Checkpoints: a Session's variables saved to and restored from one file.
//
// Format (little-endian): the magic "STRATA-CKPT-1\n", a u64 tensor count, then per tensor: u32
// name length, the name, i32 dtype, u32 rank, i64 dims, u64 byte count, u32 CRC-32 of the bytes,
// the bytes. Written atomically (graph/file_util.h). Restoring reads and checks the whole file,
// and the variables against the graph, before changing anything: a truncated or corrupt file,
// or a name, dtype or shape that does not fit, is an error naming it, and the variables keep
// their values.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "graph/graph.h"
#include "runtime/variables.h"

namespace strata {

// Saves `names` (all initialized variables if empty). FailedPrecondition names a variable that
// has no value; NotFound one that `store` does not know.
absl::Status SaveCheckpoint(const VariableStore& store, const std::string& path, const std::vector<std::string>& names = {});

// Restores `names` (every tensor in the file if empty) into `store`. `graph` declares the
// variables (VariableV2 nodes): each restored tensor must match its dtype and shape.
absl::Status RestoreCheckpoint(const Graph& graph, VariableStore& store, const std::string& path,
                               const std::vector<std::string>& names = {});

}  // namespace strata
