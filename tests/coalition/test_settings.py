"""The named settings of the repeated coalition formation runs."""

import numpy as np
import pytest

from accord.coalition import simulate, uniform_prior
from accord.coalition.core import (
    in_strong_bayesian_core,
    strong_core_blocking,
    strong_core_configuration,
)
from accord.coalition.environments import good_bad_ugly, software_company
from accord.coalition.model import misinformed_prior
from accord.coalition.simulate import epsilon_at


def test_misinformed_prior_spreads_its_wrong_mass_as_asked():
    p = software_company(5)
    even = misinformed_prior(p, 0.7)
    opposite = misinformed_prior(p, 0.7, spread="opposite")
    for j, ts in enumerate(p.type_sets):
        true = p.true_types[j]
        for b in (even, opposite):
            assert b[(j + 1) % 5, j, true] == pytest.approx(0.3)
            assert b[(j + 1) % 5, j].sum() == pytest.approx(1.0)
        wrong = [t for t in ts if t != true]
        np.testing.assert_allclose(even[(j + 1) % 5, j, wrong], 0.7 / len(wrong))
        far = ts[0] if np.flatnonzero(ts == true)[0] >= ts.size / 2 else ts[-1]
        assert opposite[(j + 1) % 5, j, far] == pytest.approx(0.7)
    # agent 1 is a good programmer (third of four): the opposite extreme is "bad"
    assert p.type_names[int(np.argmax(opposite[0, 1]))] == "bad programmer"
    with pytest.raises(ValueError, match="spread must be one of even, opposite"):
        misinformed_prior(p, 0.7, spread="far")


def test_epsilon_schedule_moves_linearly_to_its_final_value():
    assert epsilon_at(7, 500, 0.05, None) == 0.05
    assert epsilon_at(0, 500, 0.2, 0.0) == 0.2
    assert epsilon_at(499, 500, 0.2, 0.0) == 0.0
    assert epsilon_at(250, 501, 0.2, 0.0) == pytest.approx(0.1)
    p = software_company(5)
    with pytest.raises(ValueError, match="epsilon_final must be in"):
        simulate(p, "myopic", uniform_prior(p), stages=2, epsilon_final=1.5)
    with pytest.raises(ValueError, match="core_values must be one of expected, acted"):
        simulate(p, "myopic", uniform_prior(p), stages=2, core_values="true")


def test_restarting_negotiation_forms_one_coalition_per_one_step_stage():
    """The Good-Bad-Ugly petty crimes pay pairs: informed agents continuing one-step
    negotiation end up in two pairs (3 coalitions); restarting from singletons each
    stage, one round forms at most one coalition (>= 4)."""
    p = good_bad_ugly()
    kw = dict(stages=60, rounds=1, epsilon=0.0, seed=2)
    go_on = simulate(p, "informed", uniform_prior(p), **kw)
    again = simulate(p, "informed", uniform_prior(p), restart=True, **kw)
    assert go_on.coalitions[-20:].min() <= 3
    assert again.coalitions.min() >= 4


def test_bc_stable_configuration_is_kept_and_in_the_core():
    p = software_company(5)
    r = simulate(p, "myopic", uniform_prior(p), formation="core", learning=False, stages=30)
    assert r.in_core.all()
    assert len(set(r.coalitions.tolist())) == 1
    with pytest.raises(ValueError, match="'core' formation values coalitions myopically"):
        simulate(p, "vpi", uniform_prior(p), formation="core", stages=2)


def _identical(v):
    """Belief values of agents who all hold the table v: (n, 2**n, A)."""
    n = int(np.log2(v.shape[0]))
    return np.repeat(v[None], n, axis=0)


def test_strong_core_configuration_finds_a_core_point_or_reports_none():
    rng = np.random.default_rng(3)
    n = 4
    # a convex (supermodular) game: its core is non-empty
    v = np.zeros((1 << n, 2))
    for s in range(1, 1 << n):
        k = bin(s).count("1")
        v[s] = [k**2 * 10.0, k**2 * 9.0 + rng.random()]
    ag = strong_core_configuration(_identical(v))
    assert ag is not None and in_strong_bayesian_core(_identical(v), ag)
    # three-player majority game: every pair is worth 1, the core is empty
    w = np.zeros((8, 1))
    for s in range(1, 8):
        w[s] = 1.0 if bin(s).count("1") >= 2 else 0.0
    assert strong_core_configuration(_identical(w)) is None
    with pytest.raises(ValueError, match="exceeds max_agents"):
        strong_core_configuration(np.zeros((7, 128, 1)))


def test_strong_core_configuration_under_heterogeneous_beliefs():
    """Software company, uniform prior: agents believe different things (each knows its
    own type); the configuration found is blocked by nobody's beliefs."""
    from accord.coalition.estimators import StageValues
    from accord.coalition.valuation import Valuator, log_of

    p = software_company(5)
    sv = StageValues(p, Valuator(p), log_of(uniform_prior(p)), 0, 1, "myopic")
    ag = strong_core_configuration(sv.expected)
    assert ag is not None and strong_core_blocking(sv.expected, ag) is None


def test_final_belief_distance_without_learning_is_the_prior_distance():
    """D(x, y) = 1 - B_x(t_y) (Sec. 6.1): under a uniform prior 0.75 for programmers
    (four types) and 2/3 for the others, as long as nothing is learned."""
    p = software_company(5)
    r = simulate(p, "myopic", uniform_prior(p), stages=3, learning=False, seed=1)
    sizes = np.asarray([ts.size for ts in p.type_sets])
    want = np.broadcast_to(1.0 - 1.0 / sizes, (5, 5)).copy()
    np.fill_diagonal(want, 0.0)
    np.testing.assert_allclose(r.distance, want, atol=1e-12)
