"""Multi-agent reinforcement learning: Markov games and exact planning in them.

:class:`MarkovGame` is a finite stochastic game (Shapley 1953; Littman 1994) with
cooperative, competitive or mixed rewards; :func:`zero_sum_value_iteration` and
:func:`nash_value_iteration` compute values and stationary equilibrium strategies of
known games, solving every state's stage game in one batched native call.  Models:
Littman's (1994) soccer (:func:`soccer`).  Learning: :class:`MarkovGameVecEnv` steps
many copies of a game in one array operation, and :func:`train` runs a learner such as
:class:`MinimaxQ`, :class:`NashQ`, :class:`IndependentQ` or :class:`HystereticQ` on them.
"""

from .dec_pomdp import (
    TIGER_ACTIONS,
    TIGER_OBSERVATIONS,
    TIGER_STATES,
    DecPOMDP,
    multi_agent_tiger,
)
from .diagnostics import NashConv, joint_policy, nash_conv, optimal_team_values, policy_values
from .grid_games import (
    GRID_ACTIONS,
    GRID_GAME_DISCOUNT,
    grid_game_1,
    grid_game_2,
    grid_game_cells,
    grid_game_index,
)
from .independent_q import HystereticQ, IndependentQ, LenientQ
from .markov_game import STOCHASTIC_TOL, MarkovGame
from .opponent_models import BayesianOpponentModel, JointActionLearner, MarkovFictitiousPlay
from .planning import (
    CE_OBJECTIVES,
    MarkovSolution,
    correlated_stage_solutions,
    correlated_value_iteration,
    nash_value_iteration,
    zero_sum_value_iteration,
)
from .policy_hill_climbing import PHC, WoLFPHC
from .soccer import SOCCER_ACTIONS, SoccerState, soccer, soccer_index, soccer_state
from .stage_q import CorrelatedQ, FriendOrFoeQ, MinimaxQ, NashQ
from .training import Learner, TrainResult, train
from .vector import MarkovGameVecEnv, VecStep

__all__ = [
    "DecPOMDP",
    "multi_agent_tiger",
    "TIGER_ACTIONS",
    "TIGER_OBSERVATIONS",
    "TIGER_STATES",
    "GRID_ACTIONS",
    "GRID_GAME_DISCOUNT",
    "grid_game_1",
    "grid_game_2",
    "grid_game_cells",
    "grid_game_index",
    "LenientQ",
    "PHC",
    "WoLFPHC",
    "JointActionLearner",
    "BayesianOpponentModel",
    "MarkovFictitiousPlay",
    "STOCHASTIC_TOL",
    "MarkovGame",
    "MarkovSolution",
    "nash_value_iteration",
    "zero_sum_value_iteration",
    "CE_OBJECTIVES",
    "correlated_stage_solutions",
    "correlated_value_iteration",
    "NashConv",
    "joint_policy",
    "nash_conv",
    "policy_values",
    "optimal_team_values",
    "SOCCER_ACTIONS",
    "SoccerState",
    "soccer",
    "soccer_index",
    "soccer_state",
    "MarkovGameVecEnv",
    "VecStep",
    "Learner",
    "MinimaxQ",
    "IndependentQ",
    "HystereticQ",
    "NashQ",
    "CorrelatedQ",
    "FriendOrFoeQ",
    "TrainResult",
    "train",
]
