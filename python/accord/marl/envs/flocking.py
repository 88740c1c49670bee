"""``flocking``: boids that learn to flock (Reynolds 1987, "Flocks, herds and schools: a
distributed behavioral model", SIGGRAPH 21(4)).

``N`` agents move in a square of side ``size``, either a torus (positions wrap) or a
box with reflecting walls.  Each step agent ``i`` chooses an acceleration
``u_i in [-max_accel, max_accel]^2`` and moves with time step ``dt``::

    v_i <- v_i + dt u_i,  then scaled to speed at most max_speed
    x_i <- x_i + dt v_i   (wrapped on the torus; reflected at the walls of the box,
                           which also reverses that velocity component)

Its observation is its own velocity and, for each of its ``k`` nearest neighbours in
order of distance (on the torus: by the minimal image), the neighbour's position and
velocity relative to its own: ``(v_i, x_j - x_i, v_j - v_i, ...)`` of length
``2 + 4 k``.

The reward scores Reynolds' three behaviours over the ``k`` nearest neighbours ``N_i``
after the move, less an action cost::

    r_i = - w_sep (1 / k) sum_{j in N_i} max(0, 1 - d_ij / d_sep)^2     separation
          - w_ali |mean_{j in N_i} v_j - v_i| / (2 max_speed)           alignment
          - w_coh |mean_{j in N_i} (x_j - x_i)| / size                  cohesion
          - w_act |u_i|^2 / (2 max_accel^2)                             effort

so every term lies in ``[-w, 0]`` (cohesion in ``[-w_coh, 0]`` up to ``sqrt(2)``) and a
flock in formation, at spacing ``d_sep`` or more, moving in one direction, earns
almost 0.  :func:`reynolds_steering` is the classical steering rule on the same
observations, a baseline for learners.  Episodes end only by truncation.
"""

from __future__ import annotations

import gymnasium
import numpy as np

from ..._validate import check_bytes, choice, fail, integer, real
from .base import VecEnv
from .registry import register

__all__ = ["FlockingVecEnv", "reynolds_steering"]

#: Bytes of temporaries per pair of agents in the neighbour search.
_PAIR_BYTES = 40
#: The neighbour search handles copies in chunks of at most this many pair bytes.
_CHUNK_BYTES = 64 * 2**20


class FlockingVecEnv(VecEnv):
    """``n_envs`` copies of the flocking environment of :mod:`accord.marl.envs.flocking`.

    Parameters
    ----------
    n_envs
        Copies ``E``.
    n_agents
        ``N >= 2``.
    neighbours
        ``k``, neighbours observed and scored, ``1 <= k <= N - 1``.
    size
        Side of the square.
    boundary
        ``"torus"`` or ``"box"``.
    max_speed, max_accel, dt
        Speed limit, acceleration bound (the action space), time step; all ``> 0``
        and ``dt max_speed < size``.
    separation
        ``d_sep > 0``, the spacing below which neighbours count as crowding.
    weights
        ``(w_sep, w_ali, w_coh, w_act)``, each ``>= 0``.
    max_steps
        Episode length.
    seed, stream_offset
        As :class:`accord.marl.envs.VecEnv`.

    Attributes
    ----------
    positions, velocities
        ``(E, N, 2)`` the copies' current state.
    """

    def __init__(
        self,
        n_envs: int = 1,
        *,
        n_agents: int = 20,
        neighbours: int = 4,
        size: float = 10.0,
        boundary: str = "torus",
        max_speed: float = 1.0,
        max_accel: float = 1.0,
        dt: float = 0.1,
        separation: float = 1.0,
        weights=(1.0, 1.0, 1.0, 0.1),
        max_steps: int = 200,
        seed: int | None = None,
        stream_offset: int = 0,
    ) -> None:
        func = "FlockingVecEnv"
        E = integer(func, "n_envs", n_envs, minimum=1)
        N = integer(func, "n_agents", n_agents, minimum=2)
        k = integer(func, "neighbours", neighbours, minimum=1)
        if k > N - 1:
            fail(func, f"neighbours must be <= n_agents - 1 = {N - 1}; got {k}")
        self.size = real(func, "size", size, 0.0, low_open=True)
        self.boundary = choice(func, "boundary", boundary, ("torus", "box"))
        self.max_speed = real(func, "max_speed", max_speed, 0.0, low_open=True)
        self.max_accel = real(func, "max_accel", max_accel, 0.0, low_open=True)
        self.dt = real(func, "dt", dt, 0.0, low_open=True)
        if self.dt * self.max_speed >= self.size:
            fail(
                func,
                f"dt * max_speed must be < size (one step crosses less than the square); got "
                f"{self.dt * self.max_speed:g} >= {self.size:g}",
            )
        self.separation = real(func, "separation", separation, 0.0, low_open=True)
        if not isinstance(weights, (tuple, list)) or len(weights) != 4:
            fail(
                func, f"weights must be four numbers (w_sep, w_ali, w_coh, w_act); got {weights!r}"
            )
        self.weights = tuple(real(func, f"weights[{j}]", w, 0.0) for j, w in enumerate(weights))
        max_steps = integer(func, "max_steps", max_steps, minimum=1)
        self.neighbours = k
        check_bytes(
            func,
            _PAIR_BYTES * N * N + 8 * E * N * (10 + 6 * k),
            f"the neighbour search of {N} agents in {E} copies",
            "fewer agents or copies",
        )
        half = self.size / 2 if self.boundary == "torus" else self.size
        vmax = self.max_speed
        low = np.concatenate([[-vmax, -vmax], np.tile([-half, -half, -2 * vmax, -2 * vmax], k)])
        obs = [gymnasium.spaces.Box(low, -low, dtype=np.float64) for _ in range(N)]
        act = [
            gymnasium.spaces.Box(-self.max_accel, self.max_accel, (2,), dtype=np.float64)
            for _ in range(N)
        ]
        super().__init__(
            E,
            [f"boid_{i}" for i in range(N)],
            obs,
            act,
            max_steps=max_steps,
            seed=seed,
            stream_offset=stream_offset,
        )
        self.positions = np.zeros((E, N, 2))
        self.velocities = np.zeros((E, N, 2))
        high = np.tile([self.size, self.size, vmax, vmax], (N, 1))
        low = np.tile([0.0, 0.0, -vmax, -vmax], (N, 1))
        self.state_space = gymnasium.spaces.Box(low, high, dtype=np.float64)

    # -- geometry ------------------------------------------------------------------------
    def _relative(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``x_j - x_i`` as two ``(E', N, N)`` planes (minimal image on the torus)."""
        dx = x[:, None, :, 0] - x[:, :, None, 0]
        dy = x[:, None, :, 1] - x[:, :, None, 1]
        if self.boundary == "torus":
            L = self.size
            for d in (dx, dy):
                d -= L * np.rint(d * (1.0 / L))  # in [-L/2, L/2]
        return dx, dy

    def _neighbourhood(self, x: np.ndarray, v: np.ndarray):
        """Nearest-``k`` relative positions, velocities and distances, ``(E', N, k, .)``,
        in copies of at most :data:`_CHUNK_BYTES` of temporaries."""
        E, N, _ = x.shape
        k = self.neighbours
        rel_x = np.empty((E, N, k, 2))
        rel_v = np.empty((E, N, k, 2))
        dist = np.empty((E, N, k))
        step = max(1, _CHUNK_BYTES // (_PAIR_BYTES * N * N))
        diag = np.arange(N)
        for lo in range(0, E, step):
            sl = slice(lo, min(E, lo + step))
            dx, dy = self._relative(x[sl])
            d2 = dx * dx + dy * dy
            d2[:, diag, diag] = np.inf
            near = np.argpartition(d2, k - 1, axis=2)[:, :, :k]
            nd2 = np.take_along_axis(d2, near, axis=2)
            order = np.argsort(nd2, axis=2, kind="stable")
            near = np.take_along_axis(near, order, axis=2)
            rel_x[sl, ..., 0] = np.take_along_axis(dx, near, axis=2)
            rel_x[sl, ..., 1] = np.take_along_axis(dy, near, axis=2)
            vs = v[sl]
            rel_v[sl] = (
                np.take_along_axis(vs[:, None, :, :], near[..., None], axis=2) - vs[:, :, None, :]
            )
            dist[sl] = np.sqrt(np.take_along_axis(nd2, order, axis=2))
        return rel_x, rel_v, dist

    def _observe(self, v, rel_x, rel_v) -> np.ndarray:
        E, N, k, _ = rel_x.shape
        neigh = np.concatenate([rel_x, rel_v], axis=3).reshape(E, N, 4 * k)
        return np.concatenate([v, neigh], axis=2)

    # -- VecEnv --------------------------------------------------------------------------
    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        N = self.num_agents
        u = self._uniforms(4 * N, idx).reshape(len(idx), N, 4)
        x = u[..., :2] * self.size
        angle = 2 * np.pi * u[..., 2]
        speed = self.max_speed * u[..., 3]
        v = np.stack([np.cos(angle), np.sin(angle)], axis=-1) * speed[..., None]
        v = np.clip(v, -self.max_speed, self.max_speed)
        self.positions[idx] = x
        self.velocities[idx] = v
        rel_x, rel_v, _ = self._neighbourhood(x, v)
        return self._observe(v, rel_x, rel_v)

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u = actions
        v = self.velocities + self.dt * u
        speed = np.sqrt(np.einsum("enc,enc->en", v, v))
        scale = np.minimum(1.0, self.max_speed / np.maximum(speed, 1e-300))
        v = np.clip(v * scale[..., None], -self.max_speed, self.max_speed)
        x = self.positions + self.dt * v
        L = self.size
        if self.boundary == "torus":
            x = np.mod(x, L)
            x[x >= L] = 0.0  # mod of a tiny negative number can round to L
        else:
            below, above = x < 0.0, x > L
            x = np.where(below, -x, np.where(above, 2 * L - x, x))
            v = np.where(below | above, -v, v)
        self.positions, self.velocities = x, v
        rel_x, rel_v, dist = self._neighbourhood(x, v)
        w_sep, w_ali, w_coh, w_act = self.weights
        crowd = np.maximum(0.0, 1.0 - dist / self.separation)
        sep = (crowd * crowd).mean(axis=2)
        ali = np.linalg.norm(rel_v.mean(axis=2), axis=2) / (2 * self.max_speed)
        coh = np.linalg.norm(rel_x.mean(axis=2), axis=2) / L
        effort = np.einsum("enc,enc->en", u, u) / (2 * self.max_accel**2)
        rewards = -(w_sep * sep + w_ali * ali + w_coh * coh + w_act * effort)
        obs = self._observe(v, rel_x, rel_v)
        return obs, rewards, np.zeros(self.n_envs, dtype=bool)

    def state(self) -> np.ndarray:
        """``(E, N, 4)``: every boid's position and velocity (``state_space`` is the
        space of one copy's)."""
        return np.concatenate([self.positions, self.velocities], axis=2)


def reynolds_steering(
    env: FlockingVecEnv,
    observations: np.ndarray,
    *,
    separation: float = 1.0,
    alignment: float = 1.0,
    cohesion: float = 1.0,
) -> np.ndarray:
    """Reynolds' (1987) steering from :class:`FlockingVecEnv` observations ``(E, N, 2 + 4k)``:
    the sum of a separation push away from neighbours closer than ``d_sep`` (weighted by
    ``1 - d / d_sep``), alignment to the neighbours' mean velocity and cohesion toward
    their centre, each with its gain, clipped to the action bounds.  Returns
    ``(E, N, 2)`` accelerations."""
    func = "reynolds_steering"
    if not isinstance(env, FlockingVecEnv):
        fail(func, f"env must be a FlockingVecEnv; got {type(env).__name__}", TypeError)
    o = np.asarray(observations, dtype=np.float64)
    k = env.neighbours
    if o.ndim != 3 or o.shape[1:] != (env.num_agents, 2 + 4 * k):
        fail(
            func,
            f"observations must have shape (E, {env.num_agents}, {2 + 4 * k}); got {o.shape}",
        )
    gains = [
        real(func, n, g, 0.0)
        for n, g in (("separation", separation), ("alignment", alignment), ("cohesion", cohesion))
    ]
    neigh = o[..., 2:].reshape(*o.shape[:2], k, 4)
    rel_x, rel_v = neigh[..., :2], neigh[..., 2:]
    d = np.linalg.norm(rel_x, axis=-1, keepdims=True)
    push = np.maximum(0.0, 1.0 - d / env.separation)
    away = -(rel_x / np.maximum(d, 1e-12) * push).sum(axis=2)
    steer = gains[0] * away * env.max_accel
    steer = steer + gains[1] * rel_v.mean(axis=2) / env.dt
    steer = steer + gains[2] * rel_x.mean(axis=2)
    return np.clip(steer, -env.max_accel, env.max_accel)


register("flocking", FlockingVecEnv)
