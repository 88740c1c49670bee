// CUDA kernels for cooperative (TU) games: the GPU twins of csrc/coop/*.cpp.
//
// Table passes (semivalue_sums, max_excess) split every mask into a tile H and a
// low part l of kLow = 8 bits, mask = (H << 8) | l, exactly like the CPU kernels.
// One warp handles one 256-mask tile at a time (grid-stride over tiles); each lane
// owns the same 8 low parts l in every tile, loaded with coalesced, streaming
// double2 loads (double loads when the table is only 8-byte aligned).  Per element
// the semivalue pass does two fused multiply-adds into register accumulators:
// B[l] (low players) and T; the warp-summed tile total goes to the high players
// whose bits are set in H, kept one per lane (lane j holds player 8 + j and
// 8 + 32 + j).  Everything is reduced in a fixed order, so results are
// deterministic for a given device (the grid size depends on the SM count).
//
// Samplers use the same Philox streams as the CPU (accord/philox.hpp) and one
// thread per permutation / subset sample, so every sample is bit-identical to the
// CPU's; only the order of the floating-point accumulation differs.  Per-thread
// buffers (permutations, bitsets, accumulators) live in global scratch memory laid
// out [index][thread] so that lanes touching the same index coalesce.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "accord/common.hpp"
#include "accord/philox.hpp"
#include "coop_kernels.cuh"

#define ACCORD_CHECK(expr) ::accord::gpu::check((expr), #expr)
#define ACCORD_CHECK_LAUNCH(name) ::accord::gpu::check(cudaGetLastError(), "launch of " name)

namespace accord::gpu {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  (void)cudaGetLastError();  // do not let a (non-sticky) error leak into a later check
  throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorName(err) +
                           ": " + cudaGetErrorString(err));
}

namespace {

using u64 = unsigned long long;

constexpr int kLow = 8;            // low bits of a tile (csrc/coop/blocks.hpp: kLowBits)
constexpr int kTile = 1 << kLow;   // masks per warp tile
constexpr unsigned kFull = 0xffffffffu;
constexpr int kTileBlock = 256;    // threads per block of the table passes
constexpr int kTileWarps = kTileBlock / 32;
constexpr int kSampleBlock = 256;  // threads per block of the permutation samplers
constexpr int kStrataBlock = 128;  // threads per block of the dense stratified sampler
constexpr int kReduceBlock = 256;  // threads per block of sum_rows
constexpr int kCoefs = 64;         // >= kMaxDensePlayers + 1
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr std::size_t kScratchCap = std::size_t{1} << 30;  // per-thread buffers, at most

// ---- device helpers --------------------------------------------------------------

__device__ __forceinline__ double warp_sum(double x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(kFull, x, o);
  return x;
}

// Sum of x over a block of kThreads threads (fixed tree: deterministic).  `buf`
// has kThreads entries; all threads get the result.
template <int kThreads>
__device__ __forceinline__ double block_sum(double x, double* buf) {
  buf[threadIdx.x] = x;
  __syncthreads();
#pragma unroll
  for (int o = kThreads / 2; o > 0; o >>= 1) {
    if (static_cast<int>(threadIdx.x) < o) buf[threadIdx.x] += buf[threadIdx.x + o];
    __syncthreads();
  }
  const double total = buf[0];
  __syncthreads();
  return total;
}

// The low part l of the s-th of the 8 entries that `lane` owns in every tile.
template <bool kVec>
__device__ __forceinline__ int lane_low(int lane, int s) {
  return kVec ? 64 * (s >> 1) + 2 * lane + (s & 1) : 32 * s + lane;
}

// The lane's 8 entries of the 256-mask tile at `base` (read once: streaming loads).
template <bool kVec>
__device__ __forceinline__ void load_tile(const double* __restrict__ base, int lane,
                                          double (&x)[8]) {
  if constexpr (kVec) {
    const double2* b2 = reinterpret_cast<const double2*>(base);
#pragma unroll
    for (int p = 0; p < 4; ++p) {
      const double2 d = __ldcs(b2 + 32 * p + lane);
      x[2 * p] = d.x;
      x[2 * p + 1] = d.y;
    }
  } else {
#pragma unroll
    for (int s = 0; s < 8; ++s) x[s] = __ldcs(base + 32 * s + lane);
  }
}

// (value, mask) order of max_excess: larger value first, then lower mask.
__device__ __forceinline__ void take_better(double& bv, u64& bm, double ov, u64 om) {
  if (ov > bv || (ov == bv && om < bm)) {
    bv = ov;
    bm = om;
  }
}

__device__ __forceinline__ void warp_best(double& bv, u64& bm) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const double ov = __shfl_xor_sync(kFull, bv, o);
    const u64 om = __shfl_xor_sync(kFull, bm, o);
    take_better(bv, bm, ov, om);
  }
}

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

// ---- generic reductions ----------------------------------------------------------

// out[c] = sum over r of a[r * cols + c], r in order.
__global__ void sum_columns(const double* __restrict__ a, int rows, int cols,
                            double* __restrict__ out) {
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x) {
    double s = 0.0;
    for (int r = 0; r < rows; ++r) s += a[static_cast<std::int64_t>(r) * cols + c];
    out[c] = s;
  }
}

// out[row] = sum of a[row * len .. row * len + len), one block per row.
__global__ void __launch_bounds__(kReduceBlock)
    sum_rows(const double* __restrict__ a, std::int64_t len, double* __restrict__ out) {
  __shared__ double buf[kReduceBlock];
  const double* row = a + static_cast<std::int64_t>(blockIdx.x) * len;
  double s = 0.0;
  for (std::int64_t t = threadIdx.x; t < len; t += kReduceBlock) s += row[t];
  s = block_sum<kReduceBlock>(s, buf);
  if (threadIdx.x == 0) out[blockIdx.x] = s;
}

// ---- semivalue sums --------------------------------------------------------------

struct SemivalueCoefs {
  double c[kCoefs];
  double b[kCoefs];
};

// n >= kLow.  partial[block][i]: i < n the block's share of A[i], i = n of T.
template <bool kVec>
__global__ void __launch_bounds__(kTileBlock)
    semivalue_tiles(const double* __restrict__ v, int n, std::int64_t ntiles,
                    SemivalueCoefs coefs, double* __restrict__ partial) {
  __shared__ double2 cb[kCoefs];  // (c, b) by coalition size
  __shared__ double red[kTileWarps][kCoefs];
  for (int k = threadIdx.x; k < kCoefs; k += blockDim.x)
    cb[k] = make_double2(coefs.c[k], coefs.b[k]);
  __syncthreads();

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int pl[8];
#pragma unroll
  for (int s = 0; s < 8; ++s) pl[s] = __popc(lane_low<kVec>(lane, s));

  double B[8];
#pragma unroll
  for (int s = 0; s < 8; ++s) B[s] = 0.0;
  double t = 0.0, h0 = 0.0, h1 = 0.0;
  const std::int64_t nwarps = static_cast<std::int64_t>(gridDim.x) * kTileWarps;
  for (std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * kTileWarps + warp;
       tile < ntiles; tile += nwarps) {
    double x[8];
    load_tile<kVec>(v + (tile << kLow), lane, x);
    const int h = __popcll(static_cast<u64>(tile));
    double u = 0.0;
#pragma unroll
    for (int s = 0; s < 8; ++s) {
      const double2 k = cb[h + pl[s]];
      const double prod = k.x * x[s];
      B[s] += prod;
      u += prod;
      t = fma(k.y, x[s], t);
    }
    u = warp_sum(u);  // the tile's share of every high player in H
    if ((tile >> lane) & 1) h0 += u;
    if ((tile >> (lane + 32)) & 1) h1 += u;
  }

  // Low player i gets B[l] for every l containing i.
  double lowp[kLow];
#pragma unroll
  for (int i = 0; i < kLow; ++i) {
    double a = 0.0;
#pragma unroll
    for (int s = 0; s < 8; ++s)
      if ((lane_low<kVec>(lane, s) >> i) & 1) a += B[s];
    lowp[i] = warp_sum(a);
  }
  t = warp_sum(t);
  const int hi = n - kLow;
  if (lane == 0) {
#pragma unroll
    for (int i = 0; i < kLow; ++i) red[warp][i] = lowp[i];
    red[warp][n] = t;
  }
  if (lane < hi) red[warp][kLow + lane] = h0;
  if (lane + 32 < hi) red[warp][kLow + 32 + lane] = h1;
  __syncthreads();
  for (int i = threadIdx.x; i <= n; i += blockDim.x) {
    double s = 0.0;
    for (int w = 0; w < kTileWarps; ++w) s += red[w][i];
    partial[static_cast<std::int64_t>(blockIdx.x) * (n + 1) + i] = s;
  }
}

// n < kLow: one warp.  out[i] = A[i] (i < n), out[n] = T.
__global__ void semivalue_small(const double* __restrict__ v, int n, SemivalueCoefs coefs,
                                double* __restrict__ out) {
  const int lane = threadIdx.x;
  double a[kLow];
#pragma unroll
  for (int i = 0; i < kLow; ++i) a[i] = 0.0;
  double t = 0.0;
  for (int m = lane; m < (1 << n); m += 32) {
    const int s = __popc(m);
    const double x = v[m];
    const double prod = coefs.c[s] * x;
#pragma unroll
    for (int i = 0; i < kLow; ++i)
      if ((m >> i) & 1) a[i] += prod;
    t = fma(coefs.b[s], x, t);
  }
#pragma unroll
  for (int i = 0; i < kLow; ++i) a[i] = warp_sum(a[i]);
  t = warp_sum(t);
  if (lane == 0) {
#pragma unroll
    for (int i = 0; i < kLow; ++i)
      if (i < n) out[i] = a[i];
    out[n] = t;
  }
}

// ---- max excess ------------------------------------------------------------------

struct ExcessTables {
  double xl[kTile];  // low subset sums, built on the host exactly like the CPU
  double x[kCoefs];
};

// n >= kLow.  Per block: the best (value, mask) of its tiles.
template <bool kVec>
__global__ void __launch_bounds__(kTileBlock)
    max_excess_tiles(const double* __restrict__ v, int n, std::int64_t ntiles,
                     ExcessTables tabs, double* __restrict__ best_v, u64* __restrict__ best_m) {
  __shared__ double sx[kCoefs];
  __shared__ double rv[kTileWarps];
  __shared__ u64 rm[kTileWarps];
  for (int k = threadIdx.x; k < kCoefs; k += blockDim.x) sx[k] = tabs.x[k];
  __syncthreads();

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int lo[8];
  double xl[8];
#pragma unroll
  for (int s = 0; s < 8; ++s) {
    lo[s] = lane_low<kVec>(lane, s);
    xl[s] = tabs.xl[lo[s]];
  }
  // Within a lane masks increase (tiles ascend, l ascends with s), so a strict '>'
  // keeps the lowest mask; it also skips NaN and -inf like the CPU.
  double bv = kNegInf;
  u64 bm = 0;
  const std::int64_t nwarps = static_cast<std::int64_t>(gridDim.x) * kTileWarps;
  for (std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * kTileWarps + warp;
       tile < ntiles; tile += nwarps) {
    double x[8];
    load_tile<kVec>(v + (tile << kLow), lane, x);
    double xh = 0.0;  // same order of additions as the CPU: increasing bit
    for (u64 m = static_cast<u64>(tile); m; m &= m - 1)
      xh += sx[kLow + __ffsll(static_cast<long long>(m)) - 1];
    const u64 base = static_cast<u64>(tile) << kLow;
#pragma unroll
    for (int s = 0; s < 8; ++s) {
      const double e = x[s] - (xh + xl[s]);
      if (e > bv && (tile != 0 || lo[s] != 0)) {
        bv = e;
        bm = base | static_cast<u64>(lo[s]);
      }
    }
  }
  warp_best(bv, bm);
  if (lane == 0) {
    rv[warp] = bv;
    rm[warp] = bm;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kTileWarps; ++w) take_better(bv, bm, rv[w], rm[w]);
    best_v[blockIdx.x] = bv;
    best_m[blockIdx.x] = bm;
  }
}

// n < kLow: one warp, one candidate per lane.
__global__ void max_excess_small(const double* __restrict__ v, int n, ExcessTables tabs,
                                 double* __restrict__ best_v, u64* __restrict__ best_m) {
  const int lane = threadIdx.x;
  double bv = kNegInf;
  u64 bm = 0;
  for (int m = lane; m < (1 << n); m += 32) {
    const double xh = 0.0;
    const double e = v[m] - (xh + tabs.xl[m]);
    if (m != 0 && e > bv) {
      bv = e;
      bm = static_cast<u64>(m);
    }
  }
  warp_best(bv, bm);
  if (lane == 0) {
    best_v[0] = bv;
    best_m[0] = bm;
  }
}

// One warp: the best of `count` (value, mask) pairs, written to index 0 of out.
__global__ void best_of(const double* __restrict__ vals, const u64* __restrict__ masks, int count,
                        double* __restrict__ out_v, u64* __restrict__ out_m) {
  const int lane = threadIdx.x;
  double bv = kNegInf;
  u64 bm = 0;
  for (int k = lane; k < count; k += 32) take_better(bv, bm, vals[k], masks[k]);
  warp_best(bv, bm);
  if (lane == 0) {
    *out_v = bv;
    *out_m = bm;
  }
}

// ---- samplers --------------------------------------------------------------------

__global__ void permutations_kernel(int n, std::uint64_t seed, std::int64_t first,
                                    std::int64_t count, std::int32_t* __restrict__ out) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       r < count; r += stride)
    draw_permutation(seed, static_cast<std::uint64_t>(first + r), n, out + r * n);
}

struct DenseShift {
  double s[kCoefs];
};

// T = gridDim.x * blockDim.x threads; thread t takes stream ids first + t, + T, ...
// perm, m: [n][T]; acc: [2][n][T] (sum rows, then sum-of-squares rows).
__global__ void __launch_bounds__(kSampleBlock)
    permutation_dense_kernel(const double* __restrict__ v, int n, std::uint64_t seed,
                             std::int64_t first, std::int64_t count, bool antithetic,
                             DenseShift shift, std::int32_t* __restrict__ perm_all,
                             double* __restrict__ m_all, double* __restrict__ acc) {
  __shared__ double sshift[kCoefs];
  for (int k = threadIdx.x; k < kCoefs; k += blockDim.x) sshift[k] = shift.s[k];
  __syncthreads();
  const std::int64_t T = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::int32_t* perm = perm_all + t;
  double* mm = antithetic ? m_all + t : nullptr;
  double* s = acc + t;
  double* q = acc + static_cast<std::int64_t>(n) * T + t;
  for (int p = 0; p < n; ++p) {
    s[p * T] = 0.0;
    q[p * T] = 0.0;
  }
  const double v0 = v[0];
  for (std::int64_t r = first + t; r < first + count; r += T) {
    PhiloxStream rng(seed, static_cast<std::uint64_t>(r), kTagPermutation);
    for (int i = 0; i < n; ++i) perm[i * T] = i;
    u64 mask = 0;
    double prev = v0;
    for (int i = 0; i < n; ++i) {  // walk_dense
      if (i + 1 < n) fy_step(rng, perm, T, n, i);
      const int p = perm[i * T];
      mask |= u64{1} << p;
      const double cur = v[mask];
      const double m = cur - prev;
      prev = cur;
      if (antithetic) {
        mm[p * T] = m;
      } else {
        const double d = m - sshift[p];
        s[p * T] += d;
        q[p * T] += __dmul_rn(d, d);
      }
    }
    if (antithetic) {  // the reversed permutation: prefixes are the complements
      mask = 0;
      prev = v0;
      for (int i = n - 1; i >= 0; --i) {
        const int p = perm[i * T];
        mask |= u64{1} << p;
        const double cur = v[mask];
        const double mr = cur - prev;
        prev = cur;
        const double d = __dmul_rn(0.5, mm[p * T] + mr) - sshift[p];
        s[p * T] += d;
        q[p * T] += __dmul_rn(d, d);
      }
    }
  }
}

// perm: [n][T]; out: [2][n] zeroed (pivot counts are multiples of 1/4: exact sums).
__global__ void __launch_bounds__(kSampleBlock)
    permutation_voting_kernel(const double* __restrict__ w, int n, double quota,
                              std::uint64_t seed, std::int64_t first, std::int64_t count,
                              bool antithetic, std::int32_t* __restrict__ perm_all,
                              double* __restrict__ out) {
  const std::int64_t T = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::int32_t* perm = perm_all + t;
  for (std::int64_t r = first + t; r < first + count; r += T) {
    PhiloxStream rng(seed, static_cast<std::uint64_t>(r), kTagPermutation);
    for (int i = 0; i < n; ++i) perm[i * T] = i;
    int pivot = -1;
    double weight = 0.0;
    for (int i = 0; i < n; ++i) {
      if (i + 1 < n) fy_step(rng, perm, T, n, i);
      const int p = perm[i * T];
      if (weight + w[p] >= quota) {
        pivot = p;
        if (antithetic)
          for (int k = i + 1; k + 1 < n; ++k) fy_step(rng, perm, T, n, k);
        break;
      }
      weight += w[p];
    }
    if (!antithetic) {
      if (pivot >= 0) {
        atomicAdd(out + pivot, 1.0);
        atomicAdd(out + n + pivot, 1.0);
      }
      continue;
    }
    int rpivot = -1;
    weight = 0.0;
    for (int i = n - 1; i >= 0; --i) {
      const int p = perm[i * T];
      if (weight + w[p] >= quota) {
        rpivot = p;
        break;
      }
      weight += w[p];
    }
    if (pivot >= 0 && pivot == rpivot) {
      atomicAdd(out + pivot, 1.0);
      atomicAdd(out + n + pivot, 1.0);
    } else {
      if (pivot >= 0) {
        atomicAdd(out + pivot, 0.5);
        atomicAdd(out + n + pivot, 0.25);
      }
      if (rpivot >= 0) {
        atomicAdd(out + rpivot, 0.5);
        atomicAdd(out + n + rpivot, 0.25);
      }
    }
  }
}

// Block (stratum st, chunk c) takes samples first + c*B + tid, step chunks*B.
// partial: [chunks][2][n*n].
__global__ void __launch_bounds__(kStrataBlock)
    stratified_dense_kernel(const double* __restrict__ v, int n, std::uint64_t seed,
                            std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                            DenseShift shift, double* __restrict__ partial) {
  __shared__ double buf[kStrataBlock];
  const int strata = n * n;
  const int st = blockIdx.x;
  const int i = st / n, k = st % n;
  const int others = n - 1;
  const u64 bit = u64{1} << i;
  const u64 all_others = ((u64{1} << n) - 1) ^ bit;
  const bool complement = 2 * k > others;
  const int size = complement ? others - k : k;
  const double sh = shift.s[i];
  double s = 0.0, q = 0.0;
  const std::int64_t step = static_cast<std::int64_t>(gridDim.y) * kStrataBlock;
  for (std::int64_t r = first + static_cast<std::int64_t>(blockIdx.y) * kStrataBlock + threadIdx.x;
       r < first + count; r += step) {
    PhiloxStream rng(seed, stratum_stream(n, i, k, per_stratum, r), kTagSubset);
    u64 chosen = 0;  // others <= 61: one word
    floyd_strided(rng, others, size, &chosen, 0, [](int) {});
    // Map positions among the others back to players (skip player i).
    const u64 below = chosen & (bit - 1);
    u64 mask = below | ((chosen ^ below) << 1);
    if (complement) mask ^= all_others;
    const double d = v[mask | bit] - v[mask] - sh;
    s += d;
    q += __dmul_rn(d, d);
  }
  s = block_sum<kStrataBlock>(s, buf);
  q = block_sum<kStrataBlock>(q, buf);
  if (threadIdx.x == 0) {
    double* row = partial + static_cast<std::int64_t>(blockIdx.y) * 2 * strata;
    row[st] = s;
    row[strata + st] = q;
  }
}

// One stratified sample of the voting game (csrc/coop/sampling.cpp): is player i
// pivotal for the sampled coalition of stratum st = i * n + k?
__device__ __forceinline__ bool stratified_voting_hit(const double* __restrict__ w, int n,
                                                      double quota, double total,
                                                      std::uint64_t seed, std::int64_t per_stratum,
                                                      std::int64_t r, std::int64_t st, u64* bits,
                                                      std::int64_t stride, int words) {
  const int others = n - 1;
  const int i = static_cast<int>(st / n), k = static_cast<int>(st % n);
  const bool complement = 2 * k > others;
  const double rest = total - w[i];
  PhiloxStream rng(seed, stratum_stream(n, i, k, per_stratum, r), kTagSubset);
  for (int wd = 0; wd < words; ++wd) bits[wd * stride] = 0;
  double weight = 0.0;
  floyd_strided(rng, others, complement ? others - k : k, bits, stride,
                [&](int j) { weight += w[j < i ? j : j + 1]; });
  if (complement) weight = rest - weight;
  return weight < quota && weight + w[i] >= quota;
}

// Flat over samples g = st * count + (r - first); bits: [words][T]; out: [2][n*n]
// zeroed (hit counts: exact sums).  T is a multiple of 32, so the loop is warp-uniform.
__global__ void __launch_bounds__(kSampleBlock)
    stratified_voting_kernel(const double* __restrict__ w, int n, double quota, double total,
                             std::uint64_t seed, std::int64_t per_stratum, std::int64_t first,
                             std::int64_t count, u64* __restrict__ bits_all, int words,
                             double* __restrict__ out) {
  const std::int64_t T = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int lane = threadIdx.x & 31;
  const std::int64_t strata = static_cast<std::int64_t>(n) * n;
  const std::int64_t samples = strata * count;
  u64* bits = bits_all + t;
  for (std::int64_t g0 = t - lane; g0 < samples; g0 += T) {
    const std::int64_t g = g0 + lane;
    bool hit = false;
    std::int64_t st = -1;
    if (g < samples) {
      st = g / count;
      hit = stratified_voting_hit(w, n, quota, total, seed, per_stratum, first + g % count, st,
                                  bits, T, words);
    }
    const u64 key = hit ? static_cast<u64>(st) : ~u64{0};
    const unsigned peers = __match_any_sync(kFull, key);
    if (hit && lane == __ffs(peers) - 1) {
      const double c = static_cast<double>(__popc(peers));
      atomicAdd(out + st, c);
      atomicAdd(out + strata + st, c);
    }
  }
}

// ---- host side -------------------------------------------------------------------

struct Device {
  int id;
  int sms;
  bool pools;
};

Device current_device() {
  Device d{};
  ACCORD_CHECK(cudaGetDevice(&d.id));
  ACCORD_CHECK(cudaDeviceGetAttribute(&d.sms, cudaDevAttrMultiProcessorCount, d.id));
  int pools = 0;
  ACCORD_CHECK(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, d.id));
  d.pools = pools != 0;
  return d;
}

// One stream-ordered device allocation, carved into 256-byte aligned pieces.
class Scratch {
 public:
  Scratch(const Device& dev, cudaStream_t stream) : stream_(stream), pools_(dev.pools) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (!base_) return;
    const cudaError_t err = pools_ ? cudaFreeAsync(base_, stream_) : cudaFree(base_);
    if (err != cudaSuccess) (void)cudaGetLastError();
  }
  // Reserve a piece of `bytes`; returns its offset.  Call before allocate().
  std::size_t reserve(std::size_t bytes) {
    const std::size_t off = size_;
    size_ += (bytes + 255) / 256 * 256;
    return off;
  }
  void allocate() {
    if (size_ == 0) return;
    if (pools_)
      ACCORD_CHECK(cudaMallocAsync(&base_, size_, stream_));
    else
      ACCORD_CHECK(cudaMalloc(&base_, size_));
  }
  template <class T>
  T* at(std::size_t off) const {
    return reinterpret_cast<T*>(static_cast<char*>(base_) + off);
  }

 private:
  cudaStream_t stream_;
  bool pools_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
};

template <class Kernel>
int blocks_per_sm(Kernel kernel, int block) {
  int nb = 0;
  ACCORD_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, kernel, block, 0));
  return std::max(nb, 1);
}

void copy_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes) ACCORD_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
}
void copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes) ACCORD_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}
void finish(cudaStream_t stream) { ACCORD_CHECK(cudaStreamSynchronize(stream)); }

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

void check_range(std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0) throw std::invalid_argument("first and count must be >= 0");
}

// A dense table v of 2**n doubles: arguments, then (check_table_memory) the memory.
void check_table_args(const double* v, int n) {
  if (n < 0 || n > kMaxDensePlayers)
    throw std::invalid_argument("n must be in [0, " + std::to_string(kMaxDensePlayers) + "]");
  if (v == nullptr) throw std::invalid_argument("v_ptr is a null pointer");
  if (reinterpret_cast<std::uintptr_t>(v) % alignof(double) != 0)
    throw std::invalid_argument("v_ptr must be 8-byte aligned (a float64 array)");
}

// v must be device memory of the current device (or otherwise device-accessible).
void check_table_memory(const double* v, const Device& dev) {
  cudaPointerAttributes attr{};
  const cudaError_t err = cudaPointerGetAttributes(&attr, v);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw std::invalid_argument(std::string("v_ptr is not a CUDA pointer: ") +
                                cudaGetErrorString(err));
  }
  if (attr.type == cudaMemoryTypeUnregistered) {
    int pageable = 0;
    ACCORD_CHECK(cudaDeviceGetAttribute(&pageable, cudaDevAttrPageableMemoryAccess, dev.id));
    if (!pageable)
      throw std::invalid_argument(
          "v_ptr is host memory; pass a device pointer (e.g. cupy_array.data.ptr)");
  } else if (attr.type == cudaMemoryTypeDevice && attr.device != dev.id) {
    throw std::invalid_argument("v_ptr is on device " + std::to_string(attr.device) +
                                " but the current device is " + std::to_string(dev.id));
  }
}

// Threads for a per-thread scratch of `per_thread` bytes: at most `want` (rounded up
// to whole blocks of `block`) and as many as fit in min(kScratchCap, free / 4).
std::int64_t scratch_threads(std::int64_t want, std::size_t per_thread, int block) {
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

}  // namespace

// ---- device queries --------------------------------------------------------------

int device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

int runtime_version() noexcept {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) (void)cudaGetLastError();
  return v;
}

int driver_version() noexcept {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return v;
}

std::vector<DeviceInfo> devices() {
  std::vector<DeviceInfo> out;
  const int count = device_count();
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    ACCORD_CHECK(cudaGetDeviceProperties(&prop, i));
    DeviceInfo d{};
    d.index = i;
    d.name = prop.name;
    d.major = prop.major;
    d.minor = prop.minor;
    d.total_memory = prop.totalGlobalMem;
    // cudaDeviceProp::memoryClockRate is gone in CUDA 13; the attributes remain.
    int bus = 0, clock = 0;
    if (cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, i) != cudaSuccess) {
      (void)cudaGetLastError();
      bus = 0;
    }
    if (cudaDeviceGetAttribute(&clock, cudaDevAttrMemoryClockRate, i) != cudaSuccess) {
      (void)cudaGetLastError();
      clock = 0;
    }
    d.memory_bus_width = bus;
    d.memory_clock_khz = clock;
    d.peak_bandwidth = (bus > 0 && clock > 0)
                           ? 2.0 * static_cast<double>(clock) * 1000.0 * (bus / 8.0)
                           : -1.0;
    out.push_back(d);
  }
  return out;
}

// ---- table passes ----------------------------------------------------------------

void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A,
                    double* T, cudaStream_t stream) {
  check_table_args(v, n);
  const Device dev = current_device();
  check_table_memory(v, dev);
  SemivalueCoefs coefs{};
  for (int k = 0; k <= n; ++k) {
    coefs.c[k] = c[k];
    coefs.b[k] = b[k];
  }
  std::vector<double> result(n + 1);
  Scratch buf(dev, stream);
  if (n < kLow) {
    const std::size_t o_out = buf.reserve(sizeof(double) * (n + 1));
    buf.allocate();
    semivalue_small<<<1, 32, 0, stream>>>(v, n, coefs, buf.at<double>(o_out));
    ACCORD_CHECK_LAUNCH("semivalue_small");
    copy_to_host(result.data(), buf.at<double>(o_out), sizeof(double) * (n + 1), stream);
  } else {
    const std::int64_t ntiles = std::int64_t{1} << (n - kLow);
    const bool vec = reinterpret_cast<std::uintptr_t>(v) % 16 == 0;
    const auto kernel = vec ? semivalue_tiles<true> : semivalue_tiles<false>;
    const std::int64_t grid =
        std::max<std::int64_t>(1, std::min<std::int64_t>(
                                      std::int64_t{dev.sms} * blocks_per_sm(kernel, kTileBlock),
                                      ceil_div(ntiles, kTileWarps)));
    const std::size_t o_part = buf.reserve(sizeof(double) * grid * (n + 1));
    const std::size_t o_out = buf.reserve(sizeof(double) * (n + 1));
    buf.allocate();
    kernel<<<static_cast<unsigned>(grid), kTileBlock, 0, stream>>>(v, n, ntiles, coefs,
                                                                   buf.at<double>(o_part));
    ACCORD_CHECK_LAUNCH("semivalue_tiles");
    sum_columns<<<1, 64, 0, stream>>>(buf.at<double>(o_part), static_cast<int>(grid), n + 1,
                                      buf.at<double>(o_out));
    ACCORD_CHECK_LAUNCH("sum_columns");
    copy_to_host(result.data(), buf.at<double>(o_out), sizeof(double) * (n + 1), stream);
  }
  finish(stream);
  for (int i = 0; i < n; ++i) A[i] = result[i];
  *T = result[n];
}

coop::Excess max_excess(const double* v, int n, const double* x, cudaStream_t stream) {
  check_table_args(v, n);
  const Device dev = current_device();
  check_table_memory(v, dev);
  ExcessTables tabs{};
  const int L = std::min(n, kLow);
  const std::int64_t block = std::int64_t{1} << L;
  tabs.xl[0] = 0.0;  // csrc/coop/core_violation.cpp, operation for operation
  for (std::int64_t l = 1; l < block; ++l) {
    const int top = 63 - __builtin_clzll(static_cast<std::uint64_t>(l));
    tabs.xl[l] = tabs.xl[l ^ (std::int64_t{1} << top)] + x[top];
  }
  for (int i = 0; i < n; ++i) tabs.x[i] = x[i];

  Scratch buf(dev, stream);
  double value = kNegInf;
  u64 mask = 0;
  if (n < kLow) {
    const std::size_t o_v = buf.reserve(sizeof(double)), o_m = buf.reserve(sizeof(u64));
    buf.allocate();
    max_excess_small<<<1, 32, 0, stream>>>(v, n, tabs, buf.at<double>(o_v), buf.at<u64>(o_m));
    ACCORD_CHECK_LAUNCH("max_excess_small");
    copy_to_host(&value, buf.at<double>(o_v), sizeof(double), stream);
    copy_to_host(&mask, buf.at<u64>(o_m), sizeof(u64), stream);
  } else {
    const std::int64_t ntiles = std::int64_t{1} << (n - kLow);
    const bool vec = reinterpret_cast<std::uintptr_t>(v) % 16 == 0;
    const auto kernel = vec ? max_excess_tiles<true> : max_excess_tiles<false>;
    const std::int64_t grid =
        std::max<std::int64_t>(1, std::min<std::int64_t>(
                                      std::int64_t{dev.sms} * blocks_per_sm(kernel, kTileBlock),
                                      ceil_div(ntiles, kTileWarps)));
    const std::size_t o_bv = buf.reserve(sizeof(double) * grid);
    const std::size_t o_bm = buf.reserve(sizeof(u64) * grid);
    const std::size_t o_v = buf.reserve(sizeof(double)), o_m = buf.reserve(sizeof(u64));
    buf.allocate();
    kernel<<<static_cast<unsigned>(grid), kTileBlock, 0, stream>>>(
        v, n, ntiles, tabs, buf.at<double>(o_bv), buf.at<u64>(o_bm));
    ACCORD_CHECK_LAUNCH("max_excess_tiles");
    best_of<<<1, 32, 0, stream>>>(buf.at<double>(o_bv), buf.at<u64>(o_bm),
                                  static_cast<int>(grid), buf.at<double>(o_v), buf.at<u64>(o_m));
    ACCORD_CHECK_LAUNCH("best_of");
    copy_to_host(&value, buf.at<double>(o_v), sizeof(double), stream);
    copy_to_host(&mask, buf.at<u64>(o_m), sizeof(u64), stream);
  }
  finish(stream);
  return coop::Excess{value, static_cast<std::uint64_t>(mask)};
}

// ---- samplers --------------------------------------------------------------------

void permutations(int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
                  std::int32_t* out, cudaStream_t stream) {
  if (n < 1) throw std::invalid_argument("n must be >= 1");
  check_range(first, count);
  if (count == 0) return;
  const Device dev = current_device();
  Scratch buf(dev, stream);
  const std::size_t bytes = sizeof(std::int32_t) * static_cast<std::size_t>(count) * n;
  const std::size_t o_out = buf.reserve(bytes);
  buf.allocate();
  const std::int64_t grid =
      std::min<std::int64_t>(ceil_div(count, kSampleBlock), std::int64_t{dev.sms} * 8);
  permutations_kernel<<<static_cast<unsigned>(grid), kSampleBlock, 0, stream>>>(
      n, seed, first, count, buf.at<std::int32_t>(o_out));
  ACCORD_CHECK_LAUNCH("permutations_kernel");
  copy_to_host(out, buf.at<std::int32_t>(o_out), bytes, stream);
  finish(stream);
}

void permutation_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t first,
                              std::int64_t count, bool antithetic, const double* shift,
                              double* sum, double* sumsq, cudaStream_t stream) {
  check_table_args(v, n);
  check_range(first, count);
  const Device dev = current_device();
  check_table_memory(v, dev);
  std::fill(sum, sum + n, 0.0);
  std::fill(sumsq, sumsq + n, 0.0);
  if (n == 0 || count == 0) return;
  DenseShift sh{};
  for (int i = 0; i < n; ++i) sh.s[i] = shift[i];

  const std::size_t per_thread =
      static_cast<std::size_t>(n) * (sizeof(std::int32_t) + 2 * sizeof(double) +
                                     (antithetic ? sizeof(double) : 0));
  const std::int64_t T = scratch_threads(
      std::min<std::int64_t>(count, std::int64_t{dev.sms} * 512), per_thread, kSampleBlock);
  Scratch buf(dev, stream);
  const std::size_t o_perm = buf.reserve(sizeof(std::int32_t) * n * T);
  const std::size_t o_m = antithetic ? buf.reserve(sizeof(double) * n * T) : 0;
  const std::size_t o_acc = buf.reserve(sizeof(double) * 2 * n * T);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * n);
  buf.allocate();
  permutation_dense_kernel<<<static_cast<unsigned>(T / kSampleBlock), kSampleBlock, 0, stream>>>(
      v, n, seed, first, count, antithetic, sh, buf.at<std::int32_t>(o_perm),
      antithetic ? buf.at<double>(o_m) : nullptr, buf.at<double>(o_acc));
  ACCORD_CHECK_LAUNCH("permutation_dense_kernel");
  sum_rows<<<2 * n, kReduceBlock, 0, stream>>>(buf.at<double>(o_acc), T, buf.at<double>(o_out));
  ACCORD_CHECK_LAUNCH("sum_rows");
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * n, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + n, sizeof(double) * n, stream);
  finish(stream);
}

void permutation_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                               std::int64_t first, std::int64_t count, bool antithetic,
                               double* sum, double* sumsq, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("n must be >= 0");
  check_range(first, count);
  std::fill(sum, sum + n, 0.0);
  std::fill(sumsq, sumsq + n, 0.0);
  if (n == 0 || count == 0) return;
  const Device dev = current_device();
  const std::int64_t T =
      scratch_threads(std::min<std::int64_t>(count, std::int64_t{dev.sms} * 1024),
                      sizeof(std::int32_t) * static_cast<std::size_t>(n), kSampleBlock);
  Scratch buf(dev, stream);
  const std::size_t o_w = buf.reserve(sizeof(double) * n);
  const std::size_t o_perm = buf.reserve(sizeof(std::int32_t) * n * T);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * n);
  buf.allocate();
  copy_to_device(buf.at<double>(o_w), w, sizeof(double) * n, stream);
  ACCORD_CHECK(cudaMemsetAsync(buf.at<double>(o_out), 0, sizeof(double) * 2 * n, stream));
  permutation_voting_kernel<<<static_cast<unsigned>(T / kSampleBlock), kSampleBlock, 0,
                              stream>>>(buf.at<double>(o_w), n, quota, seed, first, count,
                                        antithetic, buf.at<std::int32_t>(o_perm),
                                        buf.at<double>(o_out));
  ACCORD_CHECK_LAUNCH("permutation_voting_kernel");
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * n, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + n, sizeof(double) * n, stream);
  finish(stream);
}

void stratified_sample_dense(const double* v, int n, std::uint64_t seed,
                             std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                             const double* shift, double* sum, double* sumsq,
                             cudaStream_t stream) {
  check_table_args(v, n);
  check_range(first, count);
  if (first + count > per_stratum)
    throw std::invalid_argument("first + count must be <= per_stratum");
  const Device dev = current_device();
  check_table_memory(v, dev);
  const int strata = n * n;
  std::fill(sum, sum + strata, 0.0);
  std::fill(sumsq, sumsq + strata, 0.0);
  if (n == 0 || count == 0) return;
  DenseShift sh{};
  for (int i = 0; i < n; ++i) sh.s[i] = shift[i];
  // Enough blocks to fill the device, none without samples.
  const std::int64_t chunks = std::max<std::int64_t>(
      1, std::min<std::int64_t>({ceil_div(std::int64_t{dev.sms} * 8, strata),
                                 ceil_div(count, kStrataBlock), 65535}));
  Scratch buf(dev, stream);
  const std::size_t o_part = buf.reserve(sizeof(double) * chunks * 2 * strata);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * strata);
  buf.allocate();
  const dim3 grid(static_cast<unsigned>(strata), static_cast<unsigned>(chunks));
  stratified_dense_kernel<<<grid, kStrataBlock, 0, stream>>>(v, n, seed, per_stratum, first,
                                                             count, sh, buf.at<double>(o_part));
  ACCORD_CHECK_LAUNCH("stratified_dense_kernel");
  sum_columns<<<static_cast<unsigned>(ceil_div(2 * strata, 256)), 256, 0, stream>>>(
      buf.at<double>(o_part), static_cast<int>(chunks), 2 * strata, buf.at<double>(o_out));
  ACCORD_CHECK_LAUNCH("sum_columns");
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * strata, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + strata, sizeof(double) * strata, stream);
  finish(stream);
}

void stratified_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                              std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                              double* sum, double* sumsq, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("n must be >= 0");
  check_range(first, count);
  if (first + count > per_stratum)
    throw std::invalid_argument("first + count must be <= per_stratum");
  const std::int64_t strata = static_cast<std::int64_t>(n) * n;
  std::fill(sum, sum + strata, 0.0);
  std::fill(sumsq, sumsq + strata, 0.0);
  if (n == 0 || count == 0) return;
  if (count > std::numeric_limits<std::int64_t>::max() / strata)
    throw std::invalid_argument("n * n * count overflows a 64-bit sample index");
  double total = 0.0;  // the CPU's order of additions
  for (int i = 0; i < n; ++i) total += w[i];
  const int words = (n - 1 + 63) / 64;
  const Device dev = current_device();
  const std::int64_t T = scratch_threads(
      std::min<std::int64_t>(strata * count, std::int64_t{dev.sms} * 1024),
      sizeof(u64) * static_cast<std::size_t>(words), kSampleBlock);
  Scratch buf(dev, stream);
  const std::size_t o_w = buf.reserve(sizeof(double) * n);
  const std::size_t o_bits =
      buf.reserve(sizeof(u64) * static_cast<std::size_t>(std::max(words, 1)) * T);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * strata);
  buf.allocate();
  copy_to_device(buf.at<double>(o_w), w, sizeof(double) * n, stream);
  ACCORD_CHECK(cudaMemsetAsync(buf.at<double>(o_out), 0, sizeof(double) * 2 * strata, stream));
  stratified_voting_kernel<<<static_cast<unsigned>(T / kSampleBlock), kSampleBlock, 0, stream>>>(
      buf.at<double>(o_w), n, quota, total, seed, per_stratum, first, count,
      buf.at<u64>(o_bits), words, buf.at<double>(o_out));
  ACCORD_CHECK_LAUNCH("stratified_voting_kernel");
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * strata, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + strata, sizeof(double) * strata, stream);
  finish(stream);
}

}  // namespace accord::gpu
