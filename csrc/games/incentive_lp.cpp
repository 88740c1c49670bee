// The constraint matrix of the (coarse) correlated equilibrium LP (accord/correlated.hpp):
// the incentive rows that can bind, the optional egalitarian rows, and sum p = 1.
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "accord/correlated.hpp"

namespace accord::games {

namespace {
constexpr std::int64_t kMaxOffset = std::numeric_limits<std::int32_t>::max();
}  // namespace

IncentiveLp::IncentiveLp(const double* payoffs, int n, const std::int64_t* actions, bool coarse,
                         bool egalitarian)
    : payoffs_(payoffs),
      n_(n),
      actions_(actions, actions + (n > 0 ? n : 0)),
      coarse_(coarse),
      egalitarian_(egalitarian) {
  const std::int64_t rows = incentive_rows(n, actions, coarse);  // checks the actions
  for (int i = 0; i < n; ++i) N_ *= actions[i];
  if (N_ >= kMaxOffset)
    throw std::invalid_argument("the game has more joint actions than int32 columns");
  std::vector<std::int64_t> row_nnz(static_cast<std::size_t>(rows));
  std::vector<unsigned char> positive(static_cast<std::size_t>(rows));
  incentive_row_stats(payoffs, n, actions, coarse, row_nnz.data(), positive.data());
  for (std::int64_t r = 0; r < rows; ++r)
    if (positive[r]) {
      kept_.push_back(r);
      kept_nnz_.push_back(row_nnz[r]);
      nnz_ += row_nnz[r];
    }
  nnz_ += (egalitarian ? n * (N_ + 1) : 0) + N_;
  if (nnz_ > kMaxOffset)
    throw std::invalid_argument("the LP has more non-zeros than int32 offsets");
}

void IncentiveLp::fill(std::int32_t* indptr, std::int32_t* indices, double* data,
                       std::int64_t* kept_rows) const {
  const std::int64_t m = kept();
  indptr[0] = 0;
  for (std::int64_t j = 0; j < m; ++j) {
    kept_rows[j] = kept_[j];
    indptr[j + 1] = static_cast<std::int32_t>(indptr[j] + kept_nnz_[j]);
  }
  incentive_fill_rows(payoffs_, n_, actions_.data(), coarse_, m, kept_rows, indptr, indices, data);
  std::int64_t pos = indptr[m], row = m;
  if (egalitarian_) {  // z - U_i . p <= 0: every column, explicit zeros included
    for (int i = 0; i < n_; ++i) {
      const double* ui = payoffs_ + i * N_;
      for (std::int64_t a = 0; a < N_; ++a, ++pos) {
        indices[pos] = static_cast<std::int32_t>(a);
        data[pos] = -ui[a];
      }
      indices[pos] = static_cast<std::int32_t>(N_);
      data[pos++] = 1.0;
      indptr[++row] = static_cast<std::int32_t>(pos);
    }
  }
  for (std::int64_t a = 0; a < N_; ++a, ++pos) {  // sum p = 1
    indices[pos] = static_cast<std::int32_t>(a);
    data[pos] = 1.0;
  }
  indptr[++row] = static_cast<std::int32_t>(pos);
}

}  // namespace accord::games
