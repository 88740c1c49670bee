// Host API of the CUDA normal-form game kernels (cuda/games/*.cu).
//
// Plain C++, included by the pybind11 module.  Every pointer is device memory of
// the current device; functions order their work on `stream`, wait for it, and
// throw std::runtime_error (CUDA failures) or std::invalid_argument (bad input).
// Layouts are those of accord/games.hpp: a batch of G games is G blocks of n
// C-ordered payoff tensors, a profile one row of sum(k) probabilities per game.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

namespace accord::gpu {

// Best responses (games/best_response.cu): the lowest index within tol * max(1, |best|)
// of the best, their payoffs, the payoffs of the profile itself, and optionally
// (u != null) every action's expected payoff.  T = double or float (itemsize 8 or 4).
void best_response(const void* payoffs, const void* profile, std::int64_t games,
                   const std::vector<std::int64_t>& k, int itemsize, double tol,
                   std::int64_t* actions, void* best, void* current, void* u, cudaStream_t stream);

// Two-player fictitious play (games/fictitious_play.cu), as
// accord::games::fictitious_play: one warp per game, cumulative payoffs in shared
// memory, both payoff matrices staged in shared memory when they fit.
void fictitious_play(const double* payoffs, std::int64_t games, std::int64_t m, std::int64_t n,
                     std::int64_t iterations, int mode, const std::int64_t* initial,
                     std::int64_t record_every, double* profile, double* history,
                     cudaStream_t stream);

}  // namespace accord::gpu
