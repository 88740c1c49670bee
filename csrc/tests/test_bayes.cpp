// Tests of the Bayesian belief kernels against brute force (ctest).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "accord/bayes.hpp"
#include "check.hpp"

namespace {

using namespace accord::testing;

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
  const double p[B * m * K] = {0.1,  0.2,  0.3,  0.4,  0.5, 0.0, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0,
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

// The worked example of Chalkiadakis & Boutilier (2012), Eq. 5: belief (0.5, 0.3, 0.2) about agent
// 3, the Ambitious project failed, P(fail | g, m, b) = (0.2, 0.6, 0.9): posterior (0.10, 0.18,
// 0.18) / 0.46.
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

}  // namespace

int main() {
  return run_tests("bayes", {{"test_bayes_exp_det", test_bayes_exp_det},
                             {"test_bayes_sample_types", test_bayes_sample_types},
                             {"test_bayes_update_paper", test_bayes_update_paper},
                             {"test_bayes_update_brute_force", test_bayes_update_brute_force},
                             {"test_bayes_values_and_filter", test_bayes_values_and_filter}});
}
