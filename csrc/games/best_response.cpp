// Batched expected payoffs and best responses of normal-form games.
#include <stdexcept>

#include "contract.hpp"

namespace accord::games {

Layout::Layout(int n_, const std::int64_t* k_) : n(n_), k(k_, k_ + n_), off(n_ + 1, 0) {
  if (n < 1) throw std::invalid_argument("a game needs at least one player");
  for (int i = 0; i < n; ++i) {
    if (k[i] < 1) throw std::invalid_argument("every player needs at least one action");
    K *= k[i];
    off[i + 1] = off[i] + k[i];
  }
  sumk = off[n];
}

std::int64_t Layout::before(int i) const {
  std::int64_t r = 1;
  for (int j = 0; j < i; ++j) r *= k[j];
  return r;
}

std::int64_t Layout::after(int i) const {
  std::int64_t r = 1;
  for (int j = i + 1; j < n; ++j) r *= k[j];
  return r;
}

namespace {

using detail::Scratch;

// One (game, player) item: expected payoffs, and optionally the best response.
template <class T>
inline void br_item(const T* payoffs, const T* profile, const Layout& L, std::int64_t g, int i,
                    double tol, std::int64_t* actions, T* best, T* current, T* u_out,
                    Scratch<T>& s, T* ubuf) {
  const T* P = payoffs + (g * L.n + i) * L.K;
  const T* prof = profile + g * L.sumk;
  T* u = u_out ? u_out + g * L.sumk + L.off[i] : ubuf;
  detail::contract(P, L, i, prof, u, s);
  if (!actions) return;
  T b;
  actions[g * L.n + i] = detail::argmax_tol(u, L.k[i], tol, b);
  best[g * L.n + i] = b;
  current[g * L.n + i] = detail::dot(u, prof + L.off[i], L.k[i]);
}

// Both players of one two-player game.
template <class T>
inline void br_game_two(const T* payoffs, const T* profile, const Layout& L, std::int64_t g,
                        double tol, std::int64_t* actions, T* best, T* current, T* u_out,
                        T* ubuf) {
  const std::int64_t m = L.k[0], n = L.k[1];
  const T* A = payoffs + g * 2 * L.K;
  const T* prof = profile + g * L.sumk;
  T* u = u_out ? u_out + g * L.sumk : ubuf;
  detail::contract_two(A, A + L.K, m, n, prof, prof + m, u, u + m);
  if (!actions) return;
  for (int i = 0; i < 2; ++i) {
    T b;
    const T* ui = u + L.off[i];
    actions[g * 2 + i] = detail::argmax_tol(ui, L.k[i], tol, b);
    best[g * 2 + i] = b;
    current[g * 2 + i] = detail::dot(ui, prof + L.off[i], L.k[i]);
  }
}

template <class T>
void run(const T* payoffs, const T* profile, std::int64_t games, const Layout& L, double tol,
         std::int64_t* actions, T* best, T* current, T* u_out) {
  if (L.n == 2 && games >= 2) {
    const int nt = detail::threads_for(games * 2 * L.K, games);
#pragma omp parallel num_threads(nt)
    {
      std::vector<T> ubuf(L.sumk);
#pragma omp for schedule(static)
      for (std::int64_t g = 0; g < games; ++g)
        br_game_two(payoffs, profile, L, g, tol, actions, best, current, u_out, ubuf.data());
    }
    return;
  }
  const std::int64_t items = games * L.n;
  const int nt = detail::threads_for(items * L.K, items);
#pragma omp parallel num_threads(nt)
  {
    Scratch<T> s(L);
    std::vector<T> ubuf(L.sumk);
#pragma omp for schedule(static)
    for (std::int64_t it = 0; it < items; ++it)
      br_item(payoffs, profile, L, it / L.n, static_cast<int>(it % L.n), tol, actions, best,
              current, u_out, s, ubuf.data());
  }
}

ACCORD_CLONES void run_d(const double* p, const double* prof, std::int64_t g, const Layout& L,
                         double tol, std::int64_t* a, double* b, double* c, double* u) {
  run(p, prof, g, L, tol, a, b, c, u);
}

ACCORD_CLONES void run_f(const float* p, const float* prof, std::int64_t g, const Layout& L,
                         double tol, std::int64_t* a, float* b, float* c, float* u) {
  run(p, prof, g, L, tol, a, b, c, u);
}

void dispatch(const double* p, const double* prof, std::int64_t g, const Layout& L, double tol,
              std::int64_t* a, double* b, double* c, double* u) {
  run_d(p, prof, g, L, tol, a, b, c, u);
}

void dispatch(const float* p, const float* prof, std::int64_t g, const Layout& L, double tol,
              std::int64_t* a, float* b, float* c, float* u) {
  run_f(p, prof, g, L, tol, a, b, c, u);
}

}  // namespace

template <class T>
void expected_payoffs(const T* payoffs, const T* profile, std::int64_t games, const Layout& L,
                      T* u) {
  dispatch(payoffs, profile, games, L, 0.0, nullptr, nullptr, nullptr, u);
}

template <class T>
void best_response(const T* payoffs, const T* profile, std::int64_t games, const Layout& L,
                   double tol, std::int64_t* actions, T* best, T* current, T* u) {
  dispatch(payoffs, profile, games, L, tol, actions, best, current, u);
}

template void expected_payoffs<double>(const double*, const double*, std::int64_t,
                                       const Layout&, double*);
template void expected_payoffs<float>(const float*, const float*, std::int64_t, const Layout&,
                                      float*);
template void best_response<double>(const double*, const double*, std::int64_t, const Layout&,
                                    double, std::int64_t*, double*, double*, double*);
template void best_response<float>(const float*, const float*, std::int64_t, const Layout&,
                                   double, std::int64_t*, float*, float*, float*);

}  // namespace accord::games
