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
#include <algorithm>
#include <cstdint>
#include <vector>

namespace accord::coalition {

// The coalitions proposer j considers, in increasing mask order (best reply,
// python/accord/coalition/estimators.py: candidate_filter): every coalition containing
// it, or when `restricted` only {j}, C_j and {j} u C for C in the structure C (n,).
inline void proposer_candidates(int n, int j, const std::int64_t* C, bool restricted,
                                std::vector<std::int64_t>& out) {
  const std::int64_t lone = std::int64_t{1} << j, M = std::int64_t{1} << n;
  out.clear();
  if (restricted) {
    out.push_back(lone);
    out.push_back(C[j]);
    for (int k = 0; k < n; ++k)
      if (!(C[k] & lone)) out.push_back(lone | C[k]);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  } else {
    for (std::int64_t s = 1; s < M; ++s)
      if (s & lone) out.push_back(s);
  }
}

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

// V^0_i of the belief states in which a type vector of a coalition's other members has
// been revealed (Chalkiadakis & Boutilier 2012, Sec. 4.6), for an outcome model that
// depends on the types only through the total of their points.  Agent i's value of S'
// in such a view is sum_l dist(S' \ R, l) values(S', beta, l + shift), R the revealed
// members and shift their points in S'.  out[q, beta, t] is V^0 of vector t of mask q,
// the round starting from agreement which[q, beta] (step.own, step.views and
// step.which are unused); vectors with compute 0 are left at 0.
struct Revealed {
  OneStep step;
  std::int64_t width;              // L: totals 0..L-1
  const double* dist;              // (2^n, L): i's distribution of every coalition's total
  const double* values;            // (2^n, A, L)
  std::int64_t k_max;
  const std::int64_t* points;      // (n, k_max): points of member j's local type index
  std::int64_t masks;              // R
  const std::int64_t* mask;        // (R,): coalitions containing i
  std::int64_t vectors_per;        // T
  std::int64_t m_max;              // columns of `vectors` (>= unknown members of a mask)
  const std::int64_t* vectors;     // (R, T, m_max): local types of the mask's other
                                   // members in increasing agent order
  const std::uint8_t* compute;     // (R, T)
  const std::int64_t* which;       // (R, A): starting agreement of (mask, beta)
};

void revealed_payoffs(const Revealed& r, double* out);

// revealed_payoffs for an outcome model without a type statistic: agent i's value of
// each coalition S' is the belief-weighted sum of a table over the type vectors of its
// other members (offset[S']: where S''s (A, k_max^m) table starts in `values`, -1 for
// none; unknown[S']: those m members in increasing order, -1 padded), with the
// revealed members' types fixed.  local_probs (n, k_max) are the agent's beliefs by
// each member's local type index (0 for padding types).
struct RevealedVectors {
  OneStep step;
  std::int64_t k_max;
  const double* local_probs;       // (n, k_max)
  const std::int64_t* offset;      // (2^n,)
  const std::int64_t* unknown;     // (2^n, n - 1)
  std::int64_t values_size;        // elements of `values`
  const double* values;            // per coalition, (A, k_max^m) row-major
  std::int64_t masks;              // R
  const std::int64_t* mask;        // (R,): coalitions containing i
  std::int64_t vectors_per;        // T
  std::int64_t m_max;              // columns of `vectors`
  const std::int64_t* vectors;     // (R, T, m_max): local types of the mask's other members
  const std::uint8_t* compute;     // (R, T)
  const std::int64_t* which;       // (R, A): starting agreement of (mask, beta)
};

void revealed_payoffs_vectors(const RevealedVectors& r, double* out);

// W_i(S, beta) = sum_o Pr_i(o | S, beta) V^0_i(B_i^{o, S, beta}) (Chalkiadakis &
// Boutilier 2012, Eqs. 8-10) for a stage task and a next task whose outcome models
// depend on the types only through totals of points.  The successor beliefs B^{o,S,beta}
// are the exact Eq. 5 marginals: member j of S (not i) gets
//   B(t_j) sum_l P_{S \ j}(l) Pr(o | S, beta, l + points(t_j)),
// P_{S \ j} the distribution of the other members' total; the successor's coalition
// values (next task) come from the subset walk of accord/subset_sums.hpp or, with the
// restricted candidates (n > 6), only for the rows the round reads: next_dist of the
// unchanged members shifted by the changed members' totals.  Outcomes of probability
// at most min_prob are skipped.  For S = {i} the beliefs cannot change and
// W is V^0 of the current beliefs.  out[q, beta] for mask q; the round starts from
// agreement which[q, beta] (step.own, step.views and step.which are unused).
struct Lookahead {
  OneStep step;
  std::int64_t types;               // K
  const double* beliefs;            // (n, K): the agent's beliefs
  std::int64_t outcomes;            // O
  std::int64_t width;               // L of the stage task
  const double* dist;               // (2^n, L): the agent's distribution of every total
  const double* probs;              // (2^n, A, O, L): Pr(o | S, beta, total)
  const std::int64_t* points;       // (K,) of the stage task
  std::int64_t next_width;          // L' of the next task
  const double* next_dist;          // (2^n, L'): the agent's totals under the next task
  const double* next_values;        // (2^n, A, L')
  const std::int64_t* next_points;  // (K,) of the next task
  std::int64_t masks;               // R
  const std::int64_t* mask;         // (R,): coalitions containing i
  const std::int64_t* which;        // (R, A): starting agreement of (mask, beta)
  double min_prob;
};

void lookahead_values(const Lookahead& a, double* out);

// A stage's negotiation: `rounds` rounds of best reply with experimentation
// (python/accord/coalition/bre.py) over frozen per-stage values.  Agent k values an
// agreement (S, beta) with relative demand r as
//   r base_k(S, beta) + offset_k(S, beta)
//     + sum_w dist_k(S, w) vpi_gain(r cells_k(S, beta, w) + cell_offset_k(S, beta, w),
//                                   best_k, second_k, is_best)
// (Eqs. 11-13 over the cells w of S, when best is given; is_best when (S, beta) is k's
// reference sigma_1; VPI-over-OSLA's cells are type vectors, their offsets the
// lookahead after the vector's revelation, Sec. 4.6).  Round t: proposer proposer[t];
// it experiments when
// draws[t][0] < epsilon, taking candidate floor(draws[t][1] R) and action
// floor(draws[t][2] A); otherwise it proposes its best reply, if that beats its current
// value by more than tol.  Partners accept when their value of the proposal is at
// least their current value less tol; agents left behind keep their demands and
// re-choose the action maximising their demand-weighted base values.
struct Negotiation {
  int n;
  std::int64_t actions;           // A
  const double* base;             // (n, 2^n, A)
  const double* offset;           // (n, 2^n, A) or null
  std::int64_t width;             // W: cells per coalition (0: no VPI term, or compact)
  const double* dist;             // (n, 2^n, W), or compact (N,)
  const double* cells;            // (n or 1, 2^n, A, W), or compact (A N,)
  std::int64_t cells_stride;      // elements between agents' cell tables (0: shared)
  const double* cell_offset;      // like cells (per agent) added to each cell's value, or null
  const double* best;             // (n,) q_1 of each agent, or null (no VPI term)
  const double* second;           // (n,) q_2
  const std::int64_t* best_mask;  // (n,) sigma_1's coalition
  const std::int64_t* best_action;
  std::int64_t rounds;
  const std::int64_t* proposer;  // (rounds,)
  const double* draws;           // (rounds, 3) uniforms in [0, 1)
  double epsilon;
  bool restricted;  // proposer j considers only {j}, C_j and {j} u C for C in the structure
  double tol;
  // Compact cells (or null): row (k, S) has row_width[k 2^n + S] cells starting at
  // row_start[k 2^n + S] of dist; its action beta's cells start at
  // A row_start + beta row_width of cells and cell_offset.
  const std::int64_t* row_start = nullptr;  // (n, 2^n)
  const std::int64_t* row_width = nullptr;  // (n, 2^n)
  // Rows computed on demand: a NaN offset or a row_start of -1 marks a row not yet
  // computed; the round that needs one stops the loop (see negotiate).
  bool lazy = false;
  std::int64_t first_round = 0;  // resume at this round
};

// Runs rounds first_round.. from the agreement (coalition, action, demand), each (n,),
// updated in place, and returns the number of rounds done (`rounds` when all ran).
// With `lazy`, a round that needs rows not yet computed stops before changing the
// agreement and returns its index, the rows (k 2^n + S) in `missing`: compute them and
// resume there.  Throws std::invalid_argument on an inconsistent agreement or a bad index.
std::int64_t negotiate(const Negotiation& a, std::int64_t* coalition, std::int64_t* action,
                       double* demand, std::vector<std::int64_t>& missing);

// The agreements that proposer `agent`'s proposals (masks[q], actions_of[q]) form from the
// agreement (coalition, action, demand) when accepted (BRE, step 3, as in negotiate):
// partners demand the payoffs the proposer believes they get now, the proposer
// max(shares[q] base_agent(S, beta), 0); agents left behind stay together and re-choose
// their action.  Writes coalitions, actions and relative demands, each (count, n).
struct Proposals {
  int n;
  std::int64_t actions;           // A
  const double* base;             // (n, 2^n, A)
  int agent;
  const std::int64_t* coalition;  // (n,)
  const std::int64_t* action;     // (n,)
  const double* demand;           // (n,)
  std::int64_t count;             // D
  const std::int64_t* masks;      // (D,)
  const std::int64_t* actions_of; // (D,)
  const double* shares;           // (D,)
};

void form_proposals(const Proposals& a, std::int64_t* out_c, std::int64_t* out_a,
                    double* out_r);

}  // namespace accord::coalition
