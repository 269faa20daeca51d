// The checksum of AOT weights (the compiler writes it, the runtime verifies it): a 64-bit hash
// with four independent multiply-rotate lanes (xxHash64's round), so that checking a weights
// file at load time runs at memory speed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::aot {

uint64_t WeightsChecksum(const void* data, size_t bytes);

}  // namespace strata::aot
