// A memory-mapped external weights file (weights_format.h), verified before use: a missing,
// truncated, corrupt or foreign file is an error message, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace strata::aot {

class WeightsFile {
 public:
  // Maps `path` read-only and checks it: the magic and version, that the file holds all its
  // data, that it is the file this model expects (data size and checksum recorded at compile
  // time), and that the data's checksum matches. On failure returns null and sets *error to a
  // one-line message naming the file and the problem.
  static std::shared_ptr<const WeightsFile> Open(const std::string& path, uint64_t expected_bytes,
                                                 uint64_t expected_checksum, std::string* error);
  ~WeightsFile();
  WeightsFile(const WeightsFile&) = delete;
  WeightsFile& operator=(const WeightsFile&) = delete;

  const void* data() const { return data_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t checksum() const { return checksum_; }
  const std::string& path() const { return path_; }

 private:
  WeightsFile() = default;

  std::string path_;
  void* mapping_ = nullptr;
  uint64_t mapping_bytes_ = 0;
  const void* data_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t checksum_ = 0;
};

// The file contents for `data` (what `strata compile --weights external` writes).
std::string MakeWeightsFile(const void* data, uint64_t bytes);

}  // namespace strata::aot
