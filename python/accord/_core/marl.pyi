"""
tabular multi-agent learning updates
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = ["lenient_update", "phc_update", "q_update"]

def lenient_update(
    Q: numpy.typing.NDArray[numpy.float64],
    temperature: numpy.typing.NDArray[numpy.float64],
    u: numpy.typing.NDArray[numpy.float64],
    ks: numpy.typing.NDArray[numpy.int64],
    states: numpy.typing.NDArray[numpy.int64],
    actions: numpy.typing.NDArray[numpy.int64],
    rewards: numpy.typing.NDArray[numpy.float64],
    next_states: numpy.typing.NDArray[numpy.int64],
    terminated: numpy.typing.NDArray[numpy.uint8],
    discount: typing.SupportsFloat | typing.SupportsIndex,
    alpha: typing.SupportsFloat | typing.SupportsIndex,
    lenience: typing.SupportsFloat | typing.SupportsIndex,
    diffusion: typing.SupportsFloat | typing.SupportsIndex,
    decay: typing.SupportsFloat | typing.SupportsIndex,
) -> None:
    """
    Lenient Q-learning of one transition per copy and player, in place.
    """

def phc_update(
    Q: numpy.typing.NDArray[numpy.float64],
    policy: numpy.typing.NDArray[numpy.float64],
    average_policy: numpy.typing.NDArray[numpy.float64],
    visits: numpy.typing.NDArray[numpy.int64],
    ks: numpy.typing.NDArray[numpy.int64],
    states: numpy.typing.NDArray[numpy.int64],
    actions: numpy.typing.NDArray[numpy.int64],
    rewards: numpy.typing.NDArray[numpy.float64],
    next_states: numpy.typing.NDArray[numpy.int64],
    terminated: numpy.typing.NDArray[numpy.uint8],
    discount: typing.SupportsFloat | typing.SupportsIndex,
    alpha: typing.SupportsFloat | typing.SupportsIndex,
    delta_win: typing.SupportsFloat | typing.SupportsIndex,
    delta_lose: typing.SupportsFloat | typing.SupportsIndex,
    wolf: bool,
) -> None:
    """
    (WoLF-)PHC step of one transition per copy and player, in place.
    """

def q_update(
    Q: numpy.typing.NDArray[numpy.float64],
    ks: numpy.typing.NDArray[numpy.int64],
    states: numpy.typing.NDArray[numpy.int64],
    actions: numpy.typing.NDArray[numpy.int64],
    rewards: numpy.typing.NDArray[numpy.float64],
    next_states: numpy.typing.NDArray[numpy.int64],
    terminated: numpy.typing.NDArray[numpy.uint8],
    discount: typing.SupportsFloat | typing.SupportsIndex,
    alpha: typing.SupportsFloat | typing.SupportsIndex,
    beta: typing.SupportsFloat | typing.SupportsIndex,
) -> None:
    """
    Q-learning of one transition per copy and player, in place.
    """
