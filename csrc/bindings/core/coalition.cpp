// Bindings of the coalition-formation kernels (accord._core.coalition).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include <pybind11/stl.h>

#include "../common.hpp"
#include "accord/coalition.hpp"

namespace py = pybind11;
using accord::bindings::expect_shape;
using accord::bindings::In;
using accord::bindings::take;

void init_coalition(py::module_& m) {
  m.def(
      "one_step_payoff",
      [](In<double> own_, std::optional<In<double>> others_, int agent, In<std::int64_t> coalition_,
         In<std::int64_t> action_, In<double> share_, In<std::int64_t> which_, bool restricted,
         double tol) {
        const auto own = take(own_, "own");
        const auto coalition = take(coalition_, "coalition");
        const auto action = take(action_, "action");
        const auto share = take(share_, "share");
        const auto which = take(which_, "which");
        if (own.ndim() != 3) throw std::invalid_argument("own must have shape (Z, 2**n, A)");
        if (coalition.ndim() != 2) throw std::invalid_argument("coalition must have shape (D, n)");
        const std::int64_t Z = own.shape(0), M = own.shape(1), A = own.shape(2);
        const std::int64_t D = coalition.shape(0), n = coalition.shape(1);
        if (n < 1 || n > 20 || M != (std::int64_t{1} << n))
          throw std::invalid_argument("own must have 2**n rows for n <= 20 agents");
        expect_shape(action, {D, n}, "action");
        expect_shape(share, {D, n}, "share");
        expect_shape(which, {Z}, "which");
        std::optional<accord::bindings::carray<double>> others;
        if (others_) {
          others = take(*others_, "others");
          expect_shape(*others, {M, A}, "others");
        }
        py::array_t<double> out(static_cast<py::ssize_t>(Z));
        accord::coalition::OneStep a{static_cast<int>(n), A,        Z,
                                     agent,               own.data(), others ? others->data() : nullptr,
                                     D,                   coalition.data(), action.data(),
                                     share.data(),        which.data(), restricted,
                                     tol};
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          accord::coalition::one_step_payoff(a, o);
        }
        return out;
      },
      py::arg("own"), py::arg("others"), py::arg("agent"), py::arg("coalition"), py::arg("action"),
      py::arg("share"), py::arg("which"), py::arg("restricted"), py::arg("tol"),
      "(Z,): V^0 (Chalkiadakis & Boutilier 2012, Eq. 9) of each view after one best-reply\n"
      "round from agreement which[z].");
}
