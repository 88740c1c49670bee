"""Valuing through a type statistic (exact subset sums) against type-vector rows."""

import numpy as np
import pytest
from coalition_reference import random_beliefs

from accord.coalition.environments import software_company
from accord.coalition.estimators import StageValues
from accord.coalition.model import BCFP, Task, TypeStatistic
from accord.coalition.simulate import simulate
from accord.coalition.valuation import (
    Valuator,
    expected_many,
    log_of,
    posteriors,
    successor_grid,
    successor_views,
)


@pytest.mark.parametrize("seed", [0, 1])
def test_five_agents_match_enumerated_type_vectors(seed):
    """At five agents every row is enumerated exactly, so both paths compute the same
    numbers: values, outcome probabilities, VPI, Eq. 5 posteriors, successor tables."""
    p = software_company(5)
    assert p.tasks[0].statistic is not None
    rng = np.random.default_rng(seed)
    lb = log_of(random_beliefs(p, rng))
    fast, slow = Valuator(p), Valuator(p, statistics=False)
    pairs = tuple((i, s) for i in range(5) for s in range(1, 32) if s >> i & 1)
    view = np.asarray([i for i, _ in pairs])
    for outcomes in (False, True):
        qf, gf = fast.expected(0, lb, view, pairs, 3, outcomes=outcomes)
        qs, _ = slow.expected(0, lb, view, pairs, 3, outcomes=outcomes)
        assert gf[0].log_marginals.shape[1] == 1  # one pseudo-member: the total
        np.testing.assert_allclose(qf, qs, rtol=1e-12, atol=1e-9)
    sf = StageValues(p, fast, lb, 0, 3, "vpi")
    ss = StageValues(p, slow, lb, 0, 3, "vpi")
    np.testing.assert_allclose(sf.expected, ss.expected, rtol=1e-12, atol=1e-9)
    masks = np.asarray([s for s in range(1, 32) if s & 0b10])
    shares = rng.random((masks.size, 3))
    np.testing.assert_allclose(
        sf.vpi(1, masks, shares, 900.0, 400.0, (0b110, 2)),
        ss.vpi(1, masks, shares, 900.0, 400.0, (0b110, 2)),
        rtol=1e-10,
        atol=1e-8,
    )
    po, _ = slow.expected(0, lb, view, pairs, 3, outcomes=True)
    po = po.reshape(len(pairs), 3, 3)
    req = [
        (i, i, s, a, o)
        for q, (i, s) in enumerate(pairs)
        for a, o in ((2, 0), (1, 1), (2, 2))
        if bin(s).count("1") > 1 and po[q, a, o] > 1e-12
    ]
    assert len(req) > 60
    for x, y in zip(posteriors(fast, 0, lb, req, 1), posteriors(slow, 0, lb, req, 1), strict=True):
        np.testing.assert_allclose(np.exp(x), np.exp(y), atol=1e-12)
    views = np.stack([log_of(random_beliefs(p, rng))[2] for _ in range(6)])
    all_masks = tuple(range(1, 32))
    np.testing.assert_allclose(
        expected_many(fast, 0, views, 2, all_masks, 4),
        expected_many(slow, 0, views, 2, all_masks, 4),
        rtol=1e-12,
        atol=1e-9,
    )


def test_ten_agents_are_exact_where_type_vectors_are_sampled():
    """At ten agents the type-vector rows are sampled above 1000 joint vectors; the
    statistic is exact: compare with full enumeration (a raised limit)."""
    p = software_company(10)
    rng = np.random.default_rng(5)
    lb = log_of(random_beliefs(p, rng))
    fast = Valuator(p)
    exact = Valuator(p, statistics=False, enumerate_limit=200_000)
    pairs = tuple(
        (i, int(s)) for i in (0, 3, 9) for s in rng.choice(np.arange(1, 1024), 40) if s >> i & 1
    )
    assert max(bin(s).count("1") for _, s in pairs) >= 7
    view = np.asarray([i for i, _ in pairs])
    qf, _ = fast.expected(0, lb, view, pairs, 3)
    qe, _ = exact.expected(0, lb, view, pairs, 3)
    np.testing.assert_allclose(qf, qe, rtol=1e-11, atol=1e-8)
    po, _ = exact.expected(0, lb, view, pairs, 3, outcomes=True)
    req = [
        (i, i, s, 2, o)
        for k, (i, s) in enumerate(pairs)
        for o in range(3)
        if bin(s).count("1") >= 6 and po[k, 6 + o] > 1e-12
    ][:12]
    assert len(req) >= 8
    for x, y in zip(posteriors(fast, 0, lb, req, 1), posteriors(exact, 0, lb, req, 1), strict=True):
        np.testing.assert_allclose(np.exp(x), np.exp(y), atol=1e-12)
    # the sampled rows of the default limit only approximate it
    qs, _ = Valuator(p, statistics=False).expected(0, lb, view, pairs, 3)
    assert np.abs(qs - qe).max() > 1e-6


def test_a_statistic_that_disagrees_with_the_outcome_model_is_refused():
    p = software_company(5)
    t = p.tasks[0]
    wrong = TypeStatistic(t.statistic.points[::-1].copy(), t.statistic.by_total)
    q = BCFP(
        p.type_names,
        p.type_sets,
        p.true_types,
        [Task(t.name, t.actions, t.outcomes, t.rewards, t.outcome_probs, True, wrong)],
    )
    with pytest.raises(ValueError, match="statistic disagrees with outcome_probs"):
        Valuator(q).subset_tables(0)
    with pytest.raises(ValueError, match="points for each of the 10 types"):
        BCFP(
            p.type_names,
            p.type_sets,
            p.true_types,
            [
                Task(
                    t.name,
                    t.actions,
                    t.outcomes,
                    t.rewards,
                    t.outcome_probs,
                    True,
                    TypeStatistic(np.arange(3), t.statistic.by_total),
                )
            ],
        )
    with pytest.raises(ValueError, match="points must be >= 0"):
        TypeStatistic(np.array([0, -1]), t.statistic.by_total)


def test_simulation_through_the_statistic_at_ten_agents():
    """A ten-agent VPI run values and updates through the statistic (no sampling):
    the same seed gives the same run whatever the sampling settings."""
    p = software_company(10)
    b = np.zeros((10, 10, p.n_types))
    for j, ts in enumerate(p.type_sets):
        b[:, j, ts] = 1.0 / ts.size
    b[np.arange(10), np.arange(10)] = 0.0
    b[np.arange(10), np.arange(10), p.true_types] = 1.0
    r = simulate(p, "vpi", b, stages=4, seed=3)
    again = simulate(p, "vpi", b, stages=4, seed=3, samples=7)
    np.testing.assert_array_equal(r.rewards, again.rewards)
    np.testing.assert_array_equal(r.belief_error, again.belief_error)
    assert np.isfinite(r.belief_error).all() and (r.coalitions < 10).any()


@pytest.mark.parametrize("n", [5, 10])
def test_map_values_through_the_statistic(n):
    """MAP's values at the most probable type vectors: through the statistic's table
    (one lookup per coalition) as through the outcome model per coalition."""
    p = software_company(n)
    lb = log_of(random_beliefs(p, np.random.default_rng(n)))
    for ties in ("first", "last", "random"):
        fast = StageValues(p, Valuator(p), lb, 0, 3, "map", ties).base
        slow = StageValues(p, Valuator(p, statistics=False), lb, 0, 3, "map", ties).base
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("n", [5, 10])
def test_successor_grid_equals_one_update_per_request(n):
    """Every (coalition, action, outcome) successor of a view at once, as the request-by-
    request Eq. 5 update gives it; impossible outcomes leave -inf rows."""
    p = software_company(n)
    va = Valuator(p)
    lb = log_of(random_beliefs(p, np.random.default_rng(n)))
    i = 2
    dist = va.distributions(0, lb[i][None])[0]
    masks = np.array([s for s in range(1 << n) if s >> i & 1 and s != 1 << i][:40])
    st = va.subset_tables(0)
    po = np.einsum("sl,saol->sao", dist[masks], st.probs[masks])
    keep = np.argwhere(po > 1e-15)
    assert keep.shape[0] < po.size  # some outcomes are impossible
    req = [(0, i, int(masks[r]), int(a), int(o)) for r, a, o in keep]
    want = successor_views(va, 0, lb[i], req, 1, dist)
    grid = successor_grid(va, 0, lb[i], i, masks, dist)
    got = grid[keep[:, 0], keep[:, 1], keep[:, 2]]
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_allclose(np.exp(got), np.exp(want), atol=1e-12)
    assert not np.isnan(grid).any()
