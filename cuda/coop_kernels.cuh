// Host API of the CUDA cooperative-game kernels (implemented in coop_kernels.cu).
//
// Plain C++: this header is included by the pybind11 module, compiled by the host
// compiler.  Table pointers (v) are device pointers; small inputs (coefficients, x,
// shift, weights) and small outputs are host arrays.  Every function works on the
// current device, orders its work on `stream`, waits for it, and throws
// std::runtime_error (CUDA failures) or std::invalid_argument (bad arguments).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "accord/coop.hpp"

namespace accord::gpu {

// Throws std::runtime_error naming the call site and the CUDA error string.
void check(cudaError_t err, const char* what);

// Number of CUDA devices; 0 when there is no driver or no device (never throws).
int device_count() noexcept;

struct DeviceInfo {
  int index;
  std::string name;
  int major, minor;
  std::size_t total_memory;   // bytes
  int memory_bus_width;       // bits, 0 if unknown
  int memory_clock_khz;       // peak memory clock, 0 if unknown
  double peak_bandwidth;      // bytes/s (DDR: 2 * clock * bus/8), < 0 if unknown
};
std::vector<DeviceInfo> devices();

int runtime_version() noexcept;  // cudaRuntimeGetVersion (the static runtime linked in)
int driver_version() noexcept;   // cudaDriverGetVersion, 0 without a driver

// A[i] = sum_{S contains i} c[|S|] v[S], T = sum_S b[|S|] v[S]; c, b host (n+1), A host (n).
void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A,
                    double* T, cudaStream_t stream);

// max over non-empty S of v[S] - x(S), lowest mask on ties; x host (n).
coop::Excess max_excess(const double* v, int n, const double* x, cudaStream_t stream);

// Rows r = 0..count-1 of `out` (host, count x n) = draw_permutation(seed, first + r, n).
void permutations(int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
                  std::int32_t* out, cudaStream_t stream);

// Monte Carlo estimators (see accord/coop.hpp); shift/w host, sum/sumsq host and
// overwritten (length n, or n*n for the stratified ones).
void permutation_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t first,
                              std::int64_t count, bool antithetic, const double* shift,
                              double* sum, double* sumsq, cudaStream_t stream);
void permutation_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                               std::int64_t first, std::int64_t count, bool antithetic,
                               double* sum, double* sumsq, cudaStream_t stream);
void stratified_sample_dense(const double* v, int n, std::uint64_t seed,
                             std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                             const double* shift, double* sum, double* sumsq,
                             cudaStream_t stream);
void stratified_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                              std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                              double* sum, double* sumsq, cudaStream_t stream);

// Largest n accepted for a dense table (masks are 64-bit; 2**62 doubles is far
// beyond any device anyway).
constexpr int kMaxDensePlayers = 62;

}  // namespace accord::gpu
