// Cooperative (TU) game kernels on dense tables indexed by coalition bitmask.
// Pure functions over raw buffers; see python/accord/coop for the public API.
#pragma once
#include <cstdint>

namespace accord::coop {

// Semivalue sums in one pass over v (length 2**n):
//   A[i] = sum_{S contains i} c[|S|] v[S],   T = sum_S b[|S|] v[S].
// A semivalue with weights p(s) is phi_i = A[i] - T for c(s) = p(s-1) + p(s) and
// b(s) = p(s) (Shapley: p(s) = s!(n-s-1)!/n!; Banzhaf: p(s) = 2**(1-n)).
void semivalue_sums(const double* v, int n, const double* c, const double* b, double* A,
                    double* T);

// Largest excess e(S) = v[S] - x(S) over all non-empty coalitions S, with the
// lowest mask attaining it.  x(S) is built from per-block subset sums.
struct Excess {
  double value;
  std::uint64_t mask;
};
Excess max_excess(const double* v, int n, const double* x);

// Running per-player statistics of marginal contributions, shifted by `shift`
// (sum of d and of d*d for d = m - shift) to keep the variance accurate.
struct SampleStats {
  double* sum;    // length n (or n*n for stratified: [player][size])
  double* sumsq;  // same length
};

// Permutation sampling (Castro, Gomez & Tejada 2009) on a dense table: permutations
// with stream ids [first, first + count).  With antithetic=true, each stream id
// gives a pair (pi, reverse(pi)) and the statistics are of the pair means.
void permutation_sample_dense(const double* v, int n, std::uint64_t seed, std::int64_t first,
                              std::int64_t count, bool antithetic, const double* shift,
                              SampleStats out);

// The same for a weighted voting game [quota; w_1..w_n] (any real weights).
void permutation_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                               std::int64_t first, std::int64_t count, bool antithetic,
                               SampleStats out);

// Position-stratified sampling (Maleki et al. 2013): for every player i and size k,
// samples r in [first, first+count) of a uniform k-subset S of the other players;
// the statistics of v(S+i) - v(S) go to index i*n + k.
void stratified_sample_dense(const double* v, int n, std::uint64_t seed,
                             std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                             const double* shift, SampleStats out);
void stratified_sample_voting(const double* w, int n, double quota, std::uint64_t seed,
                              std::int64_t per_stratum, std::int64_t first, std::int64_t count,
                              SampleStats out);

// Coalitions (as 0/1 rows of length n) drawn by the stratified samplers for
// stratum (player, size), samples [first, first+count): the generic-game path.
void stratum_subsets(int n, std::uint64_t seed, std::int64_t per_stratum, int player, int size,
                     std::int64_t first, std::int64_t count, std::uint8_t* out);

// Write permutations with stream ids [first, first+count) as rows of `out` (count x n).
void permutations(int n, std::uint64_t seed, std::int64_t first, std::int64_t count,
                  std::int32_t* out);

// Weighted voting games with integer weights, by dynamic programming over weights
// (generating functions; Brams & Affuso 1976, Matsui & Matsui 2000).
// Shapley-Shubik index and raw Banzhaf index of every player.
void voting_shapley(const std::int64_t* w, int n, std::int64_t quota, double* phi);
void voting_banzhaf(const std::int64_t* w, int n, std::int64_t quota, double* beta);

}  // namespace accord::coop
