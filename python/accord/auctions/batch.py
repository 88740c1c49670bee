"""Many independent sealed-bid auctions as one array operation (NumPy on the CPU, CuPy on the GPU).

``batch_auction`` evaluates ``B`` auctions with up to ``n`` bidders each, given a ``(B, n)`` bid
table, with the rules, reserve semantics and tie-breaking of :mod:`accord.auctions.single`
(Vickrey 1961; Myerson 1981 and Riley & Samuelson 1981 for reserves). Row ``i`` gives exactly
the outcome of ``first_price``/``second_price`` on the participating bids of that row (the same
floating-point numbers; a test checks this), with bidder indices of the full row. There is no
Python loop over auctions: every step is a reduction or an elementwise operation over the table.

``mask`` marks who participates (default everyone); a row without participants is a no sale.
Arrays of the input's module come back: CuPy input gives CuPy output, computed on the GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._backend import array_module, is_device_array, to_host
from .._validate import as_array, fail
from ._common import generator, tie_break_and_mechanism

__all__ = ["BatchOutcome", "batch_auction"]


@dataclass(frozen=True, eq=False)
class BatchOutcome:
    """Result of :func:`batch_auction` (arrays on the input's device).

    Attributes
    ----------
    winner
        ``(B,)`` int64 winning bidder per auction, -1 for no sale.
    sold
        ``(B,)`` bool.
    price
        ``(B,)`` price formed, NaN for no sale.
    payment
        ``(B,)`` amount the winner pays (reverse: is paid), 0.0 for no sale.
    revenue
        ``(B,)`` seller's revenue (reverse: buyer's spend); equal to ``payment``.
    utilities
        ``(B, n)`` utilities (0 for losers and non-participants), or None without
        ``values``.
    efficiency
        ``(B,)`` realised over best possible surplus among the participants, or None
        without ``values``; 1.0 for a row without participants.
    participants
        ``(B,)`` int64 number of participating bidders.
    mechanism
        ``"first"`` or ``"second"``.
    reverse
        True for procurement auctions.
    """

    winner: np.ndarray
    sold: np.ndarray
    price: np.ndarray
    payment: np.ndarray
    revenue: np.ndarray
    utilities: np.ndarray | None
    efficiency: np.ndarray | None
    participants: np.ndarray
    mechanism: str
    reverse: bool


def _table(func: str, name: str, x, xp, shape=None):
    if isinstance(x, (str, bytes)) or x is None:
        fail(func, f"{name} must be an array of numbers; got {type(x).__name__}", TypeError)
    try:
        a = xp.asarray(x)
    except (TypeError, ValueError) as exc:
        fail(func, f"{name} must be a rectangular array of numbers; got {exc}")
    if a.dtype.kind not in "biuf":
        fail(func, f"{name} must be real numbers; got dtype {a.dtype}", TypeError)
    a = a.astype(xp.float64, copy=False)
    if shape is None and a.ndim != 2:
        fail(
            func,
            f"{name} must be 2-dimensional (auctions x bidders); got shape {a.shape}; use "
            "first_price/second_price for one auction",
        )
    if shape is not None and a.shape != shape:
        fail(func, f"{name} must have the shape of bids {shape}; got {a.shape}")
    if a.size and not (float(a.min()) >= 0.0 and float(a.max()) < np.inf):  # NaN fails too
        if not bool(xp.isfinite(a).all()):
            i, j = (int(k) for k in to_host(xp.argwhere(~xp.isfinite(a))[0]))
            fail(
                func,
                f"{name} must be finite; entry ({i}, {j}) is {float(a[i, j])} (use mask= "
                "to leave a bidder out of an auction)",
            )
        if bool((a < 0).any()):
            i, j = (int(k) for k in to_host(xp.argwhere(a < 0)[0]))
            fail(func, f"{name} must be >= 0; entry ({i}, {j}) is {float(a[i, j])}")
    return a


def batch_auction(
    bids,
    *,
    mechanism: str = "second",
    reserve=None,
    reverse: bool = False,
    values=None,
    mask=None,
    tie_break: str = "lowest-index",
    seed=None,
) -> BatchOutcome:
    """Evaluate ``B`` independent first- or second-price auctions at once.

    Parameters
    ----------
    bids
        ``(B, n)`` non-negative finite bids (reverse: asks); NumPy or CuPy. ``n >= 1``;
        ``B == 0`` gives empty results.
    mechanism
        ``"first"`` or ``"second"`` (Vickrey 1961).
    reserve
        None, a scalar, or ``(B,)`` per-auction reserves (forward: minimum bid; reverse:
        maximum ask), finite and ``>= 0``.
    reverse
        procurement auctions (lowest ask wins).
    values
        ``(B, n)`` values (reverse: costs) for utilities and efficiency.
    mask
        ``(B, n)`` bool, True where the bidder participates; default all True.
    tie_break
        ``"lowest-index"`` (default) or ``"random"``: ``u = rng.random((B, n))`` is
        drawn on the host from ``seed`` (the same numbers on CPU and GPU; row ``i`` equals
        ``rng.random(n)`` for ``B == 1``) and the tied bidder with the largest ``u`` wins.
    seed
        None, an int or a ``numpy.random.Generator``; used only by ``"random"``.

    Raises
    ------
    ValueError
        bad shapes, NaN/inf or negative entries (the message names the entry), a
        reverse second-price auction with exactly one participant and no reserve (its
        price is unbounded).
    """
    return _batch_auction(
        "batch_auction",
        bids,
        mechanism=mechanism,
        reserve=reserve,
        reverse=reverse,
        values=values,
        mask=mask,
        tie_break=tie_break,
        seed=seed,
    )


def _batch_auction(
    func: str,
    bids,
    *,
    mechanism: str = "second",
    reserve=None,
    reverse: bool = False,
    values=None,
    mask=None,
    tie_break: str = "lowest-index",
    seed=None,
) -> BatchOutcome:
    """:func:`batch_auction` with its argument errors named after ``func``, the public
    function the user called (``repeated_auction``, ``task_auction``)."""
    tie_break_and_mechanism(func, mechanism, tie_break)
    if not isinstance(reverse, (bool, np.bool_)):
        fail(func, f"reverse must be True or False; got {reverse!r}", TypeError)
    reverse = bool(reverse)
    xp = array_module(bids)
    b = _table(func, "bids", bids, xp)
    B, n = b.shape
    if n == 0:
        fail(func, f"bids has shape {b.shape}: an auction needs at least one bidder column")
    v = None if values is None else _table(func, "values", values, xp, shape=b.shape)
    if mask is None:
        m = None
    else:
        m = as_array(func, "mask", mask, xp)
        if m.dtype != xp.bool_:
            fail(
                func,
                f"mask must be a bool array (True = participates); got dtype {m.dtype}",
                TypeError,
            )
        if m.shape != b.shape:
            fail(func, f"mask must have the shape of bids {b.shape}; got {m.shape}")
    if reserve is None:
        r = None
    else:
        ra = as_array(func, "reserve", reserve, xp)
        if ra.dtype.kind not in "biuf" or ra.dtype == xp.bool_:
            fail(
                func,
                f"reserve must be None, a number or a (B,) array; got dtype {ra.dtype}",
                TypeError,
            )
        ra = ra.astype(xp.float64)
        if ra.ndim not in (0, 1) or (ra.ndim == 1 and ra.shape != (B,)):
            fail(func, f"reserve must be a scalar or have shape ({B},); got {ra.shape}")
        if not bool(xp.isfinite(ra).all()) or bool((ra < 0).any()):
            fail(func, "reserve must be finite and >= 0 (use None for no reserve)")
        r = xp.broadcast_to(ra, (B,))
    if m is None:
        participants = xp.full((B,), n, dtype=xp.int64)
    else:
        participants = m.sum(axis=1).astype(xp.int64)
    if mechanism == "second" and reverse and r is None and bool((participants == 1).any()):
        i = int(to_host(xp.argwhere(participants == 1)[0, 0]))
        fail(
            func,
            f"auction {i} is a reverse second-price auction with one participant and no "
            "reserve: its price is unbounded; give reserve= or use mechanism='first'",
        )
    if tie_break == "random":
        u_host = generator(func, seed).random((B, n))
        u = xp.asarray(u_host) if is_device_array(b) else u_host
    else:
        u = None

    # Work on keys where larger is better: the bids forward, their negatives reverse (exact);
    # non-participants get -inf, so they never win and never set a price.
    neg_inf = -np.inf
    rows = xp.arange(B)
    cols = xp.arange(n, dtype=xp.int64)
    if m is None:
        key = -b if reverse else b
    else:
        key = xp.where(m, -b if reverse else b, neg_inf)
    if r is None:
        rkey = xp.full((B,), neg_inf if reverse else 0.0)
    else:
        rkey = -r if reverse else r
    if u is None and xp is np:
        idx = key.argmax(axis=1)  # NumPy returns the first of equal maxima: the lowest index
        top = key[rows, idx]
    else:
        top = key.max(axis=1)
        tied = key == top[:, None]
        if u is not None:
            cand = xp.where(tied, u, -1.0)
            tied &= cand == cand.max(axis=1)[:, None]
        idx = xp.where(tied, cols[None, :], n).min(axis=1)
        idx = xp.minimum(idx, n - 1)
    has = participants > 0
    sold = has & (top >= rkey)
    winner = xp.where(sold, idx, -1).astype(xp.int64)
    if mechanism == "first":
        pkey = top
    else:
        rest = key.copy()
        rest[rows, idx] = neg_inf
        pkey = xp.maximum(rest.max(axis=1), rkey)
    price_all = -pkey if reverse else pkey
    price = xp.where(sold, price_all, xp.nan)
    payment = xp.where(sold, price_all, 0.0)

    utilities = efficiency = None
    if v is not None:
        vw = v[rows, idx]
        utilities = xp.zeros((B, n))
        won = xp.flatnonzero(sold) if xp is np else xp.nonzero(sold)[0]
        gain = (payment - vw) if reverse else (vw - payment)
        utilities[won, idx[won]] = gain[won]
        if reverse:
            cmin = v.min(axis=1) if m is None else xp.where(m, v, np.inf).min(axis=1)
            ratio = cmin / xp.where(vw > 0, vw, 1.0)
            efficiency = xp.where(sold, xp.where(vw > 0, ratio, 1.0), xp.where(has, 0.0, 1.0))
        else:
            vmax = v.max(axis=1) if m is None else xp.where(m, v, 0.0).max(axis=1)
            realised = xp.where(sold, vw, 0.0)
            efficiency = xp.where(vmax > 0, realised / xp.where(vmax > 0, vmax, 1.0), 1.0)
    return BatchOutcome(
        winner=winner,
        sold=sold,
        price=price,
        payment=payment,
        revenue=payment,
        utilities=utilities,
        efficiency=efficiency,
        participants=participants,
        mechanism=mechanism,
        reverse=reverse,
    )
