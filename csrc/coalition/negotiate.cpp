// One stage's best-reply negotiation over frozen values (see accord/coalition.hpp): the
// same decisions as python/accord/coalition/bre.py, candidates in increasing mask order
// and actions in order (the first best wins ties).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "accord/bayes.hpp"
#include "accord/coalition.hpp"
#include "accord/interrupt.hpp"

namespace accord::coalition {

namespace {

struct Stage {
  const Negotiation& a;
  std::int64_t M;
  std::vector<std::int64_t>& missing;

  // Whether row (k, s) is computed; notes it in `missing` when not (lazy rows).
  bool ready(int k, std::int64_t s, std::int64_t b) const {
    if (!a.lazy) return true;
    const std::int64_t row = k * M + s;
    if ((a.offset && std::isnan(a.offset[row * a.actions + b])) ||
        (a.row_start && a.row_start[row] < 0)) {
      if (std::find(missing.begin(), missing.end(), row) == missing.end())
        missing.push_back(row);
      return false;
    }
    return true;
  }

  // Agent k's value of (s, b) at relative demand r; NaN when a row is missing.
  double value(int k, std::int64_t s, std::int64_t b, double r) const {
    if (!ready(k, s, b)) return std::numeric_limits<double>::quiet_NaN();
    const std::int64_t A = a.actions, row = k * M + s, at = row * A + b;
    double v = r * a.base[at];
    if (a.offset) v += a.offset[at];
    if (!a.best) return v;
    const double *p, *c, *co;
    std::int64_t w_n;
    if (a.row_start) {
      const std::int64_t start = a.row_start[row];
      w_n = a.row_width[row];
      p = a.dist + start;
      c = a.cells + A * start + b * w_n;
      co = a.cell_offset ? a.cell_offset + A * start + b * w_n : nullptr;
    } else {
      w_n = a.width;
      p = a.dist + row * w_n;
      c = a.cells + k * a.cells_stride + (s * A + b) * w_n;
      co = a.cell_offset ? a.cell_offset + (row * A + b) * w_n : nullptr;
    }
    const bool top = s == a.best_mask[k] && b == a.best_action[k];
    double g = 0.0;
    for (std::int64_t w = 0; w < w_n; ++w)
      if (p[w] > 0.0) {
        const double q = co ? r * c[w] + co[w] : r * c[w];
        g += p[w] * bayes::vpi_gain(q, a.best[k], a.second[k], top);
      }
    return v + g;
  }
};

// The demands of proposal s by proposer i (BRE, step 3): each partner its believed
// payoff pbar, the proposer max(own, 0) (its share of the coalition's value); all 1 when
// they sum to zero.  Returns their sum.
double proposal_demands(int n, int i, std::int64_t s, double own, const std::vector<double>& pbar,
                        std::vector<double>& dem) {
  double total = 0.0;
  for (int k = 0; k < n; ++k) {
    dem[k] = ((s >> k) & 1) ? pbar[k] : 0.0;
    if (k == i) dem[k] = std::max(own, 0.0);
    total += dem[k];
  }
  if (!(total > 0.0)) {
    total = 0.0;
    for (int k = 0; k < n; ++k) {
      dem[k] = ((s >> k) & 1) ? 1.0 : 0.0;
      total += dem[k];
    }
  }
  return total;
}

// Coalition s forms with action b and its members' demands dem; agents left behind stay
// together with their demands and re-choose the action maximising their
// demand-weighted base values (C, act, d updated in place).
void form(const double* base, int n, std::int64_t A, std::int64_t s, std::int64_t b,
          const double* dem, std::int64_t* C, std::int64_t* act, double* d) {
  const std::int64_t M = std::int64_t{1} << n;
  // agents left behind stay together and re-choose their action (old demands)
  for (int k = 0; k < n; ++k) {
    if (((s >> k) & 1) || !(C[k] & s)) continue;
    const std::int64_t rest = C[k] & ~s;
    if (C[k] == rest) continue;  // already moved with an earlier member
    double tot = 0.0;
    int size = 0;
    for (int j = 0; j < n; ++j)
      if ((rest >> j) & 1) {
        tot += d[j];
        ++size;
      }
    std::int64_t pick = 0;
    double val = -std::numeric_limits<double>::infinity();
    for (std::int64_t q = 0; q < A; ++q) {
      double v = 0.0;
      for (int j = 0; j < n; ++j)
        if ((rest >> j) & 1)
          v += (tot > 0.0 ? d[j] / tot : 1.0 / size) * base[(j * M + rest) * A + q];
      if (v > val) {
        val = v;
        pick = q;
      }
    }
    for (int j = 0; j < n; ++j)
      if ((rest >> j) & 1) {
        C[j] = rest;
        act[j] = pick;
      }
  }
  for (int k = 0; k < n; ++k)
    if ((s >> k) & 1) {
      C[k] = s;
      act[k] = b;
      d[k] = dem[k];
    }
}

void shares_of(const std::int64_t* C, const double* d, int n, std::vector<double>& r) {
  for (int k = 0; k < n; ++k) {
    double tot = 0.0;
    int size = 0;
    for (int j = 0; j < n; ++j)
      if (C[j] == C[k]) {
        tot += d[j];
        ++size;
      }
    r[k] = tot > 0.0 ? d[k] / tot : 1.0 / size;
  }
}

void check_agreement(int n, std::int64_t A, const std::int64_t* C, const std::int64_t* act,
                     const double* d, const std::string& f) {
  const std::int64_t M = std::int64_t{1} << n;
  for (int k = 0; k < n; ++k) {
    if (C[k] < 1 || C[k] >= M || !((C[k] >> k) & 1))
      throw std::invalid_argument(f + ": an agent is not in its own coalition");
    if (act[k] < 0 || act[k] >= A) throw std::invalid_argument(f + ": an action is out of range");
    if (!(d[k] >= 0.0) || !std::isfinite(d[k]))
      throw std::invalid_argument(f + ": demands must be finite and >= 0");
    for (int j = 0; j < n; ++j)
      if (((C[k] >> j) & 1) && (C[j] != C[k] || act[j] != act[k]))
        throw std::invalid_argument(f + ": members disagree on their coalition or action");
  }
}

void check(const Negotiation& a, const std::int64_t* C, const std::int64_t* act,
           const double* d) {
  const std::int64_t M = std::int64_t{1} << a.n;
  check_agreement(a.n, a.actions, C, act, d, "negotiate");
  for (std::int64_t t = 0; t < a.rounds; ++t) {
    if (a.proposer[t] < 0 || a.proposer[t] >= a.n)
      throw std::invalid_argument("negotiate: a proposer is out of range");
    for (int q = 0; q < 3; ++q)
      if (!(a.draws[3 * t + q] >= 0.0 && a.draws[3 * t + q] < 1.0))
        throw std::invalid_argument("negotiate: draws must lie in [0, 1)");
  }
  for (int k = 0; k < a.n && a.best; ++k)
    if (a.best_mask[k] < 0 || a.best_mask[k] >= M || a.best_action[k] < 0 ||
        a.best_action[k] >= a.actions)
      throw std::invalid_argument("negotiate: a reference agreement is out of range");
}

}  // namespace

std::int64_t negotiate(const Negotiation& a, std::int64_t* C, std::int64_t* act, double* d,
                       std::vector<std::int64_t>& missing) {
  if (a.n < 1 || a.n > 20 || a.actions < 1 || a.rounds < 0 || a.width < 0 ||
      a.first_round < 0 || a.first_round > a.rounds)
    throw std::invalid_argument(
        "negotiate: need 1 <= n <= 20, A >= 1, rounds >= 0, width >= 0, "
        "0 <= first_round <= rounds");
  check(a, C, act, d);
  missing.clear();
  const int n = a.n;
  const std::int64_t M = std::int64_t{1} << n, A = a.actions;
  const Stage st{a, M, missing};
  std::vector<double> r(n), pbar(n), dem(n), off(n);
  std::vector<std::int64_t> cand;
  Cancel cancel;
  std::int64_t t = a.first_round;
  for (; t < a.rounds; ++t) {
    if (cancel.poll()) break;
    const int i = static_cast<int>(a.proposer[t]);
    const double* u = a.draws + 3 * t;
    shares_of(C, d, n, r);
    const double* Bi = a.base + static_cast<std::int64_t>(i) * M * A;
    for (int k = 0; k < n; ++k) pbar[k] = r[k] * Bi[C[k] * A + act[k]];
    proposer_candidates(n, i, C, a.restricted, cand);
    auto share = [&](std::int64_t s, std::int64_t b) {
      double offered = 0.0;
      for (int k = 0; k < n; ++k)
        if (k != i && ((s >> k) & 1)) offered += pbar[k];
      const double v = Bi[s * A + b];
      return v > 0.0 ? std::clamp((v - offered) / v, 0.0, 1.0) : 0.0;
    };
    std::int64_t s = -1, b = 0;
    if (u[0] < a.epsilon) {
      const auto R = static_cast<std::int64_t>(cand.size());
      s = cand[std::min<std::int64_t>(static_cast<std::int64_t>(u[1] * R), R - 1)];
      b = std::min<std::int64_t>(static_cast<std::int64_t>(u[2] * A), A - 1);
    } else {
      const double cur = st.value(i, C[i], act[i], r[i]);
      double top = -std::numeric_limits<double>::infinity();
      for (const std::int64_t m : cand)
        for (std::int64_t q = 0; q < A; ++q) {
          if (m == C[i] && q == act[i]) continue;
          const double v = st.value(i, m, q, share(m, q));
          if (v > top) {
            top = v;
            s = m;
            b = q;
          }
        }
      if (!missing.empty()) return t;  // the proposer's rows first
      if (s < 0 || !(top > cur + a.tol)) continue;
    }
    if (s == C[i] && b == act[i]) continue;
    const double total = proposal_demands(n, i, s, share(s, b) * Bi[s * A + b], pbar, dem);
    // one known refusal decides the round; otherwise every missing row is asked for
    bool refused = false;
    for (int k = 0; k < n && !refused; ++k) {
      if (k == i || !((s >> k) & 1)) continue;
      const std::size_t known = missing.size();
      const double offer = st.value(k, s, b, dem[k] / total);
      const double now = st.value(k, C[k], act[k], r[k]);
      if (missing.size() == known) refused = !(offer >= now - a.tol);
    }
    if (refused) {
      missing.clear();
      continue;
    }
    if (!missing.empty()) return t;
    form(a.base, n, A, s, b, dem.data(), C, act, d);
  }
  cancel.check();
  return t;
}

void form_proposals(const Proposals& a, std::int64_t* out_c, std::int64_t* out_a,
                    double* out_r) {
  const int n = a.n, i = a.agent;
  const std::int64_t A = a.actions, M = std::int64_t{1} << n;
  if (n < 1 || n > 20 || A < 1 || i < 0 || i >= n)
    throw std::invalid_argument("form_proposals: need 1 <= n <= 20, A >= 1, 0 <= agent < n");
  check_agreement(n, A, a.coalition, a.action, a.demand, "form_proposals");
  for (std::int64_t q = 0; q < a.count; ++q) {
    if (a.masks[q] < 1 || a.masks[q] >= M || !((a.masks[q] >> i) & 1))
      throw std::invalid_argument("form_proposals: every mask must contain the agent");
    if (a.actions_of[q] < 0 || a.actions_of[q] >= A)
      throw std::invalid_argument("form_proposals: an action is out of range");
    if (!std::isfinite(a.shares[q]))
      throw std::invalid_argument("form_proposals: shares must be finite");
  }
  std::vector<double> r(n), pbar(n), dem(n);
  shares_of(a.coalition, a.demand, n, r);
  const double* Bi = a.base + static_cast<std::int64_t>(i) * M * A;
  for (int k = 0; k < n; ++k) pbar[k] = r[k] * Bi[a.coalition[k] * A + a.action[k]];
  for (std::int64_t q = 0; q < a.count; ++q) {
    const std::int64_t s = a.masks[q], b = a.actions_of[q];
    std::int64_t* C = out_c + q * n;
    std::int64_t* act = out_a + q * n;
    std::copy(a.coalition, a.coalition + n, C);
    std::copy(a.action, a.action + n, act);
    std::vector<double> d(a.demand, a.demand + n);
    proposal_demands(n, i, s, a.shares[q] * Bi[s * A + b], pbar, dem);
    form(a.base, n, A, s, b, dem.data(), C, act, d.data());
    shares_of(C, d.data(), n, r);
    std::copy(r.begin(), r.end(), out_r + q * n);
  }
}

}  // namespace accord::coalition
