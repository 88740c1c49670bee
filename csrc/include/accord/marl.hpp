// Tabular multi-agent learning updates over environment copies and players.
//
// Every learner keeps one table per environment copy e and player i: Q has shape
// (E, n, S, k) row-major (k = the largest action count; player i's actions are
// 0..ks[i]-1, the rest of its rows unused).  One call learns one transition per copy,
// (s[e], a[e, i], r[e, i], s'[e], terminated[e]), for every (copy, player) pair, each
// pair touching only its own rows, so pairs run in parallel.  The target of pair (e, i)
// is r + discount max_{b < ks[i]} Q[e, i, s', b] (no continuation after a terminal
// step), read before any update of the call.
#pragma once
#include <cstdint>

namespace accord::marl {

struct Transitions {
  std::int64_t envs;               // E
  int players;                     // n
  std::int64_t states;             // S
  std::int64_t width;              // k
  const std::int64_t* actions_of;  // ks (n)
  const std::int64_t* s;           // (E)
  const std::int64_t* a;           // (E, n)
  const double* r;                 // (E, n)
  const std::int64_t* next;        // (E)
  const std::uint8_t* terminated;  // (E)
  double discount;
};

// Q-learning (Watkins & Dayan 1992) with rate alpha for increases and beta for decreases
// (hysteretic Q-learning, Matignon et al. 2007; beta = alpha is plain
// Q-learning).
void q_update(const Transitions& t, double* Q, double alpha, double beta);

// Lenient Q-learning (Panait, Tuyls & Luke 2008; Wei & Luke 2016, LMRL2): a decrease of
// Q[e, i, s, a] is forgiven when u[e, i] < 1 - exp(-lenience T[e, i, s, a]); the entry's
// temperature then becomes decay ((1 - diffusion) T + diffusion mean_b T[e, i, s', b])
// (decay T after a terminal step).  T has Q's shape.
void lenient_update(const Transitions& t, double* Q, double* T, const double* u, double alpha,
                    double lenience, double diffusion, double decay);

// Policy hill-climbing (Bowling & Veloso 2002, Tables 1-2): Q-learning at rate alpha, the
// average policy of the updated row moved toward the current one by 1 / visits, then the
// current policy stepped toward the greedy actions by delta: delta_win while the current
// policy is worth more than the average one against Q (WoLF), delta_lose otherwise
// (wolf = false: always delta_win).  Each non-greedy action gives up
// min(pi, delta / #non-greedy), shared equally by the greedy ones.  policy and average
// have Q's shape, visits (E, n, S).
void phc_update(const Transitions& t, double* Q, double* policy, double* average,
                std::int64_t* visits, double alpha, double delta_win, double delta_lose,
                bool wolf);

}  // namespace accord::marl
