"""The ``coalition`` experiment kind: parameter checks, one run, the example configs."""

from pathlib import Path

import numpy as np
import pytest

from accord.coalition.environments import software_company
from accord.coalition.model import uniform_prior
from accord.experiments.coalition import run, validate
from accord.runner import get_kind, load_config, resolve


def test_experiment_params_are_checked():
    ok = {"environment": "software-5", "method": "vpi", "negotiation": "fn", "prior": "uniform"}
    validate(ok)
    for bad, msg in [
        ({"method": "ucb"}, "method must be one of"),
        ({"environment": "x"}, "environment must be one of"),
        ({"outcome_rewards": [0, -1, 5]}, "outcome_rewards must be >= 0"),
        ({"rewards": [0, 2500, 5000]}, "unknown parameter"),
        ({"outcome_rewards": [0, 1]}, "three numbers"),
        ({"stages": 0}, "positive integer"),
        ({"colour": 1}, "unknown parameter"),
    ]:
        with pytest.raises(ValueError, match=msg):
            validate({**ok, **bad})
    with pytest.raises(ValueError, match="probabilities must sum to 1|sums to"):
        from accord.coalition.simulate import simulate as sim

        pr = uniform_prior(software_company(5))
        pr[0, 1] *= 0.5
        sim(software_company(5), "vpi", pr, stages=1)


def test_run_returns_series():
    out = run(
        {
            "environment": "software-5",
            "method": "vpi",
            "negotiation": "osp",
            "prior": "misinformed",
            "stages": 5,
        },
        seed=7,
    )
    assert out["rewards"].shape == (5,) and out["in_core"].dtype == bool


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[2] / "examples" / "coalition").glob("*.toml")),
    ids=lambda p: p.name,
)
def test_example_configs_validate(path):
    config = load_config(path)
    check = resolve(get_kind(config.kind).validate)
    cells = config.labelled_cells()
    assert cells
    for _, params in cells:
        check(params)


def test_named_settings_reach_the_run():
    """Every named setting is checked and passed on: a misinformed prior spread on the
    opposite type, a decaying epsilon, negotiation restarted each stage, the acted-on
    values in the core check, per-type-vector values, and the BC-stable baseline."""
    ok = {"environment": "software-5", "method": "map", "negotiation": "fn", "prior": "uniform"}
    for bad, msg in [
        ({"spread": "wide"}, "spread must be one of even, opposite"),
        ({"epsilon_final": 2}, r"epsilon_final must be a number in \[0, 1\]"),
        ({"restart": "yes"}, "restart must be true or false"),
        ({"statistics": 1}, "statistics must be true or false"),
        ({"core_values": "true"}, "core_values must be one of expected, acted"),
        ({"method": "bc-stable", "environment": "software-10"}, "at most 6 agents"),
    ]:
        with pytest.raises(ValueError, match=msg):
            validate({**ok, **bad})
    settings = {
        "prior": "misinformed",
        "spread": "opposite",
        "epsilon_final": 0.0,
        "restart": True,
        "core_values": "acted",
        "statistics": False,
        "stages": 4,
    }
    out = run({**ok, **settings}, seed=3)
    assert out["rewards"].shape == (4,) and out["distance"].shape == (25,)
    base = run({**ok, "stages": 4}, seed=3)
    assert not np.array_equal(out["distance"], base["distance"])
    bc = run({**ok, "method": "bc-stable", "stages": 6}, seed=1)
    assert bc["in_core"].all() and len(set(bc["coalitions"].tolist())) == 1
    # nothing is learned by the BC-stable agents: distances stay at the prior's
    assert np.allclose(np.sort(np.unique(np.round(bc["distance"], 6))), [0.0, 0.666667, 0.75])


def test_unchecked_core_leaves_no_column():
    """The Bayesian core is checked up to six agents; beyond, a run has no in_core
    values (Table 4 skips it) rather than a column of False."""
    out = run(
        {
            "environment": "software-10",
            "method": "myopic",
            "negotiation": "osp",
            "prior": "uniform",
            "stages": 2,
        },
        seed=1,
    )
    assert "in_core" not in out and out["rewards"].shape == (2,)
