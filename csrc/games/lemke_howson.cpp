// Lemke-Howson complementary pivoting with the lexicographic minimum-ratio test.
//
// Lemke & Howson (1964), "Equilibrium points of bimatrix games", J. SIAM 12(2);
// in the tableau form of von Stengel (2007), Algorithmic Game Theory ch. 3,
// Sec. 3.5 (complementary pivoting) and Sec. 3.6 (degeneracy: the lexicographic
// rule).  Both tableaux index their columns by label, so the variable that leaves
// one tableau names the column that enters the other.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "accord/bimatrix.hpp"
#include "accord/interrupt.hpp"
#include "accord/runtime.hpp"

namespace accord::bimatrix {

void check_finite(const double* M, int m, int n, const char* name) {
  const std::size_t size = static_cast<std::size_t>(m) * n;
  for (std::size_t k = 0; k < size; ++k) {
    if (!std::isfinite(M[k]))
      throw std::invalid_argument(std::string(name) + " must be finite; entry (" +
                                  std::to_string(k / n) + ", " + std::to_string(k % n) +
                                  ") is " + std::to_string(M[k]));
  }
}

// The row operations dominate Lemke-Howson and the vertex search; without
// -march=native they would be compiled for SSE2 only, so the pivot is cloned for
// AVX2 and AVX-512 and chosen at load time (GCC/Clang ifunc on x86-64 Linux).
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define ACCORD_PIVOT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ACCORD_PIVOT_CLONES
#endif

namespace detail {

ACCORD_PIVOT_CLONES
void pivot(double* T, int rows, int ld, int r, int e) {
  double* __restrict pr = T + static_cast<std::size_t>(r) * ld;
  const double inv = 1.0 / pr[e];
  for (int j = 0; j < ld; ++j) pr[j] *= inv;
  pr[e] = 1.0;
  for (int i = 0; i < rows; ++i) {
    if (i == r) continue;
    double* __restrict pi = T + static_cast<std::size_t>(i) * ld;
    const double f = pi[e];
    if (f == 0.0) continue;
    for (int j = 0; j < ld; ++j) pi[j] -= f * pr[j];
    pi[e] = 0.0;
  }
}

}  // namespace detail

namespace {

// The path ran past max_pivots (never in exact arithmetic).
struct PivotLimit : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Condensed pivot (Tucker 1960) of the rows x ld tableau T on (r, c): basic row r
// and nonbasic column c exchange their variables; column ld-1 is the rhs.
ACCORD_PIVOT_CLONES
void condensed_pivot(double* T, int rows, int ld, int r, int c) {
  double* __restrict pr = T + static_cast<std::size_t>(r) * ld;
  const double inv = 1.0 / pr[c];
  for (int j = 0; j < ld; ++j) pr[j] *= inv;
  pr[c] = inv;
  for (int i = 0; i < rows; ++i) {
    if (i == r) continue;
    double* __restrict pi = T + static_cast<std::size_t>(i) * ld;
    const double f = pi[c];
    if (f == 0.0) continue;
    for (int j = 0; j < ld; ++j) pi[j] -= f * pr[j];
    pi[c] = -f * inv;
  }
}

// One side of the Lemke-Howson path in condensed form: `rows` basic variables and
// `cols` nonbasic ones (columns 0..cols-1, then the rhs).  Variables are named by
// their label.
//   P (x side): B^T x + s = 1, rows n; labels x_i = i, s_j = m + j.
//   Q (y side): r + A y = 1,   rows m; labels r_i = i, y_j = m + j.
// The slacks (s in P, r in Q) start basic; their columns of the full tableau form
// the inverse of the basis matrix, which the lexicographic rule reads: a nonbasic
// slack's column is stored, a basic slack's is a unit vector.
struct Side {
  int rows, cols, ld, slack0, struct0;  // slack k has label slack0 + k
  std::vector<double> T;
  std::vector<int> basic, nonbasic, where;  // where[label]: row (>= 0) or ~column

  Side(int rows_, int cols_, int labels, int slack0_, int struct0_)
      : rows(rows_), cols(cols_), ld(cols_ + 1), slack0(slack0_), struct0(struct0_),
        T(static_cast<std::size_t>(rows_) * (cols_ + 1)), basic(rows_), nonbasic(cols_),
        where(labels) {
    reset();
  }

  // The starting basis (the slacks) and rhs; the caller fills the other columns.
  void reset() {
    for (int k = 0; k < rows; ++k) {
      basic[k] = slack0 + k;
      where[slack0 + k] = k;
      T[static_cast<std::size_t>(k) * ld + cols] = 1.0;
    }
    for (int c = 0; c < cols; ++c) {
      nonbasic[c] = struct0 + c;
      where[struct0 + c] = ~c;
    }
  }
  double& at(int i, int c) { return T[static_cast<std::size_t>(i) * ld + c]; }
  double at(int i, int c) const { return T[static_cast<std::size_t>(i) * ld + c]; }

  // Entry (i, slack k) of the full tableau.
  double slack_entry(int i, int k) const {
    const int w = where[slack0 + k];
    return w >= 0 ? (w == i ? 1.0 : 0.0) : at(i, ~w);
  }

  // Lexicographic minimum-ratio test for entering column c (von Stengel 2007,
  // Sec. 3.6); -1 when the column has no positive entry.
  int lex_min_ratio(int c, int* cand, double* ratio) const {
    // First key, the rhs ratio, branch-free over all rows (a row without a positive
    // entry gets +inf; the sign of the entries is unpredictable).
    constexpr double inf = std::numeric_limits<double>::infinity();
    double best = inf;
    for (int i = 0; i < rows; ++i) {
      const double a = at(i, c);
      const double v = a > detail::kPivotTol ? at(i, cols) / a : inf;
      ratio[i] = v;
      best = v < best ? v : best;
    }
    if (best == inf) return -1;
    int nc = 0;
    {
      const double lim = best + detail::kTieTol * std::abs(best);  // see detail::kTieTol
      for (int i = 0; i < rows; ++i) {
        cand[nc] = i;
        nc += ratio[i] <= lim;
      }
      if (nc == 1) return cand[0];
    }
    for (int k = 0;; ++k) {  // ties: next key, column k of the basis inverse
      best = inf;
      for (int q = 0; q < nc; ++q) {
        ratio[q] = slack_entry(cand[q], k) / at(cand[q], c);
        best = ratio[q] < best ? ratio[q] : best;
      }
      const double lim = best + detail::kTieTol * (1.0 + std::abs(best));
      int kept = 0;
      for (int q = 0; q < nc; ++q)
        if (ratio[q] <= lim) cand[kept++] = cand[q];
      nc = kept;
      if (nc <= 1 || k + 1 >= rows) return cand[0];
    }
  }

  // Variable `label` (nonbasic here) enters; returns the label that leaves.
  int enter(int label, int* cand, double* ratio) {
    const int c = ~where[label];
    const int r = lex_min_ratio(c, cand, ratio);
    if (r < 0)
      throw std::runtime_error("lemke_howson: unbounded pivot column (numerical failure)");
    condensed_pivot(T.data(), rows, ld, r, c);
    // Values zero up to rounding become exactly zero (they are >= 0 in a
    // lexicographically feasible basis), so that the drift of pivots on small
    // entries in badly scaled games cannot break a degenerate tie the wrong way.
    for (int i = 0; i < rows; ++i)
      if (at(i, cols) <= detail::kZeroTol) at(i, cols) = 0.0;
    const int leaving = basic[r];
    basic[r] = label;
    nonbasic[c] = leaving;
    where[label] = r;
    where[leaving] = ~c;
    return leaving;
  }

  // Values of the basic variables with labels in [lo, lo + count), normalised.
  bool strategy(int lo, int count, double* out) const {
    double sum = 0.0;
    for (int t = 0; t < count; ++t) out[t] = 0.0;
    for (int i = 0; i < rows; ++i) {
      if (basic[i] >= lo && basic[i] < lo + count) {
        const double v = std::max(0.0, at(i, cols));
        out[basic[i] - lo] = v;
        sum += v;
      }
    }
    if (!(sum > 0.0)) return false;
    for (int t = 0; t < count; ++t) out[t] /= sum;
    return true;
  }
};

struct Tableaux {
  int m, n;
  Side P, Q;
  std::vector<int> cand;
  std::vector<double> ratio;

  std::vector<double> Ah, Bh;  // the payoffs mapped onto [1, 2]

  // Tableaux of m x n games, loaded by load() (and reloaded for the next game).
  Tableaux(int m_, int n_)
      : m(m_), n(n_), P(n_, m_, m_ + n_, m_, 0), Q(m_, n_, m_ + n_, 0, m_),
        cand(m_ > n_ ? m_ : n_), ratio(m_ > n_ ? m_ : n_),
        Ah(static_cast<std::size_t>(m_) * n_), Bh(Ah.size()) {}

  Tableaux(const double* A, const double* B, int m_, int n_) : Tableaux(m_, n_) { load(A, B); }

  // The starting tableaux of the game (A, B).
  void load(const double* A, const double* B) {
    const std::size_t mn = static_cast<std::size_t>(m) * n;
    detail::normalise(A, mn, Ah.data());
    detail::normalise(B, mn, Bh.data());
    P.reset();
    Q.reset();
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) P.at(j, i) = Bh[static_cast<std::size_t>(i) * n + j];
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) Q.at(i, j) = Ah[static_cast<std::size_t>(i) * n + j];
  }

  // Follow the path that drops `label`; returns the number of pivots, or -1 when
  // `cancel` stopped it.
  std::int64_t run(int label, std::int64_t max_pivots, Cancel& cancel) {
    int entering = label;
    bool inP = label < m;  // x_label is a variable of P, y_{label-m} of Q
    for (std::int64_t pivots = 1;; ++pivots) {
      if (cancel.poll()) return -1;
      const int leaving = (inP ? P : Q).enter(entering, cand.data(), ratio.data());
      if (leaving == label) return pivots;
      if (pivots >= max_pivots)
        throw PivotLimit("lemke_howson: no equilibrium after " +
                                 std::to_string(max_pivots) +
                                 " pivots; raise max_pivots (the lexicographic rule "
                                 "terminates in exact arithmetic)");
      entering = leaving;  // the duplicate label enters on the other side
      inP = !inP;
    }
  }

  void strategies(double* x, double* y) const {
    if (!P.strategy(0, m, x) || !Q.strategy(m, n, y))
      throw std::runtime_error("lemke_howson: the path ended at the artificial equilibrium "
                               "(numerical failure)");
  }
};

void check_shape(int m, int n) {
  if (m < 1 || n < 1) throw std::invalid_argument("the game needs at least one action each");
}

}  // namespace

std::int64_t lemke_howson(const double* A, const double* B, int m, int n, int label,
                          std::int64_t max_pivots, double* x, double* y) {
  check_shape(m, n);
  if (label < 0 || label >= m + n)
    throw std::invalid_argument("initial_dropped_label must be in 0.." +
                                std::to_string(m + n - 1) + "; got " + std::to_string(label));
  Tableaux t(A, B, m, n);
  Cancel cancel;
  const std::int64_t pivots = t.run(label, max_pivots, cancel);
  cancel.check();
  t.strategies(x, y);
  return pivots;
}

// The larger player's regret of (x, y) in the game (Ah, Bh), m x n row-major.
double regret_of(const double* Ah, const double* Bh, int m, int n, const double* x,
                 const double* y) {
  double best = -std::numeric_limits<double>::infinity(), mean = 0.0;
  for (int i = 0; i < m; ++i) {
    double u = 0.0;
    for (int j = 0; j < n; ++j) u += Ah[static_cast<std::size_t>(i) * n + j] * y[j];
    best = std::max(best, u);
    mean += x[i] * u;
  }
  const double row = best - mean;
  best = -std::numeric_limits<double>::infinity();
  mean = 0.0;
  for (int j = 0; j < n; ++j) {
    double v = 0.0;
    for (int i = 0; i < m; ++i) v += Bh[static_cast<std::size_t>(i) * n + j] * x[i];
    best = std::max(best, v);
    mean += y[j] * v;
  }
  return std::max(row, best - mean);
}

void lemke_howson_batch(const double* payoffs, std::int64_t games, int m, int n,
                        const std::int32_t* labels, std::int64_t max_pivots, double rtol,
                        double* x, double* y, double* regret, std::int8_t* status,
                        int threads) {
  check_shape(m, n);
  for (std::int64_t g = 0; g < games; ++g)
    if (labels[g] < 0 || labels[g] >= m + n)
      throw std::invalid_argument("labels must be in 0.." + std::to_string(m + n - 1) +
                                  "; game " + std::to_string(g) + " has " +
                                  std::to_string(labels[g]));
  const std::size_t mn = static_cast<std::size_t>(m) * n;
  // A path costs about (m + n) pivots of O(mn) each.
  if (threads < 1)
    threads = static_cast<double>(games) * (m + n) * mn >= 2e5 ? accord::get_num_threads() : 1;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  Cancel cancel;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    Tableaux t(m, n);  // one per thread, reloaded for each game
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t g = 0; g < games; ++g) {
      if (cancel.poll()) continue;
      const double* A = payoffs + static_cast<std::size_t>(g) * 2 * mn;
      double* xg = x + static_cast<std::size_t>(g) * m;
      double* yg = y + static_cast<std::size_t>(g) * n;
      std::int8_t s = kPathSolved;
      double r = nan;
      try {
        t.load(A, A + mn);
        if (t.run(labels[g], max_pivots, cancel) < 0) continue;
        t.strategies(xg, yg);
        r = regret_of(t.Ah.data(), t.Bh.data(), m, n, xg, yg);
        if (!(r <= rtol)) s = kPathNotVerified;
      } catch (const PivotLimit&) {
        s = kPathPivotLimit;
      } catch (const std::runtime_error&) {
        s = kPathNumericalFailure;
      }
      if (s != kPathSolved) {
        std::fill(xg, xg + m, nan);
        std::fill(yg, yg + n, nan);
        r = s == kPathNotVerified ? r : nan;
      }
      regret[g] = r;
      status[g] = s;
    }
  }
  cancel.check();
}

Equilibria lemke_howson_all(const double* A, const double* B, int m, int n,
                            std::int64_t max_pivots, int threads) {
  check_shape(m, n);
  const int labels = m + n;
  // Threads pay only for long runs (a parallel region can cost a scheduler time slice
  // on a busy machine).
  if (threads < 1)
    threads = static_cast<double>(m + n) * m * n >= 1e5 ? accord::get_num_threads() : 1;
  std::vector<double> xs(static_cast<std::size_t>(labels) * m), ys(static_cast<std::size_t>(labels) * n);
  std::string error;
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (int k = 0; k < labels; ++k) {
    if (cancel.poll()) continue;  // a tableau costs O(mn) to build: skip it once stopped
    try {
      Tableaux t(A, B, m, n);
      if (t.run(k, max_pivots, cancel) < 0) continue;
      t.strategies(&xs[static_cast<std::size_t>(k) * m], &ys[static_cast<std::size_t>(k) * n]);
    } catch (const std::exception& e) {
#pragma omp critical(accord_lh_all)
      if (error.empty()) error = e.what();
    }
  }
  cancel.check();
  if (!error.empty()) throw std::runtime_error(error);
  Equilibria out;
  constexpr double same = 1e-9;
  for (int k = 0; k < labels; ++k) {
    const double* xk = &xs[static_cast<std::size_t>(k) * m];
    const double* yk = &ys[static_cast<std::size_t>(k) * n];
    bool seen = false;
    for (std::size_t e = 0; e < out.count && !seen; ++e) {
      double d = 0.0;
      for (int i = 0; i < m; ++i) d = std::max(d, std::abs(out.x[e * m + i] - xk[i]));
      for (int j = 0; j < n; ++j) d = std::max(d, std::abs(out.y[e * n + j] - yk[j]));
      seen = d <= same;
    }
    if (seen) continue;
    out.x.insert(out.x.end(), xk, xk + m);
    out.y.insert(out.y.end(), yk, yk + n);
    ++out.count;
  }
  return out;
}

}  // namespace accord::bimatrix
