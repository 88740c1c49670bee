// Bindings of the cooperative-game kernels (accord._core.coop).
#include <vector>

#include "accord/coop.hpp"
#include "common.hpp"

namespace py = pybind11;
using accord::bindings::carray;
using accord::bindings::check_length;
using accord::bindings::players_of_table;
namespace coop = accord::coop;

namespace {

py::tuple stats_tuple(std::vector<double>&& s, std::vector<double>&& q, py::ssize_t rows,
                      py::ssize_t cols) {
  std::vector<py::ssize_t> shape = rows ? std::vector<py::ssize_t>{rows, cols}
                                        : std::vector<py::ssize_t>{cols};
  py::array_t<double> a(shape), b(shape);
  std::copy(s.begin(), s.end(), a.mutable_data());
  std::copy(q.begin(), q.end(), b.mutable_data());
  return py::make_tuple(a, b);
}

void check_range(std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0) throw std::invalid_argument("first and count must be >= 0");
}

}  // namespace

void init_coop(py::module_& m) {
  m.def(
      "semivalue_sums",
      [](carray<double> v, carray<double> c, carray<double> b) {
        const int n = players_of_table(v, "v");
        check_length(c, n + 1, "c");
        check_length(b, n + 1, "b");
        py::array_t<double> A(n);
        double T = 0.0;
        {
          py::gil_scoped_release release;
          coop::semivalue_sums(v.data(), n, c.data(), b.data(), A.mutable_data(), &T);
        }
        return py::make_tuple(A, T);
      },
      py::arg("v"), py::arg("c"), py::arg("b"),
      "A[i] = sum_{S∋i} c[|S|] v[S] and T = sum_S b[|S|] v[S] in one pass.");

  m.def(
      "max_excess",
      [](carray<double> v, carray<double> x) {
        const int n = players_of_table(v, "v");
        check_length(x, n, "x");
        coop::Excess e;
        {
          py::gil_scoped_release release;
          e = coop::max_excess(v.data(), n, x.data());
        }
        return py::make_tuple(e.value, e.mask);
      },
      py::arg("v"), py::arg("x"));

  m.def(
      "permutations",
      [](int n, std::uint64_t seed, std::int64_t first, std::int64_t count) {
        if (n < 1) throw std::invalid_argument("n must be >= 1");
        check_range(first, count);
        py::array_t<std::int32_t> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(n)});
        std::int32_t* p = out.mutable_data();
        {
          py::gil_scoped_release release;
          coop::permutations(n, seed, first, count, p);
        }
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("first"), py::arg("count"));

  m.def(
      "permutation_sample_dense",
      [](carray<double> v, std::uint64_t seed, std::int64_t first, std::int64_t count,
         bool antithetic, carray<double> shift) {
        const int n = players_of_table(v, "v");
        check_length(shift, n, "shift");
        check_range(first, count);
        std::vector<double> s(n, 0.0), q(n, 0.0);
        {
          py::gil_scoped_release release;
          coop::permutation_sample_dense(v.data(), n, seed, first, count, antithetic,
                                         shift.data(), {s.data(), q.data()});
        }
        return stats_tuple(std::move(s), std::move(q), 0, n);
      },
      py::arg("v"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("antithetic"),
      py::arg("shift"));

  m.def(
      "permutation_sample_voting",
      [](carray<double> w, double quota, std::uint64_t seed, std::int64_t first,
         std::int64_t count, bool antithetic) {
        const int n = static_cast<int>(w.shape(0));
        check_length(w, n, "w");
        check_range(first, count);
        std::vector<double> s(n, 0.0), q(n, 0.0);
        {
          py::gil_scoped_release release;
          coop::permutation_sample_voting(w.data(), n, quota, seed, first, count, antithetic,
                                          {s.data(), q.data()});
        }
        return stats_tuple(std::move(s), std::move(q), 0, n);
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("first"), py::arg("count"),
      py::arg("antithetic"));

  m.def(
      "stratified_sample_dense",
      [](carray<double> v, std::uint64_t seed, std::int64_t per_stratum, std::int64_t first,
         std::int64_t count, carray<double> shift) {
        const int n = players_of_table(v, "v");
        check_length(shift, n, "shift");
        check_range(first, count);
        if (first + count > per_stratum)
          throw std::invalid_argument("first + count must be <= per_stratum");
        std::vector<double> s(static_cast<std::size_t>(n) * n, 0.0), q(s.size(), 0.0);
        {
          py::gil_scoped_release release;
          coop::stratified_sample_dense(v.data(), n, seed, per_stratum, first, count,
                                        shift.data(), {s.data(), q.data()});
        }
        return stats_tuple(std::move(s), std::move(q), n, n);
      },
      py::arg("v"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"), py::arg("count"),
      py::arg("shift"));

  m.def(
      "stratified_sample_voting",
      [](carray<double> w, double quota, std::uint64_t seed, std::int64_t per_stratum,
         std::int64_t first, std::int64_t count) {
        const int n = static_cast<int>(w.shape(0));
        check_length(w, n, "w");
        check_range(first, count);
        if (first + count > per_stratum)
          throw std::invalid_argument("first + count must be <= per_stratum");
        std::vector<double> s(static_cast<std::size_t>(n) * n, 0.0), q(s.size(), 0.0);
        {
          py::gil_scoped_release release;
          coop::stratified_sample_voting(w.data(), n, quota, seed, per_stratum, first, count,
                                         {s.data(), q.data()});
        }
        return stats_tuple(std::move(s), std::move(q), n, n);
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"),
      py::arg("count"));

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
      py::arg("first"), py::arg("count"));

  m.def(
      "voting_shapley",
      [](carray<std::int64_t> w, std::int64_t quota) {
        const int n = static_cast<int>(w.shape(0));
        py::array_t<double> phi(n);
        {
          py::gil_scoped_release release;
          coop::voting_shapley(w.data(), n, quota, phi.mutable_data());
        }
        return phi;
      },
      py::arg("w"), py::arg("quota"));

  m.def(
      "voting_banzhaf",
      [](carray<std::int64_t> w, std::int64_t quota) {
        const int n = static_cast<int>(w.shape(0));
        py::array_t<double> beta(n);
        {
          py::gil_scoped_release release;
          coop::voting_banzhaf(w.data(), n, quota, beta.mutable_data());
        }
        return beta;
      },
      py::arg("w"), py::arg("quota"));
}
