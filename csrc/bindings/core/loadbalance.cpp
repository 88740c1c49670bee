// Bindings of the load-balancing round kernel (accord._core.loadbalance).  The arrays the
// kernel updates (loads, reserve state, outputs) are written in place, so they must be
// C-contiguous, writable and of the exact dtype: a converted copy would lose the writes.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "accord/loadbalance.hpp"
#include "common.hpp"

namespace py = pybind11;

namespace {

template <class T>
T* inout(py::array& a, py::ssize_t n, const char* name) {
  if (!py::isinstance<py::array_t<T>>(a) || !a.dtype().is(py::dtype::of<T>()))
    throw std::invalid_argument(std::string(name) + " has the wrong dtype");
  if (a.ndim() != 1 || a.shape(0) != n)
    throw std::invalid_argument(std::string(name) + " must be 1-dimensional of length " +
                                std::to_string(n));
  if (!(a.flags() & py::array::c_style) || !a.writeable())
    throw std::invalid_argument(std::string(name) + " must be C-contiguous and writable");
  return static_cast<T*>(a.mutable_data());
}

template <class T>
const T* in(const py::array& a, py::ssize_t n, const char* name) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw std::invalid_argument(std::string(name) + " has the wrong dtype");
  if (a.ndim() != 1 || a.shape(0) != n || !(a.flags() & py::array::c_style))
    throw std::invalid_argument(std::string(name) + " must be C-contiguous of length " +
                                std::to_string(n));
  return static_cast<const T*>(a.data());
}

}  // namespace

void init_loadbalance(py::module_& m) {
  m.def(
      "auction_round",
      [](py::array load, const py::array& capacity, const py::array& sensitivity,
         const py::array& risk_aversion, const py::array& target, const py::array& coalition,
         const py::array& task_load, const py::array& noise, py::array state, py::array winner,
         py::array partner, py::array bid, py::array price, py::array above,
         py::array reserve_seen, double damping, double max_bid, double overload_threshold,
         double partner_threshold, double reserve_factor, double ratio_cap) {
        const py::ssize_t n = load.ndim() == 1 ? load.shape(0) : -1;
        const py::ssize_t t = task_load.ndim() == 1 ? task_load.shape(0) : -1;
        if (n < 1 || t < 0) throw std::invalid_argument("load and task_load must be 1-D");
        if (noise.ndim() != 2 || noise.shape(0) != t || noise.shape(1) != n ||
            !(noise.flags() & py::array::c_style) || !noise.dtype().is(py::dtype::of<double>()))
          throw std::invalid_argument("noise must be C-contiguous float64 of shape (t, n)");
        double* ld = inout<double>(load, n, "load");
        const accord::loadbalance::AuctionParams p{damping, max_bid, overload_threshold,
                                                   partner_threshold, reserve_factor,
                                                   ratio_cap};
        const double* cap = in<double>(capacity, n, "capacity");
        const double* sens = in<double>(sensitivity, n, "sensitivity");
        const double* ra = in<double>(risk_aversion, n, "risk_aversion");
        const double* tg = in<double>(target, n, "target");
        const auto* co = in<std::int64_t>(coalition, n, "coalition");
        const double* tl = in<double>(task_load, t, "task_load");
        const double* nz = static_cast<const double*>(noise.data());
        double* st = inout<double>(state, 3, "state");
        auto* wi = inout<std::int64_t>(winner, t, "winner");
        auto* pa = inout<std::int64_t>(partner, t, "partner");
        double* bi = inout<double>(bid, t, "bid");
        double* pr = inout<double>(price, t, "price");
        bool* ab = inout<bool>(above, t, "above");
        double* rs = inout<double>(reserve_seen, t, "reserve_seen");
        py::gil_scoped_release release;
        accord::loadbalance::auction_round(n, t, ld, cap, sens, ra, tg, co, tl, nz, st, wi, pa,
                                           bi, pr, ab, rs, p);
      },
      "Sequential reverse auctions of one load-balancing round (seed 001); see "
      "accord.loadbalance.simulate");
}
