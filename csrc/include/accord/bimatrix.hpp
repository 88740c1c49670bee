// Exact Nash equilibria of two-player (bimatrix) games.
//
// Conventions (von Stengel 2007, "Equilibrium computation for two-player games in
// strategic and extensive form", Algorithmic Game Theory ch. 3, Sec. 3.2-3.5):
// A and B are the m x n payoff matrices of the row and the column player, row-major.
// Labels 0..m-1 are the row player's actions, m..m+n-1 the column player's.  The
// best-response polytopes are, after the payoffs are mapped positively and affinely
// onto [1, 2] (which changes no equilibrium),
//   P = {x in R^m : x >= 0, B^T x <= 1},   Q = {y in R^n : A y <= 1, y >= 0};
// x in P has label i if x_i = 0 and label m+j if (B^T x)_j = 1; y in Q has label i
// if (A y)_i = 1 and label m+j if y_j = 0.  A pair (x, y) != (0, 0) that together
// has all m+n labels is, normalised, a Nash equilibrium.
//
// Every kernel reads raw buffers, allocates only scratch space and throws
// std::invalid_argument / std::runtime_error on bad input or failure.  A `threads`
// argument below 1 lets the kernel choose: one thread for small games (a parallel
// region costs more than it saves there), accord::get_num_threads() otherwise.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace accord::bimatrix {

// A list of equilibria: x is count x m, y is count x n (row-major).
struct Equilibria {
  std::vector<double> x, y;
  std::size_t count = 0;
  bool degenerate = false;  // evidence of degeneracy was found (see each kernel)
};

// Throws std::invalid_argument naming the matrix and the first non-finite entry.
void check_finite(const double* M, int m, int n, const char* name);

// Lemke-Howson (1964) from the artificial equilibrium (0, 0), dropping `label`
// (0 <= label < m+n), by complementary pivoting on the two tableaux with the
// lexicographic minimum-ratio test (von Stengel 2007, Sec. 3.5 and 3.6), which
// makes the path unique and finite in degenerate games too.  Writes the
// equilibrium to x (m) and y (n); returns the number of pivots.  Throws
// std::runtime_error after max_pivots pivots (never reached in exact arithmetic).
std::int64_t lemke_howson(const double* A, const double* B, int m, int n, int label,
                          std::int64_t max_pivots, double* x, double* y);

// Lemke-Howson from every label 0..m+n-1; the distinct equilibria found, in the
// order of the first label that reached each.  OpenMP over labels.
Equilibria lemke_howson_all(const double* A, const double* B, int m, int n,
                            std::int64_t max_pivots, int threads);

// Outcome of one game of lemke_howson_batch.
enum PathStatus : std::int8_t {
  kPathSolved = 0,            // x, y hold the equilibrium reached
  kPathPivotLimit = 1,        // more than max_pivots pivots
  kPathNumericalFailure = 2,  // an unbounded column or a return to the artificial point
  kPathNotVerified = 3,       // the profile's regret exceeds `rtol` of the payoff range
};

// Lemke-Howson on every game of a batch, as lemke_howson: `payoffs` holds `games`
// games in the layout of a batch of two-player normal-form games (A then B, each
// m x n, per game), game g drops labels[g].  Writes x (games x m), y (games x n) and
// status (games).  Every profile found is checked: regret[g] is the larger player's
// regret in units of that player's payoff range (on the normalised game, so it
// neither overflows nor underflows), and a game whose regret exceeds `rtol` gets
// kPathNotVerified.  A game that is not solved gets NaN strategies and regret.
// OpenMP over games; interruptible (accord::Interrupted).
void lemke_howson_batch(const double* payoffs, std::int64_t games, int m, int n,
                        const std::int32_t* labels, std::int64_t max_pivots, double rtol,
                        double* x, double* y, double* regret, std::int8_t* status,
                        int threads);

// Support enumeration (Avis, Rosenberg, Savani & von Stengel 2010, Sec. 2;
// Nisan et al. 2007, Alg. 3.4): every pair of supports of equal size k whose
// indifference systems have a solution that is positive on the supports and has
// no better response outside them.  All Nash equilibria of a nondegenerate game.
// `degenerate` is set when some support pair gives an equilibrium with a smaller
// support than k or with more than k pure best responses.  Output ordered by k,
// then row support, then column support (lexicographically), for every thread
// count.
Equilibria support_enumeration(const double* A, const double* B, int m, int n, int threads);

// Vertex enumeration: all extreme equilibria, i.e. the complementary vertex pairs
// of P x Q other than (0, 0) (von Stengel 2007, Sec. 3.4; Avis et al. 2010), each
// exactly once, degenerate games included.  The vertices are enumerated by a
// depth-first search over the lexicographically feasible bases (the vertices of
// the lexicographically perturbed, simple polytope, whose graph is connected); a
// vertex is identified by its label set, so each is kept once however many bases
// it has.  `degenerate` is set when some vertex has more labels than the
// dimension.  m + n <= 128.  max_bases bounds the bases visited per polytope.
Equilibria vertex_enumeration(const double* A, const double* B, int m, int n,
                              std::int64_t max_bases, int threads);

// Largest m + n of vertex_enumeration (labels are 128-bit masks).
constexpr int kMaxVertexLabels = 128;

namespace detail {

// Tolerances on the normalised game (payoffs in [1, 2]).
constexpr double kPivotTol = 1e-10;  // a pivot column entry above this is positive
constexpr double kTieTol = 1e-10;    // ratios closer than this (relative) are tied
// rhs values at most kZeroTol are set to exactly 0 after each pivot (they are >= 0
// in a lexicographically feasible basis), so degenerate ties of the rhs ratio are
// exact and their tolerance can be purely relative.
constexpr double kZeroTol = 1e-10;   // a variable below this is zero (has its label)

// out = 1 + (M - min M) / (max M - min M), or all ones when M is constant: a
// positive affine map, so the equilibria are unchanged and every entry is >= 1.  M
// is first scaled by the power of two that brings max |M| into [0.5, 1) (exact), so
// that neither the range (up to 2 * DBL_MAX) overflows nor a subnormal range loses
// its digits or has a reciprocal that overflows.
inline void normalise(const double* M, std::size_t size, double* out) {
  double lo = M[0], hi = M[0];
  for (std::size_t k = 1; k < size; ++k) {
    lo = M[k] < lo ? M[k] : lo;
    hi = M[k] > hi ? M[k] : hi;
  }
  if (!(hi > lo)) {
    for (std::size_t k = 0; k < size; ++k) out[k] = 1.0;
    return;
  }
  int e = 0;
  std::frexp(std::max(std::fabs(lo), std::fabs(hi)), &e);
  const double los = std::ldexp(lo, -e), range = std::ldexp(hi, -e) - los;  // in (0, 2]
  for (std::size_t k = 0; k < size; ++k) out[k] = 1.0 + (std::ldexp(M[k], -e) - los) / range;
}

// Lexicographic minimum-ratio test (von Stengel 2007, Sec. 3.6) on the row-major
// tableau T (rows x ld) for entering column e: among the rows with a positive entry
// in e, the lexicographic minimum of (T[i][rhs], T[i][slack0..slack0+rows-1]) /
// T[i][e].  The slack columns hold the inverse of the basis matrix, whose rows are
// independent, so the minimum is unique in exact arithmetic.  Returns the row, or
// -1 when column e has no positive entry.  cand: scratch for `rows` ints.
inline int lex_min_ratio(const double* T, int rows, int ld, int e, int rhs, int slack0,
                         int* cand) {
  int nc = 0;
  for (int i = 0; i < rows; ++i)
    if (T[static_cast<std::size_t>(i) * ld + e] > kPivotTol) cand[nc++] = i;
  if (nc <= 1) return nc == 1 ? cand[0] : -1;
  for (int c = -1; c < rows && nc > 1; ++c) {
    const int col = c < 0 ? rhs : slack0 + c;
    double best = 0.0;
    for (int k = 0; k < nc; ++k) {
      const double* row = T + static_cast<std::size_t>(cand[k]) * ld;
      const double r = row[col] / row[e];
      if (k == 0 || r < best) best = r;
    }
    // The rhs ratios tie relative to their size (small ratios of badly scaled games
    // are not tied by an absolute margin; the degenerate zeros are exact, see
    // kZeroTol); the later keys, entries of the basis inverse, also absolutely.
    const double mag = best < 0 ? -best : best;
    const double lim = best + kTieTol * (c < 0 ? mag : 1.0 + mag);
    int kept = 0;
    for (int k = 0; k < nc; ++k) {
      const double* row = T + static_cast<std::size_t>(cand[k]) * ld;
      if (row[col] / row[e] <= lim) cand[kept++] = cand[k];
    }
    nc = kept;
  }
  return cand[0];
}

// Gauss-Jordan pivot of T (rows x ld) on entry (r, e).  Defined in
// lemke_howson.cpp, compiled for several instruction sets (runtime dispatch).
void pivot(double* T, int rows, int ld, int r, int e);

}  // namespace detail

}  // namespace accord::bimatrix
