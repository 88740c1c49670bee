"""Sealed-bid single-item auctions: first price, second price (Vickrey 1961), forward and reverse.

Forward (selling one item): the highest bid at or above the reserve wins. Reverse (procurement:
a buyer buys one item or task from sellers who ask a price): the lowest ask at or below the
reserve wins; the reserve is then the buyer's maximum acceptable price.

Prices:

* first price: the winner's own bid;
* second price, forward: ``max(second-highest bid, reserve)``; reverse: ``min(second-lowest
  ask, reserve)``. A single forward bidder pays the reserve (0 without one); a single reverse
  seller without a reserve would be owed an unbounded price, which is refused with a
  ``ValueError`` (give ``reserve=``). Charging a lone bidder its own bid instead would break
  truthfulness; this module does not.

Reserve prices follow Myerson (1981) and Riley & Samuelson (1981). ``reserve=None`` means no
reserve: forward this is the same as ``reserve=0`` (bids are ``>= 0``), reverse it means no
maximum price. A bid exactly equal to the reserve is eligible. When no bid is eligible the
outcome is "no sale": ``winner is None``, ``sold is False``, ``payment == 0``, ``price`` NaN.

Tie-breaking (deterministic by default): among the bidders tied at the best bid,
``tie_break="lowest-index"`` picks the lowest index; ``tie_break="random"`` draws
``u = rng.random(n)`` (always ``n`` numbers from ``seed``) and picks the tied bidder with the
largest ``u`` (lowest index among equal ``u``). In a second-price auction with a tie the price
equals the tied bid (the runner-up bids the same), so the winner's utility is the same whoever
wins when values equal bids.

Utilities (quasi-linear, when ``values`` is given; forward values, reverse costs): the winner
gets ``v - price`` (forward) or ``price - c`` (reverse); everyone else 0. ``efficiency`` is the
realised surplus over the best possible one among the bidders: forward ``v[winner] / max(v)``
(the seller's own value is 0), reverse ``min(c) / c[winner]`` (the buyer must procure; the
cheapest seller is efficient). No sale counts as efficiency 0, except that it is 1.0 when
nothing could be gained (forward ``max(v) == 0``; reverse a winner with ``c == 0`` gives 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._backend import to_host
from .._validate import fail
from ._common import (
    check_finite_nonneg,
    generator,
    numeric_array,
    real,
    tie_break_and_mechanism,
)

__all__ = ["AuctionOutcome", "first_price", "second_price"]


@dataclass(frozen=True, eq=False)
class AuctionOutcome:
    """Result of one sealed-bid auction.

    Attributes
    ----------
    winner
        index of the winning bidder, or None for no sale.
    sold
        whether the item changed hands.
    price
        the price formed (NaN for no sale).
    payment
        the amount the winner pays (forward) or is paid (reverse); 0.0 for no sale.
    payments
        ``(n,)`` transfers per bidder: ``payment`` for the winner, 0 for the others.
    utilities
        ``(n,)`` quasi-linear utilities, or None when ``values`` was not given.
    revenue
        the seller's revenue (forward) or the buyer's spend (reverse): ``payment``.
    efficiency
        realised over best possible surplus (see the module), or None without
        ``values``.
    mechanism
        ``"first"`` or ``"second"``.
    reverse
        True for a procurement auction.
    reserve
        the reserve price, or None.
    bids
        ``(n,)`` copy of the bids.
    """

    winner: int | None
    sold: bool
    price: float
    payment: float
    payments: np.ndarray
    utilities: np.ndarray | None
    revenue: float
    efficiency: float | None
    mechanism: str
    reverse: bool
    reserve: float | None
    bids: np.ndarray


def _bids(func: str, bids) -> np.ndarray:
    b = numeric_array(func, "bids", to_host(bids))
    if b.ndim != 1:
        fail(
            func,
            f"bids must be 1-dimensional (one bid per bidder); got shape {b.shape}; "
            "use batch_auction for a table of auctions",
        )
    if b.shape[0] == 0:
        fail(
            func,
            "bids is empty; an auction needs at least one bidder (batch_auction treats a "
            "row with no participant as no sale)",
        )
    check_finite_nonneg(func, "bids", b, "bidder")
    return b


def _values(func: str, values, n: int, reverse: bool) -> np.ndarray | None:
    if values is None:
        return None
    name = "values"
    v = numeric_array(func, name, to_host(values))
    if v.shape != (n,):
        fail(
            func,
            f"{name} must have shape ({n},), one {'cost' if reverse else 'value'} per "
            f"bidder; got {v.shape}",
        )
    check_finite_nonneg(func, name, v, "bidder")
    return v


def _auction(func: str, mechanism: str, bids, reserve, reverse, values, tie_break, seed):
    tie_break_and_mechanism(func, mechanism, tie_break)
    if not isinstance(reverse, (bool, np.bool_)):
        fail(func, f"reverse must be True or False; got {reverse!r}", TypeError)
    reverse = bool(reverse)
    b = _bids(func, bids)
    n = int(b.shape[0])
    r = None if reserve is None else real(func, "reserve", reserve, 0.0)
    v = _values(func, values, n, reverse)
    if mechanism == "second" and reverse and r is None and n == 1:
        fail(
            func,
            "a reverse second-price auction with one seller and no reserve has no "
            "price (the runner-up ask is missing); give reserve= (the buyer's maximum "
            "price) or use first_price",
        )
    u = generator(func, seed).random(n) if tie_break == "random" else None

    best = float(b.min() if reverse else b.max())
    if r is None:
        eligible = True
    else:
        eligible = best <= r if reverse else best >= r
    winner: int | None = None
    price = float("nan")
    if eligible:
        tied = np.flatnonzero(b == best)
        if u is None or tied.size == 1:
            winner = int(tied[0])
        else:
            winner = int(tied[np.argmax(u[tied])])  # argmax: first of equal maxima
        if mechanism == "first":
            price = best
        else:
            others = np.delete(b, winner)
            if reverse:
                candidates = ([float(others.min())] if others.size else []) + (
                    [r] if r is not None else []
                )
                price = min(candidates)
            else:
                candidates = ([float(others.max())] if others.size else []) + [
                    r if r is not None else 0.0
                ]
                price = max(candidates)
    sold = winner is not None
    payment = price if sold else 0.0
    payments = np.zeros(n)
    utilities = None
    efficiency = None
    if sold:
        payments[winner] = payment
    if v is not None:
        utilities = np.zeros(n)
        if reverse:
            if sold:
                utilities[winner] = payment - v[winner]
                cw = v[winner]
                efficiency = float(v.min() / cw) if cw > 0 else 1.0
            else:
                efficiency = 0.0
        else:
            if sold:
                utilities[winner] = v[winner] - payment
            top = float(v.max())
            realised = float(v[winner]) if sold else 0.0
            efficiency = realised / top if top > 0 else 1.0
    return AuctionOutcome(
        winner=winner,
        sold=sold,
        price=price,
        payment=payment,
        payments=payments,
        utilities=utilities,
        revenue=payment,
        efficiency=efficiency,
        mechanism=mechanism,
        reverse=reverse,
        reserve=r,
        bids=b,
    )


def first_price(
    bids,
    *,
    reserve=None,
    reverse: bool = False,
    values=None,
    tie_break: str = "lowest-index",
    seed=None,
) -> AuctionOutcome:
    """Sealed-bid first-price auction: the winner pays (reverse: is paid) its own bid.

    Parameters
    ----------
    bids
        ``(n,)`` non-negative finite bids (reverse: asks), ``n >= 1``.
    reserve
        minimum accepted bid (reverse: maximum accepted ask), or None for none.
    reverse
        procurement form: the lowest ask wins.
    values
        ``(n,)`` private values (reverse: costs) for utilities and efficiency.
    tie_break
        ``"lowest-index"`` (default) or ``"random"`` (see the module docstring).
    seed
        None, an int or a ``numpy.random.Generator``; used only by ``"random"``.

    Returns
    -------
    AuctionOutcome
        With U[0,1] values the symmetric equilibrium bid is ``(n-1)v/n`` and the
        expected revenue ``(n-1)/(n+1)`` (Vickrey 1961; :mod:`accord.auctions.theory`).
    """
    return _auction("first_price", "first", bids, reserve, reverse, values, tie_break, seed)


def second_price(
    bids,
    *,
    reserve=None,
    reverse: bool = False,
    values=None,
    tie_break: str = "lowest-index",
    seed=None,
) -> AuctionOutcome:
    """Sealed-bid second-price (Vickrey 1961) auction; truthful bidding is dominant.

    The winner pays ``max(second-highest bid, reserve)``; reverse, it is paid
    ``min(second-lowest ask, reserve)``. Arguments as :func:`first_price`; a reverse auction with
    one seller needs a ``reserve``. A tie at the best bid makes the price equal to that bid.
    """
    return _auction("second_price", "second", bids, reserve, reverse, values, tie_break, seed)
