// Batched best responses on the GPU, the twin of csrc/games/best_response.cpp.
//
// One block per game when the game (payoffs, strategies and the per-player outer
// products of the other players' strategies) fits in shared memory.  The block first
// copies the game's payoffs into shared memory with coalesced loads, so DRAM sees one
// streaming read of every payoff; threads then own (player, action) items and sum over
// the other players' actions.  Larger games use one warp per (game, player, action)
// reading global memory, with the expected payoffs in scratch memory.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "../runtime.cuh"
#include "accord/gpu/games.hpp"

namespace accord::gpu {

namespace {

constexpr int kMaxPlayers = 16;
constexpr int kBlock = 128;

struct Dims {
  int n;
  std::int64_t k[kMaxPlayers];
  std::int64_t off[kMaxPlayers + 1];
  std::int64_t R[kMaxPlayers], S[kMaxPlayers];  // outcomes before / after player i
  std::int64_t wofs[kMaxPlayers + 1];           // offsets of the weight vectors
  std::int64_t K, sumk;
};

Dims make_dims(const std::vector<std::int64_t>& k) {
  if (k.empty() || k.size() > static_cast<std::size_t>(kMaxPlayers))
    throw std::invalid_argument("the GPU kernels handle 1 to 16 players");
  Dims d{};
  d.n = static_cast<int>(k.size());
  d.K = 1;
  d.off[0] = 0;
  for (int i = 0; i < d.n; ++i) {
    if (k[i] < 1) throw std::invalid_argument("every player needs at least one action");
    d.k[i] = k[i];
    d.K *= k[i];
    d.off[i + 1] = d.off[i] + k[i];
  }
  d.sumk = d.off[d.n];
  d.wofs[0] = 0;
  for (int i = 0; i < d.n; ++i) {
    d.R[i] = 1;
    d.S[i] = 1;
    for (int j = 0; j < i; ++j) d.R[i] *= k[j];
    for (int j = i + 1; j < d.n; ++j) d.S[i] *= k[j];
    d.wofs[i + 1] = d.wofs[i] + d.R[i] + d.S[i];
  }
  return d;
}

// Product of the strategies of players [first, last) at C-ordered index idx.
template <class T>
__device__ T weight_at(const Dims& d, const T* prof, int first, int last, std::int64_t idx) {
  T w = 1;
  for (int j = last - 1; j >= first; --j) {
    const std::int64_t a = idx % d.k[j];
    idx /= d.k[j];
    w *= prof[d.off[j] + a];
  }
  return w;
}

template <class T>
__device__ void finish_player(const Dims& d, int i, const T* u, const T* prof, double tol,
                              std::int64_t g, std::int64_t* actions, T* best, T* current) {
  const std::int64_t k = d.k[i];
  T m = u[0], cur = 0;
  for (std::int64_t a = 1; a < k; ++a) m = u[a] > m ? u[a] : m;
  for (std::int64_t a = 0; a < k; ++a) cur += u[a] * prof[a];
  const double thr = tol > 0 ? double(m) - tol * fmax(1.0, fabs(double(m))) : double(m);
  std::int64_t b = 0;
  for (std::int64_t a = 0; a < k; ++a)
    if (double(u[a]) >= thr) {
      b = a;
      break;
    }
  actions[g * d.n + i] = b;
  best[g * d.n + i] = m;
  current[g * d.n + i] = cur;
}

// One block per game, everything in shared memory.
template <class T>
__global__ void br_shared(const T* __restrict__ payoffs, const T* __restrict__ profile,
                          std::int64_t games, Dims d, double tol, std::int64_t* actions, T* best,
                          T* current, T* u_out) {
  extern __shared__ unsigned char smem_raw[];
  T* P = reinterpret_cast<T*>(smem_raw);
  T* prof = P + d.n * d.K;
  T* W = prof + d.sumk;    // weights: player i's pre (R_i) then suf (S_i)
  T* U = W + d.wofs[d.n];  // sumk
  for (std::int64_t g = blockIdx.x; g < games; g += gridDim.x) {
    const T* src = payoffs + g * d.n * d.K;
    for (std::int64_t e = threadIdx.x; e < d.n * d.K; e += blockDim.x) P[e] = __ldcs(src + e);
    for (std::int64_t e = threadIdx.x; e < d.sumk; e += blockDim.x)
      prof[e] = profile[g * d.sumk + e];
    __syncthreads();
    for (int i = 0; i < d.n; ++i) {
      for (std::int64_t r = threadIdx.x; r < d.R[i]; r += blockDim.x)
        W[d.wofs[i] + r] = weight_at(d, prof, 0, i, r);
      for (std::int64_t s = threadIdx.x; s < d.S[i]; s += blockDim.x)
        W[d.wofs[i] + d.R[i] + s] = weight_at(d, prof, i + 1, d.n, s);
    }
    __syncthreads();
    for (std::int64_t item = threadIdx.x; item < d.sumk; item += blockDim.x) {
      int i = 0;
      while (item >= d.off[i + 1]) ++i;
      const std::int64_t a = item - d.off[i], S = d.S[i], blk = d.k[i] * S;
      const T* Pi = P + i * d.K + a * S;
      const T* wp = W + d.wofs[i];
      const T* ws = wp + d.R[i];
      T acc = 0;
      for (std::int64_t r = 0; r < d.R[i]; ++r) {
        T row = 0;
        for (std::int64_t s = 0; s < S; ++s) row += Pi[r * blk + s] * ws[s];
        acc += wp[r] * row;
      }
      U[item] = acc;
      if (u_out) u_out[g * d.sumk + item] = acc;
    }
    __syncthreads();
    if (threadIdx.x < d.n) {
      const int i = threadIdx.x;
      finish_player(d, i, U + d.off[i], prof + d.off[i], tol, g, actions, best, current);
    }
    __syncthreads();
  }
}

// One warp per (game, player, action), payoffs read from global memory.
template <class T>
__global__ void br_items(const T* __restrict__ payoffs, const T* __restrict__ profile,
                         std::int64_t games, Dims d, T* U) {
  const std::int64_t warp = (blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= games * d.sumk) return;
  const std::int64_t g = warp / d.sumk, item = warp % d.sumk;
  int i = 0;
  while (item >= d.off[i + 1]) ++i;
  const std::int64_t a = item - d.off[i], S = d.S[i], others = d.R[i] * S;
  const T* Pi = payoffs + (g * d.n + i) * d.K;
  const T* prof = profile + g * d.sumk;
  T acc = 0;
  for (std::int64_t o = lane; o < others; o += 32) {
    const std::int64_t r = o / S, s = o % S;
    acc += Pi[(r * d.k[i] + a) * S + s] * weight_at(d, prof, 0, i, r) *
           weight_at(d, prof, i + 1, d.n, s);
  }
  acc = warp_sum(acc);
  if (lane == 0) U[g * d.sumk + item] = acc;
}

template <class T>
__global__ void br_finish(const T* __restrict__ U, const T* __restrict__ profile,
                          std::int64_t games, Dims d, double tol, std::int64_t* actions, T* best,
                          T* current) {
  const std::int64_t t = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (t >= games * d.n) return;
  const std::int64_t g = t / d.n;
  const int i = static_cast<int>(t % d.n);
  finish_player(d, i, U + g * d.sumk + d.off[i], profile + g * d.sumk + d.off[i], tol, g, actions,
                best, current);
}

template <class T>
void best_response_t(const T* payoffs, const T* profile, std::int64_t games, const Dims& d,
                     double tol, std::int64_t* actions, T* best, T* current, T* u,
                     cudaStream_t stream) {
  if (games == 0) return;
  const std::size_t smem = sizeof(T) * (d.n * d.K + 2 * d.sumk + d.wofs[d.n]);
  const Device dev = current_device();
  if (smem <= kSharedMemoryBudget) {
    const std::int64_t grid = std::min<std::int64_t>(
        games, std::int64_t{dev.sms} * blocks_per_sm(br_shared<T>, kBlock, smem));
    br_shared<T><<<static_cast<unsigned>(grid), kBlock, smem, stream>>>(
        payoffs, profile, games, d, tol, actions, best, current, u);
    ACCORD_CHECK_LAUNCH("br_shared");
    finish(stream);
    return;
  }
  // Expected payoffs go to u, or to scratch memory freed however this scope is left.
  Scratch buf(dev, stream);
  const std::size_t o_u = u ? 0 : buf.reserve(sizeof(T) * games * d.sumk);
  buf.allocate();
  T* U = u ? u : buf.at<T>(o_u);
  const std::int64_t warps = games * d.sumk;
  br_items<T><<<static_cast<unsigned>(ceil_div(warps * 32, kBlock)), kBlock, 0, stream>>>(
      payoffs, profile, games, d, U);
  ACCORD_CHECK_LAUNCH("br_items");
  br_finish<T><<<static_cast<unsigned>(ceil_div(games * d.n, kBlock)), kBlock, 0, stream>>>(
      U, profile, games, d, tol, actions, best, current);
  ACCORD_CHECK_LAUNCH("br_finish");
  finish(stream);
}

}  // namespace

void best_response(const void* payoffs, const void* profile, std::int64_t games,
                   const std::vector<std::int64_t>& k, int itemsize, double tol,
                   std::int64_t* actions, void* best, void* current, void* u, cudaStream_t stream) {
  const Dims d = make_dims(k);
  if (itemsize == 8) {
    best_response_t(static_cast<const double*>(payoffs), static_cast<const double*>(profile), games,
                    d, tol, actions, static_cast<double*>(best), static_cast<double*>(current),
                    static_cast<double*>(u), stream);
  } else if (itemsize == 4) {
    best_response_t(static_cast<const float*>(payoffs), static_cast<const float*>(profile), games,
                    d, tol, actions, static_cast<float*>(best), static_cast<float*>(current),
                    static_cast<float*>(u), stream);
  } else {
    throw std::invalid_argument("itemsize must be 8 (float64) or 4 (float32)");
  }
}

}  // namespace accord::gpu
