"""asv benchmarks of accord.marl: the batched stage-game solvers of Nash-Q, minimax-Q
and correlated-Q, one learning step of the tabular learners over many copies, and the
vectorised environments."""

from __future__ import annotations

import numpy as np

import accord.games as G
from accord import marl

from . import common


def _stage_games(n: int, count: int) -> np.ndarray:
    return np.random.default_rng([common.SEED, n, count]).normal(size=(count, 2, n, n))


class StageSolvers:
    """One batched call over 1,000 random n x n stage games."""

    params = [[4, 5, 8]]
    param_names = ["actions"]

    def setup(self, n):
        self.games = _stage_games(n, 1000)

    def time_lemke_howson_batch(self, n):
        G.lemke_howson_batch(self.games)

    def time_minimax_batch(self, n):
        G.minimax_batch(self.games[:, 0])

    def time_correlated_equilibrium_batch(self, n):
        G.correlated_equilibrium_batch(self.games[:64] if n > 5 else self.games)


class LearnerStep:
    """act + update of one step of 1,024 copies on soccer (joint-action learners) or
    the climbing game (independent learners)."""

    params = [["nash-q", "minimax-q", "correlated-q", "hysteretic-q", "lenient-q", "wolf-phc"]]
    param_names = ["learner"]

    def setup(self, learner):
        E = 1024
        if learner in ("nash-q", "minimax-q", "correlated-q"):
            game = marl.soccer()
            cls = {
                "nash-q": marl.NashQ,
                "minimax-q": marl.MinimaxQ,
                "correlated-q": marl.CorrelatedQ,
            }
            self.learner = cls[learner](game.num_states, game.num_actions, game.discount, seed=0)
        else:
            game = marl.MarkovGame.repeated(G.climbing_game(), 0.0)
            cls = {
                "hysteretic-q": marl.HystereticQ,
                "lenient-q": marl.LenientQ,
                "wolf-phc": marl.WoLFPHC,
            }
            self.learner = cls[learner](1, game.num_actions, 0.0, n_envs=E, seed=0)
        self.env = marl.MarkovGameVecEnv(game, E, seed=1)
        self.states = self.env.states.copy()
        self.actions = self.learner.act(self.states)
        self.step = self.env.step(self.actions)

    def time_update(self, learner):
        s = self.step
        self.learner.act(self.states)
        self.learner.update(self.states, self.actions, s.rewards, s.next_states, s.terminated)


class VecEnvStep:
    """One step of 1,024 copies of a PettingZoo-compatible environment."""

    params = [["climbing", "soccer", "tiger"]]
    param_names = ["env"]

    def setup(self, env):
        from accord.marl import envs

        self.env = envs.make_vec(env, 1024, seed=0)
        self.env.reset(seed=0)
        rng = np.random.default_rng(common.SEED)
        ks = [self.env.action_space(a).n for a in self.env.possible_agents]
        self.actions = np.stack([rng.integers(0, k, 1024) for k in ks], axis=1)

    def time_step(self, env):
        self.env.step(self.actions)
