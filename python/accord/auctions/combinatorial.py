"""VCG with the Clarke pivot for multi-unit and combinatorial (XOR) bids, forward and reverse.

Vickrey (1961), Clarke (1971), Groves (1973). Bids are XOR bids: bidder ``i`` submits atoms
``(bundle, value)`` and wins at most one of them. Winner determination is the integer program

* forward (sell ``supply[j]`` units of each item ``j``): maximise ``sum_a v_a x_a`` subject to
  ``sum_a q_aj x_a <= supply[j]`` for every item and ``sum_{a of i} x_a <= 1`` for every
  bidder, ``x`` binary;
* reverse (procure ``demand[j]`` units of each item from sellers' bundle asks): minimise
  ``sum_a c_a x_a`` subject to ``sum_a q_aj x_a >= demand[j]`` (surplus units are disposed of
  freely) and one atom per seller,

solved exactly by HiGHS (Huangfu & Hall 2018, through :mod:`accord._highs`) with zero relative and
absolute MIP gaps and tolerances of :data:`TOLERANCE` on values scaled by the largest bid (so
welfare is optimal up to about ``1e-10`` of the largest bid value; allocations whose welfare
differs by less may be confused); the 0/1 solution is rounded, checked against every constraint
in integer arithmetic, and the objective is recomputed from the chosen atoms.

Clarke pivot payments, with ``W`` the optimal welfare and ``W(-i)`` the optimum without
bidder ``i``: forward ``p_i = W(-i) - (W - v_i(a*))``, so ``u_i = v_i(a*) - p_i = W - W(-i)``;
reverse (``C`` the minimal cost) ``p_i = C(-i) - (C - c_i(a*))``, so ``u_i = C(-i) - C``.
Utilities therefore do not depend on which welfare-maximising allocation is returned; the
allocation does (ties between optimal allocations are settled by HiGHS, reproducibly for the
same input, not by a stated rule). Properties tested: DSIC, individual rationality (``u_i >=
0``), efficiency, no deficit forward (``p_i >= 0``); in procurement the buyer can pay more than
any seller set would cost (overpayment). A seller without whom the demand cannot be met is
*essential*: its VCG payment is unbounded. ``essential="raise"`` (default) refuses such
instances with a ValueError naming the sellers; ``essential="report"`` returns them in
``VCGOutcome.essential`` with payment and utility ``inf``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import _highs
from .._backend import to_host
from .._masks import members
from .._validate import check_bytes, choice, fail, flag
from ._common import numeric_array

__all__ = ["MAX_ATOMS", "VCGOutcome", "vcg", "vcg_multi_unit"]

#: Largest number of atomic bids accepted (each VCG call solves ``n + 1`` integer programs).
MAX_ATOMS = 100_000
#: HiGHS primal, dual and MIP feasibility tolerance, on values scaled by the largest bid: the
#: welfare found is optimal up to about this fraction of the largest bid value.
TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class VCGOutcome:
    """Result of :func:`vcg` and :func:`vcg_multi_unit`.

    Attributes
    ----------
    allocation
        ``(n, n_items)`` int64 units of each item allocated to (reverse: bought
        from) each bidder; for :func:`vcg_multi_unit` ``n_items == 1``.
    bid_index
        ``(n,)`` int64 index of each bidder's winning atom in its input (the bid list
        of :func:`vcg`; ``q - 1`` for ``q`` units in :func:`vcg_multi_unit`), -1 if none.
    values
        ``(n,)`` reported value (reverse: cost) of each bidder's allocation.
    payments
        ``(n,)`` Clarke payments: paid by (reverse: paid to) each bidder.
    utilities
        ``(n,)`` ``W - W(-i)`` forward, ``C(-i) - C`` reverse (at the reports).
    welfare
        optimal total reported value ``W`` (reverse: minimal total cost ``C``).
    welfare_without
        ``(n,)`` ``W(-i)`` (reverse ``C(-i)``, ``inf`` for essential sellers).
    revenue
        sum of payments: the seller's revenue (reverse: the buyer's spend).
    essential
        sellers whose removal makes the demand infeasible (reverse only).
    reverse
        True for procurement.
    """

    allocation: np.ndarray
    bid_index: np.ndarray
    values: np.ndarray
    payments: np.ndarray
    utilities: np.ndarray
    welfare: float
    welfare_without: np.ndarray
    revenue: float
    essential: tuple[int, ...]
    reverse: bool


# ----------------------------------------------------------------------------- the IP


def _solve(
    func: str,
    value: np.ndarray,
    q: np.ndarray,
    owner: np.ndarray,
    cap: np.ndarray,
    reverse: bool,
    keep: np.ndarray,
) -> tuple[np.ndarray, float] | None:
    """Optimal 0/1 choice of the atoms with ``keep``; None when (reverse) infeasible."""
    x = np.zeros(value.shape[0], dtype=np.int64)
    cols = np.flatnonzero(keep)
    n_items = cap.shape[0]
    if cols.size == 0:
        if reverse and (cap > 0).any():
            return None
        return x, 0.0
    owners, row_of_owner = np.unique(owner[cols], return_inverse=True)
    n_rows = n_items + owners.size
    # Column-wise matrix: the items of each atom, then its owner's row.
    qc = q[cols]
    starts = [0]
    index: list[np.ndarray] = []
    entries: list[np.ndarray] = []
    for k in range(cols.size):
        items = np.flatnonzero(qc[k])
        index.append(np.append(items, n_items + row_of_owner[k]))
        entries.append(np.append(qc[k, items].astype(np.float64), 1.0))
        starts.append(starts[-1] + items.size + 1)
    matrix = sp.csc_array(
        (
            np.concatenate(entries),
            np.concatenate(index).astype(np.int32),
            np.asarray(starts, dtype=np.int32),
        ),
        shape=(n_rows, cols.size),
    )
    # Costs scaled to [0, 1] so that HiGHS's absolute tolerances are relative to the largest bid.
    top = float(value[cols].max())
    scaled = value[cols] / top if top > 0 else value[cols]
    inf = _highs.INF
    if reverse:
        row_lo = np.concatenate([cap.astype(np.float64), np.full(owners.size, -inf)])
        row_hi = np.concatenate([np.full(n_items, inf), np.ones(owners.size)])
    else:
        row_lo = np.full(n_rows, -inf)
        row_hi = np.concatenate([cap.astype(np.float64), np.ones(owners.size)])
    try:
        sol = _highs.solve(
            func,
            "the winner determination",
            cost=scaled if reverse else -scaled,
            matrix=matrix,
            row_lower=row_lo,
            row_upper=row_hi,
            col_lower=0.0,
            col_upper=1.0,
            preset="mip",
            tol=TOLERANCE,
            integer=True,
        )
    except _highs.InfeasibleError:
        if reverse:
            return None
        fail(func, "internal error: the forward winner determination was infeasible", RuntimeError)
    xs = np.rint(sol.x).astype(np.int64)
    x[cols] = xs
    used = (q * x[:, None]).sum(axis=0)
    per_owner = np.bincount(owner, weights=x, minlength=int(owner.max()) + 1)
    ok = (per_owner <= 1).all() and ((used >= cap).all() if reverse else (used <= cap).all())
    if not ok or (xs < 0).any() or (xs > 1).any():
        fail(
            func,
            "internal error: HiGHS returned an allocation that violates a constraint",
            RuntimeError,
        )
    return x, _total(func, value[x == 1], reverse)


def _overflow(func: str, what: str) -> None:
    fail(
        func,
        f"{what} overflows float64 (above {np.finfo(np.float64).max:.4g}); rescale the "
        "values, for example divide every value by 1e300: the VCG allocation does not "
        "change and every payment scales by the same factor",
    )


def _total(func: str, values: np.ndarray, reverse: bool) -> float:
    """The sum of ``values``, refused with a clear error when it overflows float64."""
    with np.errstate(over="ignore"):
        total = float(np.sum(values))
    if not np.isfinite(total):
        _overflow(
            func,
            "the sellers' total cost (the sum of the winning asks)"
            if reverse
            else "the bids' welfare (the sum of the winning values)",
        )
    return total


def _clarke(func: str, value, q, owner, cap, n: int, reverse: bool, essential: str) -> VCGOutcome:
    if value.shape[0] > MAX_ATOMS:
        fail(
            func,
            f"{value.shape[0]} atomic bids exceed MAX_ATOMS = {MAX_ATOMS}; split the "
            "market or prune dominated bids",
        )
    everyone = np.ones(value.shape[0], dtype=bool)
    best = _solve(func, value, q, owner, cap, reverse, everyone)
    if best is None:
        fail(
            func,
            "the demand cannot be met even with every seller's asks; lower demand= or add asks",
        )
    x, total = best
    without = np.full(n, total)  # removing a loser does not change the optimum
    for i in np.unique(owner[x == 1]).tolist():
        mine = owner == i
        res = _solve(func, value, q, owner, cap, reverse, ~mine)
        without[i] = np.inf if res is None else res[1]
    ess = tuple(int(i) for i in np.flatnonzero(np.isinf(without)))
    if ess and essential == "raise":
        fail(
            func,
            f"seller(s) {list(ess)} are essential: without them the demand cannot be "
            "met, so their VCG payment is unbounded; pass essential='report' to get the "
            "outcome with infinite payments, or add competing asks",
        )
    won = x == 1
    vals = np.bincount(owner[won], weights=value[won], minlength=n)[:n]
    alloc = np.zeros((n, cap.shape[0]), dtype=np.int64)
    np.add.at(alloc, owner[won], q[won])
    bid_index = np.full(n, -1, dtype=np.int64)
    bid_index[owner[won]] = np.flatnonzero(won)
    finite = np.isfinite(without)
    payments = np.full(n, np.inf)
    utilities = np.full(n, np.inf)
    if reverse:
        payments[finite] = without[finite] - (total - vals[finite])
        utilities[finite] = without[finite] - total
    else:
        payments[finite] = without[finite] - (total - vals[finite])
        utilities[finite] = total - without[finite]
    with np.errstate(over="ignore"):
        revenue = float(payments.sum())
    if np.isnan(revenue) or (np.isinf(revenue) and np.isfinite(payments).all()):
        _overflow(func, "the total of the VCG payments")
    return VCGOutcome(
        allocation=alloc,
        bid_index=bid_index,
        values=vals,
        payments=payments,
        utilities=utilities,
        welfare=total,
        welfare_without=without,
        revenue=revenue,
        essential=ess,
        reverse=reverse,
    )


# ----------------------------------------------------------------------------- input


def _int(func: str, name: str, x, minimum: int) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        fail(func, f"{name} must be an integer; got {x!r}", TypeError)
    if x < minimum:
        fail(func, f"{name} must be >= {minimum}; got {x}")
    return int(x)


def _bundle(func: str, k: int, bundle) -> list[int]:
    if isinstance(bundle, (bool, np.bool_)):
        fail(
            func,
            f"bids[{k}]: bundle must be a bitmask or a collection of item indices; got {bundle!r}",
            TypeError,
        )
    if isinstance(bundle, numbers.Integral):
        mask = int(bundle)
        if mask <= 0:
            fail(
                func,
                f"bids[{k}]: bundle bitmask must be >= 1 (a non-empty set of items); got {mask}",
            )
        bits = mask.bit_length()
        check_bytes(
            func,
            8 * bits,
            f"bids[{k}]: a bundle bitmask of {bits} bits",
            "a collection of item indices, or fewer items",
        )
        if bits <= 64:
            return members(mask).tolist()
        # Long masks: unpack the bytes at once (bit tests one by one are quadratic).
        raw = np.frombuffer(mask.to_bytes((bits + 7) // 8, "little"), dtype=np.uint8)
        return np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()
    if isinstance(bundle, (str, bytes)) or not isinstance(bundle, Iterable):
        fail(
            func,
            f"bids[{k}]: bundle must be a bitmask or a collection of item indices; got {bundle!r}",
            TypeError,
        )
    items = list(bundle)
    if not items:
        fail(func, f"bids[{k}]: bundle is empty; a bid must name at least one item")
    for j in items:
        if isinstance(j, (bool, np.bool_)) or not isinstance(j, numbers.Integral) or j < 0:
            fail(func, f"bids[{k}]: bundle items must be non-negative integers; got {j!r}")
    if len(set(items)) != len(items):
        fail(func, f"bids[{k}]: bundle {items} names an item twice")
    return sorted(int(j) for j in items)


def _counts(func: str, name: str, x, m: int, clip: int) -> np.ndarray:
    """Non-negative integer counts per item; counts above ``clip`` (more units than any
    allocation can use, or than all bids together can supply) are lowered to ``clip``,
    which changes no outcome and keeps them within int64."""
    a = numeric_array(func, name, x)
    if a.ndim == 0:
        a = np.full(m, float(a))
    if a.shape != (m,):
        fail(
            func, f"{name} must be a scalar or have shape ({m},), one entry per item; got {a.shape}"
        )
    if not np.isfinite(a).all() or (a < 0).any() or (a != np.rint(a)).any():
        fail(func, f"{name} must be non-negative integers; got {a.tolist()}")
    return np.minimum(a, float(clip)).astype(np.int64)


def _essential_option(func: str, essential) -> None:
    choice(func, "essential", essential, ("raise", "report"))


def vcg(
    bids: Sequence,
    *,
    n_items: int | None = None,
    n_bidders: int | None = None,
    reverse: bool = False,
    supply=None,
    demand=None,
    essential: str = "raise",
) -> VCGOutcome:
    """VCG auction with the Clarke pivot for combinatorial XOR bids (Clarke 1971, Groves 1973).

    Parameters
    ----------
    bids
        sequence of ``(bidder, bundle, value)``: ``bidder`` an int ``>= 0``; ``bundle`` an
        int bitmask (bit ``j`` = item ``j``) or a collection of distinct item indices;
        ``value`` finite and ``>= 0`` (reverse: the seller's ask for supplying the bundle).
        Each bidder wins at most one of its bids (XOR).
    n_items
        number of items (default: one more than the largest item named).
    n_bidders
        number of bidders (default: one more than the largest bidder index);
        bidders without bids get nothing and pay nothing.
    reverse
        procurement: the buyer needs ``demand`` and pays sellers.
    supply
        forward units of each item for sale (scalar or ``(n_items,)``; default 1).
    demand
        reverse units of each item the buyer needs (default 1).
    essential
        ``"raise"`` or ``"report"`` (see the module docstring).

    Returns
    -------
    VCGOutcome
        Winner determination: an integer program solved by HiGHS.
    """
    func = "vcg"
    _essential_option(func, essential)
    if isinstance(bids, (str, bytes)) or not isinstance(bids, Sequence):
        fail(
            func,
            f"bids must be a sequence of (bidder, bundle, value); got {type(bids).__name__}",
            TypeError,
        )
    if len(bids) == 0:
        fail(func, "bids is empty; give at least one (bidder, bundle, value) bid")
    owners, bundles, vals = [], [], []
    for k, entry in enumerate(bids):
        if isinstance(entry, (str, bytes)) or not isinstance(entry, Sequence) or len(entry) != 3:
            fail(
                func,
                f"bids[{k}] must be a (bidder, bundle, value) triple; got {entry!r}",
                TypeError,
            )
        who, bundle, value = entry
        owners.append(_int(func, f"bids[{k}]: bidder", who, 0))
        bundles.append(_bundle(func, k, bundle))
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            fail(func, f"bids[{k}]: value must be a real number; got {value!r}", TypeError)
        value = float(value)
        if not np.isfinite(value) or value < 0:
            fail(func, f"bids[{k}]: value must be finite and >= 0; got {value}")
        vals.append(value)
    top_item = max(max(b) for b in bundles)
    m = top_item + 1 if n_items is None else _int(func, "n_items", n_items, 1)
    if top_item >= m:
        fail(func, f"n_items = {m} but a bid names item {top_item}; raise n_items")
    n = max(owners) + 1 if n_bidders is None else _int(func, "n_bidders", n_bidders, 1)
    if max(owners) >= n:
        fail(func, f"n_bidders = {n} but a bid comes from bidder {max(owners)}")
    check_bytes(
        func,
        8 * m * (len(bids) + n) + 48 * n,
        f"the bid and allocation tables ({len(bids)} bids, {n} bidders, {m} items)",
        "smaller bidder and item indices (number them from 0) or fewer items",
    )
    if not isinstance(reverse, (bool, np.bool_)):
        fail(func, f"reverse must be True or False; got {reverse!r}", TypeError)
    if reverse:
        if supply is not None:
            fail(func, "supply= is for forward auctions; a procurement auction takes demand=")
        cap = (
            np.ones(m, dtype=np.int64)
            if demand is None
            else _counts(func, "demand", demand, m, len(bids) + 1)
        )
    else:
        if demand is not None:
            fail(func, "demand= is for reverse auctions; a forward auction takes supply=")
        cap = (
            np.ones(m, dtype=np.int64)
            if supply is None
            else _counts(func, "supply", supply, m, len(bids))
        )
    q = np.zeros((len(bids), m), dtype=np.int64)
    for k, items in enumerate(bundles):
        q[k, items] = 1
    return _clarke(
        func,
        np.asarray(vals),
        q,
        np.asarray(owners, dtype=np.int64),
        cap,
        n,
        bool(reverse),
        essential,
    )


def vcg_multi_unit(
    values, units: int, *, marginal: bool = True, reverse: bool = False, essential: str = "raise"
) -> VCGOutcome:
    """VCG with the Clarke pivot for ``units`` identical units (Vickrey 1961, Clarke 1971).

    Parameters
    ----------
    values
        ``(n, k)`` table: with ``marginal=True`` ``values[i, t]`` is bidder ``i``'s value
        of its ``(t+1)``-th unit (any shape of marginal values, not only decreasing), so
        ``V_i(q) = values[i, :q].sum()``; with ``marginal=False`` ``values[i, q-1] = V_i(q)``
        directly. Finite; marginal values ``>= 0`` (totals ``>= 0``). Reverse: costs of
        supplying ``q`` units.
    units
        units for sale (reverse: units the buyer needs), ``>= 1``.
    reverse
        procurement: sellers supply at least ``units`` in total, at minimal cost.
    essential
        as :func:`vcg`.

    Returns
    -------
    VCGOutcome
        With ``allocation[:, 0]`` the units of each bidder and ``bid_index[i] = q-1``.
    """
    func = "vcg_multi_unit"
    _essential_option(func, essential)
    marginal = flag(func, "marginal", marginal)
    v = numeric_array(func, "values", to_host(values))
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] == 0:
        fail(
            func,
            f"values must have shape (n, k) with n, k >= 1 (one row per bidder, one "
            f"column per unit); got {v.shape}",
        )
    if not np.isfinite(v).all():
        i, t = (int(a) for a in np.argwhere(~np.isfinite(v))[0])
        fail(func, f"values must be finite; entry ({i}, {t}) is {v[i, t]}")
    if (v < 0).any():
        i, t = (int(a) for a in np.argwhere(v < 0)[0])
        fail(func, f"values must be >= 0; entry ({i}, {t}) is {v[i, t]}")
    units = _int(func, "units", units, 1)
    # More units than all bidders can take (forward) or supply (reverse) change nothing.
    units = min(units, v.shape[0] * v.shape[1] + 1)
    if not isinstance(reverse, (bool, np.bool_)):
        fail(func, f"reverse must be True or False; got {reverse!r}", TypeError)
    n, k = v.shape
    with np.errstate(over="ignore"):
        totals = np.cumsum(v, axis=1) if marginal else v
    if not np.isfinite(totals).all():
        i, t = (int(a) for a in np.argwhere(~np.isfinite(totals))[0])
        _overflow(func, f"bidder {i}'s value of {t + 1} units (the sum values[{i}, :{t + 1}])")
    qs = np.tile(np.arange(1, k + 1, dtype=np.int64), n)
    owner = np.repeat(np.arange(n, dtype=np.int64), k)
    value = totals.reshape(-1)
    keep = np.ones(n * k, dtype=bool) if reverse else qs <= units  # infeasible atoms dropped
    out = _clarke(
        func,
        value[keep],
        qs[keep][:, None],
        owner[keep],
        np.array([units], dtype=np.int64),
        n,
        bool(reverse),
        essential,
    )
    # Atom indices refer to the kept atoms: translate them to q - 1.
    atom_q = qs[keep]
    bid_index = np.where(out.bid_index >= 0, atom_q[np.maximum(out.bid_index, 0)] - 1, -1)
    return VCGOutcome(
        allocation=out.allocation,
        bid_index=bid_index,
        values=out.values,
        payments=out.payments,
        utilities=out.utilities,
        welfare=out.welfare,
        welfare_without=out.welfare_without,
        revenue=out.revenue,
        essential=out.essential,
        reverse=out.reverse,
    )
