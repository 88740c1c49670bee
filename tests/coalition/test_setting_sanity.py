"""Sanity checks of the designed Good-Bad-Ugly and KST settings (their figures were
lost; the properties below are what Chalkiadakis & Boutilier 2012, Secs. 6.2-6.3,
report of them)."""

import numpy as np
import pytest

from accord.coalition import simulate, uniform_prior
from accord.coalition.environments import good_bad_ugly, kst_setting


def _discounted(rewards: np.ndarray, gamma: float = 0.985) -> np.ndarray:
    return rewards @ gamma ** np.arange(rewards.shape[-1])


@pytest.mark.parametrize(
    ("methods", "seeds", "stages"),
    [(("myopic", "map", "vpi"), 4, 500), (("osla", "vpi-osla"), 2, 150)],
)
def test_gbu_informed_agents_earn_the_most(methods, seeds, stages):
    """Knowing the types pays from the first stage (the learners must find their
    matched partners) and in the big-crime phase (they must have learned who Good, Bad
    and Ugly are): informed agents earn more than every learner in discounted total,
    undiscounted total and big-crime reward (the paper's schedule of 400 + 100 stages;
    a shorter one for the slow lookahead methods)."""
    p = good_bad_ugly(stages_phase2=stages * 4 // 5)

    def runs(m):
        return np.stack(
            [simulate(p, m, uniform_prior(p), stages=stages, seed=s).rewards for s in range(seeds)]
        )

    informed = runs("informed")
    for m in methods:
        r = runs(m)
        assert _discounted(informed).mean() > _discounted(r).mean(), m
        assert informed.sum(axis=1).mean() > r.sum(axis=1).mean(), m
        big = stages * 4 // 5
        assert informed[:, big:].mean() > r[:, big:].mean(), m


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
