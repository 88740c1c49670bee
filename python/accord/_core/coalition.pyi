"""
repeated coalition formation kernels
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = ["one_step_payoff"]

def one_step_payoff(
    own: numpy.typing.NDArray[numpy.float64],
    others: numpy.typing.NDArray[numpy.float64] | None,
    agent: typing.SupportsInt | typing.SupportsIndex,
    coalition: numpy.typing.NDArray[numpy.int64],
    action: numpy.typing.NDArray[numpy.int64],
    share: numpy.typing.NDArray[numpy.float64],
    which: numpy.typing.NDArray[numpy.int64],
    restricted: bool,
    tol: typing.SupportsFloat | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (Z,): V^0 (Chalkiadakis & Boutilier 2012, Eq. 9) of each view after one best-reply
    round from agreement which[z].
    """
