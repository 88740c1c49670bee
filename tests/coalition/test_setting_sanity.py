"""Sanity checks of the designed Good-Bad-Ugly and KST settings (their figures were
lost; the properties below are what Chalkiadakis & Boutilier 2012, Secs. 6.2-6.3,
report of them)."""

import numpy as np
import pytest

from accord.coalition import simulate, uniform_prior
from accord.coalition.environments import good_bad_ugly, kst_setting


def test_gbu_informed_agents_earn_the_most_once_the_big_crime_comes():
    """Knowing the types pays in the big-crime phase (learners must have learned who
    Good, Bad and Ugly are) and over the run; learners may match informed agents in
    the petty-crime phases, where every pair does about as well."""
    p = good_bad_ugly(stages_phase2=60)
    runs = {
        m: np.stack(
            [simulate(p, m, uniform_prior(p), stages=100, seed=s).rewards for s in range(3)]
        )
        for m in ("informed", "myopic", "map", "vpi")
    }
    informed = runs.pop("informed")
    for m, r in runs.items():
        assert informed[:, 60:].mean() > r[:, 60:].mean(), m
        assert informed.sum(axis=1).mean() > r.sum(axis=1).mean(), m


@pytest.mark.parametrize("seed", [0, 1])
def test_kst_without_learning_does_poorly_and_learning_helps(seed):
    """Sec. 6.3: KST without learning earns little; with learning it does much better;
    the informed agents are the reference."""
    p = kst_setting()
    kw = dict(stages=60, seed=seed)
    informed = simulate(p, "informed", uniform_prior(p), **kw).rewards[-20:].mean()
    frozen = simulate(p, "myopic", uniform_prior(p), formation="kst", learning=False, **kw)
    learning = simulate(p, "myopic", uniform_prior(p), formation="kst", **kw)
    assert frozen.rewards[-20:].mean() < 0.3 * informed
    assert learning.rewards[-20:].mean() > 0.8 * informed
