"""Deep Q-network agent in pure NumPy (float64) (Mnih et al. (2015), "Human-level control
through deep reinforcement learning").

* :class:`MLP` -- fully connected ReLU network with He initialisation (He et al. (2015)) and
  exact backpropagation of the DQN loss;
* :class:`Adam` -- the Adam optimiser (Kingma & Ba (2015), Algorithm 1);
* :class:`ReplayBuffer` -- batched ring buffer of transitions, uniform sampling (Mnih et al.
  2015, "experience replay");
* :class:`DQNAgent` -- the load balancer's agent: state (load ratio, task load, sensitivity, risk
  aversion), two hidden layers of 64 ReLU units, three actions (increase, decrease, keep the
  bid), loss ``MSE(Q(s, a), r + gamma max_a' Q_target(s', a'))`` with a target network copied
  every ``target_update`` training steps.

Everything is batched: ``act`` takes a batch of states (one per server), ``remember`` and
``observe`` a batch of transitions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import fail
from ._common import check_bytes, done_array, float_array, generator, index_array, integer, real

__all__ = ["MLP", "Adam", "DQNAgent", "ReplayBuffer"]


def _sizes(func: str, sizes) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        fail(
            func,
            f"sizes must be a sequence of layer widths such as (4, 64, 64, 3); "
            f"got {type(sizes).__name__}",
            TypeError,
        )
    out = tuple(integer(func, f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
    if len(out) < 2:
        fail(func, f"sizes needs at least an input and an output width; got {out}")
    weights = sum((a + 1) * b for a, b in zip(out[:-1], out[1:], strict=True))
    # the network, a target copy and Adam's two moment estimates
    check_bytes(func, 8 * 4 * weights, f"a network of widths {out}", "narrower layers")
    return out


def _check_buffer(func: str, capacity: int, state_dim: int) -> None:
    check_bytes(
        func,
        capacity * (16 * state_dim + 17),
        f"a replay buffer of {capacity} transitions of {state_dim} features",
        "a smaller capacity (buffer_size)",
    )


class MLP:
    """Fully connected float64 network with layer sizes ``sizes`` (``sizes[0]`` inputs,
    ``sizes[-1]`` outputs), ReLU on the hidden layers and a linear output.

    ``params`` is ``[W1, b1, W2, b2, ...]`` with ``W_k`` of shape ``(sizes[k-1], sizes[k])``
    drawn from ``N(0, 2 / fan_in)`` (He et al. 2015) and zero biases.
    """

    def __init__(self, sizes: Sequence[int] = (4, 64, 64, 3), seed=None) -> None:
        self.sizes = _sizes("MLP", sizes)
        rng = generator("MLP", seed)
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            self.params.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)))
            self.params.append(np.zeros(fan_out))

    def _input(self, func: str, x) -> np.ndarray:
        a = float_array(func, "x", x, ndims=(1, 2))
        if a.shape[-1] != self.sizes[0]:
            fail(
                func,
                f"x must have {self.sizes[0]} features in its last axis (sizes[0]); "
                f"got shape {a.shape}",
            )
        return a

    def _forward(self, x: np.ndarray, keep: bool = False):
        h = x
        acts = [h]
        n_layers = len(self.params) // 2
        for k in range(n_layers):
            h = h @ self.params[2 * k] + self.params[2 * k + 1]
            if k < n_layers - 1:
                h = np.maximum(h, 0.0)
                if keep:
                    acts.append(h)
        return (h, acts) if keep else h

    def forward(self, x) -> np.ndarray:
        """Outputs for a batch ``x`` of shape ``(B, sizes[0])`` -> ``(B, sizes[-1])`` (a single
        input of shape ``(sizes[0],)`` gives ``(sizes[-1],)``)."""
        return self._forward(self._input("MLP.forward", x))

    __call__ = forward

    def loss_and_grads(self, x, actions, targets) -> tuple[float, list[np.ndarray]]:
        """The DQN loss on a batch and its gradient with respect to every parameter.

        ``loss = mean_i (Q(x_i)[actions_i] - targets_i)**2`` -- the plain mean squared error
        of the load balancer's DQN (no factor 1/2). ``grads`` matches ``params`` one to one.
        """
        func = "MLP.loss_and_grads"
        x = self._input(func, x)
        if x.ndim != 2:
            fail(func, f"x must be a batch of shape (B, {self.sizes[0]}); got shape {x.shape}")
        b = x.shape[0]
        a = index_array(func, "actions", actions, self.sizes[-1], (b,), "sizes[-1]")
        t = float_array(func, "targets", targets, (b,))
        return self._loss_and_grads(x, a, t)

    def _loss_and_grads(self, x, a, t) -> tuple[float, list[np.ndarray]]:
        b = x.shape[0]
        q, acts = self._forward(x, keep=True)
        rows = np.arange(b)
        err = q[rows, a] - t
        loss = float(np.mean(err * err))
        dz = np.zeros_like(q)
        dz[rows, a] = 2.0 * err / b
        grads: list[np.ndarray] = [np.empty(0)] * len(self.params)
        for k in range(len(self.params) // 2 - 1, -1, -1):
            h = acts[k]
            grads[2 * k] = h.T @ dz
            grads[2 * k + 1] = dz.sum(axis=0)
            if k > 0:
                dz = (dz @ self.params[2 * k].T) * (h > 0)
        return loss, grads

    def copy(self) -> MLP:
        """An independent network with copies of the parameters."""
        new = MLP.__new__(MLP)
        new.sizes = self.sizes
        new.params = [p.copy() for p in self.params]
        return new

    def load(self, other: MLP) -> None:
        """Copy ``other``'s parameters into this network in place (same ``sizes``)."""
        if not isinstance(other, MLP):
            fail("MLP.load", f"other must be an MLP; got {type(other).__name__}", TypeError)
        if other.sizes != self.sizes:
            fail(
                "MLP.load",
                f"other has sizes {other.sizes} but this network has {self.sizes}; "
                "load only a network of the same architecture",
            )
        for p, q in zip(self.params, other.params, strict=True):
            p[...] = q


class Adam:
    """Adam (Kingma & Ba (2015), Algorithm 1) updating a list of arrays in place."""

    def __init__(
        self,
        params: list[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = params
        self.lr = real("Adam", "lr", lr, 0.0, low_open=True)
        if len(betas) != 2:
            fail("Adam", f"betas must be a pair (beta1, beta2); got {betas!r}")
        self.betas = (
            real("Adam", "betas[0]", betas[0], 0.0, 1.0, high_open=True),
            real("Adam", "betas[1]", betas[1], 0.0, 1.0, high_open=True),
        )
        self.eps = real("Adam", "eps", eps, 0.0, low_open=True)
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        #: Number of steps taken.
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        """One Adam step with bias-corrected moments."""
        if len(grads) != len(self.params):
            fail(
                "Adam.step",
                f"grads must have one array per parameter ({len(self.params)}); got {len(grads)}",
            )
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if np.shape(g) != p.shape:
                fail("Adam.step", f"grads[{i}] must have shape {p.shape}; got {np.shape(g)}")
        self.t += 1
        b1, b2 = self.betas
        step = self.lr * np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        eps_hat = self.eps * np.sqrt(1.0 - b2**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            p -= step * m / (np.sqrt(v) + eps_hat)


class ReplayBuffer:
    """Ring buffer of the last ``capacity`` transitions ``(s, a, r, s', done)`` with uniform
    sampling with replacement (Mnih et al. (2015), "experience replay")."""

    def __init__(self, capacity: int, state_dim: int, seed=None) -> None:
        self.capacity = integer("ReplayBuffer", "capacity", capacity, minimum=1)
        self.state_dim = integer("ReplayBuffer", "state_dim", state_dim, minimum=1)
        _check_buffer("ReplayBuffer", self.capacity, self.state_dim)
        self.rng = generator("ReplayBuffer", seed)
        self.states = np.zeros((self.capacity, self.state_dim))
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity)
        self.next_states = np.zeros((self.capacity, self.state_dim))
        self.dones = np.zeros(self.capacity, dtype=bool)
        self._size = 0
        #: Slot that the next transition is written to.
        self.position = 0

    def __len__(self) -> int:
        return self._size

    def add(self, states, actions, rewards, next_states, dones) -> None:
        """Append a batch of transitions (``states`` ``(B, state_dim)`` or one ``(state_dim,)``
        transition), overwriting the oldest once full; actions are non-negative ints."""
        self._add("ReplayBuffer.add", states, actions, rewards, next_states, dones, None)

    def _add(
        self, func: str, states, actions, rewards, next_states, dones, n_actions: int | None
    ) -> None:
        s = float_array(func, "states", states, ndims=(1, 2))
        one = s.ndim == 1
        s = s.reshape(-1, s.shape[-1])
        if s.shape[1] != self.state_dim:
            fail(func, f"states must have state_dim={self.state_dim} columns; got shape {s.shape}")
        shape = () if one else (s.shape[0],)
        a = index_array(func, "actions", actions, n_actions, shape, "n_actions").reshape(-1)
        r = float_array(func, "rewards", rewards, shape).reshape(-1)
        s2 = float_array(
            func, "next_states", next_states, (self.state_dim,) if one else s.shape
        ).reshape(-1, self.state_dim)
        d = done_array(func, dones, shape).reshape(-1)
        b = s.shape[0]
        if b > self.capacity:  # only the newest `capacity` transitions survive
            skip = b - self.capacity
            self.position = (self.position + skip) % self.capacity
            s, a, r, s2, d = s[skip:], a[skip:], r[skip:], s2[skip:], d[skip:]
            b = self.capacity
        slots = (self.position + np.arange(b)) % self.capacity
        self.states[slots] = s
        self.actions[slots] = a
        self.rewards[slots] = r
        self.next_states[slots] = s2
        self.dones[slots] = d
        self.position = (self.position + b) % self.capacity
        self._size = min(self._size + b, self.capacity)

    def sample(self, batch_size: int) -> tuple[np.ndarray, ...]:
        """``(states, actions, rewards, next_states, dones)``, ``batch_size`` transitions drawn
        uniformly with replacement (copies)."""
        batch_size = integer("ReplayBuffer.sample", "batch_size", batch_size, minimum=1)
        if self._size == 0:
            fail("ReplayBuffer.sample", "the buffer is empty; add transitions before sampling")
        i = self.rng.integers(self._size, size=batch_size)
        return (
            self.states[i],
            self.actions[i],
            self.rewards[i],
            self.next_states[i],
            self.dones[i],
        )


class DQNAgent:
    """DQN with experience replay and a target network (Mnih et al. (2015)).

    The online network ``q_net`` has sizes ``(state_dim, *hidden, n_actions)``; ``target_net``
    is a copy refreshed every ``target_update`` training steps. Each training step samples
    ``batch_size`` transitions and takes one Adam step on
    ``mean (Q(s, a) - (r + gamma * (1 - done) * max_a' Q_target(s', a')))**2``; with
    ``double=True`` the next action is chosen by the online network and valued by the target
    network (van Hasselt, Guez & Silver (2016)). ``epsilon`` may be reassigned.
    """

    def __init__(
        self,
        state_dim: int = 4,
        n_actions: int = 3,
        hidden: Sequence[int] = (64, 64),
        gamma: float = 0.9,
        lr: float = 1e-3,
        epsilon: float = 0.1,
        batch_size: int = 32,
        buffer_size: int = 10000,
        target_update: int = 100,
        train_every: int = 1,
        seed=None,
        *,
        double: bool = False,
    ) -> None:
        cls = "DQNAgent"
        self.state_dim = integer(cls, "state_dim", state_dim, minimum=1)
        self.n_actions = integer(cls, "n_actions", n_actions, minimum=1)
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
            fail(
                cls,
                f"hidden must be a sequence of layer widths such as (64, 64); "
                f"got {type(hidden).__name__}",
                TypeError,
            )
        hidden = tuple(integer(cls, f"hidden[{i}]", h, minimum=1) for i, h in enumerate(hidden))
        self.gamma = real(cls, "gamma", gamma, 0.0, 1.0)
        real(cls, "lr", lr, 0.0, low_open=True)
        self.epsilon = epsilon
        self.batch_size = integer(cls, "batch_size", batch_size, minimum=1)
        buffer_size = integer(cls, "buffer_size", buffer_size, minimum=1)
        self.target_update = integer(cls, "target_update", target_update, minimum=1)
        self.train_every = integer(cls, "train_every", train_every, minimum=1)
        self.double = bool(double)
        _sizes(cls, (self.state_dim, *hidden, self.n_actions))
        _check_buffer(cls, buffer_size, self.state_dim)
        self.rng = generator(cls, seed)
        self.q_net = MLP((self.state_dim, *hidden, self.n_actions), seed=self.rng)
        self.target_net = self.q_net.copy()
        self.optimizer = Adam(self.q_net.params, lr=lr)
        self.buffer = ReplayBuffer(buffer_size, self.state_dim, seed=self.rng)
        #: Gradient steps taken so far.
        self.train_steps = 0
        #: Calls of :meth:`observe` so far.
        self.observe_steps = 0

    @property
    def epsilon(self) -> float:
        return self._epsilon

    @epsilon.setter
    def epsilon(self, value: float) -> None:
        self._epsilon = real("DQNAgent", "epsilon", value, 0.0, 1.0)

    def _states(self, func: str, states) -> np.ndarray:
        s = float_array(func, "states", states, ndims=(1, 2))
        if s.shape[-1] != self.state_dim:
            fail(
                func,
                f"states must have state_dim={self.state_dim} features in the last "
                f"axis; got shape {s.shape}",
            )
        return s

    def q_values(self, states) -> np.ndarray:
        """Online-network action values: ``(B, state_dim)`` -> ``(B, n_actions)``."""
        return self.q_net._forward(self._states("DQNAgent.q_values", states))

    def greedy(self, states) -> np.ndarray:
        """Greedy actions (int64) of a batch of states (ties go to the lowest index)."""
        q = self.q_net._forward(self._states("DQNAgent.greedy", states))
        return np.argmax(q, axis=-1).astype(np.int64)

    def act(self, states) -> np.ndarray:
        """Epsilon-greedy actions (int64), one per state: uniformly random with probability
        ``epsilon``, else greedy."""
        s = self._states("DQNAgent.act", states)
        shape = s.shape[:-1]
        explore = self.rng.random(shape) < self._epsilon
        random_action = self.rng.integers(self.n_actions, size=shape)
        greedy = np.argmax(self.q_net._forward(s), axis=-1)
        return np.where(explore, random_action, greedy).astype(np.int64)

    def remember(self, states, actions, rewards, next_states, dones) -> None:
        """Store a batch of transitions in the replay buffer."""
        self.buffer._add(
            "DQNAgent.remember", states, actions, rewards, next_states, dones, self.n_actions
        )

    def train_step(self) -> float | None:
        """One gradient step on a sampled minibatch; returns the loss before the step, or
        None (and does nothing) while the buffer holds fewer than ``batch_size``
        transitions. Copies the online network to the target network every
        ``target_update`` steps."""
        if len(self.buffer) < self.batch_size:
            return None
        s, a, r, s2, d = self.buffer.sample(self.batch_size)
        q_next = self.target_net._forward(s2)
        if self.double:
            best = np.argmax(self.q_net._forward(s2), axis=1)
            future = q_next[np.arange(best.size), best]
        else:
            future = q_next.max(axis=1)
        targets = r + self.gamma * np.where(d, 0.0, future)
        loss, grads = self.q_net._loss_and_grads(s, a, targets)
        self.optimizer.step(grads)
        self.train_steps += 1
        if self.train_steps % self.target_update == 0:
            self.target_net.load(self.q_net)
        return loss

    def observe(self, states, actions, rewards, next_states, dones) -> float | None:
        """:meth:`remember` the batch, then :meth:`train_step` on every ``train_every``-th call;
        returns the loss, or None when no step was taken."""
        self.remember(states, actions, rewards, next_states, dones)
        self.observe_steps += 1
        if self.observe_steps % self.train_every:
            return None
        return self.train_step()
