// Contraction of one player's payoff tensor with the other players' mixed
// strategies: the inner loop of best responses and of every learning dynamic.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <omp.h>

#include "accord/games.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ACCORD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ACCORD_CLONES
#endif

namespace accord::games::detail {

template <class T>
inline T dot(const T* __restrict a, const T* __restrict b, std::int64_t n) {
  T s = 0;
#pragma omp simd reduction(+ : s)
  for (std::int64_t j = 0; j < n; ++j) s += a[j] * b[j];
  return s;
}

template <class T>
inline void axpy(T w, const T* __restrict x, T* __restrict y, std::int64_t n) {
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) y[j] += w * x[j];
}

// Per-thread scratch space for contract().
template <class T>
struct Scratch {
  std::vector<T> pre, suf, t;
  explicit Scratch(const Layout& L) {
    std::int64_t maxR = 1, maxS = 1, maxT = 1;
    for (int i = 0; i < L.n; ++i) {
      maxR = std::max(maxR, L.before(i));
      maxS = std::max(maxS, L.after(i));
      maxT = std::max(maxT, L.k[i] * L.after(i));
    }
    pre.resize(maxR);
    suf.resize(maxS);
    t.resize(maxT);
  }
};

// Outer product of the strategies of players first..last-1 in C order (the last
// axis fastest).  Returns the length.
template <class T>
inline std::int64_t outer_weights(const Layout& L, const T* prof, int first, int last, T* w) {
  std::int64_t len = 1;
  w[0] = 1;
  for (int j = first; j < last; ++j) {
    const std::int64_t kj = L.k[j];
    const T* s = prof + L.off[j];
    for (std::int64_t x = len - 1; x >= 0; --x) {
      const T wx = w[x];
      for (std::int64_t a = kj - 1; a >= 0; --a) w[x * kj + a] = wx * s[a];
    }
    len *= kj;
  }
  return len;
}

// u[a] = sum over the others' actions of P[.., a, ..] times their probabilities.
// P is player i's tensor (K entries); prof is one profile row.  Zero weights of the
// players before i are skipped, so pure and sparse profiles cost less.
template <class T>
inline void contract(const T* __restrict P, const Layout& L, int i, const T* prof,
                     T* __restrict u, Scratch<T>& s) {
  const std::int64_t ki = L.k[i];
  const std::int64_t R = outer_weights(L, prof, 0, i, s.pre.data());
  const std::int64_t S = outer_weights(L, prof, i + 1, L.n, s.suf.data());
  const T* ws = s.suf.data();
  const std::int64_t block = ki * S;
  const T* src = P;
  if (R > 1) {
    T* t = s.t.data();
    std::fill(t, t + block, T(0));
    const T* wp = s.pre.data();
    for (std::int64_t r = 0; r < R; ++r)
      if (wp[r] != T(0)) axpy(wp[r], P + r * block, t, block);
    src = t;
  }
  if (S == 1) {
    std::copy(src, src + ki, u);
  } else {
    for (std::int64_t a = 0; a < ki; ++a) u[a] = dot(src + a * S, ws, S);
  }
  // Single-action players before (R == 1) or after (S == 1) player i were skipped
  // above; their weights (1 for probability vectors, play counts for fictitious
  // play) multiply everything.
  const T scale = (R == 1 ? s.pre[0] : T(1)) * (S == 1 ? ws[0] : T(1));
  if (scale != T(1))
    for (std::int64_t a = 0; a < ki; ++a) u[a] *= scale;
}

// Two players: u0 = A y (rows of A against y, four rows at a time so that the
// reductions run side by side) and u1 = x B (rows of B accumulated with weights x).
template <class T>
inline void contract_two(const T* __restrict A, const T* __restrict B, std::int64_t m,
                         std::int64_t n, const T* __restrict x, const T* __restrict y,
                         T* __restrict u0, T* __restrict u1) {
  std::int64_t a = 0;
  for (; a + 4 <= m; a += 4) {
    const T *r0 = A + a * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (std::int64_t j = 0; j < n; ++j) {
      s0 += r0[j] * y[j];
      s1 += r1[j] * y[j];
      s2 += r2[j] * y[j];
      s3 += r3[j] * y[j];
    }
    u0[a] = s0;
    u0[a + 1] = s1;
    u0[a + 2] = s2;
    u0[a + 3] = s3;
  }
  for (; a < m; ++a) u0[a] = dot(A + a * n, y, n);
  std::fill(u1, u1 + n, T(0));
  for (std::int64_t r = 0; r < m; ++r)
    if (x[r] != T(0)) axpy(x[r], B + r * n, u1, n);
}

// Lowest index within tol * max(1, |best|) of the maximum; writes the maximum.
template <class T>
inline std::int64_t argmax_tol(const T* u, std::int64_t k, double tol, T& best) {
  T m = u[0];
  for (std::int64_t a = 1; a < k; ++a) m = u[a] > m ? u[a] : m;
  best = m;
  if (tol <= 0) {
    for (std::int64_t a = 0; a < k; ++a)
      if (u[a] == m) return a;
  }
  const double thr = static_cast<double>(m) - tol * std::max(1.0, std::fabs(double(m)));
  for (std::int64_t a = 0; a < k; ++a)
    if (static_cast<double>(u[a]) >= thr) return a;
  return 0;
}

// Threads for `work` payoff entries in `items` independent items: about 64 Ki
// entries per thread so that small batches stay on one thread.
inline int threads_for(std::int64_t work, std::int64_t items) {
  const std::int64_t by_work = work >> 16;
  return static_cast<int>(
      std::max<std::int64_t>(1, std::min<std::int64_t>({omp_get_max_threads(), by_work, items})));
}

}  // namespace accord::games::detail
