// Philox4x32-10 counter-based generator (Salmon, Moraes, Dror & Shaw, "Parallel
// random numbers: as easy as 1, 2, 3", SC'11) and the draws built on it.
//
// Every draw is a pure function of (seed, stream id, position in the stream), so
// the CPU and CUDA kernels produce identical permutations and subsets for a seed
// regardless of how work is split over threads.
#pragma once
#include <cstdint>

#include "accord/common.hpp"

namespace accord {

struct Philox4x32 {
  std::uint32_t c[4];
  std::uint32_t k[2];
};

ACCORD_HD void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi,
                              std::uint32_t& lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}

// Ten rounds of Philox4x32 on counter `ctr` with key `key`; writes four words.
ACCORD_HD void philox4x32_10(const std::uint32_t ctr[4], const std::uint32_t key[2],
                             std::uint32_t out[4]) {
  std::uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  std::uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; ++r) {
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(0xD2511F53u, c0, hi0, lo0);
    philox_mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    const std::uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// A sequential view of one Philox stream: key = seed, counter = (stream id, tag,
// block).  Stream ids and tags keep the draws of different uses independent.
struct PhiloxStream {
  std::uint32_t key[2];
  std::uint32_t ctr[4];
  std::uint32_t buf[4];
  int used;

  ACCORD_HD PhiloxStream(std::uint64_t seed, std::uint64_t stream, std::uint32_t tag) {
    key[0] = static_cast<std::uint32_t>(seed);
    key[1] = static_cast<std::uint32_t>(seed >> 32);
    ctr[0] = static_cast<std::uint32_t>(stream);
    ctr[1] = static_cast<std::uint32_t>(stream >> 32);
    ctr[2] = tag;
    ctr[3] = 0;
    used = 4;
  }

  ACCORD_HD std::uint32_t next() {
    if (used == 4) {
      philox4x32_10(ctr, key, buf);
      ++ctr[3];
      used = 0;
    }
    return buf[used++];
  }

  // Uniform integer in [0, bound), bound >= 1, without bias (Lemire 2019,
  // "Fast random integer generation in an interval", ACM TOMACS 29(1)).
  ACCORD_HD std::uint32_t below(std::uint32_t bound) {
    std::uint64_t m = static_cast<std::uint64_t>(next()) * bound;
    std::uint32_t low = static_cast<std::uint32_t>(m);
    if (low < bound) {
      const std::uint32_t threshold = (0u - bound) % bound;
      while (low < threshold) {
        m = static_cast<std::uint64_t>(next()) * bound;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }
};

// Tags separating the uses of one seed.
constexpr std::uint32_t kTagPermutation = 0x5045524Du;  // "PERM"
constexpr std::uint32_t kTagSubset = 0x53554253u;       // "SUBS"

// Forward Fisher-Yates step: after step i, perm[i] is final.  Callers that walk a
// permutation in order interleave the steps with their own work.
ACCORD_HD void fisher_yates_step(PhiloxStream& rng, std::int32_t* perm, int n, int i) {
  const int j = i + static_cast<int>(rng.below(static_cast<std::uint32_t>(n - i)));
  const std::int32_t t = perm[i];
  perm[i] = perm[j];
  perm[j] = t;
}

// The permutation of {0..n-1} with stream id `index` for `seed`.
ACCORD_HD void draw_permutation(std::uint64_t seed, std::uint64_t index, int n,
                                std::int32_t* perm) {
  PhiloxStream rng(seed, index, kTagPermutation);
  for (int i = 0; i < n; ++i) perm[i] = i;
  for (int i = 0; i + 1 < n; ++i) fisher_yates_step(rng, perm, n, i);
}

}  // namespace accord

namespace accord {

// Robert Floyd's algorithm (Bentley & Floyd, CACM 30(9), 1987): a uniform random
// k-subset of {0..m-1} with exactly k bounded draws.  `bits` is a zeroed bitset of
// ceil(m/64) words; on return it holds the subset.  `visit(j)` is called once per
// chosen element.
template <class Visit>
ACCORD_HD void floyd_subset(PhiloxStream& rng, int m, int k, std::uint64_t* bits,
                            Visit&& visit) {
  for (int j = m - k; j < m; ++j) {
    int t = static_cast<int>(rng.below(static_cast<std::uint32_t>(j + 1)));
    const std::uint64_t tb = std::uint64_t{1} << (t & 63);
    if (bits[t >> 6] & tb) {
      t = j;
    }
    bits[t >> 6] |= std::uint64_t{1} << (t & 63);
    visit(t);
  }
}

// Stream id of stratified sample `r` of stratum (player, size) among `per_stratum`.
ACCORD_HD std::uint64_t stratum_stream(int n, int player, int size, std::int64_t per_stratum,
                                       std::int64_t r) {
  return (static_cast<std::uint64_t>(player) * static_cast<std::uint64_t>(n) +
          static_cast<std::uint64_t>(size)) *
             static_cast<std::uint64_t>(per_stratum) +
         static_cast<std::uint64_t>(r);
}

}  // namespace accord
