"""``load-balancing``: the servers of :mod:`accord.loadbalance` as learning agents.

Each copy is one :class:`accord.loadbalance.LoadBalancer` market: tasks arrive, every
server bids in reverse second-price auctions, overloaded winners split tasks with
coalition partners and loads drain (steps 1-3 of :mod:`accord.loadbalance.simulate`).
The agents are the servers, and they take the place of the package's sensitivity
learners (step 4): each round server ``i`` observes its discretised load ratio
``min(int(10 ratio_i), 10)`` and picks one of :data:`accord.loadbalance.ACTIONS`
(``increase``, ``decrease``, ``none``), which multiplies its bidding sensitivity by
``1 + lr``, ``1 - lr`` or 1 (kept within ``sensitivity_bounds``) before the round's
auctions.  Its reward is the package's learning reward, the fall of its distance to the
target load ratio over the round::

    r_i = |ratio_i - target_i| (before the round) - |ratio_i - target_i| (after)

so a run of this environment with a Q-learner per server is the package's
``mode="q-learning"`` simulation with the learner swapped.  An episode is
``config.rounds`` rounds (or ``max_steps``) of one market whose servers are drawn
afresh at every reset.

The market itself is the package's (its C++ auction kernel by default): copies are
stepped one after another, one market call per copy and round, since each market's
auctions are sequential.
"""

from __future__ import annotations

from dataclasses import fields

import gymnasium
import numpy as np

from ..._validate import check_bytes, choice, fail, integer
from .base import VecEnv
from .registry import register

__all__ = ["LoadBalancingVecEnv"]

_N_STATES = 11  # min(int(10 * ratio), 10), the package's learning state


class LoadBalancingVecEnv(VecEnv):
    """``n_envs`` load-balancing markets whose servers are the agents.

    Parameters
    ----------
    n_envs
        Copies ``E``.
    config
        A :class:`accord.loadbalance.LoadBalanceConfig` with ``mode="static"`` (the
        agents set the sensitivities); default: the package's defaults with
        ``mode="static"`` and ``ledger=False``.
    max_steps
        Episode length (default: ``config.rounds``).
    auction
        The package's auction path, ``"kernel"`` or ``"numpy"`` (equal results).
    seed, stream_offset
        As :class:`accord.marl.envs.VecEnv`.
    **settings
        Fields of the default config to override (as :func:`accord.loadbalance.simulate`).

    Attributes
    ----------
    config
    balancers
        The copies' :class:`accord.loadbalance.LoadBalancer` markets.
    seeds
        ``(E,)`` object array: the integer from which each copy's current market was
        seeded (``LoadBalancer(config, seed=numpy.random.SeedSequence(seeds[e]))``).
    """

    def __init__(
        self,
        n_envs: int = 1,
        *,
        config=None,
        max_steps: int | None = None,
        auction: str = "kernel",
        seed: int | None = None,
        stream_offset: int = 0,
        **settings,
    ) -> None:
        from ...loadbalance import ACTIONS, LoadBalanceConfig, action_multipliers

        func = "LoadBalancingVecEnv"
        E = integer(func, "n_envs", n_envs, minimum=1)
        if config is None:
            known = {f.name for f in fields(LoadBalanceConfig)}
            unknown = sorted(set(settings) - known)
            if unknown:
                fail(func, f"unknown setting(s) {unknown}; known: {sorted(known)}")
            config = LoadBalanceConfig(**{"mode": "static", "ledger": False, **settings})
        elif settings:
            fail(func, "give either config or individual settings, not both", TypeError)
        if not isinstance(config, LoadBalanceConfig):
            fail(
                func,
                f"config must be a LoadBalanceConfig or None; got {type(config).__name__}",
                TypeError,
            )
        if config.mode != "static":
            fail(
                func,
                f"config.mode must be 'static': the agents set the servers' sensitivities; "
                f"got {config.mode!r}",
            )
        self.auction = choice(func, "auction", auction, ("kernel", "numpy"))
        rounds = config.rounds if max_steps is None else integer(func, "max_steps", max_steps, 1)
        check_bytes(
            func,
            E * config.memory_bytes(rounds),
            f"{E} markets over {rounds} rounds (their per-round history)",
            "fewer copies or a shorter max_steps",
        )
        self.config = config
        self._mult = action_multipliers(config.learning_rate)
        n = config.n_servers
        obs = [gymnasium.spaces.Discrete(_N_STATES) for _ in range(n)]
        act = [gymnasium.spaces.Discrete(len(ACTIONS)) for _ in range(n)]
        super().__init__(
            E,
            [f"server_{i}" for i in range(n)],
            obs,
            act,
            max_steps=rounds,
            seed=seed,
            stream_offset=stream_offset,
        )
        self.balancers: list = [None] * E
        self.seeds = np.zeros(E, dtype=object)
        self._dev = np.zeros((E, n))

    def _ratio(self, e: int) -> np.ndarray:
        return self.balancers[e].servers.load_ratio(self.config.ratio_cap)

    def _observe(self, ratio: np.ndarray) -> np.ndarray:
        return np.minimum((ratio * 10).astype(np.int64), _N_STATES - 1)

    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        from ...loadbalance import LoadBalancer

        u = self._uniforms(2, idx)
        words = (u * 2.0**53).astype(np.int64)
        obs = np.empty((len(idx), self.num_agents), dtype=np.int64)
        for j, e in enumerate(idx.tolist()):
            entropy = int(words[j, 0]) | (int(words[j, 1]) << 53)
            self.seeds[e] = entropy
            lb = LoadBalancer(
                self.config, seed=np.random.SeedSequence(entropy), auction=self.auction
            )
            self.balancers[e] = lb
            ratio = self._ratio(e)
            self._dev[e] = np.abs(ratio - lb.servers.target_load_ratio)
            obs[j] = self._observe(ratio)
        return obs

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = self.config.sensitivity_bounds
        obs = np.empty((self.n_envs, self.num_agents), dtype=np.int64)
        rewards = np.empty((self.n_envs, self.num_agents))
        for e, lb in enumerate(self.balancers):
            s = lb.servers
            s.sensitivity *= self._mult[actions[e]]
            np.clip(s.sensitivity, lo, hi, out=s.sensitivity)
            lb.step()
            ratio = self._ratio(e)
            dev = np.abs(ratio - s.target_load_ratio)
            rewards[e] = self._dev[e] - dev
            self._dev[e] = dev
            obs[e] = self._observe(ratio)
        return obs, rewards, np.zeros(self.n_envs, dtype=bool)

    def state(self) -> np.ndarray:
        """``(E, n, 2)``: every server's load and sensitivity."""
        return np.stack(
            [np.stack([lb.servers.load, lb.servers.sensitivity], axis=1) for lb in self.balancers]
        )


register("load-balancing", LoadBalancingVecEnv)
