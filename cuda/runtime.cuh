// Helpers shared by every CUDA translation unit: checked calls and launches, warp and
// block reductions, the current device, a stream-ordered scratch buffer, copies.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "accord/gpu/runtime.hpp"

#define ACCORD_CHECK(expr) ::accord::gpu::check((expr), #expr)
#define ACCORD_CHECK_LAUNCH(name) ::accord::gpu::check(cudaGetLastError(), "launch of " name)

namespace accord::gpu {

constexpr unsigned kFullMask = 0xffffffffu;
// Dynamic shared memory a block may use without opting in (every device since Kepler).
constexpr std::size_t kSharedMemoryBudget = 48 * 1024;

// ---- reductions (fixed order: deterministic for a given launch configuration) -------

// Sum of x over the 32 lanes of a full warp (butterfly: every lane gets the result).
template <class T>
__device__ __forceinline__ T warp_sum(T x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(kFullMask, x, o);
  return x;
}

__device__ __forceinline__ double warp_max(double x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fmax(x, __shfl_xor_sync(kFullMask, x, o));
  return x;
}

// Sum of x over the block (a tree over blockDim.x, a power of two; `buf` holds
// blockDim.x doubles); every thread gets the result.
__device__ __forceinline__ double block_sum(double x, double* buf) {
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

// Maximum of x over the block, as block_sum.
__device__ __forceinline__ double block_max(double x, double* buf) {
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

// out[c] = sum over r of a[r * cols + c], r in order (device arrays, on `stream`).
void sum_columns(const double* a, int rows, int cols, double* out, cudaStream_t stream);

// out[r] = sum of a[r * len .. r * len + len) by block_sum, one block per row.
void sum_rows(const double* a, int rows, std::int64_t len, double* out, cudaStream_t stream);

// ---- host side --------------------------------------------------------------------

struct Device {
  int id;
  int sms;     // multiprocessors
  bool pools;  // stream-ordered allocation (cudaMallocAsync) is supported
};
Device current_device();

// Resident blocks per multiprocessor of `kernel` (at least 1).
template <class Kernel>
int blocks_per_sm(Kernel kernel, int block, std::size_t shared = 0) {
  int nb = 0;
  ACCORD_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, kernel, block, shared));
  return nb > 1 ? nb : 1;
}

// One stream-ordered device allocation carved into 256-byte aligned pieces, freed when
// the object goes out of scope (after the work queued on the stream, also when an
// exception unwinds).  Use: reserve() every piece, allocate() once, then at<T>(offset).
class Scratch {
 public:
  Scratch(const Device& dev, cudaStream_t stream) : stream_(stream), pools_(dev.pools) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch();
  // Reserve a piece of `bytes`; returns its offset.  Call before allocate().
  std::size_t reserve(std::size_t bytes) {
    const std::size_t off = size_;
    size_ += (bytes + 255) / 256 * 256;
    return off;
  }
  void allocate();
  template <class T>
  T* at(std::size_t off) const {
    return reinterpret_cast<T*>(static_cast<char*>(base_) + off);
  }

 private:
  cudaStream_t stream_;
  bool pools_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
};

void copy_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);
void copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);
void finish(cudaStream_t stream);  // cudaStreamSynchronize, checked

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace accord::gpu
