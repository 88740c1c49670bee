// Bindings of the tabular multi-agent learning updates (accord._core.marl).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../common.hpp"
#include "accord/marl.hpp"

namespace py = pybind11;
using accord::bindings::carray;
using accord::bindings::In;
using accord::bindings::take;
using accord::bindings::take_writable;
namespace marl = accord::marl;

namespace {

// The transitions of one call, checked against the (E, n, S, k) table Q: every index in
// range, so the kernels never read or write outside a table.
struct Checked {
  carray<std::int64_t> ks, s, a, next;
  carray<double> r;
  carray<std::uint8_t> term;
  marl::Transitions t{};
};

void expect(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

Checked check(const carray<double>& Q, const In<std::int64_t>& ks_, const In<std::int64_t>& s_,
              const In<std::int64_t>& a_, const In<double>& r_, const In<std::int64_t>& next_,
              const In<std::uint8_t>& term_, double discount) {
  Checked c{take(ks_, "ks"), take(s_, "states"), take(a_, "actions"), take(next_, "next_states"),
            take(r_, "rewards"), take(term_, "terminated")};
  expect(Q.ndim() == 4, "Q must have shape (E, n, S, k)");
  const std::int64_t E = Q.shape(0), n = Q.shape(1), S = Q.shape(2), k = Q.shape(3);
  expect(E >= 1 && n >= 1 && S >= 1 && k >= 1, "Q must not be empty");
  expect(c.ks.ndim() == 1 && c.ks.shape(0) == n, "ks must have shape (n,)");
  for (std::int64_t i = 0; i < n; ++i)
    expect(c.ks.at(i) >= 1 && c.ks.at(i) <= k, "ks must lie in 1..k");
  expect(c.s.ndim() == 1 && c.s.shape(0) == E, "states must have shape (E,)");
  expect(c.next.ndim() == 1 && c.next.shape(0) == E, "next_states must have shape (E,)");
  expect(c.term.ndim() == 1 && c.term.shape(0) == E, "terminated must have shape (E,)");
  expect(c.a.ndim() == 2 && c.a.shape(0) == E && c.a.shape(1) == n, "actions must be (E, n)");
  expect(c.r.ndim() == 2 && c.r.shape(0) == E && c.r.shape(1) == n, "rewards must be (E, n)");
  for (std::int64_t e = 0; e < E; ++e) {
    expect(c.s.at(e) >= 0 && c.s.at(e) < S && c.next.at(e) >= 0 && c.next.at(e) < S,
           "states must lie in 0..S-1");
    for (std::int64_t i = 0; i < n; ++i)
      expect(c.a.at(e, i) >= 0 && c.a.at(e, i) < c.ks.at(i), "actions must lie in 0..ks[i]-1");
  }
  c.t = {E, static_cast<int>(n), S, k, c.ks.data(), c.s.data(), c.a.data(), c.r.data(),
         c.next.data(), c.term.data(), discount};
  return c;
}

void same_shape(const carray<double>& Q, const py::array& other, const char* name) {
  bool ok = other.ndim() == Q.ndim();
  for (py::ssize_t d = 0; ok && d < Q.ndim(); ++d) ok = other.shape(d) == Q.shape(d);
  if (!ok) throw std::invalid_argument(std::string(name) + " must have Q's shape");
}

}  // namespace

void init_marl(py::module_& m) {
  m.def(
      "q_update",
      [](In<double> Q_, In<std::int64_t> ks, In<std::int64_t> s, In<std::int64_t> a,
         In<double> r, In<std::int64_t> next, In<std::uint8_t> term, double discount,
         double alpha, double beta) {
        auto Q = take_writable(Q_, "Q");
        const Checked c = check(Q, ks, s, a, r, next, term, discount);
        py::gil_scoped_release release;
        marl::q_update(c.t, Q.mutable_data(), alpha, beta);
      },
      py::arg("Q"), py::arg("ks"), py::arg("states"), py::arg("actions"), py::arg("rewards"),
      py::arg("next_states"), py::arg("terminated"), py::arg("discount"), py::arg("alpha"),
      py::arg("beta"), "Q-learning of one transition per copy and player, in place.");

  m.def(
      "lenient_update",
      [](In<double> Q_, In<double> T_, In<double> u_, In<std::int64_t> ks, In<std::int64_t> s,
         In<std::int64_t> a, In<double> r, In<std::int64_t> next, In<std::uint8_t> term,
         double discount, double alpha, double lenience, double diffusion, double decay) {
        auto Q = take_writable(Q_, "Q");
        auto T = take_writable(T_, "temperature");
        const auto u = take(u_, "u");
        const Checked c = check(Q, ks, s, a, r, next, term, discount);
        same_shape(Q, T, "temperature");
        expect(u.ndim() == 2 && u.shape(0) == Q.shape(0) && u.shape(1) == Q.shape(1),
               "u must have shape (E, n)");
        py::gil_scoped_release release;
        marl::lenient_update(c.t, Q.mutable_data(), T.mutable_data(), u.data(), alpha,
                             lenience, diffusion, decay);
      },
      py::arg("Q"), py::arg("temperature"), py::arg("u"), py::arg("ks"), py::arg("states"),
      py::arg("actions"), py::arg("rewards"), py::arg("next_states"), py::arg("terminated"),
      py::arg("discount"), py::arg("alpha"), py::arg("lenience"), py::arg("diffusion"),
      py::arg("decay"), "Lenient Q-learning of one transition per copy and player, in place.");

  m.def(
      "phc_update",
      [](In<double> Q_, In<double> pi_, In<double> avg_, In<std::int64_t> visits_,
         In<std::int64_t> ks, In<std::int64_t> s, In<std::int64_t> a, In<double> r,
         In<std::int64_t> next, In<std::uint8_t> term, double discount, double alpha,
         double delta_win, double delta_lose, bool wolf) {
        auto Q = take_writable(Q_, "Q");
        auto pi = take_writable(pi_, "policy");
        auto avg = take_writable(avg_, "average_policy");
        auto visits = take_writable(visits_, "visits");
        const Checked c = check(Q, ks, s, a, r, next, term, discount);
        same_shape(Q, pi, "policy");
        same_shape(Q, avg, "average_policy");
        expect(visits.ndim() == 3 && visits.shape(0) == Q.shape(0) &&
                   visits.shape(1) == Q.shape(1) && visits.shape(2) == Q.shape(2),
               "visits must have shape (E, n, S)");
        py::gil_scoped_release release;
        marl::phc_update(c.t, Q.mutable_data(), pi.mutable_data(), avg.mutable_data(),
                         visits.mutable_data(), alpha, delta_win, delta_lose, wolf);
      },
      py::arg("Q"), py::arg("policy"), py::arg("average_policy"), py::arg("visits"),
      py::arg("ks"), py::arg("states"), py::arg("actions"), py::arg("rewards"),
      py::arg("next_states"), py::arg("terminated"), py::arg("discount"), py::arg("alpha"),
      py::arg("delta_win"), py::arg("delta_lose"), py::arg("wolf"),
      "(WoLF-)PHC step of one transition per copy and player, in place.");
}
