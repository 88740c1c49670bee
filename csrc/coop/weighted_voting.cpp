// Exact power indices of weighted voting games [q; w_1..w_n] with integer weights
// by dynamic programming over coalition weight (the generating-function method of
// Brams & Affuso 1976 and Mann & Shapley 1962; see Matsui & Matsui 2000, "A survey
// of algorithms for calculating power indices of weighted majority games").
//
// To stay in floating point for n in the thousands we propagate *distributions*
// rather than counts: P[w] = Pr[w(S) = w] for S uniform over subsets (Banzhaf),
// and Q[s][w] = Pr[w(S) = w] for S uniform over s-subsets (Shapley-Shubik).  Both
// recurrences are convex combinations.  Player i is then divided out of the full
// distribution in O(W) (Banzhaf) or O(nW) (Shapley-Shubik) per distinct weight;
// for s-subsets only s <= (n-1)/2 is divided out, where the recurrence contracts,
// and larger s follow from complements.
#include <omp.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include "accord/coop.hpp"
#include "accord/interrupt.hpp"
#include "accord/runtime.hpp"

namespace accord::coop {

void voting_banzhaf(const std::int64_t* w, int n, std::int64_t quota, double* beta) {
  std::int64_t W = 0;
  for (int i = 0; i < n; ++i) W += w[i];
  const std::int64_t top = quota - 1;  // only weights below the quota are queried
  std::vector<double> P(top + 1, 0.0);
  P[0] = 1.0;
  Cancel cancel;
  for (int j = 0; j < n; ++j) {
    cancel.poll_check();
    const std::int64_t a = w[j];
    if (a == 0) continue;
    for (std::int64_t x = top; x >= a; --x) P[x] = 0.5 * (P[x] + P[x - a]);
    for (std::int64_t x = std::min(a - 1, top); x >= 0; --x) P[x] *= 0.5;
  }
  std::map<std::int64_t, double> by_weight;
  for (int i = 0; i < n; ++i) by_weight.emplace(w[i], 0.0);
  std::vector<double> R(top + 1);
  for (auto& [a, value] : by_weight) {
    cancel.poll_check();
    if (a == 0) continue;
    // Invert P = (R + shift_a R) / 2 for the distribution R without the player.
    for (std::int64_t x = 0; x <= top; ++x) R[x] = 2.0 * P[x] - (x >= a ? R[x - a] : 0.0);
    double s = 0.0;
    for (std::int64_t x = std::max<std::int64_t>(0, quota - a); x <= top; ++x) s += R[x];
    // R is the distribution of the others' weight with each in S w.p. 1/2; the raw
    // Banzhaf index is exactly that probability of a swing.
    value = s;
  }
  for (int i = 0; i < n; ++i) beta[i] = by_weight[w[i]];
}

void voting_shapley(const std::int64_t* w, int n, std::int64_t quota, double* phi) {
  std::int64_t W = 0;
  for (int i = 0; i < n; ++i) W += w[i];
  if (n == 1) {
    phi[0] = 1.0;
    return;
  }
  const int smax = (n - 1) / 2;  // sizes handled directly; larger via complements
  // Queried weights: below the quota (direct) and up to W - quota (complements).
  const std::int64_t top = std::max<std::int64_t>(quota - 1, W - quota);
  const std::int64_t width = top + 1;
  ZeroedArray<double> Q(static_cast<std::size_t>(smax + 1) * width), Qn(Q.size());
  auto row = [width](ZeroedArray<double>& T, int s) { return &T[s * width]; };
  Q[0] = 1.0;
  Cancel cancel;
  for (int j = 0; j < n; ++j) {  // add player j: Q_{j+1} from Q_j
    cancel.poll_check();
    const std::int64_t a = w[j];
    const double inv = 1.0 / (j + 1);
    const int smax_j = std::min(smax, j + 1);
#pragma omp parallel for schedule(dynamic, 4)
    for (int s = 0; s <= smax_j; ++s) {
      const double keep = (j + 1 - s) * inv, take = s * inv;
      const double* old = row(Q, s);
      double* out = row(Qn, s);
      if (s == 0) {
        for (std::int64_t x = 0; x < width; ++x) out[x] = old[x];
        continue;
      }
      const double* prev = row(Q, s - 1);
      const std::int64_t split = std::min(a, width);
      for (std::int64_t x = 0; x < split; ++x) out[x] = keep * old[x];
#pragma omp simd
      for (std::int64_t x = split; x < width; ++x) out[x] = keep * old[x] + take * prev[x - a];
    }
    Q.swap(Qn);
  }

  std::map<std::int64_t, double> by_weight;
  for (int i = 0; i < n; ++i) by_weight.emplace(w[i], 0.0);
  std::vector<std::int64_t> distinct;
  for (auto& kv : by_weight) distinct.push_back(kv.first);
  std::vector<double> values(distinct.size(), 0.0);
  const double dn = n;

#pragma omp parallel
  {
    ZeroedArray<double> R(Q.size());
#pragma omp for schedule(dynamic, 1)
    for (std::size_t d = 0; d < distinct.size(); ++d) {
      const std::int64_t a = distinct[d];
      if (a == 0 || cancel.poll()) continue;
      // Q_n[s] = ((n-s)/n) R[s] + (s/n) shift_a R[s-1]  =>  solve for R[s], s ascending.
      for (int s = 0; s <= smax; ++s) {
        if (cancel.poll()) break;
        const double* full = &Q[s * width];
        double* out = &R[s * width];
        const double* prev = s > 0 ? &R[(s - 1) * width] : nullptr;
        const double inv = 1.0 / (dn - s);
        for (std::int64_t x = 0; x < width; ++x) {
          const double below = (s > 0 && x >= a) ? prev[x - a] : 0.0;
          out[x] = (dn * full[x] - s * below) * inv;
        }
      }
      // phi = (1/n) sum_s Pr[quota - a <= w(S) < quota], S a uniform s-subset of
      // the n-1 others; for s > smax use the complement T (|T| = n-1-s <= smax):
      // w(S) = W' - w(T) with W' = W - a.
      const std::int64_t Wp = W - a;
      double total = 0.0;
      for (int s = 0; s <= n - 1; ++s) {
        std::int64_t lo, hi;
        const double* r;
        if (s <= smax) {
          r = &R[s * width];
          lo = quota - a;
          hi = quota - 1;
        } else {
          r = &R[(n - 1 - s) * width];
          lo = Wp - quota + 1;
          hi = Wp - quota + a;
        }
        lo = std::max<std::int64_t>(lo, 0);
        hi = std::min<std::int64_t>(hi, top);
        for (std::int64_t x = lo; x <= hi; ++x) total += r[x];
      }
      values[d] = total / dn;
    }
  }
  cancel.check();
  for (std::size_t d = 0; d < distinct.size(); ++d) by_weight[distinct[d]] = values[d];
  for (int i = 0; i < n; ++i) phi[i] = by_weight[w[i]];
}

}  // namespace accord::coop
