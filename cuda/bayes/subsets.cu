// Distributions of an additive statistic over every subset of a group on the GPU, the
// twin of csrc/bayes/subsets.cpp: one thread per view runs the same depth-first walk
// (accord/subset_sums.hpp) over its own scratch, so results match the CPU bit for bit
// up to the compiler's contraction of multiply-adds.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "../runtime.cuh"
#include "accord/gpu/bayes.hpp"
#include "accord/subset_sums.hpp"
#include "common.cuh"

namespace accord::gpu {

namespace {

using beliefs::check_batch;
namespace bayes = ::accord::bayes;

__global__ void subset_kernel(const double* __restrict__ probs, std::int64_t view0,
                              std::int64_t views, int n, int K,
                              const std::int64_t* __restrict__ points, int P, int L,
                              const double* __restrict__ values, std::int64_t A,
                              std::int64_t per_view, double* __restrict__ out,
                              double* __restrict__ scratch, int* __restrict__ tops) {
  const std::int64_t z = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (z >= views) return;
  const std::int64_t per = static_cast<std::int64_t>(n) * P + static_cast<std::int64_t>(n + 1) * L;
  double* agg = scratch + z * per;
  double* stack = agg + static_cast<std::int64_t>(n) * P;
  int* top = tops + z * n;
  const std::int64_t v = view0 + z;
  bayes::subset_aggregate(probs + v * n * K, n, K, points, P, agg, top);
  bayes::subset_walk(agg, top, n, P, L, values, A, out + v * per_view, stack);
}

constexpr std::int64_t kScratchBytes = std::int64_t{1} << 27;

}  // namespace

void bayes_subset_sums(const double* probs, std::int64_t views, int n, int K,
                       const std::int64_t* points, int max_points, int L, const double* values,
                       std::int64_t A, double* out, cudaStream_t stream) {
  check_batch(views);
  if (n < 0 || n > bayes::kMaxSubsetMembers || K < 1 || max_points < 0 ||
      static_cast<std::int64_t>(n) * max_points >= L)
    throw std::invalid_argument("need 0 <= n <= 24, K >= 1 and L > n * max_points");
  if (views == 0) return;
  const int P = max_points + 1;
  const std::int64_t M = std::int64_t{1} << n;
  const std::int64_t per_view = values ? M * A : M * L;
  const std::int64_t per =
      (static_cast<std::int64_t>(n) * P + static_cast<std::int64_t>(n + 1) * L) * 8 + 4 * n;
  const std::int64_t chunk = std::max<std::int64_t>(1, std::min(views, kScratchBytes / per));
  Scratch scratch(current_device(), stream);
  const std::size_t o_agg = scratch.reserve(
      static_cast<std::size_t>(chunk) * (n * P + (n + 1) * L) * sizeof(double));
  const std::size_t o_top = scratch.reserve(static_cast<std::size_t>(chunk) * (n + 1) * sizeof(int));
  scratch.allocate();
  for (std::int64_t z0 = 0; z0 < views; z0 += chunk) {
    const std::int64_t rows = std::min(chunk, views - z0);
    subset_kernel<<<static_cast<unsigned>(ceil_div(rows, 64)), 64, 0, stream>>>(
        probs, z0, rows, n, K, points, P, L, values, A, per_view, out, scratch.at<double>(o_agg),
        scratch.at<int>(o_top));
    ACCORD_CHECK_LAUNCH("subset_kernel");
  }
  finish(stream);
}

}  // namespace accord::gpu
