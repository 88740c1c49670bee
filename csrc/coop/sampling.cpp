// Monte Carlo Shapley estimators on the CPU.  Every sample is drawn from its own
// Philox stream (accord/philox.hpp), so results depend only on the seed and the
// sample range, never on the thread count or on the backend.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "accord/coop.hpp"
#include "accord/interrupt.hpp"
#include "accord/philox.hpp"

namespace accord::coop {
namespace {

// Per-thread accumulators, summed in thread order at the end.
struct Accumulators {
  int width;
  std::vector<double> sum, sumsq;
  Accumulators(int threads, int width_)
      : width(width_),
        sum(static_cast<std::size_t>(threads) * width_, 0.0),
        sumsq(static_cast<std::size_t>(threads) * width_, 0.0) {}
  double* s(int t) { return &sum[static_cast<std::size_t>(t) * width]; }
  double* q(int t) { return &sumsq[static_cast<std::size_t>(t) * width]; }
  void reduce_into(SampleStats out, int threads) {
    for (int t = 0; t < threads; ++t)
      for (int i = 0; i < width; ++i) {
        out.sum[i] += s(t)[i];
        out.sumsq[i] += q(t)[i];
      }
  }
};

int thread_count(std::int64_t work) {
  return static_cast<int>(std::max<std::int64_t>(
      1, std::min<std::int64_t>(omp_get_max_threads(), work)));
}

// Marginal contributions of the permutation drawn from `rng` into m[player]; perm
// is complete on return.  The shuffle runs first and the prefix masks' table loads
// after it, independent of each other, so they overlap in the memory system.
inline void walk_dense(const double* v, int n, PhiloxStream& rng, std::int32_t* perm,
                       std::uint64_t* masks, double* m) {
  for (int i = 0; i < n; ++i) perm[i] = i;
  for (int i = 0; i + 1 < n; ++i) fisher_yates_step(rng, perm, n, i);
  std::uint64_t mask = 0;
  for (int i = 0; i < n; ++i) {
    mask |= std::uint64_t{1} << perm[i];
    masks[i] = mask;
  }
  double prev = v[0];
  for (int i = 0; i < n; ++i) {
    const double cur = v[masks[i]];
    m[perm[i]] = cur - prev;
    prev = cur;
  }
}

}  // namespace

void permutations(int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
                  std::int32_t* out) {
  Cancel cancel;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < count; ++r) {
    if (cancel.poll_every(r, 1024)) continue;
    draw_permutation(seed, static_cast<std::uint64_t>(first + r), n, out + r * n);
  }
  cancel.check();
}

void permutation_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t first,
                              std::int64_t count, bool antithetic, const double* shift,
                              SampleStats out) {
  const int threads = thread_count(count);
  Accumulators acc(threads, n);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    double* s = acc.s(t);
    double* q = acc.q(t);
    std::vector<std::int32_t> perm(n);
    std::vector<double> m(n), mr(n);
    std::vector<std::uint64_t> masks(n);
    const Share share = static_share(count, t, threads);
    for (std::int64_t r = first + share.begin; r < first + share.end; ++r) {
      if (cancel.poll_every(r, 256)) break;
      PhiloxStream rng(seed, static_cast<std::uint64_t>(r), kTagPermutation);
      walk_dense(v, n, rng, perm.data(), masks.data(), m.data());
      if (antithetic) {  // the reversed permutation: prefixes are the complements
        std::uint64_t mask = 0;
        double prev = v[0];
        for (int i = n - 1; i >= 0; --i) {
          const int p = perm[i];
          mask |= std::uint64_t{1} << p;
          const double cur = v[mask];
          mr[p] = cur - prev;
          prev = cur;
        }
        for (int i = 0; i < n; ++i) m[i] = 0.5 * (m[i] + mr[i]);
      }
      for (int i = 0; i < n; ++i) {
        const double d = m[i] - shift[i];
        s[i] += d;
        q[i] += d * d;
      }
    }
  }
  cancel.check();
  acc.reduce_into(out, threads);
}

void permutation_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                               std::int64_t first, std::int64_t count, bool antithetic,
                               SampleStats out) {
  const int threads = thread_count(count);
  Accumulators acc(threads, n);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    double* s = acc.s(t);
    double* q = acc.q(t);
    std::vector<std::int32_t> perm(n);
    const Share share = static_share(count, t, threads);
    for (std::int64_t r = first + share.begin; r < first + share.end; ++r) {
      if (cancel.poll_every(r, 256)) break;
      PhiloxStream rng(seed, static_cast<std::uint64_t>(r), kTagPermutation);
      for (int i = 0; i < n; ++i) perm[i] = i;
      // A simple game: exactly one player (the pivot) contributes 1, the first whose
      // arrival lifts the coalition's weight to the quota.
      int pivot = -1;
      double weight = 0.0;
      for (int i = 0; i < n; ++i) {
        if (i + 1 < n) fisher_yates_step(rng, perm.data(), n, i);
        const int p = perm[i];
        if (weight + w[p] >= quota) {
          pivot = p;
          if (!antithetic) break;  // later positions contribute 0; no need to draw them
          for (int k = i + 1; k + 1 < n; ++k) fisher_yates_step(rng, perm.data(), n, k);
          break;
        }
        weight += w[p];
      }
      if (!antithetic) {
        if (pivot >= 0) {
          s[pivot] += 1.0;
          q[pivot] += 1.0;
        }
        continue;
      }
      int rpivot = -1;
      weight = 0.0;
      for (int i = n - 1; i >= 0; --i) {
        const int p = perm[i];
        if (weight + w[p] >= quota) {
          rpivot = p;
          break;
        }
        weight += w[p];
      }
      if (pivot >= 0 && pivot == rpivot) {
        s[pivot] += 1.0;
        q[pivot] += 1.0;
      } else {
        for (int p : {pivot, rpivot})
          if (p >= 0) {
            s[p] += 0.5;
            q[p] += 0.25;
          }
      }
    }
  }
  cancel.check();
  acc.reduce_into(out, threads);
}

void stratified_sample_dense(const double* v, int n, std::uint64_t seed,
                             std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                             const double* shift, SampleStats out) {
  const int others = n - 1;
  const std::int64_t strata = static_cast<std::int64_t>(n) * n;
  const int threads = thread_count(strata);
  Cancel cancel;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t st = 0; st < strata; ++st) {
    if (cancel.stopped()) continue;
    const int i = static_cast<int>(st / n), k = static_cast<int>(st % n);
    const std::uint64_t bit = std::uint64_t{1} << i;
    const std::uint64_t all_others = ((std::uint64_t{1} << n) - 1) ^ bit;
    const bool complement = 2 * k > others;
    double s = 0.0, q = 0.0;
    for (std::int64_t r = first; r < first + count; ++r) {
      if (cancel.poll_every(r, 1024)) break;
      PhiloxStream rng(seed, stratum_stream(n, i, k, per_stratum, r), kTagSubset);
      std::uint64_t chosen = 0;
      floyd_subset(rng, others, complement ? others - k : k, &chosen, [](int) {});
      // Map positions among the others back to players (skip player i).
      const std::uint64_t below = chosen & (bit - 1);
      std::uint64_t mask = below | ((chosen ^ below) << 1);
      if (complement) mask ^= all_others;
      const double d = v[mask | bit] - v[mask] - shift[i];
      s += d;
      q += d * d;
    }
    out.sum[st] += s;
    out.sumsq[st] += q;
  }
  cancel.check();
}

void stratified_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                              std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                              SampleStats out) {
  const int others = n - 1;
  const std::int64_t strata = static_cast<std::int64_t>(n) * n;
  double total = 0.0;
  for (int i = 0; i < n; ++i) total += w[i];
  const int words = (others + 63) / 64 + 1;
  const int threads = thread_count(strata);
  Cancel cancel;
#pragma omp parallel num_threads(threads)
  {
    std::vector<std::uint64_t> bits(words);
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t st = 0; st < strata; ++st) {
      if (cancel.stopped()) continue;
      const int i = static_cast<int>(st / n), k = static_cast<int>(st % n);
      const bool complement = 2 * k > others;
      const double rest = total - w[i];
      double s = 0.0;
      for (std::int64_t r = first; r < first + count; ++r) {
        if (cancel.poll_every(r, 256)) break;
        PhiloxStream rng(seed, stratum_stream(n, i, k, per_stratum, r), kTagSubset);
        std::fill(bits.begin(), bits.end(), 0);
        double weight = 0.0;
        floyd_subset(rng, others, complement ? others - k : k, bits.data(),
                     [&](int j) { weight += w[j < i ? j : j + 1]; });
        if (complement) weight = rest - weight;
        if (weight < quota && weight + w[i] >= quota) s += 1.0;
      }
      out.sum[st] += s;
      out.sumsq[st] += s;
    }
  }
  cancel.check();
}

void stratum_subsets(int n, std::uint64_t seed, std::int64_t per_stratum, int player, int size,
                     std::int64_t first, std::int64_t count, std::uint8_t* out) {
  const int others = n - 1;
  const bool complement = 2 * size > others;
  const int words = (others + 63) / 64 + 1;
  Cancel cancel;
#pragma omp parallel
  {
    std::vector<std::uint64_t> bits(words);
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < count; ++r) {
      if (cancel.poll_every(r, 1024)) continue;
      std::uint8_t* row = out + r * n;
      PhiloxStream rng(seed, stratum_stream(n, player, size, per_stratum, first + r),
                       kTagSubset);
      std::fill(bits.begin(), bits.end(), 0);
      const std::uint8_t inside = complement ? 0 : 1;
      for (int j = 0; j < n; ++j) row[j] = (j == player) ? 0 : 1 - inside;
      floyd_subset(rng, others, complement ? others - size : size, bits.data(),
                   [&](int j) { row[j < player ? j : j + 1] = inside; });
    }
  }
  cancel.check();
}

}  // namespace accord::coop
