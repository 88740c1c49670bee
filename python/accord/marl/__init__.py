"""Multi-agent reinforcement learning: Markov games, their exact solutions, learners and
environments.

Models: :class:`MarkovGame` (Shapley 1953; Littman 1994) with cooperative, competitive
or mixed rewards, :class:`DecPOMDP`, Littman's soccer, Hu & Wellman's grid games and the
multi-agent tiger.  Planning: :func:`zero_sum_value_iteration`,
:func:`nash_value_iteration` and :func:`correlated_value_iteration`, every sweep solving
all states' stage games in one batched native call; :func:`nash_conv` measures how far a
policy is from equilibrium.  Learning: :func:`train` runs a learner on many copies of a
game or of an environment (``accord.marl.envs``, PettingZoo's API; needs the ``marl``
extra) -- independent, hysteretic and lenient Q, (WoLF-)PHC, joint-action learners,
Bayesian opponent models, fictitious play, minimax-Q, Nash-Q, correlated-Q,
friend-or-foe Q and mean-field Q.
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
from .mean_field import MeanFieldQ
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
    "MeanFieldQ",
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
