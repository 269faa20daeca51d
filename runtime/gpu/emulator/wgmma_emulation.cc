#include "runtime/gpu/emulator/wgmma_emulation.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "graph/half.h"

namespace strata::gpu::emu {
namespace {

// A matrix descriptor's fields, in bytes (PTX ISA, "Matrix Descriptor Format": bits 0-13 start
// address, 16-29 leading byte offset, 32-45 stride byte offset, each >> 4; 49-51 base offset;
// 62-63 swizzle mode).
struct Descriptor {
  uint64_t start, leading, stride;
  unsigned base_offset, swizzle;
};

Descriptor Decode(uint64_t d) {
  return Descriptor{(d & 0x3FFF) << 4, ((d >> 16) & 0x3FFF) << 4, ((d >> 32) & 0x3FFF) << 4,
                    static_cast<unsigned>((d >> 49) & 7), static_cast<unsigned>(d >> 62)};
}

// Element (row, k) of a K-major operand without swizzle: core matrices of 8 rows x 16 bytes,
// the next one along K `leading` bytes on, the next 8 rows `stride` bytes on.
uint64_t ElementAddress(const Descriptor& d, int row, int k, int element_bytes) {
  const uint64_t k_bytes = static_cast<uint64_t>(k * element_bytes);
  return d.start + static_cast<uint64_t>(row / 8) * d.stride + k_bytes / 16 * d.leading +
         static_cast<uint64_t>(row % 8) * 16 + k_bytes % 16;
}

float Widen(int32_t type, const void* p) {
  if (type == kWgmmaTf32) {
    uint32_t bits;
    std::memcpy(&bits, p, 4);
    bits &= 0xFFFFE000u;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return type == kWgmmaBf16 ? bfloat16::ToFloat(bits) : float16::ToFloat(bits);
}

}  // namespace

absl::Status ApplyWgmma(const WgmmaOp& op, int index, const SharedReader& read, float* accumulators) {
  if (op.type < kWgmmaF16 || op.type > kWgmmaTf32) return absl::InvalidArgumentError(absl::StrCat("wgmma: type code ", op.type));
  if (op.n < 8 || op.n > 256 || op.n % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("wgmma: N = ", op.n, " is not a multiple of 8 in 8..256"));
  }
  const Descriptor a = Decode(op.desc_a), b = Decode(op.desc_b);
  for (const Descriptor* d : {&a, &b}) {
    if (d->swizzle != 0 || d->base_offset != 0) {
      return absl::InvalidArgumentError(absl::StrCat("wgmma: a descriptor with swizzle mode ", d->swizzle,
                                                     " and base offset ", d->base_offset,
                                                     "; the emulator implements the no-swizzle layout only"));
    }
  }
  const int element_bytes = op.type == kWgmmaTf32 ? 4 : 2, k_size = op.type == kWgmmaTf32 ? 8 : 16;
  const int lane = index % 32, g = lane / 4, t = lane % 4, row0 = 16 * (index / 32) + g;
  auto element = [&](const Descriptor& d, const char* which, int row, int k, float* value) -> absl::Status {
    const uint64_t address = ElementAddress(d, row, k, element_bytes);
    const void* p = read(address, static_cast<size_t>(element_bytes));
    if (p == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("wgmma: ", which, "'s element (", row, ", k ", k,
                                                     ") at shared address 0x", absl::Hex(address),
                                                     " is outside the block's shared memory"));
    }
    *value = Widen(op.type, p);
    return absl::OkStatus();
  };
  // The thread's two rows of A, then each of its columns of B once.
  float a_rows[2][16], b_column[16];
  for (int h = 0; h < 2; ++h) {
    for (int k = 0; k < k_size; ++k) {
      if (absl::Status s = element(a, "A", row0 + 8 * h, k, &a_rows[h][k]); !s.ok()) return s;
    }
  }
  for (int j = 0; j < op.n / 8; ++j) {
    for (int e = 0; e < 2; ++e) {
      const int col = 8 * j + 2 * t + e;
      for (int k = 0; k < k_size; ++k) {
        if (absl::Status s = element(b, "B", col, k, &b_column[k]); !s.ok()) return s;
      }
      for (int h = 0; h < 2; ++h) {  // accumulator 4j + 2h + e: row row0 + 8h, column col
        float& sum = accumulators[4 * j + 2 * h + e];
        for (int k = 0; k < k_size; ++k) {
          const float product = a_rows[h][k] * b_column[k];
          sum += product;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::gpu::emu
