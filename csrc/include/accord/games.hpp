// Normal-form game kernels: batched expected payoffs, best responses and learning
// dynamics.
//
// A game with n players and action counts k[0..n-1] is stored as n C-ordered
// tensors of K = prod(k) entries, one per player (payoff array (n, k_1, ..., k_n));
// a batch of G games is G such blocks back to back.  Mixed profiles are stored as
// one row of sum(k) probabilities per game, player 0's first.
#pragma once
#include <cstdint>
#include <vector>

namespace accord::games {

struct Layout {
  int n = 0;                       // players
  std::vector<std::int64_t> k;     // actions per player
  std::vector<std::int64_t> off;   // offset of player i's block in a profile row
  std::int64_t K = 1;              // outcomes (prod k)
  std::int64_t sumk = 0;           // length of a profile row

  Layout() = default;
  Layout(int n_, const std::int64_t* k_);
  // Outcomes before and after player i's axis: R = prod k[<i], S = prod k[>i].
  std::int64_t before(int i) const;
  std::int64_t after(int i) const;
};

// u[g, off_i + a] = expected payoff of player i playing a against the others' mixed
// strategies in row g of `profile`.  T is double or float.
template <class T>
void expected_payoffs(const T* payoffs, const T* profile, std::int64_t games, const Layout& L,
                      T* u);

// Best responses for every game and player: actions[g*n+i] is the lowest index
// whose expected payoff is within tol * max(1, |best|) of the best; best[g*n+i] is
// that best payoff and current[g*n+i] the payoff of the profile itself.  `u` may be
// null; when given it receives the expected payoffs as in expected_payoffs.
template <class T>
void best_response(const T* payoffs, const T* profile, std::int64_t games, const Layout& L,
                   double tol, std::int64_t* actions, T* best, T* current, T* u);

// ---- learning dynamics (double precision; batched over games) ---------------------
//
// Every dynamic writes the final profile (games x sumk) and a history of the
// NashConv of the profile it reports, one value every `record_every` iterations
// (games x records, records = iterations / record_every).

enum class FPMode : int { kSimultaneous = 0, kAlternating = 1 };

// Fictitious play (Brown 1951; Robinson 1951): empirical frequencies of past best
// responses.  `initial` holds one action per game and player (play at t = 1); an
// action outside 0..k_i-1 throws std::invalid_argument.
// Two-player games accumulate payoffs incrementally: O(k) per step per player.
void fictitious_play(const double* payoffs, std::int64_t games, const Layout& L,
                     std::int64_t iterations, FPMode mode, const std::int64_t* initial,
                     std::int64_t record_every, double* profile, double* history);

// Damped best-response iteration: s <- (1 - damping) s + damping * BR(s), stopping a
// game once its NashConv is <= tol.  converged_at[g] is the iteration at which the
// game met tol (0 = the start profile did), or -1.  History entries after
// convergence repeat the final value.
void best_response_iteration(const double* payoffs, std::int64_t games, const Layout& L,
                             const double* start, std::int64_t iterations, double damping,
                             double tol, std::int64_t record_every, double* profile,
                             double* history, std::int64_t* converged_at);

enum class RMVariant : int { kRM = 0, kRMPlus = 1, kConditional = 2 };

// Regret matching.  kRM / kRMPlus: full-information regret matching (Hart &
// Mas-Colell 2000, unconditional; Tammelin 2014 for RM+): the time-average of the
// product distributions goes to the coarse correlated equilibrium set.
// kConditional: Hart & Mas-Colell's (2000) adaptive procedure on sampled play, whose
// empirical joint distribution goes to the correlated equilibrium set; `inertia` is
// their mu (must exceed the payoff range times (k_i - 1)).  Writes the average
// strategies to `profile` and the empirical joint distribution (games x K) to
// `joint`.
void regret_matching(const double* payoffs, std::int64_t games, const Layout& L,
                     std::int64_t iterations, RMVariant variant, double inertia,
                     std::uint64_t seed, std::int64_t record_every, double* profile,
                     double* joint, double* history);

// Discrete-time replicator dynamics x_a <- x_a (1 + step (u_a - x.u)) from `start`
// (Taylor & Jonker 1978; the discrete form of Weibull 1995, ch. 4).
void replicator(const double* payoffs, std::int64_t games, const Layout& L,
                const double* start, std::int64_t iterations, double step,
                std::int64_t record_every, double* profile, double* history);

// Stochastic fictitious play with logit responses of temperature `temperature`
// (Fudenberg & Kreps 1993).  sampled = false: beliefs average the smoothed best
// responses themselves; sampled = true: each player samples its action from them and
// beliefs count the actions played.
void logit_fictitious_play(const double* payoffs, std::int64_t games, const Layout& L,
                           std::int64_t iterations, double temperature, bool sampled,
                           std::uint64_t seed, std::int64_t record_every, double* profile,
                           double* history);

}  // namespace accord::games
