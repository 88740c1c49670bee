"""Learning agents for servers and bidders that adapt their bidding (bandits, Q-learning, a
deep Q-network and bid predictors; used by :mod:`accord.loadbalance` and
:mod:`accord.auctions`).

Every learner is vectorised over ``n_learners`` independent learners held in NumPy arrays
(one per server, say), takes ``seed=`` (an int or a ``numpy.random.Generator``) and keeps
its own generator in ``.rng``:

* bandits -- :class:`EpsilonGreedy`, :class:`UCB1`, :class:`ThompsonSampling`;
* tabular Q-learning -- :class:`QLearning`;
* deep Q-learning in NumPy -- :class:`DQNAgent` with :class:`MLP`, :class:`Adam` and
  :class:`ReplayBuffer`;
* bid predictors -- :class:`NeuralBidPredictor` (one weight), :class:`LinearBidPredictor`
  (recursive least squares);
* exploration schedules -- :func:`linear_decay`, :func:`exponential_decay`.
"""

from .bandits import UCB1, EpsilonGreedy, ThompsonSampling
from .dqn import MLP, Adam, DQNAgent, ReplayBuffer
from .predictors import LinearBidPredictor, NeuralBidPredictor
from .qlearning import QLearning
from .schedules import exponential_decay, linear_decay

__all__ = [
    "MLP",
    "UCB1",
    "Adam",
    "DQNAgent",
    "EpsilonGreedy",
    "LinearBidPredictor",
    "NeuralBidPredictor",
    "QLearning",
    "ReplayBuffer",
    "ThompsonSampling",
    "exponential_decay",
    "linear_decay",
]
