"""Multi-agent reinforcement learning as an experiment: the ``marl`` kind.

One run = one :func:`accord.marl.train` call: a learner on ``n_envs`` copies of a
Markov game for ``steps`` steps per copy.  Parameters (TOML ``[settings]`` /
``[grid]`` keys, see ``examples/marl``):

``game``        a name of :data:`GAMES`, built by the environment registry
                (:mod:`accord.marl.envs`): the repeated matrix games "climbing" and
                "penalty" (Claus & Boutilier 1998), "matching-pennies",
                "rock-paper-scissors", "prisoners-dilemma", "shapley-game"
                (Shapley 1964); Littman's (1994) "soccer"; Hu & Wellman's (2003)
                "grid-game-1" and "grid-game-2"
``learner``     a name of :data:`LEARNERS`: "independent-q", "hysteretic-q",
                "lenient-q", "joint-action-learner", "phc", "wolf-phc",
                "minimax-q", "nash-q", "correlated-q", "friend-or-foe-q",
                "fictitious-play"
``k``           the penalty game's penalty, ``<= 0`` (default -10; only with
                ``game = "penalty"``)
``discount``    the game's discount (matrix games 0; the others the registry's:
                soccer 0.9, grid games 0.99)
``max_steps``   episode length limit (matrix games 1, one play per episode as in
                Claus & Boutilier 1998; the others the registry's: soccer 1000,
                grid games 100)
``steps``       steps per copy (2000)       ``n_envs``  copies (64)
``bins``        points of the learning curve (20)
hyperparameters the keyword arguments of the learner's class, such as ``alpha``,
                ``beta``, ``epsilon``, ``learning_rate``, ``objective`` (the class's
                defaults otherwise; :func:`hyperparameters` lists them)

A run returns the learning curve -- the mean return of the episodes that ended in
each of ``bins`` equal spans of steps (``curve_step`` is the last step of each span),
the team's return in cooperative games, player 0's in zero-sum ones and the players'
mean otherwise -- and measures of the learned policy (what the learner's
``policies()`` report, as :func:`accord.marl.train` reads them: per copy for the
learners that keep one table per copy), computed exactly from the game's model:

``nash_conv``      what best responses gain against the policy, summed over players
                   (Lanctot et al. 2017), from the start distribution, mean over
                   copies; 0 at a Nash equilibrium, twice the exploitability in
                   two-player zero-sum games (as :func:`accord.marl.nash_conv`)
``optimal_share``  cooperative games: the share of copies whose policy attains the
                   optimal team value (the best joint policy's, by value iteration
                   over joint actions)
``team_value``     cooperative games: the policy's team value, mean over copies
``value_error``    zero-sum games, learners that keep values ``V``: the absolute
                   difference between player 0's learned value and the game's value
                   (Shapley's value iteration,
                   :func:`accord.marl.zero_sum_value_iteration`) at the start states,
                   averaged over the start distribution

Measures that do not apply are NaN.  The report (``accord report RESULTS``) prints the
measures with 95% confidence intervals over runs and draws one figure of learning
curves per game setting, one line per learner.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa

from .. import _validate
from ..marl import (
    PHC,
    CorrelatedQ,
    FriendOrFoeQ,
    HystereticQ,
    IndependentQ,
    JointActionLearner,
    LenientQ,
    MarkovFictitiousPlay,
    MarkovGame,
    MarkovGameVecEnv,
    MarkovSolution,
    MinimaxQ,
    NashQ,
    WoLFPHC,
    nash_conv,
    optimal_team_values,
    train,
    zero_sum_value_iteration,
)
from ..marl import envs as _envs
from ..runner import line_plot, mean_ci, param_columns, print_table

__all__ = [
    "DEFAULTS",
    "GAMES",
    "LEARNERS",
    "GameSpec",
    "evaluate",
    "hyperparameters",
    "make_game",
    "reference",
    "report",
    "report_rows",
    "run",
    "summary",
    "validate",
]


@dataclass(frozen=True)
class GameSpec:
    """A Markov game of the environment registry (:mod:`accord.marl.envs`) and the
    experiment's defaults for it (``None``: the registry's default)."""

    discount: float | None = None
    max_steps: int | None = None
    #: ``(setting key, the environment's parameter)`` pairs
    params: tuple[tuple[str, str], ...] = ()


# Claus & Boutilier's (1998) setting: one play per episode, no discounting.
_MATRIX = GameSpec(discount=0.0, max_steps=1)

#: Game name (a name of the environment registry) -> the experiment's defaults.
GAMES: dict[str, GameSpec] = {
    "climbing": _MATRIX,
    "penalty": GameSpec(discount=0.0, max_steps=1, params=(("k", "penalty"),)),
    "matching-pennies": _MATRIX,
    "rock-paper-scissors": _MATRIX,
    "prisoners-dilemma": _MATRIX,
    "shapley-game": _MATRIX,
    "soccer": GameSpec(),
    "grid-game-1": GameSpec(),
    "grid-game-2": GameSpec(),
}

#: Learner name -> class, called as ``cls(num_states, num_actions, discount, **kw)``;
#: its keyword-only parameters other than ``n_envs`` and ``seed`` are the
#: hyperparameters a config may set.
LEARNERS: dict[str, type] = {
    "independent-q": IndependentQ,
    "hysteretic-q": HystereticQ,
    "lenient-q": LenientQ,
    "joint-action-learner": JointActionLearner,
    "phc": PHC,
    "wolf-phc": WoLFPHC,
    "minimax-q": MinimaxQ,
    "nash-q": NashQ,
    "correlated-q": CorrelatedQ,
    "friend-or-foe-q": FriendOrFoeQ,
    "fictitious-play": MarkovFictitiousPlay,
}

DEFAULTS = {"steps": 2000, "n_envs": 64, "bins": 20}
_BASE = ("game", "learner", "discount", "max_steps", *DEFAULTS)
_INTERNAL = ("n_envs", "seed")


def hyperparameters(learner: str) -> tuple[str, ...]:
    """The hyperparameters of ``learner`` (a name of :data:`LEARNERS`)."""
    _validate.choice("hyperparameters", "learner", learner, tuple(LEARNERS))
    sig = inspect.signature(LEARNERS[learner])
    return tuple(
        name
        for name, p in sig.parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in _INTERNAL
    )


def _keys() -> tuple[str, ...]:
    game_params = _game_params()
    hyper = {h for name in LEARNERS for h in hyperparameters(name)}
    return (*_BASE, *sorted(game_params), *sorted(hyper - set(_BASE) - game_params))


def _bad(msg: str, exc: type[Exception] = ValueError) -> NoReturn:
    raise exc(f"marl experiment: {msg}")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _game_params() -> set[str]:
    return {k for g in GAMES.values() for k, _ in g.params}


@functools.lru_cache(maxsize=32)
def _built(name: str, kw: tuple) -> tuple[MarkovGame, int | None]:
    try:
        env = _envs.make_vec(name, 1, seed=0, **dict(kw))
    except (TypeError, ValueError) as exc:
        _bad(f"game {name!r}: {exc}", type(exc))
    game = getattr(env, "game", None)
    if not isinstance(game, MarkovGame):
        _bad(f"game {name!r} is not a Markov game of the environment registry")
    return game, env.max_steps


def make_game(params: dict) -> tuple[MarkovGame, int | None]:
    """The :class:`~accord.marl.MarkovGame` of a cell (its ``game``, ``discount`` and
    game parameters) and its episode limit ``max_steps``, from the environment registry
    (:func:`accord.marl.envs.make_vec`); built once per process and shared, as games are
    read-only."""
    if not isinstance(params, dict):
        _validate.fail(
            "make_game", f"params must be a dict; got {type(params).__name__}", TypeError
        )
    name = params.get("game")
    if not isinstance(name, str) or name not in GAMES:
        _validate.fail("make_game", f"game must be one of {', '.join(GAMES)}; got {name!r}")
    spec = GAMES[name]
    kw = {}
    for key, default in (("discount", spec.discount), ("max_steps", spec.max_steps)):
        value = params.get(key, default)
        if value is not None:
            kw[key] = value
    for key, env_key in spec.params:
        if key in params:
            kw[env_key] = params[key]
    return _built(name, tuple(sorted(kw.items())))


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
    for key in _game_params() & set(params):
        if key not in dict(GAMES[game].params):
            owners = [name for name, g in GAMES.items() if key in dict(g.params)]
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
    for key in set(params) - set(_BASE) - _game_params():
        if key not in allowed:
            _bad(
                f"{key} is not a hyperparameter of {learner!r}; its hyperparameters are "
                f"{', '.join(allowed) or 'none'}"
            )
    mg, max_steps = make_game(p)
    _make_learner(p, mg, seed=0)
    MarkovGameVecEnv(mg, p["n_envs"], max_steps=max_steps)
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


def run(params: dict, seed: int) -> dict:
    """One training run and the measures of its learned policy."""
    validate(params)
    p = {**DEFAULTS, **params}
    game, max_steps = make_game(p)
    learner_rng, env_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(2)
    )
    learner = _make_learner(p, game, learner_rng)
    t0 = time.perf_counter()
    res = train(
        game,
        learner,
        steps=p["steps"],
        n_envs=p["n_envs"],
        seed=env_rng,
        max_steps=max_steps,
        measure_nash_conv=False,  # evaluate() measures it below
    )
    elapsed = time.perf_counter() - t0
    structure = game.reward_structure
    returns = res.episode_returns
    ret = returns[:, 0] if structure == "competitive" else returns.mean(axis=1)
    steps, bins = p["steps"], p["bins"]
    end_step = res.episode_ends - 1
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
def _policies(learner, game: MarkovGame, n_envs: int):
    """The learner's policy as :func:`accord.marl.nash_conv` takes it: its
    ``policies()``, or else the one-hot greedy joint action ``greedy(states)`` of every
    copy in every state (``(E, S, k_i)`` per player)."""
    get = getattr(learner, "policies", None)
    if callable(get):
        return get()
    if not callable(getattr(learner, "greedy", None)):
        raise TypeError(
            f"marl experiment: {type(learner).__name__} has neither policies() nor "
            "greedy(); the learned policy cannot be evaluated"
        )
    S, ks = game.num_states, game.num_actions
    out = [np.zeros((n_envs, S, k)) for k in ks]
    copies = np.arange(n_envs)
    for s in range(S):
        g = np.asarray(learner.greedy(np.full(n_envs, s, dtype=np.int64)))
        for i in range(len(ks)):
            out[i][copies, s, g[:, i]] = 1.0
    return out


def evaluate(game: MarkovGame, learner, n_envs: int) -> dict[str, float]:
    """The measures of a learned policy (see the module docstring): ``nash_conv``,
    ``optimal_share``, ``team_value``, ``optimal_value`` and ``value_error``, computed
    from the game's model by :func:`accord.marl.nash_conv` (every copy's policy at once),
    :func:`accord.marl.optimal_team_values` and Shapley's value iteration.

    Parameters
    ----------
    game
        The :class:`~accord.marl.MarkovGame` the learner was trained on.
    learner
        A trained learner with ``policies()`` (as :func:`accord.marl.train` reads it)
        or ``greedy(states)`` over ``n_envs`` copies; with learned values ``V``
        ``(T, S)`` (optional) for the value error of zero-sum games.
    n_envs
        The copies of a learner that keeps one table per copy.
    """
    func = "evaluate"
    if not isinstance(game, MarkovGame):
        _validate.fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
    n_envs = _validate.integer(func, "n_envs", n_envs, minimum=1)
    S = game.num_states
    pol = _policies(learner, game, n_envs)
    try:
        measured = nash_conv(game, pol if isinstance(pol, np.ndarray) else list(pol))
    except ValueError as exc:
        _validate.fail(func, f"the learner's policy: {exc}")
    values = measured.values if measured.values.ndim == 3 else measured.values[None]
    start = game.initial
    out = {
        "nash_conv": float(np.mean(measured.nash_conv)),
        "optimal_share": float("nan"),
        "team_value": float("nan"),
        "optimal_value": float("nan"),
        "value_error": float("nan"),
    }
    if game.is_cooperative():
        team = values[:, 0] @ start
        opt = float(start @ optimal_team_values(game))
        tol = 1e-6 * max(1.0, float(np.abs(game.rewards[0]).max())) / (1.0 - game.discount)
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
        out["value_error"] = float(start @ np.abs(learned[0] - reference(game).values[0]))
    return out


def reference(game: MarkovGame) -> MarkovSolution:
    """The value and optimal strategies of a zero-sum ``game`` by Shapley's value
    iteration (:func:`accord.marl.zero_sum_value_iteration`), computed once per game
    and process."""
    if not isinstance(game, MarkovGame):
        _validate.fail(
            "reference", f"game must be a MarkovGame; got {type(game).__name__}", TypeError
        )
    return _reference(game)


@functools.lru_cache(maxsize=16)
def _reference(game: MarkovGame) -> MarkovSolution:
    return zero_sum_value_iteration(game)


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


def _hyperparameter_names() -> set[str]:
    return {h for name in LEARNERS for h in hyperparameters(name)} - set(_BASE) - _game_params()


def _groups(table: pa.Table):
    """Runs grouped by setting (the game and run parameters) and learner (its name and
    the hyperparameters that differ between runs), in first-seen order, with a short
    label per setting."""
    if "curve_return" not in table.column_names or "learner" not in table.column_names:
        raise ValueError(
            "report(): the table has no 'curve_return' or 'learner' column; pass the "
            "table of a marl experiment store (accord.runner.load(RESULTS))"
        )
    params = param_columns(table)
    hyper = _hyperparameter_names()
    setting_cols = [c for c in params if c != "learner" and c not in hyper]
    cols = {c: table.column(c).to_pylist() for c in params}
    shown = [
        c for c in params if c in hyper and len({repr(v) for v in cols[c]}) > 1
    ]  # hyperparameters that tell runs apart
    settings: dict[tuple, dict] = {}
    groups: dict[tuple, dict[Any, list[int]]] = {}
    for r in range(table.num_rows):
        s = {c: cols[c][r] for c in setting_cols}
        key = tuple(_hashable(v) for v in s.values())
        settings.setdefault(key, s)
        learner = " ".join(
            [str(cols["learner"][r])]
            + [f"{c}={cols[c][r]}" for c in shown if cols[c][r] is not None]
        )
        groups.setdefault(key, {}).setdefault(learner, []).append(r)
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


def _measure_columns(table: pa.Table) -> dict[str, np.ndarray]:
    """The measures stored in ``table``, as float arrays (NaN where a run has none)."""
    return {
        m: np.asarray(
            [np.nan if v is None else v for v in table.column(m).to_pylist()], dtype=np.float64
        )
        for m, _ in _MEASURES
        if m in table.column_names
    }


def report_rows(table: pa.Table) -> list[dict]:
    """One row per setting x learner: ``setting``, ``learner``, ``runs`` and, per
    measure, ``(mean, ci)`` over the runs where it is defined (``ci`` the 95%
    half-width; NaN for one run; ``(nan, nan)`` where it is nowhere defined)."""
    _, groups, labels = _groups(table)
    cols = _measure_columns(table)
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
    cols = _measure_columns(table)
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


def _lines(table: pa.Table, column: str, key, learners: dict, label: str):
    """``(x, {learner: (mean, half-width)})`` of the curve ``column`` over the runs of
    one setting (``x`` None when no run has the curve)."""
    curves = table.column(column).to_pylist()
    steps = table.column("curve_step").to_pylist()
    lines = {}
    x = None
    for learner, idx in learners.items():
        arr = [np.asarray(curves[i], dtype=np.float64) for i in idx if curves[i] is not None]
        xs = {tuple(steps[i]) for i in idx if curves[i] is not None}
        if not arr:
            continue
        if len({a.shape for a in arr}) != 1 or len(xs) != 1 or len(next(iter(xs))) != len(arr[0]):
            raise ValueError(
                f"report(): runs of {label}, {learner} have learning curves of different "
                "lengths; one setting must fix steps and bins"
            )
        if x is not None and tuple(x) != next(iter(xs)):
            raise ValueError(f"report(): learners of {label} have different curve steps")
        x = np.asarray(next(iter(xs)))
        m, h = mean_ci(np.stack(arr), axis=0)
        lines[f"{learner} ({len(arr)} runs)"] = (np.asarray(m), np.asarray(h))
    return x, lines


def report(table: pa.Table, out_dir) -> None:
    """The measures table, and per game setting the learning curves (``curve_*.png``)
    and, where episodes have different lengths, their lengths (``length_*.png``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary(table)
    _, groups, labels = _groups(table)
    of = (
        table.column("return_of").to_pylist()
        if "return_of" in table.column_names
        else [None] * table.num_rows
    )
    written = []
    for key, learners in groups.items():
        label = labels[key]
        x, lines = _lines(table, "curve_return", key, learners, label)
        if not lines:
            continue
        who = next((of[i] for idx in learners.values() for i in idx if of[i]), "")
        written.append(
            line_plot(
                out_dir / f"curve_{_slug(label)}.png",
                x,
                lines,
                title=f"{label}: return per episode (mean, 95% CI over runs)",
                xlabel="steps per copy",
                ylabel=f"return per episode ({who})" if who else "return per episode",
            )
        )
        if "curve_length" not in table.column_names:
            continue
        x, lines = _lines(table, "curve_length", key, learners, label)
        if lines and any(np.nanmax(np.abs(m - 1.0), initial=0.0) > 0 for m, _ in lines.values()):
            written.append(
                line_plot(
                    out_dir / f"length_{_slug(label)}.png",
                    x,
                    lines,
                    title=f"{label}: episode length (mean, 95% CI over runs)",
                    xlabel="steps per copy",
                    ylabel="steps per episode",
                )
            )
    print(f"{len(written)} figure{'' if len(written) == 1 else 's'} written to {out_dir}")
