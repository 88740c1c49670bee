"""Normal-form games: best responses, learning dynamics and equilibria.

A game with ``n`` players is one payoff array of shape ``(n, k_1, ..., k_n)``; a
batch adds a leading axis.  NumPy payoffs run on the C++ kernels, CuPy payoffs on
the CUDA kernels.
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
from .correlated import (
    CorrelatedEquilibrium,
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    incentive_matrix,
)
from .correlated_batch import BatchCorrelated, correlated_equilibrium_batch
from .dynamics import (
    DynamicsResult,
    best_response_iteration,
    fictitious_play,
    logit_fictitious_play,
    regret_matching,
    replicator_dynamics,
)
from .enumeration import DegenerateGameWarning, support_enumeration, vertex_enumeration
from .game import NormalFormGame
from .lemke_howson import (
    BatchEquilibria,
    PathStatus,
    lemke_howson,
    lemke_howson_all,
    lemke_howson_batch,
)
from .minimax import minimax, minimax_batch
from .nfg import NfgGame, format_nfg, parse_nfg, read_nfg, write_nfg
from .pure import pure_nash_equilibria
from .response import best_response, expected_payoffs, nash_conv, regrets

__all__ = [
    "NfgGame",
    "format_nfg",
    "parse_nfg",
    "read_nfg",
    "write_nfg",
    "CorrelatedEquilibrium",
    "DegenerateGameWarning",
    "DynamicsResult",
    "NormalFormGame",
    "best_response",
    "best_response_iteration",
    "expected_payoffs",
    "fictitious_play",
    "logit_fictitious_play",
    "nash_conv",
    "regret_matching",
    "regrets",
    "replicator_dynamics",
    "battle_of_the_sexes",
    "blotto_allocations",
    "cce_violation",
    "ce_violation",
    "coarse_correlated_equilibrium",
    "correlated_equilibrium",
    "incentive_matrix",
    "chicken",
    "climbing_game",
    "colonel_blotto",
    "covariant_game",
    "lemke_howson",
    "lemke_howson_all",
    "lemke_howson_batch",
    "correlated_equilibrium_batch",
    "BatchCorrelated",
    "BatchEquilibria",
    "PathStatus",
    "matching_pennies",
    "minimax",
    "minimax_batch",
    "penalty_game",
    "prisoners_dilemma",
    "pure_nash_equilibria",
    "random_game",
    "rock_paper_scissors",
    "shapley_game",
    "stag_hunt",
    "support_enumeration",
    "vertex_enumeration",
]
