// Tests of the normal-form game kernels against brute force (ctest): best responses,
// fictitious play, the exact two-player solvers (Lemke-Howson, support and vertex
// enumeration) and the incentive constraints of (coarse) correlated equilibria.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "accord/bimatrix.hpp"
#include "accord/correlated.hpp"
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
  accord::games::fictitious_play(P, 1, L, 10000, accord::games::FPMode::kSimultaneous, init, 1000,
                                 prof.data(), hist.data());
  CHECK(std::abs(prof[0] - 0.5) < 0.01 && std::abs(prof[2] - 0.5) < 0.01);
  CHECK(hist[9] < hist[0] && hist[9] < 0.02);
}

// An initial action outside 0..k_i-1 is an error of the kernel, not undefined behaviour.
void test_fictitious_play_rejects_bad_initial_actions() {
  const std::int64_t k[2] = {2, 2};
  accord::games::Layout L(2, k);
  const double P[8] = {1, -1, -1, 1, -1, 1, 1, -1};
  std::vector<double> prof(4), hist(1);
  for (const std::int64_t bad : {std::int64_t{-1}, std::int64_t{2}}) {
    const std::int64_t init[2] = {0, bad};
    bool thrown = false;
    try {
      accord::games::fictitious_play(P, 1, L, 10, accord::games::FPMode::kSimultaneous, init, 10,
                                     prof.data(), hist.data());
    } catch (const std::invalid_argument&) {
      thrown = true;
    }
    CHECK(thrown);
  }
}

// ---- exact two-player solvers ---------------------------------------------------------

namespace bm = accord::bimatrix;

struct Profile {
  std::vector<double> x, y;
};

// Largest gain of a pure deviation from (x, y): max over rows of (A y)_i - x.A y and
// over columns of (x B)_j - x.B y (0 at an equilibrium); +inf when x or y is not a
// probability vector.
double regret(const std::vector<double>& A, const std::vector<double>& B, int m, int n,
              const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0.0, sy = 0.0;
  for (double v : x) {
    if (v < -1e-12) return INFINITY;
    sx += v;
  }
  for (double v : y) {
    if (v < -1e-12) return INFINITY;
    sy += v;
  }
  if (std::abs(sx - 1.0) > 1e-9 || std::abs(sy - 1.0) > 1e-9) return INFINITY;
  std::vector<double> Ay(m, 0.0), xB(n, 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      Ay[i] += A[i * n + j] * y[j];
      xB[j] += x[i] * B[i * n + j];
    }
  double xAy = 0.0, xBy = 0.0;
  for (int i = 0; i < m; ++i) xAy += x[i] * Ay[i];
  for (int j = 0; j < n; ++j) xBy += xB[j] * y[j];
  double worst = 0.0;
  for (int i = 0; i < m; ++i) worst = std::max(worst, Ay[i] - xAy);
  for (int j = 0; j < n; ++j) worst = std::max(worst, xB[j] - xBy);
  return worst;
}

std::vector<Profile> profiles_of(const bm::Equilibria& e, int m, int n) {
  std::vector<Profile> out;
  for (std::size_t c = 0; c < e.count; ++c)
    out.push_back({std::vector<double>(e.x.begin() + c * m, e.x.begin() + (c + 1) * m),
                   std::vector<double>(e.y.begin() + c * n, e.y.begin() + (c + 1) * n)});
  return out;
}

bool same(const Profile& a, const Profile& b, double tol = 1e-8) {
  for (std::size_t i = 0; i < a.x.size(); ++i)
    if (std::abs(a.x[i] - b.x[i]) > tol) return false;
  for (std::size_t j = 0; j < a.y.size(); ++j)
    if (std::abs(a.y[j] - b.y[j]) > tol) return false;
  return true;
}

bool contains(const std::vector<Profile>& set, const Profile& p) {
  for (const Profile& q : set)
    if (same(p, q)) return true;
  return false;
}

// Solves the k x k system M z = r (row-major) by Gaussian elimination with partial
// pivoting; false when M is (numerically) singular.
bool solve(std::vector<double> M, std::vector<double> r, int k, std::vector<double>& z) {
  for (int c = 0; c < k; ++c) {
    int piv = c;
    for (int i = c + 1; i < k; ++i)
      if (std::abs(M[i * k + c]) > std::abs(M[piv * k + c])) piv = i;
    if (std::abs(M[piv * k + c]) < 1e-12) return false;
    for (int j = 0; j < k; ++j) std::swap(M[c * k + j], M[piv * k + j]);
    std::swap(r[c], r[piv]);
    for (int i = 0; i < k; ++i) {
      if (i == c) continue;
      const double f = M[i * k + c] / M[c * k + c];
      for (int j = c; j < k; ++j) M[i * k + j] -= f * M[c * k + j];
      r[i] -= f * r[c];
    }
  }
  z.resize(k);
  for (int c = 0; c < k; ++c) z[c] = r[c] / M[c * k + c];
  return true;
}

// The mixed strategy on `support` (of `size` actions) that makes the opponent, whose
// payoff to action a against pure s is pay(a, s), indifferent over `other`: solves
// sum_s w_s pay(a, s) = value (a in other), sum_s w_s = 1.
template <class Pay>
bool indifference(const std::vector<int>& support, const std::vector<int>& other, int size, Pay pay,
                  std::vector<double>& w) {
  const int k = static_cast<int>(support.size());
  std::vector<double> M((k + 1) * (k + 1), 0.0), r(k + 1, 0.0), z;
  for (int e = 0; e < k; ++e) {  // rows: pay(other[e], .) . w - value = 0
    for (int s = 0; s < k; ++s) M[e * (k + 1) + s] = pay(other[e], support[s]);
    M[e * (k + 1) + k] = -1.0;
  }
  for (int s = 0; s < k; ++s) M[k * (k + 1) + s] = 1.0;
  r[k] = 1.0;
  if (!solve(M, r, k + 1, z)) return false;
  w.assign(size, 0.0);
  for (int s = 0; s < k; ++s) {
    if (z[s] <= 1e-12) return false;
    w[support[s]] = z[s];
  }
  return true;
}

// Every Nash equilibrium of a nondegenerate game by brute force over equal-size support
// pairs (Nisan et al. 2007, Alg. 3.4): each support pair's indifference systems, kept
// when no pure deviation gains.
std::vector<Profile> brute_force_equilibria(const std::vector<double>& A,
                                            const std::vector<double>& B, int m, int n) {
  std::vector<Profile> out;
  for (unsigned I = 1; I < (1u << m); ++I)
    for (unsigned J = 1; J < (1u << n); ++J) {
      if (__builtin_popcount(I) != __builtin_popcount(J)) continue;
      std::vector<int> rows, cols;
      for (int i = 0; i < m; ++i)
        if (I >> i & 1) rows.push_back(i);
      for (int j = 0; j < n; ++j)
        if (J >> j & 1) cols.push_back(j);
      Profile p;
      // y on cols makes the row player indifferent over rows, x on rows the column player
      // indifferent over cols.
      if (!indifference(cols, rows, n, [&](int i, int j) { return A[i * n + j]; }, p.y)) continue;
      if (!indifference(rows, cols, m, [&](int j, int i) { return B[i * n + j]; }, p.x)) continue;
      if (regret(A, B, m, n, p.x, p.y) <= 1e-9) out.push_back(p);
    }
  return out;
}

// Lemke-Howson from every label, and lemke_howson_all: every result has zero regret
// against every pure deviation, and each is one of the brute-force equilibria.
void test_lemke_howson_brute_force() {
  std::mt19937_64 gen(2024);
  for (int trial = 0; trial < 60; ++trial) {
    const int m = 1 + static_cast<int>(gen() % 5), n = 1 + static_cast<int>(gen() % 5);
    const auto A = random_matrix(m, n, gen), B = random_matrix(m, n, gen);
    const auto all = brute_force_equilibria(A, B, m, n);
    CHECK(!all.empty());
    for (int label = 0; label < m + n; ++label) {
      Profile p{std::vector<double>(m), std::vector<double>(n)};
      bm::lemke_howson(A.data(), B.data(), m, n, label, 10000, p.x.data(), p.y.data());
      CHECK(regret(A, B, m, n, p.x, p.y) <= 1e-9);
      CHECK(contains(all, p));
    }
    for (int threads : {1, 2}) {
      const auto found =
          profiles_of(bm::lemke_howson_all(A.data(), B.data(), m, n, 10000, threads), m, n);
      CHECK(!found.empty());
      for (const Profile& p : found) {
        CHECK(regret(A, B, m, n, p.x, p.y) <= 1e-9);
        CHECK(contains(all, p));
      }
    }
  }
  // Matching pennies: the unique equilibrium is uniform.
  const std::vector<double> A = {1, -1, -1, 1}, B = {-1, 1, 1, -1};
  Profile p{std::vector<double>(2), std::vector<double>(2)};
  bm::lemke_howson(A.data(), B.data(), 2, 2, 0, 100, p.x.data(), p.y.data());
  CHECK(same(p, Profile{{0.5, 0.5}, {0.5, 0.5}}, 1e-12));
  // A payoff range whose reciprocal overflows (a subnormal difference) still normalises.
  const std::vector<double> A1 = {0.0, 0.0}, B1 = {0.0, 2.225073858507e-311};
  Profile q{std::vector<double>(1), std::vector<double>(2)};
  bm::lemke_howson(A1.data(), B1.data(), 1, 2, 0, 100, q.x.data(), q.y.data());
  CHECK(q.x[0] == 1.0 && q.y[0] == 0.0 && q.y[1] == 1.0);
}

// Support and vertex enumeration find exactly the brute-force equilibria of random
// (nondegenerate) games, for one and several threads; every one has zero regret.
void test_enumeration_brute_force() {
  std::mt19937_64 gen(7);
  for (int trial = 0; trial < 60; ++trial) {
    const int m = 1 + static_cast<int>(gen() % 5), n = 1 + static_cast<int>(gen() % 5);
    const auto A = random_matrix(m, n, gen), B = random_matrix(m, n, gen);
    const auto all = brute_force_equilibria(A, B, m, n);
    for (int threads : {1, 2, 0}) {
      const auto se = bm::support_enumeration(A.data(), B.data(), m, n, threads);
      const auto ve = bm::vertex_enumeration(A.data(), B.data(), m, n, 1000000, threads);
      CHECK(!se.degenerate && !ve.degenerate);
      for (const auto* e : {&se, &ve}) {
        const auto found = profiles_of(*e, m, n);
        CHECK(found.size() == all.size());
        for (const Profile& p : all) CHECK(contains(found, p));
        for (const Profile& p : found) CHECK(regret(A, B, m, n, p.x, p.y) <= 1e-9);
      }
    }
  }
  // An odd number of equilibria (Shapley 1974): three in a 3 x 3 coordination game.
  const std::vector<double> C = {3, 0, 0, 0, 2, 0, 0, 0, 1};
  const auto ve = bm::vertex_enumeration(C.data(), C.data(), 3, 3, 100000, 1);
  CHECK(ve.count == 7);  // three pure, three on pairs, one on all three actions
}

// ---- (coarse) correlated equilibria ---------------------------------------------------

namespace g = accord::games;

// A random n-player game with the given action counts and a random joint distribution.
struct Game {
  int n;
  std::vector<std::int64_t> k;
  std::int64_t N;
  std::vector<double> u, p;  // u: (n, N), p: (N)
};

Game random_normal_form(std::vector<std::int64_t> k, std::mt19937_64& gen) {
  Game G{static_cast<int>(k.size()), k, 1, {}, {}};
  for (auto ki : k) G.N *= ki;
  std::uniform_real_distribution<double> d(-1.0, 1.0), w(0.0, 1.0);
  G.u.resize(G.n * G.N);
  for (auto& x : G.u) x = std::round(4.0 * d(gen)) / 4.0;  // ties: zero coefficients
  G.p.resize(G.N);
  double z = 0.0;
  for (auto& x : G.p) z += (x = w(gen));
  for (auto& x : G.p) x /= z;
  return G;
}

// Row-major digits of joint action a, and the index with player i's digit set to d.
std::vector<std::int64_t> digits(const Game& G, std::int64_t a) {
  std::vector<std::int64_t> t(G.n);
  for (int i = G.n - 1; i >= 0; --i) {
    t[i] = a % G.k[i];
    a /= G.k[i];
  }
  return t;
}

std::int64_t with_action(const Game& G, std::int64_t a, int i, std::int64_t d) {
  auto t = digits(G, a);
  t[i] = d;
  std::int64_t idx = 0;
  for (int j = 0; j < G.n; ++j) idx = idx * G.k[j] + t[j];
  return idx;
}

// Gains of deviating from recommendation r to d (r < 0: from any recommendation, CCE),
// straight from the definition (Aumann 1974).
double direct_gain(const Game& G, const std::vector<double>& p, int i, std::int64_t r,
                   std::int64_t d) {
  double s = 0.0;
  for (std::int64_t a = 0; a < G.N; ++a) {
    if (r >= 0 && digits(G, a)[i] != r) continue;
    s += p[a] * (G.u[i * G.N + with_action(G, a, i, d)] - G.u[i * G.N + a]);
  }
  return s;
}

// The gains for CE (per player k_i x k_i, [r][d]) and CCE (per player k_i) in the
// kernels' layout.
std::vector<double> direct_gains(const Game& G, const std::vector<double>& p, bool coarse) {
  std::vector<double> out;
  for (int i = 0; i < G.n; ++i)
    for (std::int64_t r = 0; r < (coarse ? 1 : G.k[i]); ++r)
      for (std::int64_t d = 0; d < G.k[i]; ++d)
        out.push_back(direct_gain(G, p, i, coarse ? -1 : r, d));
  return out;
}

void test_incentive_gains_direct() {
  std::mt19937_64 gen(99);
  for (const auto& k : std::vector<std::vector<std::int64_t>>{{2, 2}, {3, 2, 4}, {2, 3, 2, 2}}) {
    const Game G1 = random_normal_form(k, gen), G2 = random_normal_form(k, gen);
    std::vector<double> u(G1.u), p(G1.p);  // a batch of two games and distributions
    u.insert(u.end(), G2.u.begin(), G2.u.end());
    p.insert(p.end(), G2.p.begin(), G2.p.end());
    for (bool coarse : {false, true}) {
      const std::int64_t m = g::num_gains(G1.n, k.data(), coarse);
      std::vector<double> gains(2 * m), viol(2);
      g::incentive_gains(u.data(), G1.n * G1.N, p.data(), G1.N, 2, G1.n, k.data(), coarse,
                         gains.data());
      g::incentive_violation(u.data(), G1.n * G1.N, p.data(), G1.N, 2, G1.n, k.data(), coarse,
                             viol.data());
      const Game* games[2] = {&G1, &G2};
      for (int b = 0; b < 2; ++b) {
        const auto want = direct_gains(*games[b], games[b]->p, coarse);
        CHECK(static_cast<std::int64_t>(want.size()) == m);
        double top = 0.0;
        for (std::int64_t q = 0; q < m; ++q) {
          CHECK(std::abs(gains[b * m + q] - want[q]) < 1e-12);
          top = std::max(top, want[q]);
        }
        CHECK(std::abs(viol[b] - top) < 1e-12);
      }
      // A shared distribution (stride 0) for both games.
      g::incentive_gains(u.data(), G1.n * G1.N, G1.p.data(), 0, 2, G1.n, k.data(), coarse,
                         gains.data());
      const auto want2 = direct_gains(G2, G1.p, coarse);
      for (std::int64_t q = 0; q < m; ++q) CHECK(std::abs(gains[m + q] - want2[q]) < 1e-12);
    }
  }
}

// The incentive matrix times p is the vector of gains (without the zero CE diagonal), in
// CSR without explicit zeros; the LP keeps exactly the rows with a positive coefficient,
// then the egalitarian rows and sum p = 1.
void test_incentive_matrix_and_lp_direct() {
  std::mt19937_64 gen(5);
  for (const auto& k : std::vector<std::vector<std::int64_t>>{{2, 3}, {3, 2, 2}, {1, 3}}) {
    const Game G = random_normal_form(k, gen);
    for (bool coarse : {false, true}) {
      const std::int64_t rows = g::incentive_rows(G.n, k.data(), coarse);
      std::vector<std::int64_t> indptr(rows + 1);
      g::incentive_indptr(G.u.data(), G.n, k.data(), coarse, indptr.data());
      CHECK(indptr[0] == 0);
      std::vector<std::int32_t> idx(indptr[rows]);
      std::vector<double> val(indptr[rows]);
      g::incentive_fill(G.u.data(), G.n, k.data(), coarse, indptr.data(), idx.data(), val.data());
      // Row r of the matrix, dense, and its product with p against the direct gain.
      std::vector<std::vector<double>> dense(rows, std::vector<double>(G.N, 0.0));
      std::int64_t row = 0;
      for (int i = 0; i < G.n; ++i)
        for (std::int64_t r = 0; r < (coarse ? 1 : G.k[i]); ++r)
          for (std::int64_t d = 0; d < G.k[i]; ++d) {
            if (!coarse && d == r) continue;
            double mp = 0.0;
            for (std::int64_t e = indptr[row]; e < indptr[row + 1]; ++e) {
              CHECK(val[e] != 0.0);
              CHECK(e == indptr[row] || idx[e] > idx[e - 1]);
              dense[row][idx[e]] = val[e];
              mp += val[e] * G.p[idx[e]];
            }
            CHECK(std::abs(mp - direct_gain(G, G.p, i, coarse ? -1 : r, d)) < 1e-12);
            ++row;
          }
      CHECK(row == rows);

      for (bool egalitarian : {false, true}) {
        const g::IncentiveLp lp(G.u.data(), G.n, k.data(), coarse, egalitarian);
        std::vector<std::int32_t> ip(lp.rows() + 1), ix(lp.nonzeros());
        std::vector<double> dv(lp.nonzeros());
        std::vector<std::int64_t> kept(lp.kept());
        lp.fill(ip.data(), ix.data(), dv.data(), kept.data());
        CHECK(lp.rows() == lp.kept() + (egalitarian ? G.n : 0) + 1);
        CHECK(ip[0] == 0 && ip[lp.rows()] == lp.nonzeros());
        CHECK(lp.columns() == G.N + (egalitarian ? 1 : 0));
        std::int64_t j = 0;
        for (std::int64_t r = 0; r < rows; ++r) {
          const bool positive =
              std::any_of(dense[r].begin(), dense[r].end(), [](double v) { return v > 0.0; });
          if (!positive) continue;
          CHECK(j < lp.kept() && kept[j] == r);
          std::vector<double> got(G.N, 0.0);
          for (std::int32_t e = ip[j]; e < ip[j + 1]; ++e) got[ix[e]] = dv[e];
          CHECK(got == dense[r]);
          ++j;
        }
        CHECK(j == lp.kept());
        if (egalitarian)
          for (int i = 0; i < G.n; ++i, ++j) {  // z - U_i . p: N + 1 entries
            CHECK(ip[j + 1] - ip[j] == G.N + 1);
            for (std::int64_t a = 0; a < G.N; ++a)
              CHECK(ix[ip[j] + a] == a && dv[ip[j] + a] == -G.u[i * G.N + a]);
            CHECK(ix[ip[j] + G.N] == G.N && dv[ip[j] + G.N] == 1.0);
          }
        CHECK(ip[j + 1] - ip[j] == G.N);  // sum p = 1
        for (std::int64_t a = 0; a < G.N; ++a) CHECK(ix[ip[j] + a] == a && dv[ip[j] + a] == 1.0);
      }
    }
  }
}

}  // namespace

int main() {
  return run_tests(
      "games", {{"test_best_response_brute_force", test_best_response_brute_force},
                {"test_fictitious_play_matching_pennies", test_fictitious_play_matching_pennies},
                {"test_fictitious_play_rejects_bad_initial_actions",
                 test_fictitious_play_rejects_bad_initial_actions},
                {"test_lemke_howson_brute_force", test_lemke_howson_brute_force},
                {"test_enumeration_brute_force", test_enumeration_brute_force},
                {"test_incentive_gains_direct", test_incentive_gains_direct},
                {"test_incentive_matrix_and_lp_direct", test_incentive_matrix_and_lp_direct}});
}
