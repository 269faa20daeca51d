// The GPU emulator's wgmma.mma_async arithmetic (runtime/gpu/emulator/wgmma_emulation.h) on
// shared memory laid out by hand from the PTX ISA's description, independently of the kernels
// that the compiler generates: core matrices of 8 rows x 16 bytes, K-major, the second core
// matrix along K at the descriptor's leading byte offset, the next 8 rows at its stride byte
// offset; and the accumulator fragment of m64nNk16 (thread 32w + 4g + t holds rows 16w + g and
// 16w + g + 8, columns 8j + 2t and 8j + 2t + 1).
#include "runtime/gpu/emulator/wgmma_emulation.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "graph/half.h"
#include "gtest/gtest.h"

namespace strata::gpu::emu {
namespace {

constexpr uint64_t kWindowBase = 2048;  // the buffer's shared-window address

// A shared-memory window of `bytes` and a reader over it.
struct Window {
  std::vector<uint8_t> bytes;
  explicit Window(size_t size) : bytes(size, 0xEE) {}
  SharedReader Reader() const {
    return [this](uint64_t address, size_t n) -> const void* {
      if (address < kWindowBase || address + n > kWindowBase + bytes.size()) return nullptr;
      return bytes.data() + (address - kWindowBase);
    };
  }
  // Element (row, k) of a K-major operand at `offset` (bytes from the window's start), as the
  // ISA lays it out: core matrix (row / 8, k / per_16_bytes), its row row % 8 of 16 bytes.
  size_t At(size_t offset, int row, int k, int element_bytes, size_t lbo, size_t sbo) const {
    const size_t per_core_row = 16 / static_cast<size_t>(element_bytes);
    return offset + static_cast<size_t>(row / 8) * sbo + (static_cast<size_t>(k) / per_core_row) * lbo +
           static_cast<size_t>(row % 8) * 16 + (static_cast<size_t>(k) % per_core_row) * static_cast<size_t>(element_bytes);
  }
  void PutHalf(size_t at, float v) {
    const uint16_t bits = float16::FromFloat(v);
    std::memcpy(&bytes[at], &bits, 2);
  }
  void PutFloat(size_t at, float v) { std::memcpy(&bytes[at], &v, 4); }
};

uint64_t Descriptor(uint64_t address, uint64_t lbo, uint64_t sbo) {
  return ((address & 0x3FFFF) >> 4) | ((lbo >> 4) << 16) | ((sbo >> 4) << 32);
}

// D = A * B + D for m64n16k16 f16: A(r, k) = 1 where k == r % 16 (so D(r, c) = B(r % 16, c)),
// B(k, c) = 16 c + k - 3, D's old value 1000. Padded strides (A: LBO 160, SBO 640 as the
// kernels use; B: the unpadded 128 / 256) and a tile that starts past the window's start.
TEST(WgmmaEmulationTest, F16FragmentsFollowTheIsaLayout) {
  constexpr int kN = 16;
  constexpr size_t a_offset = 64, a_lbo = 160, a_sbo = 640, b_offset = a_offset + 8 * a_sbo, b_lbo = 128, b_sbo = 256;
  Window w(b_offset + (kN / 8) * b_sbo);
  for (int r = 0; r < 64; ++r) {
    for (int k = 0; k < 16; ++k) w.PutHalf(w.At(a_offset, r, k, 2, a_lbo, a_sbo), k == r % 16 ? 1.0f : 0.0f);
  }
  for (int c = 0; c < kN; ++c) {
    for (int k = 0; k < 16; ++k) w.PutHalf(w.At(b_offset, c, k, 2, b_lbo, b_sbo), static_cast<float>(16 * c + k - 3));
  }
  const WgmmaOp op{kWgmmaF16, kN, Descriptor(kWindowBase + a_offset, a_lbo, a_sbo),
                   Descriptor(kWindowBase + b_offset, b_lbo, b_sbo)};
  for (int index = 0; index < 128; ++index) {
    std::vector<float> acc(kN / 2, 1000.0f);
    ASSERT_TRUE(ApplyWgmma(op, index, w.Reader(), acc.data()).ok());
    const int warp = index / 32, g = (index % 32) / 4, t = index % 4;
    for (int j = 0; j < kN / 8; ++j) {
      for (int v = 0; v < 4; ++v) {
        const int row = 16 * warp + g + 8 * (v / 2), col = 8 * j + 2 * t + v % 2;
        EXPECT_EQ(acc[static_cast<size_t>(4 * j + v)], 1000.0f + static_cast<float>(16 * col + row % 16 - 3))
            << "thread " << index << " accumulator " << 4 * j + v;
      }
    }
  }
}

// TF32: 4-byte elements, 4 per core-matrix row, K 8; the low 13 mantissa bits are not used.
TEST(WgmmaEmulationTest, Tf32DropsTheLowMantissaBits) {
  constexpr size_t a_offset = 0, lbo = 128, sbo = 256, b_offset = 8 * sbo;
  Window w(b_offset + sbo);
  const float one_plus = 1.0f + 1.0f / (1 << 20);  // below TF32's precision
  for (int r = 0; r < 64; ++r) {
    for (int k = 0; k < 8; ++k) w.PutFloat(w.At(a_offset, r, k, 4, lbo, sbo), k == 2 ? one_plus : 0.0f);
  }
  for (int c = 0; c < 8; ++c) {
    for (int k = 0; k < 8; ++k) w.PutFloat(w.At(b_offset, c, k, 4, lbo, sbo), static_cast<float>(c + 1));
  }
  const WgmmaOp op{kWgmmaTf32, 8, Descriptor(kWindowBase + a_offset, lbo, sbo), Descriptor(kWindowBase + b_offset, lbo, sbo)};
  std::vector<float> acc(4, 0.0f);
  ASSERT_TRUE(ApplyWgmma(op, 5, w.Reader(), acc.data()).ok());  // lane 5: g 1, t 1 -> columns 2, 3
  EXPECT_EQ(acc[0], 3.0f);
  EXPECT_EQ(acc[1], 4.0f);
  EXPECT_EQ(acc[2], 3.0f);
  EXPECT_EQ(acc[3], 4.0f);
}

TEST(WgmmaEmulationTest, RejectsWhatItDoesNotImplement) {
  Window w(4096);
  std::vector<float> acc(64, 0.0f);
  const uint64_t ok = Descriptor(kWindowBase, 128, 256);
  const absl::Status swizzled = ApplyWgmma(WgmmaOp{kWgmmaF16, 8, ok | (uint64_t{1} << 62), ok}, 0, w.Reader(), acc.data());
  EXPECT_TRUE(absl::IsInvalidArgument(swizzled));
  EXPECT_NE(swizzled.message().find("swizzle mode 1"), std::string::npos) << swizzled;
  const absl::Status outside = ApplyWgmma(WgmmaOp{kWgmmaF16, 8, Descriptor(kWindowBase + 4000, 128, 256), ok}, 0, w.Reader(), acc.data());
  EXPECT_NE(outside.message().find("outside the block's shared memory"), std::string::npos) << outside;
  EXPECT_TRUE(absl::IsInvalidArgument(ApplyWgmma(WgmmaOp{kWgmmaF16, 12, ok, ok}, 0, w.Reader(), acc.data())));
  EXPECT_TRUE(absl::IsInvalidArgument(ApplyWgmma(WgmmaOp{7, 8, ok, ok}, 0, w.Reader(), acc.data())));
}

}  // namespace
}  // namespace strata::gpu::emu
