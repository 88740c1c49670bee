// Device arguments of the accord._cuda bindings: pointers and streams arrive as Python
// ints (CuPy: `arr.data.ptr`, `cupy.cuda.get_current_stream().ptr`; 0 is the legacy
// default stream).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace accord::bindings {

inline cudaStream_t as_stream(std::uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }

template <class T = double>
T* as_device(std::uintptr_t p) {
  return reinterpret_cast<T*>(p);
}

inline const double* as_table(std::uintptr_t p) { return as_device<const double>(p); }

}  // namespace accord::bindings
