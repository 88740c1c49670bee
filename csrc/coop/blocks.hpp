// Blocking of a dense coalition table: mask = (H << L) | l with a low part l of
// L bits that fits in L1, and a high part H iterated by threads.
#pragma once
#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace accord::coop {

constexpr int kLowBits = 8;

inline int low_bits(int n) { return std::min(n, kLowBits); }

// Threads for a pass over `nblocks` blocks: at least 1024 blocks (2 MiB) each, so
// small tables do not pay for waking a thread team.
inline int threads_for_blocks(std::int64_t nblocks) {
  return static_cast<int>(std::max<std::int64_t>(
      1, std::min<std::int64_t>(omp_get_max_threads(), nblocks >> 10)));
}

}  // namespace accord::coop
