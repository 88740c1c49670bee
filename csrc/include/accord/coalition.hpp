// Repeated coalition formation: the one-step lookahead's next-stage payoff.
//
// Chalkiadakis & Boutilier (2012), "Sequentially optimal repeated coalition formation
// under uncertainty", JAAMAS 24(3), Eq. 9: V^0_i(B) is agent i's expected immediate
// payoff after the next stage's negotiation, modelled here as one round of best reply
// (python/accord/coalition/bre.py) from a given agreement, the proposer uniform over
// the n agents.  A proposer j offers every partner k the payoff pbar_jk = r_k Q_j(C_k,
// alpha_k) it believes k gets now, keeps the residual of the best (S, beta), proposes
// only if that beats its own pbar_jj by more than tol, and the partners accept if
// their share of their own value Q_k(S, beta) is at least their current payoff.
//
// Coalitions are bitmasks (bit k is agent k) over n <= 20 agents; values are row-major
// (2^n, A) tables of Q(S, beta).  Every view is computed by one thread.
#pragma once
#include <cstdint>

namespace accord::coalition {

struct OneStep {
  int n;                          // agents
  std::int64_t actions;           // A
  std::int64_t views;             // Z
  int agent;                      // i, whose payoff is returned
  const double* own;              // (Z, 2^n, A): Q_i in each view
  const double* others;           // (2^n, A): Q_k of every k != i, or null (k uses own)
  std::int64_t starts;            // D distinct starting agreements
  const std::int64_t* coalition;  // (D, n): coalition mask of each agent
  const std::int64_t* action;     // (D, n)
  const double* share;            // (D, n): relative demands
  const std::int64_t* which;      // (Z,): starting agreement of each view, in [0, D)
  bool restricted;  // proposer j considers only {j}, C_j and {j} u C for C in the structure
  double tol;
};

// out[z] = V^0_i of view z.  Throws std::invalid_argument on out-of-range indices.
void one_step_payoff(const OneStep& a, double* out);

}  // namespace accord::coalition
