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
using accord::bindings::take_writable;

namespace {

// The starting agreements of a V^0 round (coalition, action, share, each (D, n)) and
// the others' values (2^n, A) or none, checked, kept alive while a kernel reads them.
struct Starts {
  accord::bindings::carray<std::int64_t> coalition, action;
  accord::bindings::carray<double> share;
  std::optional<accord::bindings::carray<double>> others;

  Starts(std::int64_t n, std::int64_t A, const std::optional<In<double>>& others_,
         const In<std::int64_t>& coalition_, const In<std::int64_t>& action_,
         const In<double>& share_)
      : coalition(take(coalition_, "coalition")),
        action(take(action_, "action")),
        share(take(share_, "share")) {
    if (coalition.ndim() != 2 || coalition.shape(1) != n)
      throw std::invalid_argument("coalition must have shape (D, n)");
    const std::int64_t D = coalition.shape(0);
    expect_shape(action, {D, n}, "action");
    expect_shape(share, {D, n}, "share");
    if (others_) {
      others = take(*others_, "others");
      expect_shape(*others, {std::int64_t{1} << n, A}, "others");
    }
  }

  // The round's settings for `agent` (own, views and which left for the kernel).
  accord::coalition::OneStep step(std::int64_t n, std::int64_t A, int agent, bool restricted,
                                  double tol) const {
    return accord::coalition::OneStep{static_cast<int>(n), A,        0,
                                      agent,               nullptr,  others ? others->data() : nullptr,
                                      coalition.shape(0),  coalition.data(), action.data(),
                                      share.data(),        nullptr,  restricted,
                                      tol};
  }
};

}  // namespace

void init_coalition(py::module_& m) {
  m.def(
      "one_step_payoff",
      [](In<double> own_, std::optional<In<double>> others_, int agent, In<std::int64_t> coalition_,
         In<std::int64_t> action_, In<double> share_, In<std::int64_t> which_, bool restricted,
         double tol) {
        const auto own = take(own_, "own");
        const auto which = take(which_, "which");
        if (own.ndim() != 3) throw std::invalid_argument("own must have shape (Z, 2**n, A)");
        const std::int64_t Z = own.shape(0), M = own.shape(1), A = own.shape(2);
        const auto coalition = take(coalition_, "coalition");
        if (coalition.ndim() != 2) throw std::invalid_argument("coalition must have shape (D, n)");
        const std::int64_t n = coalition.shape(1);
        if (n < 1 || n > 20 || M != (std::int64_t{1} << n))
          throw std::invalid_argument("own must have 2**n rows for n <= 20 agents");
        const Starts starts(n, A, others_, coalition_, action_, share_);
        expect_shape(which, {Z}, "which");
        py::array_t<double> out(static_cast<py::ssize_t>(Z));
        accord::coalition::OneStep a = starts.step(n, A, agent, restricted, tol);
        a.views = Z;
        a.own = own.data();
        a.which = which.data();
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

  m.def(
      "revealed_payoffs",
      [](In<double> dist_, In<double> values_, In<std::int64_t> points_, int agent,
         In<std::int64_t> masks_, In<std::int64_t> vectors_, In<std::uint8_t> compute_,
         std::optional<In<double>> others_, In<std::int64_t> coalition_, In<std::int64_t> action_,
         In<double> share_, In<std::int64_t> which_, bool restricted, double tol) {
        const auto dist = take(dist_, "dist");
        const auto values = take(values_, "values");
        const auto points = take(points_, "points");
        const auto masks = take(masks_, "masks");
        const auto vectors = take(vectors_, "vectors");
        const auto compute = take(compute_, "compute");
        const auto which = take(which_, "which");
        if (dist.ndim() != 2) throw std::invalid_argument("dist must have shape (2**n, L)");
        if (values.ndim() != 3) throw std::invalid_argument("values must have shape (2**n, A, L)");
        if (points.ndim() != 2) throw std::invalid_argument("points must have shape (n, k_max)");
        if (vectors.ndim() != 3) throw std::invalid_argument("vectors must have shape (R, T, m)");
        const std::int64_t M = dist.shape(0), L = dist.shape(1), A = values.shape(1);
        const std::int64_t n = points.shape(0), K = points.shape(1);
        const std::int64_t R = vectors.shape(0), T = vectors.shape(1), m = vectors.shape(2);
        if (n < 1 || n > 20 || M != (std::int64_t{1} << n))
          throw std::invalid_argument("dist must have 2**n rows for n <= 20 agents");
        const Starts starts(n, A, others_, coalition_, action_, share_);
        expect_shape(values, {M, A, L}, "values");
        expect_shape(masks, {R}, "masks");
        expect_shape(compute, {R, T}, "compute");
        expect_shape(which, {R, A}, "which");
        py::array_t<double> out({static_cast<py::ssize_t>(R), static_cast<py::ssize_t>(A),
                                 static_cast<py::ssize_t>(T)});
        const accord::coalition::OneStep step = starts.step(n, A, agent, restricted, tol);
        accord::coalition::Revealed r{step,          L,          dist.data(), values.data(),
                                      K,             points.data(), R,        masks.data(),
                                      T,             m,          vectors.data(), compute.data(),
                                      which.data()};
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          accord::coalition::revealed_payoffs(r, o);
        }
        return out;
      },
      py::arg("dist"), py::arg("values"), py::arg("points"), py::arg("agent"), py::arg("masks"),
      py::arg("vectors"), py::arg("compute"), py::arg("others"), py::arg("coalition"),
      py::arg("action"), py::arg("share"), py::arg("which"), py::arg("restricted"),
      py::arg("tol"),
      "(R, A, T): V^0 (Chalkiadakis & Boutilier 2012, Eq. 9, Sec. 4.6) of the belief states\n"
      "with type vector t of masks[r]'s other members revealed, the round starting from\n"
      "agreement which[r, a]; through a type statistic (totals of points).");

  m.def(
      "revealed_payoffs_vectors",
      [](In<double> local_probs_, In<std::int64_t> offset_, In<std::int64_t> unknown_,
         In<double> values_, int agent, std::int64_t actions, In<std::int64_t> masks_,
         In<std::int64_t> vectors_, In<std::uint8_t> compute_, std::optional<In<double>> others_,
         In<std::int64_t> coalition_, In<std::int64_t> action_, In<double> share_,
         In<std::int64_t> which_, bool restricted, double tol) {
        const auto local_probs = take(local_probs_, "local_probs");
        const auto offset = take(offset_, "offset");
        const auto unknown = take(unknown_, "unknown");
        const auto values = take(values_, "values");
        const auto masks = take(masks_, "masks");
        const auto vectors = take(vectors_, "vectors");
        const auto compute = take(compute_, "compute");
        const auto which = take(which_, "which");
        if (local_probs.ndim() != 2)
          throw std::invalid_argument("local_probs must have shape (n, k_max)");
        if (values.ndim() != 1) throw std::invalid_argument("values must be 1-d");
        if (vectors.ndim() != 3) throw std::invalid_argument("vectors must have shape (R, T, m)");
        const std::int64_t n = local_probs.shape(0), K = local_probs.shape(1);
        if (n < 2 || n > 20) throw std::invalid_argument("need 2 <= n <= 20 agents");
        const std::int64_t M = std::int64_t{1} << n, A = actions;
        if (A < 1) throw std::invalid_argument("actions must be >= 1");
        const std::int64_t R = vectors.shape(0), T = vectors.shape(1), m = vectors.shape(2);
        const Starts starts(n, A, others_, coalition_, action_, share_);
        expect_shape(offset, {M}, "offset");
        expect_shape(unknown, {M, n - 1}, "unknown");
        expect_shape(masks, {R}, "masks");
        expect_shape(compute, {R, T}, "compute");
        expect_shape(which, {R, A}, "which");
        py::array_t<double> out({static_cast<py::ssize_t>(R), static_cast<py::ssize_t>(A),
                                 static_cast<py::ssize_t>(T)});
        const accord::coalition::OneStep step = starts.step(n, A, agent, restricted, tol);
        accord::coalition::RevealedVectors r{step,          K,              local_probs.data(),
                                             offset.data(), unknown.data(), values.shape(0),
                                             values.data(), R,              masks.data(),
                                             T,             m,              vectors.data(),
                                             compute.data(), which.data()};
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          accord::coalition::revealed_payoffs_vectors(r, o);
        }
        return out;
      },
      py::arg("local_probs"), py::arg("offset"), py::arg("unknown"), py::arg("values"),
      py::arg("agent"), py::arg("actions"), py::arg("masks"), py::arg("vectors"),
      py::arg("compute"), py::arg("others"), py::arg("coalition"), py::arg("action"),
      py::arg("share"), py::arg("which"), py::arg("restricted"), py::arg("tol"),
      "(R, A, T): revealed_payoffs for coalition values given as tables over the type\n"
      "vectors of each coalition's other members (no type statistic).");

  m.def(
      "lookahead_values",
      [](In<double> beliefs_, In<double> dist_, In<double> probs_, In<std::int64_t> points_,
         In<double> next_dist_, In<double> next_values_, In<std::int64_t> next_points_, int agent,
         In<std::int64_t> masks_, std::optional<In<double>> others_, In<std::int64_t> coalition_,
         In<std::int64_t> action_, In<double> share_, In<std::int64_t> which_, bool restricted,
         double tol, double min_prob) {
        const auto beliefs = take(beliefs_, "beliefs");
        const auto dist = take(dist_, "dist");
        const auto probs = take(probs_, "probs");
        const auto points = take(points_, "points");
        const auto next_dist = take(next_dist_, "next_dist");
        const auto next_values = take(next_values_, "next_values");
        const auto next_points = take(next_points_, "next_points");
        const auto masks = take(masks_, "masks");
        const auto which = take(which_, "which");
        if (beliefs.ndim() != 2) throw std::invalid_argument("beliefs must have shape (n, K)");
        if (probs.ndim() != 4) throw std::invalid_argument("probs must have shape (2**n, A, O, L)");
        if (next_values.ndim() != 3)
          throw std::invalid_argument("next_values must have shape (2**n, A, L')");
        if (masks.ndim() != 1) throw std::invalid_argument("masks must be 1-d");
        const std::int64_t n = beliefs.shape(0), K = beliefs.shape(1);
        const std::int64_t M = probs.shape(0), A = probs.shape(1), O = probs.shape(2);
        const std::int64_t L = probs.shape(3), L2 = next_values.shape(2);
        const std::int64_t R = masks.shape(0);
        if (n < 1 || n > 20 || M != (std::int64_t{1} << n))
          throw std::invalid_argument("probs must have 2**n rows for n <= 20 agents");
        const Starts starts(n, A, others_, coalition_, action_, share_);
        expect_shape(dist, {M, L}, "dist");
        expect_shape(points, {K}, "points");
        expect_shape(next_values, {M, A, L2}, "next_values");
        expect_shape(next_dist, {M, L2}, "next_dist");
        expect_shape(next_points, {K}, "next_points");
        expect_shape(which, {R, A}, "which");
        py::array_t<double> out({static_cast<py::ssize_t>(R), static_cast<py::ssize_t>(A)});
        const accord::coalition::OneStep step = starts.step(n, A, agent, restricted, tol);
        accord::coalition::Lookahead a{step,          K,           beliefs.data(), O,
                                       L,             dist.data(), probs.data(),   points.data(),
                                       L2,            next_dist.data(), next_values.data(),
                                       next_points.data(),
                                       R,             masks.data(), which.data(),  min_prob};
        double* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          accord::coalition::lookahead_values(a, o);
        }
        return out;
      },
      py::arg("beliefs"), py::arg("dist"), py::arg("probs"), py::arg("points"),
      py::arg("next_dist"), py::arg("next_values"), py::arg("next_points"), py::arg("agent"), py::arg("masks"),
      py::arg("others"), py::arg("coalition"), py::arg("action"), py::arg("share"),
      py::arg("which"), py::arg("restricted"), py::arg("tol"), py::arg("min_prob"),
      "(R, A): W_i(S, a) = sum_o Pr_i(o | S, a) V^0_i(B^{o,S,a})\n"
      "(Chalkiadakis & Boutilier 2012, Eqs. 8-10) through type statistics, the round\n"
      "starting from agreement which[r, a].");

  m.def(
      "form_proposals",
      [](In<double> base_, int agent, In<std::int64_t> coalition_, In<std::int64_t> action_,
         In<double> demand_, In<std::int64_t> masks_, In<std::int64_t> actions_,
         In<double> shares_) {
        const auto base = take(base_, "base");
        if (base.ndim() != 3) throw std::invalid_argument("base must have shape (n, 2**n, A)");
        const std::int64_t n = base.shape(0), M = base.shape(1), A = base.shape(2);
        if (n < 1 || n > 20 || M != (std::int64_t{1} << n))
          throw std::invalid_argument("base must have shape (n, 2**n, A) for n <= 20 agents");
        const auto coalition = take(coalition_, "coalition");
        const auto action = take(action_, "action");
        const auto demand = take(demand_, "demand");
        const auto masks = take(masks_, "masks");
        const auto actions = take(actions_, "actions");
        const auto shares = take(shares_, "shares");
        expect_shape(coalition, {n}, "coalition");
        expect_shape(action, {n}, "action");
        expect_shape(demand, {n}, "demand");
        if (masks.ndim() != 1) throw std::invalid_argument("masks must be 1-d");
        const std::int64_t D = masks.shape(0);
        expect_shape(actions, {D}, "actions");
        expect_shape(shares, {D}, "shares");
        py::array_t<std::int64_t> out_c({static_cast<py::ssize_t>(D), static_cast<py::ssize_t>(n)});
        py::array_t<std::int64_t> out_a({static_cast<py::ssize_t>(D), static_cast<py::ssize_t>(n)});
        py::array_t<double> out_r({static_cast<py::ssize_t>(D), static_cast<py::ssize_t>(n)});
        accord::coalition::Proposals a{static_cast<int>(n), A,           base.data(),
                                       agent,               coalition.data(), action.data(),
                                       demand.data(),       D,           masks.data(),
                                       actions.data(),      shares.data()};
        std::int64_t* c = out_c.mutable_data();
        std::int64_t* ac = out_a.mutable_data();
        double* r = out_r.mutable_data();
        {
          py::gil_scoped_release release;
          accord::coalition::form_proposals(a, c, ac, r);
        }
        return py::make_tuple(out_c, out_a, out_r);
      },
      py::arg("base"), py::arg("agent"), py::arg("coalition"), py::arg("action"),
      py::arg("demand"), py::arg("masks"), py::arg("actions"), py::arg("shares"),
      "(coalition, action, relative demand), each (D, n): the agreements the agent's\n"
      "proposals (masks[d], actions[d]) form when accepted (best reply,\n"
      "Chalkiadakis & Boutilier 2012, Sec. 3.3).");

  m.def(
      "negotiate",
      [](In<double> base_, std::optional<In<double>> offset_, std::optional<In<double>> dist_,
         std::optional<In<double>> cells_, std::optional<In<double>> cell_offset_,
         std::optional<In<double>> best_,
         std::optional<In<double>> second_, std::optional<In<std::int64_t>> best_mask_,
         std::optional<In<std::int64_t>> best_action_, In<std::int64_t> proposer_,
         In<double> draws_, double epsilon, bool restricted, double tol,
         In<std::int64_t> coalition_, In<std::int64_t> action_, In<double> demand_,
         std::optional<In<std::int64_t>> row_start_, std::optional<In<std::int64_t>> row_width_,
         bool lazy, std::int64_t first_round) {
        const auto base = take(base_, "base");
        if (base.ndim() != 3) throw std::invalid_argument("base must have shape (n, 2**n, A)");
        const std::int64_t n = base.shape(0), M = base.shape(1), A = base.shape(2);
        if (n < 1 || n > 20 || M != (std::int64_t{1} << n))
          throw std::invalid_argument("base must have shape (n, 2**n, A) for n <= 20 agents");
        std::optional<accord::bindings::carray<double>> offset;
        if (offset_) {
          offset = take(*offset_, "offset");
          expect_shape(*offset, {n, M, A}, "offset");
        }
        const bool vpi = dist_.has_value();
        if (vpi != cells_.has_value() || vpi != best_.has_value() ||
            vpi != second_.has_value() || vpi != best_mask_.has_value() ||
            vpi != best_action_.has_value())
          throw std::invalid_argument(
              "dist, cells, best, second, best_mask and best_action come together (VPI) or "
              "not at all");
        std::optional<accord::bindings::carray<double>> dist, cells, cell_offset, best, second;
        if (cell_offset_ && !vpi)
          throw std::invalid_argument("cell_offset needs the VPI cells (dist, cells, ...)");
        const bool compact = row_start_.has_value();
        if (compact != row_width_.has_value() || (compact && !vpi))
          throw std::invalid_argument(
              "row_start and row_width come together, with the VPI cells, or not at all");
        std::optional<accord::bindings::carray<std::int64_t>> best_mask, best_action, row_start,
            row_width;
        std::int64_t W = 0, stride = 0;
        if (vpi) {
          dist = take(*dist_, "dist");
          cells = take(*cells_, "cells");
          if (cell_offset_) cell_offset = take(*cell_offset_, "cell_offset");
          if (compact) {
            // row (k, S): dist[start : start + w], cells[A start + b w : ...]
            row_start = take(*row_start_, "row_start");
            row_width = take(*row_width_, "row_width");
            expect_shape(*row_start, {n, M}, "row_start");
            expect_shape(*row_width, {n, M}, "row_width");
            if (dist->ndim() != 1) throw std::invalid_argument("compact dist must be 1-d (N,)");
            const std::int64_t N = dist->shape(0);
            expect_shape(*cells, {A * N}, "cells");
            if (cell_offset) expect_shape(*cell_offset, {A * N}, "cell_offset");
            for (std::int64_t q = 0; q < n * M; ++q) {
              const std::int64_t st = row_start->data()[q], w = row_width->data()[q];
              if (st == -1 && lazy) continue;
              if (st < 0 || w < 0 || w > N - st)
                throw std::invalid_argument(
                    "row_start and row_width must place every row's cells inside dist (-1: "
                    "not computed, with lazy)");
            }
          } else {
            if (dist->ndim() != 3)
              throw std::invalid_argument("dist must have shape (n, 2**n, W)");
            W = dist->shape(2);
            expect_shape(*dist, {n, M, W}, "dist");
            if (cells->ndim() != 4 || (cells->shape(0) != 1 && cells->shape(0) != n))
              throw std::invalid_argument("cells must have shape (n or 1, 2**n, A, W)");
            expect_shape(*cells, {cells->shape(0), M, A, W}, "cells");
            stride = cells->shape(0) == 1 ? 0 : M * A * W;
            if (cell_offset) expect_shape(*cell_offset, {n, M, A, W}, "cell_offset");
          }
          best = take(*best_, "best");
          second = take(*second_, "second");
          best_mask = take(*best_mask_, "best_mask");
          best_action = take(*best_action_, "best_action");
          expect_shape(*best, {n}, "best");
          expect_shape(*second, {n}, "second");
          expect_shape(*best_mask, {n}, "best_mask");
          expect_shape(*best_action, {n}, "best_action");
        }
        const auto proposer = take(proposer_, "proposer");
        const auto draws = take(draws_, "draws");
        if (proposer.ndim() != 1) throw std::invalid_argument("proposer must be 1-d");
        const std::int64_t rounds = proposer.shape(0);
        expect_shape(draws, {rounds, 3}, "draws");
        auto coalition = take_writable(coalition_, "coalition");
        auto action = take_writable(action_, "action");
        auto demand = take_writable(demand_, "demand");
        expect_shape(coalition, {n}, "coalition");
        expect_shape(action, {n}, "action");
        expect_shape(demand, {n}, "demand");
        accord::coalition::Negotiation a{static_cast<int>(n),
                                         A,
                                         base.data(),
                                         offset ? offset->data() : nullptr,
                                         W,
                                         vpi ? dist->data() : nullptr,
                                         vpi ? cells->data() : nullptr,
                                         stride,
                                         cell_offset ? cell_offset->data() : nullptr,
                                         vpi ? best->data() : nullptr,
                                         vpi ? second->data() : nullptr,
                                         vpi ? best_mask->data() : nullptr,
                                         vpi ? best_action->data() : nullptr,
                                         rounds,
                                         proposer.data(),
                                         draws.data(),
                                         epsilon,
                                         restricted,
                                         tol,
                                         compact ? row_start->data() : nullptr,
                                         compact ? row_width->data() : nullptr,
                                         lazy,
                                         first_round};
        std::int64_t* c = coalition.mutable_data();
        std::int64_t* ac = action.mutable_data();
        double* d = demand.mutable_data();
        std::vector<std::int64_t> missing;
        std::int64_t done;
        {
          py::gil_scoped_release release;
          done = accord::coalition::negotiate(a, c, ac, d, missing);
        }
        const auto P = static_cast<std::int64_t>(missing.size());
        py::array_t<std::int64_t> rows(std::vector<py::ssize_t>{P, 2});
        std::int64_t* o = rows.mutable_data();
        for (std::int64_t q = 0; q < P; ++q) {
          o[2 * q] = missing[q] / M;
          o[2 * q + 1] = missing[q] % M;
        }
        return py::make_tuple(done, rows);
      },
      py::arg("base"), py::arg("offset"), py::arg("dist"), py::arg("cells"),
      py::arg("cell_offset"), py::arg("best"),
      py::arg("second"), py::arg("best_mask"), py::arg("best_action"), py::arg("proposer"),
      py::arg("draws"), py::arg("epsilon"), py::arg("restricted"), py::arg("tol"),
      py::arg("coalition"), py::arg("action"), py::arg("demand"),
      py::arg("row_start") = py::none(), py::arg("row_width") = py::none(),
      py::arg("lazy") = false, py::arg("first_round") = 0,
      "One stage's best-reply negotiation (Chalkiadakis & Boutilier 2012, Sec. 3.3) over\n"
      "frozen values; the agreement (coalition, action, demand) is updated in place.\n"
      "Returns (rounds done, missing rows (P, 2) of (agent, mask)): with lazy, NaN offsets\n"
      "and row_start -1 mark rows not computed yet, and the loop stops at the first round\n"
      "that needs one, before changing the agreement; compute them and resume there.");
}
