"""accord.bayes.expected_values and vpi: Chalkiadakis & Boutilier (2012), Eqs. 2-4 and 11-13."""

from __future__ import annotations

import numpy as np
from bayes_reference import (
    index_of,
    joint_log_prior,
    random_log_marginals,
    vpi_reference,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.bayes as bayes

BELIEF = np.log([[[0.5, 0.3, 0.2]]])           # agent 1 about agent 3: (g, m, b)
AMBITIOUS = 1000 * np.array([0.8, 0.4, 0.1])   # reward 1000 * P(succ | t_c = g, t_e)
MODERATE = 500 * np.array([0.9, 0.8, 0.7])


def test_paper_expected_values_eq3_eq4():
    """Chalkiadakis & Boutilier (2012), Eqs. 3-4: Q(Ambitious) = 540 and Q(Moderate) = 415.

    Eq. 3 as printed reads (0.8 * 0.5 + 0.3 * 0.3 + 0.1 * 0.2) * 1000, which is 510;
    its value 540 (and the outcome table, P(succ | g, m) = 0.4) use 0.4 for type m."""
    q = bayes.expected_values(BELIEF, np.stack([AMBITIOUS, MODERATE])[None])
    np.testing.assert_allclose(q, [[540.0, 415.0]], rtol=1e-14)
    printed = bayes.expected_values(BELIEF, np.array([[[800.0, 300.0, 100.0]]]))
    np.testing.assert_allclose(printed, [[510.0]], rtol=1e-14)


def test_paper_vpi():
    """Ambitious is best (540), Moderate second (415). Revealing agent 3's type: Ambitious
    loses to Moderate if 3 is m (400 -> gain 15) or b (100 -> 315): VPI = 0.3 * 15 +
    0.2 * 315 = 67.5. Moderate never beats 540: VPI 0."""
    values = np.stack([AMBITIOUS, MODERATE])[None]
    v = bayes.vpi(BELIEF, values, np.ones((1, 2)), np.array([540.0]), np.array([415.0]),
                  np.array([[True, False]]))
    np.testing.assert_allclose(v, [[67.5, 0.0]], rtol=1e-14)


@st.composite
def value_problems(draw):
    m = draw(st.integers(0, 4))
    K = draw(st.integers(1, 4 if m <= 3 else 3))
    B = draw(st.integers(1, 5))
    A = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lp = random_log_marginals(rng, B, m, K, pad=draw(st.sampled_from([0.0, 0.4])))
    values = rng.normal(size=(B, A, K**m)) * 10
    share = rng.random((B, A))
    best = rng.normal(size=B) * 5
    second = best - rng.random(B) * 5
    is_best = np.zeros((B, A), dtype=bool)
    is_best[np.arange(B), rng.integers(0, A, size=B)] = True
    return lp, values, share, best, second, is_best


@settings(max_examples=150, deadline=None)
@given(value_problems())
def test_expected_values_and_vpi_match_reference(problem):
    lp, values, share, best, second, is_best = problem
    P = np.exp(joint_log_prior(lp))
    want = (values * P[:, None, :]).sum(axis=2)
    np.testing.assert_allclose(bayes.expected_values(lp, values), want, rtol=1e-11, atol=1e-11)
    got = bayes.vpi(lp, values, share, best, second, is_best)
    np.testing.assert_allclose(got, vpi_reference(lp, values, share, best, second, is_best),
                               rtol=1e-11, atol=1e-11)
    assert (got >= 0).all()


def test_vpi_matches_monte_carlo():
    """Eq. 13 against a Monte-Carlo estimate: draw type vectors from the marginals with
    NumPy, apply Eq. 12, average; within 4 standard errors."""
    rng = np.random.default_rng(42)
    B, m, K, A, N = 3, 3, 3, 2, 200_000
    lp = random_log_marginals(rng, B, m, K, pad=0.2)
    values = rng.normal(size=(B, A, K**m)) * 3
    share = np.full((B, A), 0.6)
    best, second = np.array([1.0, 0.5, 0.0]), np.array([0.2, -0.5, -1.0])
    is_best = np.array([[True, False], [False, True], [True, False]])
    exact = bayes.vpi(lp, values, share, best, second, is_best)
    p = np.exp(lp)
    for b in range(B):
        types = np.stack([rng.choice(K, size=N, p=p[b, j]) for j in range(m)], axis=1)
        q = share[b][:, None] * values[b][:, index_of(types, K)]           # (A, N)
        gain = np.where(is_best[b][:, None], np.maximum(second[b] - q, 0),
                        np.maximum(q - best[b], 0))
        est, se = gain.mean(axis=1), gain.std(axis=1) / np.sqrt(N)
        assert (np.abs(est - exact[b]) <= 4 * se + 1e-12).all(), (b, est, exact[b], se)


def test_sampled_mode_averages_over_samples():
    rng = np.random.default_rng(9)
    B, m, K, A, S = 4, 5, 3, 3, 64
    lp = random_log_marginals(rng, B, m, K)
    samples = bayes.sample_types(lp, S, 99)
    values = rng.normal(size=(B, A, S))
    np.testing.assert_allclose(bayes.expected_values(lp, values, samples=samples),
                               values.mean(axis=2), rtol=1e-13, atol=1e-13)
    share = rng.random((B, A))
    best, second = np.full(B, 0.3), np.full(B, -0.2)
    is_best = np.eye(B, A, dtype=bool)
    q = share[..., None] * values
    want = np.where(is_best[..., None], np.maximum(second[:, None, None] - q, 0),
                    np.maximum(q - best[:, None, None], 0)).mean(axis=2)
    got = bayes.vpi(lp, values, share, best, second, is_best, samples=samples)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_sampled_expected_values_converge():
    """Sampled expected values of a joint value table approach the exact ones."""
    rng = np.random.default_rng(4)
    B, m, K, A, S = 3, 4, 3, 2, 50_000
    lp = random_log_marginals(rng, B, m, K)
    table = rng.normal(size=(B, A, K**m))
    exact = bayes.expected_values(lp, table)
    samples = bayes.sample_types(lp, S, 5)
    t = index_of(samples, K)                                               # (B, S)
    at = np.take_along_axis(table, np.broadcast_to(t[:, None, :], (B, A, S)), axis=2)
    est = bayes.expected_values(lp, at, samples=samples)
    se = at.std(axis=2) / np.sqrt(S)
    assert (np.abs(est - exact) <= 4 * se).all()


def test_is_best_accepts_zero_one_integers():
    lp = np.log(np.full((1, 1, 2), 0.5))
    values = np.array([[[1.0, 3.0], [2.0, 0.0]]])
    args = (np.ones((1, 2)), np.array([2.0]), np.array([1.5]))
    a = bayes.vpi(lp, values, *args, np.array([[1, 0]]))
    b = bayes.vpi(lp, values, *args, np.array([[True, False]]))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, [[0.25, 0.0]])
