"""Byzantine-robust aggregation of agents' numeric positions under trust weights.

Instead of a heuristic (drop "suspicious" agents, weight the rest by trust, take a trimmed
mean), estimators whose robustness is stated exactly and tested:

* :func:`trimmed_mean`, :func:`median`: coordinate-wise, optionally trust-weighted (Yin, Chen,
  Ramchandran & Bartlett (2018), "Byzantine-Robust Distributed Learning: Towards Optimal
  Statistical Rates", ICML; Huber & Ronchetti (2009), *Robust Statistics*, 2nd ed.);
* :func:`geometric_median`: Weiszfeld (1937) iteration with the Vardi & Zhang (2000)
  treatment of iterates that land on an agent's position, and safeguarded Newton steps;
* :func:`max_byzantine`, :func:`breakdown_point`: how many arbitrary agents each one tolerates.

Conventions: ``positions`` has shape ``(m,)`` or ``(m, d)``, one row per agent; the result is a
new float64 array of shape ``()`` or ``(d,)``. ``weights`` are trust scores ``>= 0``, one per
agent; only their ratios matter and zero-trust agents are ignored.

Guarantee ("tolerates"). Whatever finite values the Byzantine agents B send, the coordinate-wise
estimators return, in every coordinate, a value inside ``[min, max]`` of the honest agents' values
whenever (``W`` = total weight, ``W_B`` = Byzantine weight)

* trimmed mean: ``W_B <= trim * W`` (with ``f=``, ``trim = f/m``); unweighted this is ``|B| <= f``
  (``|B| <= floor(trim * m)``);
* median: ``W_B < W/2``; unweighted ``|B| <= floor((m - 1)/2)``.

Proof sketch: values below the honest minimum all belong to B, so they fill at most the first
``W_B`` of the weight-sorted order; the trimmed mean keeps only the weight in
``(trim*W, (1-trim)*W]`` and the weighted median is picked at ``W/2``; symmetrically at the top.
In floating point the trimmed-mean bound holds as stated, boundary included: retained weights
below ``8*m*eps*W`` (cumulative-sum rounding) are dropped and the result is clipped to the range
of the values actually kept; the weighted median needs ``W_B`` below ``W/2`` by more than that
rounding. The geometric median instead stays within ``2*W_H*r/(W_H - W_B)`` of any point that
has all honest agents within distance ``r``, whenever ``W_B < W_H`` (``W_H = W - W_B``); this
follows from comparing the objective at the output and at that point.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._validate import fail, numeric_array

__all__ = ["breakdown_point", "geometric_median", "max_byzantine", "median", "trimmed_mean"]

METHODS = ("trimmed_mean", "median", "geometric_median", "mean")
_EPS = float(np.finfo(np.float64).eps)


# ----------------------------------------------------------------------------- validation


def _numeric_array(func: str, name: str, x) -> np.ndarray:
    return numeric_array(func, name, x, kinds="biufO")


def _positions(func: str, positions) -> tuple[np.ndarray, bool]:
    """(X, one_d): X is a C-contiguous (d, m) float64 copy, one row per coordinate."""
    a = _numeric_array(func, "positions", positions)
    if a.ndim not in (1, 2):
        fail(func, f"positions must have shape (m,) or (m, d), one row per agent; got {a.shape}")
    if a.shape[0] == 0:
        fail(func, "positions is empty; need at least one agent (row)")
    if a.ndim == 2 and a.shape[1] == 0:
        fail(func, f"positions has no coordinates (shape {a.shape}); need d >= 1 columns")
    bad = ~np.isfinite(a)
    if bad.any():
        idx = np.argwhere(bad)[0]
        what = "NaN" if np.isnan(a[tuple(idx)]) else "an infinite value"
        where = f"row {idx[0]}" + (f", column {idx[1]}" if a.ndim == 2 else "")
        fail(func, f"positions contain {what} at {where}; remove or impute them")
    one_d = a.ndim == 1
    return np.ascontiguousarray(a.reshape(a.shape[0], -1).T), one_d


def _weights(func: str, weights, m: int) -> np.ndarray | None:
    """None, or the trust scores scaled by a power of two (exactly) so that max(w) is in [0.5, 1):
    sums of the weights cannot overflow and integer-ratio weights keep exact ties."""
    if weights is None:
        return None
    w = _numeric_array(func, "weights", weights)
    if w.ndim != 1:
        fail(func, f"weights must be 1-dimensional, one trust score per agent; got shape {w.shape}")
    if w.shape[0] != m:
        fail(
            func,
            f"weights has length {w.shape[0]} but there are {m} agents (rows of "
            "positions); pass one trust score per agent",
        )
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        fail(func, f"weights contain {w[i]} at index {i}; trust scores must be finite")
    neg = w < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        fail(
            func,
            f"weights must be >= 0; weight {i} is {w[i]}; clip negative trust scores "
            "to 0 or drop those agents",
        )
    top = w.max()
    if top == 0:
        fail(func, "weights are all zero; give at least one agent positive trust")
    return np.ldexp(w, -int(np.frexp(top)[1]))


def _trim_amount(func: str, m: int, f, trim) -> tuple[float, int | None]:
    """(beta, f): the fraction of weight trimmed from each tail, and f when given as a count."""
    if (f is None) == (trim is None):
        fail(
            func,
            "pass exactly one of f= (Byzantine agents trimmed from each side) or trim= "
            "(fraction of weight trimmed from each side)",
            TypeError,
        )
    if f is not None:
        if isinstance(f, bool) or not isinstance(f, numbers.Integral):
            fail(func, f"f must be an integer number of agents; got {f!r}", TypeError)
        f = int(f)
        if f < 0:
            fail(func, f"f must be >= 0; got {f}")
        if 2 * f >= m:
            fail(
                func,
                f"f={f} needs at least 2*f+1 = {2 * f + 1} agents but there are {m}; "
                f"lower f to at most {(m - 1) // 2} or add agents",
            )
        return f / m, f
    if isinstance(trim, bool) or not isinstance(trim, numbers.Real):
        fail(func, f"trim must be a number in [0, 0.5); got {trim!r}", TypeError)
    beta = float(trim)
    if not 0.0 <= beta < 0.5:
        fail(func, f"trim must be in [0, 0.5) (the fraction removed from each side); got {trim!r}")
    return beta, None


def _count(beta: float, m: int) -> int:
    """floor(beta*m), reading a product within rounding of an integer as that integer."""
    t = beta * m
    k = round(t)
    return int(k) if abs(t - k) <= 64 * _EPS * max(t, 1.0) else int(np.floor(t))


def _equal(w: np.ndarray | None) -> bool:
    return w is None or bool(np.all(w == w[0]))


def _result(out: np.ndarray, one_d: bool) -> np.ndarray:
    return out.reshape(()) if one_d else out


# ----------------------------------------------------------------------------- kernels (d, m)


def _drop_mean(X: np.ndarray, f: int) -> np.ndarray:
    """Classic rule per row: sort, drop f smallest and f largest, average the rest."""
    m = X.shape[1]
    kept = np.sort(X, axis=1)[:, f : m - f]
    with np.errstate(over="ignore", invalid="ignore"):
        out = kept.mean(axis=1)
    bad = ~np.isfinite(out)
    if bad.any():  # the sum overflowed: average the values scaled into [-1, 1]
        k = kept[bad]
        s = np.abs(k).max(axis=1)
        out[bad] = (k / s[:, None]).mean(axis=1) * s
    return np.clip(out, kept[:, 0], kept[:, -1])


def _sort_with(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights sorted per row by (value, weight): ties are ordered deterministically,
    so permuting the agents leaves every sum, and hence the result, bit-for-bit unchanged."""
    order = np.lexsort((np.broadcast_to(w, X.shape), X), axis=-1)
    return np.take_along_axis(X, order, axis=1), w[order]


def _wmedian(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median per row, midpoint convention (see :func:`median`)."""
    xs, ws = _sort_with(X, w)
    before = np.cumsum(ws, axis=1)  # weight at or below position k
    after = np.zeros_like(before)  # weight strictly above position k
    after[:, :-1] = np.cumsum(ws[:, ::-1], axis=1)[:, ::-1][:, 1:]
    lower = np.argmax(before >= after, axis=1)[:, None]
    upper = np.argmax(before > after, axis=1)[:, None]
    a = np.take_along_axis(xs, lower, axis=1)[:, 0]
    b = np.take_along_axis(xs, upper, axis=1)[:, 0]
    return 0.5 * a + 0.5 * b


def _median(X: np.ndarray) -> np.ndarray:
    m = X.shape[1]
    if m % 2:
        return np.partition(X, m // 2, axis=1)[:, m // 2]
    part = np.partition(X, (m // 2 - 1, m // 2), axis=1)
    return 0.5 * part[:, m // 2 - 1] + 0.5 * part[:, m // 2]


def _wtrim(X: np.ndarray, w: np.ndarray, beta: float) -> np.ndarray:
    """Weighted trimmed mean per row: drop weight beta*W from each tail of the sorted values
    (splitting the boundary agents' weight), average what is left by weight."""
    m = X.shape[1]
    xs, ws = _sort_with(X, w)
    upto = np.cumsum(ws, axis=1)
    below = np.zeros_like(upto)
    below[:, 1:] = upto[:, :-1]
    total = upto[:, -1:]
    lo = beta * total
    hi = total - lo
    raw = np.maximum(np.minimum(upto, hi) - np.maximum(below, lo), 0.0)
    keep = np.where(raw > 8.0 * m * _EPS * total, raw, 0.0)  # rounding cannot let a tail back in
    kept_total = keep.sum(axis=1)
    thin = kept_total == 0  # only when 1 - 2*beta is within rounding of 0
    keep[thin] = raw[thin]
    kept_total[thin] = raw[thin].sum(axis=1)
    out = np.empty(X.shape[0])
    ok = kept_total > 0
    p = keep[ok] / kept_total[ok, None]
    vals = xs[ok]
    out[ok] = (p * vals).sum(axis=1)
    lo_v = np.where(p > 0, vals, np.inf).min(axis=1)
    hi_v = np.where(p > 0, vals, -np.inf).max(axis=1)
    out[ok] = np.clip(out[ok], lo_v, hi_v)
    if not ok.all():  # trim -> 1/2: the limit is the weighted median
        out[~ok] = _wmedian(X[~ok], w)
    return out


# ----------------------------------------------------------------------------- public API


def trimmed_mean(
    positions, weights=None, *, f: int | None = None, trim: float | None = None
) -> np.ndarray:
    """Coordinate-wise (trust-weighted) trimmed mean of the agents' positions.

    Pass exactly one of ``f`` (trim the weight of ``f`` agents, ``f/m`` of the total, from each
    side; needs ``m >= 2f + 1``) or ``trim`` (fraction in ``[0, 0.5)`` trimmed from each side).

    Unweighted with ``f`` (or equal weights, or ``trim*m`` an integer) this is exactly the classic
    rule of Yin et al. (2018): per coordinate sort, drop the ``f`` smallest and ``f``
    largest values and ``np.mean`` the rest (clipped into the kept values' range, which only
    undoes rounding). Otherwise it is the weighted trimmed mean: per coordinate sort by value,
    remove weight ``trim * W`` from each tail (a boundary agent keeps the fraction of its weight
    that lies inside), and average the remaining weight ``(1 - 2 trim) W``; unweighted, every
    agent has weight 1.

    Tolerates Byzantine weight ``<= trim * W`` (``f`` agents unweighted); see the module doc.

    Returns a float64 array of shape ``()`` for ``(m,)`` input, ``(d,)`` for ``(m, d)``.
    """
    func = "trimmed_mean"
    X, one_d = _positions(func, positions)
    m = X.shape[1]
    w = _weights(func, weights, m)
    beta, k = _trim_amount(func, m, f, trim)
    if w is None or _equal(w):
        if k is None:
            k = _count(beta, m)
            if abs(beta * m - k) > 64 * _EPS * max(beta * m, 1.0):  # fractional boundary agent
                return _result(_wtrim(X, np.ones(m), beta), one_d)
        return _result(_drop_mean(X, k), one_d)
    return _result(_wtrim(X, w, beta), one_d)


def median(positions, weights=None) -> np.ndarray:
    """Coordinate-wise (trust-weighted) median of the agents' positions.

    Midpoint convention, deterministic: per coordinate, with values sorted, the lower weighted
    median is the first value whose cumulative weight ``P`` (itself included) is ``>=`` the weight
    strictly above it, the upper the first with ``P >`` that weight; the result is their midpoint.
    Unweighted or with equal weights this is ``np.median`` (the middle value, or the mean of the
    two middle values). Zero-trust agents are never selected.

    Tolerates Byzantine weight ``< W/2`` (``floor((m-1)/2)`` agents unweighted); Yin et al.
    (2018) analyse this estimator for Byzantine-robust learning.

    Returns a float64 array of shape ``()`` for ``(m,)`` input, ``(d,)`` for ``(m, d)``.
    """
    func = "median"
    X, one_d = _positions(func, positions)
    w = _weights(func, weights, X.shape[1])
    return _result(_median(X) if w is None or _equal(w) else _wmedian(X, w), one_d)


def _row_norms(A: np.ndarray) -> np.ndarray:
    """Euclidean norms of the rows, scaled so that neither squares nor sums overflow."""
    s = np.abs(A).max(axis=1)
    safe = np.where(s > 0, s, 1.0)
    return s * np.sqrt(((A / safe[:, None]) ** 2).sum(axis=1))


def _norm(v: np.ndarray) -> float:
    return float(_row_norms(v[None, :])[0])


def _hessian(D: np.ndarray, dist: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of sum_i w_i ||y - x_i|| at y, with D = x - y and every dist > 0,
    both divided by max_i w_i/dist_i (which leaves Newton-type steps unchanged)."""
    c = w / dist
    c /= c.max()
    V = D / dist[:, None]
    g = -(c[:, None] * D).sum(axis=0)
    H = c.sum() * np.eye(D.shape[1]) - (V * c[:, None]).T @ V
    return g, H


def _newton_step(D: np.ndarray, dist: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """Plain Newton step at y (no agent at y); None where the Hessian is singular."""
    g, H = _hessian(D, dist, w)
    try:
        step = np.linalg.solve(H, -g)
    except np.linalg.LinAlgError:
        return None
    return step if np.isfinite(step).all() else None


def _cone_step(E: np.ndarray, dk: np.ndarray, w: np.ndarray, eta: float) -> np.ndarray | None:
    """Newton step from agent position x_k that treats its own term eta*||s|| exactly:
    minimise eta ||s|| + g.s + s.H.s/2 (g, H: the other agents' terms at x_k). The minimiser is
    s = -(H + lam I)^-1 g with lam ||s|| = eta, a monotone 1-D equation in lam solved by
    bisection on the eigenbasis of H. Weiszfeld creeps towards optima near an agent; this lands.
    None where the model has no minimiser (flat directions) or the equation is not met."""
    g, H = _hessian(E, dk, w)
    scale = (w / dk).max()
    eta = eta / scale  # in the units of g, H
    lam_h, Q = np.linalg.eigh(H)
    lam_h = np.maximum(lam_h, 0.0)
    b = Q.T @ g

    def phi(lam: float) -> float:
        return lam * _norm(b / (lam_h + lam))

    hi = max(float(lam_h.max()), 1.0)
    for _ in range(60):
        if phi(hi) > eta:
            break
        hi *= 4.0
    lo = hi
    for _ in range(200):
        if phi(lo) < eta:
            break
        lo /= 4.0
    if not phi(lo) < eta < phi(hi):
        return None
    for _ in range(200):
        mid = float(np.sqrt(lo * hi))
        if not lo < mid < hi:
            break
        if phi(mid) < eta:
            lo = mid
        else:
            hi = mid
    lam = float(np.sqrt(lo * hi))
    step = -Q @ (b / (lam_h + lam))
    return step if np.isfinite(step).all() else None


def _change(
    Z: np.ndarray, w: np.ndarray, D0: np.ndarray, d0: np.ndarray, y0: np.ndarray, y1: np.ndarray
) -> float:
    """f(y1) - f(y0) for f(y) = sum_i w_i ||Z_i - y||, without cancellation: each term is
    ||a|| - ||b|| = <a - b, a + b> / (||a|| + ||b||), exact to rounding even when f is huge
    (far-away agents) or the move is tiny next to f."""
    D1 = Z - y1
    den = d0 + _row_norms(D1)
    den = np.where(den > 0, den, np.inf)[:, None]  # both at the agent: the term is 0
    return float(w @ ((D0 / den + D1 / den) @ (y0 - y1)))  # rows of norm <= 1: no overflow


def _lump_radii(dk: np.ndarray) -> list[float]:
    """Radii around x_k at which the agents split into a tight cluster and the rest (a gap of
    more than 100x in the sorted distances; at most 3, widest gaps first), plus 0."""
    s = np.sort(dk[dk > 0])
    radii = [0.0]
    if len(s) >= 2:
        ratio = s[1:] / s[:-1]
        widest = np.argsort(ratio)[::-1][:3]
        radii += [float(s[j]) for j in widest if ratio[j] > 100.0]
    return radii


def _solve_gm(
    Z: np.ndarray, w: np.ndarray, tol_abs: float, max_iter: int
) -> tuple[np.ndarray, float]:
    """Minimise sum_i w_i ||Z_i - y|| from y = 0. Returns (y, last step)."""
    m, d = Z.shape
    # a move by s changes the objective by at most W*||s||; _change is exact to about
    # (m + d) eps of that, so an alternative must beat Weiszfeld by more (no drifting along
    # flat sets of minimisers, e.g. between the two middle agents on a line)
    noise = 32 * (m + d) * _EPS * float(w.sum())
    y = np.zeros(d)
    step = np.inf
    for _ in range(max_iter):
        D = Z - y
        dist = _row_norms(D)
        k = int(np.argmin(dist))
        if 0 < dist[k] <= max(tol_abs, _EPS * _EPS):  # within tolerance of an agent: sit on
            y = Z[k].copy()  # it, so that the Vardi & Zhang step applies (Weiszfeld stalls)
            D = Z - y
            dist = _row_norms(D)
        E = Z - Z[k]
        dk = _row_norms(E)
        at = dk == 0
        if at.all():
            return Z[k], 0.0
        eta = float(w[at].sum())
        pull = (w[~at, None] * (E[~at] / dk[~at, None])).sum(axis=0)
        r = _norm(pull)
        if r < eta * (1 - 16 * m * _EPS):  # the nearest agent's position is the unique optimum
            return Z[k], 0.0
        on = dist == 0
        q = w[~on] / dist[~on]
        q /= q.max()
        new = (q[:, None] * Z[~on]).sum(axis=0) / q.sum()  # Weiszfeld
        if on.any():  # Vardi & Zhang: y is Z[k]; move 1 - eta/r of the way to the Weiszfeld point
            gamma = eta / r
            new = (1.0 - gamma) * new + gamma * y
        # Alternatives, kept when they lower the objective more: Newton from y; the nearest
        # agent; Newton from it with it (and any tight cluster around it) as an exact cone.
        # A cluster's cone model is only local: back off along it (halving) until it helps.
        candidates = [Z[k]]
        best = _change(Z, w, D, dist, y, new)
        if not on.any():
            newton = _newton_step(D, dist, w)
            # in flat, elongated valleys the full step overshoots: back off (halving)
            for halvings in range(30 if newton is not None else 0):
                assert newton is not None
                cand = y + np.ldexp(newton, -halvings)
                if _change(Z, w, D, dist, y, cand) < best - noise * _norm(cand - y):
                    candidates.append(cand)
                    break
        for radius in _lump_radii(dk):
            inside = dk <= radius
            cone = _cone_step(E[~inside], dk[~inside], w[~inside], float(w[inside].sum()))
            if cone is None:
                continue
            for halvings in range(30 if radius > 0 else 1):
                cand = Z[k] + np.ldexp(cone, -halvings)
                val = _change(Z, w, D, dist, y, cand)
                if val < best - noise * _norm(cand - y):
                    best, new = val, cand
                    break
        for cand in candidates:
            if cand is not None:
                val = _change(Z, w, D, dist, y, cand)
                if val < best - noise * _norm(cand - y):
                    best, new = val, cand
        step = _norm(new - y)
        y = new
        if step <= tol_abs:
            return y, step
    return y, step


#: Coordinates above 2**_BIG in magnitude make geometric_median work in units of 2**_SHIFT.
_BIG = 1000
_SHIFT = 64


def geometric_median(
    positions, weights=None, *, tol: float = 1e-10, max_iter: int = 1000
) -> np.ndarray:
    """(Trust-weighted) geometric median: argmin_y sum_i w_i ||x_i - y||_2.

    Weiszfeld's (1937) fixed-point iteration, started at the coordinate-wise median, with
    standard safeguards: the Vardi & Zhang (2000) step when the iterate sits on an agent's
    position; a test whether the nearest agent's position satisfies the strict optimality
    condition ``||sum_{x_i != x_k} w_i (x_i - x_k)/||x_i - x_k|| || < weight at x_k`` (it is then
    the unique minimiser); and Newton steps (plain, and from the nearest agent's position with
    its own cone-shaped term, or that of a tight cluster around it, kept exact) taken instead
    whenever they lower the objective more (compared without cancellation), since Weiszfeld
    alone crawls when the optimum is near an agent or the iterate sits in a tight cluster. With
    ``d >= m`` the problem is first rotated into the at most ``m``-dimensional span of the
    agents, so each iteration costs O(m min(m, d)^2 + min(m, d)^3). Stops when a step is at most
    ``tol`` times the weighted median distance of the agents from the start; warns
    (``RuntimeWarning``) and returns the last iterate after ``max_iter`` iterations.
    Deterministic (no randomness).

    With one coordinate (``(m,)`` or ``(m, 1)`` input) the minimisers form an interval whose
    midpoint is :func:`median`, which is returned. Tolerates Byzantine weight ``< W/2`` in the
    bounded-distance sense of the module doc (breakdown point ``floor((m+1)/2)/m``: Lopuhaa &
    Rousseeuw (1991), Annals of Statistics).
    """
    func = "geometric_median"
    X, one_d = _positions(func, positions)
    d, m = X.shape
    w = _weights(func, weights, m)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < np.inf:
        fail(func, f"tol must be a positive finite number; got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral):
        fail(func, f"max_iter must be an integer; got {max_iter!r}", TypeError)
    if max_iter < 1:
        fail(func, f"max_iter must be >= 1; got {max_iter}")
    if d == 1:
        return _result(_median(X) if _equal(w) else _wmedian(X, w), one_d)
    if w is None:
        w = np.ones(m)
    pts = np.ascontiguousarray(X.T[w > 0])
    w = w[w > 0]
    m = len(w)
    # Near the float64 limit, offsets between agents (and their norms) overflow: work in
    # units of 2**_SHIFT there (exact; it only flushes values below 2**-1010 of the
    # largest coordinate, far beneath the result's accuracy) and map back at the end.
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    shift = _SHIFT if max(-float(lo.min()), float(hi.max())) > 2.0**_BIG else 0
    if shift:
        pts = np.ldexp(pts, -shift)
    c = _median(pts.T) if _equal(w) else _wmedian(pts.T, w)
    Z = pts - c  # work relative to the start: less cancellation, same answer shifted
    scale = float(_wmedian(_row_norms(Z)[None, :], w)[0])
    if scale == 0:  # more than half of the weight sits at c, which is therefore optimal
        return np.clip(np.ldexp(c, shift), lo, hi)
    # Solve in units of a power of two near max |Z| (exact scaling): 1/distance and distance
    # ratios cannot overflow once offsets below the rounding level of that unit (eps^2) are
    # zero, which moves no agent by more than the result's own accuracy.
    exponent = int(np.frexp(np.abs(Z).max())[1])
    Z = np.ldexp(Z, -exponent)
    Z[np.abs(Z) < _EPS * _EPS] = 0.0
    tol_abs = float(np.ldexp(tol * scale, -exponent))
    if d >= m:  # the minimiser lies in the agents' span: rotate into it (an isometry)
        basis = np.linalg.qr(Z.T)[0]  # (d, m), orthonormal columns spanning the rows of Z
        y, step = _solve_gm(Z @ basis, w, tol_abs, int(max_iter))
        y = basis @ y
    else:
        y, step = _solve_gm(Z, w, tol_abs, int(max_iter))
    if step > tol_abs:
        warnings.warn(
            f"geometric_median(): no convergence in {max_iter} iterations (last step "
            f"{float(np.ldexp(step, exponent + shift)):.3g} > tol*scale = "
            f"{float(np.ldexp(tol * scale, shift)):.3g}); raise max_iter or loosen tol",
            RuntimeWarning,
            stacklevel=2,
        )
    # the minimiser lies in the agents' convex hull, so in their bounding box: clipping
    # only undoes rounding (which could otherwise step past the largest float64)
    y = np.clip(np.ldexp(y, exponent) + c, np.ldexp(lo, -shift), np.ldexp(hi, -shift))
    return np.clip(np.ldexp(y, shift), lo, hi)


def _max_byzantine(func: str, method: str, m, weights, f, trim) -> int:
    if method not in METHODS:
        fail(func, f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if isinstance(m, bool) or not isinstance(m, numbers.Integral):
        fail(func, f"m must be an integer number of agents; got {m!r}", TypeError)
    m = int(m)
    if m < 1:
        fail(func, f"m must be >= 1 (number of agents); got {m}")
    w = _weights(func, weights, m)
    if method != "trimmed_mean" and (f is not None or trim is not None):
        fail(func, f"f= and trim= apply only to method 'trimmed_mean', not {method!r}", TypeError)
    if method == "mean":
        return 0
    heaviest = None if w is None or _equal(w) else np.cumsum(np.sort(w)[::-1])
    if method == "trimmed_mean":
        beta, k = _trim_amount(func, m, f, trim)
        if heaviest is None:
            return k if k is not None else _count(beta, m)
        budget = beta * heaviest[-1]
        return int(np.searchsorted(heaviest, budget * (1 + 8 * m * _EPS), side="right"))
    if heaviest is None:
        return (m - 1) // 2
    return int(np.count_nonzero(2 * heaviest < heaviest[-1]))


def max_byzantine(
    method: str, m: int, *, weights=None, f: int | None = None, trim: float | None = None
) -> int:
    """Largest number of agents that may be Byzantine (send arbitrary values) while ``method``
    keeps the guarantee in the module doc; with ``weights`` the adversary is assumed to hold the
    most-trusted agents (worst case).

    ``method``: ``'trimmed_mean'`` (give ``f`` or ``trim`` as to :func:`trimmed_mean`; ``f``,
    resp. ``floor(trim*m)``, unweighted), ``'median'`` and ``'geometric_median'``
    (``floor((m-1)/2)`` unweighted; Byzantine weight ``< W/2``), ``'mean'`` (0).
    """
    return _max_byzantine("max_byzantine", method, m, weights, f, trim)


def breakdown_point(
    method: str, m: int, *, weights=None, f: int | None = None, trim: float | None = None
) -> float:
    """``max_byzantine(...) / m``: the largest tolerated fraction of Byzantine agents, e.g.
    ``f/m`` for the trimmed mean with ``f`` trimmed and ``floor((m-1)/2)/m`` for the median.
    This is the finite-sample breakdown point of Donoho & Huber (1983), "The notion of breakdown
    point") minus ``1/m``: theirs counts the smallest fraction that can break the estimate."""
    return _max_byzantine("breakdown_point", method, m, weights, f, trim) / int(m)
