// The subset dynamic programme of accord::bayes::subset_sums, shared by the CPU kernel
// (csrc/bayes/subsets.cpp) and the GPU kernel (cuda/bayes/subsets.cu).
//
// When an outcome model depends on a coalition's types only through a sum of per-type
// points (the software company of Chalkiadakis & Boutilier (2012), Appendix A, Tables
// 8-9: total quality points; roles there are public), the belief-weighted sums of Eq. 2
// and Eqs. 11-13 run over the distribution of that sum instead of over the K^m joint
// type vectors.  Under product-of-marginals beliefs the distribution for a set S is the
// distribution for S without its highest member convolved with that member's points
// distribution, so a depth-first walk over the subsets yields all 2^n of them with one
// convolution each, keeping only the n + 1 distributions of the current path.
#pragma once
#include <cstdint>

#include "accord/common.hpp"

namespace accord::bayes {

// Most members a subset walk takes (2^24 subsets).
constexpr int kMaxSubsetMembers = 24;

// agg[j][v] = P(member j has v points) from probs (n, K) and points (K,); top[j] = the
// highest v of positive probability.
ACCORD_HD void subset_aggregate(const double* probs, int n, int K, const std::int64_t* points,
                                int P, double* agg, int* top) {
  for (int i = 0; i < n * P; ++i) agg[i] = 0.0;
  for (int j = 0; j < n; ++j) {
    top[j] = 0;
    for (int k = 0; k < K; ++k) {
      const double w = probs[j * K + k];
      if (w == 0.0) continue;
      const int v = static_cast<int>(points[k]);
      agg[j * P + v] += w;
      if (v > top[j]) top[j] = v;
    }
  }
}

// Stores subset `mask`'s distribution d (support 0..hi): into out (2^n, L), or, with
// values (2^n, A, L), its expectations into out (2^n, A).
ACCORD_HD void subset_emit(std::int64_t mask, const double* d, int hi, int L,
                           const double* values, std::int64_t A, double* out) {
  if (!values) {
    double* o = out + mask * L;
    for (int l = 0; l < L; ++l) o[l] = l <= hi ? d[l] : 0.0;
    return;
  }
  const double* v = values + mask * A * L;
  double* o = out + mask * A;
  for (std::int64_t a = 0; a < A; ++a) {
    double s = 0.0;
    for (int l = 0; l <= hi; ++l) s += d[l] * v[a * L + l];
    o[a] = s;
  }
}

// Every subset of the n members, depth first (members added in increasing order), each
// distribution the parent's convolved with the added member's; stack holds (n + 1) x L.
ACCORD_HD void subset_walk(const double* agg, const int* top, int n, int P, int L,
                           const double* values, std::int64_t A, double* out, double* stack) {
  int next[kMaxSubsetMembers + 1], added[kMaxSubsetMembers + 1], hi[kMaxSubsetMembers + 1];
  stack[0] = 1.0;
  hi[0] = 0;
  subset_emit(0, stack, 0, L, values, A, out);
  int depth = 0;
  std::int64_t mask = 0;
  next[0] = 0;
  while (true) {
    if (next[depth] >= n) {
      if (depth == 0) break;
      --depth;
      mask &= ~(std::int64_t{1} << added[depth]);
      continue;
    }
    const int j = next[depth]++;
    const double* d = stack + static_cast<std::int64_t>(depth) * L;
    double* c = stack + static_cast<std::int64_t>(depth + 1) * L;
    const double* p = agg + j * P;
    const int h = hi[depth] + top[j] < L - 1 ? hi[depth] + top[j] : L - 1;
    for (int l = 0; l <= h; ++l) c[l] = 0.0;
    for (int v = 0; v <= top[j]; ++v) {
      const double w = p[v];
      if (w == 0.0) continue;
      for (int l = 0; l <= hi[depth] && l + v <= h; ++l) c[l + v] += w * d[l];
    }
    const std::int64_t child = mask | (std::int64_t{1} << j);
    subset_emit(child, c, h, L, values, A, out);
    added[depth] = j;
    mask = child;
    ++depth;
    hi[depth] = h;
    next[depth] = j + 1;
  }
}

}  // namespace accord::bayes
