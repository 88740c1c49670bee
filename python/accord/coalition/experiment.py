"""The repeated coalition formation experiment as a :mod:`accord.runner` kind.

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
"""

from __future__ import annotations

import numpy as np

from .environments import good_bad_ugly, kst_setting, software_company
from .estimators import METHODS
from .model import BCFP, misinformed_prior, uniform_prior
from .simulate import NEGOTIATION, simulate

ENVIRONMENTS = ("software-5", "software-10", "gbu", "kst")
RUN_METHODS = METHODS + ("kst", "kst-learning")
PRIORS = ("uniform", "misinformed")
DEFAULTS = {"stages": 500, "gamma": 0.985, "epsilon": 0.05, "switch": 50,
            "known_schedule": True, "wrong": 0.7, "compromise": 0.8,
            "samples": 100, "enumerate_limit": 1000}
KEYS = set(DEFAULTS) | {"environment", "method", "negotiation", "prior", "outcome_rewards",
                        "rounds", "phase_start"}


def _bad(msg: str) -> None:
    raise ValueError(f"coalition experiment: {msg}")


def validate(params: dict) -> None:
    """Reject unknown keys and values before any run starts."""
    unknown = set(params) - KEYS
    if unknown:
        _bad(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(KEYS)}")
    for key, options in (("environment", ENVIRONMENTS), ("method", RUN_METHODS),
                         ("negotiation", tuple(NEGOTIATION)), ("prior", PRIORS)):
        if key not in params:
            _bad(f"missing parameter {key!r} (one of {', '.join(options)})")
        if params[key] not in options:
            _bad(f"{key} must be one of {', '.join(options)}; got {params[key]!r}")
    for key in ("stages", "switch", "samples", "enumerate_limit", "rounds",
                "phase_start"):
        if key in params and not (isinstance(params[key], int)
                                  and not isinstance(params[key], bool)
                                  and params[key] >= (0 if key == "switch" else 1)):
            _bad(f"{key} must be a positive integer; got {params[key]!r}")
    for key, lo, hi in (("gamma", 0.0, 0.999999), ("epsilon", 0.0, 1.0),
                        ("wrong", 0.0, 1.0), ("compromise", 1e-9, 1.0)):
        if key in params:
            v = params[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
                _bad(f"{key} must be a number in [{lo}, {hi}]; got {v!r}")
    if "known_schedule" in params and not isinstance(params["known_schedule"], bool):
        _bad(f"known_schedule must be true or false; got {params['known_schedule']!r}")
    if "outcome_rewards" in params:
        if params["environment"] not in ("software-5", "software-10"):
            _bad("outcome_rewards can only be set for the software-company environments")
        r = params["outcome_rewards"]
        if not (isinstance(r, list) and len(r) == 3
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in r)):
            _bad("outcome_rewards must be a list of three numbers [R(SP), R(AP), R(LP)]; "
                 f"got {r!r}")
        if min(r) < 0:
            _bad(f"outcome_rewards must be >= 0 (relative demands share a non-negative reward); "
                 f"got {r!r}")


def environment(params: dict) -> BCFP:
    env = params["environment"]
    if env in ("software-5", "software-10"):
        kw = ({"rewards": tuple(params["outcome_rewards"])} if "outcome_rewards" in params
              else {})
        return software_company(5 if env == "software-5" else 10, **kw)
    if env == "gbu":
        return good_bad_ugly()
    return kst_setting()


def run(params: dict, seed: int) -> dict:
    """One run; returns per-stage series for the result store."""
    validate(params)
    p = {**DEFAULTS, **params}
    problem = environment(p)
    prior = (uniform_prior(problem) if p["prior"] == "uniform"
             else misinformed_prior(problem, p["wrong"]))
    method, formation, learning = p["method"], "bre", True
    if method in ("kst", "kst-learning"):
        formation, learning = "kst", method == "kst-learning"
        method = "myopic"
    rounds = p.get("rounds", NEGOTIATION[p["negotiation"]])
    res = simulate(problem, method, prior, stages=p["stages"], rounds=rounds,
                   gamma=p["gamma"], epsilon=p["epsilon"], switch=p["switch"],
                   known_schedule=p["known_schedule"], formation=formation,
                   learning=learning, compromise=p["compromise"],
                   enumerate_limit=p["enumerate_limit"], samples=p["samples"],
                   seed=int(seed) % 2**63)
    out = res.as_dict()
    out["in_core"] = np.asarray(out["in_core"], dtype=bool)
    return out
