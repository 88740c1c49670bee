// CUDA kernels for batched Bayesian beliefs: the GPU twins of csrc/bayes/*.cpp, with the
// same math (accord/bayes.hpp: exp_det, draw_type, type_uniform, vpi_gain).
//
// Type draws: one thread per (row, sample, member) calling draw_type with the same
// Philox uniform as the CPU, so samples are identical bit for bit.
//
// Enumerated update (seed 004, Eq. 5): one block per row.  Threads stride over the
// joint vectors t, decoding t's digits (member 0 slowest), and write
// l(t) = log B(t) + log Pr(obs | t) to the row's joint buffer (the log_joint output, or
// a scratch buffer filled a chunk of rows at a time); a block max gives M, a block sum
// of exp(l - M) gives Z.  Marginals are (member, type) items: items whose T / K vectors
// are few go to one thread each, others to one warp each; both take the item's own
// maximum first and then sum exp(l - M_jk), so every marginal is exact in log space.
// All reductions run in a fixed order: results are deterministic.
//
// Expected values / VPI: one block per (row, action), threads over t (or samples), a
// block sum.  Sampled update: one thread per (row, member, type) over the samples, then
// one per (row, member) to normalise.  Filter: one block per row, threads own states s'.
#include <cuda_runtime.h>
#include <math_constants.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "accord/bayes.hpp"
#include "bayes_kernels.cuh"

#define ACCORD_CHECK(expr) ::accord::gpu::check((expr), #expr)

namespace accord::gpu {

void check(cudaError_t err, const char* what);  // coop_kernels.cu

namespace {

namespace bayes = ::accord::bayes;

constexpr unsigned kFull = 0xffffffffu;
constexpr int kMaxBlock = 256;
constexpr std::int64_t kMaxGrid = std::int64_t{1} << 20;
constexpr std::size_t kScratchBytes = std::size_t{1} << 27;  // joint buffers of the update

__device__ __forceinline__ double neg_inf() { return -CUDART_INF; }

__device__ __forceinline__ double warp_sum(double x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(kFull, x, o);
  return x;
}

__device__ __forceinline__ double warp_max(double x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fmax(x, __shfl_xor_sync(kFull, x, o));
  return x;
}

// Fixed-tree block reductions (blockDim.x a power of two <= kMaxBlock); every thread
// gets the result.
__device__ double block_sum(double x, double* buf) {
  buf[threadIdx.x] = x;
  __syncthreads();
  for (unsigned o = blockDim.x / 2; o > 0; o >>= 1) {
    if (threadIdx.x < o) buf[threadIdx.x] += buf[threadIdx.x + o];
    __syncthreads();
  }
  const double r = buf[0];
  __syncthreads();
  return r;
}

__device__ double block_max(double x, double* buf) {
  buf[threadIdx.x] = x;
  __syncthreads();
  for (unsigned o = blockDim.x / 2; o > 0; o >>= 1) {
    if (threadIdx.x < o) buf[threadIdx.x] = fmax(buf[threadIdx.x], buf[threadIdx.x + o]);
    __syncthreads();
  }
  const double r = buf[0];
  __syncthreads();
  return r;
}

// log B(t) = sum_j lp[j][t_j], digits of t decoded member 0 first (stride T / K).
__device__ __forceinline__ double log_prior_of(const double* __restrict__ lp, int m, int K,
                                               unsigned T, unsigned t) {
  double l = 0.0;
  unsigned stride = T;
  for (int j = 0; j < m; ++j) {
    stride /= static_cast<unsigned>(K);
    const unsigned k = t / stride;
    t -= k * stride;
    l += lp[j * K + k];
  }
  return l;
}

__global__ void sample_kernel(const double* __restrict__ lp, std::int64_t B, int m, int K,
                              std::int64_t S, std::uint64_t seed, std::int32_t* __restrict__ out) {
  const std::int64_t total = B * S * m;
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t j = idx % m, bs = idx / m;
    const std::int64_t s = bs % S, b = bs / S;
    const double u = bayes::type_uniform(seed, static_cast<std::uint32_t>(b),
                                         static_cast<std::uint32_t>(s),
                                         static_cast<std::uint32_t>(j));
    out[idx] = bayes::draw_type(lp + (b * m + j) * K, K, u);
  }
}

// Rows [row0, row0 + rows) of the enumerated update; buf holds `rows` joint rows of T.
__global__ void update_enum_kernel(const double* __restrict__ lp_all,
                                   const double* __restrict__ ll_all, int m, int K, unsigned T,
                                   std::int64_t row0, std::int64_t rows, double* post_all,
                                   double* buf, unsigned char* status) {
  __shared__ double red[kMaxBlock];
  const int tid = threadIdx.x, bd = blockDim.x;
  const int lane = tid & 31, warp = tid >> 5, warps = bd >> 5;
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const std::int64_t b = row0 + r;
    const double* lp = lp_all + b * mk;
    const double* ll = ll_all + b * static_cast<std::int64_t>(T);
    double* J = buf + r * static_cast<std::int64_t>(T);
    double* post = post_all + b * mk;

    double mx = neg_inf();
    for (unsigned t = tid; t < T; t += bd) {
      const double v = log_prior_of(lp, m, K, T, t) + ll[t];
      J[t] = v;
      mx = fmax(mx, v);
    }
    const double M = block_max(mx, red);
    if (!(M > neg_inf())) {
      for (std::int64_t q = tid; q < mk; q += bd) post[q] = neg_inf();
      if (tid == 0) status[b] = bayes::kZeroEvidence;
      continue;
    }
    double z = 0.0;
    for (unsigned t = tid; t < T; t += bd) z += bayes::exp_det(J[t] - M);
    const double log_z = M + log(block_sum(z, red));

    // Marginals: item (j, k) covers t = o K I + k I + i, o < K^j, i < I = K^(m-1-j).
    const unsigned count = m > 0 ? T / static_cast<unsigned>(K) : 0;
    if (count <= 32) {
      for (std::int64_t q = tid; q < mk; q += bd) {
        const int j = static_cast<int>(q / K), k = static_cast<int>(q % K);
        unsigned I = 1;
        for (int p = j + 1; p < m; ++p) I *= static_cast<unsigned>(K);
        double mjk = neg_inf();
        for (unsigned e = 0; e < count; ++e)
          mjk = fmax(mjk, J[(e / I) * K * I + k * I + e % I]);
        double s = 0.0;
        if (mjk > neg_inf())
          for (unsigned e = 0; e < count; ++e)
            s += bayes::exp_det(J[(e / I) * K * I + k * I + e % I] - mjk);
        post[q] = mjk > neg_inf() ? mjk + log(s) - log_z : neg_inf();
      }
    } else {
      for (std::int64_t q = warp; q < mk; q += warps) {
        const int j = static_cast<int>(q / K), k = static_cast<int>(q % K);
        unsigned I = 1;
        for (int p = j + 1; p < m; ++p) I *= static_cast<unsigned>(K);
        double mjk = neg_inf();
        for (unsigned e = lane; e < count; e += 32)
          mjk = fmax(mjk, J[(e / I) * K * I + k * I + e % I]);
        mjk = warp_max(mjk);
        double s = 0.0;
        if (mjk > neg_inf())
          for (unsigned e = lane; e < count; e += 32)
            s += bayes::exp_det(J[(e / I) * K * I + k * I + e % I] - mjk);
        s = warp_sum(s);
        if (lane == 0) post[q] = mjk > neg_inf() ? mjk + log(s) - log_z : neg_inf();
      }
    }
    __syncthreads();  // every marginal has read J
    for (unsigned t = tid; t < T; t += bd) J[t] -= log_z;
    if (tid == 0) status[b] = bayes::kOk;
  }
}

__global__ void sampled_sums_kernel(const double* __restrict__ lp, const double* __restrict__ ll,
                                    std::int64_t B, std::int64_t mk, std::int64_t S,
                                    double* __restrict__ post) {
  const std::int64_t total = B * mk;
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t b = idx / mk, q = idx % mk;
    const double* col = ll + b * S * mk + q;
    double mx = neg_inf();
    for (std::int64_t s = 0; s < S; ++s) mx = fmax(mx, col[s * mk]);
    double sum = 0.0;
    if (mx > neg_inf())
      for (std::int64_t s = 0; s < S; ++s) sum += bayes::exp_det(col[s * mk] - mx);
    post[idx] = (lp[idx] > neg_inf() && mx > neg_inf()) ? lp[idx] + mx + log(sum) : neg_inf();
  }
}

__global__ void sampled_normalise_kernel(std::int64_t B, int m, int K, double* __restrict__ post,
                                         unsigned char* __restrict__ status) {
  const std::int64_t total = B * m;
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    double* v = post + idx * K;
    double top = neg_inf();
    for (int k = 0; k < K; ++k) top = fmax(top, v[k]);
    if (!(top > neg_inf())) {
      status[idx / m] = bayes::kZeroEvidence;  // every writer stores the same value
      continue;
    }
    double z = 0.0;
    for (int k = 0; k < K; ++k) z += bayes::exp_det(v[k] - top);
    const double lse = top + log(z);
    for (int k = 0; k < K; ++k) v[k] = v[k] > neg_inf() ? v[k] - lse : neg_inf();
  }
}

// out[ba] = sum_t w(t) f(values[ba][t]) with w = P_b(t) (lp non-null) or 1/N, and f the
// identity (share null) or the VPI gain.
__global__ void values_kernel(const double* __restrict__ lp_all, const double* __restrict__ values,
                              std::int64_t BA, std::int64_t A, int m, int K, std::int64_t N,
                              const double* __restrict__ share, const double* __restrict__ best,
                              const double* __restrict__ second,
                              const unsigned char* __restrict__ is_best, double* __restrict__ out) {
  __shared__ double red[kMaxBlock];
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  for (std::int64_t ba = blockIdx.x; ba < BA; ba += gridDim.x) {
    const std::int64_t b = ba / A;
    const double* V = values + ba * N;
    const double* lp = lp_all ? lp_all + b * mk : nullptr;
    double sh = 0.0, hi = 0.0, lo = 0.0;
    bool first = false;
    if (share) {
      sh = share[ba];
      hi = best[b];
      lo = second[b];
      first = is_best[ba] != 0;
    }
    double s = 0.0;
    for (std::int64_t t = threadIdx.x; t < N; t += blockDim.x) {
      double w = 1.0;
      if (lp) {
        w = bayes::exp_det(log_prior_of(lp, m, K, static_cast<unsigned>(N),
                                        static_cast<unsigned>(t)));
        if (w == 0.0) continue;
      }
      const double v = V[t];
      s += w * (share ? bayes::vpi_gain(sh * v, hi, lo, first) : v);
    }
    const double total = block_sum(s, red);
    if (threadIdx.x == 0) out[ba] = lp ? total : (N > 0 ? total / static_cast<double>(N) : 0.0);
  }
}

__global__ void filter_kernel(const double* __restrict__ belief, const double* __restrict__ trans,
                              std::int64_t tstride, const double* __restrict__ obs,
                              std::int64_t B, std::int64_t S, double* __restrict__ out,
                              unsigned char* __restrict__ status) {
  __shared__ double red[kMaxBlock];
  for (std::int64_t b = blockIdx.x; b < B; b += gridDim.x) {
    const double* bel = belief + b * S;
    const double* T = trans + b * tstride;
    const double* o = obs + b * S;
    double* y = out + b * S;
    double z = 0.0;
    for (std::int64_t t = threadIdx.x; t < S; t += blockDim.x) {
      double acc = 0.0;
      for (std::int64_t s = 0; s < S; ++s) {
        const double w = bel[s];
        if (w != 0.0) acc += w * T[s * S + t];
      }
      acc *= o[t];
      y[t] = acc;
      z += acc;
    }
    const double Z = block_sum(z, red);
    for (std::int64_t t = threadIdx.x; t < S; t += blockDim.x) y[t] = Z > 0.0 ? y[t] / Z : 0.0;
    if (threadIdx.x == 0) status[b] = Z > 0.0 ? bayes::kOk : bayes::kZeroEvidence;
  }
}

// ---- host side -------------------------------------------------------------------

int block_for(std::int64_t n) {
  int bd = 32;
  while (bd < kMaxBlock && bd < n) bd *= 2;
  return bd;
}

unsigned grid_for(std::int64_t items) {
  return static_cast<unsigned>(std::max<std::int64_t>(1, std::min(items, kMaxGrid)));
}

std::int64_t joint_count(int m, int K) {
  if (m < 0 || K < 1) throw std::invalid_argument("need m >= 0 and K >= 1");
  std::int64_t T = 1;
  for (int j = 0; j < m; ++j) {
    T *= K;
    if (T > bayes::kMaxJoint)
      throw std::invalid_argument("K**m exceeds the enumeration limit 2**24; use sampled mode");
  }
  return T;
}

void check_batch(std::int64_t batch) {
  if (batch < 0) throw std::invalid_argument("batch must be >= 0");
}

class DeviceBuffer {
 public:
  DeviceBuffer(std::size_t bytes, cudaStream_t stream) : stream_(stream) {
    if (bytes) ACCORD_CHECK(cudaMallocAsync(&p_, bytes, stream));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (p_ && cudaFreeAsync(p_, stream_) != cudaSuccess) (void)cudaGetLastError();
  }
  double* get() const { return static_cast<double*>(p_); }

 private:
  void* p_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace

void bayes_sample_types(const double* log_marginals, std::int64_t batch, int m, int K,
                        std::int64_t samples, std::uint64_t seed, std::int32_t* out,
                        cudaStream_t stream) {
  check_batch(batch);
  if (m < 0 || K < 1) throw std::invalid_argument("need m >= 0 and K >= 1");
  if (samples < 0 || samples > 0xffffffffLL || batch > 0xffffffffLL)
    throw std::invalid_argument("B and samples must be below 2**32");
  const std::int64_t total = batch * samples * m;
  if (total == 0) return;
  sample_kernel<<<grid_for((total + 255) / 256), 256, 0, stream>>>(log_marginals, batch, m, K,
                                                                    samples, seed, out);
  ACCORD_CHECK(cudaGetLastError());
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

void bayes_update_enumerated(const double* log_prior, const double* log_lik,
                             std::int64_t batch, int m, int K, double* log_post,
                             double* log_joint, unsigned char* status, cudaStream_t stream) {
  check_batch(batch);
  const std::int64_t T = joint_count(m, K);
  if (batch == 0) return;
  const int bd = block_for(T);
  if (log_joint) {
    update_enum_kernel<<<grid_for(batch), bd, 0, stream>>>(
        log_prior, log_lik, m, K, static_cast<unsigned>(T), 0, batch, log_post, log_joint,
        status);
    ACCORD_CHECK(cudaGetLastError());
  } else {
    const std::int64_t chunk = std::max<std::int64_t>(
        1, std::min<std::int64_t>(batch, static_cast<std::int64_t>(kScratchBytes / 8) / T));
    DeviceBuffer scratch(static_cast<std::size_t>(chunk * T) * sizeof(double), stream);
    for (std::int64_t row0 = 0; row0 < batch; row0 += chunk) {
      const std::int64_t rows = std::min(chunk, batch - row0);
      update_enum_kernel<<<grid_for(rows), bd, 0, stream>>>(
          log_prior, log_lik, m, K, static_cast<unsigned>(T), row0, rows, log_post,
          scratch.get(), status);
      ACCORD_CHECK(cudaGetLastError());
    }
  }
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

void bayes_update_sampled(const double* log_prior, const double* log_lik, std::int64_t batch,
                          int m, int K, std::int64_t samples, double* log_post,
                          unsigned char* status, cudaStream_t stream) {
  check_batch(batch);
  if (m < 0 || K < 1 || samples < 1)
    throw std::invalid_argument("need m >= 0, K >= 1 and samples >= 1");
  if (batch == 0) return;
  ACCORD_CHECK(cudaMemsetAsync(status, 0, static_cast<std::size_t>(batch), stream));
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  if (mk > 0) {
    sampled_sums_kernel<<<grid_for((batch * mk + 255) / 256), 256, 0, stream>>>(
        log_prior, log_lik, batch, mk, samples, log_post);
    ACCORD_CHECK(cudaGetLastError());
    sampled_normalise_kernel<<<grid_for((batch * m + 255) / 256), 256, 0, stream>>>(
        batch, m, K, log_post, status);
    ACCORD_CHECK(cudaGetLastError());
  }
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

void bayes_expected_values(const double* log_marginals, const double* values,
                           std::int64_t batch, int m, int K, std::int64_t actions,
                           std::int64_t joint, double* out, cudaStream_t stream) {
  bayes_vpi(log_marginals, values, batch, m, K, actions, joint, nullptr, nullptr, nullptr,
            nullptr, out, stream);
}

void bayes_vpi(const double* log_marginals, const double* values, std::int64_t batch, int m,
               int K, std::int64_t actions, std::int64_t joint, const double* share,
               const double* best, const double* second, const unsigned char* is_best,
               double* out, cudaStream_t stream) {
  check_batch(batch);
  if (actions < 0 || joint < 0) throw std::invalid_argument("actions and joint must be >= 0");
  if (log_marginals && joint != joint_count(m, K))
    throw std::invalid_argument("joint must be K**m for enumerated beliefs");
  const std::int64_t BA = batch * actions;
  if (BA == 0) return;
  values_kernel<<<grid_for(BA), block_for(joint), 0, stream>>>(
      log_marginals, values, BA, actions, m, K, joint, share, best, second, is_best, out);
  ACCORD_CHECK(cudaGetLastError());
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

void bayes_filter_step(const double* belief, const double* transition,
                       std::int64_t transition_stride, const double* observation_likelihood,
                       std::int64_t batch, std::int64_t states, double* out,
                       unsigned char* status, cudaStream_t stream) {
  check_batch(batch);
  if (states < 1) throw std::invalid_argument("states must be >= 1");
  if (batch == 0) return;
  filter_kernel<<<grid_for(batch), block_for(states), 0, stream>>>(
      belief, transition, transition_stride, observation_likelihood, batch, states, out,
      status);
  ACCORD_CHECK(cudaGetLastError());
  ACCORD_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace accord::gpu
