// Inner loops of the belief kernels; see blocks.hpp.
#include "blocks.hpp"

#include <limits>

#include "accord/bayes.hpp"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__x86_64__) && \
    defined(__linux__) && !defined(ACCORD_NO_CLONES)
#define ACCORD_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ACCORD_CLONES
#endif

namespace accord::bayes::detail {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
}

ACCORD_CLONES double leaf_max(const double* __restrict ilp, const double* __restrict L,
                              const std::int64_t* __restrict off, std::int64_t n, double lpo,
                              double* __restrict J) {
  double mx = kNegInf;
  if (!off && !J) {
#pragma omp simd reduction(max : mx)
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = lpo + ilp[i] + L[i];
      mx = v > mx ? v : mx;
    }
  } else if (!off) {
#pragma omp simd reduction(max : mx)
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = lpo + ilp[i] + L[i];
      J[i] = v;
      mx = v > mx ? v : mx;
    }
  } else if (!J) {
#pragma omp simd reduction(max : mx)
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = lpo + ilp[i] + L[off[i]];
      mx = v > mx ? v : mx;
    }
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = lpo + ilp[i] + L[off[i]];
      J[off[i]] = v;
      mx = v > mx ? v : mx;
    }
  }
  return mx;
}

ACCORD_CLONES double leaf_exp_sum(const double* __restrict ilp, const double* __restrict L,
                                  const std::int64_t* __restrict off, std::int64_t n,
                                  double lpo, double M, double* __restrict ein) {
  double s = 0.0;
  if (!off) {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) {
      const double e = exp_det(lpo + ilp[i] + L[i] - M);
      ein[i] += e;
      s += e;
    }
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) {
      const double e = exp_det(lpo + ilp[i] + L[off[i]] - M);
      ein[i] += e;
      s += e;
    }
  }
  return s;
}

ACCORD_CLONES void exp_table(const double* __restrict x, std::int64_t n,
                             double* __restrict out) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) out[i] = exp_det(x[i]);
}

ACCORD_CLONES double weighted_sum(const double* __restrict P, const double* __restrict V,
                                  const std::int64_t* __restrict off, std::int64_t n) {
  double s = 0.0;
  if (!P) {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) s += V[i];
  } else if (!off) {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) s += P[i] * V[i];
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) s += P[i] * V[off[i]];
  }
  return s;
}

ACCORD_CLONES double weighted_gain(const double* __restrict P, const double* __restrict V,
                                   const std::int64_t* __restrict off, std::int64_t n,
                                   double share, double best, double second, bool is_best) {
  // gain = max(0, sign (ref - share v)) with (ref, sign) = (second, +1) for the best
  // action and (best, -1) otherwise (Eq. 12).
  const double ref = is_best ? second : best;
  const double sign = is_best ? 1.0 : -1.0;
  double s = 0.0;
  if (!P) {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = sign * (ref - share * V[i]);
      s += d > 0.0 ? d : 0.0;
    }
  } else if (!off) {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = sign * (ref - share * V[i]);
      s += P[i] * (d > 0.0 ? d : 0.0);
    }
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = sign * (ref - share * V[off[i]]);
      s += P[i] * (d > 0.0 ? d : 0.0);
    }
  }
  return s;
}

ACCORD_CLONES void column_lse(const double* __restrict ll, std::int64_t S, std::int64_t n,
                              double* __restrict mx, double* __restrict sum) {
  for (std::int64_t q = 0; q < n; ++q) {
    mx[q] = kNegInf;
    sum[q] = 0.0;
  }
  for (std::int64_t s = 0; s < S; ++s) {
    const double* __restrict row = ll + s * n;
#pragma omp simd
    for (std::int64_t q = 0; q < n; ++q) mx[q] = row[q] > mx[q] ? row[q] : mx[q];
  }
  for (std::int64_t s = 0; s < S; ++s) {
    const double* __restrict row = ll + s * n;
#pragma omp simd
    for (std::int64_t q = 0; q < n; ++q)
      sum[q] += exp_det(mx[q] > kNegInf ? row[q] - mx[q] : kNegInf);
  }
}

ACCORD_CLONES bool all_finite(const double* __restrict x, std::int64_t n) {
  // x - x is 0 for finite x and NaN for NaN or +-inf; a NaN survives the sum.
  constexpr std::int64_t kChunk = 4096;
  for (std::int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const std::int64_t i1 = i0 + kChunk < n ? i0 + kChunk : n;
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (std::int64_t i = i0; i < i1; ++i) acc += x[i] - x[i];
    if (acc != 0.0) return false;
  }
  return true;
}

ACCORD_CLONES void predict(const double* __restrict b, const double* __restrict T,
                           std::int64_t S, double* __restrict y) {
  // Columns in tiles of kTile accumulators that stay in registers over the s loop (one
  // load of T per multiply-add); y[t] still sums over s in order.
  constexpr std::int64_t kTile = 32;
  std::int64_t t0 = 0;
  for (; t0 + kTile <= S; t0 += kTile) {
    double acc[kTile] = {};
    for (std::int64_t s = 0; s < S; ++s) {
      const double w = b[s];
      if (w == 0.0) continue;
      const double* __restrict row = T + s * S + t0;
#pragma omp simd
      for (std::int64_t i = 0; i < kTile; ++i) acc[i] += w * row[i];
    }
    for (std::int64_t i = 0; i < kTile; ++i) y[t0 + i] = acc[i];
  }
  const std::int64_t len = S - t0;
  if (len == 0) return;
  for (std::int64_t i = 0; i < len; ++i) y[t0 + i] = 0.0;
  for (std::int64_t s = 0; s < S; ++s) {
    const double w = b[s];
    if (w == 0.0) continue;
    const double* __restrict row = T + s * S + t0;
#pragma omp simd
    for (std::int64_t i = 0; i < len; ++i) y[t0 + i] += w * row[i];
  }
}

}  // namespace accord::bayes::detail
