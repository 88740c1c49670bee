// Monte Carlo Shapley estimators of weighted voting games [quota; w_1..w_n] (any real
// weights) on the GPU, the twins of the voting samplers of csrc/coop/sampling.cpp:
// permutation sampling of the pivotal player (Castro, Gomez & Tejada 2009), optionally
// antithetic, and position-stratified sampling (Maleki et al. 2013).  Conventions in
// sampling.cuh; the weights are copied to the device, so thousands of players fit.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "../runtime.cuh"
#include "accord/gpu/coop.hpp"
#include "accord/philox.hpp"
#include "sampling.cuh"

namespace accord::gpu {

namespace {

using namespace sampling;

// perm: [n][T]; out: [2][n] zeroed (pivot counts are multiples of 1/4: exact sums).
__global__ void __launch_bounds__(kBlock)
    permutation_voting_kernel(const double* __restrict__ w, int n, double quota, std::uint64_t seed,
                              std::int64_t first, std::int64_t count, bool antithetic,
                              std::int32_t* __restrict__ perm_all, double* __restrict__ out) {
  const std::int64_t T = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::int32_t* perm = perm_all + t;
  for (std::int64_t r = first + t; r < first + count; r += T) {
    PhiloxStream rng(seed, static_cast<std::uint64_t>(r), kTagPermutation);
    for (int i = 0; i < n; ++i) perm[i * T] = i;
    int pivot = -1;
    double weight = 0.0;
    for (int i = 0; i < n; ++i) {
      if (i + 1 < n) fy_step(rng, perm, T, n, i);
      const int p = perm[i * T];
      if (weight + w[p] >= quota) {
        pivot = p;
        if (antithetic)
          for (int k = i + 1; k + 1 < n; ++k) fy_step(rng, perm, T, n, k);
        break;
      }
      weight += w[p];
    }
    if (!antithetic) {
      if (pivot >= 0) {
        atomicAdd(out + pivot, 1.0);
        atomicAdd(out + n + pivot, 1.0);
      }
      continue;
    }
    int rpivot = -1;
    weight = 0.0;
    for (int i = n - 1; i >= 0; --i) {
      const int p = perm[i * T];
      if (weight + w[p] >= quota) {
        rpivot = p;
        break;
      }
      weight += w[p];
    }
    if (pivot >= 0 && pivot == rpivot) {
      atomicAdd(out + pivot, 1.0);
      atomicAdd(out + n + pivot, 1.0);
    } else {
      if (pivot >= 0) {
        atomicAdd(out + pivot, 0.5);
        atomicAdd(out + n + pivot, 0.25);
      }
      if (rpivot >= 0) {
        atomicAdd(out + rpivot, 0.5);
        atomicAdd(out + n + rpivot, 0.25);
      }
    }
  }
}

// One stratified sample of the voting game (csrc/coop/sampling.cpp): is player i
// pivotal for the sampled coalition of stratum st = i * n + k?
__device__ __forceinline__ bool stratified_voting_hit(const double* __restrict__ w, int n,
                                                      double quota, double total,
                                                      std::uint64_t seed, std::int64_t per_stratum,
                                                      std::int64_t r, std::int64_t st, u64* bits,
                                                      std::int64_t stride, int words) {
  const int others = n - 1;
  const int i = static_cast<int>(st / n), k = static_cast<int>(st % n);
  const bool complement = 2 * k > others;
  const double rest = total - w[i];
  PhiloxStream rng(seed, stratum_stream(n, i, k, per_stratum, r), kTagSubset);
  for (int wd = 0; wd < words; ++wd) bits[wd * stride] = 0;
  double weight = 0.0;
  floyd_strided(rng, others, complement ? others - k : k, bits, stride,
                [&](int j) { weight += w[j < i ? j : j + 1]; });
  if (complement) weight = rest - weight;
  return weight < quota && weight + w[i] >= quota;
}

// Flat over samples g = st * count + (r - first); bits: [words][T]; out: [2][n*n]
// zeroed (hit counts: exact sums).  T is a multiple of 32, so the loop is warp-uniform.
__global__ void __launch_bounds__(kBlock)
    stratified_voting_kernel(const double* __restrict__ w, int n, double quota, double total,
                             std::uint64_t seed, std::int64_t per_stratum, std::int64_t first,
                             std::int64_t count, u64* __restrict__ bits_all, int words,
                             double* __restrict__ out) {
  const std::int64_t T = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int lane = threadIdx.x & 31;
  const std::int64_t strata = static_cast<std::int64_t>(n) * n;
  const std::int64_t samples = strata * count;
  u64* bits = bits_all + t;
  for (std::int64_t g0 = t - lane; g0 < samples; g0 += T) {
    const std::int64_t g = g0 + lane;
    bool hit = false;
    std::int64_t st = -1;
    if (g < samples) {
      st = g / count;
      hit = stratified_voting_hit(w, n, quota, total, seed, per_stratum, first + g % count, st,
                                  bits, T, words);
    }
    const u64 key = hit ? static_cast<u64>(st) : ~u64{0};
    const unsigned peers = __match_any_sync(kFullMask, key);
    if (hit && lane == __ffs(peers) - 1) {
      const double c = static_cast<double>(__popc(peers));
      atomicAdd(out + st, c);
      atomicAdd(out + strata + st, c);
    }
  }
}

}  // namespace

void permutation_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                               std::int64_t first, std::int64_t count, bool antithetic, double* sum,
                               double* sumsq, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("n must be >= 0");
  check_range(first, count);
  std::fill(sum, sum + n, 0.0);
  std::fill(sumsq, sumsq + n, 0.0);
  if (n == 0 || count == 0) return;
  const Device dev = current_device();
  const std::int64_t T =
      scratch_threads(std::min<std::int64_t>(count, std::int64_t{dev.sms} * 1024),
                      sizeof(std::int32_t) * static_cast<std::size_t>(n), kBlock);
  Scratch buf(dev, stream);
  const std::size_t o_w = buf.reserve(sizeof(double) * n);
  const std::size_t o_perm = buf.reserve(sizeof(std::int32_t) * n * T);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * n);
  buf.allocate();
  copy_to_device(buf.at<double>(o_w), w, sizeof(double) * n, stream);
  ACCORD_CHECK(cudaMemsetAsync(buf.at<double>(o_out), 0, sizeof(double) * 2 * n, stream));
  permutation_voting_kernel<<<static_cast<unsigned>(T / kBlock), kBlock, 0, stream>>>(
      buf.at<double>(o_w), n, quota, seed, first, count, antithetic, buf.at<std::int32_t>(o_perm),
      buf.at<double>(o_out));
  ACCORD_CHECK_LAUNCH("permutation_voting_kernel");
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * n, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + n, sizeof(double) * n, stream);
  finish(stream);
}

void stratified_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                              std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                              double* sum, double* sumsq, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("n must be >= 0");
  check_strata(first, count, per_stratum);
  const std::int64_t strata = static_cast<std::int64_t>(n) * n;
  std::fill(sum, sum + strata, 0.0);
  std::fill(sumsq, sumsq + strata, 0.0);
  if (n == 0 || count == 0) return;
  if (count > std::numeric_limits<std::int64_t>::max() / strata)
    throw std::invalid_argument("n * n * count overflows a 64-bit sample index");
  double total = 0.0;  // the CPU's order of additions
  for (int i = 0; i < n; ++i) total += w[i];
  const int words = (n - 1 + 63) / 64;
  const Device dev = current_device();
  const std::int64_t T =
      scratch_threads(std::min<std::int64_t>(strata * count, std::int64_t{dev.sms} * 1024),
                      sizeof(u64) * static_cast<std::size_t>(words), kBlock);
  Scratch buf(dev, stream);
  const std::size_t o_w = buf.reserve(sizeof(double) * n);
  const std::size_t o_bits =
      buf.reserve(sizeof(u64) * static_cast<std::size_t>(std::max(words, 1)) * T);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * strata);
  buf.allocate();
  copy_to_device(buf.at<double>(o_w), w, sizeof(double) * n, stream);
  ACCORD_CHECK(cudaMemsetAsync(buf.at<double>(o_out), 0, sizeof(double) * 2 * strata, stream));
  stratified_voting_kernel<<<static_cast<unsigned>(T / kBlock), kBlock, 0, stream>>>(
      buf.at<double>(o_w), n, quota, total, seed, per_stratum, first, count, buf.at<u64>(o_bits),
      words, buf.at<double>(o_out));
  ACCORD_CHECK_LAUNCH("stratified_voting_kernel");
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * strata, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + strata, sizeof(double) * strata, stream);
  finish(stream);
}

}  // namespace accord::gpu
