// Independent draws of every member's type from its marginal (Chalkiadakis & Boutilier
// (2012), Sec. 6: "100 type vectors are sampled according to the belief distribution").
// Each draw is draw_type(lp[b][j], K, type_uniform(seed, b, s, j)) of accord/bayes.hpp;
// here the running sums of draw_type are tabulated once per member and searched, which
// gives the same type bit for bit (same operations in the same order), so CPU and GPU
// agree.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "accord/bayes.hpp"
#include "accord/interrupt.hpp"
#include "joint.hpp"

namespace accord::bayes {

namespace {
constexpr int kLinear = 32;  // up to this many types: a branch-free count, else bisection
}

void sample_types(const double* log_marginals, std::int64_t batch, int m, int K,
                  std::int64_t samples, std::uint64_t seed, std::int32_t* out) {
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  const int threads = detail::threads_for(batch, samples * m * 16 + mk);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> cdf(static_cast<std::size_t>(mk)), total(static_cast<std::size_t>(m));
    std::vector<int> last(static_cast<std::size_t>(m));
#pragma omp for schedule(dynamic, 8)
    for (std::int64_t b = 0; b < batch; ++b) {
      if (cancel.poll()) continue;
      const double* lp = log_marginals + b * mk;
      for (int j = 0; j < m; ++j) {
        const double* l = lp + j * K;
        double* c = cdf.data() + j * K;
        const double mx = max_of(l, K);
        double cum = 0.0;
        last[j] = 0;
        for (int k = 0; k < K; ++k) {
          const double e = exp_det(sub_rn(l[k], mx));
          if (e > 0.0) {
            cum = add_rn(cum, e);
            last[j] = k;
          }
          c[k] = cum;
        }
        total[j] = cum;
      }
      std::int32_t* o = out + b * samples * m;
      for (std::int64_t s = 0; s < samples; ++s) {
        if (cancel.poll_every(s, 4096)) break;
        for (int j = 0; j < m; j += 2) {
          double u[2];
          type_uniform_pair(seed, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(s),
                            static_cast<std::uint32_t>(j >> 1), u);
          for (int h = 0; h < 2 && j + h < m; ++h) {
            const double thr = mul_rn(u[h], total[j + h]);
            const double* c = cdf.data() + (j + h) * K;
            // First k with c[k] > thr: the number of running sums <= thr.
            int k;
            if (K <= kLinear) {
              k = 0;
              for (int q = 0; q < K; ++q) k += c[q] <= thr;
            } else {
              k = static_cast<int>(std::upper_bound(c, c + K, thr) - c);
            }
            o[s * m + j + h] = k < K ? k : last[j + h];
          }
        }
      }
    }
  }
  cancel.check();
}

}  // namespace accord::bayes
