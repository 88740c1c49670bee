// Host API of the CUDA cooperative-game kernels (cuda/coop/*.cu).
//
// Plain C++: this header is included by the pybind11 module, compiled by the host
// compiler.  Table pointers (v) are device pointers; small inputs (coefficients, x,
// shift, weights) and small outputs are host arrays.  Every function works on the
// current device, orders its work on `stream`, waits for it, and throws
// std::runtime_error (CUDA failures) or std::invalid_argument (bad arguments).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "accord/coop.hpp"

namespace accord::gpu {

// Largest n accepted for a dense table (masks are 64-bit; 2**62 doubles is far
// beyond any device anyway).
constexpr int kMaxDensePlayers = 62;

// A[i] = sum_{S contains i} c[|S|] v[S], T = sum_S b[|S|] v[S]; c, b host (n+1), A host (n).
// (coop/semivalues.cu)
void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A, double* T,
                    cudaStream_t stream);

// max over non-empty S of v[S] - x(S), lowest mask on ties; x host (n).
// (coop/core_violation.cu)
coop::Excess max_excess(const double* v, int n, const double* x, cudaStream_t stream);

// Rows r = 0..count-1 of `out` (host, count x n) = draw_permutation(seed, first + r, n).
// (coop/sampling.cu)
void permutations(int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
                  std::int32_t* out, cudaStream_t stream);

// Monte Carlo estimators (see accord/coop.hpp); shift/w host, sum/sumsq host and
// overwritten (length n, or n*n for the stratified ones).  Dense tables:
// coop/sampling.cu; weighted voting games: coop/weighted_voting.cu.
void permutation_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t first,
                              std::int64_t count, bool antithetic, const double* shift, double* sum,
                              double* sumsq, cudaStream_t stream);
void permutation_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                               std::int64_t first, std::int64_t count, bool antithetic, double* sum,
                               double* sumsq, cudaStream_t stream);
void stratified_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t per_stratum,
                             std::int64_t first, std::int64_t count, const double* shift,
                             double* sum, double* sumsq, cudaStream_t stream);
void stratified_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                              std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                              double* sum, double* sumsq, cudaStream_t stream);

}  // namespace accord::gpu
