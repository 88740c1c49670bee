// Inner loops of the belief kernels (csrc/bayes/blocks.cpp), compiled for several
// instruction sets (x86-64 baseline, AVX2+FMA, AVX-512) and picked at load time on
// GCC/Linux x86-64, so the branch-free exp_det of accord/bayes.hpp runs 4-8 doubles
// wide where the CPU allows.  Only float rounding depends on the choice.
//
// `off` is null for contiguous data (entry i at i) or lists the offsets of the entries.
#pragma once
#include <cstdint>

namespace accord::bayes::detail {

// max_i (lpo + ilp[i] + L[off_i]); writes those values to J[off_i] when J is not null.
double leaf_max(const double* ilp, const double* L, const std::int64_t* off, std::int64_t n,
                double lpo, double* J);

// sum_i e_i with e_i = exp(lpo + ilp[i] + L[off_i] - M); ein[i] += e_i.
double leaf_exp_sum(const double* ilp, const double* L, const std::int64_t* off,
                    std::int64_t n, double lpo, double M, double* ein);

// out[i] = exp(x[i]).
void exp_table(const double* x, std::int64_t n, double* out);

// sum_i P[i] V[off_i]; P null: sum_i V[i] (off must be null then).
double weighted_sum(const double* P, const double* V, const std::int64_t* off, std::int64_t n);

// sum_i P[i] vpi_gain(share V[off_i], best, second, is_best); P null: unweighted.
double weighted_gain(const double* P, const double* V, const std::int64_t* off, std::int64_t n,
                     double share, double best, double second, bool is_best);

// Column log-sum-exp parts of an S x n row-major block: mx[q] = max_s ll[s][q] and
// sum[q] = sum_s exp(ll[s][q] - mx[q]) (0 where mx[q] = -inf).
void column_lse(const double* ll, std::int64_t S, std::int64_t n, double* mx, double* sum);

// True when x[0..n) holds no NaN and no +-inf.
bool all_finite(const double* x, std::int64_t n);

// y = b T for one row: y[t] = sum_s b[s] T[s][t] over the s with b[s] != 0 (S x S, T
// row-major), accumulated in s order.
void predict(const double* b, const double* T, std::int64_t S, double* y);

}  // namespace accord::bayes::detail
