// Semivalue sums on the GPU, the twin of csrc/coop/semivalue.cpp: one pass over a dense
// table gives A[i] = sum_{S contains i} c[|S|] v[S] and T = sum_S b[|S|] v[S], hence
// every semivalue (Shapley, Banzhaf, ...) as A[i] - T (Dubey, Neyman & Weber 1981).
//
// Tiles as in tables.cuh.  Per element two fused multiply-adds into register
// accumulators: B[l] (low players) and T; the warp-summed tile total goes to the high
// players whose bits are set in H, kept one per lane (lane j holds player 8 + j and
// 8 + 32 + j).  Everything is reduced in a fixed order, so results are deterministic for
// a given device (the grid size depends on the SM count).
#include <cstdint>
#include <vector>

#include "../runtime.cuh"
#include "accord/gpu/coop.hpp"
#include "tables.cuh"

namespace accord::gpu {

namespace {

using namespace tables;
using u64 = unsigned long long;

struct SemivalueCoefs {
  double c[kCoefs];
  double b[kCoefs];
};

// n >= kLow.  partial[block][i]: i < n the block's share of A[i], i = n of T.
template <bool kVec>
__global__ void __launch_bounds__(kBlock)
    semivalue_tiles(const double* __restrict__ v, int n, std::int64_t ntiles, SemivalueCoefs coefs,
                    double* __restrict__ partial) {
  __shared__ double2 cb[kCoefs];  // (c, b) by coalition size
  __shared__ double red[kWarps][kCoefs];
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
  const std::int64_t nwarps = static_cast<std::int64_t>(gridDim.x) * kWarps;
  for (std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * kWarps + warp; tile < ntiles;
       tile += nwarps) {
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
    for (int w = 0; w < kWarps; ++w) s += red[w][i];
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

}  // namespace

void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A, double* T,
                    cudaStream_t stream) {
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
    const std::int64_t grid = grid_for(kernel, dev, ntiles);
    const std::size_t o_part = buf.reserve(sizeof(double) * grid * (n + 1));
    const std::size_t o_out = buf.reserve(sizeof(double) * (n + 1));
    buf.allocate();
    kernel<<<static_cast<unsigned>(grid), kBlock, 0, stream>>>(v, n, ntiles, coefs,
                                                               buf.at<double>(o_part));
    ACCORD_CHECK_LAUNCH("semivalue_tiles");
    sum_columns(buf.at<double>(o_part), static_cast<int>(grid), n + 1, buf.at<double>(o_out),
                stream);
    copy_to_host(result.data(), buf.at<double>(o_out), sizeof(double) * (n + 1), stream);
  }
  finish(stream);
  for (int i = 0; i < n; ++i) A[i] = result[i];
  *T = result[n];
}

}  // namespace accord::gpu
