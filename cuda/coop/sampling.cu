// Monte Carlo Shapley estimators on dense tables, the GPU twins of csrc/coop/sampling.cpp:
// permutation sampling (Castro, Gomez & Tejada 2009), optionally antithetic, and
// position-stratified sampling (Maleki et al. 2013); and the permutations themselves.
// Conventions in sampling.cuh.
#include <algorithm>
#include <cstdint>

#include "../runtime.cuh"
#include "accord/gpu/coop.hpp"
#include "accord/philox.hpp"
#include "sampling.cuh"
#include "tables.cuh"

namespace accord::gpu {

namespace {

using namespace sampling;

constexpr int kStrataBlock = 128;  // threads per block of the dense stratified sampler
constexpr int kMaxPlayers = 64;    // >= kMaxDensePlayers + 1

struct DenseShift {
  double s[kMaxPlayers];
};

__global__ void permutations_kernel(int n, std::uint64_t seed, std::int64_t first,
                                    std::int64_t count, std::int32_t* __restrict__ out) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < count;
       r += stride)
    draw_permutation(seed, static_cast<std::uint64_t>(first + r), n, out + r * n);
}

// T = gridDim.x * blockDim.x threads; thread t takes stream ids first + t, + T, ...
// perm, m: [n][T]; acc: [2][n][T] (sum rows, then sum-of-squares rows).
__global__ void __launch_bounds__(kBlock)
    permutation_dense_kernel(const double* __restrict__ v, int n, std::uint64_t seed,
                             std::int64_t first, std::int64_t count, bool antithetic,
                             DenseShift shift, std::int32_t* __restrict__ perm_all,
                             double* __restrict__ m_all, double* __restrict__ acc) {
  __shared__ double sshift[kMaxPlayers];
  for (int k = threadIdx.x; k < kMaxPlayers; k += blockDim.x) sshift[k] = shift.s[k];
  __syncthreads();
  const std::int64_t T = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::int32_t* perm = perm_all + t;
  double* mm = antithetic ? m_all + t : nullptr;
  double* s = acc + t;
  double* q = acc + static_cast<std::int64_t>(n) * T + t;
  for (int p = 0; p < n; ++p) {
    s[p * T] = 0.0;
    q[p * T] = 0.0;
  }
  const double v0 = v[0];
  for (std::int64_t r = first + t; r < first + count; r += T) {
    PhiloxStream rng(seed, static_cast<std::uint64_t>(r), kTagPermutation);
    for (int i = 0; i < n; ++i) perm[i * T] = i;
    u64 mask = 0;
    double prev = v0;
    for (int i = 0; i < n; ++i) {  // walk_dense
      if (i + 1 < n) fy_step(rng, perm, T, n, i);
      const int p = perm[i * T];
      mask |= u64{1} << p;
      const double cur = v[mask];
      const double m = cur - prev;
      prev = cur;
      if (antithetic) {
        mm[p * T] = m;
      } else {
        const double d = m - sshift[p];
        s[p * T] += d;
        q[p * T] += __dmul_rn(d, d);
      }
    }
    if (antithetic) {  // the reversed permutation: prefixes are the complements
      mask = 0;
      prev = v0;
      for (int i = n - 1; i >= 0; --i) {
        const int p = perm[i * T];
        mask |= u64{1} << p;
        const double cur = v[mask];
        const double mr = cur - prev;
        prev = cur;
        const double d = __dmul_rn(0.5, mm[p * T] + mr) - sshift[p];
        s[p * T] += d;
        q[p * T] += __dmul_rn(d, d);
      }
    }
  }
}

// Block (stratum st, chunk c) takes samples first + c*B + tid, step chunks*B.
// partial: [chunks][2][n*n].
__global__ void __launch_bounds__(kStrataBlock)
    stratified_dense_kernel(const double* __restrict__ v, int n, std::uint64_t seed,
                            std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                            DenseShift shift, double* __restrict__ partial) {
  __shared__ double buf[kStrataBlock];
  const int strata = n * n;
  const int st = blockIdx.x;
  const int i = st / n, k = st % n;
  const int others = n - 1;
  const u64 bit = u64{1} << i;
  const u64 all_others = ((u64{1} << n) - 1) ^ bit;
  const bool complement = 2 * k > others;
  const int size = complement ? others - k : k;
  const double sh = shift.s[i];
  double s = 0.0, q = 0.0;
  const std::int64_t step = static_cast<std::int64_t>(gridDim.y) * kStrataBlock;
  for (std::int64_t r = first + static_cast<std::int64_t>(blockIdx.y) * kStrataBlock + threadIdx.x;
       r < first + count; r += step) {
    PhiloxStream rng(seed, stratum_stream(n, i, k, per_stratum, r), kTagSubset);
    u64 chosen = 0;  // others <= 61: one word
    floyd_strided(rng, others, size, &chosen, 0, [](int) {});
    // Map positions among the others back to players (skip player i).
    const u64 below = chosen & (bit - 1);
    u64 mask = below | ((chosen ^ below) << 1);
    if (complement) mask ^= all_others;
    const double d = v[mask | bit] - v[mask] - sh;
    s += d;
    q += __dmul_rn(d, d);
  }
  s = block_sum(s, buf);
  q = block_sum(q, buf);
  if (threadIdx.x == 0) {
    double* row = partial + static_cast<std::int64_t>(blockIdx.y) * 2 * strata;
    row[st] = s;
    row[strata + st] = q;
  }
}

DenseShift dense_shift(const double* shift, int n) {
  DenseShift sh{};
  for (int i = 0; i < n; ++i) sh.s[i] = shift[i];
  return sh;
}

}  // namespace

void permutations(int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
                  std::int32_t* out, cudaStream_t stream) {
  if (n < 1) throw std::invalid_argument("n must be >= 1");
  check_range(first, count);
  if (count == 0) return;
  const Device dev = current_device();
  Scratch buf(dev, stream);
  const std::size_t bytes = sizeof(std::int32_t) * static_cast<std::size_t>(count) * n;
  const std::size_t o_out = buf.reserve(bytes);
  buf.allocate();
  const std::int64_t grid =
      std::min<std::int64_t>(ceil_div(count, kBlock), std::int64_t{dev.sms} * 8);
  permutations_kernel<<<static_cast<unsigned>(grid), kBlock, 0, stream>>>(
      n, seed, first, count, buf.at<std::int32_t>(o_out));
  ACCORD_CHECK_LAUNCH("permutations_kernel");
  copy_to_host(out, buf.at<std::int32_t>(o_out), bytes, stream);
  finish(stream);
}

void permutation_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t first,
                              std::int64_t count, bool antithetic, const double* shift, double* sum,
                              double* sumsq, cudaStream_t stream) {
  tables::check_table_args(v, n);
  check_range(first, count);
  const Device dev = current_device();
  tables::check_table_memory(v, dev);
  std::fill(sum, sum + n, 0.0);
  std::fill(sumsq, sumsq + n, 0.0);
  if (n == 0 || count == 0) return;
  const DenseShift sh = dense_shift(shift, n);

  const std::size_t per_thread =
      static_cast<std::size_t>(n) *
      (sizeof(std::int32_t) + 2 * sizeof(double) + (antithetic ? sizeof(double) : 0));
  const std::int64_t T = scratch_threads(std::min<std::int64_t>(count, std::int64_t{dev.sms} * 512),
                                         per_thread, kBlock);
  Scratch buf(dev, stream);
  const std::size_t o_perm = buf.reserve(sizeof(std::int32_t) * n * T);
  const std::size_t o_m = antithetic ? buf.reserve(sizeof(double) * n * T) : 0;
  const std::size_t o_acc = buf.reserve(sizeof(double) * 2 * n * T);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * n);
  buf.allocate();
  permutation_dense_kernel<<<static_cast<unsigned>(T / kBlock), kBlock, 0, stream>>>(
      v, n, seed, first, count, antithetic, sh, buf.at<std::int32_t>(o_perm),
      antithetic ? buf.at<double>(o_m) : nullptr, buf.at<double>(o_acc));
  ACCORD_CHECK_LAUNCH("permutation_dense_kernel");
  sum_rows(buf.at<double>(o_acc), 2 * n, T, buf.at<double>(o_out), stream);
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * n, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + n, sizeof(double) * n, stream);
  finish(stream);
}

void stratified_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t per_stratum,
                             std::int64_t first, std::int64_t count, const double* shift,
                             double* sum, double* sumsq, cudaStream_t stream) {
  tables::check_table_args(v, n);
  check_strata(first, count, per_stratum);
  const Device dev = current_device();
  tables::check_table_memory(v, dev);
  const int strata = n * n;
  std::fill(sum, sum + strata, 0.0);
  std::fill(sumsq, sumsq + strata, 0.0);
  if (n == 0 || count == 0) return;
  const DenseShift sh = dense_shift(shift, n);
  // Enough blocks to fill the device, none without samples.
  const std::int64_t chunks =
      std::max<std::int64_t>(1, std::min<std::int64_t>({ceil_div(std::int64_t{dev.sms} * 8, strata),
                                                        ceil_div(count, kStrataBlock), 65535}));
  Scratch buf(dev, stream);
  const std::size_t o_part = buf.reserve(sizeof(double) * chunks * 2 * strata);
  const std::size_t o_out = buf.reserve(sizeof(double) * 2 * strata);
  buf.allocate();
  const dim3 grid(static_cast<unsigned>(strata), static_cast<unsigned>(chunks));
  stratified_dense_kernel<<<grid, kStrataBlock, 0, stream>>>(v, n, seed, per_stratum, first, count,
                                                             sh, buf.at<double>(o_part));
  ACCORD_CHECK_LAUNCH("stratified_dense_kernel");
  sum_columns(buf.at<double>(o_part), static_cast<int>(chunks), 2 * strata, buf.at<double>(o_out),
              stream);
  copy_to_host(sum, buf.at<double>(o_out), sizeof(double) * strata, stream);
  copy_to_host(sumsq, buf.at<double>(o_out) + strata, sizeof(double) * strata, stream);
  finish(stream);
}

}  // namespace accord::gpu
