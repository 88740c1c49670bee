"""Exact joint beliefs (``beliefs="joint"``) against brute force and the marginal path."""

import itertools

import numpy as np
import pytest
from coalition_reference import random_beliefs

from accord.coalition.environments import good_bad_ugly, software_company
from accord.coalition.estimators import StageValues
from accord.coalition.joint import JointBeliefs
from accord.coalition.simulate import simulate
from accord.coalition.valuation import Valuator, log_of, posteriors, write_back
from accord.experiments import coalition as experiment

PROBLEMS = {"software": lambda: software_company(5), "gbu": good_bad_ugly}


def _valuators(name):
    p = PROBLEMS[name]()
    # the software company values through its type statistic or per type vector
    both = [Valuator(p), Valuator(p, statistics=False)] if name == "software" else [Valuator(p)]
    return p, both


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("seed", [0, 1])
def test_a_product_prior_values_as_its_marginals(name, seed):
    """Before any observation the joint is the product of the marginals, so values,
    MAP's modes and VPI equal the marginal path's, through every kind of cell."""
    p, valuators = _valuators(name)
    rng = np.random.default_rng(seed)
    lb = log_of(random_beliefs(p, rng))
    task = 0
    masks = np.asarray([s for s in range(1, 32) if s & 0b100])
    shares = rng.random((masks.size, p.n_actions))
    for va in valuators:
        joint = JointBeliefs(p, va, lb)
        np.testing.assert_allclose(np.exp(joint.log_marginals()), np.exp(lb), atol=1e-12)
        for method in ("vpi", "map"):
            ties = "last" if seed else "first"
            want = StageValues(p, va, lb, task, 5, method, ties)
            got = StageValues(p, va, lb, task, 5, method, ties, joint)
            np.testing.assert_allclose(got.expected, want.expected, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(got.base, want.base, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(
            got.vpi(2, masks, shares, 700.0, 300.0, (0b101, 1)),
            want.vpi(2, masks, shares, 700.0, 300.0, (0b101, 1)),
            rtol=1e-9,
            atol=1e-8,
        )


def _brute_force_joint(problem, agent, log_prior, observations):
    """Agent ``agent``'s exact posterior over its partners' type vectors, by Bayes'
    rule over every type vector (``task.probabilities`` of the whole coalition)."""
    n = problem.n_agents
    sets = [
        problem.type_sets[j] if j != agent else np.array([problem.true_types[agent]])
        for j in range(n)
    ]
    vecs = np.asarray(list(itertools.product(*sets)))
    lp = sum(log_prior[agent, j, vecs[:, j]] for j in range(n) if j != agent)
    for task, s, a, o in observations:
        mem = np.flatnonzero([s >> j & 1 for j in range(n)])
        pr = problem.tasks[task].probabilities(mem, vecs[:, mem])[:, a, o]
        with np.errstate(divide="ignore"):
            lp = lp + np.log(pr)
    p = np.exp(lp - lp.max())
    return vecs, p / p.sum()


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_updates_equal_bayes_rule_over_every_type_vector(name):
    p, valuators = _valuators(name)
    rng = np.random.default_rng(7)
    lb = log_of(random_beliefs(p, rng, zero=0.0))
    agent = 1
    truth = p.true_types
    for va in valuators:
        joint = JointBeliefs(p, va, lb)
        obs = []
        for _ in range(6):  # outcomes drawn from the true types
            task = int(rng.integers(len(p.tasks)))
            s = int(rng.integers(1, 32)) | (1 << agent)
            mem = np.flatnonzero([s >> j & 1 for j in range(5)])
            a = int(rng.integers(p.n_actions))
            pr = p.tasks[task].probabilities(mem, truth[mem][None])[0, a]
            o = int(rng.choice(pr.size, p=pr))
            joint.update(task, [(agent, s, a, o)])
            obs.append((task, s, a, o))
        vecs, want = _brute_force_joint(p, agent, lb, obs)
        # the joint's states are the same type vectors in the same (lexicographic) order
        np.testing.assert_array_equal(joint.types[agent], vecs)
        np.testing.assert_allclose(np.exp(joint.log_p[agent]), want, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_one_update_from_a_product_prior_has_the_projected_marginals(name):
    """The marginal path projects the exact posterior of one observation to its
    marginals; from a product prior the joint's marginals after that observation are
    the same. A second observation on overlapping partners tells them apart: the joint
    keeps the correlation the first one created."""
    p, valuators = _valuators(name)
    rng = np.random.default_rng(3)
    lb = log_of(random_beliefs(p, rng, zero=0.0))
    # the software company's quality points add up; GBU's big crime (robbing the
    # train, action 2) pays only when its three members are Good, Bad and Ugly
    agent, s, a = (0, 0b01111, 1) if name == "software" else (0, 0b00111, 2)
    task = len(p.tasks) - 1
    mem = np.flatnonzero([s >> j & 1 for j in range(5)])
    pr = p.tasks[task].probabilities(mem, p.true_types[mem][None])[0, a]
    o = int(np.argmax(pr))
    for va in valuators:
        joint = JointBeliefs(p, va, lb)
        joint.update(task, [(agent, s, a, o)])
        marg = lb.copy()
        (post,) = posteriors(va, task, lb, [(agent, agent, s, a, o)], 1)
        write_back(marg[agent], va.row(task, agent, s), post)
        np.testing.assert_allclose(
            np.exp(joint.log_marginals()[agent]), np.exp(marg[agent]), atol=1e-12
        )
        # the posterior over members 1-3 is not the product of its marginals
        pj = np.exp(joint.log_p[agent])
        t = joint.types[agent]
        pair = np.zeros((p.n_types, p.n_types))
        np.add.at(pair, (t[:, 1], t[:, 2]), pj)
        prod = np.outer(pair.sum(1), pair.sum(0))
        assert np.abs(pair - prod).max() > 1e-3


def test_joint_beliefs_in_simulation_learn_and_are_reported_as_marginals():
    p = software_company(5)
    prior = np.exp(log_of(random_beliefs(p, np.random.default_rng(0), zero=0.0)))
    for method in ("myopic", "map", "vpi"):
        r = simulate(p, method, prior, stages=25, beliefs="joint", seed=4)
        assert np.isfinite(r.rewards).all()
        assert r.belief_error[-1] < r.belief_error[0] or r.coalitions.min() == p.n_agents
        assert r.distance is not None and (r.distance >= -1e-12).all()
    # informed agents hold point masses: the joint has one state, and the runs agree
    a = simulate(p, "informed", prior, stages=10, beliefs="joint", seed=2)
    b = simulate(p, "informed", prior, stages=10, seed=2)
    np.testing.assert_array_equal(a.rewards, b.rewards)


def test_joint_beliefs_refuse_what_they_cannot_hold():
    p = software_company(5)
    prior = np.exp(log_of(random_beliefs(p, np.random.default_rng(0), zero=0.0)))
    with pytest.raises(ValueError, match="beliefs must be one of marginal, joint"):
        simulate(p, "myopic", prior, stages=2, beliefs="exact")
    for method in ("osla", "vpi-osla"):
        with pytest.raises(ValueError, match="beliefs='joint' is not available to"):
            simulate(p, method, prior, stages=2, beliefs="joint")
    big = software_company(10)
    with pytest.raises(ValueError, match="more than the .* allowed"):
        JointBeliefs(big, Valuator(big), np.zeros((10, 10, big.n_types)))


def test_an_impossible_observation_names_the_agent():
    p = software_company(5)
    prior = random_beliefs(p, np.random.default_rng(0), zero=0.0)
    joint = JointBeliefs(p, Valuator(p), log_of(prior))
    before = [x.copy() for x in joint.log_p]
    # rule out every type vector by observing twice an outcome, then its impossibility
    c = joint.cells(0)
    s, a = 0b00011, 0
    cell = c.index[0][:, s]
    never = [o for o in range(p.n_outcomes) if (c.probs[0, s, a, o][cell] == 0).all()]
    if not never:
        pytest.skip("every outcome of this coalition is possible")
    with pytest.raises(Exception, match="zero probability"):
        joint.update(0, [(0, s, a, never[0])])
    for x, y in zip(before, joint.log_p, strict=True):
        np.testing.assert_array_equal(x, y)  # nothing changed


def test_the_experiment_key():
    base = {"environment": "software-5", "method": "vpi", "negotiation": "osp", "prior": "uniform"}
    experiment.validate({**base, "beliefs": "joint"})
    with pytest.raises(ValueError, match="beliefs must be one of"):
        experiment.validate({**base, "beliefs": "exact"})
    with pytest.raises(ValueError, match="beliefs='joint'"):
        experiment.validate({**base, "method": "osla", "beliefs": "joint"})
    out = experiment.run({**base, "beliefs": "joint", "stages": 3}, seed=1)
    assert out["rewards"].shape == (3,)
