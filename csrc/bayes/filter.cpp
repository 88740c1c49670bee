// Dec-POMDP belief filter (the belief state of Kaelbling, Littman & Cassandra (1998);
// Bernstein et al. (2002) for the decentralised setting): predict with the transition
// matrix, correct by the observation likelihood, normalise,
//   b'(s') = P(o | s') sum_s P(s' | s) b(s) / sum_s' (...),
// in probability space.  One row per OpenMP iteration; the prediction is a sequence of
// contiguous updates out += b(s) T[s, :] over the states of positive belief.
#include <omp.h>

#include <algorithm>

#include "accord/bayes.hpp"
#include "blocks.hpp"
#include "joint.hpp"

namespace accord::bayes {

void filter_step(const double* belief, const double* transition,
                 std::int64_t transition_stride, const double* observation_likelihood,
                 std::int64_t batch, std::int64_t states, double* out, unsigned char* status) {
  const std::int64_t S = states;
  const int threads = detail::threads_for(batch, S * S);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t b = 0; b < batch; ++b) {
    const double* bel = belief + b * S;
    const double* T = transition + b * transition_stride;
    const double* o = observation_likelihood + b * S;
    double* y = out + b * S;
    detail::predict(bel, T, S, y);
    double z = 0.0;
    for (std::int64_t t = 0; t < S; ++t) {
      y[t] *= o[t];
      z += y[t];
    }
    if (z > 0.0) {
      for (std::int64_t t = 0; t < S; ++t) y[t] /= z;
      status[b] = kOk;
    } else {
      std::fill(y, y + S, 0.0);
      status[b] = kZeroEvidence;
    }
  }
}

}  // namespace accord::bayes
