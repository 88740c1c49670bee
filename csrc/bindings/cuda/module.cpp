// accord._cuda: the CUDA backend.
//
// Large arrays are passed as integer device pointers (CuPy: `arr.data.ptr`) with their
// dimensions; `stream` is a CUDA stream handle as an int (CuPy:
// `cupy.cuda.get_current_stream().ptr`; 0 is the legacy default stream).  Small inputs
// are NumPy arrays on the host and small outputs come back as NumPy arrays.  Results
// equal those of the accord._core functions of the same name.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void init_cuda_runtime(py::module_& m);
void init_cuda_coop(py::module_& m);
void init_cuda_games(py::module_& m);
void init_cuda_bayes(py::module_& m);

PYBIND11_MODULE(_cuda, m) {
  m.doc() =
      "accord CUDA kernels (cooperative games on device tables, normal-form games, "
      "Bayesian beliefs)";
  init_cuda_runtime(m);
  init_cuda_coop(m);
  init_cuda_games(m);
  init_cuda_bayes(m);
}
