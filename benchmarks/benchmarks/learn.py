"""asv benchmarks of accord.learn: one select + update round of the vectorised bandit and
Q-learning learners for many servers, and the NumPy DQN (act, train step) at the load
balancer's sizes (state of 4 features, two hidden layers of 64, three actions).
"""

from __future__ import annotations

import numpy as np

from accord.learn import UCB1, DQNAgent, EpsilonGreedy, LinearBidPredictor, QLearning

from . import common

LEARNERS = [100, 10_000]
ARMS = 3
STATES = 11  # int(10 * load_ratio) for load ratios in [0, 1], as accord.loadbalance


class Bandits:
    """One round (select, then update with a reward per learner)."""

    params = [["epsilon-greedy", "ucb1"], LEARNERS]
    param_names = ["learner", "n_learners"]

    def setup(self, learner, n_learners):
        rng = np.random.default_rng([common.SEED, 10, n_learners])
        cls = EpsilonGreedy if learner == "epsilon-greedy" else UCB1
        self.bandit = cls(n_learners, ARMS, seed=common.SEED)
        for _ in range(5):
            arms = self.bandit.select()
            self.bandit.update(arms, rng.random(n_learners))
        self.rewards = rng.random(n_learners)

    def time_round(self, learner, n_learners):
        arms = self.bandit.select()
        self.bandit.update(arms, self.rewards)


class TabularQ:
    """One epsilon-greedy step and Q-learning update for every learner."""

    params = [LEARNERS]
    param_names = ["n_learners"]

    def setup(self, n_learners):
        rng = np.random.default_rng([common.SEED, 11, n_learners])
        self.q = QLearning(n_learners, STATES, ARMS, seed=common.SEED)
        self.q.Q[:] = rng.normal(size=self.q.Q.shape)
        self.s = rng.integers(STATES, size=n_learners)
        self.s2 = rng.integers(STATES, size=n_learners)
        self.r = rng.random(n_learners)

    def time_step(self, n_learners):
        a = self.q.select(self.s)
        self.q.update(self.s, a, self.r, self.s2)


class DQN:
    """Batched action selection for 100 servers and one training step (batch 32)."""

    def setup(self):
        rng = np.random.default_rng([common.SEED, 12])
        self.agent = DQNAgent(seed=common.SEED)
        s = rng.random((1000, 4))
        self.agent.remember(
            s,
            rng.integers(3, size=1000),
            rng.random(1000),
            rng.random((1000, 4)),
            rng.random(1000) < 0.05,
        )
        self.states = rng.random((100, 4))

    def time_act(self):
        self.agent.act(self.states)

    def time_train_step(self):
        self.agent.train_step()


class Predictor:
    """Recursive least squares on a batch of 100 rows of 4 features."""

    def setup(self):
        rng = np.random.default_rng([common.SEED, 13])
        self.x = rng.random((100, 4))
        self.y = self.x @ [1.0, -0.5, 0.2, 0.0] + 0.1
        self.p = LinearBidPredictor(n_features=4, lam=0.99)

    def time_rls_update(self):
        self.p.update(self.x, self.y)
