// Tests of the cooperative-game kernels against brute force (ctest).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "accord/coop.hpp"
#include "accord/philox.hpp"
#include "check.hpp"

namespace {

using namespace accord::testing;

void test_shapley_brute_force() {
  for (int n : {1, 3, 7, 10}) {
    auto v = random_game(n, 17 + n);
    std::vector<double> p(n), c(n + 1), b(n + 1), A(n);
    for (int s = 0; s < n; ++s) p[s] = shapley_weight(n, s);
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
        ss += shapley_weight(n, s);
        bz += 1.0 / (1ull << (n - 1));
      }
    }
    CHECK(std::abs(phi[i] - ss) < 1e-12);
    CHECK(std::abs(beta[i] - bz) < 1e-12);
  }
}

}  // namespace

int main() {
  return run_tests("coop",
                   {{"test_shapley_brute_force", test_shapley_brute_force},
                    {"test_max_excess_brute_force", test_max_excess_brute_force},
                    {"test_permutations_are_permutations", test_permutations_are_permutations},
                    {"test_voting_dp_brute_force", test_voting_dp_brute_force}});
}
