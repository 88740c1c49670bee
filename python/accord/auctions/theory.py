"""Closed forms for independent private values uniform on [0, 1] (``n`` symmetric bidders).

Vickrey (1961); reserve prices and the optimal reserve: Myerson (1981), Riley & Samuelson
(1981). By revenue equivalence the first- and second-price auctions (with the same reserve)
have the same expected revenue in the symmetric equilibrium. Reverse (procurement) forms follow
from the substitution ``v = 1 - c``, which maps costs uniform on [0, 1] to values uniform on
[0, 1]. These are the formulas the Monte-Carlo tests check :func:`batch_auction` against.
"""

from __future__ import annotations

import numpy as np

from .._validate import fail, integer, real_array
from ._common import real

__all__ = [
    "expected_bidder_surplus",
    "expected_revenue",
    "expected_winner_value",
    "first_price_bid",
    "optimal_reserve",
    "reverse_expected_payment",
    "reverse_first_price_bid",
]


def _n(func: str, n) -> int:
    return integer(func, "n", n, minimum=1)


def _unit(func: str, name: str, x) -> float:
    x = real(func, name, x, 0.0)
    if x > 1.0:
        fail(func, f"{name} must lie in [0, 1] for values uniform on [0, 1]; got {x}")
    return x


def _points(func: str, name: str, x) -> np.ndarray:
    a = real_array(func, name, x)
    if not np.isfinite(a).all() or (a < 0).any() or (a > 1).any():
        fail(func, f"{name} must lie in [0, 1]")
    return a


def expected_revenue(n: int, reserve: float = 0.0) -> float:
    """Expected seller revenue of the first- or second-price auction with reserve ``r``:
    ``2n(1 - r**(n+1))/(n+1) - (1 - r**n)``; ``(n-1)/(n+1)`` for ``r = 0``."""
    func = "expected_revenue"
    n = _n(func, n)
    r = _unit(func, "reserve", reserve)
    return 2.0 * n * (1.0 - r ** (n + 1)) / (n + 1) - (1.0 - r**n)


def expected_winner_value(n: int) -> float:
    """Expected highest of ``n`` values: ``n/(n+1)`` (the efficient welfare)."""
    n = _n("expected_winner_value", n)
    return n / (n + 1.0)


def expected_bidder_surplus(n: int) -> float:
    """Expected total bidder surplus without reserve: ``1/(n+1)`` (``n/(n+1) - (n-1)/(n+1)``)."""
    n = _n("expected_bidder_surplus", n)
    return 1.0 / (n + 1.0)


def optimal_reserve(n: int = 2) -> float:
    """Revenue-maximising reserve for U[0,1] values: ``1/2`` for every ``n`` (Myerson 1981:
    the virtual value ``2v - 1`` is zero at ``v = 1/2``)."""
    _n("optimal_reserve", n)
    return 0.5


def first_price_bid(values, n: int, reserve: float = 0.0):
    """Symmetric equilibrium bid of the first-price auction: ``(n-1)v/n`` without reserve;
    ``v - (v**n - r**n)/(n v**(n-1))`` for ``v >= r`` with reserve ``r`` (Riley & Samuelson
    1981). Values below ``r`` cannot win; any bid below ``r`` is optimal and ``v`` is returned.
    Accepts a scalar or an array; returns float64 of the same shape."""
    func = "first_price_bid"
    n = _n(func, n)
    r = _unit(func, "reserve", reserve)
    v = _points(func, "values", values)
    if r == 0.0:
        return (n - 1.0) * v / n
    safe = np.where(v >= r, v, 1.0)
    # v - (v**n - r**n) / (n v**(n-1)) written as v - v (1 - (r/v)**n) / n, which neither
    # underflows to 0/0 for many bidders nor overflows an integer power for huge n
    bid = safe - safe * (1.0 - (r / safe) ** float(n)) / float(n)
    return np.where(v >= r, bid, v)


def reverse_first_price_bid(costs, n: int):
    """Symmetric equilibrium ask of the reverse first-price auction, costs U[0,1] and no
    reserve: ``c + (1 - c)/n``."""
    func = "reverse_first_price_bid"
    n = _n(func, n)
    c = _points(func, "costs", costs)
    return c + (1.0 - c) / n


def reverse_expected_payment(n: int, reserve: float | None = None) -> float:
    """Expected buyer spend of the reverse second-price (or, by revenue equivalence, first-price)
    auction with costs U[0,1]: ``2/(n+1)`` without reserve. With a maximum price ``r`` it is
    ``(1 - (1-r)**n) - expected_revenue(n, 1 - r)`` (probability of trade minus the forward
    revenue at reserve ``1 - r``, by ``v = 1 - c``)."""
    func = "reverse_expected_payment"
    n = _n(func, n)
    if reserve is None:
        return 2.0 / (n + 1.0)
    r = _unit(func, "reserve", reserve)
    return (1.0 - (1.0 - r) ** n) - expected_revenue(n, 1.0 - r)
