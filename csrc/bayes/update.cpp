// The belief update of Chalkiadakis & Boutilier (2012), Eq. 5, batched over rows: exact over enumerated joint
// type vectors, or Rao-Blackwellised from sampled ones.  All in log space.
//
// Enumerated, per row (see joint.hpp for the enumeration):
//   pass A: l(t) = log B(t) + log Pr(s | t) over the vectors of positive prior, and
//           M = max_t l(t) (no vector of finite l: zero evidence);
//   pass B: e(t) = exp(l(t) - M), summed into Z and into every member's marginal sums
//           (outer members once per block, inner members through per-entry sums
//           marginalised at the end), so a vector costs one exp and a few adds;
//   log post_j(k) = log S_jk - log Z.  A sum below 1e-280 (a posterior probability
//   that small) is recomputed from its own maximum, so tiny marginals keep full
//   relative precision in log space instead of underflowing.
#include <omp.h>

#include <algorithm>
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
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kTiny = 1e-280;

struct Scratch {
  explicit Scratch(int m, int K) : plan(m, K) {}
  JointPlan plan;
  std::vector<double> ein, acc, mx, acc2;
  std::vector<unsigned char> redo;
};

std::int64_t joint_count(int m, int K) {
  std::int64_t T = 1;
  for (int j = 0; j < m; ++j) T *= K;
  return T;
}

// Exact log-space sums of the flagged (member, type) pairs: their own maxima (pass C),
// then sums of exp(l(t) - M_jk) (pass D).
template <bool C>
void fix_tiny(Scratch& w, const double* ll, double log_z, double* post) {
  JointPlan& p = w.plan;
  const int m = p.m(), K = p.K(), mo = p.outer(), r = p.inner();
  const std::int64_t n = p.size();
  const std::int64_t* off = p.offsets();
  const double* ilp = p.inner_log_prior();
  const int* dg = p.inner_digits();
  const auto& redo = w.redo;
  w.mx.assign(static_cast<std::size_t>(m) * K, kNegInf);
  w.acc2.assign(static_cast<std::size_t>(m) * K, 0.0);
  auto visit = [&](auto&& g) {
    p.for_each_outer([&](std::int64_t base, double lpo, const int* od) {
      const double* L = ll + base;
      for (std::int64_t i = 0; i < n; ++i) {
        const double v = lpo + ilp[i] + L[C ? i : off[i]];
        if (!(v > kNegInf)) continue;
        for (int j = 0; j < mo; ++j) {
          const int idx = j * K + od[j];
          if (redo[idx]) g(idx, v);
        }
        for (int q = 0; q < r; ++q) {
          const int idx = (mo + q) * K + dg[i * r + q];
          if (redo[idx]) g(idx, v);
        }
      }
    });
  };
  visit([&](int idx, double v) { w.mx[idx] = std::max(w.mx[idx], v); });
  visit([&](int idx, double v) { w.acc2[idx] += exp_det(v - w.mx[idx]); });
  for (int idx = 0; idx < m * K; ++idx)
    if (redo[idx])
      post[idx] = w.mx[idx] > kNegInf ? w.mx[idx] + std::log(w.acc2[idx]) - log_z : kNegInf;
}

template <bool C>
void update_row(Scratch& w, const double* lp, const double* ll, std::int64_t T, double* post,
                double* joint, unsigned char* status) {
  JointPlan& p = w.plan;
  const int m = p.m(), K = p.K(), mo = p.outer(), r = p.inner();
  const std::int64_t n = p.size();
  const std::int64_t* off = p.offsets();
  const double* ilp = p.inner_log_prior();

  if (joint) std::fill(joint, joint + T, kNegInf);
  const std::int64_t* offs = C ? nullptr : off;
  double M = kNegInf;
  p.for_each_outer([&](std::int64_t base, double lpo, const int*) {
    const double mx = detail::leaf_max(ilp, ll + base, offs, n, lpo, joint ? joint + base : nullptr);
    M = mx > M ? mx : M;
  });
  if (!(M > kNegInf)) {
    *status = kZeroEvidence;
    std::fill(post, post + static_cast<std::int64_t>(m) * K, kNegInf);
    return;
  }

  w.ein.assign(static_cast<std::size_t>(n), 0.0);
  w.acc.assign(static_cast<std::size_t>(m) * K, 0.0);
  double* ein = w.ein.data();
  double* acc = w.acc.data();
  double Z = 0.0;
  p.for_each_outer([&](std::int64_t base, double lpo, const int* od) {
    const double bs = detail::leaf_exp_sum(ilp, ll + base, offs, n, lpo, M, ein);
    for (int j = 0; j < mo; ++j) acc[j * K + od[j]] += bs;
    Z += bs;
  });
  // Inner members' marginals: ein is a row-major tensor over their supports; take the
  // last axis's marginal, sum that axis out (in place), repeat.
  std::int64_t size = n;
  for (int q = r - 1; q >= 0; --q) {
    const int j = mo + q;
    const std::int64_t c = p.count(j), outer = size / c;
    const int* sj = p.support(j);
    double* a = acc + j * K;
    for (std::int64_t kk = 0; kk < c; ++kk) {
      double s = 0.0;
      for (std::int64_t o = 0; o < outer; ++o) s += ein[o * c + kk];
      a[sj[kk]] += s;
    }
    if (q > 0) {
      for (std::int64_t o = 0; o < outer; ++o) {
        double s = 0.0;
        for (std::int64_t kk = 0; kk < c; ++kk) s += ein[o * c + kk];
        ein[o] = s;
      }
      size = outer;
    }
  }

  const double log_z = M + std::log(Z);
  const double lz = std::log(Z);
  bool any = false;
  w.redo.assign(static_cast<std::size_t>(m) * K, 0);
  for (int idx = 0; idx < m * K; ++idx) {
    if (!(lp[idx] > kNegInf)) {
      post[idx] = kNegInf;
    } else if (acc[idx] >= kTiny) {
      post[idx] = std::log(acc[idx]) - lz;
    } else {
      w.redo[idx] = 1;
      any = true;
    }
  }
  if (any) fix_tiny<C>(w, ll, log_z, post);
  if (joint)
    for (std::int64_t t = 0; t < T; ++t) joint[t] -= log_z;  // -inf stays -inf
  *status = kOk;
}

}  // namespace

void update_enumerated(const double* log_prior, const double* log_lik, std::int64_t batch,
                       int m, int K, double* log_post, double* log_joint,
                       unsigned char* status) {
  const std::int64_t T = joint_count(m, K);
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  const int threads = detail::threads_for(batch, T + mk);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    Scratch w(m, K);
#pragma omp for schedule(dynamic, 8)
    for (std::int64_t b = 0; b < batch; ++b) {
      if (cancel.poll()) continue;
      const double* lp = log_prior + b * mk;
      w.plan.build(lp);
      double* joint = log_joint ? log_joint + b * T : nullptr;
      if (w.plan.contiguous())
        update_row<true>(w, lp, log_lik + b * T, T, log_post + b * mk, joint, status + b);
      else
        update_row<false>(w, lp, log_lik + b * T, T, log_post + b * mk, joint, status + b);
    }
  }
  cancel.check();
}

void update_sampled(const double* log_prior, const double* log_lik, std::int64_t batch,
                    int m, int K, std::int64_t samples, double* log_post,
                    unsigned char* status) {
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  const int threads = detail::threads_for(batch, samples * mk);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> mx(static_cast<std::size_t>(mk)), sum(static_cast<std::size_t>(mk));
#pragma omp for schedule(dynamic, 8)
    for (std::int64_t b = 0; b < batch; ++b) {
      if (cancel.poll()) continue;
      const double* lp = log_prior + b * mk;
      const double* ll = log_lik + b * samples * mk;
      double* post = log_post + b * mk;
      detail::column_lse(ll, samples, mk, mx.data(), sum.data());
      // log prior + log sum_s Pr(obs | s, j <- k); the 1/S of the mean cancels.
      unsigned char st = kOk;
      for (int j = 0; j < m; ++j) {
        double* v = post + j * K;
        double top = kNegInf;
        for (int k = 0; k < K; ++k) {
          const std::int64_t q = j * K + k;
          v[k] = (lp[q] > kNegInf && mx[q] > kNegInf) ? lp[q] + mx[q] + std::log(sum[q])
                                                      : kNegInf;
          top = v[k] > top ? v[k] : top;
        }
        if (!(top > kNegInf)) {
          st = kZeroEvidence;
          continue;
        }
        double z = 0.0;
        for (int k = 0; k < K; ++k) z += exp_det(v[k] - top);
        const double lse = top + std::log(z);
        for (int k = 0; k < K; ++k) v[k] = v[k] > kNegInf ? v[k] - lse : kNegInf;
      }
      if (st != kOk) std::fill(post, post + mk, kNegInf);
      status[b] = st;
    }
  }
  cancel.check();
}

}  // namespace accord::bayes
