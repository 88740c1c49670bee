// Helpers shared by the binding translation units.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace accord::bindings {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Number of players of a coalition table, checking that its length is 2**n.
inline int players_of_table(const carray<double>& v, const char* name) {
  if (v.ndim() != 1) throw std::invalid_argument(std::string(name) + " must be 1-dimensional");
  const auto len = static_cast<std::uint64_t>(v.shape(0));
  if (len == 0 || (len & (len - 1)) != 0)
    throw std::invalid_argument(std::string(name) + " length must be a power of two");
  return __builtin_ctzll(len);
}

inline void check_length(const py::array& a, py::ssize_t n, const char* name) {
  if (a.ndim() != 1 || a.shape(0) != n)
    throw std::invalid_argument(std::string(name) + " must be 1-dimensional of length " +
                                std::to_string(n));
}

}  // namespace accord::bindings
