// V^0 of Chalkiadakis & Boutilier (2012), Eq. 9, for a batch of belief views (see
// accord/coalition.hpp): one OpenMP iteration per view, proposers in order, each
// proposer's candidates in increasing mask order and actions in order (the first best
// wins ties).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "accord/coalition.hpp"
#include "accord/interrupt.hpp"
#include "accord/subset_sums.hpp"

namespace accord::coalition {

namespace {

// Per-thread buffers of view_payoff.
struct Scratch {
  std::vector<double> pbar, cur_self, sums;
  std::vector<std::int64_t> cand;
  explicit Scratch(const OneStep& a)
      : pbar(a.n), cur_self(a.n), sums(a.restricted ? 0 : std::size_t{1} << a.n) {}
};

// The agent's coalition values in a view, row by row (`row(s)`: the A values of s).
struct Dense {
  const double* p;
  std::int64_t A;
  const double* row(std::int64_t s) const { return p + s * A; }
};

// V^0 of agent a.agent in the view whose coalition values are `own` (its rows), the round
// starting from agreement d.
template <class Own>
double view_payoff(const OneStep& a, Own& own, std::int64_t d, Scratch& w) {
  std::vector<double>& pbar = w.pbar;
  std::vector<double>& cur_self = w.cur_self;
  std::vector<std::int64_t>& cand = w.cand;
  const int n = a.n, i = a.agent;
  const std::int64_t A = a.actions;
  // agent k's values of coalition s: the view's for i (and everyone, convergent)
  auto at = [&](int k, std::int64_t s) -> const double* {
    return (k == i || !a.others) ? own.row(s) : a.others + s * A;
  };
  const std::int64_t* C = a.coalition + d * n;
  const std::int64_t* ACT = a.action + d * n;
  const double* R = a.share + d * n;
  for (int k = 0; k < n; ++k) cur_self[k] = R[k] * at(k, C[k])[ACT[k]];
  const double cur_own = R[i] * own.row(C[i])[ACT[i]];
  const std::int64_t mine = C[i];
  const double inf = std::numeric_limits<double>::infinity();
  double total = 0.0;
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < n; ++k) pbar[k] = R[k] * at(j, C[k])[ACT[k]];
    const double pj = pbar[j];
    double best = -inf;
    std::int64_t bm = -1, ba = 0;
    const std::int64_t jbit = std::int64_t{1} << j;
    // what j offers the partners of s: their pbar, summed in increasing member order
    auto offered_to = [&](std::int64_t s) {
      double off = 0.0;
      for (int k = 0; k < n; ++k)
        if (k != j && ((s >> k) & 1)) off += pbar[k];
      return off;
    };
    // the best (s, b) over j's candidates s in increasing order (the first best wins)
    auto consider = [&](std::int64_t s, double offered) {
      const double* row = at(j, s);
      for (std::int64_t b = 0; b < A; ++b) {
        const double gain = (s == C[j] && b == ACT[j]) ? -inf : (row[b] - offered) - pj;
        if (gain > best) {
          best = gain;
          bm = s;
          ba = b;
        }
      }
    };
    if (!a.restricted) {  // every coalition: the partners' sums by a subset recursion
      const std::int64_t M = std::int64_t{1} << n;
      double* sums = w.sums.data();
      sums[0] = 0.0;  // in increasing member order, as offered_to
      for (std::int64_t s = 1; s < M; ++s) {
        const int h = 63 - __builtin_clzll(static_cast<unsigned long long>(s));
        sums[s] = sums[s ^ (std::int64_t{1} << h)] + pbar[h];
      }
      const std::int64_t half = M >> 1;
      for (std::int64_t c = 0; c < half; ++c) {  // the c-th coalition containing j
        const std::int64_t s = ((c >> j) << (j + 1)) | jbit | (c & (jbit - 1));
        consider(s, sums[s & ~jbit]);
      }
    } else {
      proposer_candidates(n, j, C, true, cand);
      for (const std::int64_t s : cand) consider(s, offered_to(s));
    }
    const double bv = bm >= 0 ? at(j, bm)[ba] : 0.0;
    const double bres = bm >= 0 ? bv - offered_to(bm) : 0.0;
    double u = cur_own;
    if (bm >= 0 && best > a.tol) {
      const double safe = bv > 0.0 ? bv : 1.0;
      bool formed = true;
      for (int k = 0; k < n && formed; ++k) {
        if (k == j || !((bm >> k) & 1)) continue;
        formed = pbar[k] / safe * at(k, bm)[ba] >= cur_self[k] - a.tol;
      }
      if (formed) {
        if ((bm >> i) & 1) {
          u = (i == j ? bres : pbar[i]) / safe * own.row(bm)[ba];
        } else if (bm & mine) {
          const std::int64_t rest = mine & ~bm;
          double denom = 0.0;
          for (int k = 0; k < n; ++k)
            if ((rest >> k) & 1) denom += R[k];
          const double sh = R[i] / (denom > 0.0 ? denom : 1.0);
          double top = -std::numeric_limits<double>::infinity();
          const double* rr = own.row(rest);
          for (std::int64_t b = 0; b < A; ++b) top = std::max(top, rr[b]);
          u = sh * top;
        }
      }
    }
    total += u;
  }
  return total / n;
}

// The rows of a view in which the members of `known` have revealed types (point-mass
// beliefs): coalition S' is worth sum_l dist(S' \ known, l) values(S', beta, l + shift),
// shift the revealed members' points in S'.  Rows are computed when the round reads
// them and memoised per (S', shift) for one mask's vectors.
class RevealedRows {
 public:
  explicit RevealedRows(const Revealed& r)
      : r_(r),
        A_(r.step.actions),
        L_(r.width),
        M_(std::int64_t{1} << r.step.n),
        memo_(M_ * L_ * A_),
        done_(M_ * L_),
        row_(M_),
        stamp_(M_, 0) {}

  // a new mask: its other members `known` are revealed in each of its vectors
  void mask(std::int64_t known) {
    known_ = known;
    unknown_.clear();
    for (int j = 0; j < r_.step.n; ++j)
      if ((known >> j) & 1) unknown_.push_back(j);
    std::fill(done_.begin(), done_.end(), std::uint8_t{0});
  }

  // a new vector: local types of the revealed members, in increasing agent order
  void start(const std::int64_t* vec) {
    vec_ = vec;
    ++gen_;
    if (!r_.step.restricted)  // the round reads every row: all at once
      for (std::int64_t s = 1; s < M_; ++s) row(s);
  }

  const double* row(std::int64_t s) {
    if (stamp_[s] == gen_) return row_[s];
    std::int64_t sh = 0;
    for (std::size_t u = 0; u < unknown_.size(); ++u)
      if ((s >> unknown_[u]) & 1) sh += r_.points[unknown_[u] * r_.k_max + vec_[u]];
    double* g = memo_.data() + (s * L_ + sh) * A_;
    if (!done_[s * L_ + sh]) {
      const double* p = r_.dist + (s & ~known_) * L_;
      for (std::int64_t b = 0; b < A_; ++b) {
        const double* v = r_.values + (s * A_ + b) * L_;
        double e = 0.0;
        for (std::int64_t l = 0; l + sh < L_; ++l) e += p[l] * v[l + sh];
        g[b] = e;
      }
      done_[s * L_ + sh] = 1;
    }
    row_[s] = g;
    stamp_[s] = gen_;
    return g;
  }

 private:
  const Revealed& r_;
  std::int64_t A_, L_, M_;
  std::vector<double> memo_;
  std::vector<std::uint8_t> done_;
  std::vector<const double*> row_;
  std::vector<std::uint64_t> stamp_;
  std::uint64_t gen_ = 0;
  std::int64_t known_ = 0;
  std::vector<int> unknown_;
  const std::int64_t* vec_ = nullptr;
};

// Checks the agent, the starting agreements and the `which` indices (count of them).
void check_starts(const OneStep& a, const std::int64_t* which, std::int64_t count,
                  const char* func) {
  const std::string f(func);
  if (a.n < 1 || a.n > 20 || a.agent < 0 || a.agent >= a.n || a.actions < 1)
    throw std::invalid_argument(f + ": need 1 <= n <= 20, 0 <= agent < n, A >= 1");
  const std::int64_t M = std::int64_t{1} << a.n;
  for (std::int64_t z = 0; z < count; ++z)
    if (which[z] < 0 || which[z] >= a.starts)
      throw std::invalid_argument(f + ": which holds an index outside the starts");
  for (std::int64_t q = 0; q < a.starts * a.n; ++q) {
    if (a.coalition[q] < 1 || a.coalition[q] >= M || a.action[q] < 0 || a.action[q] >= a.actions)
      throw std::invalid_argument(f + ": a coalition or action is out of range");
    if (!((a.coalition[q] >> (q % a.n)) & 1))
      throw std::invalid_argument(f + ": an agent is not in its own coalition");
  }
}

// Checks the masks (each containing the agent, at most m_max others) and the local
// type indices of their revealed vectors (R, T, m_max).
void check_vectors(const OneStep& a, std::int64_t masks, const std::int64_t* mask,
                   std::int64_t T, std::int64_t m_max, const std::int64_t* vectors,
                   std::int64_t k_max, const char* func) {
  const std::string f(func);
  const std::int64_t M = std::int64_t{1} << a.n;
  for (std::int64_t q = 0; q < masks; ++q) {
    const std::int64_t s = mask[q];
    if (s < 1 || s >= M || !((s >> a.agent) & 1))
      throw std::invalid_argument(f + ": every mask must contain the agent");
    if (__builtin_popcountll(static_cast<unsigned long long>(s)) - 1 > m_max)
      throw std::invalid_argument(f + ": a mask has more unknown members than m_max");
  }
  for (std::int64_t q = 0; q < masks * T * m_max; ++q)
    if (vectors[q] < 0 || vectors[q] >= k_max)
      throw std::invalid_argument(f + ": a local type index is out of range");
}

}  // namespace

void one_step_payoff(const OneStep& a, double* out) {
  check_starts(a, a.which, a.views, "one_step_payoff");
  const std::int64_t M = std::int64_t{1} << a.n;
  Cancel cancel;
  const int threads = a.views * M > 4096 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    Scratch w(a);
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t z = 0; z < a.views; ++z) {
      if (cancel.poll_every(z, 16)) continue;
      Dense own{a.own + z * M * a.actions, a.actions};
      out[z] = view_payoff(a, own, a.which[z], w);
    }
  }
  cancel.check();
}

void revealed_payoffs(const Revealed& r, double* out) {
  const OneStep& a = r.step;
  const int n = a.n, i = a.agent;
  const std::int64_t A = a.actions, M = std::int64_t{1} << n, L = r.width, T = r.vectors_per;
  check_starts(a, r.which, r.masks * A, "revealed_payoffs");
  if (L < 1 || r.k_max < 1 || T < 1 || r.m_max < 0 || r.m_max >= n)
    throw std::invalid_argument("revealed_payoffs: need width >= 1, k_max >= 1, T >= 1");
  std::int64_t top = 0;
  for (std::int64_t q = 0; q < n * r.k_max; ++q) {
    if (r.points[q] < 0) throw std::invalid_argument("revealed_payoffs: points must be >= 0");
    top = std::max(top, r.points[q]);
  }
  if (n * top >= L)
    throw std::invalid_argument("revealed_payoffs: width must exceed n * max(points)");
  check_vectors(a, r.masks, r.mask, T, r.m_max, r.vectors, r.k_max, "revealed_payoffs");
  std::fill(out, out + r.masks * A * T, 0.0);
  Cancel cancel;
  const int threads = r.masks * T * M > 4096 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    Scratch w(a);
    RevealedRows view(r);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t q = 0; q < r.masks; ++q) {
      view.mask(r.mask[q] & ~(std::int64_t{1} << i));
      for (std::int64_t t = 0; t < T; ++t) {
        if (cancel.poll_every(t, 16)) break;
        if (!r.compute[q * T + t]) continue;
        view.start(r.vectors + (q * T + t) * r.m_max);
        for (std::int64_t b = 0; b < A; ++b)
          out[(q * A + b) * T + t] = view_payoff(a, view, r.which[q * A + b], w);
      }
    }
  }
  cancel.check();
}

namespace {

// The rows of a successor view in which only the members of `changed` have new beliefs
// (Eq. 5 marginals): a coalition's total is that of its unchanged members under the
// current beliefs (dist, (2^n, L)) plus the changed members', so its value is
// sum_v G(v) H(v) with G the changed members' total in it and
// H(v) = sum_l dist(S' \ changed, l) values(S', beta, l + v), memoised per mask.
class ChangedRows {
 public:
  ChangedRows(int n, std::int64_t A, std::int64_t L, std::int64_t top, const double* dist,
              const double* values)
      : n_(n), A_(A), L_(L), top_(top), dist_(dist), values_(values),
        M_(std::int64_t{1} << n), table_(M_ * A), have_(M_), h_done_(M_) {}

  // a new coalition: `changed` members have new beliefs in its views
  void mask(std::int64_t changed) {
    changed_ = changed;
    members_.clear();
    for (int j = 0; j < n_; ++j)
      if ((changed >> j) & 1) members_.push_back(j);
    V_ = static_cast<std::int64_t>(members_.size()) * top_ + 1;
    h_.assign(M_ * A_ * V_, 0.0);
    std::fill(h_done_.begin(), h_done_.end(), std::uint8_t{0});
    const std::size_t subsets = std::size_t{1} << members_.size();
    g_.assign(subsets * V_, 0.0);
  }

  // a new view: the changed members' beliefs are rows of post (n, K)
  void start(const double* post, std::int64_t K, const std::int64_t* points) {
    std::fill(have_.begin(), have_.end(), std::uint8_t{0});
    g_[0] = 1.0;
    for (std::int64_t v = 1; v < V_; ++v) g_[v] = 0.0;
    const std::size_t subsets = std::size_t{1} << members_.size();
    for (std::size_t c = 1; c < subsets; ++c) {  // G(c) = G(c \ top member) * member's
      const int h = 63 - __builtin_clzll(static_cast<unsigned long long>(c));
      const double* parent = g_.data() + (c ^ (std::size_t{1} << h)) * V_;
      double* g = g_.data() + c * V_;
      std::fill(g, g + V_, 0.0);
      const double* pj = post + members_[h] * K;
      for (std::int64_t k = 0; k < K; ++k) {
        if (pj[k] == 0.0) continue;
        for (std::int64_t v = 0; v + points[k] < V_; ++v) g[v + points[k]] += pj[k] * parent[v];
      }
    }
  }

  const double* row(std::int64_t s) {
    double* out = table_.data() + s * A_;
    if (have_[s]) return out;
    double* h = h_.data() + s * A_ * V_;
    if (!h_done_[s]) {
      const double* p = dist_ + (s & ~changed_) * L_;
      for (std::int64_t b = 0; b < A_; ++b) {
        const double* v = values_ + (s * A_ + b) * L_;
        for (std::int64_t sh = 0; sh < V_; ++sh) {
          double e = 0.0;
          for (std::int64_t l = 0; l + sh < L_; ++l) e += p[l] * v[l + sh];
          h[b * V_ + sh] = e;
        }
      }
      h_done_[s] = 1;
    }
    std::size_t c = 0;
    for (std::size_t u = 0; u < members_.size(); ++u)
      if ((s >> members_[u]) & 1) c |= std::size_t{1} << u;
    const double* g = g_.data() + c * V_;
    for (std::int64_t b = 0; b < A_; ++b) {
      double e = 0.0;
      for (std::int64_t sh = 0; sh < V_; ++sh) e += g[sh] * h[b * V_ + sh];
      out[b] = e;
    }
    have_[s] = 1;
    return out;
  }

 private:
  int n_;
  std::int64_t A_, L_, top_;
  const double* dist_;
  const double* values_;
  std::int64_t M_, changed_ = 0, V_ = 1;
  std::vector<double> table_, h_, g_;
  std::vector<std::uint8_t> have_, h_done_;
  std::vector<int> members_;
};

}  // namespace

void lookahead_values(const Lookahead& a, double* out) {
  const OneStep& st = a.step;
  const int n = st.n, i = st.agent;
  const std::int64_t A = st.actions, M = std::int64_t{1} << n, K = a.types, O = a.outcomes;
  const std::int64_t L = a.width, L2 = a.next_width;
  check_starts(st, a.which, a.masks * A, "lookahead_values");
  if (K < 1 || O < 1 || L < 1 || L2 < 1)
    throw std::invalid_argument("lookahead_values: need K, O, width, next_width >= 1");
  std::int64_t top = 0, top2 = 0;
  for (std::int64_t k = 0; k < K; ++k) {
    if (a.points[k] < 0 || a.next_points[k] < 0)
      throw std::invalid_argument("lookahead_values: points must be >= 0");
    top = std::max(top, a.points[k]);
    top2 = std::max(top2, a.next_points[k]);
  }
  if (n * top >= L || n * top2 >= L2)
    throw std::invalid_argument("lookahead_values: a width must exceed n * max(points)");
  check_vectors(st, a.masks, a.mask, 0, n - 1, nullptr, 1, "lookahead_values");
  for (std::int64_t q = 0; q < n * K; ++q)
    if (!(a.beliefs[q] >= 0.0) || !std::isfinite(a.beliefs[q]))
      throw std::invalid_argument("lookahead_values: beliefs must be finite and >= 0");
  const int P = static_cast<int>(top2) + 1;
  Cancel cancel;
  const int threads = a.masks * A * O * M > 4096 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    Scratch w(st);
    std::vector<double> post(static_cast<std::size_t>(n * K)), own(M * A), lik(top + 1);
    std::vector<double> agg(static_cast<std::size_t>(n) * P), stack((n + 1) * L2);
    std::vector<int> tops(n + 1);
    ChangedRows lazy(n, A, L2, top2, a.next_dist, a.next_values);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t q = 0; q < a.masks; ++q) {
      if (cancel.poll()) continue;
      const std::int64_t s = a.mask[q];
      const std::int64_t others = s & ~(std::int64_t{1} << i);
      if (st.restricted) lazy.mask(others);
      for (std::int64_t b = 0; b < A; ++b) {
        double total = 0.0;
        for (std::int64_t o = 0; o < O && (others || o == 0); ++o) {
          std::copy(a.beliefs, a.beliefs + n * K, post.begin());
          double po = 1.0;
          if (others) {
            const double* pr = a.probs + ((s * A + b) * O + o) * L;
            const double* ds = a.dist + s * L;
            po = 0.0;
            for (std::int64_t l = 0; l < L; ++l) po += ds[l] * pr[l];
            if (!(po > a.min_prob)) continue;
            bool live = true;
            for (int j = 0; j < n && live; ++j) {
              if (!((others >> j) & 1)) continue;
              const double* rest = a.dist + (s & ~(std::int64_t{1} << j)) * L;
              for (std::int64_t v = 0; v <= top; ++v) {
                double e = 0.0;
                for (std::int64_t l = 0; l + v < L; ++l) e += rest[l] * pr[l + v];
                lik[v] = e;
              }
              double norm = 0.0;
              for (std::int64_t k = 0; k < K; ++k) {
                post[j * K + k] *= lik[a.points[k]];
                norm += post[j * K + k];
              }
              live = norm > 0.0;
              for (std::int64_t k = 0; k < K; ++k) post[j * K + k] /= norm;
            }
            if (!live) continue;  // impossible in this view (po > 0 prevents it)
          }
          double v0;
          if (!st.restricted) {  // every row is read: the subset walk over all of them
            bayes::subset_aggregate(post.data(), n, static_cast<int>(K), a.next_points, P,
                                    agg.data(), tops.data());
            bayes::subset_walk(agg.data(), tops.data(), n, P, static_cast<int>(L2),
                               a.next_values, A, own.data(), stack.data());
            Dense view{own.data(), A};
            v0 = view_payoff(st, view, a.which[q * A + b], w);
          } else {  // the rows the round reads, each when first read
            lazy.start(post.data(), K, a.next_points);
            v0 = view_payoff(st, lazy, a.which[q * A + b], w);
          }
          total += po * v0;
        }
        out[q * A + b] = total;
      }
    }
  }
  cancel.check();
}

void revealed_payoffs_vectors(const RevealedVectors& r, double* out) {
  const OneStep& a = r.step;
  const int n = a.n, i = a.agent;
  const std::int64_t A = a.actions, M = std::int64_t{1} << n, T = r.vectors_per, K = r.k_max;
  check_starts(a, r.which, r.masks * A, "revealed_payoffs_vectors");
  if (K < 1 || T < 1 || r.m_max < 0 || r.m_max >= n)
    throw std::invalid_argument("revealed_payoffs_vectors: need k_max >= 1, T >= 1");
  // each coalition's table: its unknown members (no duplicate, not i) and its extent
  std::vector<std::int64_t> size(M, 0), kpow(n, 1);
  for (int m = 1; m < n; ++m) kpow[m] = kpow[m - 1] * K;
  for (std::int64_t sp = 0; sp < M; ++sp) {
    if (r.offset[sp] < 0) continue;
    const std::int64_t* u = r.unknown + sp * (n - 1);
    int m = 0;
    for (int q = 0; q < n - 1 && u[q] >= 0; ++q, ++m)
      if (u[q] >= n || u[q] == i || !((sp >> u[q]) & 1) || (q > 0 && u[q] <= u[q - 1]))
        throw std::invalid_argument(
            "revealed_payoffs_vectors: unknown must list a coalition's other members in "
            "increasing order");
    size[sp] = m;
    if (r.offset[sp] + A * kpow[m] > r.values_size)
      throw std::invalid_argument("revealed_payoffs_vectors: a table runs past values");
  }
  for (std::int64_t q = 0; q < n * K; ++q)
    if (!(r.local_probs[q] >= 0.0) || !std::isfinite(r.local_probs[q]))
      throw std::invalid_argument("revealed_payoffs_vectors: local_probs must be finite, >= 0");
  check_vectors(a, r.masks, r.mask, T, r.m_max, r.vectors, K, "revealed_payoffs_vectors");
  std::fill(out, out + r.masks * A * T, 0.0);
  Cancel cancel;
  const int threads = r.masks * T * M > 4096 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    Scratch w(a);
    std::vector<double> own(M * A), memo;
    Dense view{own.data(), A};
    std::vector<std::uint8_t> done;
    std::vector<std::int64_t> base(M), fixed_pos, free_pos, typ(n, -1), odo;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t q = 0; q < r.masks; ++q) {
      const std::int64_t s = r.mask[q];
      const std::int64_t known = s & ~(std::int64_t{1} << i);  // revealed members
      // memo[S'][key of the revealed members' types in S'][beta]
      std::int64_t total = 0;
      for (std::int64_t sp = 0; sp < M; ++sp) {
        base[sp] = total;
        const int rv = __builtin_popcountll(static_cast<unsigned long long>(sp & known));
        total += r.offset[sp] >= 0 ? kpow[rv] : 0;
      }
      memo.assign(total * A, 0.0);
      done.assign(total, 0);
      for (std::int64_t t = 0; t < T; ++t) {
        if (cancel.poll_every(t, 16)) break;
        if (!r.compute[q * T + t]) continue;
        const std::int64_t* vec = r.vectors + (q * T + t) * r.m_max;
        int c = 0;
        for (int j = 0; j < n; ++j) typ[j] = ((known >> j) & 1) ? vec[c++] : -1;
        for (std::int64_t sp = 0; sp < M; ++sp) {
          double* o = own.data() + sp * A;
          if (r.offset[sp] < 0) {
            std::fill(o, o + A, 0.0);
            continue;
          }
          const std::int64_t* u = r.unknown + sp * (n - 1);
          const int m = static_cast<int>(size[sp]);
          std::int64_t key = 0, fixed_index = 0;
          fixed_pos.clear();
          free_pos.clear();
          for (int p = 0; p < m; ++p) {
            if (typ[u[p]] >= 0) {
              key = key * K + typ[u[p]];
              fixed_index += typ[u[p]] * kpow[m - 1 - p];
            } else {
              free_pos.push_back(p);
            }
          }
          double* g = memo.data() + (base[sp] + key) * A;
          if (!done[base[sp] + key]) {
            // sum over the free members' local types, weighted by their beliefs
            const std::int64_t tk = kpow[m];
            const double* vals = r.values + r.offset[sp];
            std::fill(g, g + A, 0.0);
            odo.assign(free_pos.size(), 0);
            while (true) {
              double pr = 1.0;
              std::int64_t idx = fixed_index;
              for (std::size_t f = 0; f < free_pos.size(); ++f) {
                const int p = static_cast<int>(free_pos[f]);
                pr *= r.local_probs[u[p] * K + odo[f]];
                idx += odo[f] * kpow[m - 1 - p];
              }
              if (pr > 0.0)
                for (std::int64_t b = 0; b < A; ++b) g[b] += pr * vals[b * tk + idx];
              std::size_t f = free_pos.size();
              while (f > 0 && ++odo[f - 1] == K) odo[--f] = 0;
              if (f == 0) break;
            }
            done[base[sp] + key] = 1;
          }
          std::copy(g, g + A, o);
        }
        for (std::int64_t b = 0; b < A; ++b)
          out[(q * A + b) * T + t] = view_payoff(a, view, r.which[q * A + b], w);
      }
    }
  }
  cancel.check();
}

}  // namespace accord::coalition
