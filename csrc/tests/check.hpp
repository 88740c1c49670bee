// A minimal check harness for the kernel tests (ctest): CHECK records a failure and
// carries on; run_tests runs every test and returns the process exit status.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <random>
#include <vector>

namespace accord::testing {

inline int& failures() {
  static int count = 0;
  return count;
}

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #cond); \
      ++::accord::testing::failures();                                       \
    }                                                                        \
  } while (0)

struct Test {
  const char* name;
  void (*run)();
};

inline int run_tests(const char* area, std::initializer_list<Test> tests) {
  for (const Test& t : tests) {
    const int before = failures();
    t.run();
    std::printf("%-48s %s\n", t.name, failures() == before ? "ok" : "FAILED");
  }
  if (failures()) {
    std::fprintf(stderr, "%s: %d check(s) failed\n", area, failures());
    return 1;
  }
  std::printf("%s: all tests passed\n", area);
  return 0;
}

// A random TU game on n players: standard normal values, v[0] = 0.
inline std::vector<double> random_game(int n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> d;
  std::vector<double> v(std::size_t{1} << n);
  for (auto& x : v) x = d(gen);
  v[0] = 0.0;
  return v;
}

// m x n payoffs drawn uniformly from [-1, 1) (nondegenerate with probability one).
inline std::vector<double> random_matrix(int m, int n, std::mt19937_64& gen) {
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> a(static_cast<std::size_t>(m) * n);
  for (auto& x : a) x = d(gen);
  return a;
}

// Shapley weights p(s) = s! (n - s - 1)! / n!.
inline double shapley_weight(int n, int s) {
  return std::exp(std::lgamma(s + 1.0) + std::lgamma(n - s + 0.0) - std::lgamma(n + 1.0));
}

}  // namespace accord::testing
