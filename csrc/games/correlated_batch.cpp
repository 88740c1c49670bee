// Optimal (coarse) correlated equilibria of many small games: one dense simplex per game.
//
// The LP of game g on payoffs scaled to max |u| = 1 (Papadimitriou & Roughgarden 2008):
//   max c . p   s.t.  M p <= 0 (incentive rows with a positive coefficient),
//                     [egalitarian] z - (U_i - lo) . p <= 0 for every player i,
//                     sum p <= 1,  p >= 0 (and z >= 0).
// The objective is shifted so that every coefficient of p is at least 1 (c - min c + 1;
// for the egalitarian objective p gets 1 and z gets 1): the constraint rows are homogeneous,
// so any feasible point with sum p < 1 scales up to a better one, the optimum has
// sum p = 1, and on that hyperplane the shift is a constant.  The slack basis is feasible.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "accord/correlated.hpp"
#include "accord/interrupt.hpp"
#include "accord/runtime.hpp"

namespace accord::games {

namespace {

constexpr double kPivotTol = 1e-9;    // smallest pivot element (scaled tableau)
constexpr double kCostTol = 1e-11;    // a reduced cost above this improves the objective

struct PivotLimit {};
struct LostFeasibility {};

// A dense simplex tableau reused across the games of one thread.
class Simplex {
 public:
  Simplex(int n, const std::vector<std::int64_t>& k, bool coarse, int objective)
      : n_(n), k_(k), coarse_(coarse), objective_(objective) {
    N_ = 1;
    for (auto v : k_) N_ *= v;
    stride_.assign(n_, 1);
    for (int i = n_ - 2; i >= 0; --i) stride_[i] = stride_[i + 1] * k_[i + 1];
    for (int i = 0; i < n_; ++i) all_rows_ += coarse_ ? k_[i] : k_[i] * (k_[i] - 1);
    egal_ = objective_ == kObjectiveEgalitarian;
    nx_ = N_ + (egal_ ? 1 : 0);
    incentive_.resize(static_cast<std::size_t>(all_rows_ * N_));
  }

  // Solves the game with (unscaled) payoffs u (n, N); writes p (N) and returns the
  // largest incentive gain of the clipped, normalised solution (payoff units).
  double solve(const double* u, std::int64_t max_pivots, double* p) {
    double scale = 0.0;
    for (std::int64_t j = 0; j < n_ * N_; ++j) scale = std::max(scale, std::abs(u[j]));
    if (scale == 0.0) scale = 1.0;
    build_rows(u, scale);
    load(u, scale);
    run(max_pivots);
    std::fill(p, p + N_, 0.0);
    for (std::int64_t r = 0; r < rows_; ++r)
      if (basis_[r] < N_) p[basis_[r]] = std::max(0.0, T(r, cols_));
    double total = 0.0;
    for (std::int64_t j = 0; j < N_; ++j) total += p[j];
    if (!(total > 0.5)) throw LostFeasibility{};
    for (std::int64_t j = 0; j < N_; ++j) p[j] /= total;
    // the largest gain over every incentive row (the dropped ones included), unscaled
    double worst = 0.0;
    for (std::int64_t r = 0; r < all_rows_; ++r) {
      const double* row = &incentive_[static_cast<std::size_t>(r * N_)];
      double g = 0.0;
      for (std::int64_t j = 0; j < N_; ++j) g += row[j] * p[j];
      worst = std::max(worst, g);
    }
    return worst * scale;
  }

 private:
  double& T(std::int64_t r, std::int64_t c) {
    return tab_[static_cast<std::size_t>(r * width_ + c)];
  }

  // Dense incentive rows of every (i, r, d != r) (CE) or (i, d) (CCE) on scaled payoffs.
  void build_rows(const double* u, double scale) {
    std::fill(incentive_.begin(), incentive_.end(), 0.0);
    std::int64_t row = 0;
    for (int i = 0; i < n_; ++i) {
      const double* ui = u + i * N_;
      const std::int64_t ki = k_[i], si = stride_[i];
      if (coarse_) {
        for (std::int64_t d = 0; d < ki; ++d, ++row) {
          double* out = &incentive_[static_cast<std::size_t>(row * N_)];
          for (std::int64_t a = 0; a < N_; ++a) {
            const std::int64_t ai = a / si % ki;
            out[a] = (ui[a + (d - ai) * si] - ui[a]) / scale;
          }
        }
      } else {
        for (std::int64_t r = 0; r < ki; ++r)
          for (std::int64_t d = 0; d < ki; ++d) {
            if (d == r) continue;
            double* out = &incentive_[static_cast<std::size_t>(row * N_)];
            for (std::int64_t a = 0; a < N_; ++a)
              if (a / si % ki == r) out[a] = (ui[a + (d - r) * si] - ui[a]) / scale;
            ++row;
          }
      }
    }
  }

  void load(const double* u, double scale) {
    kept_.clear();
    for (std::int64_t r = 0; r < all_rows_; ++r) {
      const double* row = &incentive_[static_cast<std::size_t>(r * N_)];
      if (std::any_of(row, row + N_, [](double v) { return v > 0.0; })) kept_.push_back(r);
    }
    const std::int64_t kept = static_cast<std::int64_t>(kept_.size());
    rows_ = kept + (egal_ ? n_ : 0) + 1;
    cols_ = nx_ + rows_;  // the rhs is column cols_
    width_ = cols_ + 1;
    tab_.assign(static_cast<std::size_t>((rows_ + 1) * width_), 0.0);
    basis_.resize(static_cast<std::size_t>(rows_));
    for (std::int64_t r = 0; r < kept; ++r) {
      const double* row = &incentive_[static_cast<std::size_t>(kept_[r] * N_)];
      std::copy(row, row + N_, &T(r, 0));
    }
    double lo = 0.0;  // smallest scaled payoff: z' = z - lo >= 0
    if (egal_) {
      lo = std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < n_ * N_; ++j) lo = std::min(lo, u[j] / scale);
      for (int i = 0; i < n_; ++i) {
        const std::int64_t r = kept + i;
        for (std::int64_t a = 0; a < N_; ++a) T(r, a) = -(u[i * N_ + a] / scale - lo);
        T(r, N_) = 1.0;
      }
    }
    const std::int64_t last = rows_ - 1;
    for (std::int64_t a = 0; a < N_; ++a) T(last, a) = 1.0;
    T(last, cols_) = 1.0;
    for (std::int64_t r = 0; r < rows_; ++r) {
      T(r, nx_ + r) = 1.0;
      basis_[r] = nx_ + r;
    }
    // objective row: reduced costs c_j (all >= 1 on p), value in the rhs column
    const std::int64_t obj = rows_;
    if (egal_) {
      for (std::int64_t a = 0; a < N_; ++a) T(obj, a) = 1.0;
      T(obj, N_) = 1.0;
      return;
    }
    std::vector<double>& c = cost_;
    c.assign(static_cast<std::size_t>(N_), 0.0);
    if (objective_ == kObjectiveWelfare) {
      for (int i = 0; i < n_; ++i)
        for (std::int64_t a = 0; a < N_; ++a) c[a] += u[i * N_ + a] / scale;
    } else if (objective_ >= 0) {
      for (std::int64_t a = 0; a < N_; ++a) c[a] = u[objective_ * N_ + a] / scale;
    }
    const double cmin = *std::min_element(c.begin(), c.end());
    for (std::int64_t a = 0; a < N_; ++a) T(obj, a) = c[a] - cmin + 1.0;
  }

  void pivot(std::int64_t pr, std::int64_t pc) {
    double* prow = &T(pr, 0);
    const double inv = 1.0 / prow[pc];
    for (std::int64_t c = 0; c < width_; ++c) prow[c] *= inv;
    prow[pc] = 1.0;
    for (std::int64_t r = 0; r <= rows_; ++r) {
      if (r == pr) continue;
      double* row = &T(r, 0);
      const double f = row[pc];
      if (f == 0.0) continue;
      for (std::int64_t c = 0; c < width_; ++c) row[c] -= f * prow[c];
      row[pc] = 0.0;
    }
    basis_[pr] = pc;
  }

  // Lexicographic ratio test (Dantzig, Orden & Wolfe 1955): among rows tied on the
  // ratio rhs / a, compare the rows of B^-1 (the slack columns, as the start basis is the
  // identity) divided by a, so that no basis repeats however degenerate the LP is.
  bool lex_less(std::int64_t r, std::int64_t s, std::int64_t enter) {
    const double ar = T(r, enter), as = T(s, enter);
    for (std::int64_t c = nx_; c < cols_; ++c) {
      const double x = T(r, c) / ar, y = T(s, c) / as;
      if (x < y - 1e-12) return true;
      if (x > y + 1e-12) return false;
    }
    return basis_[r] < basis_[s];
  }

  void run(std::int64_t max_pivots) {
    for (std::int64_t it = 0;; ++it) {
      const double* obj = &T(rows_, 0);
      std::int64_t enter = -1;
      double best = kCostTol;
      for (std::int64_t c = 0; c < cols_; ++c) {
        if (obj[c] > best) {
          enter = c;
          best = obj[c];
        }
      }
      if (enter < 0) return;  // optimal
      if (it >= max_pivots) throw PivotLimit{};
      std::int64_t leave = -1;
      double ratio = std::numeric_limits<double>::infinity();
      for (std::int64_t r = 0; r < rows_; ++r) {
        const double a = T(r, enter);
        if (a <= kPivotTol) continue;
        const double q = std::max(0.0, T(r, cols_)) / a;
        if (leave < 0 || q < ratio - 1e-13) {
          ratio = q;
          leave = r;
        } else if (q <= ratio + 1e-13 && lex_less(r, leave, enter)) {
          ratio = std::min(ratio, q);
          leave = r;
        }
      }
      // every column is bounded by sum p <= 1 (and z' by the payoff range)
      if (leave < 0) throw LostFeasibility{};
      pivot(leave, enter);
    }
  }

  int n_;
  std::vector<std::int64_t> k_, stride_;
  bool coarse_;
  int objective_;
  bool egal_ = false;
  std::int64_t N_ = 1, nx_ = 0, all_rows_ = 0, rows_ = 0, cols_ = 0, width_ = 0;
  std::vector<double> incentive_, cost_, tab_;
  std::vector<std::int64_t> kept_, basis_;
};

}  // namespace

void correlated_equilibrium_batch(const double* payoffs, std::int64_t games, int n,
                                  const std::int64_t* actions, int objective, bool coarse,
                                  std::int64_t max_pivots, double tol, double* dist,
                                  double* expected, double* violation, std::int8_t* status,
                                  int threads) {
  if (n < 1) throw std::invalid_argument("a game needs at least one player");
  if (objective >= n || objective < kObjectiveFeasibility)
    throw std::invalid_argument("objective must be a player index or an objective code");
  std::vector<std::int64_t> k(actions, actions + n);
  std::int64_t N = 1;
  for (auto v : k) {
    if (v < 1) throw std::invalid_argument("every player needs at least one action");
    N *= v;
  }
  const std::size_t stride = static_cast<std::size_t>(n * N);
  if (threads < 1) threads = games * N * N >= 20000 ? accord::get_num_threads() : 1;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  Cancel cancel;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    Simplex lp(n, k, coarse, objective);
#pragma omp for schedule(dynamic, 8)
    for (std::int64_t g = 0; g < games; ++g) {
      if (cancel.poll()) continue;
      const double* u = payoffs + g * stride;
      double* p = dist + g * N;
      double* e = expected + g * n;
      std::int8_t s = kLpOptimal;
      double v = nan;
      try {
        v = lp.solve(u, max_pivots, p);
        double scale = 0.0;
        for (std::size_t j = 0; j < stride; ++j) scale = std::max(scale, std::abs(u[j]));
        if (!(v <= tol * std::max(scale, 1e-300))) s = kLpNotVerified;
      } catch (const PivotLimit&) {
        s = kLpPivotLimit;
      } catch (const LostFeasibility&) {
        s = kLpNumericalFailure;
      }
      if (s == kLpOptimal) {
        for (int i = 0; i < n; ++i) {
          double t = 0.0;
          for (std::int64_t a = 0; a < N; ++a) t += u[i * N + a] * p[a];
          e[i] = t;
        }
      } else {
        std::fill(p, p + N, nan);
        std::fill(e, e + n, nan);
        if (s != kLpNotVerified) v = nan;
      }
      violation[g] = v;
      status[g] = s;
    }
  }
  cancel.check();
}

}  // namespace accord::games
