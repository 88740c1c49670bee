"""Normal-form games: best responses, learning dynamics and equilibria.

See DESIGN.md §4 for the stable API.
"""

from .classic import (
    battle_of_the_sexes,
    blotto_allocations,
    chicken,
    climbing_game,
    colonel_blotto,
    covariant_game,
    matching_pennies,
    penalty_game,
    prisoners_dilemma,
    random_game,
    rock_paper_scissors,
    shapley_game,
    stag_hunt,
)
from .game import NormalFormGame

__all__ = [
    "NormalFormGame",
    "battle_of_the_sexes",
    "blotto_allocations",
    "chicken",
    "climbing_game",
    "colonel_blotto",
    "covariant_game",
    "matching_pennies",
    "penalty_game",
    "prisoners_dilemma",
    "random_game",
    "rock_paper_scissors",
    "shapley_game",
    "stag_hunt",
]
