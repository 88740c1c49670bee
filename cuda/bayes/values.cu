// Expected values, the value of perfect information and the belief filter on the GPU,
// the twins of csrc/bayes/values.cpp and csrc/bayes/filter.cpp.
//
// Expected values / VPI (Chalkiadakis & Boutilier (2012), Eq. 2 and Eqs. 11-13): one
// block per (row, action), threads over the joint type vectors t (or the samples), a
// block sum.  Filter (the belief state of Kaelbling, Littman & Cassandra (1998)): one
// block per row, threads own the next states s'.
#include <algorithm>
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
        w = bayes::exp_det(
            log_prior_of(lp, m, K, static_cast<unsigned>(N), static_cast<unsigned>(t)));
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
                              std::int64_t tstride, const double* __restrict__ obs, std::int64_t B,
                              std::int64_t S, double* __restrict__ out,
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

}  // namespace

void bayes_expected_values(const double* log_marginals, const double* values, std::int64_t batch,
                           int m, int K, std::int64_t actions, std::int64_t joint, double* out,
                           cudaStream_t stream) {
  bayes_vpi(log_marginals, values, batch, m, K, actions, joint, nullptr, nullptr, nullptr, nullptr,
            out, stream);
}

void bayes_vpi(const double* log_marginals, const double* values, std::int64_t batch, int m, int K,
               std::int64_t actions, std::int64_t joint, const double* share, const double* best,
               const double* second, const unsigned char* is_best, double* out,
               cudaStream_t stream) {
  check_batch(batch);
  if (actions < 0 || joint < 0) throw std::invalid_argument("actions and joint must be >= 0");
  if (log_marginals && joint != joint_count(m, K))
    throw std::invalid_argument("joint must be K**m for enumerated beliefs");
  const std::int64_t BA = batch * actions;
  if (BA == 0) return;
  values_kernel<<<grid_for(BA), block_for(joint), 0, stream>>>(
      log_marginals, values, BA, actions, m, K, joint, share, best, second, is_best, out);
  ACCORD_CHECK_LAUNCH("values_kernel");
  finish(stream);
}

void bayes_filter_step(const double* belief, const double* transition,
                       std::int64_t transition_stride, const double* observation_likelihood,
                       std::int64_t batch, std::int64_t states, double* out, unsigned char* status,
                       cudaStream_t stream) {
  check_batch(batch);
  if (states < 1) throw std::invalid_argument("states must be >= 1");
  if (batch == 0) return;
  filter_kernel<<<grid_for(batch), block_for(states), 0, stream>>>(
      belief, transition, transition_stride, observation_likelihood, batch, states, out, status);
  ACCORD_CHECK_LAUNCH("filter_kernel");
  finish(stream);
}

}  // namespace accord::gpu
