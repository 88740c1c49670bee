// Semivalues of a dense TU game in one pass over the table.
//
// phi_i = sum_{S not containing i} p(|S|) (v(S+i) - v(S))
//       = sum_{S containing i} c(|S|) v(S) - sum_S b(|S|) v(S)
// with c(s) = p(s-1) + p(s), b(s) = p(s) (Weber 1988, "Probabilistic values for
// games").  Splitting every mask into (H, l), the low players' sums are
// sum_l [bit j of l] B[l] with B[l] = sum_H c v(H,l), accumulated in an L1-resident
// array; the high players receive the per-block total.  Each table entry costs two
// fused multiply-adds, so the pass runs at memory bandwidth.
#include <omp.h>

#include <vector>

#include "accord/common.hpp"
#include "accord/coop.hpp"
#include "blocks.hpp"

namespace accord::coop {

void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A,
                    double* T) {
  const int L = low_bits(n);
  const std::int64_t block = std::int64_t{1} << L;
  const std::int64_t nblocks = std::int64_t{1} << (n - L);
  const int hi_players = n - L;

  // Coefficient rows: crow[h][l] = c[h + popcount(l)].
  std::vector<double> crow((hi_players + 1) * block), brow((hi_players + 1) * block);
  for (int h = 0; h <= hi_players; ++h)
    for (std::int64_t l = 0; l < block; ++l) {
      crow[h * block + l] = c[h + popcount64(static_cast<std::uint64_t>(l))];
      brow[h * block + l] = b[h + popcount64(static_cast<std::uint64_t>(l))];
    }

  const int nthreads = static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), nblocks));
  std::vector<double> Bpart(static_cast<std::size_t>(nthreads) * block, 0.0);
  std::vector<double> Hpart(static_cast<std::size_t>(nthreads) * (hi_players + 1), 0.0);
  std::vector<double> Tpart(nthreads, 0.0);

#pragma omp parallel num_threads(nthreads)
  {
    const int t = omp_get_thread_num();
    double* B = &Bpart[static_cast<std::size_t>(t) * block];
    double* Ah = &Hpart[static_cast<std::size_t>(t) * (hi_players + 1)];
    double tsum = 0.0;
#pragma omp for schedule(static)
    for (std::int64_t H = 0; H < nblocks; ++H) {
      const int h = popcount64(static_cast<std::uint64_t>(H));
      const double* cr = &crow[h * block];
      const double* br = &brow[h * block];
      const double* vb = v + H * block;
      double usum = 0.0, bsum = 0.0;
#pragma omp simd reduction(+ : usum, bsum)
      for (std::int64_t l = 0; l < block; ++l) {
        const double u = cr[l] * vb[l];
        B[l] += u;
        usum += u;
        bsum += br[l] * vb[l];
      }
      tsum += bsum;
      for (std::uint64_t m = static_cast<std::uint64_t>(H); m; m &= m - 1)
        Ah[__builtin_ctzll(m)] += usum;
    }
    Tpart[t] = tsum;
  }

  for (int i = 0; i < n; ++i) A[i] = 0.0;
  double total = 0.0;
  for (int t = 0; t < nthreads; ++t) {
    const double* B = &Bpart[static_cast<std::size_t>(t) * block];
    for (std::int64_t l = 0; l < block; ++l)
      for (std::uint64_t m = static_cast<std::uint64_t>(l); m; m &= m - 1)
        A[__builtin_ctzll(m)] += B[l];
    for (int j = 0; j < hi_players; ++j)
      A[L + j] += Hpart[static_cast<std::size_t>(t) * (hi_players + 1) + j];
    total += Tpart[t];
  }
  *T = total;
}

}  // namespace accord::coop
