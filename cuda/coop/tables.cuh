// The tile layout of the dense-table passes (semivalues.cu, core_violation.cu).
//
// Every mask splits into a tile H and a low part l of kLow = 8 bits, mask = (H << 8) | l,
// exactly like the CPU kernels (csrc/coop/blocks.hpp).  One warp handles one 256-mask
// tile at a time (grid-stride over tiles); each lane owns the same 8 low parts l in every
// tile, loaded with coalesced, streaming double2 loads (double loads when the table is
// only 8-byte aligned).
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../runtime.cuh"
#include "accord/gpu/coop.hpp"

namespace accord::gpu::tables {

constexpr int kLow = 8;           // low bits of a tile (csrc/coop/blocks.hpp: kLowBits)
constexpr int kTile = 1 << kLow;  // masks per warp tile
constexpr int kBlock = 256;       // threads per block of the table passes
constexpr int kWarps = kBlock / 32;
constexpr int kCoefs = 64;  // >= kMaxDensePlayers + 1

// The low part l of the s-th of the 8 entries that `lane` owns in every tile.
template <bool kVec>
__device__ __forceinline__ int lane_low(int lane, int s) {
  return kVec ? 64 * (s >> 1) + 2 * lane + (s & 1) : 32 * s + lane;
}

// The lane's 8 entries of the 256-mask tile at `base` (read once: streaming loads).
template <bool kVec>
__device__ __forceinline__ void load_tile(const double* __restrict__ base, int lane,
                                          double (&x)[8]) {
  if constexpr (kVec) {
    const double2* b2 = reinterpret_cast<const double2*>(base);
#pragma unroll
    for (int p = 0; p < 4; ++p) {
      const double2 d = __ldcs(b2 + 32 * p + lane);
      x[2 * p] = d.x;
      x[2 * p + 1] = d.y;
    }
  } else {
#pragma unroll
    for (int s = 0; s < 8; ++s) x[s] = __ldcs(base + 32 * s + lane);
  }
}

// Blocks of a table pass over `ntiles` tiles: enough to fill the device, no idle warps.
template <class Kernel>
std::int64_t grid_for(Kernel kernel, const Device& dev, std::int64_t ntiles) {
  const std::int64_t fill = std::int64_t{dev.sms} * blocks_per_sm(kernel, kBlock);
  const std::int64_t need = ceil_div(ntiles, kWarps);
  return std::max<std::int64_t>(1, std::min(fill, need));
}

// A dense table v of 2**n doubles: arguments, then (check_table_memory) the memory.
inline void check_table_args(const double* v, int n) {
  if (n < 0 || n > kMaxDensePlayers)
    throw std::invalid_argument("n must be in [0, " + std::to_string(kMaxDensePlayers) + "]");
  if (v == nullptr) throw std::invalid_argument("v_ptr is a null pointer");
  if (reinterpret_cast<std::uintptr_t>(v) % alignof(double) != 0)
    throw std::invalid_argument("v_ptr must be 8-byte aligned (a float64 array)");
}

// v must be device memory of the current device (or otherwise device-accessible).
inline void check_table_memory(const double* v, const Device& dev) {
  cudaPointerAttributes attr{};
  const cudaError_t err = cudaPointerGetAttributes(&attr, v);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw std::invalid_argument(std::string("v_ptr is not a CUDA pointer: ") +
                                cudaGetErrorString(err));
  }
  if (attr.type == cudaMemoryTypeUnregistered) {
    int pageable = 0;
    ACCORD_CHECK(cudaDeviceGetAttribute(&pageable, cudaDevAttrPageableMemoryAccess, dev.id));
    if (!pageable)
      throw std::invalid_argument(
          "v_ptr is host memory; pass a device pointer (e.g. cupy_array.data.ptr)");
  } else if (attr.type == cudaMemoryTypeDevice && attr.device != dev.id) {
    throw std::invalid_argument("v_ptr is on device " + std::to_string(attr.device) +
                                " but the current device is " + std::to_string(dev.id));
  }
}

}  // namespace accord::gpu::tables
