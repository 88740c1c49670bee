// Enumeration of the Nash equilibria of bimatrix games: support enumeration and
// vertex enumeration of the best-response polytopes.
//
// Avis, Rosenberg, Savani & von Stengel (2010), "Enumeration of Nash equilibria for
// two-player games", Economic Theory 42(1), Sec. 2-3; von Stengel (2007),
// Algorithmic Game Theory ch. 3, Sec. 3.3 (support enumeration), 3.4 (vertex
// enumeration) and 3.6 (lexicographic perturbation).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "accord/bimatrix.hpp"

namespace accord::bimatrix {

namespace {

// ------------------------------------------------------------------ support enumeration

// Binomial coefficients C(a, b) for a <= N, b <= k, saturating at 2^64 - 1.
struct Binomials {
  int k;
  std::vector<std::uint64_t> c;
  Binomials(int N, int k_) : k(k_), c(static_cast<std::size_t>(N + 1) * (k_ + 1), 0) {
    for (int a = 0; a <= N; ++a) {
      at(a, 0) = 1;
      for (int b = 1; b <= std::min(a, k); ++b) {
        const std::uint64_t x = at(a - 1, b - 1), y = b <= a - 1 ? at(a - 1, b) : 0;
        at(a, b) = x > ~0ull - y ? ~0ull : x + y;  // saturate on overflow
      }
    }
  }
  std::uint64_t& at(int a, int b) { return c[static_cast<std::size_t>(a) * (k + 1) + b]; }
  std::uint64_t get(int a, int b) const {
    return b < 0 || b > a ? 0 : c[static_cast<std::size_t>(a) * (k + 1) + b];
  }
};

// The k-subset of 0..N-1 of lexicographic rank r.
void unrank(const Binomials& C, int N, int k, std::uint64_t r, int* out) {
  int c = 0;
  for (int i = 0; i < k; ++i) {
    for (;; ++c) {
      const std::uint64_t below = C.get(N - 1 - c, k - 1 - i);  // subsets starting with c
      if (r < below) break;
      r -= below;
    }
    out[i] = c++;
  }
}

// The next k-subset of 0..N-1 in lexicographic order; false after the last.
bool next_combination(int* c, int N, int k) {
  int i = k - 1;
  while (i >= 0 && c[i] == N - k + i) --i;
  if (i < 0) return false;
  ++c[i];
  for (int j = i + 1; j < k; ++j) c[j] = c[j - 1] + 1;
  return true;
}

constexpr double kSingular = 1e-12;  // pivot of a singular indifference system
constexpr double kPayoffTol = 1e-9;  // payoff comparisons on the [1, 2] scale

// Solve the indifference system of one player: probabilities p (k) on one support
// and the payoff w such that the opponent is indifferent on the other support:
//   sum_c G(r, c) p_c = w  (r < k),   sum_c p_c = 1,
// with G(r, c) = M[I[r], J[c]] (y of the column player against the rows I) or,
// transposed, M[I[c], J[r]] (x of the row player against the columns J).  Returns
// false for a (numerically) singular system.  work: (k+1)*(k+3) doubles.
bool indifference(const double* M, int n, const int* I, const int* J, int k, bool transpose,
                  double* p, double* w, double* work) {
  const int N = k + 1, ld = k + 2;
  for (int r = 0; r < k; ++r) {
    double* row = work + static_cast<std::size_t>(r) * ld;
    for (int c = 0; c < k; ++c)
      row[c] = transpose ? M[static_cast<std::size_t>(I[c]) * n + J[r]]
                         : M[static_cast<std::size_t>(I[r]) * n + J[c]];
    row[k] = -1.0;
    row[k + 1] = 0.0;
  }
  double* last = work + static_cast<std::size_t>(k) * ld;
  for (int c = 0; c < k; ++c) last[c] = 1.0;
  last[k] = 0.0;
  last[k + 1] = 1.0;
  for (int c = 0; c < N; ++c) {
    int piv = c;
    for (int r = c + 1; r < N; ++r)
      if (std::abs(work[r * ld + c]) > std::abs(work[piv * ld + c])) piv = r;
    if (std::abs(work[piv * ld + c]) < kSingular) return false;
    if (piv != c)
      for (int j = c; j < ld; ++j) std::swap(work[piv * ld + j], work[c * ld + j]);
    const double inv = 1.0 / work[c * ld + c];
    for (int r = c + 1; r < N; ++r) {
      const double f = work[r * ld + c] * inv;
      if (f == 0.0) continue;
      for (int j = c; j < ld; ++j) work[r * ld + j] -= f * work[c * ld + j];
    }
  }
  double* s = work + static_cast<std::size_t>(N) * ld;  // the solution
  for (int r = N - 1; r >= 0; --r) {
    double acc = work[r * ld + k + 1];
    for (int c = r + 1; c < N; ++c) acc -= work[r * ld + c] * s[c];
    s[r] = acc / work[r * ld + r];
  }
  for (int c = 0; c < k; ++c) p[c] = s[c];
  *w = s[k];
  return true;
}

struct Found {
  std::vector<double> x, y;
  bool degenerate = false;
};

// All equilibria with row support I (size k), for every column support of size k.
void supports_of_rows(const double* A, const double* B, int m, int n, const int* I, int k,
                      Found& out) {
  std::vector<double> work(static_cast<std::size_t>(k + 1) * (k + 3));
  std::vector<double> py(k), px(k), yfull(n), xfull(m);
  std::vector<char> inI(m, 0), inJ(n, 0);
  for (int r = 0; r < k; ++r) inI[I[r]] = 1;
  std::vector<int> Jv(k);
  for (int c = 0; c < k; ++c) Jv[c] = c;
  const int* J = Jv.data();
  for (bool more = true; more; more = next_combination(Jv.data(), n, k)) {
    double v, u;
    // y on J making the rows I indifferent; positive, no better row outside I.
    if (!indifference(A, n, I, J, k, false, py.data(), &v, work.data())) continue;
    bool zero = false, ok = true;
    for (int c = 0; c < k && ok; ++c) {
      if (py[c] < -detail::kZeroTol) ok = false;
      zero |= py[c] <= detail::kZeroTol;
    }
    if (!ok) continue;
    std::fill(yfull.begin(), yfull.end(), 0.0);
    for (int c = 0; c < k; ++c) yfull[J[c]] = py[c];
    bool extra = false;
    for (int i = 0; i < m && ok; ++i) {
      if (inI[i]) continue;
      double s = 0.0;
      const double* Ai = A + static_cast<std::size_t>(i) * n;
      for (int c = 0; c < k; ++c) s += Ai[J[c]] * py[c];
      if (s > v + kPayoffTol) ok = false;
      extra |= s >= v - kPayoffTol;
    }
    if (!ok) continue;
    // x on I making the columns J indifferent; positive, no better column outside J.
    if (!indifference(B, n, I, J, k, true, px.data(), &u, work.data())) continue;
    for (int r = 0; r < k && ok; ++r) {
      if (px[r] < -detail::kZeroTol) ok = false;
      zero |= px[r] <= detail::kZeroTol;
    }
    if (!ok) continue;
    for (int j = 0; j < n; ++j) inJ[j] = 0;
    for (int c = 0; c < k; ++c) inJ[J[c]] = 1;
    for (int j = 0; j < n && ok; ++j) {
      if (inJ[j]) continue;
      double s = 0.0;
      for (int r = 0; r < k; ++r) s += B[static_cast<std::size_t>(I[r]) * n + j] * px[r];
      if (s > u + kPayoffTol) ok = false;
      extra |= s >= u - kPayoffTol;
    }
    if (!ok) continue;
    // An equilibrium with supports inside (I, J).
    if (zero || extra) out.degenerate = true;
    if (zero) continue;  // its true supports differ from (I, J): not this pair's
    std::fill(xfull.begin(), xfull.end(), 0.0);
    for (int r = 0; r < k; ++r) xfull[I[r]] = px[r];
    out.x.insert(out.x.end(), xfull.begin(), xfull.end());
    out.y.insert(out.y.end(), yfull.begin(), yfull.end());
  }
}

// ------------------------------------------------------------------ vertex enumeration

using Mask = unsigned __int128;

// Open-addressing hash table from non-zero 128-bit masks to integers (linear
// probing, load <= 1/2); 0 marks an empty slot (no basis or label set is empty).
class MaskTable {
 public:
  MaskTable() : keys_(1024, 0), vals_(1024, 0), mask_(1023) {}

  // Inserts (key, value) unless key is present; returns the stored value and
  // whether it was inserted.
  std::pair<std::int64_t, bool> insert(Mask key, std::int64_t value) {
    if (2 * (size_ + 1) > keys_.size()) grow();
    std::size_t i = slot(key);
    if (keys_[i] == key) return {vals_[i], false};
    keys_[i] = key;
    vals_[i] = value;
    ++size_;
    return {value, true};
  }
  // The value of key, or -1 when absent.
  std::int64_t find(Mask key) const {
    const std::size_t i = slot(key);
    return keys_[i] == key ? vals_[i] : -1;
  }
  std::size_t size() const { return size_; }

 private:
  static std::uint64_t mix(std::uint64_t z) {  // splitmix64 finaliser
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t slot(Mask key) const {
    const std::uint64_t h =
        mix(static_cast<std::uint64_t>(key) ^ mix(static_cast<std::uint64_t>(key >> 64) + 1));
    std::size_t i = static_cast<std::size_t>(h) & mask_;
    while (keys_[i] != 0 && keys_[i] != key) i = (i + 1) & mask_;
    return i;
  }
  void grow() {
    std::vector<Mask> keys(keys_.size() * 2, 0);
    std::vector<std::int64_t> vals(keys.size(), 0);
    keys.swap(keys_);
    vals.swap(vals_);
    mask_ = keys_.size() - 1;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (keys[k] == 0) continue;
      const std::size_t i = slot(keys[k]);
      keys_[i] = keys[k];
      vals_[i] = vals[k];
    }
  }
  std::vector<Mask> keys_;
  std::vector<std::int64_t> vals_;
  std::size_t size_ = 0, mask_;
};

inline Mask bit(int c) { return static_cast<Mask>(1) << c; }

inline int popcount(Mask k) {
  return __builtin_popcountll(static_cast<std::uint64_t>(k)) +
         __builtin_popcountll(static_cast<std::uint64_t>(k >> 64));
}

// The vertices of a polytope {z : T0 z = 1, z >= 0} in the tableau form of
// lemke_howson.cpp: `rows` rows, `vars` columns (labels) and the rhs column; the
// identity (slack) columns are slack0..slack0+rows-1 and the structural ones
// [struct0, struct0 + vars - rows).
struct Polytope {
  int rows, vars, slack0, struct0, ld;
  std::vector<double> T0;
  std::vector<Mask> labels;    // per vertex: the labels (zero variables)
  std::vector<double> coords;  // per vertex: the structural variables
  bool degenerate = false;
  std::int64_t bases = 0;

  int dim() const { return vars - rows; }

  // Tableau of the basis `basis` (T = basis matrix^-1 [T0]).  The basic slacks keep
  // their unit columns when the structural columns pivot only in the rows of the
  // nonbasic slacks, where their submatrix is nonsingular.
  void rebuild(Mask basis, std::vector<double>& T, std::vector<int>& basic) const {
    T = T0;
    std::vector<char> used(rows, 0);
    for (int r = 0; r < rows; ++r) {
      if (basis & bit(slack0 + r)) {
        used[r] = 1;
        basic[r] = slack0 + r;
      }
    }
    for (int c = struct0; c < struct0 + dim(); ++c) {
      if (!(basis & bit(c))) continue;
      int best = -1;
      double big = 0.0;
      for (int r = 0; r < rows; ++r) {
        const double a = std::abs(T[static_cast<std::size_t>(r) * ld + c]);
        if (!used[r] && a > big) {
          big = a;
          best = r;
        }
      }
      if (best < 0 || big < 1e-13)
        throw std::runtime_error("vertex_enumeration: singular basis (numerical failure)");
      detail::pivot(T.data(), rows, ld, best, c);
      used[best] = 1;
      basic[best] = c;
    }
  }

  // Depth-first search over the lexicographically feasible bases.  A basis popped
  // right after its parent reuses the parent's tableau (one pivot) for up to
  // kChain pivots in a row; otherwise its tableau is rebuilt from T0.
  void enumerate(std::int64_t max_bases, const char* name) {
    constexpr int kChain = 24;
    struct Entry {
      Mask basis;
      std::int64_t parent;
      int row, col;
    };
    const int rhs = vars;
    const Mask all = (vars == 128) ? ~static_cast<Mask>(0) : bit(vars) - 1;
    Mask start = 0;
    for (int r = 0; r < rows; ++r) start |= bit(slack0 + r);
    MaskTable seen, vertex_of;
    std::vector<Entry> todo{{start, -1, 0, 0}};
    seen.insert(start, 0);
    std::vector<double> T;
    std::vector<int> basic(rows), cand(rows);
    const int d = dim();
    std::vector<double> z(d);
    std::int64_t serial = 0, current = -2;
    int chain = 0;
    while (!todo.empty()) {
      const Entry top = todo.back();
      todo.pop_back();
      const Mask basis = top.basis;
      if (top.parent == current && chain < kChain) {
        detail::pivot(T.data(), rows, ld, top.row, top.col);
        basic[top.row] = top.col;
        ++chain;
      } else {
        rebuild(basis, T, basic);
        chain = 0;
      }
      current = ++serial;
      Mask lab = ~basis & all;
      std::fill(z.begin(), z.end(), 0.0);
      for (int r = 0; r < rows; ++r) {
        const double val = T[static_cast<std::size_t>(r) * ld + rhs];
        if (val <= detail::kZeroTol) lab |= bit(basic[r]);
        else if (basic[r] >= struct0 && basic[r] < struct0 + d) z[basic[r] - struct0] = val;
      }
      if (vertex_of.insert(lab, static_cast<std::int64_t>(labels.size())).second) {
        labels.push_back(lab);
        coords.insert(coords.end(), z.begin(), z.end());
        if (popcount(lab) > d) degenerate = true;
      }
      for (int e = 0; e < vars; ++e) {
        if (basis & bit(e)) continue;
        const int r = detail::lex_min_ratio(T.data(), rows, ld, e, rhs, slack0, cand.data());
        if (r < 0) continue;  // an unbounded edge: impossible for these polytopes
        const Mask child = (basis & ~bit(basic[r])) | bit(e);
        if (seen.insert(child, 0).second) {
          if (static_cast<std::int64_t>(seen.size()) > max_bases)
            throw std::runtime_error(std::string("vertex_enumeration: more than ") +
                                     std::to_string(max_bases) + " bases of the polytope " +
                                     name + "; raise max_bases or use lemke_howson");
          todo.push_back({child, current, r, e});
        }
      }
    }
    bases = static_cast<std::int64_t>(seen.size());
  }
};

}  // namespace

Equilibria support_enumeration(const double* A, const double* B, int m, int n, int threads) {
  if (m < 1 || n < 1) throw std::invalid_argument("the game needs at least one action each");
  const std::size_t mn = static_cast<std::size_t>(m) * n;
  std::vector<double> Ah(mn), Bh(mn);
  detail::normalise(A, mn, Ah.data());
  detail::normalise(B, mn, Bh.data());
  Equilibria out;
  const int kmax = std::min(m, n);
  const Binomials C(m, kmax);
  constexpr std::int64_t kBlock = 1 << 16;  // row supports per parallel block
  std::vector<Found> found;
  for (int k = 1; k <= kmax; ++k) {
    const std::uint64_t total = C.get(m, k);
    for (std::uint64_t start = 0; start < total; start += kBlock) {
      const auto count = static_cast<std::int64_t>(std::min<std::uint64_t>(kBlock, total - start));
      found.assign(count, Found{});
#pragma omp parallel num_threads(threads) if (threads > 1 && count > 1)
      {
        std::vector<int> I(k);
#pragma omp for schedule(dynamic, 8)
        for (std::int64_t t = 0; t < count; ++t) {
          unrank(C, m, k, start + static_cast<std::uint64_t>(t), I.data());
          supports_of_rows(Ah.data(), Bh.data(), m, n, I.data(), k, found[t]);
        }
      }
      for (const Found& f : found) {
        out.x.insert(out.x.end(), f.x.begin(), f.x.end());
        out.y.insert(out.y.end(), f.y.begin(), f.y.end());
        out.degenerate |= f.degenerate;
      }
    }
  }
  out.count = out.x.size() / m;
  return out;
}

Equilibria vertex_enumeration(const double* A, const double* B, int m, int n,
                              std::int64_t max_bases, int threads) {
  if (m < 1 || n < 1) throw std::invalid_argument("the game needs at least one action each");
  if (m + n > kMaxVertexLabels)
    throw std::invalid_argument("vertex_enumeration supports m + n <= " +
                                std::to_string(kMaxVertexLabels) + "; got " +
                                std::to_string(m + n));
  const std::size_t mn = static_cast<std::size_t>(m) * n;
  std::vector<double> Ah(mn), Bh(mn);
  detail::normalise(A, mn, Ah.data());
  detail::normalise(B, mn, Bh.data());
  const int ld = m + n + 1;
  // P: B^T x + s = 1 (n rows; x = columns 0..m-1, s = m..m+n-1).
  Polytope P{n, m + n, m, 0, ld, std::vector<double>(static_cast<std::size_t>(n) * ld, 0.0),
             {}, {}, false, 0};
  for (int j = 0; j < n; ++j) {
    double* row = &P.T0[static_cast<std::size_t>(j) * ld];
    for (int i = 0; i < m; ++i) row[i] = Bh[static_cast<std::size_t>(i) * n + j];
    row[m + j] = 1.0;
    row[m + n] = 1.0;
  }
  // Q: r + A y = 1 (m rows; r = columns 0..m-1, y = m..m+n-1).
  Polytope Q{m, m + n, 0, m, ld, std::vector<double>(static_cast<std::size_t>(m) * ld, 0.0),
             {}, {}, false, 0};
  for (int i = 0; i < m; ++i) {
    double* row = &Q.T0[static_cast<std::size_t>(i) * ld];
    row[i] = 1.0;
    for (int j = 0; j < n; ++j) row[m + j] = Ah[static_cast<std::size_t>(i) * n + j];
    row[m + n] = 1.0;
  }
  std::string error;
#pragma omp parallel for schedule(static, 1) num_threads(threads > 1 ? 2 : 1)
  for (int which = 0; which < 2; ++which) {
    try {
      if (which == 0) P.enumerate(max_bases, "P");
      else Q.enumerate(max_bases, "Q");
    } catch (const std::exception& e) {
#pragma omp critical(accord_vertex_enum)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw std::runtime_error(error);

  // Complementary pairs.  Index the simple vertices of Q by their label set; a
  // simple vertex x of P (m labels) needs a vertex of Q whose labels contain the n
  // others, i.e. the simple one with exactly those labels or a degenerate one.
  const Mask full = (m + n == 128) ? ~static_cast<Mask>(0) : bit(m + n) - 1;
  const Mask xzero = bit(m) - 1;          // labels of x = 0
  const Mask yzero = full & ~xzero;       // labels of y = 0
  MaskTable simpleQ;
  std::vector<std::size_t> degenerateQ;
  for (std::size_t q = 0; q < Q.labels.size(); ++q) {
    if (Q.labels[q] == yzero) continue;
    if (popcount(Q.labels[q]) == n) simpleQ.insert(Q.labels[q], static_cast<std::int64_t>(q));
    else degenerateQ.push_back(q);
  }
  Equilibria out;
  out.degenerate = P.degenerate || Q.degenerate;
  std::vector<std::size_t> match;
  auto emit = [&](std::size_t p, std::size_t q) {
    const double* x = &P.coords[p * m];
    const double* y = &Q.coords[q * n];
    double sx = 0.0, sy = 0.0;
    for (int i = 0; i < m; ++i) sx += x[i];
    for (int j = 0; j < n; ++j) sy += y[j];
    for (int i = 0; i < m; ++i) out.x.push_back(x[i] / sx);
    for (int j = 0; j < n; ++j) out.y.push_back(y[j] / sy);
    ++out.count;
  };
  for (std::size_t p = 0; p < P.labels.size(); ++p) {
    const Mask lx = P.labels[p];
    if (lx == xzero) continue;
    const Mask need = full & ~lx;
    match.clear();
    if (popcount(lx) == m) {
      if (popcount(need) == n) {  // always: lx has m labels
        const std::int64_t q = simpleQ.find(need);
        if (q >= 0) match.push_back(static_cast<std::size_t>(q));
      }
      for (std::size_t q : degenerateQ)
        if ((Q.labels[q] & need) == need) match.push_back(q);
    } else {
      for (std::size_t q = 0; q < Q.labels.size(); ++q)
        if (Q.labels[q] != yzero && (Q.labels[q] & need) == need) match.push_back(q);
    }
    std::sort(match.begin(), match.end());
    for (std::size_t q : match) emit(p, q);
  }
  return out;
}

}  // namespace accord::bimatrix
