// The CUDA runtime as accord uses it: the error check that throws, and device queries.
//
// Plain C++ (included by the pybind11 module, compiled by the host compiler); the device
// helpers shared by the kernels are in cuda/runtime.cuh.  Implemented in cuda/runtime.cu.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>
#include <vector>

namespace accord::gpu {

// Throws std::runtime_error naming the call site and the CUDA error string (and clears
// a non-sticky error so that it cannot leak into a later check).
void check(cudaError_t err, const char* what);

// Number of CUDA devices; 0 when there is no driver or no device (never throws).
int device_count() noexcept;

struct DeviceInfo {
  int index;
  std::string name;
  int major, minor;
  std::size_t total_memory;  // bytes
  int memory_bus_width;      // bits, 0 if unknown
  int memory_clock_khz;      // peak memory clock, 0 if unknown
  double peak_bandwidth;     // bytes/s (DDR: 2 * clock * bus/8), < 0 if unknown
};
std::vector<DeviceInfo> devices();

int runtime_version() noexcept;  // cudaRuntimeGetVersion (the static runtime linked in)
int driver_version() noexcept;   // cudaDriverGetVersion, 0 without a driver

}  // namespace accord::gpu
