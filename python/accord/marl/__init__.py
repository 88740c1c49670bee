"""Multi-agent reinforcement learning: Markov games and exact planning in them.

:class:`MarkovGame` is a finite stochastic game (Shapley 1953; Littman 1994) with
cooperative, competitive or mixed rewards; :func:`zero_sum_value_iteration` and
:func:`nash_value_iteration` compute values and stationary equilibrium strategies of
known games, solving every state's stage game in one batched native call.
"""

from .markov_game import STOCHASTIC_TOL, MarkovGame
from .planning import MarkovSolution, nash_value_iteration, zero_sum_value_iteration

__all__ = [
    "STOCHASTIC_TOL",
    "MarkovGame",
    "MarkovSolution",
    "nash_value_iteration",
    "zero_sum_value_iteration",
]
