"""Repeated matrix games as environments.

Each is a one-state :class:`MarkovGame` (:meth:`MarkovGame.repeated`) of a classic
normal-form game from :mod:`accord.games.classic`, played for ``max_steps`` rounds (25
by default, the episode length of the matrix games in EPyMARL, Papoudakis et al. 2021,
"Benchmarking multi-agent deep reinforcement learning algorithms in cooperative
tasks", NeurIPS Datasets and Benchmarks; the climbing game's optimal return is then
25 x 11 = 275).  Observations are the single state 0; ``discount`` (default 0.99) is
the game's, for planners and learners that read it.

Registered: ``climbing`` and ``penalty`` (Claus & Boutilier 1998; ``penalty`` takes
``penalty``, default -10, as :func:`accord.games.classic.penalty_game`),
``matching-pennies``, ``rock-paper-scissors``, ``prisoners-dilemma`` (the
parameters of :func:`accord.games.classic.prisoners_dilemma`) and ``shapley-game``
(Shapley 1964).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from ..._validate import fail, real
from ...games import NormalFormGame
from ...games import classic as C
from ..markov_game import MarkovGame
from .registry import register
from .tabular import MarkovGameEnv

__all__ = ["MATRIX_GAMES", "MATRIX_MAX_STEPS"]

#: Default episode length of the repeated matrix games.
MATRIX_MAX_STEPS = 25

#: Registry name -> builder of the normal-form game (keyword arguments pass through).
MATRIX_GAMES: dict[str, Callable[..., NormalFormGame]] = {
    "climbing": C.climbing_game,
    "penalty": C.penalty_game,
    "matching-pennies": C.matching_pennies,
    "rock-paper-scissors": C.rock_paper_scissors,
    "prisoners-dilemma": C.prisoners_dilemma,
    "shapley-game": C.shapley_game,
}


def _discount(discount) -> float:
    return real("make", "discount", discount, 0.0, 1.0, high_open=True)


def _factory(build: Callable[..., NormalFormGame]) -> Callable[..., MarkovGameEnv]:
    def factory(
        n_envs: int,
        *,
        max_steps: int | None = MATRIX_MAX_STEPS,
        discount: float = 0.99,
        **params,
    ) -> MarkovGameEnv:
        try:
            inspect.signature(build).bind(**params)
        except TypeError:
            names = ", ".join(["max_steps", "discount", *inspect.signature(build).parameters])
            fail(
                "make",
                f"unknown parameter among {sorted(params)}; this game takes {names}",
                TypeError,
            )
        game = MarkovGame.repeated(build(**params), _discount(discount))
        return MarkovGameEnv(game, n_envs, max_steps=max_steps)

    factory.__doc__ = f"The repeated {build.__name__}: {build.__doc__}"
    return factory


for _name, _build in MATRIX_GAMES.items():
    register(_name, _factory(_build))
