// Input checks of python/accord/bayes that would otherwise take several NumPy passes.
#include <cmath>
#include <stdexcept>
#include <string>

#include "accord/bayes.hpp"

namespace accord::bayes {

MarginalCheck check_log_marginals(const double* log_marginals, std::int64_t batch, int m, int K,
                                  double tol) {
  for (std::int64_t b = 0; b < batch; ++b)
    for (int j = 0; j < m; ++j) {
      const double* l = log_marginals + (b * m + j) * static_cast<std::int64_t>(K);
      double mx = -INFINITY;
      for (int k = 0; k < K; ++k) {
        if (std::isnan(l[k]) || l[k] == INFINITY) return {1, b, j, k, l[k]};
        mx = l[k] > mx ? l[k] : mx;
      }
      if (!(mx > -INFINITY)) return {2, b, j, 0, mx};
      double s = 0.0;
      for (int k = 0; k < K; ++k) s += std::exp(l[k] - mx);
      const double lse = mx + std::log(s);
      if (!(std::abs(lse) <= tol)) return {3, b, j, 0, lse};
    }
  return {0, 0, 0, 0, 0.0};
}

ProbabilityCheck check_probability_rows(const double* p, std::int64_t rows, std::int64_t cols,
                                        double tol) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* x = p + r * cols;
    double s = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) {
      if (!std::isfinite(x[c])) return {1, r, c, x[c]};
      if (x[c] < 0.0) return {2, r, c, x[c]};
      s += x[c];
    }
    if (tol >= 0.0 && !(std::abs(s - 1.0) <= tol)) return {3, r, 0, s};
  }
  return {0, 0, 0, 0.0};
}

std::int64_t first_invalid_sample(const double* log_marginals, const std::int32_t* samples,
                                  std::int64_t batch, int m, int K, std::int64_t count) {
  const std::int64_t mk = static_cast<std::int64_t>(m) * K;
  for (std::int64_t b = 0; b < batch; ++b) {
    const double* lp = log_marginals + b * mk;
    const std::int32_t* s = samples + b * count * m;
    for (std::int64_t q = 0; q < count; ++q)
      for (int j = 0; j < m; ++j) {
        const std::int32_t k = s[q * m + j];
        if (k < 0 || k >= K || !(lp[j * K + k] > -INFINITY)) return (b * count + q) * m + j;
      }
  }
  return -1;
}

void check_values_finite(const double* values, const unsigned char* status, std::int64_t batch,
                         std::int64_t actions, std::int64_t count) {
  const std::int64_t per_row = actions * count;
  for (std::int64_t b = 0; b < batch; ++b) {
    if (status[b] == kOk) continue;
    for (std::int64_t i = 0; i < per_row; ++i) {
      const double x = values[b * per_row + i];
      if (std::isfinite(x)) continue;
      const std::string what = std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
      throw std::invalid_argument("values[" + std::to_string(b) + ", " +
                                  std::to_string(i / count) + ", " + std::to_string(i % count) +
                                  "] is " + what + "; values must be finite");
    }
  }
}

}  // namespace accord::bayes
