// Unit tests of the C++ kernels, runnable without Python (ctest).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "accord/coop.hpp"
#include "accord/games.hpp"
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

int main() {
  test_philox_known_answers();
  test_shapley_brute_force();
  test_max_excess_brute_force();
  test_permutations_are_permutations();
  test_voting_dp_brute_force();
  test_best_response_brute_force();
  test_fictitious_play_matching_pennies();
  if (failures) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("all kernel tests passed");
  return 0;
}
