// CUDA kernels for normal-form games: the GPU twins of csrc/games/best_response.cpp
// and of two-player fictitious play in csrc/games/dynamics.cpp.
//
// Best responses: one block per game when the game (payoffs, strategies and the
// per-player outer products of the other players' strategies) fits in shared
// memory.  The block first copies the game's payoffs into shared memory with
// coalesced loads, so DRAM sees one streaming read of every payoff; threads then
// own (player, action) items and sum over the other players' actions.  Larger
// games use one warp per (game, player, action) reading global memory.
//
// Fictitious play: one warp per game.  Lanes own actions (stride 32); cumulative
// payoffs and counts live in shared memory, and so do both payoff matrices (A
// transposed) when they fit, making the iterations independent of DRAM.  Argmaxes
// are warp reductions that keep the lowest index on ties, as on the CPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "games_kernels.cuh"

#define ACCORD_CHECK(expr) ::accord::gpu::check((expr), #expr)

namespace accord::gpu {

void check(cudaError_t err, const char* what);  // coop_kernels.cu

namespace {

constexpr unsigned kFull = 0xffffffffu;
constexpr int kMaxPlayers = 16;
constexpr int kBlock = 128;
constexpr std::size_t kSmemBudget = 48 * 1024;

struct Dims {
  int n;
  std::int64_t k[kMaxPlayers];
  std::int64_t off[kMaxPlayers + 1];
  std::int64_t R[kMaxPlayers], S[kMaxPlayers];  // outcomes before / after player i
  std::int64_t wofs[kMaxPlayers + 1];          // offsets of the weight vectors
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
                          std::int64_t games, Dims d, double tol, std::int64_t* actions,
                          T* best, T* current, T* u_out) {
  extern __shared__ unsigned char smem_raw[];
  T* P = reinterpret_cast<T*>(smem_raw);
  T* prof = P + d.n * d.K;
  T* W = prof + d.sumk;      // weights: player i's pre (R_i) then suf (S_i)
  T* U = W + d.wofs[d.n];    // sumk
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
  for (int sh = 16; sh; sh >>= 1) acc += __shfl_down_sync(kFull, acc, sh);
  if (lane == 0) U[g * d.sumk + item] = acc;
}

template <class T>
__global__ void br_finish(const T* __restrict__ U, const T* __restrict__ profile,
                          std::int64_t games, Dims d, double tol, std::int64_t* actions,
                          T* best, T* current) {
  const std::int64_t t = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (t >= games * d.n) return;
  const std::int64_t g = t / d.n;
  const int i = static_cast<int>(t % d.n);
  finish_player(d, i, U + g * d.sumk + d.off[i], profile + g * d.sumk + d.off[i], tol, g,
                actions, best, current);
}

template <class T>
void best_response_t(const T* payoffs, const T* profile, std::int64_t games, const Dims& d,
                     double tol, std::int64_t* actions, T* best, T* current, T* u,
                     cudaStream_t stream) {
  if (games == 0) return;
  const std::size_t smem = sizeof(T) * (d.n * d.K + 2 * d.sumk + d.wofs[d.n]);
  if (smem <= kSmemBudget) {
    int dev = 0, sms = 1;
    ACCORD_CHECK(cudaGetDevice(&dev));
    ACCORD_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    int per_sm = 1;
    ACCORD_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, br_shared<T>, kBlock,
                                                               smem));
    const std::int64_t grid = std::min<std::int64_t>(games, std::int64_t(sms) * std::max(per_sm, 1));
    br_shared<T><<<static_cast<unsigned>(grid), kBlock, smem, stream>>>(
        payoffs, profile, games, d, tol, actions, best, current, u);
    ACCORD_CHECK(cudaGetLastError());
  } else {
    T* U = u;
    if (!U) ACCORD_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&U),
                                         sizeof(T) * games * d.sumk, stream));
    const std::int64_t warps = games * d.sumk;
    br_items<T><<<static_cast<unsigned>((warps * 32 + kBlock - 1) / kBlock), kBlock, 0,
                  stream>>>(payoffs, profile, games, d, U);
    ACCORD_CHECK(cudaGetLastError());
    br_finish<T><<<static_cast<unsigned>((games * d.n + kBlock - 1) / kBlock), kBlock, 0,
                   stream>>>(U, profile, games, d, tol, actions, best, current);
    ACCORD_CHECK(cudaGetLastError());
    if (!u) ACCORD_CHECK(cudaFreeAsync(U, stream));
  }
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

// ---- fictitious play ----------------------------------------------------------------

struct ArgMax {
  double v;
  int i;
};

// Warp argmax of x[0..k) (lowest index on ties) and the warp sum of x . c.
__device__ ArgMax warp_argmax(const double* x, int k, int lane) {
  ArgMax best{-INFINITY, 0x7fffffff};
  for (int a = lane; a < k; a += 32)
    if (x[a] > best.v) best = ArgMax{x[a], a};
  for (int sh = 16; sh; sh >>= 1) {
    const double v = __shfl_down_sync(kFull, best.v, sh);
    const int i = __shfl_down_sync(kFull, best.i, sh);
    if (v > best.v || (v == best.v && i < best.i)) best = ArgMax{v, i};
  }
  best.v = __shfl_sync(kFull, best.v, 0);
  best.i = __shfl_sync(kFull, best.i, 0);
  return best;
}

__device__ double warp_dot(const double* x, const double* y, int k, int lane) {
  double s = 0;
  for (int a = lane; a < k; a += 32) s += x[a] * y[a];
  for (int sh = 16; sh; sh >>= 1) s += __shfl_down_sync(kFull, s, sh);
  return __shfl_sync(kFull, s, 0);
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
        if (lane == 0 && it / every <= records) history[g * records + it / every - 1] =
            mx / t - cu / (t * t);
      }
    }
    const double t = double(iterations + 1);
    for (int a = lane; a < m; a += 32) profile[g * (m + n) + a] = c0[a] / t;
    for (int b = lane; b < n; b += 32) profile[g * (m + n) + m + b] = c1[b] / t;
    __syncwarp();
  }
}

}  // namespace

void best_response(const void* payoffs, const void* profile, std::int64_t games,
                   const std::vector<std::int64_t>& k, int itemsize, double tol,
                   std::int64_t* actions, void* best, void* current, void* u,
                   cudaStream_t stream) {
  const Dims d = make_dims(k);
  if (itemsize == 8) {
    best_response_t(static_cast<const double*>(payoffs), static_cast<const double*>(profile),
                    games, d, tol, actions, static_cast<double*>(best),
                    static_cast<double*>(current), static_cast<double*>(u), stream);
  } else if (itemsize == 4) {
    best_response_t(static_cast<const float*>(payoffs), static_cast<const float*>(profile),
                    games, d, tol, actions, static_cast<float*>(best),
                    static_cast<float*>(current), static_cast<float*>(u), stream);
  } else {
    throw std::invalid_argument("itemsize must be 8 (float64) or 4 (float32)");
  }
}

void fictitious_play(const double* payoffs, std::int64_t games, std::int64_t m,
                     std::int64_t n, std::int64_t iterations, int mode,
                     const std::int64_t* initial, std::int64_t record_every, double* profile,
                     double* history, cudaStream_t stream) {
  if (m < 1 || n < 1 || m > (1 << 24) || n > (1 << 24))
    throw std::invalid_argument("bad action counts");
  if (iterations < 0 || record_every < 1) throw std::invalid_argument("bad iterations");
  if (games == 0) return;
  const std::size_t state = sizeof(double) * 2 * (m + n);
  const std::size_t stage = sizeof(double) * 2 * m * n;
  const bool staged = state + stage <= kSmemBudget / 2;
  const std::size_t per_warp = state + (staged ? stage : 0);
  if (per_warp > kSmemBudget)
    throw std::invalid_argument("fictitious play on the GPU needs m + n <= 3072");
  const int warps = static_cast<int>(std::max<std::size_t>(
      1, std::min<std::size_t>(4, kSmemBudget / per_warp)));
  int dev = 0, sms = 1, per_sm = 1;
  ACCORD_CHECK(cudaGetDevice(&dev));
  ACCORD_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  ACCORD_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fp_warp, warps * 32,
                                                             per_warp * warps));
  const std::int64_t blocks = std::min<std::int64_t>((games + warps - 1) / warps,
                                                     std::int64_t(sms) * std::max(per_sm, 1));
  fp_warp<<<static_cast<unsigned>(blocks), warps * 32, per_warp * warps, stream>>>(
      payoffs, games, static_cast<int>(m), static_cast<int>(n), iterations, mode, initial,
      record_every, profile, history, staged);
  ACCORD_CHECK(cudaGetLastError());
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace accord::gpu
