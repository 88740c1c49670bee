// Bindings of the CUDA device queries and build information (accord._cuda).
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "accord/gpu/runtime.hpp"

#ifndef ACCORD_CUDA_VERSION
#define ACCORD_CUDA_VERSION "unknown"
#endif
#ifndef ACCORD_CUDA_ARCHS
#define ACCORD_CUDA_ARCHS "unknown"
#endif

namespace py = pybind11;
namespace gpu = accord::gpu;

namespace {

// A positive value, or None when the device does not report it.
template <class T, class P>
py::object known(T value) {
  return value > 0 ? py::object(P(value)) : py::object(py::none());
}

}  // namespace

void init_cuda_runtime(py::module_& m) {
  m.def("device_count", &gpu::device_count,
        "Number of CUDA devices (0 when there is no driver or device; never raises).");

  m.def(
      "devices",
      [] {
        std::vector<gpu::DeviceInfo> infos;
        {
          py::gil_scoped_release release;
          infos = gpu::devices();
        }
        py::list out;
        for (const auto& d : infos) {
          py::dict e;
          e["index"] = d.index;
          e["name"] = d.name;
          e["compute_capability"] = std::to_string(d.major) + "." + std::to_string(d.minor);
          e["total_memory"] = d.total_memory;
          e["memory_bus_width"] = known<int, py::int_>(d.memory_bus_width);
          e["memory_clock_khz"] = known<int, py::int_>(d.memory_clock_khz);
          e["peak_bandwidth_bytes_per_s"] = known<double, py::float_>(d.peak_bandwidth);
          out.append(e);
        }
        return out;
      },
      "Properties of every CUDA device (memory bandwidth: 2 * clock * bus width / 8).");

  m.def(
      "build_info",
      [] {
        py::dict d;
        d["cuda_version"] = ACCORD_CUDA_VERSION;
        d["architectures"] = ACCORD_CUDA_ARCHS;
        d["runtime_version"] = gpu::runtime_version();
        d["driver_version"] = gpu::driver_version();
        return d;
      },
      "CUDA version and architectures compiled for, runtime and driver versions.");
}
