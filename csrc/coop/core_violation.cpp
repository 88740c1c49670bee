// Largest excess v(S) - x(S) over all non-empty coalitions, in one pass.
// x(S) = x(H) + x(l): the low subset sums x(l) are built once by the DP
// x(l) = x(l without its top bit) + x[top bit]; x(H) once per block.
#include <omp.h>

#include <limits>
#include <vector>

#include "accord/common.hpp"
#include "accord/coop.hpp"
#include "accord/interrupt.hpp"
#include "blocks.hpp"

namespace accord::coop {

Excess max_excess(const double* v, int n, const double* x) {
  const int L = low_bits(n);
  const std::int64_t block = std::int64_t{1} << L;
  const std::int64_t nblocks = std::int64_t{1} << (n - L);
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();

  std::vector<double> xl(block, 0.0);
  for (std::int64_t l = 1; l < block; ++l) {
    const int top = 63 - __builtin_clzll(static_cast<std::uint64_t>(l));
    xl[l] = xl[l ^ (std::int64_t{1} << top)] + x[top];
  }

  const int nthreads = threads_for_blocks(nblocks);
  std::vector<Excess> best(nthreads, Excess{kNegInf, 0});
  Cancel cancel;

#pragma omp parallel num_threads(nthreads)
  {
    const int t = omp_get_thread_num();
    Excess mine{kNegInf, 0};
    const double* __restrict xlp = xl.data();
    const Share share = static_share(nblocks, t, nthreads);
    for (std::int64_t H = share.begin; H < share.end; ++H) {
      if (cancel.poll_every(H - share.begin, 256)) break;
      double xh = 0.0;
      for (std::uint64_t m = static_cast<std::uint64_t>(H); m; m &= m - 1)
        xh += x[L + __builtin_ctzll(m)];
      const double* __restrict vb = v + H * block;
      // The empty coalition (H = 0, l = 0) is not a candidate.
      const std::int64_t start = H == 0 ? 1 : 0;
      double bmax = kNegInf;
#pragma omp simd reduction(max : bmax)
      for (std::int64_t l = start; l < block; ++l) {
        const double e = vb[l] - (xh + xlp[l]);
        bmax = e > bmax ? e : bmax;
      }
      if (bmax > mine.value) {  // rare: find the first mask attaining the new maximum
        std::int64_t l = start;
        while (l + 1 < block && !(vb[l] - (xh + xlp[l]) == bmax)) ++l;
        mine = Excess{bmax, static_cast<std::uint64_t>(H * block + l)};
      }
    }
    best[t] = mine;
  }
  cancel.check();
  Excess out{kNegInf, 0};
  for (const Excess& b : best)  // threads own increasing mask ranges: keep the first max
    if (b.value > out.value) out = b;
  return out;
}

}  // namespace accord::coop
