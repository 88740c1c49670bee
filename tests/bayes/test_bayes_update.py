"""accord.bayes.update: Chalkiadakis & Boutilier (2012), Eq. 5, enumerated and sampled
(Rao-Blackwellised)."""

from __future__ import annotations

import numpy as np
import pytest
from bayes_reference import (
    digits,
    index_of,
    log_of,
    random_log_marginals,
    sampled_reference,
    update_reference,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import accord
import accord.bayes as bayes


def test_paper_example_posterior():
    """Chalkiadakis & Boutilier (2012), Sec. 3.2: agent 1 believes agent 3 is
    (g, m, b) = (0.5, 0.3, 0.2); the Ambitious project of {1, 3} failed;
    P(fail | t_c = g, t_e) = (0.2, 0.6, 0.9).
    Posterior (0.10, 0.18, 0.18) / 0.46 = (0.217, 0.391, 0.391); printed (0.22, 0.39, 0.39)."""
    prior = np.log([[[0.5, 0.3, 0.2]]])
    fail = np.log([[0.2, 0.6, 0.9]])
    post = np.exp(bayes.update(prior, fail))
    np.testing.assert_allclose(post[0, 0], np.array([0.10, 0.18, 0.18]) / 0.46, rtol=1e-13)
    np.testing.assert_allclose(post[0, 0], [0.22, 0.39, 0.39], atol=0.005)
    # Agent 1's belief about agent 2 is unchanged: an outcome independent of its type.
    both = np.log([[[0.3, 0.4, 0.3], [0.5, 0.3, 0.2]]])
    ll = np.tile(np.log([0.2, 0.6, 0.9]), 3)[None, :]      # depends on member 1 (agent 3) only
    post2 = np.exp(bayes.update(both, ll))
    np.testing.assert_allclose(post2[0, 0], [0.3, 0.4, 0.3], rtol=1e-13)
    np.testing.assert_allclose(post2[0, 1], post[0, 0], rtol=1e-13)


@st.composite
def problems(draw):
    m = draw(st.integers(0, 4))
    K = draw(st.integers(1, 4 if m <= 3 else 3))
    B = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lp = random_log_marginals(rng, B, m, K, pad=draw(st.sampled_from([0.0, 0.3, 0.6])))
    ll = log_of(rng.random((B, K**m)))
    ll[rng.random(ll.shape) < draw(st.sampled_from([0.0, 0.2, 0.9]))] = -np.inf
    ll *= draw(st.sampled_from([1.0, 30.0]))                 # sharp likelihoods too
    return lp, ll


@settings(max_examples=150, deadline=None)
@given(problems())
def test_enumerated_matches_reference(problem):
    lp, ll = problem
    want_post, want_joint, zero = update_reference(lp, ll)
    if zero.size:
        with pytest.raises(bayes.ZeroLikelihoodError) as info:
            bayes.update(lp, ll)
        assert info.value.rows == zero.tolist()
        return
    post, joint = bayes.update(lp, ll, return_joint=True)
    assert post.shape == lp.shape and joint.shape == ll.shape
    assert not np.isnan(post).any() and not np.isnan(joint).any()
    np.testing.assert_array_equal(np.isneginf(post), np.isneginf(want_post))
    np.testing.assert_array_equal(np.isneginf(joint), np.isneginf(want_joint))
    fin = np.isfinite(want_post)
    np.testing.assert_allclose(post[fin], want_post[fin], rtol=1e-11, atol=1e-11)
    fin = np.isfinite(want_joint)
    np.testing.assert_allclose(joint[fin], want_joint[fin], rtol=1e-11, atol=1e-11)
    # Normalised marginals and joint; pads stay impossible.
    if lp.shape[1]:
        np.testing.assert_allclose(np.exp(post).sum(axis=2), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(joint).sum(axis=1), 1.0, rtol=1e-12)
    assert np.isneginf(post[np.isneginf(lp)]).all()


def test_singleton_coalition_m0():
    lp = np.zeros((3, 0, 5))
    post, joint = bayes.update(lp, np.array([[-2.0], [0.0], [-50.0]]), return_joint=True)
    assert post.shape == (3, 0, 5)
    np.testing.assert_array_equal(joint, np.zeros((3, 1)))
    with pytest.raises(bayes.ZeroLikelihoodError) as info:
        bayes.update(lp, np.array([[0.0], [-np.inf], [0.0]]))
    assert info.value.rows == [1]


def test_tiny_posteriors_keep_log_space_precision():
    """A type whose posterior is e^-1000 keeps log-probability -1000, not -inf."""
    lp = np.log(np.full((1, 2, 2), 0.5))
    ll = np.array([[0.0, 0.0, -1000.0, -1000.0]])          # member 0 = type 1 costs e^-1000
    post = bayes.update(lp, ll)
    np.testing.assert_allclose(post[0, 0], [0.0, -1000.0], atol=1e-12)
    np.testing.assert_allclose(post[0, 1], np.log([0.5, 0.5]), atol=1e-12)
    ll = np.array([[-3000.0, -1.0, -2000.0, -2500.0]])
    want, _, _ = update_reference(lp, ll)
    np.testing.assert_allclose(bayes.update(lp, ll), want, rtol=1e-12)


def test_large_joint_with_pads_matches_reference():
    """Enough members that the kernel splits them into enumerated outer members and a
    tabulated inner block, with impossible types in both."""
    rng = np.random.default_rng(11)
    B, m, K = 4, 7, 4
    lp = random_log_marginals(rng, B, m, K, pad=0.25)
    ll = log_of(rng.random((B, K**m))) * 5
    want, wjoint, _ = update_reference(lp, ll)
    post, joint = bayes.update(lp, ll, return_joint=True)
    fin = np.isfinite(want)
    np.testing.assert_allclose(post[fin], want[fin], rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(np.isneginf(post), ~fin)
    fin = np.isfinite(wjoint)
    np.testing.assert_allclose(joint[fin], wjoint[fin], rtol=1e-10, atol=1e-10)


def test_zero_likelihood_error_names_rows():
    lp = np.log(np.full((4, 1, 2), 0.5))
    ll = np.array([[0.0, -1.0], [-np.inf, -np.inf], [-np.inf, 0.0], [-np.inf, -np.inf]])
    with pytest.raises(bayes.ZeroLikelihoodError, match=r"rows 1, 3") as info:
        bayes.update(lp, ll)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.rows == [1, 3]
    assert "impossible under the prior" in str(err)
    # Likelihood only where the prior is zero is also zero evidence.
    lp = np.array([[[0.0, -np.inf]]])
    with pytest.raises(bayes.ZeroLikelihoodError, match="row 0"):
        bayes.update(lp, np.array([[-np.inf, 0.0]]))


def test_results_do_not_depend_on_threads():
    rng = np.random.default_rng(5)
    lp = random_log_marginals(rng, 300, 4, 3)
    ll = log_of(rng.random((300, 81)))
    before = accord._core.get_num_threads()
    try:
        accord.set_num_threads(1)
        one = bayes.update(lp, ll, return_joint=True)
        accord.set_num_threads(4)
        four = bayes.update(lp, ll, return_joint=True)
    finally:
        accord.set_num_threads(before)
    for a, b in zip(one, four, strict=True):
        np.testing.assert_array_equal(a, b)


# ---- sampled mode ---------------------------------------------------------------------

def _model(types: np.ndarray) -> np.ndarray:
    """log Pr(success | types): a logistic model of the members' types (..., m)."""
    w = np.array([0.9, -0.6, 0.4, 0.3])[: types.shape[-1]]
    z = types @ w - 0.5
    return -np.log1p(np.exp(-z))


def _sampled_likelihood(samples: np.ndarray, K: int) -> np.ndarray:
    """(B, S, m, K): log Pr(obs | sample s with member j's type replaced by k)."""
    B, S, m = samples.shape
    t = np.broadcast_to(samples[:, :, None, None, :], (B, S, m, K, m)).copy()
    for j in range(m):
        t[:, :, j, :, j] = np.arange(K)
    return _model(t)


def test_sampled_matches_rao_blackwell_formula():
    rng = np.random.default_rng(3)
    B, m, K, S = 6, 3, 4, 50
    lp = random_log_marginals(rng, B, m, K)
    samples = bayes.sample_types(lp, S, 17)
    ll = _sampled_likelihood(samples, K)
    np.testing.assert_allclose(bayes.update(lp, ll, samples=samples), sampled_reference(lp, ll),
                               rtol=1e-12, atol=1e-12)


def test_sampled_converges_to_exact():
    """The Rao-Blackwellised estimate approaches the exact marginals as S grows: at
    S = 40,000 the largest error is a few times 1/sqrt(S) (fixed seed)."""
    rng = np.random.default_rng(8)
    B, m, K = 5, 3, 4
    lp = random_log_marginals(rng, B, m, K, pad=0.0)
    t = digits(np.arange(K**m), m, K)
    exact = np.exp(bayes.update(lp, np.broadcast_to(_model(t), (B, K**m)).copy()))
    errors = []
    for S in (100, 40_000):
        samples = bayes.sample_types(lp, S, 2024)
        est = np.exp(bayes.update(lp, _sampled_likelihood(samples, K), samples=samples))
        errors.append(np.abs(est - exact).max())
    assert errors[1] < 0.01
    assert errors[1] < errors[0]


def test_sampled_never_kills_undrawn_types():
    """A type that no sample drew keeps posterior mass (prior times its likelihood)."""
    lp = np.log([[[0.999, 0.001], [0.5, 0.5]]])
    samples = np.zeros((1, 3, 2), dtype=np.int32)            # member 0 never drew type 1
    ll = _sampled_likelihood(samples, 2)
    post = np.exp(bayes.update(lp, ll, samples=samples))
    assert post[0, 0, 1] > 0
    np.testing.assert_allclose(post, np.exp(sampled_reference(lp, ll)), rtol=1e-12)


def test_sampled_zero_evidence():
    lp = np.log(np.full((2, 2, 2), 0.5))
    samples = np.zeros((2, 4, 2), dtype=np.int32)
    ll = np.zeros((2, 4, 2, 2))
    ll[1, :, 0, :] = -np.inf                                   # member 0 of row 1: impossible
    with pytest.raises(bayes.ZeroLikelihoodError) as info:
        bayes.update(lp, ll, samples=samples)
    assert info.value.rows == [1]


def test_sampled_index_helpers_agree():
    """digits/index_of (used above) invert each other on the row-major convention."""
    t = np.arange(3**4)
    np.testing.assert_array_equal(index_of(digits(t, 4, 3), 3), t)
