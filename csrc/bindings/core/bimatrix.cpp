// Bindings of the exact two-player Nash solvers (registered in accord._core.games).
#include <cmath>
#include <string>
#include <utility>

#include "../common.hpp"
#include "accord/bimatrix.hpp"

namespace py = pybind11;
using accord::bindings::carray;
using accord::bindings::In;
using accord::bindings::take;
namespace bm = accord::bimatrix;

namespace {

// (m, n) of the payoff matrices, checked: 2-D, same shape, non-empty, finite.
std::pair<int, int> bimatrix_shape(const char* func, const carray<double>& A,
                                   const carray<double>& B) {
  const std::string f = std::string(func) + "(): ";
  if (A.ndim() != 2 || B.ndim() != 2)
    throw std::invalid_argument(f + "A and B must be 2-D payoff matrices");
  if (A.shape(0) != B.shape(0) || A.shape(1) != B.shape(1))
    throw std::invalid_argument(f + "A and B must have the same shape; got (" +
                                std::to_string(A.shape(0)) + ", " + std::to_string(A.shape(1)) +
                                ") and (" + std::to_string(B.shape(0)) + ", " +
                                std::to_string(B.shape(1)) + ")");
  if (A.shape(0) < 1 || A.shape(1) < 1)
    throw std::invalid_argument(f + "each player needs at least one action; got shape (" +
                                std::to_string(A.shape(0)) + ", " + std::to_string(A.shape(1)) +
                                ")");
  if (A.shape(0) > (1 << 20) || A.shape(1) > (1 << 20))
    throw std::invalid_argument(f + "the game is too large");
  const int m = static_cast<int>(A.shape(0)), n = static_cast<int>(A.shape(1));
  try {
    bm::check_finite(A.data(), m, n, "A");
    bm::check_finite(B.data(), m, n, "B");
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(f + e.what());
  }
  return {m, n};
}

py::tuple to_arrays(const bm::Equilibria& e, int m, int n) {
  const auto c = static_cast<py::ssize_t>(e.count);
  py::array_t<double> X({c, static_cast<py::ssize_t>(m)}), Y({c, static_cast<py::ssize_t>(n)});
  std::copy(e.x.begin(), e.x.end(), X.mutable_data());
  std::copy(e.y.begin(), e.y.end(), Y.mutable_data());
  return py::make_tuple(X, Y, e.degenerate);
}

}  // namespace

void init_bimatrix(py::module_& m) {
  m.def(
      "lemke_howson",
      [](In<double> A_, In<double> B_, int label, std::int64_t max_pivots) {
        const auto A = take(A_, "A"), B = take(B_, "B");
        const auto [rows, cols] = bimatrix_shape("lemke_howson", A, B);
        if (label < 0 || label >= rows + cols)
          throw std::invalid_argument(
              "lemke_howson(): initial_dropped_label must be an integer in 0.." +
              std::to_string(rows + cols - 1) + " (0.." + std::to_string(rows - 1) +
              " the row player's actions, " + std::to_string(rows) + ".." +
              std::to_string(rows + cols - 1) + " the column player's); got " +
              std::to_string(label));
        py::array_t<double> x(rows), y(cols);
        double* px = x.mutable_data();
        double* py_ = y.mutable_data();
        {
          py::gil_scoped_release release;
          bm::lemke_howson(A.data(), B.data(), rows, cols, label, max_pivots, px, py_);
        }
        return py::make_tuple(x, y);
      },
      py::arg("A"), py::arg("B"), py::arg("label"), py::arg("max_pivots"),
      "One equilibrium by Lemke-Howson with lexicographic pivoting: (x, y).");

  m.def(
      "lemke_howson_all",
      [](In<double> A_, In<double> B_, std::int64_t max_pivots) {
        const auto A = take(A_, "A"), B = take(B_, "B");
        const auto [rows, cols] = bimatrix_shape("lemke_howson_all", A, B);
        bm::Equilibria e;
        {
          py::gil_scoped_release release;
          e = bm::lemke_howson_all(A.data(), B.data(), rows, cols, max_pivots, 0);
        }
        return to_arrays(e, rows, cols);
      },
      py::arg("A"), py::arg("B"), py::arg("max_pivots"),
      "Distinct equilibria reached from every dropped label: (X, Y, False).");

  m.def(
      "lemke_howson_batch",
      [](In<double> P_, In<std::int32_t> labels_, std::int64_t max_pivots, double rtol) {
        const auto P = take(P_, "payoffs");
        const auto labels = take(labels_, "labels");
        const std::string f = "lemke_howson_batch(): ";
        if (P.ndim() != 4 || P.shape(1) != 2 || P.shape(2) < 1 || P.shape(3) < 1)
          throw std::invalid_argument(f + "payoffs must have shape (games, 2, m, n), m, n >= 1");
        if (P.shape(2) > (1 << 20) || P.shape(3) > (1 << 20))
          throw std::invalid_argument(f + "the games are too large");
        const py::ssize_t games = P.shape(0);
        const int rows = static_cast<int>(P.shape(2)), cols = static_cast<int>(P.shape(3));
        if (labels.ndim() != 1 || labels.shape(0) != games)
          throw std::invalid_argument(f + "labels must have shape (" + std::to_string(games) +
                                      ",)");
        const double* p = P.data();
        const std::size_t size = static_cast<std::size_t>(P.size());
        for (std::size_t k = 0; k < size; ++k) {
          if (!std::isfinite(p[k])) {
            const std::size_t mn = static_cast<std::size_t>(rows) * cols;
            throw std::invalid_argument(
                f + "payoffs must be finite; entry (" + std::to_string(k / (2 * mn)) + ", " +
                std::to_string(k / mn % 2) + ", " + std::to_string(k % mn / cols) + ", " +
                std::to_string(k % cols) + ") is " + std::to_string(p[k]));
          }
        }
        py::array_t<double> X({games, static_cast<py::ssize_t>(rows)}),
            Y({games, static_cast<py::ssize_t>(cols)}), regret(games);
        py::array_t<std::int8_t> status(games);
        double* px = X.mutable_data();
        double* py_ = Y.mutable_data();
        double* pr = regret.mutable_data();
        std::int8_t* ps = status.mutable_data();
        try {
          py::gil_scoped_release release;
          bm::lemke_howson_batch(p, games, rows, cols, labels.data(), max_pivots, rtol, px, py_,
                                 pr, ps, 0);
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument(f + e.what());
        }
        return py::make_tuple(X, Y, regret, status);
      },
      py::arg("payoffs"), py::arg("labels"), py::arg("max_pivots"), py::arg("rtol"),
      "Lemke-Howson on each game of a (games, 2, m, n) batch: (X, Y, regret, status).");

  m.def(
      "support_enumeration",
      [](In<double> A_, In<double> B_) {
        const auto A = take(A_, "A"), B = take(B_, "B");
        const auto [rows, cols] = bimatrix_shape("support_enumeration", A, B);
        bm::Equilibria e;
        {
          py::gil_scoped_release release;
          e = bm::support_enumeration(A.data(), B.data(), rows, cols, 0);
        }
        return to_arrays(e, rows, cols);
      },
      py::arg("A"), py::arg("B"), "Equilibria on equal-size supports: (X, Y, degenerate).");

  m.def(
      "vertex_enumeration",
      [](In<double> A_, In<double> B_, std::int64_t max_bases) {
        const auto A = take(A_, "A"), B = take(B_, "B");
        const auto [rows, cols] = bimatrix_shape("vertex_enumeration", A, B);
        bm::Equilibria e;
        {
          py::gil_scoped_release release;
          e = bm::vertex_enumeration(A.data(), B.data(), rows, cols, max_bases, 0);
        }
        return to_arrays(e, rows, cols);
      },
      py::arg("A"), py::arg("B"), py::arg("max_bases"),
      "All extreme equilibria, each once: (X, Y, degenerate).");
}
