// Shared pieces of the GPU belief kernels (update.cu, values.cu), the twins of
// csrc/bayes/*.cpp with the same math (accord/bayes.hpp: exp_det, draw_type,
// type_uniform, vpi_gain).  Joint type vectors t < K**m are decoded member 0 first.
#pragma once
#include <math_constants.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "../runtime.cuh"
#include "accord/bayes.hpp"

namespace accord::gpu::beliefs {

constexpr int kMaxBlock = 256;
constexpr std::int64_t kMaxGrid = std::int64_t{1} << 20;

__device__ __forceinline__ double neg_inf() { return -CUDART_INF; }

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

// Threads per block for `n` items: a power of two in [32, kMaxBlock].
inline int block_for(std::int64_t n) {
  int bd = 32;
  while (bd < kMaxBlock && bd < n) bd *= 2;
  return bd;
}

inline unsigned grid_for(std::int64_t items) {
  return static_cast<unsigned>(std::max<std::int64_t>(1, std::min(items, kMaxGrid)));
}

inline std::int64_t joint_count(int m, int K) {
  if (m < 0 || K < 1) throw std::invalid_argument("need m >= 0 and K >= 1");
  std::int64_t T = 1;
  for (int j = 0; j < m; ++j) {
    T *= K;
    if (T > bayes::kMaxJoint)
      throw std::invalid_argument("K**m exceeds the enumeration limit 2**24; use sampled mode");
  }
  return T;
}

inline void check_batch(std::int64_t batch) {
  if (batch < 0) throw std::invalid_argument("batch must be >= 0");
}

}  // namespace accord::gpu::beliefs
