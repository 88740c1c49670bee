// Argument checks shared by the binding translation units of accord._core and accord._cuda.
//
// Array arguments are never converted.  An input array is declared as `In<T>` (any
// object loads, so a bad argument is reported here by name rather than as an unmatched
// overload) and taken with `take(arg, "name")`, which accepts only a C-contiguous
// numpy.ndarray whose dtype is T: anything else raises TypeError (wrong type or dtype)
// or ValueError (not C-contiguous) naming the argument and what to pass instead.
// Callers convert explicitly, e.g. np.ascontiguousarray(x, dtype=np.float64).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace accord::bindings {

namespace py = pybind11;

// A C-contiguous array of element type T (inputs after `take`, and results).
template <class T>
using carray = py::array_t<T, py::array::c_style>;

// An input array argument of element type T, checked by `take`.
template <class T>
struct In {
  py::object obj;
};

// An input array argument of dtype float32 or float64, checked by `take_as`.
struct InFloat {
  py::object obj;
};

template <class T>
std::string dtype_name() {
  return py::str(py::dtype::of<T>()).cast<std::string>();
}

// `obj` as a C-contiguous array of dtype T, without a copy; throws py::type_error /
// std::invalid_argument naming `name` otherwise.
template <class T>
carray<T> take(const py::handle& obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be a numpy.ndarray of dtype " +
                         dtype_name<T>() + "; got " + std::string(Py_TYPE(obj.ptr())->tp_name));
  const auto a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().equal(py::dtype::of<T>()))
    throw py::type_error(std::string(name) + " must have dtype " + dtype_name<T>() + "; got " +
                         py::str(a.dtype()).cast<std::string>() + " (convert explicitly, e.g. " +
                         "np.asarray(" + name + ", dtype=np." + dtype_name<T>() + "))");
  if (!(a.flags() & py::array::c_style))
    throw std::invalid_argument(std::string(name) +
                                " must be C-contiguous (pass np.ascontiguousarray(" + name + "))");
  return py::reinterpret_borrow<carray<T>>(a);
}

template <class T>
carray<T> take(const In<T>& arg, const char* name) {
  return take<T>(arg.obj, name);
}

// An output array updated in place: as `take`, and writable.
template <class T>
carray<T> take_writable(const In<T>& arg, const char* name) {
  auto a = take<T>(arg.obj, name);
  if (!a.writeable()) throw std::invalid_argument(std::string(name) + " must be writable");
  return a;
}

// True when a float32/float64 argument is float32 (TypeError for any other dtype).
inline bool is_float32(const InFloat& arg, const char* name) {
  if (py::isinstance<py::array>(arg.obj)) {
    const auto dt = py::reinterpret_borrow<py::array>(arg.obj).dtype();
    if (dt.equal(py::dtype::of<float>())) return true;
    if (dt.equal(py::dtype::of<double>())) return false;
    throw py::type_error(std::string(name) + " must have dtype float64 or float32; got " +
                         py::str(dt).cast<std::string>());
  }
  take<double>(arg.obj, name);  // raises the TypeError naming the argument
  return false;
}

// Number of players of a coalition table, checking that its length is 2**n.
inline int players_of_table(const py::array& v, const char* name) {
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

inline void expect_shape(const py::array& a, const std::vector<py::ssize_t>& shape,
                         const char* name) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = a.shape(i) == shape[i];
  if (!ok) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
      s += std::to_string(shape[i]) + (i + 1 < shape.size() ? ", " : "");
    throw std::invalid_argument(std::string(name) + " must have shape " + s + ")");
  }
}

}  // namespace accord::bindings

namespace pybind11::detail {

// In<T> / InFloat load any object (checked by take); their signature names the dtype.
template <class T>
struct type_caster<accord::bindings::In<T>> {
  PYBIND11_TYPE_CASTER(accord::bindings::In<T>, const_name("numpy.typing.NDArray[") +
                                                    npy_format_descriptor<T>::name +
                                                    const_name("]"));
  bool load(handle src, bool) {
    value.obj = reinterpret_borrow<object>(src);
    return true;
  }
};

template <>
struct type_caster<accord::bindings::InFloat> {
  PYBIND11_TYPE_CASTER(accord::bindings::InFloat,
                       const_name("numpy.typing.NDArray[numpy.float64] | "
                                  "numpy.typing.NDArray[numpy.float32]"));
  bool load(handle src, bool) {
    value.obj = reinterpret_borrow<object>(src);
    return true;
  }
};

}  // namespace pybind11::detail
