// Enumeration of the Nash equilibria of bimatrix games: support enumeration and
// vertex enumeration of the best-response polytopes.
//
// Avis, Rosenberg, Savani & von Stengel (2010), "Enumeration of Nash equilibria for
// two-player games", Economic Theory 42(1), Sec. 2-3; von Stengel (2007),
// Algorithmic Game Theory ch. 3, Sec. 3.3 (support enumeration), 3.4 (vertex
// enumeration) and 3.6 (lexicographic perturbation).
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "accord/bimatrix.hpp"
#include "accord/interrupt.hpp"
#include "accord/runtime.hpp"

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
                      Found& out, Cancel& cancel) {
  std::vector<double> work(static_cast<std::size_t>(k + 1) * (k + 3));
  std::vector<double> py(k), px(k), yfull(n), xfull(m);
  std::vector<char> inI(m, 0), inJ(n, 0);
  for (int r = 0; r < k; ++r) inI[I[r]] = 1;
  std::vector<int> Jv(k);
  for (int c = 0; c < k; ++c) Jv[c] = c;
  const int* J = Jv.data();
  std::int64_t step = 0;
  for (bool more = true; more; more = next_combination(Jv.data(), n, k)) {
    if (cancel.poll_every(++step, 64)) return;
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

// Open-addressing hash set of non-zero 128-bit masks (linear probing, load <= 1/2;
// 0 marks an empty slot).  The hash is exposed so that a batch of keys can be
// hashed and prefetched before it is inserted.
class MaskSet {
 public:
  MaskSet() : keys_(1024, 0), mask_(1023) {}

  static std::uint64_t hash(Mask key) {
    const std::uint64_t lo = static_cast<std::uint64_t>(key);
    const std::uint64_t hi = static_cast<std::uint64_t>(key >> 64);
    return mix(lo ^ mix(hi + 0x9E3779B97F4A7C15ull));
  }
  void prefetch(std::uint64_t h) const {
    __builtin_prefetch(&keys_[static_cast<std::size_t>(h) & mask_]);
  }
  bool insert(Mask key) { return insert(key, hash(key)); }
  // Inserts key (whose hash is h); false when it was present.
  bool insert(Mask key, std::uint64_t h) {
    std::size_t i = static_cast<std::size_t>(h) & mask_;
    while (keys_[i] != 0) {
      if (keys_[i] == key) return false;
      i = (i + 1) & mask_;
    }
    keys_[i] = key;
    if (2 * ++size_ > keys_.size()) grow();
    return true;
  }
  std::size_t size() const { return size_; }

 private:
  static std::uint64_t mix(std::uint64_t z) {  // splitmix64 finaliser
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  void grow() {
    std::vector<Mask> keys(keys_.size() * 2, 0);
    keys.swap(keys_);
    mask_ = keys_.size() - 1;
    for (const Mask key : keys) {
      if (key == 0) continue;
      std::size_t i = static_cast<std::size_t>(hash(key)) & mask_;
      while (keys_[i] != 0) i = (i + 1) & mask_;
      keys_[i] = key;
    }
  }
  std::vector<Mask> keys_;
  std::size_t size_ = 0, mask_;
};

inline Mask bit(int c) { return static_cast<Mask>(1) << c; }

inline int popcount(Mask k) {
  return __builtin_popcountll(static_cast<std::uint64_t>(k)) +
         __builtin_popcountll(static_cast<std::uint64_t>(k >> 64));
}

// The row operations dominate the vertex search; without -march=native they would
// be compiled for SSE2 only, so they are cloned for AVX2 and AVX-512 and chosen at
// load time (as detail::pivot in lemke_howson.cpp).
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define ACCORD_VE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ACCORD_VE_CLONES
#endif

// The first key of detail::lex_min_ratio for every column e < cols at once, row by
// row (contiguous, vectorised): ratio[i * width + e] = T[i][rhs] / T[i][e] where
// T[i][e] > kPivotTol (else +inf), best[e] its minimum, count[e] the rows within the
// tie tolerance of it and arg[e] the last such row (as doubles, so that every
// operation vectorises).  Where best[e] < +inf and count[e] == 1, arg[e] is the row
// that detail::lex_min_ratio chooses (the same divisions and comparisons); elsewhere
// the full test must decide.  The columns are read in blocks of kLanes (width: cols
// rounded up to a multiple of kLanes), so T must be readable kLanes - 1 entries past
// its end; ratio holds (rows + 1) * width doubles, best, count and arg width each.
constexpr int kLanes = 8;  // the columns are processed in blocks of kLanes

ACCORD_VE_CLONES
void first_ratios(const double* __restrict T, int rows, int ld, int cols, int rhs,
                  double* __restrict ratio, double* __restrict best, double* __restrict count,
                  double* __restrict arg) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const int width = (cols + kLanes - 1) / kLanes * kLanes;
  for (int e = 0; e < width; ++e) best[e] = inf;
  for (int i = 0; i < rows; ++i) {
    const double* __restrict Ti = T + static_cast<std::size_t>(i) * ld;
    double* __restrict Ri = ratio + static_cast<std::size_t>(i) * width;
    const double b = Ti[rhs];
    for (int e0 = 0; e0 < width; e0 += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const double a = Ti[e0 + k];
        const double q = b / a;
        const double v = a > detail::kPivotTol ? q : inf;
        Ri[e0 + k] = v;
        best[e0 + k] = v < best[e0 + k] ? v : best[e0 + k];
      }
    }
  }
  double* __restrict lim = ratio + static_cast<std::size_t>(rows) * width;
  for (int e = 0; e < width; ++e) {
    const double v = best[e];
    lim[e] = v + detail::kTieTol * (v < 0 ? -v : v);  // relative: see detail::kTieTol
    count[e] = 0.0;
    arg[e] = -1.0;
  }
  for (int i = 0; i < rows; ++i) {
    const double* __restrict Ri = ratio + static_cast<std::size_t>(i) * width;
    const double row = i;
    for (int e0 = 0; e0 < width; e0 += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const bool tied = Ri[e0 + k] <= lim[e0 + k];
        count[e0 + k] += tied ? 1.0 : 0.0;
        arg[e0 + k] = tied ? row : arg[e0 + k];
      }
    }
  }
}

// detail::lex_min_ratio for column e from its first key on: cand holds the nc >= 2
// rows (ascending) tied at the minimum of the rhs ratio; the slack columns, the
// inverse of the basis matrix, break the tie with the same comparisons.
// q: scratch for `rows` doubles.
int lex_tie_break(const double* T, int rows, int ld, int e, int slack0, int* cand, int nc,
                  double* q) {
  for (int c = 0; c < rows && nc > 1; ++c) {
    const int col = slack0 + c;
    double best = 0.0;
    for (int k = 0; k < nc; ++k) {
      const double* row = T + static_cast<std::size_t>(cand[k]) * ld;
      q[k] = row[col] / row[e];
      if (k == 0 || q[k] < best) best = q[k];
    }
    const double lim = best + detail::kTieTol * (1.0 + (best < 0 ? -best : best));
    int kept = 0;
    for (int k = 0; k < nc; ++k)
      if (q[k] <= lim) cand[kept++] = cand[k];
    nc = kept;
  }
  return cand[0];
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

  // Tableau of the basis `basis` (T = basis matrix^-1 [T0]); row_of[v] is the row
  // of the basic variable v, -1 for a nonbasic one.  The basic slacks keep their
  // unit columns when the structural columns pivot only in the rows of the
  // nonbasic slacks, where their submatrix is nonsingular.
  void rebuild(Mask basis, std::vector<double>& T, std::vector<int>& basic,
               std::vector<int>& row_of, std::vector<char>& used) const {
    T = T0;
    std::fill(used.begin(), used.end(), 0);
    std::fill(row_of.begin(), row_of.end(), -1);
    for (int r = 0; r < rows; ++r) {
      if (basis & bit(slack0 + r)) {
        used[r] = 1;
        basic[r] = slack0 + r;
        row_of[slack0 + r] = r;
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
      row_of[c] = best;
    }
  }

  // Depth-first search over the lexicographically feasible bases.  Each basis is
  // marked when first reached and pushed as a child of the basis it was reached
  // from.  One tableau follows the search: to visit a pushed basis, the tableau
  // pivots back along the search path to its parent and then forward into it
  // (each pivot is undone exactly by the reverse pivot), unless rebuilding it from
  // T0 is cheaper or kRefresh pivots have accumulated since the last rebuild,
  // which bounds the rounding error of the tableau.
  void enumerate(std::int64_t max_bases, const char* name, Cancel& cancel) {
    constexpr std::int64_t kRefresh = 64;
    struct Entry {
      Mask basis;
      int depth;      // of the parent on the search path
      int enter, leave;  // the pivot from the parent into this basis
    };
    const int rhs = vars;
    const Mask all = (vars == 128) ? ~static_cast<Mask>(0) : bit(vars) - 1;
    Mask structural = 0;
    for (int c = struct0; c < struct0 + dim(); ++c) structural |= bit(c);
    Mask start = 0;
    for (int r = 0; r < rows; ++r) start |= bit(slack0 + r);
    MaskSet seen;
    MaskTable vertex_of;
    std::vector<Entry> todo{{start, 0, -1, -1}};
    seen.insert(start);
    std::vector<double> T;
    std::vector<int> basic(rows), cand(rows), row_of(vars, -1);
    std::vector<char> used(rows);
    std::vector<double> tie(rows);
    std::vector<std::pair<int, int>> path;  // (entered, left) per pivot from the root
    struct Child {
      Mask basis;
      std::uint64_t hash;
      int enter, leave;
    };
    std::vector<Child> children;
    const int d = dim();
    std::vector<double> z(d);
    const int width = (vars + kLanes - 1) / kLanes * kLanes;
    std::vector<double> ratio(static_cast<std::size_t>(rows + 1) * width), best(width);
    std::vector<double> count(width), arg(width);
    const double* lim = ratio.data() + static_cast<std::size_t>(rows) * width;
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::int64_t since = 0;  // pivots since the last rebuild
    while (!todo.empty()) {
      if (cancel.poll()) return;
      const Entry top = todo.back();
      todo.pop_back();
      const Mask basis = top.basis;
      const std::int64_t need = static_cast<std::int64_t>(path.size()) - top.depth + 1;
      if (top.enter < 0 || need > popcount(basis & structural) + 1 ||
          since + need > kRefresh) {
        rebuild(basis, T, basic, row_of, used);
        since = 0;
        path.resize(top.depth);
        if (top.enter >= 0) path.emplace_back(top.enter, top.leave);
      } else {
        while (static_cast<int>(path.size()) > top.depth) {
          const auto [e, l] = path.back();
          path.pop_back();
          const int r = row_of[e];
          detail::pivot(T.data(), rows, ld, r, l);
          basic[r] = l;
          row_of[l] = r;
          row_of[e] = -1;
        }
        const int r = row_of[top.leave];
        detail::pivot(T.data(), rows, ld, r, top.enter);
        basic[r] = top.enter;
        row_of[top.enter] = r;
        row_of[top.leave] = -1;
        path.emplace_back(top.enter, top.leave);
        since += need;
      }
      // Snap the rhs values that are zero up to rounding to exactly zero: in a
      // lexicographically feasible basis they are >= 0, and pivots on small entries
      // (badly scaled games) would otherwise grow their drift until a degenerate tie
      // of the ratio test is broken the wrong way, into an infeasible basis.
      for (int r = 0; r < rows; ++r) {
        double& val = T[static_cast<std::size_t>(r) * ld + rhs];
        if (val <= detail::kZeroTol) val = 0.0;
      }
      Mask lab = ~basis & all;
      std::fill(z.begin(), z.end(), 0.0);
      for (int r = 0; r < rows; ++r) {
        const double val = T[static_cast<std::size_t>(r) * ld + rhs];
        if (val <= detail::kZeroTol) lab |= bit(basic[r]);
        else if (basic[r] >= struct0 && basic[r] < struct0 + d) z[basic[r] - struct0] = val;
      }
      // A simple vertex (d labels) has the one basis ~lab, visited once: only the
      // degenerate vertices, which several bases may share, need the table.
      const bool simple = popcount(lab) == d;
      if (simple || vertex_of.insert(lab, static_cast<std::int64_t>(labels.size())).second) {
        labels.push_back(lab);
        coords.insert(coords.end(), z.begin(), z.end());
        if (!simple) degenerate = true;
      }
      // The neighbours, hashed and prefetched before they are looked up.
      children.clear();
      first_ratios(T.data(), rows, ld, vars, rhs, ratio.data(), best.data(), count.data(),
                   arg.data());
      for (int e = 0; e < vars; ++e) {
        if (basis & bit(e)) continue;
        int r;
        if (!(best[e] < inf)) {
          r = detail::lex_min_ratio(T.data(), rows, ld, e, rhs, slack0, cand.data());
        } else if (count[e] == 1.0) {
          r = static_cast<int>(arg[e]);
        } else {  // tied at the first key: the rows within its tolerance
          int nc = 0;
          for (int i = 0; i < rows; ++i)
            if (ratio[static_cast<std::size_t>(i) * width + e] <= lim[e]) cand[nc++] = i;
          r = lex_tie_break(T.data(), rows, ld, e, slack0, cand.data(), nc, tie.data());
        }
        if (r < 0) continue;  // an unbounded edge: impossible for these polytopes
        const Mask child = (basis & ~bit(basic[r])) | bit(e);
        const std::uint64_t h = MaskSet::hash(child);
        seen.prefetch(h);
        children.push_back({child, h, e, basic[r]});
      }
      const int depth = static_cast<int>(path.size());
      const Mask parent = top.enter < 0 ? 0 : (basis & ~bit(top.enter)) | bit(top.leave);
      for (const Child& c : children) {
        if (c.basis != parent && seen.insert(c.basis, c.hash)) {
          if (static_cast<std::int64_t>(seen.size()) > max_bases)
            throw std::runtime_error(std::string("vertex_enumeration: more than ") +
                                     std::to_string(max_bases) + " bases of the polytope " +
                                     name + "; raise max_bases or use lemke_howson");
          todo.push_back({c.basis, depth, c.enter, c.leave});
        }
      }
    }
    bases = static_cast<std::int64_t>(seen.size());
  }
};

// C(m + n, m) - 1, the number of equal-size support pairs (as a double).
double support_pairs(int m, int n) {
  double c = 1.0;
  for (int k = 1; k <= m; ++k) c = c * (n + k) / k;
  return c - 1.0;
}

}  // namespace

Equilibria support_enumeration(const double* A, const double* B, int m, int n, int threads) {
  if (m < 1 || n < 1) throw std::invalid_argument("the game needs at least one action each");
  if (threads < 1) threads = support_pairs(m, n) >= 1e5 ? accord::get_num_threads() : 1;
  const std::size_t mn = static_cast<std::size_t>(m) * n;
  std::vector<double> Ah(mn), Bh(mn);
  detail::normalise(A, mn, Ah.data());
  detail::normalise(B, mn, Bh.data());
  Equilibria out;
  const int kmax = std::min(m, n);
  const Binomials C(m, kmax);
  constexpr std::int64_t kBlock = 1 << 16;  // row supports per parallel block
  std::vector<Found> found;
  Cancel cancel;
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
          if (cancel.poll()) continue;
          unrank(C, m, k, start + static_cast<std::uint64_t>(t), I.data());
          supports_of_rows(Ah.data(), Bh.data(), m, n, I.data(), k, found[t], cancel);
        }
      }
      cancel.check();
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
  if (threads < 1) threads = m * n >= 144 ? accord::get_num_threads() : 1;
  const std::size_t mn = static_cast<std::size_t>(m) * n;
  std::vector<double> Ah(mn), Bh(mn);
  detail::normalise(A, mn, Ah.data());
  detail::normalise(B, mn, Bh.data());
  const int ld = m + n + 1;
  // P: B^T x + s = 1 (n rows; x = columns 0..m-1, s = m..m+n-1).
  Polytope P{n, m + n, m, 0, ld, std::vector<double>(static_cast<std::size_t>(n) * ld, 0.0),
             {}, {}, false, 0};
  P.T0.resize(P.T0.size() + kLanes, 0.0);  // padding read by first_ratios
  for (int j = 0; j < n; ++j) {
    double* row = &P.T0[static_cast<std::size_t>(j) * ld];
    for (int i = 0; i < m; ++i) row[i] = Bh[static_cast<std::size_t>(i) * n + j];
    row[m + j] = 1.0;
    row[m + n] = 1.0;
  }
  // Q: r + A y = 1 (m rows; r = columns 0..m-1, y = m..m+n-1).
  Polytope Q{m, m + n, 0, m, ld, std::vector<double>(static_cast<std::size_t>(m) * ld, 0.0),
             {}, {}, false, 0};
  Q.T0.resize(Q.T0.size() + kLanes, 0.0);  // padding read by first_ratios
  for (int i = 0; i < m; ++i) {
    double* row = &Q.T0[static_cast<std::size_t>(i) * ld];
    row[i] = 1.0;
    for (int j = 0; j < n; ++j) row[m + j] = Ah[static_cast<std::size_t>(i) * n + j];
    row[m + n] = 1.0;
  }
  std::string error;
  Cancel cancel;
  std::atomic<int> busy{2};
#pragma omp parallel for schedule(static, 1) num_threads(threads > 1 ? 2 : 1)
  for (int which = 0; which < 2; ++which) {
    try {
      if (which == 0) P.enumerate(max_bases, "P", cancel);
      else Q.enumerate(max_bases, "Q", cancel);
    } catch (const std::exception& e) {
#pragma omp critical(accord_vertex_enum)
      if (error.empty()) error = e.what();
    }
    busy.fetch_sub(1);
    if (omp_get_num_threads() > 1) cancel.poll_until_done(busy);
  }
  cancel.check();
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
    cancel.poll_check();
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
