"""
repeated coalition formation kernels
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = [
    "form_proposals",
    "lookahead_values",
    "negotiate",
    "one_step_payoff",
    "revealed_payoffs",
    "revealed_payoffs_vectors",
]

def form_proposals(
    base: numpy.typing.NDArray[numpy.float64],
    agent: typing.SupportsInt | typing.SupportsIndex,
    coalition: numpy.typing.NDArray[numpy.int64],
    action: numpy.typing.NDArray[numpy.int64],
    demand: numpy.typing.NDArray[numpy.float64],
    masks: numpy.typing.NDArray[numpy.int64],
    actions: numpy.typing.NDArray[numpy.int64],
    shares: numpy.typing.NDArray[numpy.float64],
) -> tuple[
    numpy.typing.NDArray[numpy.int64],
    numpy.typing.NDArray[numpy.int64],
    numpy.typing.NDArray[numpy.float64],
]:
    """
    (coalition, action, relative demand), each (D, n): the agreements the agent's
    proposals (masks[d], actions[d]) form when accepted (best reply,
    Chalkiadakis & Boutilier 2012, Sec. 3.3).
    """

def lookahead_values(
    beliefs: numpy.typing.NDArray[numpy.float64],
    dist: numpy.typing.NDArray[numpy.float64],
    probs: numpy.typing.NDArray[numpy.float64],
    points: numpy.typing.NDArray[numpy.int64],
    next_dist: numpy.typing.NDArray[numpy.float64],
    next_values: numpy.typing.NDArray[numpy.float64],
    next_points: numpy.typing.NDArray[numpy.int64],
    agent: typing.SupportsInt | typing.SupportsIndex,
    masks: numpy.typing.NDArray[numpy.int64],
    others: numpy.typing.NDArray[numpy.float64] | None,
    coalition: numpy.typing.NDArray[numpy.int64],
    action: numpy.typing.NDArray[numpy.int64],
    share: numpy.typing.NDArray[numpy.float64],
    which: numpy.typing.NDArray[numpy.int64],
    restricted: bool,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    min_prob: typing.SupportsFloat | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (R, A): W_i(S, a) = sum_o Pr_i(o | S, a) V^0_i(B^{o,S,a})
    (Chalkiadakis & Boutilier 2012, Eqs. 8-10) through type statistics, the round
    starting from agreement which[r, a].
    """

def negotiate(
    base: numpy.typing.NDArray[numpy.float64],
    offset: numpy.typing.NDArray[numpy.float64] | None,
    dist: numpy.typing.NDArray[numpy.float64] | None,
    cells: numpy.typing.NDArray[numpy.float64] | None,
    cell_offset: numpy.typing.NDArray[numpy.float64] | None,
    best: numpy.typing.NDArray[numpy.float64] | None,
    second: numpy.typing.NDArray[numpy.float64] | None,
    best_mask: numpy.typing.NDArray[numpy.int64] | None,
    best_action: numpy.typing.NDArray[numpy.int64] | None,
    proposer: numpy.typing.NDArray[numpy.int64],
    draws: numpy.typing.NDArray[numpy.float64],
    epsilon: typing.SupportsFloat | typing.SupportsIndex,
    restricted: bool,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    coalition: numpy.typing.NDArray[numpy.int64],
    action: numpy.typing.NDArray[numpy.int64],
    demand: numpy.typing.NDArray[numpy.float64],
    row_start: numpy.typing.NDArray[numpy.int64] | None = None,
    row_width: numpy.typing.NDArray[numpy.int64] | None = None,
    lazy: bool = False,
    first_round: typing.SupportsInt | typing.SupportsIndex = 0,
) -> tuple[int, numpy.typing.NDArray[numpy.int64]]:
    """
    One stage's best-reply negotiation (Chalkiadakis & Boutilier 2012, Sec. 3.3) over
    frozen values; the agreement (coalition, action, demand) is updated in place.
    Returns (rounds done, missing rows (P, 2) of (agent, mask)): with lazy, NaN offsets
    and row_start -1 mark rows not computed yet, and the loop stops at the first round
    that needs one, before changing the agreement; compute them and resume there.
    """

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

def revealed_payoffs(
    dist: numpy.typing.NDArray[numpy.float64],
    values: numpy.typing.NDArray[numpy.float64],
    points: numpy.typing.NDArray[numpy.int64],
    agent: typing.SupportsInt | typing.SupportsIndex,
    masks: numpy.typing.NDArray[numpy.int64],
    vectors: numpy.typing.NDArray[numpy.int64],
    compute: numpy.typing.NDArray[numpy.uint8],
    others: numpy.typing.NDArray[numpy.float64] | None,
    coalition: numpy.typing.NDArray[numpy.int64],
    action: numpy.typing.NDArray[numpy.int64],
    share: numpy.typing.NDArray[numpy.float64],
    which: numpy.typing.NDArray[numpy.int64],
    restricted: bool,
    tol: typing.SupportsFloat | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (R, A, T): V^0 (Chalkiadakis & Boutilier 2012, Eq. 9, Sec. 4.6) of the belief states
    with type vector t of masks[r]'s other members revealed, the round starting from
    agreement which[r, a]; through a type statistic (totals of points).
    """

def revealed_payoffs_vectors(
    local_probs: numpy.typing.NDArray[numpy.float64],
    offset: numpy.typing.NDArray[numpy.int64],
    unknown: numpy.typing.NDArray[numpy.int64],
    values: numpy.typing.NDArray[numpy.float64],
    agent: typing.SupportsInt | typing.SupportsIndex,
    actions: typing.SupportsInt | typing.SupportsIndex,
    masks: numpy.typing.NDArray[numpy.int64],
    vectors: numpy.typing.NDArray[numpy.int64],
    compute: numpy.typing.NDArray[numpy.uint8],
    others: numpy.typing.NDArray[numpy.float64] | None,
    coalition: numpy.typing.NDArray[numpy.int64],
    action: numpy.typing.NDArray[numpy.int64],
    share: numpy.typing.NDArray[numpy.float64],
    which: numpy.typing.NDArray[numpy.int64],
    restricted: bool,
    tol: typing.SupportsFloat | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (R, A, T): revealed_payoffs for coalition values given as tables over the type
    vectors of each coalition's other members (no type statistic).
    """
