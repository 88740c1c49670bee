// Bindings of the CUDA normal-form game kernels (accord._cuda): every array is a device
// pointer (e.g. cupy_array.data.ptr) laid out as in accord/games.hpp.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "accord/gpu/games.hpp"
#include "device_args.hpp"

namespace py = pybind11;
namespace gpu = accord::gpu;
using accord::bindings::as_device;
using accord::bindings::as_stream;
using accord::bindings::as_table;

void init_cuda_games(py::module_& m) {
  m.def(
      "best_response",
      [](std::uintptr_t payoffs, std::uintptr_t profile, std::int64_t games,
         std::vector<std::int64_t> k, int itemsize, double tol, std::uintptr_t actions,
         std::uintptr_t best, std::uintptr_t current, std::uintptr_t u, std::uintptr_t stream) {
        if (games < 0) throw std::invalid_argument("games must be >= 0");
        py::gil_scoped_release nogil;
        gpu::best_response(as_device<const void>(payoffs), as_device<const void>(profile), games, k,
                           itemsize, tol, as_device<std::int64_t>(actions), as_device<void>(best),
                           as_device<void>(current), as_device<void>(u), as_stream(stream));
      },
      py::arg("payoffs"), py::arg("profile"), py::arg("games"), py::arg("k"), py::arg("itemsize"),
      py::arg("tol"), py::arg("actions"), py::arg("best"), py::arg("current"), py::arg("u"),
      py::arg("stream") = 0);

  m.def(
      "fictitious_play",
      [](std::uintptr_t payoffs, std::int64_t games, std::int64_t rows, std::int64_t cols,
         std::int64_t iterations, int mode, std::uintptr_t initial, std::int64_t every,
         std::uintptr_t profile, std::uintptr_t history, std::uintptr_t stream) {
        if (games < 0) throw std::invalid_argument("games must be >= 0");
        py::gil_scoped_release nogil;
        gpu::fictitious_play(as_table(payoffs), games, rows, cols, iterations, mode,
                             as_device<const std::int64_t>(initial), every,
                             as_device<double>(profile), as_device<double>(history),
                             as_stream(stream));
      },
      py::arg("payoffs"), py::arg("games"), py::arg("m"), py::arg("n"), py::arg("iterations"),
      py::arg("mode"), py::arg("initial"), py::arg("record_every"), py::arg("profile"),
      py::arg("history"), py::arg("stream") = 0);
}
