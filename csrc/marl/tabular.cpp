// Tabular multi-agent learning updates (see accord/marl.hpp).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "accord/marl.hpp"
#include "accord/runtime.hpp"

namespace accord::marl {

namespace {

// Threads pay only for large batches (a parallel region costs microseconds).
int threads_for(const Transitions& t) {
  return t.envs * t.players * t.width >= (1 << 16) ? accord::get_num_threads() : 1;
}

// Offset of the row (e, i, state) of a (E, n, S, k) table.
inline std::int64_t row(const Transitions& t, std::int64_t e, int i, std::int64_t state) {
  return ((e * t.players + i) * t.states + state) * t.width;
}

// r + discount max_b Q[e, i, s', b] for every pair, before any update.
std::vector<double> targets(const Transitions& t, const double* Q) {
  std::vector<double> out(static_cast<std::size_t>(t.envs * t.players));
#pragma omp parallel for num_threads(threads_for(t)) schedule(static)
  for (std::int64_t e = 0; e < t.envs; ++e) {
    for (int i = 0; i < t.players; ++i) {
      double v = t.r[e * t.players + i];
      if (!t.terminated[e]) {
        const double* q = Q + row(t, e, i, t.next[e]);
        v += t.discount * *std::max_element(q, q + t.actions_of[i]);
      }
      out[static_cast<std::size_t>(e * t.players + i)] = v;
    }
  }
  return out;
}

}  // namespace

void q_update(const Transitions& t, double* Q, double alpha, double beta) {
  const std::vector<double> target = targets(t, Q);
#pragma omp parallel for num_threads(threads_for(t)) schedule(static)
  for (std::int64_t e = 0; e < t.envs; ++e) {
    for (int i = 0; i < t.players; ++i) {
      const std::int64_t p = e * t.players + i;
      double& q = Q[row(t, e, i, t.s[e]) + t.a[p]];
      const double delta = target[static_cast<std::size_t>(p)] - q;
      q += (delta >= 0.0 ? alpha : beta) * delta;
    }
  }
}

void lenient_update(const Transitions& t, double* Q, double* T, const double* u, double alpha,
                    double lenience, double diffusion, double decay) {
  const std::vector<double> target = targets(t, Q);
#pragma omp parallel for num_threads(threads_for(t)) schedule(static)
  for (std::int64_t e = 0; e < t.envs; ++e) {
    for (int i = 0; i < t.players; ++i) {
      const std::int64_t p = e * t.players + i;
      const std::int64_t at = row(t, e, i, t.s[e]) + t.a[p];
      const double q = Q[at], temp = T[at], goal = target[static_cast<std::size_t>(p)];
      const bool forgive = goal < q && u[p] < 1.0 - std::exp(-lenience * temp);
      if (!forgive) Q[at] = q + alpha * (goal - q);
      double mixed = temp;
      if (!t.terminated[e]) {
        const double* h = T + row(t, e, i, t.next[e]);
        double heat = 0.0;
        for (std::int64_t b = 0; b < t.actions_of[i]; ++b) heat += h[b];
        heat /= static_cast<double>(t.actions_of[i]);
        mixed = (1.0 - diffusion) * temp + diffusion * heat;
      }
      T[at] = decay * mixed;
    }
  }
}

void phc_update(const Transitions& t, double* Q, double* policy, double* average,
                std::int64_t* visits, double alpha, double delta_win, double delta_lose,
                bool wolf) {
  const std::vector<double> target = targets(t, Q);
#pragma omp parallel for num_threads(threads_for(t)) schedule(static)
  for (std::int64_t e = 0; e < t.envs; ++e) {
    for (int i = 0; i < t.players; ++i) {
      const std::int64_t p = e * t.players + i;
      const std::int64_t base = row(t, e, i, t.s[e]);
      const std::int64_t k = t.actions_of[i];
      double* q = Q + base;
      double* pi = policy + base;
      double* avg = average + base;
      double& qa = q[t.a[p]];
      qa += alpha * (target[static_cast<std::size_t>(p)] - qa);
      const std::int64_t c = ++visits[(e * t.players + i) * t.states + t.s[e]];
      for (std::int64_t b = 0; b < k; ++b) avg[b] += (pi[b] - avg[b]) / static_cast<double>(c);
      double delta = delta_win;
      if (wolf) {
        double current = 0.0, mean = 0.0;
        for (std::int64_t b = 0; b < k; ++b) {
          current += pi[b] * q[b];
          mean += avg[b] * q[b];
        }
        delta = current > mean ? delta_win : delta_lose;
      }
      const double best = *std::max_element(q, q + k);
      std::int64_t greedy = 0;
      for (std::int64_t b = 0; b < k; ++b) greedy += q[b] == best;
      const std::int64_t other = k - greedy;
      const double cap = other > 0 ? delta / static_cast<double>(other) : 0.0;
      double moved = 0.0;
      for (std::int64_t b = 0; b < k; ++b) {
        if (q[b] == best) continue;
        const double d = std::min(pi[b], cap);
        pi[b] -= d;
        moved += d;
      }
      const double share = moved / static_cast<double>(greedy);
      for (std::int64_t b = 0; b < k; ++b)
        if (q[b] == best) pi[b] += share;
    }
  }
}

}  // namespace accord::marl
