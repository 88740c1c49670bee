"""Independent learners: every player runs Q-learning over its own actions, treating
the others as part of the environment; one set of tables per environment copy, so
``E`` copies are ``E`` independent runs learned in one array update per step.

* :class:`IndependentQ`: Q-learning (Watkins & Dayan 1992) per player,
  ``Q[i, s, a_i] += alpha (r_i + discount max Q[i, s', :] - Q[i, s, a_i])``, the
  baseline of Claus & Boutilier (1998).
* :class:`HystereticQ`: Matignon et al. (2007): a smaller rate
  ``beta`` for decreases (``delta < 0``), so that a cooperative player is not pulled
  away from a good joint action by its partner's exploration.
* :class:`LenientQ`: lenient learning (Panait, Tuyls & Luke 2008; the LMRL2 algorithm
  of Wei & Luke 2016): a decrease is ignored with a probability that starts near 1 and
  falls as the entry's temperature cools with visits.

:class:`IndependentQ` and :class:`HystereticQ` act epsilon-greedily (ties between
greedy actions broken uniformly at random); :class:`LenientQ` explores by Boltzmann
selection at its mean temperature, or epsilon-greedily.

Every learner of :mod:`accord.marl` that keeps per-copy tables shares the argument
checks here: ``act(states)`` takes the ``(E,)`` int states of the copies,
``update(states, actions, rewards, next_states, terminated)`` one transition per copy
(``actions`` ``(E, n)`` int, ``rewards`` ``(E, n)``, ``terminated`` ``(E,)`` bool).
"""

from __future__ import annotations

import numpy as np

from .._backend import cpu_kernels
from .._validate import check_bytes, choice, fail, generator, integer, real, real_array

__all__ = ["HystereticQ", "IndependentQ", "LenientQ"]


# -- exploration -----------------------------------------------------------------------
def _greedy(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index of the largest entry of each row of ``values`` (``-inf`` pads), ties
    broken uniformly at random."""
    best = values == values.max(axis=-1, keepdims=True)
    return np.argmax(np.where(best, rng.random(values.shape), -1.0), axis=-1)


def _sample(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw from each row of ``probs`` (rows of non-negative weights; zero-weight
    entries, padding included, are never drawn)."""
    cdf = np.cumsum(probs, axis=-1)
    u = rng.random(probs.shape[:-1]) * cdf[..., -1]
    return (cdf <= u[..., None]).sum(axis=-1)


def _greedy_policies(values: np.ndarray, ks: tuple[int, ...]) -> list[np.ndarray]:
    """``values`` ``(E, n, S, k)`` as each player's ``(E, S, k_i)`` greedy policies
    (uniform over ties)."""
    best = values == values.max(axis=-1, keepdims=True)
    p = best / best.sum(axis=-1, keepdims=True)
    return [p[:, i, :, :k].copy() for i, k in enumerate(ks)]


def _boltzmann(values: np.ndarray, temperature) -> np.ndarray:
    """``exp(values / temperature)``, normalised per row (``-inf`` entries get 0);
    ``temperature`` broadcasts against the rows."""
    t = np.asarray(temperature, dtype=np.float64)[..., None]
    z = (values - values.max(axis=-1, keepdims=True)) / t
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


_kernels = cpu_kernels("marl")


# -- shared set-up and argument checks --------------------------------------------------
class _Tabular:
    """Sizes, the exploration generator and the checks of ``act``/``update`` shared by
    the tabular learners (one table set per environment copy)."""

    num_states: int
    num_actions: tuple[int, ...]
    num_players: int
    n_envs: int
    discount: float
    rng: np.random.Generator

    def _setup(
        self, func: str, num_states, num_actions, discount, n_envs, *, players: int | None = None
    ) -> None:
        S = integer(func, "num_states", num_states, minimum=1)
        if not isinstance(num_actions, (tuple, list)) or not num_actions:
            fail(
                func,
                f"num_actions must be a tuple of action counts; got {num_actions!r}",
                TypeError,
            )
        if players is not None and len(num_actions) != players:
            fail(
                func,
                f"num_actions must give {players} action counts (one per player); got "
                f"{len(num_actions)}",
            )
        ks = tuple(integer(func, "num_actions", k, minimum=1) for k in num_actions)
        self.discount = real(func, "discount", discount, 0.0, 1.0, high_open=True)
        E = integer(func, "n_envs", n_envs, minimum=1)
        self.num_states, self.num_actions, self.n_envs = S, ks, E
        self.num_players = len(ks)
        self._ks = np.array(ks, dtype=np.int64)
        self._valid = np.arange(max(ks))[None, :] < self._ks[:, None]  # (n, k)
        self._envs = np.arange(E)
        self._players = np.arange(len(ks))

    def _seed(self, func: str, seed) -> None:
        self.rng = generator(func, seed)

    def _name(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def _check_states(self, func: str, name: str, states) -> np.ndarray:
        s = np.asarray(states)
        E, S = self.n_envs, self.num_states
        if s.shape != (E,) or not np.issubdtype(s.dtype, np.integer):
            fail(
                func,
                f"{name} must be an integer array of shape ({E},) (one state per copy); got "
                f"{s.dtype} of shape {s.shape}",
            )
        bad = (s < 0) | (s >= S)
        if bad.any():
            e = int(np.flatnonzero(bad)[0])
            fail(func, f"{name}[{e}] is {int(s[e])}, not a state in 0..{S - 1}")
        return s

    def _check_act(self, states) -> np.ndarray:
        return self._check_states(self._name("act"), "states", states)

    def _kernel_args(self, s, a, r, nxt, term) -> tuple:
        """The checked transitions as the update kernels take them (``ks, s, a, r, s',
        terminated``)."""
        c = np.ascontiguousarray
        return (
            self._ks,
            c(s, dtype=np.int64),
            c(a, dtype=np.int64),
            c(r, dtype=np.float64),
            c(nxt, dtype=np.int64),
            c(term, dtype=np.uint8),
        )

    def _check_update(self, states, actions, rewards, next_states, terminated):
        """The transition arrays, checked: ``(s, a, r, s', terminated)``."""
        func = self._name("update")
        E, n = self.n_envs, self.num_players
        s = self._check_states(func, "states", states)
        a = np.asarray(actions)
        if a.shape != (E, n) or not np.issubdtype(a.dtype, np.integer):
            fail(
                func,
                f"actions must be an integer array of shape ({E}, {n}); got {a.dtype} of "
                f"shape {a.shape}",
            )
        bad = (a < 0) | (a >= self._ks)
        if bad.any():
            e, i = (int(v) for v in np.argwhere(bad)[0])
            fail(
                func,
                f"copy {e}: player {i}'s action {int(a[e, i])} is not in 0..{self._ks[i] - 1}",
            )
        r = real_array(func, "rewards", rewards)
        if r.shape != (E, n):
            fail(func, f"rewards must have shape ({E}, {n}); got {r.shape}")
        if not np.isfinite(r).all():
            e, i = (int(v) for v in np.argwhere(~np.isfinite(r))[0])
            fail(func, f"rewards must be finite; entry ({e}, {i}) is {r[e, i]}")
        bound = np.finfo(np.float64).max / 16 * (1.0 - self.discount)
        if r.size and not float(np.abs(r).max()) <= bound:
            fail(
                func,
                f"rewards up to {float(np.abs(r).max()):.3g} in magnitude would drive the "
                f"values (up to |r| / (1 - discount)) past float64's range; rescale the "
                f"rewards (at most {bound:.3g} with this discount)",
            )
        nxt = self._check_states(func, "next_states", next_states)
        t = np.asarray(terminated)
        if t.shape != (E,) or t.dtype != bool:
            fail(
                func,
                f"terminated must be a bool array of shape ({E},); got {t.dtype} of shape "
                f"{t.shape}",
                TypeError if t.shape == (E,) else ValueError,
            )
        return s, a, r, nxt, t


def _check_exploration(func: str, exploration, epsilon, temperature) -> tuple[str, float, float]:
    mode = choice(func, "exploration", exploration, ("epsilon", "boltzmann"))
    eps = real(func, "epsilon", epsilon, 0.0, 1.0)
    temp = real(func, "temperature", temperature, 0.0, low_open=True)
    return mode, eps, temp


# -- learners --------------------------------------------------------------------------
class IndependentQ(_Tabular):
    """Independent Q-learners, one table per player and environment copy.

    Parameters
    ----------
    num_states
        ``S``.
    num_actions
        ``(k_1, ..., k_n)``.
    discount
        ``0 <= discount < 1``.
    n_envs
        Environment copies ``E`` (each gets its own tables: an independent run).
    alpha
        Learning rate.
    epsilon
        Exploration probability per player and step.
    seed
        Seed of the exploration.

    Attributes
    ----------
    Q
        ``(E, n, S, max k_i)`` (entries beyond a player's actions stay ``-inf``).
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.1,
        epsilon: float = 0.1,
        seed=None,
    ) -> None:
        self._init(
            "IndependentQ", num_states, num_actions, discount, n_envs, alpha, alpha, epsilon, seed
        )

    def _init(self, func, num_states, num_actions, discount, n_envs, alpha, beta, epsilon, seed):
        self._setup(func, num_states, num_actions, discount, n_envs)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.beta = real(func, "beta", beta, 0.0, 1.0)
        self.epsilon = real(func, "epsilon", epsilon, 0.0, 1.0)
        self._seed(func, seed)
        E, n, S, k = self.n_envs, self.num_players, self.num_states, max(self.num_actions)
        check_bytes(func, 8 * E * n * S * k, "the Q-tables", "fewer copies or states")
        self.Q = np.where(self._valid[None, :, None, :], 0.0, -np.inf) * np.ones((E, 1, S, 1))

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` epsilon-greedy actions of every copy's players."""
        states = self._check_act(states)
        return self._epsilon_greedy(self.Q[self._envs, :, states], self.epsilon)

    def _epsilon_greedy(self, values: np.ndarray, epsilon: float) -> np.ndarray:
        """Per row of ``values`` ``(E, n, k)``: a uniformly random action with
        probability ``epsilon``, else a greedy one."""
        E, n = values.shape[:2]
        greedy = _greedy(values, self.rng)
        random = (self.rng.random((E, n)) * self._ks).astype(np.int64)
        return np.where(self.rng.random((E, n)) < epsilon, random, greedy)

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """One transition per copy; ``rewards`` ``(E, n)``."""
        s, a, r, nxt, term = self._check_update(states, actions, rewards, next_states, terminated)
        _kernels.q_update(
            self.Q, *self._kernel_args(s, a, r, nxt, term), self.discount, self.alpha, self.beta
        )

    def greedy(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` each copy's greedy joint action (lowest index on ties)."""
        states = self._check_states(self._name("greedy"), "states", states)
        return self.Q[self._envs, :, states].argmax(axis=2)

    def policies(self) -> list[np.ndarray]:
        """Each player's greedy policy, ``(E, S, k_i)`` per copy (uniform over tied
        greedy actions), for :func:`~accord.marl.train`'s diagnostics."""
        return _greedy_policies(self.Q, self.num_actions)


class HystereticQ(IndependentQ):
    """Hysteretic Q-learning (Matignon et al. 2007): rate ``alpha`` for increases and
    ``beta < alpha`` for decreases.  Parameters as :class:`IndependentQ`, plus
    ``beta`` (default 0.01, with ``alpha`` 0.1 as in the paper)."""

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.1,
        beta: float = 0.01,
        epsilon: float = 0.1,
        seed=None,
    ) -> None:
        self._init(
            "HystereticQ", num_states, num_actions, discount, n_envs, alpha, beta, epsilon, seed
        )
        if self.beta > self.alpha:
            fail("HystereticQ", f"beta must be <= alpha; got beta={beta}, alpha={alpha}")


class LenientQ(IndependentQ):
    """Lenient Q-learners: LMRL2 (Wei & Luke 2016, Sec. 4), after the lenient learners
    of Panait, Sullivan & Luke (2006) analysed by Panait, Tuyls & Luke (2008).

    Every (copy, player, state, action) entry has a temperature ``T``, starting at
    ``max_temperature``.  An update toward ``target = r + discount max Q[s', :]`` is
    applied when it raises ``Q``; one that would lower it is ignored with probability
    (the *leniency*)

        ``l = 1 - exp(-lenience * T[s, a])``,

    so a player forgives its partners' exploratory mistakes while the entry is hot and
    becomes an ordinary Q-learner as it cools.  After each update the entry cools,
    ``T[s, a] <- temperature_decay ((1 - diffusion) T[s, a] + diffusion mean T[s', :])``
    (``temperature_decay T[s, a]`` when ``s'`` is terminal: the diffusion carries the
    heat of states still to be learned back to their predecessors).

    Actions (``exploration="boltzmann"``, LMRL2's rule): Boltzmann selection
    ``P(a) ~ exp(Q[s, a] / (moderation * mean T[s, :]))`` while the state's mean
    temperature is at least ``min_temperature``, greedy below it; or
    ``exploration="epsilon"``: epsilon-greedy.

    Parameters
    ----------
    num_states, num_actions, discount, n_envs, seed
        As :class:`IndependentQ`.
    alpha
        Learning rate (0.1).
    max_temperature
        Initial temperature (50).
    temperature_decay
        Cooling factor per update of an entry (0.995).
    min_temperature
        Mean temperature below which Boltzmann selection turns greedy (2).
    lenience
        ``K`` in ``1 - exp(-K T)`` (1): larger is more lenient for longer.
    moderation
        Scale of the Boltzmann temperature (1).
    diffusion
        Share of the successor's mean temperature mixed into an entry's temperature
        (0.1; 0 turns the diffusion off).
    exploration
        ``"boltzmann"`` or ``"epsilon"``.
    epsilon
        Exploration probability of ``exploration="epsilon"``.

    The defaults follow LMRL2 (Wei & Luke 2016).

    Attributes
    ----------
    Q, temperature
        ``(E, n, S, max k_i)`` values (``-inf`` beyond a player's actions) and
        temperatures (0 there).
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.1,
        max_temperature: float = 50.0,
        temperature_decay: float = 0.995,
        min_temperature: float = 2.0,
        lenience: float = 1.0,
        moderation: float = 1.0,
        diffusion: float = 0.1,
        exploration: str = "boltzmann",
        epsilon: float = 0.1,
        seed=None,
    ) -> None:
        func = "LenientQ"
        self._setup(func, num_states, num_actions, discount, n_envs)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.beta = self.alpha
        self.max_temperature = real(func, "max_temperature", max_temperature, 0.0, low_open=True)
        self.temperature_decay = real(
            func, "temperature_decay", temperature_decay, 0.0, 1.0, low_open=True
        )
        self.min_temperature = real(func, "min_temperature", min_temperature, 0.0)
        self.lenience = real(func, "lenience", lenience, 0.0)
        self.moderation = real(func, "moderation", moderation, 0.0, low_open=True)
        self.diffusion = real(func, "diffusion", diffusion, 0.0, 1.0)
        self.exploration, self.epsilon, _ = _check_exploration(func, exploration, epsilon, 1.0)
        self._seed(func, seed)
        E, n, S, k = self.n_envs, self.num_players, self.num_states, max(self.num_actions)
        check_bytes(func, 16 * E * n * S * k, "the Q- and temperature tables", "fewer copies")
        ones = np.ones((E, 1, S, 1))
        self.Q = np.where(self._valid[None, :, None, :], 0.0, -np.inf) * ones
        self.temperature = np.where(self._valid[None, :, None, :], self.max_temperature, 0.0) * ones

    def _mean_temperature(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` mean temperature over each player's actions in each copy's state."""
        return self.temperature[self._envs, :, states].sum(axis=2) / self._ks

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` actions: Boltzmann at the state's mean temperature (greedy once it
        is below ``min_temperature``), or epsilon-greedy."""
        states = self._check_act(states)
        q = self.Q[self._envs, :, states]
        if self.exploration == "epsilon":
            return self._epsilon_greedy(q, self.epsilon)
        t = self._mean_temperature(states)
        cold = t < self.min_temperature
        soft = _sample(_boltzmann(q, self.moderation * np.where(cold, 1.0, t)), self.rng)
        return np.where(cold, _greedy(q, self.rng), soft)

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """One transition per copy; ``rewards`` ``(E, n)``."""
        s, a, r, nxt, term = self._check_update(states, actions, rewards, next_states, terminated)
        u = self.rng.random((self.n_envs, self.num_players))
        _kernels.lenient_update(
            self.Q,
            self.temperature,
            u,
            *self._kernel_args(s, a, r, nxt, term),
            self.discount,
            self.alpha,
            self.lenience,
            self.diffusion,
            self.temperature_decay,
        )
