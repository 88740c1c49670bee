// Unit tests of the C++ kernels, runnable without Python (ctest).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "accord/coop.hpp"
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

int main() {
  test_philox_known_answers();
  test_shapley_brute_force();
  test_max_excess_brute_force();
  test_permutations_are_permutations();
  test_voting_dp_brute_force();
  if (failures) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::puts("all kernel tests passed");
  return 0;
}
