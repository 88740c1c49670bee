// The largest excess max_{S != 0} v[S] - x(S) on the GPU, the twin of
// csrc/coop/core_violation.cpp: x is in the core iff the excess is <= 0 (and x(N) =
// v(N)); the coalition attaining it blocks x (Gillies 1959).
//
// Tiles as in tables.cuh.  x(S) = x(H) + x(l): the low subset sums x(l) are built on the
// host exactly like the CPU's, x(H) per tile in increasing bit order, so every excess is
// bit-identical to the CPU's.  Ties keep the lowest mask.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "../runtime.cuh"
#include "accord/gpu/coop.hpp"
#include "tables.cuh"

namespace accord::gpu {

namespace {

using namespace tables;
using u64 = unsigned long long;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct ExcessTables {
  double xl[kTile];  // low subset sums, built on the host exactly like the CPU
  double x[kCoefs];
};

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
    const double ov = __shfl_xor_sync(kFullMask, bv, o);
    const u64 om = __shfl_xor_sync(kFullMask, bm, o);
    take_better(bv, bm, ov, om);
  }
}

// n >= kLow.  Per block: the best (value, mask) of its tiles.
template <bool kVec>
__global__ void __launch_bounds__(kBlock)
    max_excess_tiles(const double* __restrict__ v, int n, std::int64_t ntiles, ExcessTables tabs,
                     double* __restrict__ best_v, u64* __restrict__ best_m) {
  __shared__ double sx[kCoefs];
  __shared__ double rv[kWarps];
  __shared__ u64 rm[kWarps];
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
  const std::int64_t nwarps = static_cast<std::int64_t>(gridDim.x) * kWarps;
  for (std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * kWarps + warp; tile < ntiles;
       tile += nwarps) {
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
    for (int w = 1; w < kWarps; ++w) take_better(bv, bm, rv[w], rm[w]);
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

}  // namespace

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
    const std::int64_t grid = grid_for(kernel, dev, ntiles);
    const std::size_t o_bv = buf.reserve(sizeof(double) * grid);
    const std::size_t o_bm = buf.reserve(sizeof(u64) * grid);
    const std::size_t o_v = buf.reserve(sizeof(double)), o_m = buf.reserve(sizeof(u64));
    buf.allocate();
    kernel<<<static_cast<unsigned>(grid), kBlock, 0, stream>>>(
        v, n, ntiles, tabs, buf.at<double>(o_bv), buf.at<u64>(o_bm));
    ACCORD_CHECK_LAUNCH("max_excess_tiles");
    best_of<<<1, 32, 0, stream>>>(buf.at<double>(o_bv), buf.at<u64>(o_bm), static_cast<int>(grid),
                                  buf.at<double>(o_v), buf.at<u64>(o_m));
    ACCORD_CHECK_LAUNCH("best_of");
    copy_to_host(&value, buf.at<double>(o_v), sizeof(double), stream);
    copy_to_host(&mask, buf.at<u64>(o_m), sizeof(u64), stream);
  }
  finish(stream);
  return coop::Excess{value, static_cast<std::uint64_t>(mask)};
}

}  // namespace accord::gpu
