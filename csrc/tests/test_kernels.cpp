// Unit tests of the C++ kernels, runnable without Python (ctest).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "accord/bayes.hpp"
#include "accord/coop.hpp"
#include "accord/games.hpp"
#include "accord/loadbalance.hpp"
#include "accord/philox.hpp"

namespace {
int failures = 0;
#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      std::fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                    \
    }                                                                \
  } while (0)

void test_philox_known_answers() {
  // Known-answer vectors of the Random123 distribution (kat_vectors).
  const std::uint32_t ctr0[4] = {0, 0, 0, 0}, key0[2] = {0, 0};
  const std::uint32_t want0[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
  const std::uint32_t ctr1[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
  const std::uint32_t key1[2] = {0xa4093822u, 0x299f31d0u};
  const std::uint32_t want1[4] = {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u};
  std::uint32_t out[4];
  accord::philox4x32_10(ctr0, key0, out);
  for (int i = 0; i < 4; ++i) CHECK(out[i] == want0[i]);
  accord::philox4x32_10(ctr1, key1, out);
  for (int i = 0; i < 4; ++i) CHECK(out[i] == want1[i]);
}

std::vector<double> random_game(int n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> d;
  std::vector<double> v(std::size_t{1} << n);
  for (auto& x : v) x = d(gen);
  v[0] = 0.0;
  return v;
}

void test_shapley_brute_force() {
  for (int n : {1, 3, 7, 10}) {
    auto v = random_game(n, 17 + n);
    std::vector<double> p(n), c(n + 1), b(n + 1), A(n);
    for (int s = 0; s < n; ++s)
      p[s] = std::exp(std::lgamma(s + 1.0) + std::lgamma(n - s + 0.0) - std::lgamma(n + 1.0));
    for (int s = 0; s <= n; ++s) {
      b[s] = s < n ? p[s] : 0.0;
      c[s] = (s > 0 ? p[s - 1] : 0.0) + b[s];
    }
    double T;
    accord::coop::semivalue_sums(v.data(), n, c.data(), b.data(), A.data(), &T);
    for (int i = 0; i < n; ++i) {
      double phi = 0.0;
      for (std::uint64_t S = 0; S < v.size(); ++S)
        if (!(S >> i & 1)) phi += p[__builtin_popcountll(S)] * (v[S | (1ull << i)] - v[S]);
      CHECK(std::abs((A[i] - T) - phi) < 1e-12);
    }
  }
}

void test_max_excess_brute_force() {
  for (int n : {1, 4, 9, 11}) {
    auto v = random_game(n, 5 + n);
    std::vector<double> x(n, 0.1);
    auto e = accord::coop::max_excess(v.data(), n, x.data());
    double best = -INFINITY;
    std::uint64_t arg = 0;
    for (std::uint64_t S = 1; S < v.size(); ++S) {
      double xs = 0.0;
      for (int i = 0; i < n; ++i)
        if (S >> i & 1) xs += x[i];
      if (v[S] - xs > best + 1e-12) {
        best = v[S] - xs;
        arg = S;
      }
    }
    CHECK(std::abs(e.value - best) < 1e-12);
    CHECK(e.mask == arg);
  }
}

void test_permutations_are_permutations() {
  const int n = 13;
  std::vector<std::int32_t> out(100 * n);
  accord::coop::permutations(n, 42, 7, 100, out.data());
  for (int r = 0; r < 100; ++r) {
    std::vector<std::int32_t> row(out.begin() + r * n, out.begin() + (r + 1) * n);
    std::sort(row.begin(), row.end());
    for (int i = 0; i < n; ++i) CHECK(row[i] == i);
  }
  std::vector<std::int32_t> again(n);
  accord::draw_permutation(42, 7 + 5, n, again.data());
  CHECK(std::equal(again.begin(), again.end(), out.begin() + 5 * n));
}

void test_voting_dp_brute_force() {
  const std::vector<std::int64_t> w = {4, 3, 3, 2, 1, 1, 0};
  const std::int64_t q = 8;
  const int n = static_cast<int>(w.size());
  std::vector<double> phi(n), beta(n);
  accord::coop::voting_shapley(w.data(), n, q, phi.data());
  accord::coop::voting_banzhaf(w.data(), n, q, beta.data());
  for (int i = 0; i < n; ++i) {
    double ss = 0.0, bz = 0.0;
    for (std::uint64_t S = 0; S < (1ull << n); ++S) {
      if (S >> i & 1) continue;
      std::int64_t ws = 0;
      for (int j = 0; j < n; ++j)
        if (S >> j & 1) ws += w[j];
      if (ws < q && ws + w[i] >= q) {
        const int s = __builtin_popcountll(S);
        ss += std::exp(std::lgamma(s + 1.0) + std::lgamma(n - s + 0.0) - std::lgamma(n + 1.0));
        bz += 1.0 / (1ull << (n - 1));
      }
    }
    CHECK(std::abs(phi[i] - ss) < 1e-12);
    CHECK(std::abs(beta[i] - bz) < 1e-12);
  }
}
}  // namespace

// Expected payoffs of a 3-player game against mixed strategies, and best
// responses, against a direct triple loop.
void test_best_response_brute_force() {
  const std::int64_t k[3] = {3, 4, 2};
  accord::games::Layout L(3, k);
  std::vector<double> P(3 * L.K), prof(L.sumk);
  std::uint32_t state = 12345;
  auto next = [&] { return (state = state * 1664525u + 1013904223u) / 4294967296.0; };
  for (auto& p : P) p = next() - 0.5;
  for (int i = 0; i < 3; ++i) {
    double tot = 0;
    for (std::int64_t a = 0; a < k[i]; ++a) tot += (prof[L.off[i] + a] = next());
    for (std::int64_t a = 0; a < k[i]; ++a) prof[L.off[i] + a] /= tot;
  }
  std::vector<double> u(L.sumk), best(3), cur(3);
  std::vector<std::int64_t> act(3);
  accord::games::best_response(P.data(), prof.data(), 1, L, 0.0, act.data(), best.data(),
                               cur.data(), u.data());
  const double *x = prof.data(), *y = x + 3, *z = y + 4;
  for (int i = 0; i < 3; ++i) {
    double bestv = -1e300;
    std::int64_t arg = 0;
    for (std::int64_t a = 0; a < k[i]; ++a) {
      double want = 0;
      for (int p = 0; p < 3; ++p)
        for (int q = 0; q < 4; ++q)
          for (int r = 0; r < 2; ++r) {
            const int idx[3] = {p, q, r};
            if (idx[i] != a) continue;
            double w = (i != 0 ? x[p] : 1) * (i != 1 ? y[q] : 1) * (i != 2 ? z[r] : 1);
            want += w * P[i * L.K + (p * 4 + q) * 2 + r];
          }
      CHECK(std::abs(u[L.off[i] + a] - want) < 1e-14);
      if (want > bestv) {
        bestv = want;
        arg = a;
      }
    }
    CHECK(act[i] == arg);
    CHECK(std::abs(best[i] - bestv) < 1e-14);
  }
}

// Fictitious play on matching pennies: the empirical profile approaches (1/2, 1/2)
// and NashConv shrinks (Robinson 1951).
void test_fictitious_play_matching_pennies() {
  const std::int64_t k[2] = {2, 2};
  accord::games::Layout L(2, k);
  const double P[8] = {1, -1, -1, 1, -1, 1, 1, -1};
  const std::int64_t init[2] = {0, 0};
  std::vector<double> prof(4), hist(10);
  accord::games::fictitious_play(P, 1, L, 10000, accord::games::FPMode::kSimultaneous, init,
                                 1000, prof.data(), hist.data());
  CHECK(std::abs(prof[0] - 0.5) < 0.01 && std::abs(prof[2] - 0.5) < 0.01);
  CHECK(hist[9] < hist[0] && hist[9] < 0.02);
}

// ---- accord::bayes --------------------------------------------------------------------

// exp_det: within 2 ulp of std::exp on [-708, 0], exact at 0, zero below -708.
void test_bayes_exp_det() {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = -708.0 * i / 200000.0;
    const double want = std::exp(x);
    worst = std::max(worst, std::abs(accord::bayes::exp_det(x) - want) / want);
  }
  CHECK(worst < 4.5e-16);
  CHECK(accord::bayes::exp_det(0.0) == 1.0);
  CHECK(accord::bayes::exp_det(-709.0) == 0.0);
  CHECK(accord::bayes::exp_det(-INFINITY) == 0.0);
}

// The CPU sampler's tabulated search returns draw_type's type (the GPU formula) for
// every draw, never an impossible type, and frequencies close to the marginals.
void test_bayes_sample_types() {
  const int m = 3, K = 4;
  const std::int64_t B = 2, S = 20000;
  const double p[B * m * K] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.0, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0,
                               0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0, 1.0, 0.7, 0.1, 0.1, 0.1};
  std::vector<double> lp(B * m * K);
  for (std::size_t i = 0; i < lp.size(); ++i) lp[i] = std::log(p[i]);
  std::vector<std::int32_t> out(B * S * m);
  accord::bayes::sample_types(lp.data(), B, m, K, S, 12345, out.data());
  std::vector<double> freq(B * m * K, 0.0);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t s = 0; s < S; ++s)
      for (int j = 0; j < m; ++j) {
        const int k = out[(b * S + s) * m + j];
        const double u = accord::bayes::type_uniform(12345, b, s, j);
        CHECK(k == accord::bayes::draw_type(lp.data() + (b * m + j) * K, K, u));
        CHECK(k >= 0 && k < K && p[(b * m + j) * K + k] > 0.0);
        freq[(b * m + j) * K + k] += 1.0 / S;
      }
  for (std::size_t i = 0; i < freq.size(); ++i) CHECK(std::abs(freq[i] - p[i]) < 0.015);
  // Many types (the bisection path), every other one impossible.
  const int K2 = 50;
  std::vector<double> lp2(K2);
  double z = 0.0;
  for (int k = 0; k < K2; ++k) z += (k % 2) ? 0.0 : k + 1.0;
  for (int k = 0; k < K2; ++k) lp2[k] = (k % 2) ? -INFINITY : std::log((k + 1.0) / z);
  std::vector<std::int32_t> out2(5000);
  accord::bayes::sample_types(lp2.data(), 1, 1, K2, 5000, 99, out2.data());
  for (std::int64_t s = 0; s < 5000; ++s) {
    const double u = accord::bayes::type_uniform(99, 0, s, 0);
    CHECK(out2[s] == accord::bayes::draw_type(lp2.data(), K2, u));
    CHECK(out2[s] % 2 == 0);
  }
}

// Seed 004, Eq. 5 example: belief (0.5, 0.3, 0.2) about agent 3, the Ambitious project
// failed, P(fail | g, m, b) = (0.2, 0.6, 0.9): posterior (0.10, 0.18, 0.18) / 0.46.
void test_bayes_update_paper() {
  const double lp[3] = {std::log(0.5), std::log(0.3), std::log(0.2)};
  const double ll[3] = {std::log(0.2), std::log(0.6), std::log(0.9)};
  double post[3], joint[3];
  unsigned char status = 9;
  accord::bayes::update_enumerated(lp, ll, 1, 1, 3, post, joint, &status);
  CHECK(status == accord::bayes::kOk);
  const double want[3] = {0.10 / 0.46, 0.18 / 0.46, 0.18 / 0.46};
  for (int k = 0; k < 3; ++k) {
    CHECK(std::abs(std::exp(post[k]) - want[k]) < 1e-14);
    CHECK(std::abs(std::exp(joint[k]) - want[k]) < 1e-14);
  }
}

// Enumerated update against brute force over the joint (with an impossible type), and a
// row of zero evidence.
void test_bayes_update_brute_force() {
  const int m = 3, K = 3, T = 27;
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> U(0.05, 1.0);
  std::vector<double> lp(2 * m * K), ll(2 * T), post(2 * m * K), joint(2 * T);
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < m; ++j) {
      double w[K], z = 0.0;
      for (int k = 0; k < K; ++k) z += (w[k] = (j == 1 && k == 2) ? 0.0 : U(gen));
      for (int k = 0; k < K; ++k) lp[(b * m + j) * K + k] = std::log(w[k] / z);
    }
  for (int t = 0; t < T; ++t) ll[t] = std::log(U(gen));
  for (int t = 0; t < T; ++t) ll[T + t] = (t / 3) % 3 == 2 ? 0.0 : -INFINITY;  // only t_1 = 2
  unsigned char status[2];
  accord::bayes::update_enumerated(lp.data(), ll.data(), 2, m, K, post.data(), joint.data(),
                                   status);
  CHECK(status[0] == accord::bayes::kOk && status[1] == accord::bayes::kZeroEvidence);
  std::vector<double> pj(T), marg(m * K, 0.0);
  double z = 0.0;
  for (int t = 0; t < T; ++t) {
    const int d[3] = {t / 9, (t / 3) % 3, t % 3};
    pj[t] = std::exp(ll[t]);
    for (int j = 0; j < m; ++j) pj[t] *= std::exp(lp[j * K + d[j]]);
    z += pj[t];
    for (int j = 0; j < m; ++j) marg[j * K + d[j]] += pj[t];
  }
  for (int t = 0; t < T; ++t) CHECK(std::abs(std::exp(joint[t]) - pj[t] / z) < 1e-13);
  for (int q = 0; q < m * K; ++q) CHECK(std::abs(std::exp(post[q]) - marg[q] / z) < 1e-13);
  CHECK(post[1 * K + 2] == -INFINITY);
}

// Expected values and VPI against brute force; the filter on a two-state chain.
void test_bayes_values_and_filter() {
  const int m = 2, K = 2, T = 4, A = 2;
  const double p[m * K] = {0.3, 0.7, 0.6, 0.4};
  double lp[m * K];
  for (int q = 0; q < m * K; ++q) lp[q] = std::log(p[q]);
  const double v[A * T] = {1.0, 2.0, 3.0, 4.0, 10.0, -1.0, 0.5, 2.5};
  double ev[A], vp[A];
  unsigned char s1 = 9, s2 = 9;
  accord::bayes::expected_values(lp, v, 1, m, K, A, ev, &s1);
  const double share[A] = {0.5, 1.0}, best = 1.5, second = 1.0;
  const unsigned char is_best[A] = {1, 0};
  accord::bayes::vpi(lp, v, 1, m, K, A, T, share, &best, &second, is_best, vp, &s2);
  CHECK(s1 == accord::bayes::kOk && s2 == accord::bayes::kOk);
  double bad[A * T];
  std::copy(v, v + A * T, bad);
  bad[5] = NAN;
  accord::bayes::expected_values(lp, bad, 1, m, K, A, ev + 0, &s1);
  CHECK(s1 == accord::bayes::kNonFinite);
  accord::bayes::expected_values(lp, v, 1, m, K, A, ev, &s1);
  for (int a = 0; a < A; ++a) {
    double e = 0.0, g = 0.0;
    for (int t = 0; t < T; ++t) {
      const double w = p[t / 2] * p[K + t % 2];
      e += w * v[a * T + t];
      const double q = share[a] * v[a * T + t];
      g += w * (is_best[a] ? std::max(second - q, 0.0) : std::max(q - best, 0.0));
    }
    CHECK(std::abs(ev[a] - e) < 1e-13);
    CHECK(std::abs(vp[a] - g) < 1e-13);
  }
  const double bel[2] = {0.5, 0.5}, tr[4] = {0.9, 0.1, 0.2, 0.8}, obs[2] = {0.3, 0.7};
  double out[2];
  unsigned char st = 9;
  accord::bayes::filter_step(bel, tr, 0, obs, 1, 2, out, &st);
  CHECK(st == accord::bayes::kOk);
  CHECK(std::abs(out[0] - 0.165 / 0.48) < 1e-15 && std::abs(out[1] - 0.315 / 0.48) < 1e-15);
  const double none[2] = {0.0, 0.0};
  accord::bayes::filter_step(bel, tr, 0, none, 1, 2, out, &st);
  CHECK(st == accord::bayes::kZeroEvidence);
}

void test_loadbalance_round() {
  // Three servers of capacity 100, sensitivity 10 (server 0: 0), no risk, no noise.
  // Task 1 (load 4): bids (10 r + 4) * 1.5 with r = .7, .1, .2 -> server 0 (6.0) wins but
  // is overloaded (0.7 > 0.6) and splits with server 2 (same coalition, 0.2 < 0.5).
  double load[3] = {70.0, 10.0, 20.0};
  const double cap[3] = {100.0, 100.0, 100.0}, sens[3] = {0.0, 10.0, 10.0};
  const double risk[3] = {0.0, 0.0, 0.0}, target[3] = {0.5, 0.5, 0.5};
  const std::int64_t coal[3] = {0, 1, 0};
  const double tasks[2] = {4.0, 2.0}, noise[6] = {0, 0, 0, 0, 0, 0};
  double state[3] = {100.0, 0.0, 0.0};
  std::int64_t winner[2], partner[2];
  double bid[2], price[2], seen[2];
  bool above[2];
  const accord::loadbalance::AuctionParams p{200.0, 1000.0, 0.6, 0.5, 1.5, 1.0};
  accord::loadbalance::auction_round(3, 2, load, cap, sens, risk, target, coal, tasks, noise,
                                     state, winner, partner, bid, price, above, seen, p);
  CHECK(winner[0] == 0 && partner[0] == 2);
  CHECK(std::abs(bid[0] - 6.0) < 1e-12 && std::abs(price[0] - 7.5) < 1e-12);
  CHECK(load[0] == 73.0 && load[1] == 10.0 && load[2] == 23.0);  // after both tasks
  CHECK(!above[0] && seen[0] == 100.0);
  // the reserve becomes 1.5 x mean winning bid = 9 before task 2; server 0 (bid 3) wins
  CHECK(seen[1] == 9.0 && winner[1] == 0 && partner[1] == 2);
  CHECK(state[2] == 2.0 && std::abs(state[0] - 1.5 * (6.0 + 3.0) / 2) < 1e-12);
}

int main() {
  test_philox_known_answers();
  test_shapley_brute_force();
  test_max_excess_brute_force();
  test_permutations_are_permutations();
  test_voting_dp_brute_force();
  test_best_response_brute_force();
  test_fictitious_play_matching_pennies();
  test_bayes_exp_det();
  test_bayes_sample_types();
  test_bayes_update_paper();
  test_bayes_update_brute_force();
  test_bayes_values_and_filter();
  test_loadbalance_round();
  if (failures) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("all kernel tests passed");
  return 0;
}
