// Bindings of the load-balancing round kernel (accord._core.loadbalance).  The arrays the
// kernel updates (loads, reserve state, outputs) are written in place, so they must be
// C-contiguous, writable and of the exact dtype: a converted copy would lose the writes.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../common.hpp"
#include "accord/loadbalance.hpp"

namespace py = pybind11;
using accord::bindings::check_length;
using accord::bindings::expect_shape;
using accord::bindings::In;
using accord::bindings::take;
using accord::bindings::take_writable;

namespace {

template <class T>
const T* in(const In<T>& arg, py::ssize_t n, const char* name) {
  const auto a = take(arg, name);
  check_length(a, n, name);
  return a.data();
}

template <class T>
T* inout(const In<T>& arg, py::ssize_t n, const char* name) {
  auto a = take_writable(arg, name);
  check_length(a, n, name);
  return a.mutable_data();
}

}  // namespace

void init_loadbalance(py::module_& m) {
  m.def(
      "auction_round",
      [](In<double> load_, In<double> capacity, In<double> sensitivity, In<double> risk_aversion,
         In<double> target, In<std::int64_t> coalition, In<double> task_load_, In<double> noise_,
         In<double> state, In<std::int64_t> winner, In<std::int64_t> partner, In<double> bid,
         In<double> price, In<bool> above, In<double> reserve_seen, double damping, double max_bid,
         double overload_threshold, double partner_threshold, double reserve_factor,
         double ratio_cap) {
        auto load = take_writable(load_, "load");
        const auto task_load = take(task_load_, "task_load");
        const py::ssize_t n = load.ndim() == 1 ? load.shape(0) : -1;
        const py::ssize_t t = task_load.ndim() == 1 ? task_load.shape(0) : -1;
        if (n < 1 || t < 0) throw std::invalid_argument("load and task_load must be 1-D");
        const auto noise = take(noise_, "noise");
        expect_shape(noise, {t, n}, "noise");
        const accord::loadbalance::AuctionParams p{
            damping, max_bid, overload_threshold, partner_threshold, reserve_factor, ratio_cap};
        double* ld = load.mutable_data();
        const double* cap = in(capacity, n, "capacity");
        const double* sens = in(sensitivity, n, "sensitivity");
        const double* ra = in(risk_aversion, n, "risk_aversion");
        const double* tg = in(target, n, "target");
        const auto* co = in(coalition, n, "coalition");
        const double* tl = task_load.data();
        const double* nz = noise.data();
        double* st = inout(state, 3, "state");
        auto* wi = inout(winner, t, "winner");
        auto* pa = inout(partner, t, "partner");
        double* bi = inout(bid, t, "bid");
        double* pr = inout(price, t, "price");
        bool* ab = inout(above, t, "above");
        double* rs = inout(reserve_seen, t, "reserve_seen");
        py::gil_scoped_release release;
        accord::loadbalance::auction_round(n, t, ld, cap, sens, ra, tg, co, tl, nz, st, wi, pa, bi,
                                           pr, ab, rs, p);
      },
      py::arg("load"), py::arg("capacity"), py::arg("sensitivity"), py::arg("risk_aversion"),
      py::arg("target"), py::arg("coalition"), py::arg("task_load"), py::arg("noise"),
      py::arg("state"), py::arg("winner"), py::arg("partner"), py::arg("bid"), py::arg("price"),
      py::arg("above"), py::arg("reserve_seen"), py::arg("damping"), py::arg("max_bid"),
      py::arg("overload_threshold"), py::arg("partner_threshold"), py::arg("reserve_factor"),
      py::arg("ratio_cap"),
      "Sequential reverse auctions of one round of the load-balancing model, in place:\n"
      "updates load and the reserve state (3,) and writes winner, partner, bid, price,\n"
      "above and reserve_seen (one entry per task); see accord.loadbalance.");
}
