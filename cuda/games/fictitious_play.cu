// Two-player fictitious play on the GPU, the twin of the two-player path of
// csrc/games/dynamics.cpp (Brown 1951; Robinson 1951).
//
// One warp per game.  Lanes own actions (stride 32); cumulative payoffs and counts live
// in shared memory, and so do both payoff matrices (A transposed) when they fit, making
// the iterations independent of DRAM.  Argmaxes are warp reductions that keep the lowest
// index on ties, as on the CPU.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "../runtime.cuh"
#include "accord/gpu/games.hpp"

namespace accord::gpu {

namespace {

struct ArgMax {
  double v;
  int i;
};

// Warp argmax of x[0..k), the lowest index on ties, broadcast to every lane.
__device__ ArgMax warp_argmax(const double* x, int k, int lane) {
  ArgMax best{-INFINITY, 0x7fffffff};
  for (int a = lane; a < k; a += 32)
    if (x[a] > best.v) best = ArgMax{x[a], a};
  for (int sh = 16; sh; sh >>= 1) {
    const double v = __shfl_down_sync(kFullMask, best.v, sh);
    const int i = __shfl_down_sync(kFullMask, best.i, sh);
    if (v > best.v || (v == best.v && i < best.i)) best = ArgMax{v, i};
  }
  best.v = __shfl_sync(kFullMask, best.v, 0);
  best.i = __shfl_sync(kFullMask, best.i, 0);
  if (best.i >= k) best.i = k - 1;  // no entry above -inf (all NaN or -inf): stay in range
  return best;
}

// x . y over k entries, lanes striding by 32; every lane gets the result.
__device__ double warp_dot(const double* x, const double* y, int k, int lane) {
  double s = 0;
  for (int a = lane; a < k; a += 32) s += x[a] * y[a];
  return warp_sum(s);
}

// Dynamic shared memory per warp: U0 (m), U1 (n), c0 (m), c1 (n), then optionally
// A^T (n x m) and B (m x n).
__global__ void fp_warp(const double* __restrict__ payoffs, std::int64_t games, int m, int n,
                        std::int64_t iterations, int mode, const std::int64_t* __restrict__ init,
                        std::int64_t every, double* profile, double* history, bool staged) {
  extern __shared__ double sm[];
  const int warps = blockDim.x / 32, w = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::int64_t per = 2 * (m + n) + (staged ? 2 * std::int64_t(m) * n : 0);
  double* U0 = sm + w * per;
  double *U1 = U0 + m, *c0 = U1 + n, *c1 = c0 + m;
  double* At = c1 + n;
  double* Bs = At + std::int64_t(m) * n;
  const std::int64_t records = iterations / every;
  for (std::int64_t g = blockIdx.x * std::int64_t(warps) + w; g < games;
       g += std::int64_t(gridDim.x) * warps) {
    const double* A = payoffs + g * 2 * m * n;
    const double* B = A + std::int64_t(m) * n;
    // Column b of A: A^T row b (staged) or a strided read of A.
    std::int64_t cs = n;  // stride between entries of a column of A
    const double* Acol = A;
    const double* Brow = B;
    if (staged) {
      for (std::int64_t e = lane; e < std::int64_t(m) * n; e += 32) {
        const std::int64_t r = e / n, c = e % n;
        At[c * m + r] = A[e];
        Bs[e] = B[e];
      }
      Acol = At;
      cs = 1;
      Brow = Bs;
    }
    const std::int64_t colstep = staged ? m : 1;  // offset between columns
    __syncwarp();
    const int a0 = static_cast<int>(init[2 * g]), a1 = static_cast<int>(init[2 * g + 1]);
    for (int a = lane; a < m; a += 32) {
      U0[a] = Acol[a1 * colstep + a * cs];
      c0[a] = a == a0;
    }
    for (int b = lane; b < n; b += 32) {
      U1[b] = Brow[std::int64_t(a0) * n + b];
      c1[b] = b == a1;
    }
    __syncwarp();
    for (std::int64_t it = 1; it <= iterations; ++it) {
      if (mode == 0) {
        const int b0 = warp_argmax(U0, m, lane).i, b1 = warp_argmax(U1, n, lane).i;
        for (int a = lane; a < m; a += 32) U0[a] += Acol[b1 * colstep + a * cs];
        for (int b = lane; b < n; b += 32) U1[b] += Brow[std::int64_t(b0) * n + b];
        if (lane == 0) {
          c0[b0] += 1.0;
          c1[b1] += 1.0;
        }
      } else {
        const int b0 = warp_argmax(U0, m, lane).i;
        for (int b = lane; b < n; b += 32) U1[b] += Brow[std::int64_t(b0) * n + b];
        if (lane == 0) c0[b0] += 1.0;
        __syncwarp();
        const int b1 = warp_argmax(U1, n, lane).i;
        for (int a = lane; a < m; a += 32) U0[a] += Acol[b1 * colstep + a * cs];
        if (lane == 0) c1[b1] += 1.0;
      }
      __syncwarp();
      if (it % every == 0) {
        const double t = double(it + 1);
        const double mx = warp_argmax(U0, m, lane).v + warp_argmax(U1, n, lane).v;
        const double cu = warp_dot(c0, U0, m, lane) + warp_dot(c1, U1, n, lane);
        if (lane == 0 && it / every <= records)
          history[g * records + it / every - 1] = mx / t - cu / (t * t);
      }
    }
    const double t = double(iterations + 1);
    for (int a = lane; a < m; a += 32) profile[g * (m + n) + a] = c0[a] / t;
    for (int b = lane; b < n; b += 32) profile[g * (m + n) + m + b] = c1[b] / t;
    __syncwarp();
  }
}

}  // namespace

void fictitious_play(const double* payoffs, std::int64_t games, std::int64_t m, std::int64_t n,
                     std::int64_t iterations, int mode, const std::int64_t* initial,
                     std::int64_t record_every, double* profile, double* history,
                     cudaStream_t stream) {
  if (m < 1 || n < 1 || m > (1 << 24) || n > (1 << 24))
    throw std::invalid_argument("bad action counts");
  if (iterations < 0 || record_every < 1) throw std::invalid_argument("bad iterations");
  if (games == 0) return;
  const std::size_t state = sizeof(double) * 2 * (m + n);
  const std::size_t stage = sizeof(double) * 2 * m * n;
  const bool staged = state + stage <= kSharedMemoryBudget / 2;
  const std::size_t per_warp = state + (staged ? stage : 0);
  if (per_warp > kSharedMemoryBudget)
    throw std::invalid_argument("fictitious play on the GPU needs m + n <= 3072");
  const int warps = static_cast<int>(
      std::max<std::size_t>(1, std::min<std::size_t>(4, kSharedMemoryBudget / per_warp)));
  const Device dev = current_device();
  const std::int64_t blocks = std::min<std::int64_t>(
      ceil_div(games, warps),
      std::int64_t{dev.sms} * blocks_per_sm(fp_warp, warps * 32, per_warp * warps));
  fp_warp<<<static_cast<unsigned>(blocks), warps * 32, per_warp * warps, stream>>>(
      payoffs, games, static_cast<int>(m), static_cast<int>(n), iterations, mode, initial,
      record_every, profile, history, staged);
  ACCORD_CHECK_LAUNCH("fp_warp");
  finish(stream);
}

}  // namespace accord::gpu
