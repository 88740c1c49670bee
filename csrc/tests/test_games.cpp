// Tests of the normal-form game kernels against brute force (ctest).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "accord/games.hpp"
#include "check.hpp"

namespace {

using namespace accord::testing;

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

}  // namespace

int main() {
  return run_tests("games", {
      {"test_best_response_brute_force", test_best_response_brute_force},
      {"test_fictitious_play_matching_pennies", test_fictitious_play_matching_pennies}
  });
}
