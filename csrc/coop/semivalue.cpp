// Semivalues of a dense TU game in one pass over the table.
//
// phi_i = sum_{S not containing i} p(|S|) (v(S+i) - v(S))
//       = sum_{S containing i} c(|S|) v(S) - sum_S b(|S|) v(S)
// with c(s) = p(s-1) + p(s), b(s) = p(s) (Weber 1988, "Probabilistic values for
// games").  Splitting every mask into (H, l) with |H| = h, the low players' sums
// are sum_l [bit j of l] B[l] with B[l] = sum_h c(h + |l|) V[h][l], where
// V[h][l] = sum_{|H| = h} v(H, l) is accumulated in a small cache-resident array;
// the high players receive each block's weighted total, and T comes from V too.
// Each table entry costs one multiply-add and one add, so the pass runs at
// memory bandwidth (AVX2 clone where the CPU has it).
#include <omp.h>

#include <vector>

#include "accord/common.hpp"
#include "accord/coop.hpp"
#include "accord/interrupt.hpp"
#include "blocks.hpp"

namespace accord::coop {
namespace {

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define ACCORD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ACCORD_CLONES
#endif

// Blocks [H0, H1): per block, U = sum_l c(h + |l|) v(H, l) goes to the high
// players, and v is added unweighted into the row Bh[h] of the block's high
// popcount h (weights are applied once per (h, l) at the end).
ACCORD_CLONES void semivalue_blocks(const double* v, int L, std::int64_t H0, std::int64_t H1,
                                    const double* crow, double* Bh, double* Ah,
                                    Cancel& cancel) {
  const std::int64_t block = std::int64_t{1} << L;
  for (std::int64_t H = H0; H < H1; ++H) {
    if (cancel.poll_every(H - H0, 256)) return;
    const int h = popcount64(static_cast<std::uint64_t>(H));
    const double* __restrict cr = crow + h * block;
    double* __restrict row = Bh + h * block;
    const double* __restrict vb = v + H * block;
    double usum = 0.0;
#pragma omp simd reduction(+ : usum)
    for (std::int64_t l = 0; l < block; ++l) {
      usum += cr[l] * vb[l];
      row[l] += vb[l];
    }
    for (std::uint64_t m = static_cast<std::uint64_t>(H); m; m &= m - 1)
      Ah[__builtin_ctzll(m)] += usum;
  }
}

}  // namespace

void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A,
                    double* T) {
  const int L = low_bits(n);
  const std::int64_t block = std::int64_t{1} << L;
  const std::int64_t nblocks = std::int64_t{1} << (n - L);
  const int hi_players = n - L;
  const std::size_t rows = static_cast<std::size_t>(hi_players + 1) * block;

  // Coefficient rows: crow[h][l] = c[h + popcount(l)].
  std::vector<double> crow(rows);
  for (int h = 0; h <= hi_players; ++h)
    for (std::int64_t l = 0; l < block; ++l)
      crow[h * block + l] = c[h + popcount64(static_cast<std::uint64_t>(l))];

  const int nthreads = threads_for_blocks(nblocks);
  Cancel cancel;
  std::vector<double> Bpart(static_cast<std::size_t>(nthreads) * rows, 0.0);
  std::vector<double> Hpart(static_cast<std::size_t>(nthreads) * (hi_players + 1), 0.0);

#pragma omp parallel num_threads(nthreads)
  {
    const int t = omp_get_thread_num();
    const Share mine = static_share(nblocks, t, nthreads);
    semivalue_blocks(v, L, mine.begin, mine.end, crow.data(), &Bpart[t * rows],
                     &Hpart[static_cast<std::size_t>(t) * (hi_players + 1)], cancel);
  }
  cancel.check();

  for (int i = 0; i < n; ++i) A[i] = 0.0;
  double total = 0.0;
  std::vector<double> B(block, 0.0);
  for (int t = 0; t < nthreads; ++t) {
    const double* Bh = &Bpart[t * rows];
    for (int h = 0; h <= hi_players; ++h)
      for (std::int64_t l = 0; l < block; ++l) {
        const double x = Bh[h * block + l];
        const int s = h + popcount64(static_cast<std::uint64_t>(l));
        B[l] += c[s] * x;
        total += b[s] * x;
      }
    for (int j = 0; j < hi_players; ++j)
      A[L + j] += Hpart[static_cast<std::size_t>(t) * (hi_players + 1) + j];
  }
  for (std::int64_t l = 0; l < block; ++l)
    for (std::uint64_t m = static_cast<std::uint64_t>(l); m; m &= m - 1)
      A[__builtin_ctzll(m)] += B[l];
  *T = total;
}

}  // namespace accord::coop
