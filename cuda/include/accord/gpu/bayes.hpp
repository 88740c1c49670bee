// Host API of the CUDA Bayesian belief kernels (cuda/bayes/*.cu).
//
// Plain C++, included by the pybind11 module.  Every pointer is device memory of the
// current device, laid out as in accord/bayes.hpp (C order, float64; status and
// is_best uint8, samples int32).  Functions order their work on `stream`, wait for it,
// and throw std::runtime_error (CUDA failures) or std::invalid_argument (bad input).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace accord::gpu {

// accord::bayes::sample_types: one thread per (row, sample, member), same Philox draws.
void bayes_sample_types(const double* log_marginals, std::int64_t batch, int m, int K,
                        std::int64_t samples, std::uint64_t seed, std::int32_t* out,
                        cudaStream_t stream);

// accord::bayes::update_enumerated: one block per row (log_joint may be null).
void bayes_update_enumerated(const double* log_prior, const double* log_lik, std::int64_t batch,
                             int m, int K, double* log_post, double* log_joint,
                             unsigned char* status, cudaStream_t stream);

// accord::bayes::update_sampled: one thread per (row, member, type), then per member.
void bayes_update_sampled(const double* log_prior, const double* log_lik, std::int64_t batch, int m,
                          int K, std::int64_t samples, double* log_post, unsigned char* status,
                          cudaStream_t stream);

// accord::bayes::expected_values (log_marginals non-null, joint = K^m) or sample_means
// (log_marginals null, joint = S): one block per (row, action).
void bayes_expected_values(const double* log_marginals, const double* values, std::int64_t batch,
                           int m, int K, std::int64_t actions, std::int64_t joint, double* out,
                           cudaStream_t stream);

// accord::bayes::vpi (log_marginals null: sampled, joint = S): one block per (row, action).
void bayes_vpi(const double* log_marginals, const double* values, std::int64_t batch, int m, int K,
               std::int64_t actions, std::int64_t joint, const double* share, const double* best,
               const double* second, const unsigned char* is_best, double* out,
               cudaStream_t stream);

// accord::bayes::filter_step: one block per row.
void bayes_filter_step(const double* belief, const double* transition,
                       std::int64_t transition_stride, const double* observation_likelihood,
                       std::int64_t batch, std::int64_t states, double* out, unsigned char* status,
                       cudaStream_t stream);

// accord::bayes::subset_sums: one thread per view (max_points = max(points), given by the
// caller, whose points live on the device).
void bayes_subset_sums(const double* probs, std::int64_t views, int n, int K,
                       const std::int64_t* points, int max_points, int L, const double* values,
                       std::int64_t A, double* out, cudaStream_t stream);

}  // namespace accord::gpu
