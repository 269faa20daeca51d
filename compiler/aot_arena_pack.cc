// Greedy-by-size, best-fit packing of arena blocks by lifetime (see aot_arena_pack.h).
#include "compiler/aot_arena_pack.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace strata {

namespace {

constexpr uint64_t kHeaderBytes = 64;  // runtime/aot/arena.cc writes one below every block
constexpr uint64_t kMaxAlignment = 4096;

uint64_t AlignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }
uint64_t Padded(uint64_t bytes) { return AlignUp(bytes, 64); }

struct Placed {
  uint64_t begin;  // header
  uint64_t end;    // end of the padded data
};

}  // namespace

absl::StatusOr<ArenaPacking> PackArenaBlocks(const std::vector<ArenaBlockLifetime>& blocks) {
  const size_t n = blocks.size();
  ArenaPacking packing;
  packing.offsets.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ArenaBlockLifetime& b = blocks[i];
    if (b.alignment == 0 || (b.alignment & (b.alignment - 1)) != 0 || b.alignment > kMaxAlignment) {
      return absl::InvalidArgumentError(absl::StrCat("arena block ", i, ": alignment ", b.alignment,
                                                     " is not a power of two up to ", kMaxAlignment));
    }
    if (b.last < b.first) {
      return absl::InvalidArgumentError(absl::StrCat("arena block ", i, ": its lifetime ends (event ", b.last,
                                                     ") before it starts (event ", b.first, ")"));
    }
    packing.sum_bytes += kHeaderBytes + Padded(b.bytes) + (std::max(b.alignment, kHeaderBytes) - kHeaderBytes);
  }
  // Largest first; among equals the earlier block first, so the result is deterministic.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return blocks[a].bytes > blocks[b].bytes; });

  std::vector<Placed> placed(n);
  std::vector<size_t> done;  // placed so far
  std::vector<Placed> live;  // placed blocks whose lifetimes overlap the current one
  for (size_t i : order) {
    const ArenaBlockLifetime& b = blocks[i];
    const uint64_t alignment = std::max(b.alignment, kHeaderBytes);
    // The block placed at or above `start`: data aligned, header just below it.
    auto fit = [&](uint64_t start) {
      const uint64_t data = AlignUp(start + kHeaderBytes, alignment);
      return Placed{data - kHeaderBytes, data + Padded(b.bytes)};
    };
    live.clear();
    for (size_t j : done) {
      if (blocks[j].first <= b.last && b.first <= blocks[j].last) live.push_back(placed[j]);
    }
    std::sort(live.begin(), live.end(), [](const Placed& x, const Placed& y) { return x.begin < y.begin; });
    // Best fit: the smallest gap between live blocks that holds this one; else above them all.
    bool found = false;
    Placed best{};
    uint64_t best_gap = 0;
    uint64_t gap_start = 0;
    for (const Placed& p : live) {
      if (p.begin > gap_start) {
        const Placed candidate = fit(gap_start);
        const uint64_t gap = p.begin - gap_start;
        if (candidate.end <= p.begin && (!found || gap < best_gap)) {
          found = true;
          best = candidate;
          best_gap = gap;
        }
      }
      gap_start = std::max(gap_start, p.end);
    }
    if (!found) best = fit(gap_start);
    placed[i] = best;
    packing.offsets[i] = best.begin + kHeaderBytes;
    packing.bytes = std::max(packing.bytes, best.end);
    done.push_back(i);
  }
  return packing;
}

}  // namespace strata
