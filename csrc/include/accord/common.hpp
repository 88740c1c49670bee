// Shared definitions for the CPU and CUDA kernels.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define ACCORD_HD __host__ __device__ __forceinline__
#else
#define ACCORD_HD inline
#endif

namespace accord {

// Population count of a 64-bit mask, usable on host and device.
ACCORD_HD int popcount64(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  return __builtin_popcountll(x);
#endif
}

}  // namespace accord
