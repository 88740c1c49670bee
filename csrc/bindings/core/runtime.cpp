// Bindings of the thread control and build information (accord._core).
#include <pybind11/pybind11.h>

#include "accord/runtime.hpp"

namespace py = pybind11;

void init_runtime(py::module_& m) {
  m.def("set_num_threads", &accord::set_num_threads, py::arg("n"),
        "Threads of the OpenMP kernels.");
  m.def("get_num_threads", &accord::get_num_threads, "Threads of the OpenMP kernels.");
  m.def(
      "build_info",
      [] {
        py::dict d;
        d["compiler"] = accord::cxx_compiler();
        d["flags"] = accord::cxx_flags();
        d["openmp"] = accord::openmp_version();
        return d;
      },
      "Compiler, compile flags and OpenMP version of the kernels.");
}
