"""
load-balancing simulation kernels
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = ["auction_round"]

def auction_round(
    load: numpy.typing.NDArray[numpy.float64],
    capacity: numpy.typing.NDArray[numpy.float64],
    sensitivity: numpy.typing.NDArray[numpy.float64],
    risk_aversion: numpy.typing.NDArray[numpy.float64],
    target: numpy.typing.NDArray[numpy.float64],
    coalition: numpy.typing.NDArray[numpy.int64],
    task_load: numpy.typing.NDArray[numpy.float64],
    noise: numpy.typing.NDArray[numpy.float64],
    state: numpy.typing.NDArray[numpy.float64],
    winner: numpy.typing.NDArray[numpy.int64],
    partner: numpy.typing.NDArray[numpy.int64],
    bid: numpy.typing.NDArray[numpy.float64],
    price: numpy.typing.NDArray[numpy.float64],
    above: numpy.typing.NDArray[numpy.bool],
    reserve_seen: numpy.typing.NDArray[numpy.float64],
    damping: typing.SupportsFloat | typing.SupportsIndex,
    max_bid: typing.SupportsFloat | typing.SupportsIndex,
    overload_threshold: typing.SupportsFloat | typing.SupportsIndex,
    partner_threshold: typing.SupportsFloat | typing.SupportsIndex,
    reserve_factor: typing.SupportsFloat | typing.SupportsIndex,
    ratio_cap: typing.SupportsFloat | typing.SupportsIndex,
) -> None:
    """
    Sequential reverse auctions of one round of the load-balancing model, in place:
    updates load and the reserve state (3,) and writes winner, partner, bid, price,
    above and reserve_seen (one entry per task); see accord.loadbalance.
    """
