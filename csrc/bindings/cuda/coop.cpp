// Bindings of the CUDA cooperative-game kernels (accord._cuda): dense tables are device
// pointers with the number of players n; coefficients, x, shift and weights are host
// arrays.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common.hpp"
#include "accord/gpu/coop.hpp"
#include "device_args.hpp"

namespace py = pybind11;
using accord::bindings::check_length;
using accord::bindings::In;
using accord::bindings::take;
namespace gpu = accord::gpu;
using accord::bindings::as_stream;
using accord::bindings::as_table;

namespace {

void check_players(int n) {
  if (n < 0 || n > gpu::kMaxDensePlayers)
    throw std::invalid_argument("n must be in [0, " + std::to_string(gpu::kMaxDensePlayers) + "]");
}

int players_of_weights(const py::array& w) {
  if (w.ndim() != 1) throw std::invalid_argument("w must be 1-dimensional");
  if (w.shape(0) > (py::ssize_t{1} << 30)) throw std::invalid_argument("w is too long");
  return static_cast<int>(w.shape(0));
}

// (sum, sum of squares) result arrays of shape (n,) or (n, n).
struct Stats {
  py::array_t<double> sum, sumsq;
  Stats(py::ssize_t n, bool square) {
    const auto shape = square ? std::vector<py::ssize_t>{n, n} : std::vector<py::ssize_t>{n};
    sum = py::array_t<double>(shape);
    sumsq = py::array_t<double>(shape);
  }
  py::tuple result() const { return py::make_tuple(sum, sumsq); }
};

}  // namespace

void init_cuda_coop(py::module_& m) {
  m.def(
      "semivalue_sums",
      [](std::uintptr_t v_ptr, int n, In<double> c_, In<double> b_, std::uintptr_t stream) {
        const auto c = take(c_, "c"), b = take(b_, "b");
        check_players(n);
        check_length(c, n + 1, "c");
        check_length(b, n + 1, "b");
        py::array_t<double> A(n);
        double T = 0.0;
        double* a = A.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::semivalue_sums(as_table(v_ptr), n, c.data(), b.data(), a, &T, as_stream(stream));
        }
        return py::make_tuple(A, T);
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("c"), py::arg("b"), py::arg("stream") = 0,
      "A[i] = sum_{S∋i} c[|S|] v[S] and T = sum_S b[|S|] v[S] for a float64 device table\n"
      "v of length 2**n.");

  m.def(
      "max_excess",
      [](std::uintptr_t v_ptr, int n, In<double> x_, std::uintptr_t stream) {
        const auto x = take(x_, "x");
        check_players(n);
        check_length(x, n, "x");
        accord::coop::Excess e{};
        {
          py::gil_scoped_release release;
          e = gpu::max_excess(as_table(v_ptr), n, x.data(), as_stream(stream));
        }
        return py::make_tuple(e.value, e.mask);
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("x"), py::arg("stream") = 0,
      "(max over non-empty S of v[S] - x(S), lowest mask attaining it).");

  m.def(
      "permutations",
      [](int n, std::uint64_t seed, std::int64_t first, std::int64_t count, std::uintptr_t stream) {
        if (n < 1) throw std::invalid_argument("n must be >= 1");
        if (first < 0 || count < 0) throw std::invalid_argument("first and count must be >= 0");
        py::array_t<std::int32_t> out(
            std::vector<py::ssize_t>{static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(n)});
        std::int32_t* p = out.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::permutations(n, seed, first, count, p, as_stream(stream));
        }
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("stream") = 0,
      "int32 (count, n): the permutations with Philox stream ids first .. first + count - 1.");

  m.def(
      "permutation_sample_dense",
      [](std::uintptr_t v_ptr, int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
         bool antithetic, In<double> shift_, std::uintptr_t stream) {
        const auto shift = take(shift_, "shift");
        check_players(n);
        check_length(shift, n, "shift");
        Stats s(n, false);
        double *sp = s.sum.mutable_data(), *qp = s.sumsq.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::permutation_sample_dense(as_table(v_ptr), n, seed, first, count, antithetic,
                                        shift.data(), sp, qp, as_stream(stream));
        }
        return s.result();
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("seed"), py::arg("first"), py::arg("count"),
      py::arg("antithetic"), py::arg("shift"), py::arg("stream") = 0,
      "(sum, sum of squares) (n,) of the shifted marginal contributions of the sampled\n"
      "permutations.");

  m.def(
      "permutation_sample_voting",
      [](In<double> w_, double quota, std::uint64_t seed, std::int64_t first, std::int64_t count,
         bool antithetic, std::uintptr_t stream) {
        const auto w = take(w_, "w");
        const int n = players_of_weights(w);
        Stats s(n, false);
        double *sp = s.sum.mutable_data(), *qp = s.sumsq.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::permutation_sample_voting(w.data(), n, quota, seed, first, count, antithetic, sp, qp,
                                         as_stream(stream));
        }
        return s.result();
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("first"), py::arg("count"),
      py::arg("antithetic"), py::arg("stream") = 0,
      "(sum, sum of squares) (n,) of the pivot indicators of the sampled permutations.");

  m.def(
      "stratified_sample_dense",
      [](std::uintptr_t v_ptr, int n, std::uint64_t seed, std::int64_t per_stratum,
         std::int64_t first, std::int64_t count, In<double> shift_, std::uintptr_t stream) {
        const auto shift = take(shift_, "shift");
        check_players(n);
        check_length(shift, n, "shift");
        Stats s(n, true);
        double *sp = s.sum.mutable_data(), *qp = s.sumsq.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::stratified_sample_dense(as_table(v_ptr), n, seed, per_stratum, first, count,
                                       shift.data(), sp, qp, as_stream(stream));
        }
        return s.result();
      },
      py::arg("v_ptr"), py::arg("n"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"),
      py::arg("count"), py::arg("shift"), py::arg("stream") = 0,
      "(sum, sum of squares) (n, n) per stratum [player, size].");

  m.def(
      "stratified_sample_voting",
      [](In<double> w_, double quota, std::uint64_t seed, std::int64_t per_stratum,
         std::int64_t first, std::int64_t count, std::uintptr_t stream) {
        const auto w = take(w_, "w");
        const int n = players_of_weights(w);
        Stats s(n, true);
        double *sp = s.sum.mutable_data(), *qp = s.sumsq.mutable_data();
        {
          py::gil_scoped_release release;
          gpu::stratified_sample_voting(w.data(), n, quota, seed, per_stratum, first, count, sp, qp,
                                        as_stream(stream));
        }
        return s.result();
      },
      py::arg("w"), py::arg("quota"), py::arg("seed"), py::arg("per_stratum"), py::arg("first"),
      py::arg("count"), py::arg("stream") = 0,
      "(sum, sum of squares) (n, n) per stratum [player, size].");
}
