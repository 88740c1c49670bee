"""Cooperative (transferable-utility) games: values, indices and the core.

Coalitions are bitmasks (bit ``i`` is player ``i``); a dense game is a table of
``2**n`` values indexed by mask, a structured game evaluates batches of masks.
"""

from .classic import airport_game, bankruptcy_game, glove_game, unanimity_game
from .core import core_violation, in_core
from .game import CoalitionalGame, TUGame
from .lp import LeastCore, core_allocation, least_core, nucleolus
from .sampling import ShapleyEstimate
from .semivalues import banzhaf, banzhaf_weights, semivalue, shapley_weights
from .shapley import shapley
from .weighted_voting import WeightedVotingGame

__all__ = [
    "CoalitionalGame",
    "LeastCore",
    "ShapleyEstimate",
    "TUGame",
    "WeightedVotingGame",
    "airport_game",
    "bankruptcy_game",
    "banzhaf",
    "banzhaf_weights",
    "core_allocation",
    "core_violation",
    "glove_game",
    "in_core",
    "least_core",
    "nucleolus",
    "semivalue",
    "shapley",
    "shapley_weights",
    "unanimity_game",
]
