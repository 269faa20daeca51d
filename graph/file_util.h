// Whole-file reads and crash-safe writes (temporary file + fsync + rename), shared by the
// GraphDef writer and checkpoints.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

// NotFound for a missing file; other errors name the file and the system's reason.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `bytes` to `path` so that a reader sees the old file or the new one, never a part:
// a temporary file beside it is written, fsynced and renamed over it.
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace strata
