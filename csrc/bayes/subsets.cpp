// Distributions of an additive statistic of the members' types over every subset of a
// group (accord/subset_sums.hpp): one view per OpenMP iteration, each computed by one
// thread in a fixed order, so results do not depend on the number of threads.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "accord/bayes.hpp"
#include "accord/interrupt.hpp"
#include "accord/subset_sums.hpp"
#include "joint.hpp"

namespace accord::bayes {

void subset_sums(const double* probs, std::int64_t views, int n, int K,
                 const std::int64_t* points, int L, const double* values, std::int64_t A,
                 double* out) {
  const std::int64_t M = std::int64_t{1} << n;
  int P = 1;
  for (int k = 0; k < K; ++k) P = std::max<int>(P, static_cast<int>(points[k]) + 1);
  const std::int64_t per_view = values ? M * A : M * L;
  const int threads = detail::threads_for(views, M * L * P);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> agg(static_cast<std::size_t>(n) * P);
    std::vector<int> top(static_cast<std::size_t>(n) + 1);
    std::vector<double> stack(static_cast<std::size_t>(n + 1) * L);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t z = 0; z < views; ++z) {
      if (cancel.poll()) continue;
      subset_aggregate(probs + z * n * K, n, K, points, P, agg.data(), top.data());
      subset_walk(agg.data(), top.data(), n, P, L, values, A, out + z * per_view, stack.data());
    }
  }
  cancel.check();
}

}  // namespace accord::bayes
