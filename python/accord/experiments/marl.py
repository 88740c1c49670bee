"""Multi-agent reinforcement learning as an experiment: the ``marl`` kind.

One run = one :func:`accord.marl.train` call: a learner on ``n_envs`` copies of a
Markov game for ``steps`` steps per copy.  Parameters (TOML ``[settings]`` /
``[grid]`` keys, see ``examples/marl``):

``game``        a name of :data:`GAMES`: the repeated matrix games "climbing" and
                "penalty" (Claus & Boutilier 1998), "matching-pennies",
                "rock-paper-scissors", "prisoners-dilemma", "shapley-game"
                (Shapley 1964), and Littman's (1994) "soccer"
``learner``     a name of :data:`LEARNERS`
``k``           the penalty game's penalty, ``<= 0`` (default -10; only with
                ``game = "penalty"``)
``discount``    the game's discount (matrix games 0, soccer 0.9)
``steps``       steps per copy (2000)       ``n_envs``  copies (64)
``max_steps``   episode length limit (matrix games 1: one play per episode;
                soccer 100)
``bins``        points of the learning curve (20)
hyperparameters the keyword arguments of the learner's class, such as ``alpha``,
                ``beta``, ``epsilon``, ``learning_rate`` (its defaults otherwise)

A run returns the learning curve -- the mean return of the episodes that ended in
each of ``bins`` equal spans of steps (``curve_step`` is the last step of each span),
the team's return in cooperative games, player 0's in zero-sum ones and the players'
mean otherwise -- and measures of the learned policy (the learner's mixed ``policy``
where it has one, else its greedy joint action, per copy where it keeps one table per
copy), computed exactly from the game's model:

``nash_conv``      what best responses gain against the policy, summed over players
                   (Lanctot et al. 2017), from the start distribution; 0 at a Nash
                   equilibrium, and the exploitability in zero-sum games
``optimal_share``  cooperative games: the share of copies whose policy attains the
                   optimal team value (the best joint policy's, by value iteration
                   over joint actions)
``team_value``     cooperative games: the policy's team value, mean over copies
``value_error``    zero-sum games, learners that keep values ``V``: the mean
                   absolute difference between the learned values of the start states
                   and the game's value there (Shapley's value iteration,
                   :func:`accord.marl.zero_sum_value_iteration`)

Measures that do not apply are NaN.  The report (``accord report RESULTS``) prints the
measures with 95% confidence intervals over runs and draws one figure of learning
curves per game setting, one line per learner.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .. import _validate
from .. import games as _games
from ..marl import (
    HystereticQ,
    IndependentQ,
    MarkovGame,
    MarkovGameVecEnv,
    MinimaxQ,
    NashQ,
    soccer,
    train,
    zero_sum_value_iteration,
)
from ..runner import line_plot, mean_ci, param_columns, print_table

__all__ = [
    "DEFAULTS",
    "GAMES",
    "LEARNERS",
    "evaluate",
    "make_game",
    "report",
    "report_rows",
    "run",
    "summary",
    "validate",
]


@dataclass(frozen=True)
class GameSpec:
    """A named game: ``build(discount, **params)`` and its defaults."""

    build: Callable[..., MarkovGame]
    discount: float
    max_steps: int
    params: tuple[str, ...] = ()


def _repeated(factory: Callable[..., _games.NormalFormGame]) -> Callable[..., MarkovGame]:
    def build(discount: float, **params) -> MarkovGame:
        return MarkovGame.repeated(factory(**params), discount)

    return build


#: Game name -> how to build it (repeated matrix games: one play per episode).
GAMES: dict[str, GameSpec] = {
    "climbing": GameSpec(_repeated(_games.climbing_game), 0.0, 1),
    "penalty": GameSpec(_repeated(lambda k=-10.0: _games.penalty_game(k)), 0.0, 1, params=("k",)),
    "matching-pennies": GameSpec(_repeated(_games.matching_pennies), 0.0, 1),
    "rock-paper-scissors": GameSpec(_repeated(_games.rock_paper_scissors), 0.0, 1),
    "prisoners-dilemma": GameSpec(_repeated(_games.prisoners_dilemma), 0.0, 1),
    "shapley-game": GameSpec(_repeated(_games.shapley_game), 0.0, 1),
    "soccer": GameSpec(soccer, 0.9, 100),
}

#: Learner name -> class, called as ``cls(num_states, num_actions, discount, **kw)``;
#: its keyword-only parameters other than ``n_envs`` and ``seed`` are the
#: hyperparameters a config may set.
LEARNERS: dict[str, type] = {
    "independent-q": IndependentQ,
    "hysteretic-q": HystereticQ,
    "minimax-q": MinimaxQ,
    "nash-q": NashQ,
}

DEFAULTS = {"steps": 2000, "n_envs": 64, "bins": 20}
_BASE = ("game", "learner", "discount", "max_steps", *DEFAULTS)
_INTERNAL = ("n_envs", "seed")


def hyperparameters(learner: str) -> tuple[str, ...]:
    """The hyperparameters of ``learner`` (a name of :data:`LEARNERS`)."""
    sig = inspect.signature(LEARNERS[learner])
    return tuple(
        name
        for name, p in sig.parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in _INTERNAL
    )


def _keys() -> tuple[str, ...]:
    game_params = {k for g in GAMES.values() for k in g.params}
    hyper = {h for name in LEARNERS for h in hyperparameters(name)}
    return (*_BASE, *sorted(game_params), *sorted(hyper - set(_BASE) - game_params))


def _bad(msg: str, exc: type[Exception] = ValueError) -> None:
    raise exc(f"marl experiment: {msg}")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@functools.lru_cache(maxsize=16)
def _cached_game(name: str, discount: float, params: tuple) -> MarkovGame:
    return GAMES[name].build(discount, **dict(params))


def make_game(params: dict) -> MarkovGame:
    """The :class:`~accord.marl.MarkovGame` of a cell's ``game``, ``discount`` and game
    parameters (built once per process and shared: games are read-only)."""
    spec = GAMES[params["game"]]
    discount = float(params.get("discount", spec.discount))
    own = tuple((k, float(params[k])) for k in spec.params if k in params)
    return _cached_game(params["game"], discount, own)


def validate(params: dict) -> None:
    """Reject unknown keys, names and values before any run starts."""
    keys = _keys()
    unknown = sorted(set(params) - set(keys))
    if unknown:
        _bad(f"unknown parameter(s) {unknown}; known: {', '.join(keys)}")
    for key, table in (("game", GAMES), ("learner", LEARNERS)):
        if key not in params:
            _bad(f"missing parameter {key!r} (one of {', '.join(table)})")
        if not isinstance(params[key], str) or params[key] not in table:
            _bad(f"{key} must be one of {', '.join(table)}; got {params[key]!r}")
    game, learner = params["game"], params["learner"]
    for key in {k for g in GAMES.values() for k in g.params} & set(params):
        if key not in GAMES[game].params:
            owners = [name for name, g in GAMES.items() if key in g.params]
            _bad(
                f"{key} is a parameter of the game(s) {', '.join(owners)}, not of {game!r}; "
                "set it only in cells of those games (e.g. in an [[extra]] table)"
            )
    if "k" in params and not (_number(params["k"]) and np.isfinite(params["k"])):
        _bad(f"k must be a finite number <= 0; got {params['k']!r}")
    if "k" in params and params["k"] > 0:
        _bad(f"k must be <= 0 (the penalty of miscoordination); got {params['k']!r}")
    for key in ("steps", "n_envs", "bins", "max_steps"):
        if key in params:
            v = params[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                _bad(f"{key} must be a positive integer; got {v!r}")
    p = {**DEFAULTS, **params}
    if p["bins"] > p["steps"]:
        _bad(f"bins must be <= steps (one or more steps per bin); got {p['bins']} > {p['steps']}")
    if "discount" in params:
        d = params["discount"]
        if not (_number(d) and 0 <= d < 1):
            _bad(f"discount must be a number in [0, 1); got {d!r}")
    allowed = hyperparameters(learner)
    for key in set(params) - set(_BASE) - {k for g in GAMES.values() for k in g.params}:
        if key not in allowed:
            _bad(
                f"{key} is not a hyperparameter of {learner!r}; its hyperparameters are "
                f"{', '.join(allowed) or 'none'}"
            )
    mg = make_game(p)
    _make_learner(p, mg, seed=0)
    MarkovGameVecEnv(mg, p["n_envs"], max_steps=p.get("max_steps", GAMES[game].max_steps))
    need = 24 * p["n_envs"] * mg.num_states * int(np.prod(mg.num_actions))
    if need > _validate.MEMORY_LIMIT:
        _bad(
            f"evaluating the policies of {p['n_envs']} copies of {game!r} needs "
            f"{_validate.format_bytes(need)} (more than the "
            f"{_validate.format_bytes(_validate.MEMORY_LIMIT)} allowed); use fewer n_envs"
        )


def _make_learner(p: dict, game: MarkovGame, seed):
    name = p["learner"]
    cls = LEARNERS[name]
    kw = {h: p[h] for h in hyperparameters(name) if h in p}
    if "n_envs" in inspect.signature(cls).parameters:
        kw["n_envs"] = p["n_envs"]
    try:
        return cls(game.num_states, game.num_actions, game.discount, seed=seed, **kw)
    except (TypeError, ValueError) as exc:
        _bad(f"learner {name!r} on game {p['game']!r}: {exc}", type(exc))


class _EpisodeEnds:
    """Forwards to a learner and counts the episodes that end at each step (a copy's
    episode ends in a terminal state or at ``max_steps``, as :func:`train` counts)."""

    def __init__(self, learner, game: MarkovGame, n_envs: int, max_steps: int | None) -> None:
        self.learner = learner
        self.terminal = game.terminal
        self.max_steps = max_steps
        self.length = np.zeros(n_envs, dtype=np.int64)
        self.ends: list[int] = []

    def act(self, states: np.ndarray) -> np.ndarray:
        return self.learner.act(states)

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        self.learner.update(states, actions, rewards, next_states, terminated)
        self.length += 1
        done = np.asarray(terminated, dtype=bool)
        if self.max_steps is not None:
            done = done | (self.length >= self.max_steps)
        self.length[done] = 0
        self.ends.append(int(done.sum()))


def run(params: dict, seed: int) -> dict:
    """One training run and the measures of its learned policy."""
    validate(params)
    p = {**DEFAULTS, **params}
    game = make_game(p)
    max_steps = p.get("max_steps", GAMES[p["game"]].max_steps)
    learner_rng, env_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(2)
    )
    learner = _make_learner(p, game, learner_rng)
    counter = _EpisodeEnds(learner, game, p["n_envs"], max_steps)
    t0 = time.perf_counter()
    res = train(
        game, counter, steps=p["steps"], n_envs=p["n_envs"], seed=env_rng, max_steps=max_steps
    )
    elapsed = time.perf_counter() - t0
    ends = np.asarray(counter.ends)
    if ends.sum() != len(res.episode_returns):  # pragma: no cover - a broken invariant
        raise RuntimeError("marl experiment: episode count differs from train()'s")
    structure = game.reward_structure
    returns = res.episode_returns
    ret = returns[:, 0] if structure == "competitive" else returns.mean(axis=1)
    steps, bins = p["steps"], p["bins"]
    end_step = np.repeat(np.arange(steps), ends)
    b = end_step * bins // steps
    count = np.bincount(b, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        curve = np.bincount(b, weights=ret, minlength=bins) / count
        length = np.bincount(b, weights=res.episode_lengths, minlength=bins) / count
    out: dict = {
        "structure": structure,
        "return_of": {"cooperative": "team", "competitive": "player 0"}.get(
            structure, "mean over players"
        ),
        "episodes": int(len(returns)),
        "steps_per_second": float(steps * p["n_envs"] / elapsed) if elapsed > 0 else None,
        "final_return": float(curve[-1]),
    }
    out.update(evaluate(game, learner, p["n_envs"]))
    out["curve_step"] = -(-(np.arange(1, bins + 1) * steps) // bins)
    out["curve_return"] = curve
    out["curve_length"] = length
    return out


# ------------------------------------------------------------------ exact evaluation
def _policies(learner, game: MarkovGame, n_envs: int) -> list[np.ndarray]:
    """The learner's policy, one ``(C, S, k_i)`` array per player (``C`` = 1 for one
    shared table, ``n_envs`` for one table per copy): its mixed ``policy`` if it has
    one, else the one-hot greedy joint action in every state."""
    S, ks = game.num_states, game.num_actions
    pol = getattr(learner, "policy", None)
    if isinstance(pol, (list, tuple)) and len(pol) == len(ks):
        out = []
        for p, k in zip(pol, ks, strict=True):
            a = np.asarray(p, dtype=np.float64)
            if a.shape == (S, k):
                a = a[None]
            if a.ndim != 3 or a.shape[1:] != (S, k):
                break
            out.append(a)
        else:
            C = max(a.shape[0] for a in out)
            return [np.broadcast_to(a, (C, S, a.shape[2])) for a in out]
    if not callable(getattr(learner, "greedy", None)):
        raise TypeError(
            f"marl experiment: {type(learner).__name__} has neither a policy list nor "
            "greedy(); the learned policy cannot be evaluated"
        )
    out = [np.zeros((n_envs, S, k)) for k in ks]
    copies = np.arange(n_envs)
    for s in range(S):
        g = np.asarray(learner.greedy(np.full(n_envs, s, dtype=np.int64)))
        for i, a in enumerate(out):
            a[copies, s, g[:, i]] = 1.0
    return out


@functools.lru_cache(maxsize=16)
def _sparse(game: MarkovGame):
    from scipy import sparse

    S = game.num_states
    return sparse.csr_matrix(game.transitions.reshape(-1, S))


def _iterate(game: MarkovGame, backup: Callable[[np.ndarray], np.ndarray], C: int) -> np.ndarray:
    """Fixed point ``V`` ``(S, C)`` of ``V = backup(discount P V)``, where ``backup``
    receives the discounted continuation values ``(S, k_1, ..., k_n, C)`` and is a
    monotone non-expansion (an expectation or a maximum over actions after adding
    rewards), so that the iteration contracts by ``discount``; terminal states are
    worth 0; accurate to ``1e-9`` times the largest reward."""
    S = game.num_states
    P = _sparse(game)
    g = game.discount
    tol = 1e-9 * max(1.0, float(np.abs(game.rewards).max()))
    stop = tol * (1.0 - g) / (2.0 * g) if g > 0 else np.inf
    V = np.zeros((S, C))
    while True:
        cont = g * np.asarray(P @ V).reshape(S, *game.num_actions, C)
        new = backup(cont)
        new[game.terminal] = 0.0
        residual = float(np.abs(new - V).max())
        V = new
        if residual <= stop:
            return V


_LETTERS = "abcdefghijklmnopqrstuvwx"


def evaluate(game: MarkovGame, learner, n_envs: int) -> dict[str, float]:
    """The measures of the learned policy (see the module docstring): ``nash_conv``,
    ``optimal_share``, ``team_value``, ``optimal_value`` and ``value_error``.

    The values of the policy, and of each player's best response to the others'
    policies, are the fixed points of the Bellman equations of the game's model
    (Shapley 1953), iterated for all copies at once with one sparse transition product
    per sweep.
    """
    n, S = game.num_players, game.num_states
    if n > len(_LETTERS):
        _bad(f"policies of more than {len(_LETTERS)} players cannot be evaluated; got {n}")
    # copies on the last axis: every contraction below runs over contiguous copies
    pol = [np.ascontiguousarray(np.moveaxis(p, 0, -1)) for p in _policies(learner, game, n_envs)]
    C = pol[0].shape[-1]
    acts = _LETTERS[:n]
    every = "".join(f",z{a}y" for a in acts)
    start = game.initial
    gains = np.zeros(C)
    team = np.zeros(C)
    for i in range(n):
        R = game.rewards[i]
        others = [p for j, p in enumerate(pol) if j != i]
        subs = "".join(f",z{a}y" for j, a in enumerate(acts) if j != i)
        r_pol = np.einsum(f"z{acts}{every}->zy", R, *pol)
        r_br = np.einsum(f"z{acts}{subs}->z{acts[i]}y", R, *others)

        def expected(c: np.ndarray, r=r_pol) -> np.ndarray:
            """The policy's backup: an expectation over every player's action."""
            return r + np.einsum(f"z{acts}y{every}->zy", c, *pol)

        def best(c: np.ndarray, r=r_br, subs=subs, i=i, others=others) -> np.ndarray:
            """Player i's best response: an expectation over the others' actions and a
            maximum over its own."""
            return (r + np.einsum(f"z{acts}y{subs}->z{acts[i]}y", c, *others)).max(axis=1)

        V = _iterate(game, expected, C)
        BR = _iterate(game, best, C)
        gains += start @ BR - start @ V
        if i == 0:
            team = start @ V
    out = {
        "nash_conv": float(gains.mean()),
        "optimal_share": float("nan"),
        "team_value": float("nan"),
        "optimal_value": float("nan"),
        "value_error": float("nan"),
    }
    if game.is_cooperative():
        R0 = game.rewards[0].reshape(S, -1, 1)
        joint_best = _iterate(game, lambda c: (R0 + c.reshape(S, -1, 1)).max(axis=1), 1)
        opt = float(start @ joint_best[:, 0])
        tol = 1e-6 * max(1.0, float(np.abs(R0).max())) / (1.0 - game.discount)
        out["optimal_share"] = float((team >= opt - tol).mean())
        out["team_value"] = float(team.mean())
        out["optimal_value"] = opt
    learned = getattr(learner, "V", None)
    if (
        game.is_zero_sum()
        and isinstance(learned, np.ndarray)
        and learned.ndim == 2
        and learned.shape[1] == S
    ):
        out["value_error"] = float(start @ np.abs(learned[0] - _reference(game)))
    return out


@functools.lru_cache(maxsize=16)
def _reference(game: MarkovGame) -> np.ndarray:
    return zero_sum_value_iteration(game).values[0]


# ------------------------------------------------------------------ report
_MEASURES = (
    ("final_return", "final return"),
    ("optimal_share", "optimal share"),
    ("team_value", "team value"),
    ("nash_conv", "NashConv"),
    ("value_error", "value error"),
)


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


def _groups(table: pa.Table):
    """Runs grouped by setting (every parameter but ``learner``) and learner, in
    first-seen order, with a short label per setting."""
    if "curve_return" not in table.column_names or "learner" not in table.column_names:
        raise ValueError(
            "report(): the table has no 'curve_return' or 'learner' column; pass the "
            "table of a marl experiment store (accord.runner.load(RESULTS))"
        )
    params = param_columns(table)
    setting_cols = [c for c in params if c != "learner"]
    cols = {c: table.column(c).to_pylist() for c in params}
    settings: dict[tuple, dict] = {}
    groups: dict[tuple, dict[Any, list[int]]] = {}
    for r in range(table.num_rows):
        s = {c: cols[c][r] for c in setting_cols}
        key = tuple(_hashable(v) for v in s.values())
        settings.setdefault(key, s)
        groups.setdefault(key, {}).setdefault(cols["learner"][r], []).append(r)
    varying = [c for c in setting_cols if len({_hashable(s[c]) for s in settings.values()}) > 1]
    labels = {}
    for key, s in settings.items():
        parts = [str(s.get("game"))] + [
            f"{c}={s[c]}" for c in varying if c != "game" and s[c] is not None
        ]
        labels[key] = " ".join(parts)
    return settings, groups, labels


def _fmt(values: np.ndarray) -> str:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return "-"
    m, h = mean_ci(v)
    return f"{m:.4g}" + ("" if np.isnan(h) else f" ± {h:.2g}")


def report_rows(table: pa.Table) -> list[dict]:
    """One row per setting x learner: ``setting``, ``learner``, ``runs`` and, per
    measure, ``(mean, ci)`` over the runs where it is defined (``ci`` the 95%
    half-width; NaN for one run; ``(nan, nan)`` where it is nowhere defined)."""
    _, groups, labels = _groups(table)
    cols = {
        m: np.asarray(
            [np.nan if v is None else v for v in table.column(m).to_pylist()], dtype=np.float64
        )
        for m, _ in _MEASURES
        if m in table.column_names
    }
    rows = []
    for key, learners in groups.items():
        for learner, idx in learners.items():
            row: dict = {"setting": labels[key], "learner": learner, "runs": len(idx)}
            for m, _ in _MEASURES:
                v = cols[m][idx] if m in cols else np.full(len(idx), np.nan)
                v = v[np.isfinite(v)]
                row[m] = mean_ci(v) if len(v) else (float("nan"), float("nan"))
            rows.append(row)
    return rows


def summary(table: pa.Table) -> None:
    """Print the measures per setting x learner: mean ± 95% CI over runs."""
    _, groups, labels = _groups(table)
    cols = {
        m: np.asarray(
            [np.nan if v is None else v for v in table.column(m).to_pylist()], dtype=np.float64
        )
        for m, _ in _MEASURES
        if m in table.column_names
    }
    shown = [(m, h) for m, h in _MEASURES if m in cols and np.isfinite(cols[m]).any()]
    rows = []
    for key, learners in groups.items():
        for learner, idx in learners.items():
            rows.append([labels[key], learner, len(idx)] + [_fmt(cols[m][idx]) for m, _ in shown])
    print_table(
        ["setting", "learner", "runs"] + [h for _, h in shown],
        rows,
        title="multi-agent learning: mean ± 95% CI over runs (final return: the last bin "
        "of the learning curve; optimal share: copies whose learned policy is optimal, "
        "cooperative games; NashConv: best-response gain summed over players; value "
        "error: learned vs. value-iteration value of the start, zero-sum games)",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "all"


def report(table: pa.Table, out_dir) -> None:
    """The measures table and one learning-curve figure (PNG) per game setting."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary(table)
    _, groups, labels = _groups(table)
    curves = table.column("curve_return").to_pylist()
    steps = table.column("curve_step").to_pylist()
    of = (
        table.column("return_of").to_pylist()
        if "return_of" in table.column_names
        else [None] * table.num_rows
    )
    written = []
    for key, learners in groups.items():
        lines = {}
        x = None
        for learner, idx in learners.items():
            arr = [np.asarray(curves[i], dtype=np.float64) for i in idx if curves[i] is not None]
            xs = {tuple(steps[i]) for i in idx if steps[i] is not None}
            if not arr:
                continue
            if len({a.shape for a in arr}) != 1 or len(xs) != 1:
                raise ValueError(
                    f"report(): runs of {labels[key]}, {learner} have learning curves of "
                    "different lengths; one setting must fix steps and bins"
                )
            if x is not None and tuple(x) != next(iter(xs)):
                raise ValueError(f"report(): learners of {labels[key]} have different curve steps")
            x = np.asarray(next(iter(xs)))
            m, h = mean_ci(np.stack(arr), axis=0)
            lines[f"{learner} ({len(arr)} runs)"] = (np.asarray(m), np.asarray(h))
        if not lines:
            continue
        who = next((of[i] for idx in learners.values() for i in idx if of[i]), "")
        written.append(
            line_plot(
                out_dir / f"curve_{_slug(labels[key])}.png",
                x,
                lines,
                title=f"{labels[key]}: return per episode (mean, 95% CI over runs)",
                xlabel="steps per copy",
                ylabel=f"return per episode ({who})" if who else "return per episode",
            )
        )
    print(f"{len(written)} figure{'' if len(written) == 1 else 's'} written to {out_dir}")
