"""``crowd``: a congestion game of many agents on a ring, the test bed of mean-field
learning (Yang et al. 2018, "Mean field multi-agent reinforcement learning", ICML).

Every step each of the ``N`` agents chooses one of ``K`` options (locations, routes).
Agent ``i``'s neighbours ``N(i)`` are the ``radius`` agents on each side of it on a ring
(``radius=None``: all other agents), and its *mean action* is the distribution of their
choices, ``abar_i = (1 / |N(i)|) sum_{j in N(i)} e_{a_j}`` (Yang et al. 2018, Sec. 3.1,
with one-hot actions ``e_k``).  The reward is an option's base value less its
congestion among the neighbours,

    r_i = b[a_i] - c * abar_i[a_i],                                              (1)

so an agent's payoff depends on the others only through its mean action (a linear
congestion game, Rosenthal 1973, in the style of El Farol; Arthur 1994).

Equilibrium.  When every agent plays the mixed strategy ``p``, the expected share of
any agent's neighbours on option ``k`` is ``p_k``, for every ``N``, ``radius`` and
ring position, so the expected reward of option ``k`` is ``b_k - c p_k``.  The
symmetric equilibrium (and the mean-field equilibrium of the limit ``N -> inf``)
equalises it over the options in use:

    b_k - c p*_k = lam  where p*_k > 0,    b_k <= lam  where p*_k = 0,           (2)

i.e. ``p*_k = max(0, (b_k - lam) / c)`` with ``lam`` fixed by ``sum_k p*_k = 1`` (water
filling; :func:`crowd_equilibrium`).  ``p*`` maximises the concave potential
``sum_k (b_k p_k - c p_k^2 / 2)`` over the simplex, so it is unique.

Observation of agent ``i``: ``(previous own action, cell of the previous mean action)``,
a pair of integers (a Box of int64 from ``(0, 0)`` to ``(K - 1, M - 1)``).  The mean
action is rounded to the lattice of distributions with denominator ``bins`` (largest
remainders, ties to the lower option), whose
``C(bins + K - 1, K - 1)`` points are the cells (:attr:`CrowdVecEnv.cells`).  A new
episode starts from a uniformly random joint action; episodes end only by truncation
after ``max_steps`` steps.
"""

from __future__ import annotations

import math

import gymnasium
import numpy as np

from ..._validate import check_bytes, fail, finite_vector, integer, real
from .base import VecEnv
from .registry import register

__all__ = ["CrowdVecEnv", "crowd_equilibrium", "simplex_lattice"]


def crowd_equilibrium(values, congestion: float) -> tuple[np.ndarray, float]:
    """The equilibrium ``(p*, lam)`` of the congestion game (1): the distribution over
    options with ``b_k - c p*_k = lam`` on its support and ``b_k <= lam`` off it, Eq. (2)
    of :mod:`accord.marl.envs.crowd`, by water filling.

    Parameters
    ----------
    values
        Base values ``b`` ``(K,)``, finite.
    congestion
        ``c > 0``.

    Returns
    -------
    p, lam
        The equilibrium distribution ``(K,)`` and the payoff ``lam`` of every option in
        its support.
    """
    func = "crowd_equilibrium"
    b = finite_vector(func, "values", values)
    if b.shape[0] < 1:
        fail(func, "values must hold at least one option")
    c = real(func, "congestion", congestion, 0.0, low_open=True)
    order = np.sort(b)[::-1]
    # lam_j: the common payoff when the j best options share the population
    j = np.arange(1, b.shape[0] + 1)
    lam_j = (np.cumsum(order) - c) / j
    support = int(np.flatnonzero(order > lam_j)[-1]) + 1  # order[0] > lam_1 always
    lam = float(lam_j[support - 1])
    p = np.maximum(0.0, (b - lam) / c)
    return p / p.sum(), lam


def simplex_lattice(k: int, bins: int) -> np.ndarray:
    """The points ``x / bins`` of the simplex with integer ``x >= 0``, ``sum x = bins``:
    ``(C(bins + k - 1, k - 1), k)``, in the order of the cells of :class:`CrowdVecEnv`
    (lexicographic in ``x``)."""
    func = "simplex_lattice"
    k = integer(func, "k", k, minimum=1)
    bins = integer(func, "bins", bins, minimum=1)
    count = math.comb(bins + k - 1, k - 1)
    check_bytes(func, 8 * count * k, "the lattice", "fewer options or bins")
    return _lattice(k, bins) / bins


def _lattice(k: int, bins: int) -> np.ndarray:
    """Integer compositions of ``bins`` into ``k`` parts, lexicographic."""
    if k == 1:
        return np.array([[bins]], dtype=np.int64)
    rows = [
        np.concatenate([np.full((len(rest), 1), first), rest], axis=1)
        for first in range(bins + 1)
        for rest in (_lattice(k - 1, bins - first),)
    ]
    return np.concatenate(rows).astype(np.int64)


class CrowdVecEnv(VecEnv):
    """``n_envs`` copies of the congestion game (1) of :mod:`accord.marl.envs.crowd`.

    Parameters
    ----------
    n_envs
        Copies ``E``.
    n_agents
        ``N >= 2``.
    values
        Base values ``b`` of the ``K >= 2`` options.
    congestion
        ``c > 0``.
    radius
        Neighbours on each side on the ring (``2 radius <= N - 1``), or ``None``: all
        other agents.
    bins
        Resolution of the mean-action cells (the lattice denominator).
    max_steps
        Episode length.
    seed, stream_offset
        As :class:`accord.marl.envs.VecEnv`.

    Attributes
    ----------
    values, congestion, radius, bins
    cells
        ``(M, K)`` the mean action that each cell index stands for.
    equilibrium
        ``p*`` ``(K,)`` of Eq. (2); ``equilibrium_payoff`` is ``lam``.
    actions
        ``(E, N)`` every copy's latest joint action (the random start after a reset).
    """

    def __init__(
        self,
        n_envs: int = 1,
        *,
        n_agents: int = 100,
        values=(1.0, 0.8, 0.6),
        congestion: float = 1.0,
        radius: int | None = None,
        bins: int = 4,
        max_steps: int = 100,
        seed: int | None = None,
        stream_offset: int = 0,
    ) -> None:
        func = "CrowdVecEnv"
        E = integer(func, "n_envs", n_envs, minimum=1)
        N = integer(func, "n_agents", n_agents, minimum=2)
        b = finite_vector(func, "values", values)
        K = b.shape[0]
        if K < 2:
            fail(func, f"values must give at least 2 options; got {K}")
        c = real(func, "congestion", congestion, 0.0, low_open=True)
        if radius is not None:
            radius = integer(func, "radius", radius, minimum=1)
            if 2 * radius > N - 1:
                fail(
                    func,
                    f"radius must be <= (n_agents - 1) // 2 = {(N - 1) // 2} so that no agent "
                    f"is its own neighbour; got {radius} (radius=None: all other agents)",
                )
        L = integer(func, "bins", bins, minimum=1)
        max_steps = integer(func, "max_steps", max_steps, minimum=1)
        check_bytes(
            func,
            8 * ((L + 1) ** (K - 1) + math.comb(L + K - 1, K - 1) * K),
            f"the mean-action cells of {K} options at {L} bins",
            "fewer options or bins",
        )
        # one step's working arrays: actions, counts and their rounding, (E, N, K) int64
        check_bytes(
            func,
            8 * E * N * (4 * K + K * K + 8),
            f"a step of {E} copies of {N} agents",
            "fewer copies or agents",
        )
        self.values = b
        self.values.flags.writeable = False
        self.congestion = c
        self.radius = radius
        self.bins = L
        lattice = _lattice(K, L)
        self.cells = lattice / L
        self.cells.flags.writeable = False
        radix = (L + 1) ** np.arange(K - 1, dtype=np.int64)
        self._radix = radix
        self._lut = np.full((L + 1) ** (K - 1), -1, dtype=np.int64)
        self._lut[lattice[:, :-1] @ radix] = np.arange(lattice.shape[0])
        self._m = N - 1 if radius is None else 2 * radius
        self.equilibrium, self.equilibrium_payoff = crowd_equilibrium(b, c)
        # ring neighbourhoods: the cell of every possible count vector, looked up by
        # its first K - 1 counts in radix m + 1 (when that table is small)
        self._count_lut = None
        if radius is not None and (self._m + 1) ** (K - 1) <= 2**20:
            self._count_radix = (self._m + 1) ** np.arange(K - 1, dtype=np.int64)
            grid = np.indices((self._m + 1,) * (K - 1)).reshape(K - 1, -1).T
            last = self._m - grid.sum(axis=1, keepdims=True)
            ok = last[:, 0] >= 0
            counts = np.concatenate([grid, last], axis=1)[ok]
            self._count_lut = np.full((self._m + 1) ** (K - 1), -1, dtype=np.int64)
            self._count_lut[counts[:, :-1] @ self._count_radix] = self.cell_of(counts)
        M = lattice.shape[0]
        top = np.array([K - 1, M - 1], dtype=np.int64)
        obs = [gymnasium.spaces.Box(0, top, dtype=np.int64) for _ in range(N)]
        act = [gymnasium.spaces.Discrete(K) for _ in range(N)]
        super().__init__(
            E,
            [f"agent_{i}" for i in range(N)],
            obs,
            act,
            max_steps=max_steps,
            seed=seed,
            stream_offset=stream_offset,
        )
        self.actions = np.zeros((E, N), dtype=np.int64)

    @property
    def n_options(self) -> int:
        """``K``."""
        return int(self.values.shape[0])

    @property
    def n_cells(self) -> int:
        """``M``, the number of mean-action cells."""
        return int(self.cells.shape[0])

    # -- the game ------------------------------------------------------------------------
    def neighbour_counts(self, actions: np.ndarray) -> np.ndarray:
        """``(E', N, K)`` int64: how many of each agent's neighbours chose each option in
        the joint actions ``actions`` ``(E', N)`` (validated ints in ``0..K-1``)."""
        a = np.asarray(actions, dtype=np.int64)
        E, N = a.shape
        K = self.n_options
        if self.radius is None:
            total = np.bincount((a + K * np.arange(E)[:, None]).ravel(), minlength=E * K).reshape(
                E, K
            )
            counts = np.broadcast_to(total[:, None, :], (E, N, K)).copy()
        else:
            r = self.radius
            onehot = np.zeros((E, N + 2 * r + 1, K), dtype=np.int64)
            idx = np.arange(-r, N + r) % N  # the ring, padded by r on each side
            np.put_along_axis(onehot[:, 1:], a[:, idx, None], 1, axis=2)
            cs = np.cumsum(onehot, axis=1)
            counts = cs[:, 2 * r + 1 :] - cs[:, :N]  # window i - r .. i + r
        np.put_along_axis(
            counts, a[..., None], np.take_along_axis(counts, a[..., None], axis=2) - 1, axis=2
        )
        return counts

    def mean_actions(self, actions: np.ndarray) -> np.ndarray:
        """``(E', N, K)`` float64: each agent's mean action ``abar_i`` under ``actions``."""
        return self.neighbour_counts(actions) / self._m

    def cell_of(self, counts: np.ndarray) -> np.ndarray:
        """Cell indices ``(...)`` of neighbour counts ``(..., K)`` (summing to ``|N(i)|``):
        the largest-remainder rounding of ``bins * counts / |N(i)|`` to integers summing
        to ``bins`` (ties to the lower option), looked up in :attr:`cells`."""
        L, m = self.bins, self._m
        x = counts * L
        floor, rem = np.divmod(x, m)
        deficit = L - floor.sum(axis=-1, keepdims=True)
        ahead = rem[..., None, :] > rem[..., :, None]  # [.., k, j]: j before k
        tie = (rem[..., None, :] == rem[..., :, None]) & np.tri(rem.shape[-1], k=-1, dtype=bool)
        rank = (ahead | tie).sum(axis=-1)
        lattice = floor + (rank < deficit)
        return self._lut[lattice[..., :-1] @ self._radix]

    def rewards_of(self, actions: np.ndarray) -> np.ndarray:
        """``(E', N)`` rewards (1) of the joint actions ``actions`` ``(E', N)``."""
        a = np.asarray(actions, dtype=np.int64)
        return self._rewards_cells(a)[0]

    def _rewards_cells(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rewards (1) and mean-action cells ``(E', N)`` of the joint actions ``a``."""
        E, N = a.shape
        K = self.n_options
        if self.radius is None:
            # every agent of a copy who chose k sees the same counts: the copy's
            # totals less itself, so only K count vectors per copy are rounded
            total = np.bincount((a + K * np.arange(E)[:, None]).ravel(), minlength=E * K)
            total = total.reshape(E, K)
            by_action = total[:, None, :] - np.eye(K, dtype=np.int64)  # (E, k, K)
            # options nobody chose have no agent to round for: any valid row will do
            some = total - np.eye(K, dtype=np.int64)[a[:, 0]]
            by_action = np.where(total[:, :, None] > 0, by_action, some[:, None, :])
            own = np.take_along_axis(np.diagonal(by_action, axis1=1, axis2=2), a, axis=1)
            cells = np.take_along_axis(self.cell_of(by_action), a, axis=1)
        else:
            counts = self.neighbour_counts(a)
            own = np.take_along_axis(counts, a[..., None], axis=2)[..., 0]
            if self._count_lut is not None:
                cells = self._count_lut[counts[..., :-1] @ self._count_radix]
            else:
                cells = self.cell_of(counts)
        rewards = self.values[a] - self.congestion * own / self._m
        return rewards, cells

    # -- VecEnv --------------------------------------------------------------------------
    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        N, K = self.num_agents, self.n_options
        u = self._uniforms(N, idx)
        a = np.minimum((u * K).astype(np.int64), K - 1)
        self.actions[idx] = a
        return np.stack([a, self._rewards_cells(a)[1]], axis=-1)

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rewards, cells = self._rewards_cells(actions)
        self.actions = actions.copy()
        obs = np.stack([actions, cells], axis=-1)
        return obs, rewards, np.zeros(self.n_envs, dtype=bool)

    def distribution(self, actions: np.ndarray | None = None) -> np.ndarray:
        """``(E, K)``: the share of each copy's agents on each option (default: the
        latest joint actions)."""
        a = self.actions if actions is None else np.asarray(actions, dtype=np.int64)
        E, K = a.shape[0], self.n_options
        counts = np.bincount((a + K * np.arange(E)[:, None]).ravel(), minlength=E * K)
        return counts.reshape(E, K) / a.shape[1]


register("crowd", CrowdVecEnv)
