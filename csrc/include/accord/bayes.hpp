// Batched Bayesian beliefs over partner types: sampling, the posterior update, expected
// values, the expected value of perfect information, and a Dec-POMDP belief filter.
// Pure functions over raw buffers; see python/accord/bayes/.
//
// Sources: Chalkiadakis & Boutilier (2012), "Sequentially optimal repeated coalition
// formation under uncertainty", JAAMAS 24(3): Eq. 2 (expected action values),
// Eq. 5 (belief update B'(t_C) = z Pr(s | alpha, t_C) B(t_C)), Eqs. 11-13 (VPI), Sec. 6
// (sampling type vectors when there are too many); Kaelbling, Littman & Cassandra (1998)
// and Bernstein et al. (2002) for the (Dec-)POMDP belief filter.
//
// A batch row b is one agent's view of one coalition: m unknown members, each with a
// categorical marginal over K types, stored as log-probabilities lp[b][j][k] (row-major
// (B, m, K); an impossible type is -inf).  Beliefs are products of the marginals.  The
// T = K^m joint type vectors are indexed row-major, member 0 slowest:
// t = sum_j t_j K^(m-1-j).  m = 0 is allowed (T = 1).
//
// Every row is computed by one thread in a fixed order, so results do not depend on the
// number of OpenMP threads.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "accord/common.hpp"
#include "accord/philox.hpp"

namespace accord::bayes {

// Largest number of joint type vectors the enumerated kernels accept.
constexpr std::int64_t kMaxJoint = std::int64_t{1} << 24;

// Philox tag of the type draws ("TYPE").
constexpr std::uint32_t kTagTypes = 0x54595045u;

// Per-row status written by the update and filter kernels.
constexpr unsigned char kOk = 0;
constexpr unsigned char kZeroEvidence = 1;  // every outcome with positive prior has zero likelihood
constexpr unsigned char kNonFinite = 2;     // the row's values hold NaN or +-inf

// ---- arithmetic shared bit for bit by the CPU and the GPU ----------------------------
// Round-to-nearest operations that the CUDA compiler may not fuse into an FMA (the CPU
// type sampler, csrc/bayes/sampling.cpp, is compiled with -ffp-contract=off; elsewhere
// the host compiler may contract them, which only changes rounding).

ACCORD_HD double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

ACCORD_HD double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

ACCORD_HD double sub_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}

// exp(x) for x <= 709, returning 0 for x < -708 (and for -inf): Cody-Waite reduction
// x = n ln2 + r, |r| <= ln2 / 2, a degree-13 Taylor polynomial of exp(r) in Horner form
// (truncation below 1e-17 relative) and an exact scaling by 2^n.  Every operation is
// IEEE round-to-nearest, so the CPU and the GPU return identical bits (the Philox
// samplers depend on it), and the branch-free form lets the compiler vectorise loops.
// Accuracy: within a few ulp of exp(x); values below e^-708 (~3e-308) flush to zero.
ACCORD_HD double exp_det(double x) {
  const bool under = !(x >= -708.0);
  double xc = under ? -708.0 : x;
  xc = xc > 709.0 ? 709.0 : xc;
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52: rounds to an integer
  constexpr double kLn2Hi = 6.93145751953125e-1;  // 15 significant bits: n * hi is exact
  constexpr double kLn2Lo = 1.42860682030941723212e-6;
  const double t = add_rn(mul_rn(xc, kLog2e), kShift);
  const double n = sub_rn(t, kShift);
  const double r = sub_rn(sub_rn(xc, mul_rn(n, kLn2Hi)), mul_rn(n, kLn2Lo));
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = add_rn(mul_rn(p, r), 1.0 / 479001600.0);
  p = add_rn(mul_rn(p, r), 1.0 / 39916800.0);
  p = add_rn(mul_rn(p, r), 1.0 / 3628800.0);
  p = add_rn(mul_rn(p, r), 1.0 / 362880.0);
  p = add_rn(mul_rn(p, r), 1.0 / 40320.0);
  p = add_rn(mul_rn(p, r), 1.0 / 5040.0);
  p = add_rn(mul_rn(p, r), 1.0 / 720.0);
  p = add_rn(mul_rn(p, r), 1.0 / 120.0);
  p = add_rn(mul_rn(p, r), 1.0 / 24.0);
  p = add_rn(mul_rn(p, r), 1.0 / 6.0);
  p = add_rn(mul_rn(p, r), 0.5);
  p = add_rn(mul_rn(p, r), 1.0);
  p = add_rn(mul_rn(p, r), 1.0);
  // The low bits of t hold n (two's complement); (n + 1023) << 52 is the double 2^n.
#if defined(__CUDA_ARCH__)
  const std::uint64_t bits = static_cast<std::uint64_t>(__double_as_longlong(t));
  const double scale = __longlong_as_double(static_cast<long long>((bits + 1023u) << 52));
#elif defined(__CUDACC__) || !defined(__GNUC__)
  std::uint64_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = (bits + 1023u) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
#else  // a register bit cast keeps loops over exp_det vectorisable
  const std::uint64_t bits = __builtin_bit_cast(std::uint64_t, t);
  const double scale = __builtin_bit_cast(double, (bits + 1023u) << 52);
#endif
  const double y = mul_rn(p, scale);
  return under ? 0.0 : y;
}

// ---- type sampling -------------------------------------------------------------------

// The uniform [0, 1) number (53 bits) of draw (row, sample, member) for `seed`: one
// Philox4x32-10 block keyed by the seed with counter (row, sample, TYPE, member / 2);
// members 2i and 2i+1 use its two halves.  A draw depends on nothing else, so samples
// are identical on every device and for every thread split, and the first S samples of
// a row do not change when more are drawn.  type_uniform_pair returns the uniforms of
// members 2 pair and 2 pair + 1 from one block.
ACCORD_HD void type_uniform_pair(std::uint64_t seed, std::uint32_t row, std::uint32_t sample,
                                 std::uint32_t pair, double u[2]) {
  const std::uint32_t ctr[4] = {row, sample, kTagTypes, pair};
  const std::uint32_t key[2] = {static_cast<std::uint32_t>(seed),
                                static_cast<std::uint32_t>(seed >> 32)};
  std::uint32_t out[4];
  philox4x32_10(ctr, key, out);
  for (int h = 0; h < 2; ++h) {
    const double a = static_cast<double>(out[2 * h] >> 5);      // 27 bits
    const double b = static_cast<double>(out[2 * h + 1] >> 6);  // 26 bits
    u[h] = (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }
}

ACCORD_HD double type_uniform(std::uint64_t seed, std::uint32_t row, std::uint32_t sample,
                              std::uint32_t member) {
  double u[2];
  type_uniform_pair(seed, row, sample, member >> 1, u);
  return u[member & 1u];
}

// Largest entry of lp[0..K) (-inf if all are -inf).
ACCORD_HD double max_of(const double* lp, int K) {
  double mx = -INFINITY;
  for (int k = 0; k < K; ++k) mx = lp[k] > mx ? lp[k] : mx;
  return mx;
}

// Inverse-CDF draw of a type from one member's log-marginal lp[0..K): weights
// w_k = exp_det(lp[k] - max lp) summed in index order, the first k whose running sum
// exceeds u * total (the last type of positive weight if rounding leaves none).  Types
// of weight zero are never drawn.
ACCORD_HD int draw_type(const double* lp, int K, double u) {
  const double mx = max_of(lp, K);
  double total = 0.0;
  for (int k = 0; k < K; ++k) total = add_rn(total, exp_det(sub_rn(lp[k], mx)));
  const double thr = mul_rn(u, total);
  double cum = 0.0;
  int last = 0;
  for (int k = 0; k < K; ++k) {
    const double e = exp_det(sub_rn(lp[k], mx));
    if (e > 0.0) {
      cum = add_rn(cum, e);
      last = k;
      if (thr < cum) return k;
    }
  }
  return last;
}

// ---- value of perfect information (Chalkiadakis & Boutilier (2012), Eq. 12) -----------

// gain(q*) = second - q* if the action is the current best and q* < second;
// q* - best if it is not and q* > best; 0 otherwise.
ACCORD_HD double vpi_gain(double q, double best, double second, bool is_best) {
  const double d = is_best ? second - q : q - best;
  return d > 0.0 ? d : 0.0;
}

// ---- CPU kernels (csrc/bayes/*.cpp) ---------------------------------------------------

// out (B, S, m) int32: type of member j in sample s of row b, drawn from lp[b][j] by
// draw_type(lp[b][j], K, type_uniform(seed, b, s, j)).  Needs B, S < 2^32.
void sample_types(const double* log_marginals, std::int64_t batch, int m, int K,
                  std::int64_t samples, std::uint64_t seed, std::int32_t* out);

// The first problem of log-marginals lp (B, m, K), in (row, member) order: code 1, an
// entry (row, member, type) that is NaN or +inf (value); code 2, a member whose entries
// are all -inf; code 3, a member with |logsumexp| > tol (value: the logsumexp).
// Code 0: none.
struct MarginalCheck {
  int code;
  std::int64_t row, member, type;
  double value;
};
MarginalCheck check_log_marginals(const double* log_marginals, std::int64_t batch, int m, int K,
                                  double tol);

// The first problem of a (rows, cols) array of probabilities, in row-major order: code 1,
// an entry (row, col) that is NaN or +-inf (value); code 2, a negative entry (value);
// code 3, a row whose sum misses 1 by more than tol (value: the sum; skipped when
// tol < 0).  Code 0: none.
struct ProbabilityCheck {
  int code;
  std::int64_t row, col;
  double value;
};
ProbabilityCheck check_probability_rows(const double* p, std::int64_t rows, std::int64_t cols,
                                        double tol);

// Position (b * S + s) * m + j of the first sample whose type is outside [0, K) or has
// log-probability -inf under lp[b][j] (so it cannot have been drawn from it), or -1.
std::int64_t first_invalid_sample(const double* log_marginals, const std::int32_t* samples,
                                  std::int64_t batch, int m, int K, std::int64_t count);

// After expected_values / sample_means / vpi: throws std::invalid_argument naming the
// first non-finite entry of values (B, A, N) in the rows whose status is not kOk
// ("values[b, a, t] is nan; values must be finite"); returns normally when there is none.
void check_values_finite(const double* values, const unsigned char* status, std::int64_t batch,
                         std::int64_t actions, std::int64_t count);

// Eq. 5 over enumerated joint type vectors.  log_lik (B, T): log Pr(obs | t) for every
// joint vector.  Writes the normalised log posterior marginals log_post (B, m, K) and,
// when log_joint is not null, the normalised log joint posterior (B, T) (-inf where the
// prior is zero).  status[b] = kZeroEvidence when no vector of positive prior has finite
// log-likelihood (the outputs of that row are then -inf).  log_lik must not hold NaN or
// +inf where the prior is positive.  T = K^m <= kMaxJoint.
void update_enumerated(const double* log_prior, const double* log_lik, std::int64_t batch,
                       int m, int K, double* log_post, double* log_joint,
                       unsigned char* status);

// Rao-Blackwellised Eq. 5 from S sampled type vectors.  log_lik (B, S, m, K):
// log Pr(obs | sample s with member j's type replaced by k).  post_j(k) is proportional
// to prior_j(k) * mean_s exp(log_lik[b][s][j][k]) (log space).  status[b] = kZeroEvidence
// when, for some member, every type of positive prior has zero estimated likelihood.
void update_sampled(const double* log_prior, const double* log_lik, std::int64_t batch,
                    int m, int K, std::int64_t samples, double* log_post,
                    unsigned char* status);

// Eq. 2's inner sum: out[b][a] = sum_t P_b(t) values[b][a][t], P_b the product of the
// marginals exp(lp[b][j]); values (B, A, T).  Each row's values are checked first (they
// are then in cache for the sums): status[b] = kNonFinite, and the row of out NaN, when
// they hold NaN or +-inf; kOk otherwise.
void expected_values(const double* log_marginals, const double* values, std::int64_t batch,
                     int m, int K, std::int64_t actions, double* out, unsigned char* status);

// out[b][a] = mean_s values[b][a][s] (sampled type vectors, weights 1/S); status as above.
void sample_means(const double* values, std::int64_t batch, std::int64_t actions,
                  std::int64_t samples, double* out, unsigned char* status);

// Eqs. 11-13: out[b][a] = sum_t P_b(t) gain(share[b][a] * values[b][a][t]) with
// gain = vpi_gain(., best[b], second[b], is_best[b][a] != 0).  With log_marginals null,
// `joint` counts sampled type vectors with weights 1/joint (values (B, A, S)); otherwise
// joint must be K^m.  status as for expected_values.
void vpi(const double* log_marginals, const double* values, std::int64_t batch, int m, int K,
         std::int64_t actions, std::int64_t joint, const double* share, const double* best,
         const double* second, const unsigned char* is_best, double* out,
         unsigned char* status);

// Dec-POMDP belief filter (Kaelbling, Littman & Cassandra (1998), the belief state):
// out[b][s'] = o[b][s'] sum_s belief[b][s] T_b[s][s'] / z, T_b = transition +
// b * transition_stride (0: one matrix for every row).  status[b] = kZeroEvidence
// when z = 0 (the row of out is then zero).
void filter_step(const double* belief, const double* transition,
                 std::int64_t transition_stride, const double* observation_likelihood,
                 std::int64_t batch, std::int64_t states, double* out, unsigned char* status);

// Distribution of an additive statistic over every subset of n members (a subset
// dynamic programme; accord/subset_sums.hpp).  probs (views, n, K): each member's
// categorical distribution over K types; points (K,): each type's points, >= 0, with
// n * max(points) < L.  values null: out (views, 2^n, L), out[z][S][l] = P(sum over the
// members j in S of points[t_j] = l) (S = 0: a point mass on 0).  values (2^n, A, L):
// out (views, 2^n, A), out[z][S][a] = sum_l P_S(l) values[S][a][l].
void subset_sums(const double* probs, std::int64_t views, int n, int K,
                 const std::int64_t* points, int L, const double* values, std::int64_t A,
                 double* out);

}  // namespace accord::bayes
