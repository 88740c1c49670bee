// Enumeration of one row's joint type vectors of positive prior probability, shared by
// the enumerated kernels of csrc/bayes/.
//
// The members split into outer members 0..mo-1 and inner members mo..m-1.  The inner
// members' joint vectors of positive prior are tabulated once per row (offset within a
// block of K^(m-mo) consecutive joint indices, log prior, digits), at most kInnerTarget
// of them unless a single member has more types.  The outer members are enumerated by a
// mixed-radix counter over their supports (types of finite log-probability only), with
// the log prior of the prefix kept incrementally, so vectors of zero prior cost nothing
// and every joint vector is visited as (outer block, inner entry) in ascending index
// order.  Inner loops then run over a contiguous table, contiguous in the values too
// when the inner members have no impossible types.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace accord::bayes::detail {

constexpr std::int64_t kInnerTarget = 2048;

// Threads for `rows` rows of `work` operations each: one per ~64k operations (the
// parallel region costs a few microseconds), at most one per row.
inline int threads_for(std::int64_t rows, std::int64_t work) {
  if (rows <= 1) return 1;
  const std::int64_t total = rows * std::max<std::int64_t>(work, 1);
  const std::int64_t want = std::max<std::int64_t>(1, total >> 16);
  return static_cast<int>(std::min<std::int64_t>({want, rows, omp_get_max_threads()}));
}

class JointPlan {
 public:
  JointPlan(int m, int K) : m_(m), K_(K), stride_(m), start_(m + 1), count_(m), pos_(m),
                            base_(m + 1), pre_(m + 1), digits_(m) {
    std::int64_t s = 1;
    for (int j = m - 1; j >= 0; --j) {
      stride_[j] = s;
      s *= K;
    }
    block_ = 1;
    supp_.reserve(static_cast<std::size_t>(m) * (K + 1));
    next_.reserve(static_cast<std::size_t>(m) * (K + 1));
  }

  // Plans row `lp` (m x K log-probabilities; every member has a type of finite
  // log-probability).  The structure (supports, inner offsets and digits) is rebuilt
  // only when the supports differ from the previous row's; the inner log-priors are
  // recomputed for every row, one add per entry.
  void build(const double* lp) {
    lp_ = lp;
    next_.clear();
    for (int j = 0; j < m_; ++j) {
      start_[j] = static_cast<std::int64_t>(next_.size());
      for (int k = 0; k < K_; ++k)
        if (lp[j * K_ + k] > -INFINITY) next_.push_back(k);
      count_[j] = static_cast<std::int64_t>(next_.size()) - start_[j];
      next_.push_back(-1);  // separator: the list determines every member's support
    }
    start_[m_] = static_cast<std::int64_t>(next_.size());
    if (!built_ || next_ != supp_) {
      supp_.swap(next_);
      structure();
      built_ = true;
    }
    // Inner log-priors, expanded member by member (member mo slowest), summed left to right.
    ilp_[0] = 0.0;
    std::int64_t cur = 1;
    for (int j = mo_; j < m_; ++j) {
      const std::int64_t c = count_[j];
      const int* sj = supp_.data() + start_[j];
      const double* lj = lp + j * K_;
      for (std::int64_t e = cur - 1; e >= 0; --e) {  // in place, from the back
        const double base = ilp_[e];
        for (std::int64_t q = c - 1; q >= 0; --q) ilp_[e * c + q] = base + lj[sj[q]];
      }
      cur *= c;
    }
  }

  int m() const { return m_; }
  int K() const { return K_; }
  int outer() const { return mo_; }
  int inner() const { return m_ - mo_; }
  std::int64_t size() const { return n_in_; }           // inner entries
  std::int64_t block() const { return block_; }         // joint indices per outer block
  bool contiguous() const { return contiguous_; }       // offset(i) == i
  const std::int64_t* offsets() const { return off_.data(); }
  const double* inner_log_prior() const { return ilp_.data(); }
  const int* inner_digits() const { return dig_.data(); }  // size() x inner()
  // Member j's types of finite log-probability, ascending, and their number.
  const int* support(int j) const { return supp_.data() + start_[j]; }
  std::int64_t count(int j) const { return count_[j]; }

  // Calls f(base, log prior of the prefix, outer digits) for every outer prefix of
  // positive prior, in ascending order of base (the joint index of its block).
  template <class F>
  void for_each_outer(F&& f) {
    if (mo_ == 0) {
      f(std::int64_t{0}, 0.0, digits_.data());
      return;
    }
    int j = 0;
    pos_[0] = 0;
    base_[0] = 0;
    pre_[0] = 0.0;
    for (;;) {
      if (pos_[j] == count_[j]) {
        if (j == 0) return;
        ++pos_[--j];
        continue;
      }
      const int k = supp_[start_[j] + pos_[j]];
      digits_[j] = k;
      base_[j + 1] = base_[j] + k * stride_[j];
      pre_[j + 1] = pre_[j] + lp_[j * K_ + k];
      if (j + 1 == mo_) {
        f(base_[mo_], pre_[mo_], static_cast<const int*>(digits_.data()));
        ++pos_[j];
      } else {
        pos_[++j] = 0;
      }
    }
  }

 private:
  // Outer/inner split, block size, inner offsets and digits of the current supports.
  void structure() {
    mo_ = m_;
    std::int64_t n = 1;
    while (mo_ > 0 && n * count_[mo_ - 1] <= kInnerTarget) n *= count_[--mo_];
    if (mo_ == m_ && m_ > 0) --mo_;
    block_ = mo_ > 0 ? stride_[mo_ - 1] : (m_ > 0 ? stride_[0] * K_ : 1);
    const int r = m_ - mo_;
    n_in_ = 1;
    for (int j = mo_; j < m_; ++j) n_in_ *= count_[j];
    off_.assign(static_cast<std::size_t>(n_in_), 0);
    dig_.assign(static_cast<std::size_t>(n_in_) * r, 0);
    ilp_.assign(static_cast<std::size_t>(std::max<std::int64_t>(n_in_, 1)), 0.0);
    // Entry i's digits: mixed radix over the inner supports, member mo slowest.
    for (std::int64_t i = 0; i < n_in_; ++i) {
      std::int64_t rem = i, o = 0;
      for (int q = r - 1; q >= 0; --q) {
        const int j = mo_ + q;
        const int k = supp_[start_[j] + rem % count_[j]];
        rem /= count_[j];
        dig_[i * r + q] = k;
        o += k * stride_[j];
      }
      off_[i] = o;
    }
    contiguous_ = n_in_ == block_;
  }

  int m_, K_, mo_ = 0;
  bool built_ = false;
  std::vector<int> next_;
  const double* lp_ = nullptr;
  std::vector<std::int64_t> stride_, start_, count_, pos_, base_;
  std::vector<double> pre_;
  std::vector<int> digits_, supp_;
  std::int64_t block_ = 1, n_in_ = 1;
  bool contiguous_ = true;
  std::vector<std::int64_t> off_;
  std::vector<double> ilp_;
  std::vector<int> dig_;
};

}  // namespace accord::bayes::detail
