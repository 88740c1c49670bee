// Bindings of the cooperative-game kernels (accord._core.coop).
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "../common.hpp"
#include "accord/coop.hpp"

namespace py = pybind11;
using accord::bindings::check_length;
using accord::bindings::In;
using accord::bindings::players_of_table;
using accord::bindings::take;
namespace coop = accord::coop;

namespace {

// Zeroed (sum, sum of squares) result arrays of shape (cols,) or (rows, cols).
struct Stats {
  py::array_t<double> sum, sumsq;
  Stats(py::ssize_t rows, py::ssize_t cols) {
    const auto shape = rows ? std::vector<py::ssize_t>{rows, cols} : std::vector<py::ssize_t>{cols};
    sum = py::array_t<double>(shape);
    sumsq = py::array_t<double>(shape);
    std::fill_n(sum.mutable_data(), sum.size(), 0.0);
    std::fill_n(sumsq.mutable_data(), sumsq.size(), 0.0);
  }
  coop::SampleStats out() { return {sum.mutable_data(), sumsq.mutable_data()}; }
  py::tuple result() const { return py::make_tuple(sum, sumsq); }
};

void check_range(std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0) throw std::invalid_argument("first and count must be >= 0");
}

void check_strata(std::int64_t first, std::int64_t count, std::int64_t per_stratum) {
  check_range(first, count);
  if (first + count > per_stratum)
    throw std::invalid_argument("first + count must be <= per_stratum");
}

}  // namespace

void init_coop(py::module_& m) {
  m.def(
      "semivalue_sums",
      [](In<double> v_, In<double> c_, In<double> b_) {
        const auto v = take(v_, "v"), c = take(c_, "c"), b = take(b_, "b");
        const int n = players_of_table(v, "v");
        check_length(c, n + 1, "c");
        check_length(b, n + 1, "b");
        py::array_t<double> A(n);
        double* a = A.mutable_data();
        double T = 0.0;
        {
          py::gil_scoped_release release;
          coop::semivalue_sums(v.data(), n, c.data(), b.data(), a, &T);
        }
        return py::make_tuple(A, T);
      },
      py::arg("v"), py::arg("c"), py::arg("b"),
      "A[i] = sum_{S∋i} c[|S|] v[S] and T = sum_S b[|S|] v[S] in one pass.");

  m.def(
      "max_excess",
      [](In<double> v_, In<double> x_) {
        const auto v = take(v_, "v"), x = take(x_, "x");
        const int n = players_of_table(v, "v");
        check_length(x, n, "x");
        coop::Excess e;
        {
          py::gil_scoped_release release;
          e = coop::max_excess(v.data(), n, x.data());
        }
        return py::make_tuple(e.value, e.mask);
      },
      py::arg("v"), py::arg("x"),
      "(max over non-empty S of v[S] - x(S), lowest mask attaining it).");

  m.def(
      "permutations",
      [](int n, std::uint64_t seed, std::int64_t first, std::int64_t count) {
        if (n < 1) throw std::invalid_argument("n must be >= 1");
        check_range(first, count);
        py::array_t<std::int32_t> out(
            {static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(n)});
        std::int32_t* p = out.mutable_data();
        {
          py::gil_scoped_release release;
          coop::permutations(n, seed, first, count, p);
        }
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("first"), py::arg("count"),
      "int32 (count, n): the permutations with Philox stream ids first .. first + count - 1.");

  m.def(
      "permutation_sample_dense",
      [](In<double> v_, std::uint64_t seed, std::int64_t first, std::int64_t count, bool antithetic,
         In<double> shift_) {
        const auto v = take(v_, "v"), shift = take(shift_, "shift");
        const int n = players_of_table(v, "v");
        check_length(shift, n, "shift");
        check_range(first, count);
        Stats s(0, n);
        {
          py::gil_scoped_release release;
          coop::permutation_sample_dense(v.data(), n, seed, first, count, antithetic, shift.data(),
                                         s.out());
        }
        return s.result();
      },
      py::arg("v"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("antithetic"),
      py::arg("shift"),
      "(sum, sum of squares) (n,) of the shifted marginal contributions of the sampled\n"
      "permutations.");

  m.def(
      "permutation_sample_voting",
      [](In<double> w_, double quota, std::uint64_t seed, std::int64_t first, std::int64_t count,
         bool antithetic) {
        const auto w = take(w_, "w");
        const int n = static_cast<int>(w.ndim() == 1 ? w.shape(0) : 0);
        check_length(w, n, "w");
        check_range(first, count);
        Stats s(0, n);
        {
          py::gil_scoped_release release;
          coop::permutation_sample_voting(w.data(), n, quota, seed, first, count, antithetic,
                                          s.out());
        }
        return s.result();
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("first"), py::arg("count"),
      py::arg("antithetic"),
      "(sum, sum of squares) (n,) of the pivot indicators of the sampled permutations.");

  m.def(
      "stratified_sample_dense",
      [](In<double> v_, std::uint64_t seed, std::int64_t per_stratum, std::int64_t first,
         std::int64_t count, In<double> shift_) {
        const auto v = take(v_, "v"), shift = take(shift_, "shift");
        const int n = players_of_table(v, "v");
        check_length(shift, n, "shift");
        check_strata(first, count, per_stratum);
        Stats s(n, n);
        {
          py::gil_scoped_release release;
          coop::stratified_sample_dense(v.data(), n, seed, per_stratum, first, count, shift.data(),
                                        s.out());
        }
        return s.result();
      },
      py::arg("v"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"), py::arg("count"),
      py::arg("shift"), "(sum, sum of squares) (n, n) per stratum [player, size].");

  m.def(
      "stratified_sample_voting",
      [](In<double> w_, double quota, std::uint64_t seed, std::int64_t per_stratum,
         std::int64_t first, std::int64_t count) {
        const auto w = take(w_, "w");
        const int n = static_cast<int>(w.ndim() == 1 ? w.shape(0) : 0);
        check_length(w, n, "w");
        check_strata(first, count, per_stratum);
        Stats s(n, n);
        {
          py::gil_scoped_release release;
          coop::stratified_sample_voting(w.data(), n, quota, seed, per_stratum, first, count,
                                         s.out());
        }
        return s.result();
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"),
      py::arg("count"), "(sum, sum of squares) (n, n) per stratum [player, size].");

  m.def(
      "stratum_subsets",
      [](int n, std::uint64_t seed, std::int64_t per_stratum, int player, int size,
         std::int64_t first, std::int64_t count) {
        if (n < 2 || player < 0 || player >= n || size < 0 || size >= n)
          throw std::invalid_argument("need n >= 2, 0 <= player < n and 0 <= size < n");
        check_range(first, count);
        py::array_t<bool> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(n)});
        auto* p = reinterpret_cast<std::uint8_t*>(out.mutable_data());
        {
          py::gil_scoped_release release;
          coop::stratum_subsets(n, seed, per_stratum, player, size, first, count, p);
        }
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("per_stratum"), py::arg("player"), py::arg("size"),
      py::arg("first"), py::arg("count"),
      "bool (count, n): the coalitions the stratified samplers draw for (player, size).");

  m.def(
      "voting_shapley",
      [](In<std::int64_t> w_, std::int64_t quota) {
        const auto w = take(w_, "w");
        const int n = static_cast<int>(w.ndim() == 1 ? w.shape(0) : 0);
        check_length(w, n, "w");
        py::array_t<double> phi(n);
        double* out = phi.mutable_data();
        {
          py::gil_scoped_release release;
          coop::voting_shapley(w.data(), n, quota, out);
        }
        return phi;
      },
      py::arg("w"), py::arg("quota"),
      "Shapley-Shubik index of a weighted voting game with integer weights.");

  m.def(
      "voting_banzhaf",
      [](In<std::int64_t> w_, std::int64_t quota) {
        const auto w = take(w_, "w");
        const int n = static_cast<int>(w.ndim() == 1 ? w.shape(0) : 0);
        check_length(w, n, "w");
        py::array_t<double> beta(n);
        double* out = beta.mutable_data();
        {
          py::gil_scoped_release release;
          coop::voting_banzhaf(w.data(), n, quota, out);
        }
        return beta;
      },
      py::arg("w"), py::arg("quota"),
      "Raw Banzhaf index of a weighted voting game with integer weights.");
}
