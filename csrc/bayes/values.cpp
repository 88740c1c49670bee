// Expected action values under product-of-marginals beliefs (Chalkiadakis & Boutilier
// (2012), Eq. 2's inner sum Q_i(C, a) = sum_t B_i(t) Q(C, a | t)) and the expected value
// of perfect information (Eqs. 11-13), over enumerated joint type vectors or sampled ones
// (Sec. 6).
//
// Enumerated rows use the plan of joint.hpp: the inner members' joint probabilities are
// tabulated once per row, and every outer prefix of positive prior contributes
// P(prefix) * sum_i P_in(i) f(values[base + off(i)]) for each action, a contiguous dot
// product when the inner members have no impossible types.
#include <omp.h>

#include <cmath>
#include <limits>
#include <vector>

#include "accord/bayes.hpp"
#include "accord/interrupt.hpp"
#include "blocks.hpp"
#include "joint.hpp"

namespace accord::bayes {

namespace {

using detail::JointPlan;

std::int64_t joint_count(int m, int K) {
  std::int64_t T = 1;
  for (int j = 0; j < m; ++j) T *= K;
  return T;
}

// VPI arguments (null share: plain expected values).
struct GainArgs {
  const double* share;
  const double* best;
  const double* second;
  const unsigned char* is_best;
};

// sum_i w_i f(V[off_i]) for action q = b * A + a of row b.
double block(const double* P, const double* V, const std::int64_t* off, std::int64_t n,
             const GainArgs& g, std::int64_t b, std::int64_t q) {
  if (!g.share) return detail::weighted_sum(P, V, off, n);
  return detail::weighted_gain(P, V, off, n, g.share[q], g.best[b], g.second[b],
                               g.is_best[q] != 0);
}

void enumerated(const double* log_marginals, const double* values, std::int64_t batch, int m,
                int K, std::int64_t A, const GainArgs& g, double* out, unsigned char* status) {
  const std::int64_t T = joint_count(m, K);
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  const int threads = detail::threads_for(batch, A * T + mk);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    JointPlan plan(m, K);
    std::vector<double> pin;
#pragma omp for schedule(dynamic, 8)
    for (std::int64_t b = 0; b < batch; ++b) {
      if (cancel.poll()) continue;
      const double* V = values + b * A * T;
      double* o = out + b * A;
      if (!detail::all_finite(V, A * T)) {
        for (std::int64_t a = 0; a < A; ++a) o[a] = std::numeric_limits<double>::quiet_NaN();
        status[b] = kNonFinite;
        continue;
      }
      status[b] = kOk;
      plan.build(log_marginals + b * mk);
      const std::int64_t n = plan.size();
      const std::int64_t* off = plan.contiguous() ? nullptr : plan.offsets();
      pin.resize(static_cast<std::size_t>(n));
      detail::exp_table(plan.inner_log_prior(), n, pin.data());
      for (std::int64_t a = 0; a < A; ++a) o[a] = 0.0;
      plan.for_each_outer([&](std::int64_t base, double lpo, const int*) {
        const double po = exp_det(lpo);
        for (std::int64_t a = 0; a < A; ++a)
          o[a] += po * block(pin.data(), V + a * T + base, off, n, g, b, b * A + a);
      });
    }
  }
  cancel.check();
}

void sampled(const double* values, std::int64_t batch, std::int64_t A, std::int64_t S,
             const GainArgs& g, double* out, unsigned char* status) {
  const int threads = detail::threads_for(batch, A * S);
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)
  for (std::int64_t b = 0; b < batch; ++b) {
    if (cancel.poll()) continue;
    const bool ok = detail::all_finite(values + b * A * S, A * S);
    status[b] = ok ? kOk : kNonFinite;
    for (std::int64_t a = 0; a < A; ++a) {
      const std::int64_t q = b * A + a;
      const double s = ok ? block(nullptr, values + q * S, nullptr, S, g, b, q) : NAN;
      out[q] = S > 0 ? s / static_cast<double>(S) : 0.0;
    }
  }
  cancel.check();
}

}  // namespace

void expected_values(const double* log_marginals, const double* values, std::int64_t batch,
                     int m, int K, std::int64_t actions, double* out, unsigned char* status) {
  enumerated(log_marginals, values, batch, m, K, actions, GainArgs{}, out, status);
}

void sample_means(const double* values, std::int64_t batch, std::int64_t actions,
                  std::int64_t samples, double* out, unsigned char* status) {
  sampled(values, batch, actions, samples, GainArgs{}, out, status);
}

void vpi(const double* log_marginals, const double* values, std::int64_t batch, int m, int K,
         std::int64_t actions, std::int64_t joint, const double* share, const double* best,
         const double* second, const unsigned char* is_best, double* out,
         unsigned char* status) {
  const GainArgs g{share, best, second, is_best};
  if (log_marginals)
    enumerated(log_marginals, values, batch, m, K, actions, g, out, status);
  else
    sampled(values, batch, actions, joint, g, out, status);
}

}  // namespace accord::bayes
