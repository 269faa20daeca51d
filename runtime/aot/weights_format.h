// The external weights file of an AOT artifact (`strata compile --weights external`):
//
//   [0, 64)             WeightsFileHeader (little-endian)
//   [64, data_offset)   zero padding, so that the data starts on a page (mmap-aligned)
//   [data_offset, +data_bytes)   the model's constants, each at a 64-byte aligned offset
//
// The compiler writes it; the runtime (weights_file.h) maps and verifies it. The generated
// header records data_bytes and checksum, so a file made for another model is recognized.
#pragma once

#include <cstdint>

namespace strata::aot {

inline constexpr char kWeightsMagic[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'W', '\0'};
inline constexpr uint32_t kWeightsVersion = 1;
inline constexpr uint64_t kWeightsDataOffset = 4096;
// Every constant in the weights data starts at a multiple of this.
inline constexpr uint64_t kWeightsAlignment = 64;

struct WeightsFileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;  // sizeof(WeightsFileHeader)
  uint64_t data_offset;
  uint64_t data_bytes;
  uint64_t checksum;      // WeightsChecksum of the data
  uint64_t reserved[3];
};
static_assert(sizeof(WeightsFileHeader) == 64, "the weights file header is 64 bytes");

}  // namespace strata::aot
