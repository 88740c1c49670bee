"""Learning dynamics on batches of normal-form games.

Every dynamic runs its whole trajectory inside a kernel (no Python in the loop),
batched over games, and returns a :class:`DynamicsResult`: the final profile and
the history of its NashConv, one value every ``record_every`` iterations. Payoffs
are processed in float64; payoffs so large that a dynamic's accumulated sums
(cumulative payoffs, regrets, counts times payoffs) could overflow are refused with
a ``ValueError`` before any work starts (rescale them: Nash equilibria are invariant
to positive affine maps), and no result holds NaN or infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _backend
from .._validate import as_array, check_int64, choice, fail, integer, real, seed_value
from .game import (
    GameLike,
    NormalFormGame,
    Profile,
    as_game,
    check_profile,
    split_profile,
    uniform_profile,
)

#: Largest history or joint-distribution output a call may allocate (bytes).
MAX_OUTPUT_BYTES = 4 << 30


@dataclass(frozen=True)
class DynamicsResult:
    """Outcome of a learning dynamic.

    Unpacks as ``profile, history = result``.

    Attributes
    ----------
    profile
        The final (or time-averaged, as each dynamic documents) mixed profile: one
        array per player, ``(k_i,)`` for one game or ``(B, k_i)`` for a batch.
    history
        NashConv of the reported profile after iterations ``record_every``,
        ``2 * record_every``, ...: shape ``(records,)`` or ``(B, records)``.
    record_every
        Iterations between two history entries.
    converged
        Best-response iteration only: whether each game reached ``tol``.
    converged_at
        Best-response iteration only: the iteration at which it did (-1 if never).
    joint
        Regret matching only: the empirical joint distribution, of shape
        ``(k_1, ..., k_n)`` or ``(B, k_1, ..., k_n)``.
    ce_violation, cce_violation
        Regret matching only: the largest incentive to deviate from ``joint``, as a
        correlated and as a coarse correlated equilibrium (0 at an equilibrium).
    """

    profile: list[np.ndarray]
    history: np.ndarray
    record_every: int
    converged: object = None
    converged_at: object = None
    joint: object = None
    ce_violation: object = None
    cce_violation: object = None

    def __iter__(self):
        yield self.profile
        yield self.history

    @property
    def nash_conv(self):
        """The last recorded NashConv (per game)."""
        return self.history[..., -1]


def _prepare(
    func: str, game: GameLike, iterations: int, record_every: int, minimum: int = 0
) -> tuple[NormalFormGame, int, int]:
    game = as_game(func, game)
    iterations = integer(func, "iterations", iterations, minimum=minimum)
    record_every = integer(func, "record_every", record_every, minimum=1)
    check_int64(func, iterations, "iterations", "fewer iterations")
    check_int64(func, record_every, "record_every", "at most iterations")
    records = iterations // record_every
    B = game.batch_size or 1
    if B * records * 8 > MAX_OUTPUT_BYTES:
        fail(
            func,
            f"the NashConv history would take {B * records * 8:,} bytes; raise "
            "record_every (e.g. record_every=iterations keeps only the last value)",
        )
    return game, iterations, record_every


def _cpu_payoffs(func: str, game: NormalFormGame) -> np.ndarray:
    if game.device != "cpu":
        fail(
            func,
            "runs on the CPU kernels; pass NumPy payoffs (cupy.asnumpy), or use "
            "fictitious_play, which also runs on the GPU",
            TypeError,
        )
    return np.ascontiguousarray(game.as_batch(), dtype=np.float64)


def _result(game: NormalFormGame, flat, history, every: int, **extra) -> DynamicsResult:
    xp = _backend.array_module(flat)
    if not (bool(xp.isfinite(flat).all()) and bool(xp.isfinite(history).all())):
        # _check_scale keeps sums finite; a non-finite result is never returned silently.
        raise ValueError(
            "the dynamics produced non-finite values (payoffs too large for float64 "
            "accumulation); rescale the payoffs"
        )
    if not game.batched:
        history = history[0]
        extra = {k: (v[0] if v is not None else None) for k, v in extra.items()}
    return DynamicsResult(split_profile(game, flat), history, every, **extra)


def _start(func: str, game: NormalFormGame, start: Profile | None) -> np.ndarray:
    if start is None:
        start = uniform_profile(game)
    flat = check_profile(func, game, start, "start")
    return np.ascontiguousarray(_backend.to_host(flat), dtype=np.float64)


def _check_scale(
    func: str, game: NormalFormGame, log2_factor: float, how: str, floor: float = 0.0
) -> None:
    """Refuse payoffs whose accumulated sums could overflow float64.

    ``log2_factor`` bounds (in log2) how many payoff magnitudes a dynamic adds up
    (``how`` says which), so that ``max|payoff| * 2**log2_factor`` stays finite with
    a margin of 4 before any work starts. ``floor`` is a least magnitude, for
    dynamics whose weights (counts) grow on their own.
    """
    low, high = game.payoff_bounds()
    M = max(high, -low, floor)
    if M == 0.0:
        return
    need = math.log2(M) + log2_factor
    if need + 2 > 1023:
        fail(
            func,
            f"payoffs reach max |payoff| = {M:.3g}; the dynamics accumulate up to {how} "
            f"(about 2^{need:.0f}), which overflows float64; rescale the payoffs (Nash "
            "equilibria are invariant to positive affine maps) or run fewer iterations",
        )


def _payoff_range(game: NormalFormGame) -> float:
    low, high = game.payoff_bounds()
    return high - low


def fictitious_play(
    game: GameLike,
    iterations: int,
    *,
    mode: str = "simultaneous",
    initial: ArrayLike | None = None,
    record_every: int = 1,
    device: str | None = None,
) -> DynamicsResult:
    """Fictitious play (Brown 1951; Robinson 1951).

    Every player best-responds to the empirical frequencies of the others' past
    actions (lowest index on exact ties). ``mode="alternating"`` lets player ``i``
    see the actions already chosen this round by players before it (Berger 2007).
    Two-player games keep each player's cumulative payoffs up to date by adding one
    row of the opponent's payoff matrix per step: O(k) per step and player.

    Parameters
    ----------
    iterations
        Steps after the initial play; the reported profile is the empirical
        frequency of ``iterations + 1`` plays.
    initial
        The actions played first: one int per player (shared by a batch) or an
        array ``(B, n)``. Default: action 0 for every player.
    device
        ``None`` follows the payoffs; CuPy payoffs run on the GPU (two-player games).

    Returns
    -------
    DynamicsResult
        ``profile`` is the empirical mixed profile; ``history`` its NashConv.
    """
    func = "fictitious_play"
    game, iterations, record_every = _prepare(func, game, iterations, record_every)
    mode_id = {"simultaneous": 0, "alternating": 1}[
        choice(func, "mode", mode, ("simultaneous", "alternating"))
    ]
    B, n = game.batch_size or 1, game.num_players
    init: np.ndarray
    if initial is None:
        init = np.zeros((B, n), dtype=np.int64)
    else:
        init = as_array(func, "initial", _backend.to_host(initial))
        if not np.issubdtype(init.dtype, np.integer):
            fail(func, f"initial must hold integer actions; got dtype {init.dtype}", TypeError)
        if init.shape == (n,):
            init = np.broadcast_to(init, (B, n))
        if init.shape != (B, n):
            fail(func, f"initial must have shape ({n},) or ({B}, {n}); got {init.shape}")
        k = np.array(game.num_actions)
        if ((init < 0) | (init >= k)).any():
            fail(func, f"initial actions must lie in 0..k_i-1 for k = {game.num_actions}")
        init = np.ascontiguousarray(init, dtype=np.int64)
    t = iterations + 1
    # Two players: counts x cumulative payoffs; more: products of the others' counts.
    _check_scale(
        func,
        game,
        max(n, 2) * math.log2(t) + 1,
        f"2 x (iterations + 1)^{max(n, 2)} x max(|payoff|, 1)",
        floor=1.0 if n > 2 else 0.0,
    )
    target = _backend.resolve_device(func, game.payoffs, device)
    if target == "cuda":
        return _fictitious_play_cuda(func, game, iterations, mode_id, init, record_every)
    P = _cpu_payoffs(func, game)
    flat, hist = _backend.cpu_kernels("games").fictitious_play(
        P, iterations, mode_id, init, record_every
    )
    return _result(game, flat, hist, record_every)


def _fictitious_play_cuda(func, game, iterations, mode_id, init, record_every):
    if game.num_players != 2:
        fail(
            func,
            "on the GPU fictitious play runs two-player games; pass NumPy payoffs "
            "for games with more players",
        )
    mod = _backend.cuda_kernels(func)
    P = _backend.device_buffer(game.as_batch())
    xp = _backend.array_module(P)
    B = P.shape[0]
    m, k = game.num_actions
    flat = xp.empty((B, m + k), dtype=np.float64)
    hist = xp.empty((B, iterations // record_every), dtype=np.float64)
    init_d = _backend.device_buffer(init, np.int64)
    ptr = _backend.pointer
    mod.fictitious_play(
        ptr(P),
        B,
        m,
        k,
        iterations,
        mode_id,
        ptr(init_d),
        record_every,
        ptr(flat),
        ptr(hist),
        _backend.stream(),
    )
    return _result(game, flat, hist, record_every)


def best_response_iteration(
    game: GameLike,
    iterations: int = 1000,
    *,
    damping: float = 1.0,
    tol: float = 1e-8,
    start: Profile | None = None,
    record_every: int = 1,
) -> DynamicsResult:
    """Damped best-response iteration (best-response dynamics with inertia; cf.
    Fudenberg & Levine 1998, Ch. 1).

    Every player moves towards its best response to the current profile,
    ``s <- (1 - damping) s + damping * BR(s)``, until the profile's NashConv is at
    most ``tol``. Games that do not get there within ``iterations`` are reported as
    not converged (``converged[g] == False``), never silently accepted. Two-player
    games update expected payoffs incrementally, O(k) per step.
    """
    func = "best_response_iteration"
    game, iterations, record_every = _prepare(func, game, iterations, record_every)
    if not (isinstance(damping, (int, float)) and 0 < damping <= 1):
        fail(func, f"damping must lie in (0, 1]; got {damping!r}")
    if not (isinstance(tol, (int, float)) and tol >= 0):
        fail(func, f"tol must be >= 0; got {tol!r}")
    P = _cpu_payoffs(func, game)
    _check_scale(func, game, 2, "4 x max|payoff|")
    s0 = _start(func, game, start)
    flat, hist, at = _backend.cpu_kernels("games").best_response_iteration(
        P, s0, iterations, float(damping), float(tol), record_every
    )
    return _result(game, flat, hist, record_every, converged=at >= 0, converged_at=at)


def regret_matching(
    game: GameLike,
    iterations: int,
    *,
    variant: str = "rm",
    inertia: float | None = None,
    seed=None,
    record_every: int = 1,
) -> DynamicsResult:
    """Regret matching; the empirical joint distribution approaches the coarse
    correlated (``"rm"``, ``"rm+"``) or correlated (``"conditional"``) equilibria.

    - ``"rm"``: every player plays in proportion to its positive cumulative regrets
      against the others' mixed strategies (Hart & Mas-Colell 2000, unconditional
      regrets, expected payoffs). ``"rm+"`` floors the cumulative regrets at zero
      (Tammelin 2014). ``joint`` is the time average of the product distributions
      and ``profile`` the average strategies.
    - ``"conditional"``: Hart & Mas-Colell's (2000) adaptive procedure on sampled
      play: switch from the last action ``j`` to ``k`` with probability
      ``D(j, k)^+ / (t * inertia)``. ``joint`` is the empirical distribution of play,
      which converges to the correlated equilibria; ``profile`` the marginal
      frequencies. ``inertia`` (their mu) defaults to twice the payoff range times
      ``max(k_i) - 1`` and must exceed the range times ``max(k_i) - 1``.

    ``history`` is the NashConv of ``profile``; ``ce_violation`` and
    ``cce_violation`` measure how far ``joint`` is from the CE and CCE sets.
    """
    func = "regret_matching"
    game, iterations, record_every = _prepare(func, game, iterations, record_every, 1)
    variant_id = {"rm": 0, "rm+": 1, "conditional": 2}[
        choice(func, "variant", variant, ("rm", "rm+", "conditional"))
    ]
    P = _cpu_payoffs(func, game)
    B = game.batch_size or 1
    if B * game.num_outcomes * 8 > MAX_OUTPUT_BYTES:
        fail(
            func,
            f"the joint distributions would take {B * game.num_outcomes * 8:,} bytes; "
            "run fewer games per call",
        )
    kmax = max(game.num_actions)
    _check_scale(
        func,
        game,
        math.log2(iterations) + math.log2(4 * kmax),
        "4 x max k_i x iterations x max|payoff|",
    )
    spread = _payoff_range(game) * (kmax - 1)
    if inertia is None:
        inertia = 2.0 * spread if spread > 0 else 1.0
    elif not real(func, "inertia", inertia) > spread:
        fail(
            func,
            f"inertia must exceed the payoff range times (max k_i - 1) = {spread:g} "
            f"so that switching probabilities stay below 1; got {inertia!r}",
        )
    s = seed_value(func, seed) if variant == "conditional" else 0
    flat, joint, hist = _backend.cpu_kernels("games").regret_matching(
        P, iterations, variant_id, float(inertia), s, record_every
    )
    joint = joint.reshape((B,) + game.num_actions)
    from .correlated import cce_violation, ce_violation

    # A single game is checked against its one distribution (batched as (1, ...)).
    ce = np.atleast_1d(ce_violation(game, joint))
    cce = np.atleast_1d(cce_violation(game, joint))
    return _result(game, flat, hist, record_every, joint=joint, ce_violation=ce, cce_violation=cce)


def replicator_dynamics(
    game: GameLike,
    iterations: int,
    *,
    step: float | None = None,
    start: Profile | None = None,
    record_every: int = 1,
) -> DynamicsResult:
    """Discrete-time replicator dynamics, ``x_a <- x_a (1 + step (u_a - x.u))``
    (Taylor & Jonker 1978; Weibull 1995, ch. 4), for every player at once.

    ``step`` defaults to ``0.5 / range`` of the payoffs and must keep every factor
    positive: ``step * range < 1``. Strategies that start at zero stay at zero.
    """
    func = "replicator_dynamics"
    game, iterations, record_every = _prepare(func, game, iterations, record_every)
    P = _cpu_payoffs(func, game)
    _check_scale(func, game, 2, "4 x max|payoff|")
    span = _payoff_range(game)
    if step is None:
        step = 0.5 / span if span > 0 else 1.0
    elif not (isinstance(step, (int, float)) and step > 0 and step * span < 1):
        fail(
            func,
            f"step must be > 0 and below 1 / payoff range = {1 / span if span else 0:g}"
            f" so that probabilities stay positive; got {step!r}",
        )
    s0 = _start(func, game, start)
    flat, hist = _backend.cpu_kernels("games").replicator(
        P, s0, iterations, float(step), record_every
    )
    return _result(game, flat, hist, record_every)


def logit_fictitious_play(
    game: GameLike,
    iterations: int,
    *,
    temperature: float = 0.1,
    sampled: bool = False,
    seed=None,
    record_every: int = 1,
) -> DynamicsResult:
    """Stochastic fictitious play with logit responses (Fudenberg & Kreps 1993;
    Fudenberg & Levine 1998, ch. 4).

    Beliefs start uniform (counted as the first round). Each round every player
    computes its logit response ``softmax(u / temperature)`` to the others' beliefs;
    with ``sampled=False`` beliefs average these responses, with ``sampled=True``
    each player plays an action drawn from its response and beliefs are the
    empirical frequencies. The profile approaches a logit quantal response
    equilibrium (McKelvey & Palfrey 1995) where the dynamic converges.
    """
    func = "logit_fictitious_play"
    game, iterations, record_every = _prepare(func, game, iterations, record_every)
    temperature = real(func, "temperature", temperature, low=0.0, low_open=True)
    if not isinstance(sampled, bool):
        fail(func, f"sampled must be True or False; got {sampled!r}", TypeError)
    P = _cpu_payoffs(func, game)
    _check_scale(func, game, 2, "4 x max|payoff|")
    s = seed_value(func, seed) if sampled else 0
    flat, hist = _backend.cpu_kernels("games").logit_fictitious_play(
        P, iterations, float(temperature), sampled, s, record_every
    )
    return _result(game, flat, hist, record_every)
