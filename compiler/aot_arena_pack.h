// Lifetime packing of an AOT artifact's main arena region: blocks whose lifetimes do not
// overlap share bytes. The input is what the compile-time run recorded (aot_arena_measure.h):
// each block's requested size and alignment and the events (allocation, free) that bound its
// lifetime. The algorithm is greedy by size, best fit, the way TFLite's arena planner and
// XLA's GlobalDecreasingSizeBestFitHeap place buffers: largest block first, each into the
// smallest gap between the already placed blocks whose lifetimes overlap its own, else on top.
//
// Every block keeps the 64-byte header the runtime writes below its data (runtime/aot/arena.cc)
// and its data is padded to 64 bytes, exactly as the stack discipline lays blocks out, so the
// two are comparable byte for byte.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

struct ArenaBlockLifetime {
  uint64_t bytes = 0;       // requested size
  uint64_t alignment = 64;  // of the data; a power of two up to 4096
  // Event numbers (allocations and frees of the run, counted together): the block is live from
  // `first` through `last`; a block allocated after event `last` may reuse its bytes.
  uint64_t first = 0;
  uint64_t last = 0;
};

struct ArenaPacking {
  std::vector<uint64_t> offsets;  // of each block's data from the region base, in input order
  uint64_t bytes = 0;             // end of the highest block: the region's size
  uint64_t sum_bytes = 0;         // every block (header + padded data) side by side
};

// InvalidArgument naming the block for an alignment that is not a power of two <= 4096 or a
// lifetime that ends before it starts.
absl::StatusOr<ArenaPacking> PackArenaBlocks(const std::vector<ArenaBlockLifetime>& blocks);

}  // namespace strata
