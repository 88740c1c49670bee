"""Beliefs and values whose posteriors, means or gains would overflow float64 are
refused with a ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import accord.bayes as bayes

HALF = np.log(np.full((1, 2, 2), 0.5))


def test_unnormalised_huge_log_marginals_give_a_clear_message():
    lp = np.array([[[800.0, 0.0]]])
    with pytest.raises(ValueError, match=r"sample_types\(\): .*not normalised.*exp\(800\)"):
        bayes.sample_types(lp, 4, 1)


def test_update_refuses_log_likelihoods_whose_posterior_underflows():
    ll = np.array([[1.7e308, -1.7e308, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"update\(\): log_likelihood\[0, 0\] = .*rescale"):
        bayes.update(HALF, ll)


def test_sampled_expected_values_refuse_overflowing_means():
    samples = bayes.sample_types(HALF, 4, 1)
    with pytest.raises(ValueError, match=r"expected_values\(\): values\[0, 0, 0\]"):
        bayes.expected_values(HALF, np.full((1, 1, 4), 1.7e308), samples=samples)
