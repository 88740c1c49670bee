"""Repeated sealed-bid auctions between bidders that adapt (Banchio & Skrzypacz 2022 study
learning bidders in this setting).

Every round, in each of ``markets`` independent parallel markets, the bidders draw (or are
given) private values, bid, and one :func:`accord.auctions.batch_auction` call settles all
markets at once; each bidder then observes a :class:`~accord.auctions.bidders.Feedback` with
its quasi-linear utility (forward ``value - price``, reverse ``price - cost``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import check_bytes, fail
from ._common import generator, numeric_array, tie_break_and_mechanism
from .batch import _batch_auction
from .bidders import Feedback

__all__ = ["AuctionHistory", "repeated_auction"]


@dataclass(frozen=True, eq=False)
class AuctionHistory:
    """Arrays of a :func:`repeated_auction` run (``T`` rounds, ``M`` markets, ``n`` bidders).

    Attributes
    ----------
    values
        ``(T, M, n)`` private values (reverse: costs).
    bids
        ``(T, M, n)`` bids (asks).
    participated
        ``(T, M, n)`` bool.
    winners
        ``(T, M)`` int64, -1 for no sale.
    prices
        ``(T, M)`` price formed, NaN for no sale.
    payments
        ``(T, M)`` the winner's payment (reverse: receipt), 0 for no sale.
    utilities
        ``(T, M, n)`` quasi-linear utilities.
    mechanism, reverse
        the auction format.
    """

    values: np.ndarray
    bids: np.ndarray
    participated: np.ndarray
    winners: np.ndarray
    prices: np.ndarray
    payments: np.ndarray
    utilities: np.ndarray
    mechanism: str
    reverse: bool

    def bid_ratio(self, bidder: int) -> np.ndarray:
        """``(T, M)`` bid / value of one bidder (NaN where its value is 0)."""
        v = self.values[:, :, bidder]
        return np.divide(self.bids[:, :, bidder], v, out=np.full(v.shape, np.nan), where=v > 0)


def _sampler(func: str, name: str, x, rounds: int, markets: int, n: int, default_uniform: bool):
    """A function ``t, rng -> (markets, n)`` array (or None)."""
    if x is None:
        if not default_uniform:
            return None
        return lambda t, rng: rng.random((markets, n))
    if callable(x):

        def draw(t, rng, f=x):
            a = numeric_array(func, f"{name}(rng, markets, n)", f(rng, markets, n))
            if a.shape != (markets, n):
                fail(
                    func,
                    f"{name}(rng, markets, n) must return shape ({markets}, {n}); got {a.shape}",
                )
            if not np.isfinite(a).all() or (a < 0).any():
                fail(func, f"{name}(rng, markets, n) must return finite numbers >= 0")
            return a

        return draw
    a = numeric_array(func, name, x)
    if a.ndim > 3:
        fail(
            func,
            f"{name} must be broadcastable to (rounds, markets, n) = ({rounds}, {markets}, "
            f"{n}); got shape {a.shape}",
        )
    try:
        full = np.broadcast_to(a.reshape((1,) * (3 - a.ndim) + a.shape), (rounds, markets, n))
    except ValueError:
        fail(
            func,
            f"{name} must be broadcastable to (rounds, markets, n) = ({rounds}, {markets}, "
            f"{n}); got shape {a.shape}",
        )
    if not np.isfinite(full).all() or (full < 0).any():
        fail(func, f"{name} must be finite and >= 0")
    return lambda t, rng: np.array(full[t])


def repeated_auction(
    bidders: Sequence,
    rounds: int,
    *,
    mechanism: str = "second",
    reverse: bool = False,
    markets: int = 1,
    values: Callable | np.ndarray | None = None,
    costs=None,
    reserve=None,
    tie_break: str = "lowest-index",
    seed=None,
) -> AuctionHistory:
    """Run ``rounds`` rounds of sealed-bid auctions in ``markets`` parallel markets.

    Parameters
    ----------
    bidders
        ``n >= 1`` distinct bidder objects with ``reset(markets, seed)``,
        ``bid(values, costs) -> (bids, participate)`` and ``observe(feedback)`` (see
        :mod:`accord.auctions.bidders`); they are reset first.
    rounds
        number of rounds, ``>= 1``.
    mechanism
        ``"first"`` or ``"second"``; ``reverse`` for procurement.
    markets
        independent parallel markets, ``>= 1``.
    values
        private values (reverse: costs): None for i.i.d. U[0,1] each round, an array
        broadcastable to ``(rounds, markets, n)``, or ``f(rng, markets, n) -> (markets, n)``.
    costs
        execution costs for the participation rule
        (:func:`accord.auctions.bidders.participates`), same forms (None: no rule).
    reserve
        as :func:`accord.auctions.batch_auction`.
    tie_break
        as :func:`accord.auctions.batch_auction`.
    seed
        None, an int or a Generator; the values, the tie-breaks and each bidder get
        independent streams spawned from it.
    """
    func = "repeated_auction"
    tie_break_and_mechanism(func, mechanism, tie_break)
    if isinstance(bidders, (str, bytes)) or not isinstance(bidders, Sequence) or not bidders:
        fail(func, "bidders must be a non-empty sequence of bidder objects (see make_bidder)")
    for i, b in enumerate(bidders):
        for method in ("reset", "bid", "observe"):
            if not callable(getattr(b, method, None)):
                fail(
                    func,
                    f"bidders[{i}] has no {method}() method; use make_bidder or a "
                    "class from accord.auctions.bidders",
                    TypeError,
                )
        for j in range(i):
            if bidders[j] is b:
                fail(
                    func,
                    f"bidders[{i}] is the same object as bidders[{j}]; create one bidder "
                    "per seat (each keeps its own state)",
                )
    for name, x in (("rounds", rounds), ("markets", markets)):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
            fail(func, f"{name} must be an integer >= 1; got {x!r}")
    if not isinstance(reverse, (bool, np.bool_)):
        fail(func, f"reverse must be True or False; got {reverse!r}", TypeError)
    T, M, n = int(rounds), int(markets), len(bidders)
    # values, bids, utilities (float64) and participation (bool) per bidder; winners,
    # prices and payments (8 bytes) per market
    check_bytes(
        func,
        T * M * (n * (3 * 8 + 1) + 3 * 8),
        f"the history of {T} rounds x {M} markets x {n} bidders",
        "fewer rounds or markets (or run them in chunks)",
    )
    draw_values = _sampler(func, "values", values, T, M, n, True)
    draw_costs = _sampler(func, "costs", costs, T, M, n, False)
    streams = generator(func, seed).spawn(n + 2)
    rng_values, rng_ties = streams[0], streams[1]
    for b, s in zip(bidders, streams[2:], strict=True):
        b.reset(M, s)

    V = np.empty((T, M, n))
    Bd = np.empty((T, M, n))
    P = np.empty((T, M, n), dtype=bool)
    U = np.empty((T, M, n))
    W = np.empty((T, M), dtype=np.int64)
    price = np.empty((T, M))
    pay = np.empty((T, M))
    for t in range(T):
        v = draw_values(t, rng_values)
        c = None if draw_costs is None else draw_costs(t, rng_values)
        for j, b in enumerate(bidders):
            bj, pj = b.bid(v[:, j], None if c is None else c[:, j])
            bj = np.asarray(bj, dtype=np.float64)
            pj = np.asarray(pj)
            if bj.shape != (M,) or pj.shape != (M,) or pj.dtype != bool:
                fail(
                    func,
                    f"bidders[{j}].bid() must return ((markets,) bids, (markets,) bool "
                    f"participation); got shapes {bj.shape}, {pj.shape}",
                    TypeError,
                )
            Bd[t, :, j] = bj
            P[t, :, j] = pj
        out = _batch_auction(
            func,
            Bd[t],
            mechanism=mechanism,
            reserve=reserve,
            reverse=reverse,
            values=v,
            mask=P[t],
            tie_break=tie_break,
            seed=rng_ties,
        )
        utilities = out.utilities
        assert utilities is not None  # values= was given
        V[t], U[t], W[t], price[t], pay[t] = v, utilities, out.winner, out.price, out.payment
        for j, b in enumerate(bidders):
            won = out.winner == j
            b.observe(
                Feedback(
                    values=v[:, j],
                    bids=Bd[t, :, j],
                    participated=P[t, :, j],
                    won=won,
                    price=out.price,
                    payment=np.where(won, out.payment, 0.0),
                    utility=utilities[:, j],
                )
            )
    return AuctionHistory(
        values=V,
        bids=Bd,
        participated=P,
        winners=W,
        prices=price,
        payments=pay,
        utilities=U,
        mechanism=mechanism,
        reverse=bool(reverse),
    )
