// V^0 of Chalkiadakis & Boutilier (2012), Eq. 9, for a batch of belief views (see
// accord/coalition.hpp): one OpenMP iteration per view, proposers in order, each
// proposer's candidates in increasing mask order and actions in order (the first best
// wins ties).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "accord/coalition.hpp"
#include "accord/interrupt.hpp"

namespace accord::coalition {

namespace {

double view_payoff(const OneStep& a, std::int64_t z, std::vector<double>& pbar,
                   std::vector<double>& cur_self, std::vector<std::int64_t>& cand) {
  const int n = a.n, i = a.agent;
  const std::int64_t A = a.actions, M = std::int64_t{1} << n;
  const double* own = a.own + z * M * A;
  auto table = [&](int k) { return (k == i || !a.others) ? own : a.others; };
  const std::int64_t d = a.which[z];
  const std::int64_t* C = a.coalition + d * n;
  const std::int64_t* ACT = a.action + d * n;
  const double* R = a.share + d * n;
  for (int k = 0; k < n; ++k) cur_self[k] = R[k] * table(k)[C[k] * A + ACT[k]];
  const double cur_own = R[i] * own[C[i] * A + ACT[i]];
  const std::int64_t mine = C[i];
  double total = 0.0;
  for (int j = 0; j < n; ++j) {
    const double* Tj = table(j);
    for (int k = 0; k < n; ++k) pbar[k] = R[k] * Tj[C[k] * A + ACT[k]];
    proposer_candidates(n, j, C, a.restricted, cand);
    double best = -std::numeric_limits<double>::infinity(), bv = 0.0, bres = 0.0;
    std::int64_t bm = -1, ba = 0;
    for (const std::int64_t s : cand) {
      double offered = 0.0;
      for (int k = 0; k < n; ++k)
        if (k != j && ((s >> k) & 1)) offered += pbar[k];
      for (std::int64_t b = 0; b < A; ++b) {
        if (s == C[j] && b == ACT[j]) continue;
        const double v = Tj[s * A + b];
        const double resid = v - offered;
        const double gain = resid - pbar[j];
        if (gain > best) {
          best = gain;
          bm = s;
          ba = b;
          bv = v;
          bres = resid;
        }
      }
    }
    double u = cur_own;
    if (bm >= 0 && best > a.tol) {
      const double safe = bv > 0.0 ? bv : 1.0;
      bool formed = true;
      for (int k = 0; k < n && formed; ++k) {
        if (k == j || !((bm >> k) & 1)) continue;
        formed = pbar[k] / safe * table(k)[bm * A + ba] >= cur_self[k] - a.tol;
      }
      if (formed) {
        if ((bm >> i) & 1) {
          u = (i == j ? bres : pbar[i]) / safe * own[bm * A + ba];
        } else if (bm & mine) {
          const std::int64_t rest = mine & ~bm;
          double denom = 0.0;
          for (int k = 0; k < n; ++k)
            if ((rest >> k) & 1) denom += R[k];
          const double sh = R[i] / (denom > 0.0 ? denom : 1.0);
          double top = -std::numeric_limits<double>::infinity();
          for (std::int64_t b = 0; b < A; ++b) top = std::max(top, own[rest * A + b]);
          u = sh * top;
        }
      }
    }
    total += u;
  }
  return total / n;
}

}  // namespace

void one_step_payoff(const OneStep& a, double* out) {
  if (a.n < 1 || a.n > 20 || a.agent < 0 || a.agent >= a.n || a.actions < 1)
    throw std::invalid_argument("one_step_payoff: need 1 <= n <= 20, 0 <= agent < n, A >= 1");
  const std::int64_t M = std::int64_t{1} << a.n;
  for (std::int64_t z = 0; z < a.views; ++z)
    if (a.which[z] < 0 || a.which[z] >= a.starts)
      throw std::invalid_argument("one_step_payoff: which holds an index outside the starts");
  for (std::int64_t q = 0; q < a.starts * a.n; ++q) {
    if (a.coalition[q] < 1 || a.coalition[q] >= M || a.action[q] < 0 || a.action[q] >= a.actions)
      throw std::invalid_argument("one_step_payoff: a coalition or action is out of range");
    if (!((a.coalition[q] >> (q % a.n)) & 1))
      throw std::invalid_argument("one_step_payoff: an agent is not in its own coalition");
  }
  Cancel cancel;
  const int threads = a.views * M > 4096 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> pbar(a.n), cur_self(a.n);
    std::vector<std::int64_t> cand;
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t z = 0; z < a.views; ++z) {
      if (cancel.poll()) continue;
      out[z] = view_payoff(a, z, pbar, cur_self, cand);
    }
  }
  cancel.check();
}

}  // namespace accord::coalition
