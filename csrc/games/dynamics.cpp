// Learning dynamics on batches of normal-form games: fictitious play, damped
// best-response iteration, regret matching, replicator dynamics and logit
// fictitious play.  Every game runs its whole trajectory inside the kernel; games
// are spread over OpenMP threads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "accord/interrupt.hpp"
#include "accord/philox.hpp"
#include "contract.hpp"

namespace accord::games {

namespace {

using detail::argmax_tol;
using detail::contract;
using detail::dot;
using Scratch = detail::Scratch<double>;

constexpr std::uint32_t kTagRegret = 0x52454752u;  // "REGR"
constexpr std::uint32_t kTagLogit = 0x4C4F4749u;   // "LOGI"

// A uniform double in [0, 1) from 53 random bits.
inline double uniform01(PhiloxStream& rng) {
  const std::uint64_t hi = rng.next(), lo = rng.next();
  return static_cast<double>(((hi << 32) | lo) >> 11) * 0x1.0p-53;
}

// Index drawn from probabilities p[0..k-1] (summing to 1 up to rounding).
inline std::int64_t sample(const double* p, std::int64_t k, PhiloxStream& rng) {
  double u = uniform01(rng), acc = 0.0;
  for (std::int64_t a = 0; a + 1 < k; ++a) {
    acc += p[a];
    if (u < acc) return a;
  }
  return k - 1;
}

// First index in u[0..k) equal to m; k - 1 when none is (a NaN maximum), so the
// scan never leaves the row.
inline std::int64_t first_equal(const double* u, std::int64_t k, double m) {
  std::int64_t b = 0;
  while (b + 1 < k && u[b] != m) ++b;
  return b;
}

// Lowest index of the maximum: a vectorised max, then a scan for its first copy.
inline std::int64_t argmax_exact(const double* u, std::int64_t k) {
  double m = u[0];
#pragma omp simd reduction(max : m)
  for (std::int64_t a = 1; a < k; ++a) m = u[a] > m ? u[a] : m;
  return first_equal(u, k, m);
}

inline double max_of(const double* u, std::int64_t k) { return u[argmax_exact(u, k)]; }

// u += x, returning the new maximum of u (one pass).
inline double add_max(double* __restrict u, const double* __restrict x, std::int64_t k) {
  double m = -std::numeric_limits<double>::infinity();
#pragma omp simd reduction(max : m)
  for (std::int64_t a = 0; a < k; ++a) {
    u[a] += x[a];
    m = u[a] > m ? u[a] : m;
  }
  return m;
}

// Per-game working memory of a dynamic.
struct Work {
  Scratch s;
  std::vector<double> u, x, y, z;  // sumk-sized rows
  Cancel* cancel = nullptr;
  std::int64_t stride = 1;  // iterations between polls: about 2^16 payoff entries of work
  explicit Work(const Layout& L)
      : s(L), u(L.sumk), x(L.sumk), y(L.sumk), z(L.sumk),
        stride(std::max<std::int64_t>(1, (std::int64_t{1} << 16) / (L.K + L.sumk))) {}
  // True when the run was interrupted (polled every `stride` iterations).
  bool stop(std::int64_t it) const { return cancel->poll_every(it, stride); }
};

// Expected payoffs of every player against `prof` (one profile row) into u.
inline void all_payoffs(const double* P, const Layout& L, const double* prof, double* u,
                        Scratch& s) {
  for (int i = 0; i < L.n; ++i) contract(P + i * L.K, L, i, prof, u + L.off[i], s);
}

// NashConv of `prof` given its expected payoffs u.
inline double nash_conv_of(const Layout& L, const double* prof, const double* u) {
  double nc = 0.0;
  for (int i = 0; i < L.n; ++i) {
    const std::int64_t o = L.off[i], k = L.k[i];
    nc += max_of(u + o, k) - dot(u + o, prof + o, k);
  }
  return nc;
}

// Run body(g, work) for every game on as many threads as the work justifies.
template <class Body>
void for_games(std::int64_t games, const Layout& L, std::int64_t iterations, Body&& body) {
  const std::int64_t per_game = L.n * L.K + iterations * L.sumk;
  const int nt = detail::threads_for(games * per_game, games);
  Cancel cancel;
#pragma omp parallel num_threads(nt)
  {
    Work w(L);
    w.cancel = &cancel;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t g = 0; g < games; ++g)
      if (!cancel.poll()) body(g, w);
  }
  cancel.check();
}

struct Recorder {
  double* row;
  std::int64_t every, records;
  // Record `value` for the state after `it` iterations, when it is a record point.
  void at(std::int64_t it, double value) const {
    if (it > 0 && it % every == 0 && it / every <= records) row[it / every - 1] = value;
  }
  void fill_from(std::int64_t it, double value) const {
    for (std::int64_t r = it / every; r < records; ++r) row[r] = value;
  }
};

Recorder recorder(double* history, std::int64_t g, std::int64_t iterations,
                  std::int64_t every) {
  const std::int64_t records = iterations / every;
  return Recorder{history + g * records, every, records};
}

// Columns of a row-major m x n matrix, gathered on first use.  Best-response
// dynamics use few distinct columns (about ten in 1,000 fictitious-play steps of a
// random 1000 x 1000 game), so this costs far less than transposing the matrix.
class Columns {
 public:
  Columns(const double* A, std::int64_t m, std::int64_t n, std::int64_t most)
      : A_(A), m_(m), n_(n), slot_(static_cast<std::size_t>(n), -1),
        store_(new double[static_cast<std::size_t>(std::min(n, most) * m)]) {}

  const double* operator()(std::int64_t c) {
    std::int64_t& s = slot_[c];
    if (s < 0) {
      s = used_++;
      double* dst = store_.get() + s * m_;
      for (std::int64_t r = 0; r < m_; ++r) dst[r] = A_[r * n_ + c];
    }
    return store_.get() + s * m_;
  }

 private:
  const double* A_;
  std::int64_t m_, n_, used_ = 0;
  std::vector<std::int64_t> slot_;
  std::unique_ptr<double[]> store_;  // uninitialised: untouched pages cost nothing
};

// ---- fictitious play ------------------------------------------------------------

// Two players: U0 = A c1 and U1 = B^T c0 are kept up to date by adding one column
// of A (gathered once per distinct column) and one row of B per step.
ACCORD_CLONES void fp_two_player(const double* P, const Layout& L, std::int64_t iterations,
                                FPMode mode, const std::int64_t* init, const Recorder& rec,
                                double* out, Work& w) {
  const std::int64_t m = L.k[0], n = L.k[1];
  const double *A = P, *B = P + L.K;
  Columns col(A, m, n, iterations + 1);
  double *U0 = w.u.data(), *U1 = U0 + m;
  double *c0 = w.x.data(), *c1 = c0 + m;
  std::fill(c0, c0 + m + n, 0.0);
  const std::int64_t a0 = init[0], a1 = init[1];
  std::copy(col(a1), col(a1) + m, U0);
  std::copy(B + a0 * n, B + a0 * n + n, U1);
  c0[a0] = 1.0;
  c1[a1] = 1.0;
  // mx0, mx1: the maxima of U0 and U1, kept by the fused add-and-max passes.
  double mx0 = max_of(U0, m), mx1 = max_of(U1, n);
  for (std::int64_t it = 1; it <= iterations; ++it) {
    if (w.stop(it)) return;
    if (mode == FPMode::kSimultaneous) {
      const std::int64_t b0 = first_equal(U0, m, mx0), b1 = first_equal(U1, n, mx1);
      mx0 = add_max(U0, col(b1), m);
      mx1 = add_max(U1, B + b0 * n, n);
      c0[b0] += 1.0;
      c1[b1] += 1.0;
    } else {
      const std::int64_t b0 = first_equal(U0, m, mx0);
      mx1 = add_max(U1, B + b0 * n, n);
      c0[b0] += 1.0;
      const std::int64_t b1 = first_equal(U1, n, mx1);
      mx0 = add_max(U0, col(b1), m);
      c1[b1] += 1.0;
    }
    if (it % rec.every == 0) {
      const double t = static_cast<double>(it + 1);
      const double nc = (mx0 + mx1) / t - (dot(c0, U0, m) + dot(c1, U1, n)) / (t * t);
      rec.at(it, nc);
    }
  }
  const double t = static_cast<double>(iterations + 1);
  for (std::int64_t j = 0; j < m + n; ++j) out[j] = c0[j] / t;
}

// n players: contract the raw counts (so integer payoffs keep exact ties) and
// normalise by the product of the other players' totals for NashConv.
void fp_general(const double* P, const Layout& L, std::int64_t iterations, FPMode mode,
                const std::int64_t* init, const Recorder& rec, double* out, Work& w) {
  double* c = w.x.data();
  double* u = w.u.data();
  std::int64_t* pick = reinterpret_cast<std::int64_t*>(w.y.data());
  std::fill(c, c + L.sumk, 0.0);
  for (int i = 0; i < L.n; ++i) c[L.off[i] + init[i]] = 1.0;
  auto nash_conv_counts = [&](double t) {
    all_payoffs(P, L, c, u, w.s);
    double nc = 0.0;
    const double others = std::pow(t, L.n - 1);
    for (int i = 0; i < L.n; ++i) {
      const std::int64_t o = L.off[i], k = L.k[i];
      nc += max_of(u + o, k) / others - dot(u + o, c + o, k) / (others * t);
    }
    return nc;
  };
  for (std::int64_t it = 1; it <= iterations; ++it) {
    if (w.stop(it)) return;
    if (mode == FPMode::kSimultaneous) {
      all_payoffs(P, L, c, u, w.s);
      for (int i = 0; i < L.n; ++i) pick[i] = argmax_exact(u + L.off[i], L.k[i]);
      for (int i = 0; i < L.n; ++i) c[L.off[i] + pick[i]] += 1.0;
    } else {
      for (int i = 0; i < L.n; ++i) {
        contract(P + i * L.K, L, i, c, u + L.off[i], w.s);
        c[L.off[i] + argmax_exact(u + L.off[i], L.k[i])] += 1.0;
      }
    }
    if (it % rec.every == 0) rec.at(it, nash_conv_counts(static_cast<double>(it + 1)));
  }
  const double t = static_cast<double>(iterations + 1);
  for (std::int64_t j = 0; j < L.sumk; ++j) out[j] = c[j] / t;
}

// ---- damped best-response iteration ---------------------------------------------

std::int64_t br_iteration_game(const double* P, const Layout& L, const double* start,
                               std::int64_t iterations, double damping, double tol,
                               const Recorder& rec, double* s, Work& w) {
  std::copy(start, start + L.sumk, s);
  double* u = w.u.data();
  const bool two = L.n == 2;
  std::unique_ptr<Columns> col;
  if (two) col = std::make_unique<Columns>(P, L.k[0], L.k[1], iterations + 1);
  // Two players: U0 = A s1 and U1 = B^T s0 follow the damped update exactly,
  // U <- (1 - d) U + d * (column or row of the best response): O(k) per step.
  all_payoffs(P, L, s, u, w.s);
  for (std::int64_t it = 0;; ++it) {
    const double nc = nash_conv_of(L, s, u);
    rec.at(it, nc);
    if (nc <= tol) {
      rec.fill_from(it, nc);
      return it;
    }
    if (it == iterations || w.stop(it)) return -1;
    std::int64_t b[2] = {0, 0};
    for (int i = 0; i < L.n; ++i) {
      const std::int64_t o = L.off[i], k = L.k[i];
      const std::int64_t bi = argmax_exact(u + o, k);
      if (i < 2) b[i] = bi;
      for (std::int64_t a = 0; a < k; ++a) s[o + a] *= 1.0 - damping;
      s[o + bi] += damping;
    }
    if (two) {
      const std::int64_t m = L.k[0], n = L.k[1];
      const double* Acol = (*col)(b[1]);
      for (std::int64_t a = 0; a < m; ++a) u[a] = (1.0 - damping) * u[a] + damping * Acol[a];
      const double* Brow = P + L.K + b[0] * n;
      for (std::int64_t a = 0; a < n; ++a)
        u[m + a] = (1.0 - damping) * u[m + a] + damping * Brow[a];
    } else {
      all_payoffs(P, L, s, u, w.s);
    }
  }
}

// ---- regret matching -------------------------------------------------------------

void regret_matching_full(const double* P, const Layout& L, std::int64_t iterations, bool plus,
                          const Recorder& rec, double* avg, double* joint, Work& w,
                          std::vector<double>& outer) {
  double *R = w.x.data(), *sig = w.y.data(), *u = w.u.data();
  std::fill(R, R + L.sumk, 0.0);
  std::fill(avg, avg + L.sumk, 0.0);
  std::fill(joint, joint + L.K, 0.0);
  for (std::int64_t it = 1; it <= iterations; ++it) {
    if (w.stop(it)) return;
    for (int i = 0; i < L.n; ++i) {
      const std::int64_t o = L.off[i], k = L.k[i];
      double tot = 0.0;
      for (std::int64_t a = 0; a < k; ++a) tot += R[o + a] > 0 ? R[o + a] : 0.0;
      for (std::int64_t a = 0; a < k; ++a)
        sig[o + a] = tot > 0 ? (R[o + a] > 0 ? R[o + a] / tot : 0.0) : 1.0 / double(k);
    }
    all_payoffs(P, L, sig, u, w.s);
    for (int i = 0; i < L.n; ++i) {
      const std::int64_t o = L.off[i], k = L.k[i];
      const double v = dot(u + o, sig + o, k);
      for (std::int64_t a = 0; a < k; ++a) {
        R[o + a] += u[o + a] - v;
        if (plus && R[o + a] < 0) R[o + a] = 0.0;
      }
    }
    for (std::int64_t j = 0; j < L.sumk; ++j) avg[j] += sig[j];
    detail::outer_weights(L, sig, 0, L.n, outer.data());
    detail::axpy(1.0, outer.data(), joint, L.K);
    if (it % rec.every == 0) {
      for (std::int64_t j = 0; j < L.sumk; ++j) w.z[j] = avg[j] / double(it);
      all_payoffs(P, L, w.z.data(), u, w.s);
      rec.at(it, nash_conv_of(L, w.z.data(), u));
    }
  }
  for (std::int64_t j = 0; j < L.sumk; ++j) avg[j] /= double(iterations);
  for (std::int64_t j = 0; j < L.K; ++j) joint[j] /= double(iterations);
}

// Hart & Mas-Colell (2000), Econometrica 68(5), the procedure of their eq. (2.2):
// switch from the last action j to k with probability D(j, k)^+ / (t mu).
void regret_matching_conditional(const double* P, const Layout& L, std::int64_t iterations,
                                 double mu, std::uint64_t seed, std::int64_t g,
                                 const Recorder& rec, double* freq, double* joint, Work& w,
                                 std::vector<double>& D) {
  PhiloxStream rng(seed, static_cast<std::uint64_t>(g), kTagRegret);
  std::vector<std::int64_t> a(L.n), stride(L.n), doff(L.n + 1, 0);
  for (int i = 0; i < L.n; ++i) {
    stride[i] = L.after(i);
    doff[i + 1] = doff[i] + L.k[i] * L.k[i];
  }
  std::fill(D.begin(), D.begin() + doff[L.n], 0.0);
  std::fill(freq, freq + L.sumk, 0.0);
  std::fill(joint, joint + L.K, 0.0);
  double* p = w.y.data();
  for (int i = 0; i < L.n; ++i) a[i] = rng.below(static_cast<std::uint32_t>(L.k[i]));
  for (std::int64_t it = 1; it <= iterations; ++it) {
    if (w.stop(it)) return;
    if (it > 1) {
      const double scale = 1.0 / (double(it - 1) * mu);
      for (int i = 0; i < L.n; ++i) {
        const std::int64_t k = L.k[i], j = a[i];
        const double* Dj = D.data() + doff[i] + j * k;
        double stay = 1.0;
        for (std::int64_t b = 0; b < k; ++b) {
          p[b] = (b != j && Dj[b] > 0) ? Dj[b] * scale : 0.0;
          stay -= p[b];
        }
        p[j] = stay;
        a[i] = sample(p, k, rng);
      }
    }
    std::int64_t idx = 0;
    for (int i = 0; i < L.n; ++i) idx = idx * L.k[i] + a[i];
    joint[idx] += 1.0;
    for (int i = 0; i < L.n; ++i) {
      const std::int64_t k = L.k[i], j = a[i];
      freq[L.off[i] + j] += 1.0;
      const double* Pi = P + i * L.K + (idx - j * stride[i]);
      const double now = Pi[j * stride[i]];
      double* Dj = D.data() + doff[i] + j * k;
      for (std::int64_t b = 0; b < k; ++b) Dj[b] += Pi[b * stride[i]] - now;
    }
    if (it % rec.every == 0) {
      for (std::int64_t j = 0; j < L.sumk; ++j) w.z[j] = freq[j] / double(it);
      all_payoffs(P, L, w.z.data(), w.u.data(), w.s);
      rec.at(it, nash_conv_of(L, w.z.data(), w.u.data()));
    }
  }
  for (std::int64_t j = 0; j < L.sumk; ++j) freq[j] /= double(iterations);
  for (std::int64_t j = 0; j < L.K; ++j) joint[j] /= double(iterations);
}

// ---- logit responses -------------------------------------------------------------

inline void softmax(const double* u, std::int64_t k, double temperature, double* out) {
  const double m = max_of(u, k);
  double z = 0.0;
  for (std::int64_t a = 0; a < k; ++a) z += (out[a] = std::exp((u[a] - m) / temperature));
  for (std::int64_t a = 0; a < k; ++a) out[a] /= z;
}

}  // namespace

void fictitious_play(const double* payoffs, std::int64_t games, const Layout& L,
                     std::int64_t iterations, FPMode mode, const std::int64_t* initial,
                     std::int64_t record_every, double* profile, double* history) {
  for (std::int64_t g = 0; g < games; ++g)
    for (int i = 0; i < L.n; ++i)
      if (initial[g * L.n + i] < 0 || initial[g * L.n + i] >= L.k[i])
        throw std::invalid_argument("initial action out of range");
  for_games(games, L, iterations, [&](std::int64_t g, Work& w) {
    const double* P = payoffs + g * L.n * L.K;
    const auto rec = recorder(history, g, iterations, record_every);
    if (L.n == 2)
      fp_two_player(P, L, iterations, mode, initial + g * 2, rec, profile + g * L.sumk, w);
    else
      fp_general(P, L, iterations, mode, initial + g * L.n, rec, profile + g * L.sumk, w);
  });
}

void best_response_iteration(const double* payoffs, std::int64_t games, const Layout& L,
                             const double* start, std::int64_t iterations, double damping,
                             double tol, std::int64_t record_every, double* profile,
                             double* history, std::int64_t* converged_at) {
  for_games(games, L, iterations, [&](std::int64_t g, Work& w) {
    converged_at[g] = br_iteration_game(payoffs + g * L.n * L.K, L, start + g * L.sumk,
                                        iterations, damping, tol,
                                        recorder(history, g, iterations, record_every),
                                        profile + g * L.sumk, w);
  });
}

void regret_matching(const double* payoffs, std::int64_t games, const Layout& L,
                     std::int64_t iterations, RMVariant variant, double inertia,
                     std::uint64_t seed, std::int64_t record_every, double* profile,
                     double* joint, double* history) {
  std::int64_t dsize = 0;
  for (int i = 0; i < L.n; ++i) dsize += L.k[i] * L.k[i];
  for_games(games, L, iterations * (variant == RMVariant::kConditional ? 1 : L.K / L.sumk + 1),
            [&](std::int64_t g, Work& w) {
              thread_local std::vector<double> buf;
              const double* P = payoffs + g * L.n * L.K;
              const auto rec = recorder(history, g, iterations, record_every);
              if (variant == RMVariant::kConditional) {
                buf.resize(static_cast<std::size_t>(dsize));
                regret_matching_conditional(P, L, iterations, inertia, seed, g, rec,
                                            profile + g * L.sumk, joint + g * L.K, w, buf);
              } else {
                buf.resize(static_cast<std::size_t>(L.K));
                regret_matching_full(P, L, iterations, variant == RMVariant::kRMPlus, rec,
                                     profile + g * L.sumk, joint + g * L.K, w, buf);
              }
            });
}

void replicator(const double* payoffs, std::int64_t games, const Layout& L,
                const double* start, std::int64_t iterations, double step,
                std::int64_t record_every, double* profile, double* history) {
  for_games(games, L, iterations * (L.K / L.sumk + 1), [&](std::int64_t g, Work& w) {
    const double* P = payoffs + g * L.n * L.K;
    const auto rec = recorder(history, g, iterations, record_every);
    double* s = profile + g * L.sumk;
    double* u = w.u.data();
    std::copy(start + g * L.sumk, start + (g + 1) * L.sumk, s);
    for (std::int64_t it = 0;; ++it) {
      all_payoffs(P, L, s, u, w.s);
      rec.at(it, nash_conv_of(L, s, u));
      if (it == iterations || w.stop(it)) break;
      for (int i = 0; i < L.n; ++i) {
        const std::int64_t o = L.off[i], k = L.k[i];
        const double v = dot(u + o, s + o, k);
        double tot = 0.0;
        for (std::int64_t a = 0; a < k; ++a) tot += (s[o + a] *= 1.0 + step * (u[o + a] - v));
        for (std::int64_t a = 0; a < k; ++a) s[o + a] /= tot;  // rounding drift only
      }
    }
  });
}

void logit_fictitious_play(const double* payoffs, std::int64_t games, const Layout& L,
                           std::int64_t iterations, double temperature, bool sampled,
                           std::uint64_t seed, std::int64_t record_every, double* profile,
                           double* history) {
  for_games(games, L, iterations * (L.K / L.sumk + 1), [&](std::int64_t g, Work& w) {
    const double* P = payoffs + g * L.n * L.K;
    const auto rec = recorder(history, g, iterations, record_every);
    PhiloxStream rng(seed, static_cast<std::uint64_t>(g), kTagLogit);
    double* b = profile + g * L.sumk;  // beliefs: empirical frequencies
    double *u = w.u.data(), *sig = w.y.data();
    for (int i = 0; i < L.n; ++i)
      for (std::int64_t a = 0; a < L.k[i]; ++a) b[L.off[i] + a] = 1.0 / double(L.k[i]);
    for (std::int64_t it = 1; it <= iterations; ++it) {
      if (w.stop(it)) return;
      all_payoffs(P, L, b, u, w.s);
      if (it > 1) rec.at(it - 1, nash_conv_of(L, b, u));
      const double t = static_cast<double>(it);
      for (int i = 0; i < L.n; ++i) {
        const std::int64_t o = L.off[i], k = L.k[i];
        softmax(u + o, k, temperature, sig + o);
        if (sampled) {
          const std::int64_t a = sample(sig + o, k, rng);
          for (std::int64_t c = 0; c < k; ++c) sig[o + c] = c == a ? 1.0 : 0.0;
        }
      }
      // Beliefs after `it` rounds: the uniform prior counts as the first round.
      for (std::int64_t j = 0; j < L.sumk; ++j) b[j] += (sig[j] - b[j]) / (t + 1.0);
    }
    all_payoffs(P, L, b, u, w.s);
    rec.at(iterations, nash_conv_of(L, b, u));
  });
}

}  // namespace accord::games
