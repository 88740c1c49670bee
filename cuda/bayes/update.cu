// Type sampling and the belief update on the GPU, the twins of csrc/bayes/sampling.cpp
// and csrc/bayes/update.cpp.
//
// Type draws: one thread per (row, sample, member) calling draw_type with the same
// Philox uniform as the CPU, so samples are identical bit for bit.
//
// Enumerated update (Chalkiadakis & Boutilier (2012), Eq. 5): one block per row.
// Threads stride over the joint vectors t, decoding t's digits (member 0 slowest), and
// write l(t) = log B(t) + log Pr(obs | t) to the row's joint buffer (the log_joint
// output, or a scratch buffer filled a chunk of rows at a time); a block max gives M, a
// block sum of exp(l - M) gives Z.  Marginals are (member, type) items: items whose
// T / K vectors are few go to one thread each, others to one warp each; both take the
// item's own maximum first and then sum exp(l - M_jk), so every marginal is exact in log
// space.  All reductions run in a fixed order: results are deterministic.
//
// Sampled update: one thread per (row, member, type) over the samples, then one per
// (row, member) to normalise.
#include <math_constants.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "../runtime.cuh"
#include "accord/bayes.hpp"
#include "accord/gpu/bayes.hpp"
#include "common.cuh"

namespace accord::gpu {

namespace {

using namespace beliefs;
namespace bayes = ::accord::bayes;

constexpr std::size_t kScratchBytes = std::size_t{1} << 27;  // joint buffers of the update

__global__ void sample_kernel(const double* __restrict__ lp, std::int64_t B, int m, int K,
                              std::int64_t S, std::uint64_t seed, std::int32_t* __restrict__ out) {
  const std::int64_t total = B * S * m;
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t j = idx % m, bs = idx / m;
    const std::int64_t s = bs % S, b = bs / S;
    const double u =
        bayes::type_uniform(seed, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(s),
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
        for (unsigned e = 0; e < count; ++e) mjk = fmax(mjk, J[(e / I) * K * I + k * I + e % I]);
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
  ACCORD_CHECK_LAUNCH("sample_kernel");
  finish(stream);
}

void bayes_update_enumerated(const double* log_prior, const double* log_lik, std::int64_t batch,
                             int m, int K, double* log_post, double* log_joint,
                             unsigned char* status, cudaStream_t stream) {
  check_batch(batch);
  const std::int64_t T = joint_count(m, K);
  if (batch == 0) return;
  const int bd = block_for(T);
  if (log_joint) {
    update_enum_kernel<<<grid_for(batch), bd, 0, stream>>>(
        log_prior, log_lik, m, K, static_cast<unsigned>(T), 0, batch, log_post, log_joint, status);
    ACCORD_CHECK_LAUNCH("update_enum_kernel");
  } else {
    const std::int64_t chunk = std::max<std::int64_t>(
        1, std::min<std::int64_t>(batch, static_cast<std::int64_t>(kScratchBytes / 8) / T));
    Scratch scratch(current_device(), stream);
    const std::size_t o_joint =
        scratch.reserve(static_cast<std::size_t>(chunk * T) * sizeof(double));
    scratch.allocate();
    for (std::int64_t row0 = 0; row0 < batch; row0 += chunk) {
      const std::int64_t rows = std::min(chunk, batch - row0);
      update_enum_kernel<<<grid_for(rows), bd, 0, stream>>>(
          log_prior, log_lik, m, K, static_cast<unsigned>(T), row0, rows, log_post,
          scratch.at<double>(o_joint), status);
      ACCORD_CHECK_LAUNCH("update_enum_kernel");
    }
  }
  finish(stream);
}

void bayes_update_sampled(const double* log_prior, const double* log_lik, std::int64_t batch, int m,
                          int K, std::int64_t samples, double* log_post, unsigned char* status,
                          cudaStream_t stream) {
  check_batch(batch);
  if (m < 0 || K < 1 || samples < 1)
    throw std::invalid_argument("need m >= 0, K >= 1 and samples >= 1");
  if (batch == 0) return;
  ACCORD_CHECK(cudaMemsetAsync(status, 0, static_cast<std::size_t>(batch), stream));
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  if (mk > 0) {
    sampled_sums_kernel<<<grid_for((batch * mk + 255) / 256), 256, 0, stream>>>(
        log_prior, log_lik, batch, mk, samples, log_post);
    ACCORD_CHECK_LAUNCH("sampled_sums_kernel");
    sampled_normalise_kernel<<<grid_for((batch * m + 255) / 256), 256, 0, stream>>>(
        batch, m, K, log_post, status);
    ACCORD_CHECK_LAUNCH("sampled_normalise_kernel");
  }
  finish(stream);
}

}  // namespace accord::gpu
