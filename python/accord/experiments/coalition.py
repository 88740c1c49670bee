"""The repeated coalition formation experiment: the ``coalition`` kind.

One run = one :func:`~accord.coalition.simulate.simulate` call. Parameters (TOML
``[settings]`` / ``[grid]`` keys, see ``examples/coalition``):

``environment``   "software-5", "software-10", "gbu", "kst"
``method``        "myopic", "map", "osla", "vpi", "vpi-osla", "informed",
                  "kst" (KST formation, no learning), "kst-learning" (KST + Myopic)
``negotiation``   "fn" (50 BRE rounds per stage) or "osp" (one round)
``prior``         "uniform" or "misinformed"
``stages``        RL stages (500)          ``gamma``     discount (0.985)
``outcome_rewards`` software company R(SP), R(AP), R(LP) (default 0, 2500, 5000)
``epsilon``       BRE experimentation probability (0.05)
``switch``        stage at which OSLA switches to the convergent assumption (50)
``known_schedule`` agents know the task schedule (dynamic tasks; true)
``wrong``         misinformed prior's mass on wrong types (0.7)
``rounds``        negotiation rounds, overriding ``negotiation``
``compromise``    KST compromise factor (0.8)
``phase_start``   first stage of a reported phase (plots only)
``map_ties``      how MAP breaks ties between equally probable types: "first"
                  (default; type sets are ordered worst first), "last", "random"
``spread``        where the misinformed prior puts its wrong mass: "even" (default)
                  or "opposite" (all on the type furthest from the true one)
``epsilon_final`` BRE's experimentation moves linearly from ``epsilon`` to this
                  over the run (default: constant ``epsilon``)
``restart``       negotiation starts from singletons every stage (default false:
                  it continues from the previous stage's agreement)
``core_values``   values of the Bayesian-core check (Table 4): "expected"
                  (default) or "acted" (those the method acts on, e.g. MAP's)
``kst_status_quo`` KST partners also refuse to accept less than they get now
                  (default false: the paper's compromise alone)
``statistics``    value the software company through its type statistic, exactly
                  (default true; false: per type vector, sampled above
                  ``enumerate_limit`` as in the paper)
``beliefs``       "marginal" (default: Eq. 5's posterior projected to per-partner
                  marginals, as in the paper) or "joint" (the exact joint over the
                  partners' type vectors; not for osla / vpi-osla)

``method = "bc-stable"`` places the agents once in a strong Bayesian core
configuration of their prior beliefs and keeps it, with no learning (Fig. 2's
"BC-stable configuration").

The report (``accord report RESULTS``) gives tables and figures in the style of
Chalkiadakis & Boutilier (2012), Sec. 6: discounted accumulated reward (Table 1),
average per-stage reward over the final stages as a percentage of the fully informed
agents (Tables 2 and 3), convergence to the strong Bayesian core (Table 4), and
reward-vs-stage figures with 95% confidence bands.

Report rows are runs with parameter columns (``environment``, ``method``,
``negotiation``, ``prior``, ``gamma``, ``stages``, ...) and the values ``rewards``
(total reward at each stage) and ``in_core`` (whether each stage's final agreement
was in the core; may be null). Every parameter other than ``method``,
``negotiation`` and ``prior`` belongs to the *setting*; different settings are
never mixed. Without a ``gamma`` column the experiment's default discount is used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .. import _validate
from ..coalition.environments import good_bad_ugly, kst_setting, software_company
from ..coalition.estimators import MAP_TIES, METHODS
from ..coalition.joint import BELIEFS
from ..coalition.model import BCFP, MISINFORMED_SPREAD, misinformed_prior, uniform_prior
from ..coalition.simulate import CORE_VALUES, NEGOTIATION, simulate
from ..runner import discounted_accumulation, line_plot, mean_ci, param_columns, print_table

__all__ = ["DEFAULTS", "report", "report_tables", "run", "validate"]

ENVIRONMENTS = ("software-5", "software-10", "gbu", "kst")
RUN_METHODS = METHODS + ("kst", "kst-learning", "bc-stable")
PRIORS = ("uniform", "misinformed")
DEFAULTS: dict[str, Any] = {
    "stages": 500,
    "gamma": 0.985,
    "epsilon": 0.05,
    "switch": 50,
    "known_schedule": True,
    "wrong": 0.7,
    "compromise": 0.8,
    "samples": 100,
    "enumerate_limit": 1000,
    "map_ties": "first",
    "spread": "even",
    "restart": False,
    "core_values": "expected",
    "statistics": True,
    "kst_status_quo": False,
    "beliefs": "marginal",
}
KEYS = set(DEFAULTS) | {
    "environment",
    "method",
    "negotiation",
    "prior",
    "outcome_rewards",
    "rounds",
    "phase_start",
    "epsilon_final",
}


def _bad(msg: str) -> None:
    raise ValueError(f"coalition experiment: {msg}")


def validate(params: dict) -> None:
    """Reject unknown keys and values before any run starts."""
    unknown = set(params) - KEYS
    if unknown:
        _bad(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(KEYS)}")
    for key, options in (
        ("environment", ENVIRONMENTS),
        ("method", RUN_METHODS),
        ("negotiation", tuple(NEGOTIATION)),
        ("prior", PRIORS),
    ):
        if key not in params:
            _bad(f"missing parameter {key!r} (one of {', '.join(options)})")
        if params[key] not in options:
            _bad(f"{key} must be one of {', '.join(options)}; got {params[key]!r}")
    for key in ("stages", "switch", "samples", "enumerate_limit", "rounds", "phase_start"):
        if key in params and not (
            isinstance(params[key], int)
            and not isinstance(params[key], bool)
            and params[key] >= (0 if key == "switch" else 1)
        ):
            _bad(f"{key} must be a positive integer; got {params[key]!r}")
    for key, lo, hi in (
        ("gamma", 0.0, 0.999999),
        ("epsilon", 0.0, 1.0),
        ("wrong", 0.0, 1.0),
        ("compromise", 1e-9, 1.0),
    ):
        if key in params:
            v = params[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
                _bad(f"{key} must be a number in [{lo}, {hi}]; got {v!r}")
    if "map_ties" in params and params["map_ties"] not in MAP_TIES:
        _bad(f"map_ties must be one of {', '.join(MAP_TIES)}; got {params['map_ties']!r}")
    for key in ("known_schedule", "restart", "statistics", "kst_status_quo"):
        if key in params and not isinstance(params[key], bool):
            _bad(f"{key} must be true or false; got {params[key]!r}")
    for key, options in (
        ("spread", MISINFORMED_SPREAD),
        ("core_values", CORE_VALUES),
        ("beliefs", BELIEFS),
    ):
        if key in params and params[key] not in options:
            _bad(f"{key} must be one of {', '.join(options)}; got {params[key]!r}")
    if params.get("beliefs") == "joint" and params.get("method") in ("osla", "vpi-osla"):
        _bad(
            f"beliefs='joint' is not available to {params['method']!r} (its lookahead "
            "values successor beliefs held as marginals)"
        )
    if "epsilon_final" in params:
        v = params["epsilon_final"]
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            _bad(f"epsilon_final must be a number in [0, 1]; got {v!r}")
    if params.get("method") == "bc-stable" and params.get("environment") not in (
        "software-5",
        "gbu",
        "kst",
    ):
        _bad("method 'bc-stable' enumerates coalition structures: at most 6 agents")
    if "outcome_rewards" in params:
        if params["environment"] not in ("software-5", "software-10"):
            _bad("outcome_rewards can only be set for the software-company environments")
        r = params["outcome_rewards"]
        if not (
            isinstance(r, list)
            and len(r) == 3
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in r)
        ):
            _bad(
                f"outcome_rewards must be a list of three numbers [R(SP), R(AP), R(LP)]; got {r!r}"
            )
        if min(r) < 0:
            _bad(
                f"outcome_rewards must be >= 0 (relative demands share a non-negative reward); "
                f"got {r!r}"
            )
    _check_memory(params)


def cell_bytes(params: dict) -> int:
    """A lower bound on the memory (bytes) one run of ``params`` needs: the per-stage
    series, and for one coalition the sampled type vectors with every member's type
    varied (the belief update) and their outcome tables (the valuation)."""
    p = {**DEFAULTS, **params}
    problem = environment(p)
    n, k = problem.n_agents, problem.k_max
    per_sample = 8 * (problem.n_actions * (problem.n_outcomes + 1) + 2 * n + n * n * k)
    return 64 * int(p["stages"]) + int(p["samples"]) * per_sample


def _check_memory(params: dict) -> None:
    need = cell_bytes(params)
    if need > _validate.MEMORY_LIMIT:
        _bad(
            f"a run of these parameters needs {_validate.format_bytes(need)} (more than the "
            f"{_validate.format_bytes(_validate.MEMORY_LIMIT)} allowed; samples = "
            f"{params.get('samples', DEFAULTS['samples'])}, stages = "
            f"{params.get('stages', DEFAULTS['stages'])}); use fewer samples or stages"
        )


def environment(params: dict) -> BCFP:
    env = params["environment"]
    if env in ("software-5", "software-10"):
        kw = {"rewards": tuple(params["outcome_rewards"])} if "outcome_rewards" in params else {}
        return software_company(5 if env == "software-5" else 10, **kw)
    if env == "gbu":
        return good_bad_ugly()
    return kst_setting()


def prior_of(problem: BCFP, p: dict) -> np.ndarray:
    """The prior beliefs a run of parameters ``p`` (defaults filled in) starts from."""
    if p["prior"] == "uniform":
        return uniform_prior(problem)
    return misinformed_prior(problem, p["wrong"], p["spread"])


def run(params: dict, seed: int) -> dict:
    """One run; returns per-stage series for the result store."""
    validate(params)
    p = {**DEFAULTS, **params}
    problem = environment(p)
    prior = prior_of(problem, p)
    method, formation, learning = p["method"], "bre", True
    if method in ("kst", "kst-learning"):
        formation, learning = "kst", method == "kst-learning"
        method = "myopic"
    elif method == "bc-stable":
        formation, learning, method = "core", False, "myopic"
    rounds = p.get("rounds", NEGOTIATION[p["negotiation"]])
    res = simulate(
        problem,
        method,
        prior,
        stages=p["stages"],
        rounds=rounds,
        gamma=p["gamma"],
        epsilon=p["epsilon"],
        switch=p["switch"],
        known_schedule=p["known_schedule"],
        formation=formation,
        learning=learning,
        compromise=p["compromise"],
        enumerate_limit=p["enumerate_limit"],
        samples=p["samples"],
        map_ties=p["map_ties"],
        statistics=p["statistics"],
        epsilon_final=p.get("epsilon_final"),
        restart=p["restart"],
        core_values=p["core_values"],
        kst_status_quo=p["kst_status_quo"],
        beliefs=p["beliefs"],
        seed=int(seed) % 2**63,
    )
    out = res.as_dict()
    if out["in_core"] is None:  # not checked (more than six agents): no column
        del out["in_core"]
    assert res.distance is not None
    out["distance"] = res.distance.reshape(-1)  # D(x, y) after the last stage, row-major
    return out


# ------------------------------------------------------------------ report
INFORMED = "informed"
WINDOW = 50
_DIMS = ("negotiation", "prior", "method")
_RESULTS = ("rewards", "in_core", "distance")


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


class _Runs:
    """Runs grouped by setting x negotiation x prior x method, in first-seen order."""

    def __init__(self, table: pa.Table) -> None:
        if "rewards" not in table.column_names:
            raise ValueError(
                "report(): the table has no 'rewards' column; pass the table of a "
                "coalition experiment store (accord.runner.load(RESULTS))"
            )
        params = [c for c in param_columns(table) if c not in _RESULTS]
        self.setting_cols = [c for c in params if c not in _DIMS]
        cols = {c: table.column(c).to_pylist() for c in params}
        rewards = table.column("rewards").to_pylist()
        distance = (
            table.column("distance").to_pylist()
            if "distance" in table.column_names
            else [None] * table.num_rows
        )
        #: final belief distances D(x, y) of each group's runs (n * n each)
        self.distances: dict[tuple, list[np.ndarray]] = {}
        in_core = (
            table.column("in_core").to_pylist()
            if "in_core" in table.column_names
            else [None] * table.num_rows
        )
        self.settings: dict[tuple, dict] = {}
        self.groups: dict[tuple, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        for i in range(table.num_rows):
            setting = {c: cols[c][i] for c in self.setting_cols}
            skey = tuple(_hashable(v) for v in setting.values())
            self.settings.setdefault(skey, setting)
            dims = tuple(cols[d][i] if d in cols else None for d in _DIMS)
            if rewards[i] is None:
                raise ValueError(
                    f"report(): row {i} ({dict(zip(_DIMS, dims, strict=True))}) has "
                    "no rewards; the store is not a coalition experiment's"
                )
            flags = in_core[i]
            core = None if flags is None else np.array([bool(x) for x in flags], dtype=np.bool_)
            self.groups.setdefault((skey, *dims), []).append(
                (np.asarray(rewards[i], dtype=np.float64), core)
            )
            if distance[i] is not None:
                self.distances.setdefault((skey, *dims), []).append(
                    np.asarray(distance[i], dtype=np.float64)
                )
        # group by setting, negotiation, prior, method, each in first-seen order
        firsts = [dict.fromkeys(k[j] for k in self.groups) for j in range(4)]
        rank = [{v: i for i, v in enumerate(f)} for f in firsts]
        self.groups = dict(
            sorted(self.groups.items(), key=lambda kv: tuple(rank[j][kv[0][j]] for j in range(4)))
        )
        self.labels = _labels(self.settings)

    def rewards(self, key) -> np.ndarray:
        runs = self.groups[key]
        lengths = {len(r) for r, _ in runs}
        if len(lengths) != 1:
            raise ValueError(
                f"report(): runs of {self.describe(key)} have rewards of different "
                f"lengths {sorted(lengths)}; one setting must fix the stages"
            )
        return np.stack([r for r, _ in runs])

    def gamma(self, skey) -> float:
        g = self.settings[skey].get("gamma")
        if g is None:  # not in the config: the experiment ran with its default
            g = DEFAULTS["gamma"]
        return float(g)

    def describe(self, key) -> str:
        skey, neg, prior, method = key
        return f"setting {self.labels[skey]}, {neg}, {prior}, {method}"

    def informed_key(self, skey, neg, prior):
        """The informed agents' group for a setting and negotiation, same prior if any."""
        own = (skey, neg, prior, INFORMED)
        if own in self.groups:
            return own
        for key in self.groups:
            if key[0] == skey and key[1] == neg and key[3] == INFORMED:
                return key
        return None


def _labels(settings: dict[tuple, dict]) -> dict[tuple, str]:
    """Short names: the environment plus the setting parameters that vary."""
    varying = [
        c
        for c in (next(iter(settings.values())) if settings else {})
        if len({_hashable(s.get(c)) for s in settings.values()}) > 1
    ]
    out: dict[tuple, str] = {}
    for skey, s in settings.items():
        parts = [str(s["environment"])] if s.get("environment") is not None else []
        parts += [f"{c}={s[c]}" for c in varying if c != "environment" and s[c] is not None]
        label = " ".join(parts) or "all"
        base, i = label, 2
        while label in out.values():
            label, i = f"{base} #{i}", i + 1
        out[skey] = label
    return out


def _slug(*parts) -> str:
    text = "_".join(str(p) for p in parts if p is not None)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "all"


def report_tables(table: pa.Table, window: int = WINDOW) -> dict[str, list[dict]]:
    """The rows of the report's tables.

    ``accumulated`` (Table 1): discounted accumulated reward after the last stage;
    ``final`` (Tables 2/3): average per-stage reward over the final ``window``
    stages, with the informed agents' value and the percentage of it;
    ``core`` (Table 4): runs whose last ``window`` stages are all in the core;
    ``distance``: the final belief distances ``D(x, y) = 1 - B_x(t_y)`` (Sec. 6.1)
    over ordered pairs of distinct agents -- their mean, the share of pairs still at
    their prior distance (within 0.01; the paper reports MAP agents "regularly"
    ending at 0.75 or 0.667, their uniform-prior distances) and the share below 0.5
    (the paper: 8 of 90 for ten VPI agents, misinformed prior, full negotiation).
    Means come with the 95% CI half-width over runs (``ci``; NaN for one run).
    """
    runs = _Runs(table)
    acc, final, core, dist = [], [], [], []
    finals: dict[tuple, np.ndarray] = {}
    for key in runs.groups:
        r = runs.rewards(key)
        finals[key] = r[:, -window:].mean(axis=1)
    for key, group in runs.groups.items():
        skey, neg, prior, method = key
        base = {
            "setting": runs.labels[skey],
            "params": dict(runs.settings[skey]),
            "negotiation": neg,
            "prior": prior,
            "method": method,
            "runs": len(group),
        }
        r = runs.rewards(key)
        mean, ci = mean_ci(discounted_accumulation(r, runs.gamma(skey))[:, -1])
        acc.append({**base, "mean": mean, "ci": ci})

        mean, ci = mean_ci(finals[key])
        ref_key = runs.informed_key(skey, neg, prior)
        ref = None if ref_key is None else float(finals[ref_key].mean())
        pct = None if ref is None or ref == 0 else 100.0 * mean / ref
        final.append(
            {
                **base,
                "mean": mean,
                "ci": ci,
                "window": min(window, r.shape[1]),
                "informed": ref,
                "informed_prior": None if ref_key is None else ref_key[2],
                "percent": pct,
            }
        )

        known = [c for _, c in group if c is not None]
        if known:
            converged = sum(bool(c[-window:].all()) for c in known)
            core.append({**base, "runs": len(known), "converged": converged, "window": window})

        if key in runs.distances:
            given = {k: v for k, v in runs.settings[skey].items() if v is not None}
            p = {**DEFAULTS, **given, "prior": prior}
            problem = environment(p)
            n = problem.n_agents
            start = 1.0 - prior_of(problem, p)[:, np.arange(n), problem.true_types]
            off = ~np.eye(n, dtype=bool)
            finals_d = np.stack([d.reshape(n, n)[off] for d in runs.distances[key]])
            still = np.abs(finals_d - start[off]) < 0.01
            mean, ci = mean_ci(finals_d.mean(axis=1))
            dist.append(
                {
                    **base,
                    "mean": mean,
                    "ci": ci,
                    "at_prior": float(still.mean()),
                    "below_half": float((finals_d < 0.5).mean()),
                }
            )
    return {"accumulated": acc, "final": final, "core": core, "distance": dist}


def report(table: pa.Table, out_dir, window: int = WINDOW) -> None:
    """Print Tables 1-4 and write the figures (PNG) to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = _Runs(table)
    tables = report_tables(table, window)

    print("Settings")
    for skey, label in runs.labels.items():
        params = ", ".join(f"{k}={v}" for k, v in runs.settings[skey].items() if v is not None)
        print(f"  {label}: {params}")
    print()

    dims = ["setting", "negotiation", "prior", "method", "runs"]
    print_table(
        dims + ["mean", "ci95"],
        [[r[d] for d in dims] + [r["mean"], r["ci"]] for r in tables["accumulated"]],
        title="Table 1: discounted accumulated reward after the last stage "
        "(mean and 95% CI half-width over runs)",
    )
    print_table(
        dims + ["mean", "ci95", "informed", "% informed"],
        [
            [r[d] for d in dims] + [r["mean"], r["ci"], r["informed"], r["percent"]]
            for r in tables["final"]
        ],
        title=f"Tables 2/3: average reward per stage over the final {window} stages "
        "(% of the informed agents in the same setting and negotiation)",
    )
    if tables["core"]:
        print_table(
            dims[:4] + ["converged", "of runs"],
            [[r[d] for d in dims[:4]] + [r["converged"], r["runs"]] for r in tables["core"]],
            title=f"Table 4: runs whose last {window} stages are all in the strong Bayesian core",
        )
    if tables["distance"]:
        print_table(
            dims + ["mean D", "ci95", "% pairs at prior D", "% pairs D < 0.5"],
            [
                [r[d] for d in dims]
                + [r["mean"], r["ci"], 100.0 * r["at_prior"], 100.0 * r["below_half"]]
                for r in tables["distance"]
            ],
            title="Final belief distances D(x, y) = 1 - B_x(true type of y) over pairs",
        )

    written = []
    panels = dict.fromkeys((key[0], key[1], key[2]) for key in runs.groups)
    for skey, neg, prior in panels:
        methods = [k for k in runs.groups if k[:3] == (skey, neg, prior)]
        ref = runs.informed_key(skey, neg, prior)
        if ref is not None and ref not in methods:
            methods.append(ref)
        label = runs.labels[skey]
        series = {k[3] if k[2] == prior else f"{k[3]} ({k[2]})": runs.rewards(k) for k in methods}
        stages = {s.shape[1] for s in series.values()}
        if len(stages) != 1:
            raise ValueError(
                f"report(): setting {label} has runs with different numbers of "
                f"stages {sorted(stages)}; one setting must fix the stages"
            )
        n = stages.pop()
        g = runs.gamma(skey)
        lines = {m: mean_ci(discounted_accumulation(r, g), axis=0) for m, r in series.items()}
        written.append(
            line_plot(
                out_dir / f"accumulated_{_slug(label, neg, prior)}.png",
                np.arange(n),
                lines,
                title=f"{label}, {neg}, {prior} prior: discounted accumulated reward",
                xlabel="stage",
                ylabel=f"discounted accumulated reward (gamma {g:g})",
            )
        )

        start = runs.settings[skey].get("phase_start")
        if start is not None and 0 <= int(start) < n:
            s0 = int(start)
            lines = {m: mean_ci(r[:, s0:], axis=0) for m, r in series.items()}
            written.append(
                line_plot(
                    out_dir / f"phase_{_slug(label, neg, prior)}.png",
                    np.arange(s0, n),
                    lines,
                    title=f"{label}, {neg}, {prior} prior: reward per stage from stage {s0}",
                    xlabel="stage",
                    ylabel="reward per stage",
                )
            )
    print(f"{len(written)} figure{'' if len(written) == 1 else 's'} written to {out_dir}")
