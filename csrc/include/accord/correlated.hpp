// Incentive constraints of correlated and coarse correlated equilibria.
// Pure functions over raw buffers; see python/accord/games/correlated.py.
//
// A game with n players and action counts k_1..k_n is a row-major payoff array of
// shape (n, k_1, ..., k_n): payoffs[i * N + a] is player i's payoff at the joint
// action with flat (row-major) index a, N = k_1 * ... * k_n.  A joint distribution
// is a row-major array of N probabilities.
//
// Incentive gains (Aumann 1974, 1987; Papadimitriou & Roughgarden 2008, Sec. 2):
//   correlated (CE):   g_i(r, d) = sum_{a_-i} p(r, a_-i) [u_i(d, a_-i) - u_i(r, a_-i)]
//                      for every player i, recommendation r and deviation d;
//   coarse (CCE):      h_i(d) = sum_a p(a) [u_i(d, a_-i) - u_i(a)] = sum_r g_i(r, d).
// p is a CE iff every g_i(r, d) <= 0, a CCE iff every h_i(d) <= 0.
#pragma once
#include <cstdint>
#include <vector>

namespace accord::games {

// Number of gains per game: sum_i k_i^2 (CE) or sum_i k_i (CCE).
std::int64_t num_gains(int n, const std::int64_t* actions, bool coarse);

// Every gain of `batch` games: game b has payoffs payoffs + b * payoff_stride (shape
// (n, k_1..k_n)) and distribution dist + b * dist_stride (shape (k_1..k_n)); a stride of
// 0 shares one array.  gains (batch, num_gains) is laid out player by player, g_i as a
// k_i x k_i matrix [r][d] (CE) or h_i as a vector [d] (CCE).
void incentive_gains(const double* payoffs, std::int64_t payoff_stride, const double* dist,
                     std::int64_t dist_stride, std::int64_t batch, int n,
                     const std::int64_t* actions, bool coarse, double* gains);

// max(0, largest gain) of each game (strides as above), written to out[batch]: not
// deviating gains 0 (for CE it is the gain g_i(r, r); CCE gains can all be negative).
void incentive_violation(const double* payoffs, std::int64_t payoff_stride, const double* dist,
                         std::int64_t dist_stride, std::int64_t batch, int n,
                         const std::int64_t* actions, bool coarse, double* out);

// Number of rows of the incentive matrix: sum_i k_i (k_i - 1) (CE, one row per player,
// recommendation r and deviation d != r, in that order, d ascending) or sum_i k_i
// (CCE, one row per player and deviation d).
std::int64_t incentive_rows(int n, const std::int64_t* actions, bool coarse);

// The incentive matrix M (rows x N) with M p = the gains of p (all rows except the
// zero diagonal g_i(r, r) for CE), in CSR form without explicit zeros:
// incentive_row_nnz writes the number of non-zeros of every row to row_nnz[rows];
// incentive_fill writes column indices (ascending within a row) and values into the
// arrays sized by indptr (indptr[0] = 0, indptr[r + 1] = indptr[r] + row_nnz[r]).
void incentive_row_nnz(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                       std::int64_t* row_nnz);
void incentive_fill(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                    const std::int64_t* indptr, std::int32_t* indices, double* data);

// The CSR row pointer indptr[rows + 1] of the incentive matrix: indptr[0] = 0 and the
// running sum of incentive_row_nnz.  Throws std::invalid_argument when the game has more
// joint actions than int32 column indices address.
void incentive_indptr(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                      std::int64_t* indptr);

// Incentive rows with a positive coefficient (the others hold for every p >= 0): writes
// row_nnz[rows] (non-zeros of every row) and positive[rows] (1 when the row has a positive
// coefficient, else 0; positive may be null).
void incentive_row_stats(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                         std::int64_t* row_nnz, unsigned char* positive);

// Fills rows[0..count) of the incentive matrix (in that order) into CSR arrays sized by
// indptr[count + 1] (int32 offsets, indptr[j + 1] - indptr[j] = row_nnz[rows[j]]).
void incentive_fill_rows(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                         std::int64_t count, const std::int64_t* rows, const std::int32_t* indptr,
                         std::int32_t* indices, double* data);

// The constraint matrix of the LP of a (coarse) correlated equilibrium over the N joint
// actions (Papadimitriou & Roughgarden 2008, Sec. 2), row-wise in CSR form with int32
// offsets for HiGHS.  Its rows, in order:
//   1. the incentive rows with a positive coefficient (kept_rows(), ascending; the others
//      hold for every p >= 0), each M_r . p <= 0;
//   2. with `egalitarian`, one row z - U_i . p <= 0 per player i over N + 1 columns (column
//      N is z; explicit zeros included, so every row has N + 1 entries);
//   3. the row sum_a p(a) = 1.
// Construction counts (the row statistics, in parallel); fill() writes the arrays.
// Throws std::invalid_argument when N or the non-zeros do not fit int32 offsets.
class IncentiveLp {
 public:
  IncentiveLp(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
              bool egalitarian);

  std::int64_t kept() const { return static_cast<std::int64_t>(kept_.size()); }
  std::int64_t rows() const { return kept() + (egalitarian_ ? n_ : 0) + 1; }
  std::int64_t nonzeros() const { return nnz_; }
  std::int64_t columns() const { return N_ + (egalitarian_ ? 1 : 0); }

  // Writes indptr[rows() + 1], indices[nonzeros()], data[nonzeros()] and
  // kept_rows[kept()] (the incentive row index of each row of part 1).
  void fill(std::int32_t* indptr, std::int32_t* indices, double* data,
            std::int64_t* kept_rows) const;

 private:
  const double* payoffs_;
  int n_;
  std::vector<std::int64_t> actions_;
  bool coarse_, egalitarian_;
  std::int64_t N_ = 1, nnz_ = 0;
  std::vector<std::int64_t> kept_, kept_nnz_;  // kept rows and their non-zeros
};

}  // namespace accord::games

namespace accord::games {

// Objectives of correlated_equilibrium_batch: a player index i >= 0 maximises player i's
// expected payoff; the negative codes below the sum of payoffs, the smallest player's
// payoff (max z s.t. z <= U_i . p), or nothing (any equilibrium).
constexpr int kObjectiveWelfare = -1;
constexpr int kObjectiveEgalitarian = -2;
constexpr int kObjectiveFeasibility = -3;

// Status of each game of correlated_equilibrium_batch (the codes of the Lemke-Howson
// batch, accord.games.PathStatus).
constexpr std::int8_t kLpOptimal = 0;         // dist holds an optimal (C)CE
constexpr std::int8_t kLpPivotLimit = 1;      // more than max_pivots simplex pivots
constexpr std::int8_t kLpNumericalFailure = 2;  // the tableau lost feasibility
constexpr std::int8_t kLpNotVerified = 3;     // the violation exceeds tol * max |u|

// An optimal (coarse) correlated equilibrium of each of `games` games (payoffs
// (games, n, k_1..k_n), row-major) by a dense primal simplex, one small LP per game
// (Papadimitriou & Roughgarden 2008, Sec. 2), games in parallel.  Because every incentive
// row is homogeneous (M p <= 0), the normalisation is relaxed to sum p <= 1 and the
// objective shifted to be positive on every column: the optimum then has sum p = 1 and
// is an optimum of the original LP, and the slack basis (p = 0) is a feasible start
// (no phase 1).  Pivoting: Dantzig's rule with the lexicographic ratio test (no
// cycling on the highly degenerate incentive rows).  On the way out each distribution is clipped at 0, normalised
// and verified: its largest incentive gain (written to violation[g], in payoff units)
// must be at most tol * max |u_g|.  Writes dist (games, N), expected (games, n) and
// status (games); a game that is not solved gets NaN distribution and payoffs.
void correlated_equilibrium_batch(const double* payoffs, std::int64_t games, int n,
                                  const std::int64_t* actions, int objective, bool coarse,
                                  std::int64_t max_pivots, double tol, double* dist,
                                  double* expected, double* violation, std::int8_t* status,
                                  int threads);

}  // namespace accord::games
