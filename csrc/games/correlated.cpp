// Incentive gains and incentive-constraint matrices of (coarse) correlated equilibria.
//
// Player i's axis has k actions and row-major stride s; the joint actions split into
// N / k "fibers" {base + r s : r < k}, base = o k s + t (o < N / (k s), t < s), along
// which only player i's action changes.  Everything below is a sum over fibers:
//   C_i[r][d] = sum_fibers p[base + r s] u_i[base + d s],  g_i(r, d) = C_i[r][d] - C_i[r][r].
// Fibers are processed in blocks of (o, a run of t) so that the innermost loops run
// over contiguous memory; OpenMP threads take blocks (one game) or games (a batch).
#include "accord/correlated.hpp"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

#include "accord/interrupt.hpp"

namespace accord::games {

namespace {

constexpr std::int64_t kRun = 512;             // t values per block
constexpr std::int64_t kParallelWork = 1 << 21;  // per extra thread (~1 ms of work)

struct Axis {
  std::int64_t k;      // actions of the player
  std::int64_t s;      // stride of its axis
  std::int64_t outer;  // N / (k s)
};

std::int64_t joint_size(int n, const std::int64_t* actions) {
  if (n < 1) throw std::invalid_argument("a game needs at least one player");
  std::int64_t N = 1;
  for (int i = 0; i < n; ++i) {
    if (actions[i] < 1) throw std::invalid_argument("every player needs at least one action");
    N *= actions[i];
  }
  return N;
}

Axis axis_of(int n, const std::int64_t* actions, int i) {
  std::int64_t s = 1;
  for (int j = i + 1; j < n; ++j) s *= actions[j];
  std::int64_t outer = 1;
  for (int j = 0; j < i; ++j) outer *= actions[j];
  return Axis{actions[i], s, outer};
}

std::int64_t blocks_of(const Axis& ax) { return ax.outer * ((ax.s + kRun - 1) / kRun); }

// Adds the contribution of fiber block b to C (k x k, row-major [r][d]).
void cross_block(const double* u, const double* p, const Axis& ax, std::int64_t b,
                 double* C) {
  const std::int64_t runs = (ax.s + kRun - 1) / kRun;
  const std::int64_t o = b / runs;
  const std::int64_t t0 = (b % runs) * kRun;
  const std::int64_t len = std::min(kRun, ax.s - t0);
  const std::int64_t base = o * ax.k * ax.s + t0;
  for (std::int64_t r = 0; r < ax.k; ++r) {
    const double* __restrict pr = p + base + r * ax.s;
    bool any = false;
    for (std::int64_t t = 0; t < len; ++t) any |= pr[t] != 0.0;
    if (!any) continue;
    for (std::int64_t d = 0; d < ax.k; ++d) {
      const double* __restrict ud = u + base + d * ax.s;
      double acc = 0.0;
#pragma omp simd reduction(+ : acc)
      for (std::int64_t t = 0; t < len; ++t) acc += pr[t] * ud[t];
      C[r * ax.k + d] += acc;
    }
  }
}

// The same summed over r (the coarse case): c[d] += sum_t q[t] u[base + d s + t] with
// q the marginal of the fiber, and c[k] += sum_r sum_t p u (the expected payoff).
void coarse_block(const double* u, const double* p, const Axis& ax, std::int64_t b,
                  double* q, double* c) {
  const std::int64_t runs = (ax.s + kRun - 1) / kRun;
  const std::int64_t o = b / runs;
  const std::int64_t t0 = (b % runs) * kRun;
  const std::int64_t len = std::min(kRun, ax.s - t0);
  const std::int64_t base = o * ax.k * ax.s + t0;
  std::fill(q, q + len, 0.0);
  double diag = 0.0;
  for (std::int64_t r = 0; r < ax.k; ++r) {
    const double* __restrict pr = p + base + r * ax.s;
    const double* __restrict ur = u + base + r * ax.s;
#pragma omp simd reduction(+ : diag)
    for (std::int64_t t = 0; t < len; ++t) {
      q[t] += pr[t];
      diag += pr[t] * ur[t];
    }
  }
  c[ax.k] += diag;
  for (std::int64_t d = 0; d < ax.k; ++d) {
    const double* __restrict ud = u + base + d * ax.s;
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (std::int64_t t = 0; t < len; ++t) acc += q[t] * ud[t];
    c[d] += acc;
  }
}

// Accumulator size of player i: k*k (CE) or k+1 (CCE).
std::int64_t acc_size(const Axis& ax, bool coarse) { return coarse ? ax.k + 1 : ax.k * ax.k; }

// Sums blocks [b0, b1) of player i into acc (zeroed by the caller).
void accumulate(const double* u, const double* p, const Axis& ax, bool coarse,
                std::int64_t b0, std::int64_t b1, double* acc, std::vector<double>& scratch) {
  for (std::int64_t b = b0; b < b1; ++b) {
    if (coarse) coarse_block(u, p, ax, b, scratch.data(), acc);
    else cross_block(u, p, ax, b, acc);
  }
}

// Gains of player i from its accumulator.
void gains_from_acc(const Axis& ax, bool coarse, const double* acc, double* g) {
  if (coarse) {
    for (std::int64_t d = 0; d < ax.k; ++d) g[d] = acc[d] - acc[ax.k];
  } else {
    for (std::int64_t r = 0; r < ax.k; ++r)
      for (std::int64_t d = 0; d < ax.k; ++d)
        g[r * ax.k + d] = d == r ? 0.0 : acc[r * ax.k + d] - acc[r * ax.k + r];
  }
}

// All gains of one game; `threads` > 1 splits the blocks of each player.
void game_gains(const double* payoffs, const double* p, std::int64_t N, int n,
                const std::int64_t* actions, bool coarse, int threads, double* gains) {
  double* g = gains;
  for (int i = 0; i < n; ++i) {
    const Axis ax = axis_of(n, actions, i);
    const double* u = payoffs + i * N;
    const std::int64_t nb = blocks_of(ax);
    const std::int64_t m = acc_size(ax, coarse);
    const int nt = static_cast<int>(std::min<std::int64_t>(threads, nb));
    std::vector<double> acc(static_cast<std::size_t>(m) * std::max(nt, 1), 0.0);
    if (nt <= 1) {
      std::vector<double> scratch(kRun);
      accumulate(u, p, ax, coarse, 0, nb, acc.data(), scratch);
    } else {
#pragma omp parallel num_threads(nt)
      {
        const int t = omp_get_thread_num();
        std::vector<double> scratch(kRun);
        // Contiguous, thread-count-independent split points keep the sums stable.
        const std::int64_t b0 = nb * t / nt, b1 = nb * (t + 1) / nt;
        accumulate(u, p, ax, coarse, b0, b1, acc.data() + t * m, scratch);
      }
      for (int t = 1; t < nt; ++t)
        for (std::int64_t j = 0; j < m; ++j) acc[j] += acc[t * m + j];
    }
    gains_from_acc(ax, coarse, acc.data(), g);
    g += coarse ? ax.k : ax.k * ax.k;
  }
}

int threads_for(std::int64_t work) {
  if (work < kParallelWork) return 1;
  return std::max(1, static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(),
                                                             work / kParallelWork)));
}

std::int64_t ce_row_offset(const std::int64_t* actions, int i) {
  std::int64_t off = 0;
  for (int j = 0; j < i; ++j) off += actions[j] * (actions[j] - 1);
  return off;
}

std::int64_t cce_row_offset(const std::int64_t* actions, int i) {
  std::int64_t off = 0;
  for (int j = 0; j < i; ++j) off += actions[j];
  return off;
}

// Decodes row index `row` into (player, r, d); r = -1 for a CCE row.
struct Row {
  int i;
  std::int64_t r, d;
};

Row decode_row(int n, const std::int64_t* actions, bool coarse, std::int64_t row) {
  for (int i = 0; i < n; ++i) {
    const std::int64_t k = actions[i];
    const std::int64_t cnt = coarse ? k : k * (k - 1);
    if (row < cnt) {
      if (coarse) return Row{i, -1, row};
      const std::int64_t r = row / (k - 1), j = row % (k - 1);
      return Row{i, r, j < r ? j : j + 1};
    }
    row -= cnt;
  }
  throw std::logic_error("row index out of range");
}

// Visits the non-zero entries (column, value) of one incentive row in column order.
template <class F>
void visit_row(const double* payoffs, std::int64_t N, int n, const std::int64_t* actions,
               const Row& row, F&& f) {
  const Axis ax = axis_of(n, actions, row.i);
  const double* u = payoffs + row.i * N;
  const std::int64_t ks = ax.k * ax.s;
  const std::int64_t dd = row.d;
  for (std::int64_t o = 0; o < ax.outer; ++o) {
    const std::int64_t base = o * ks;
    const std::int64_t r0 = row.r < 0 ? 0 : row.r, r1 = row.r < 0 ? ax.k : row.r + 1;
    for (std::int64_t r = r0; r < r1; ++r) {
      if (r == dd) continue;  // deviating to the recommendation: zero coefficients
      const double* ur = u + base + r * ax.s;
      const double* ud = u + base + dd * ax.s;
      for (std::int64_t t = 0; t < ax.s; ++t) {
        const double v = ud[t] - ur[t];
        if (v != 0.0) f(base + r * ax.s + t, v);
      }
    }
  }
}

}  // namespace

std::int64_t num_gains(int n, const std::int64_t* actions, bool coarse) {
  joint_size(n, actions);
  std::int64_t m = 0;
  for (int i = 0; i < n; ++i) m += coarse ? actions[i] : actions[i] * actions[i];
  return m;
}

void incentive_gains(const double* payoffs, std::int64_t payoff_stride, const double* dist,
                     std::int64_t dist_stride, std::int64_t batch, int n,
                     const std::int64_t* actions, bool coarse, double* gains) {
  const std::int64_t N = joint_size(n, actions);
  const std::int64_t m = num_gains(n, actions, coarse);
  std::int64_t work = 0;
  for (int i = 0; i < n; ++i) work += N * (coarse ? 2 : actions[i]);
  if (batch == 1) {
    game_gains(payoffs, dist, N, n, actions, coarse, threads_for(work), gains);
    return;
  }
  const int threads = static_cast<int>(std::min<std::int64_t>(
      threads_for(work * batch), batch));
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t b = 0; b < batch; ++b)
    if (!cancel.poll())
      game_gains(payoffs + b * payoff_stride, dist + b * dist_stride, N, n, actions, coarse, 1,
                 gains + b * m);
  cancel.check();
}

void incentive_violation(const double* payoffs, std::int64_t payoff_stride, const double* dist,
                         std::int64_t dist_stride, std::int64_t batch, int n,
                         const std::int64_t* actions, bool coarse, double* out) {
  const std::int64_t m = num_gains(n, actions, coarse);
  std::vector<double> gains(static_cast<std::size_t>(batch * m));
  incentive_gains(payoffs, payoff_stride, dist, dist_stride, batch, n, actions, coarse,
                  gains.data());
  // The gain of following the recommendation (0) is included: g_i(r, r) = 0 for CE,
  // and explicitly for CCE, whose gains can all be negative.
  for (std::int64_t b = 0; b < batch; ++b)
    out[b] = std::max(0.0, *std::max_element(gains.begin() + b * m,
                                             gains.begin() + (b + 1) * m));
}

std::int64_t incentive_rows(int n, const std::int64_t* actions, bool coarse) {
  joint_size(n, actions);
  return coarse ? cce_row_offset(actions, n) : ce_row_offset(actions, n);
}

void incentive_row_nnz(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                       std::int64_t* row_nnz) {
  incentive_row_stats(payoffs, n, actions, coarse, row_nnz, nullptr);
}

void incentive_indptr(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                      std::int64_t* indptr) {
  if (joint_size(n, actions) > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument("the game has more joint actions than int32 columns");
  const std::int64_t rows = incentive_rows(n, actions, coarse);
  indptr[0] = 0;
  incentive_row_nnz(payoffs, n, actions, coarse, indptr + 1);
  for (std::int64_t r = 0; r < rows; ++r) indptr[r + 1] += indptr[r];
}

void incentive_fill(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                    const std::int64_t* indptr, std::int32_t* indices, double* data) {
  const std::int64_t N = joint_size(n, actions);
  const std::int64_t rows = incentive_rows(n, actions, coarse);
  const int threads = threads_for(indptr[rows]);
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t row = 0; row < rows; ++row) {
    if (cancel.poll()) continue;
    std::int64_t pos = indptr[row];
    visit_row(payoffs, N, n, actions, decode_row(n, actions, coarse, row),
              [&](std::int64_t col, double v) {
                indices[pos] = static_cast<std::int32_t>(col);
                data[pos] = v;
                ++pos;
              });
  }
  cancel.check();
}

void incentive_row_stats(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                         std::int64_t* row_nnz, unsigned char* positive) {
  const std::int64_t N = joint_size(n, actions);
  const std::int64_t rows = incentive_rows(n, actions, coarse);
  std::int64_t ksum = 0;
  for (int i = 0; i < n; ++i) ksum += actions[i];
  const int threads = threads_for(N * ksum);
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t row = 0; row < rows; ++row) {
    if (cancel.poll()) continue;
    std::int64_t c = 0;
    bool pos = false;
    visit_row(payoffs, N, n, actions, decode_row(n, actions, coarse, row),
              [&c, &pos](std::int64_t, double v) {
                ++c;
                pos |= v > 0.0;
              });
    row_nnz[row] = c;
    if (positive) positive[row] = pos ? 1 : 0;
  }
  cancel.check();
}

void incentive_fill_rows(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                         std::int64_t count, const std::int64_t* rows, const std::int32_t* indptr,
                         std::int32_t* indices, double* data) {
  const std::int64_t N = joint_size(n, actions);
  const int threads = threads_for(indptr[count]);
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t j = 0; j < count; ++j) {
    if (cancel.poll()) continue;
    std::int64_t pos = indptr[j];
    visit_row(payoffs, N, n, actions, decode_row(n, actions, coarse, rows[j]),
              [&](std::int64_t col, double v) {
                indices[pos] = static_cast<std::int32_t>(col);
                data[pos] = v;
                ++pos;
              });
  }
  cancel.check();
}

}  // namespace accord::games
