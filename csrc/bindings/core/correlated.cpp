// Bindings of the (coarse) correlated equilibrium kernels (accord._core.games).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common.hpp"
#include "accord/correlated.hpp"

namespace py = pybind11;
using accord::bindings::In;
using accord::bindings::take;
namespace games = accord::games;

namespace {

// Action counts of a payoff array of shape (B, n, k_1, ..., k_n) (batched=true) or
// (n, k_1, ..., k_n).
std::vector<std::int64_t> actions_of(const py::array& u, bool batched) {
  const py::ssize_t lead = batched ? 1 : 0;
  if (u.ndim() < lead + 2)
    throw std::invalid_argument("payoffs must have shape " + std::string(batched ? "(B, " : "(") +
                                "n, k_1, ..., k_n)");
  const py::ssize_t n = u.shape(lead);
  if (n != u.ndim() - lead - 1)
    throw std::invalid_argument("payoffs: the player axis must have length n_players");
  std::vector<std::int64_t> k(static_cast<std::size_t>(n));
  for (py::ssize_t i = 0; i < n; ++i) {
    k[i] = u.shape(lead + 1 + i);
    if (k[i] < 1) throw std::invalid_argument("every player needs at least one action");
  }
  return k;
}

// Checks dist (B', k_1, ..., k_n) against payoffs (B, n, k_1, ..., k_n), where B and B'
// are equal or one of them is 1 (shared by every game); returns max(B, B').
std::int64_t check_distribution(const py::array& u, const py::array& p,
                                const std::vector<std::int64_t>& k) {
  bool ok = p.ndim() == static_cast<py::ssize_t>(k.size()) + 1 &&
            (p.shape(0) == u.shape(0) || p.shape(0) == 1 || u.shape(0) == 1);
  for (std::size_t i = 0; ok && i < k.size(); ++i) ok = p.shape(1 + i) == k[i];
  if (!ok)
    throw std::invalid_argument(
        "dist must have shape (B, k_1, ..., k_n) matching payoffs (B, n, k_1, ..., k_n); "
        "either batch size may be 1");
  if (u.shape(0) < 1 || p.shape(0) < 1) throw std::invalid_argument("empty batch");
  return std::max<std::int64_t>(u.shape(0), p.shape(0));
}

// Elements between consecutive games of a batch, 0 for a shared array.
std::int64_t stride_of(const py::array& a) {
  return a.shape(0) == 1 ? 0 : static_cast<std::int64_t>(a.size() / a.shape(0));
}

}  // namespace

void init_correlated(py::module_& m) {
  m.def(
      "incentive_gains",
      [](In<double> payoffs, In<double> dist, bool coarse) {
        const auto u = take(payoffs, "payoffs"), p = take(dist, "dist");
        const auto k = actions_of(u, true);
        const std::int64_t B = check_distribution(u, p, k);
        const int n = static_cast<int>(k.size());
        const std::int64_t g = games::num_gains(n, k.data(), coarse);
        py::array_t<double> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(g)});
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          games::incentive_gains(u.data(), stride_of(u), p.data(), stride_of(p), B, n, k.data(),
                                 coarse, o);
        }
        return out;
      },
      py::arg("payoffs"), py::arg("dist"), py::arg("coarse"),
      "Incentive gains of B games (payoffs (B, n, k..), dist (B, k..)): per player a\n"
      "k_i x k_i matrix g[r, d] (CE) or a vector h[d] (coarse=True), concatenated.");

  m.def(
      "incentive_violation",
      [](In<double> payoffs, In<double> dist, bool coarse) {
        const auto u = take(payoffs, "payoffs"), p = take(dist, "dist");
        const auto k = actions_of(u, true);
        const std::int64_t B = check_distribution(u, p, k);
        py::array_t<double> out(static_cast<py::ssize_t>(B));
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          games::incentive_violation(u.data(), stride_of(u), p.data(), stride_of(p), B,
                                     static_cast<int>(k.size()), k.data(), coarse, o);
        }
        return out;
      },
      py::arg("payoffs"), py::arg("dist"), py::arg("coarse"),
      "Largest incentive gain of each of B games (>= 0).");

  m.def(
      "incentive_matrix",
      [](In<double> payoffs, bool coarse) {
        const auto u = take(payoffs, "payoffs");
        const auto k = actions_of(u, false);
        const int n = static_cast<int>(k.size());
        std::int64_t N = 1;
        for (auto ki : k) N *= ki;
        const std::int64_t rows = games::incentive_rows(n, k.data(), coarse);
        py::array_t<std::int64_t> indptr(static_cast<py::ssize_t>(rows + 1));
        std::int64_t* ip = indptr.mutable_data();
        {
          py::gil_scoped_release release;
          games::incentive_indptr(u.data(), n, k.data(), coarse, ip);
        }
        py::array_t<std::int32_t> indices(static_cast<py::ssize_t>(ip[rows]));
        py::array_t<double> data(static_cast<py::ssize_t>(ip[rows]));
        std::int32_t* ix = indices.mutable_data();
        double* dv = data.mutable_data();
        {
          py::gil_scoped_release release;
          games::incentive_fill(u.data(), n, k.data(), coarse, ip, ix, dv);
        }
        return py::make_tuple(
            indptr, indices, data,
            py::make_tuple(static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(N)));
      },
      py::arg("payoffs"), py::arg("coarse"),
      "CSR (indptr int64, indices int32, data, shape) of the incentive matrix of one game\n"
      "(payoffs (n, k..)): rows (i, r, d != r) for CE or (i, d) for coarse=True.");

  m.def(
      "incentive_lp",
      [](In<double> payoffs, bool coarse, bool egalitarian) {
        const auto u = take(payoffs, "payoffs");
        const auto k = actions_of(u, false);
        const int n = static_cast<int>(k.size());
        std::unique_ptr<games::IncentiveLp> lp;
        {
          py::gil_scoped_release release;
          lp = std::make_unique<games::IncentiveLp>(u.data(), n, k.data(), coarse, egalitarian);
        }
        py::array_t<std::int32_t> indptr(static_cast<py::ssize_t>(lp->rows() + 1));
        py::array_t<std::int32_t> indices(static_cast<py::ssize_t>(lp->nonzeros()));
        py::array_t<double> data(static_cast<py::ssize_t>(lp->nonzeros()));
        py::array_t<std::int64_t> kept(static_cast<py::ssize_t>(lp->kept()));
        std::int32_t* ip = indptr.mutable_data();
        std::int32_t* ix = indices.mutable_data();
        double* dv = data.mutable_data();
        std::int64_t* kp = kept.mutable_data();
        {
          py::gil_scoped_release release;
          lp->fill(ip, ix, dv, kp);
        }
        return py::make_tuple(indptr, indices, data, kept);
      },
      py::arg("payoffs"), py::arg("coarse"), py::arg("egalitarian"),
      "Row-wise LP matrix of one game (payoffs (n, k..)) for HiGHS: (indptr int32,\n"
      "indices int32, data, kept int64).  Its first len(kept) rows are the incentive rows\n"
      "kept[j] with a positive coefficient (the others hold for every p >= 0); then, with\n"
      "egalitarian=True, one row z - U_i . p per player over N + 1 columns (explicit zeros\n"
      "included); last the row sum p.");

  m.def(
      "correlated_equilibrium_batch",
      [](In<double> payoffs, int objective, bool coarse, std::int64_t max_pivots, double tol) {
        const auto u = take(payoffs, "payoffs");
        const auto k = actions_of(u, true);
        const int n = static_cast<int>(k.size());
        const py::ssize_t G = u.shape(0);
        const double* pu = u.data();
        for (py::ssize_t j = 0; j < u.size(); ++j)
          if (!std::isfinite(pu[j]))
            throw std::invalid_argument("payoffs must be finite; game " +
                                        std::to_string(j / (u.size() / std::max<py::ssize_t>(G, 1))) +
                                        " has " + std::to_string(pu[j]));
        std::vector<py::ssize_t> shape{G};
        for (auto ki : k) shape.push_back(static_cast<py::ssize_t>(ki));
        py::array_t<double> dist(shape), expected({G, static_cast<py::ssize_t>(n)}), viol(G);
        py::array_t<std::int8_t> status(G);
        double* pd = dist.mutable_data();
        double* pe = expected.mutable_data();
        double* pv = viol.mutable_data();
        std::int8_t* ps = status.mutable_data();
        {
          py::gil_scoped_release release;
          games::correlated_equilibrium_batch(pu, G, n, k.data(), objective, coarse, max_pivots,
                                              tol, pd, pe, pv, ps, 0);
        }
        return py::make_tuple(dist, expected, viol, status);
      },
      py::arg("payoffs"), py::arg("objective"), py::arg("coarse"), py::arg("max_pivots"),
      py::arg("tol"),
      "Optimal (C)CE of each of G games (G, n, k..) by dense simplex: (dist, expected,\n"
      "violation, status); objective: player index, -1 welfare, -2 egalitarian, -3 any.");
}
