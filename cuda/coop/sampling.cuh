// Shared pieces of the GPU Shapley samplers (sampling.cu, weighted_voting.cu).
//
// The samplers use the same Philox streams as the CPU (accord/philox.hpp) and one thread
// per permutation / subset sample, so every sample is bit-identical to the CPU's; only
// the order of the floating-point accumulation differs.  Per-thread buffers
// (permutations, bitsets, accumulators) live in global scratch memory laid out
// [index][thread] so that lanes touching the same index coalesce.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "../runtime.cuh"
#include "accord/philox.hpp"

namespace accord::gpu::sampling {

using u64 = unsigned long long;

constexpr int kBlock = 256;                                // threads per sampler block
constexpr std::size_t kScratchCap = std::size_t{1} << 30;  // per-thread buffers, at most

// fisher_yates_step (accord/philox.hpp) on a permutation stored with a stride.
__device__ __forceinline__ void fy_step(PhiloxStream& rng, std::int32_t* perm, std::int64_t stride,
                                        int n, int i) {
  const int j = i + static_cast<int>(rng.below(static_cast<std::uint32_t>(n - i)));
  std::int32_t* pi = perm + static_cast<std::int64_t>(i) * stride;
  std::int32_t* pj = perm + static_cast<std::int64_t>(j) * stride;
  const std::int32_t t = *pi;
  *pi = *pj;
  *pj = t;
}

// floyd_subset (accord/philox.hpp) on a bitset stored with a stride.
template <class Visit>
__device__ __forceinline__ void floyd_strided(PhiloxStream& rng, int m, int k, u64* bits,
                                              std::int64_t stride, Visit&& visit) {
  for (int j = m - k; j < m; ++j) {
    int t = static_cast<int>(rng.below(static_cast<std::uint32_t>(j + 1)));
    const u64 tb = u64{1} << (t & 63);
    if (bits[static_cast<std::int64_t>(t >> 6) * stride] & tb) t = j;
    bits[static_cast<std::int64_t>(t >> 6) * stride] |= u64{1} << (t & 63);
    visit(t);
  }
}

inline void check_range(std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0) throw std::invalid_argument("first and count must be >= 0");
}

inline void check_strata(std::int64_t first, std::int64_t count, std::int64_t per_stratum) {
  check_range(first, count);
  if (first + count > per_stratum)
    throw std::invalid_argument("first + count must be <= per_stratum");
}

// Threads for a per-thread scratch of `per_thread` bytes: at most `want` (rounded up
// to whole blocks of `block`) and as many as fit in min(kScratchCap, free / 4).
inline std::int64_t scratch_threads(std::int64_t want, std::size_t per_thread, int block) {
  std::size_t cap = kScratchCap;
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
    cap = std::min(cap, free_b / 4);
  else
    (void)cudaGetLastError();
  std::int64_t fit = per_thread ? static_cast<std::int64_t>(cap / per_thread) : want;
  std::int64_t threads = std::max<std::int64_t>(1, std::min(want, fit));
  return ceil_div(threads, block) * block;
}

}  // namespace accord::gpu::sampling
