"""accord.bayes.subset_sums against brute-force enumeration, and its input checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.bayes as bayes


def brute(p: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(2**n, L) by enumerating every subset's joint type vectors."""
    n, k = p.shape
    L = n * int(points.max()) + 1
    out = np.zeros((1 << n, L))
    for s in range(1 << n):
        mem = [j for j in range(n) if s >> j & 1]
        for t in itertools.product(range(k), repeat=len(mem)):
            w = np.prod([p[j, tj] for j, tj in zip(mem, t, strict=True)])
            out[s, int(points[list(t)].sum())] += w
    return out


def random_probs(rng, z, n, k, zero=0.3):
    p = rng.random((z, n, k)) * (rng.random((z, n, k)) > zero)
    p[..., 0] += 1e-3
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize(("n", "k"), [(0, 2), (1, 3), (4, 4), (6, 3)])
def test_matches_enumeration(n, k):
    rng = np.random.default_rng(n * 7 + k)
    p = random_probs(rng, 3, n, k)
    points = rng.integers(0, 4, k)
    points[0] = 0
    got = bayes.subset_sums(p, points)
    for z in range(3):
        np.testing.assert_allclose(got[z], brute(p[z], points), rtol=0, atol=1e-15)


def test_values_are_expectations_of_the_distributions():
    rng = np.random.default_rng(1)
    p = random_probs(rng, 5, 5, 4)
    points = np.array([0, 1, 2, 3])
    values = rng.normal(size=(32, 3, 16)) * 100
    dist = bayes.subset_sums(p, points)
    np.testing.assert_allclose(
        bayes.subset_sums(p, points, values=values),
        np.einsum("zsl,sal->zsa", dist, values),
        rtol=1e-13,
        atol=1e-11,
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_mean_is_additive_and_mass_is_one(n, k, seed):
    rng = np.random.default_rng(seed)
    p = random_probs(rng, 1, n, k)[0]
    points = rng.integers(0, 5, k)
    d = bayes.subset_sums(p[None], points)[0]
    np.testing.assert_allclose(d.sum(-1), 1.0, atol=1e-12)
    mean = d @ np.arange(d.shape[1])
    member_mean = p @ points
    for s in range(1 << n):
        want = sum(member_mean[j] for j in range(n) if s >> j & 1)
        assert mean[s] == pytest.approx(want, abs=1e-9)


def test_point_masses_give_point_masses():
    p = np.zeros((1, 3, 3))
    p[0, [0, 1, 2], [2, 0, 1]] = 1.0
    d = bayes.subset_sums(p, np.array([0, 1, 2]))[0]
    assert d[0b111].tolist() == [0, 0, 0, 1, 0, 0, 0]  # 2 + 0 + 1
    assert d[0b101].argmax() == 3 and d[0b101].max() == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"probabilities": np.ones((2, 3))}, r"shape \(Z, n, K\)"),
        ({"points": np.array([0.0, 1.0])}, "integer array"),
        ({"points": np.array([0, 1, 2])}, r"one entry per type, shape \(2,\)"),
        ({"points": np.array([0, -1])}, r"points must be >= 0"),
        ({"probabilities": np.full((1, 2, 2), 0.6)}, r"probabilities\[0, 0\] sums to 1.2"),
        ({"probabilities": np.array([[[1.5, -0.5]] * 2])}, "is negative"),
        ({"values": np.ones((4, 2, 5))}, r"values must have shape \(2\*\*n, A, L\) = \(4, A, 3\)"),
        ({"values": np.full((4, 2, 3), np.nan)}, "values must be finite"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"probabilities": np.full((1, 2, 2), 0.5), "points": np.array([0, 1])} | kwargs
    values = args.pop("values", None)
    with pytest.raises((ValueError, TypeError), match=match):
        bayes.subset_sums(args["probabilities"], args["points"], values=values)


def test_refuses_too_many_members_and_oversized_results():
    with pytest.raises(ValueError, match="at most 24 members"):
        bayes.subset_sums(np.full((1, 25, 1), 1.0), np.array([0]))
    with pytest.raises(ValueError, match="needs .* GiB"):
        bayes.subset_sums(np.full((4096, 22, 1), 1.0), np.array([3]))
