"""Bid predictors (the single-weight model and recursive least squares) and the
exploration schedules."""

from __future__ import annotations

import numpy as np
import pytest

from accord.learn import LinearBidPredictor, NeuralBidPredictor, exponential_decay, linear_decay

# ----------------------------------------------------------------------------- NeuralBidPredictor


def test_neural_predict_and_one_sgd_step():
    p = NeuralBidPredictor(w=0.5, lr=0.1)
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    np.testing.assert_allclose(p.predict(x), [1.5, -0.5])
    assert p.predict(x[0]).shape == ()
    y = np.array([2.0, 1.0])
    loss = p.update(x, y)
    s = x.sum(axis=1)
    err = 0.5 * s - y
    assert loss == pytest.approx(np.mean(err**2))
    assert p.w == pytest.approx(0.5 - 0.1 * np.mean(2 * err * s))
    before = p.w
    p.update([1.0, 1.0], 4.0)                              # a single row
    assert p.w == pytest.approx(before - 0.1 * 2 * (2 * before - 4.0) * 2)


def test_neural_converges_when_the_model_is_right():
    rng = np.random.default_rng(0)
    p = NeuralBidPredictor(lr=0.01)
    for _ in range(500):
        x = rng.uniform(0, 1, (16, 3))
        p.update(x, 0.7 * x.sum(axis=1))
    assert p.w == pytest.approx(0.7, abs=1e-6)


# ----------------------------------------------------------------------------- LinearBidPredictor


def test_rls_equals_ridge_regression_when_lam_is_one():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0 + rng.normal(scale=0.1, size=40)
    delta = 0.5
    p = LinearBidPredictor(lam=1.0, delta=delta)
    p.update(X[:25], y[:25])
    p.update(X[25:], y[25:])
    Z = np.hstack([np.ones((40, 1)), X])
    ridge = np.linalg.solve(Z.T @ Z + delta * np.eye(4), Z.T @ y)
    np.testing.assert_allclose(p.theta, ridge, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(p.predict(X[:3]), Z[:3] @ ridge, rtol=1e-9)


def test_rls_with_forgetting_equals_weighted_ridge():
    rng = np.random.default_rng(2)
    n, lam, delta = 30, 0.9, 0.1
    X = rng.normal(size=(n, 2))
    y = rng.normal(size=n)
    p = LinearBidPredictor(n_features=2, lam=lam, delta=delta)
    p.update(X, y)
    Z = np.hstack([np.ones((n, 1)), X])
    w = lam ** np.arange(n - 1, -1, -1)
    ref = np.linalg.solve(Z.T @ (w[:, None] * Z) + lam**n * delta * np.eye(3), Z.T @ (w * y))
    np.testing.assert_allclose(p.theta, ref, rtol=1e-8, atol=1e-12)


def test_rls_update_returns_a_priori_error():
    p = LinearBidPredictor(n_features=1, delta=1.0)
    assert p.update([[2.0]], [3.0]) == 9.0                # predicted 0 before the update
    p.update([[1.0], [3.0], [0.0]], [2.0, 4.0, 1.0])      # y = 1 + x
    for _ in range(30):
        p.update([[1.0], [3.0], [0.0]], [2.0, 4.0, 1.0])
    assert p.update([[5.0]], [6.0]) < 1e-3


def test_linear_beats_the_seed_model_when_feature_weights_differ():
    rng = np.random.default_rng(3)
    weights = np.array([2.0, -1.0, 0.5, 0.0])

    def batch():
        x = rng.uniform(0, 1, (20, 4))
        return x, x @ weights + 0.3 + rng.normal(scale=0.05, size=20)

    seed_model, rls = NeuralBidPredictor(lr=0.01), LinearBidPredictor(lam=0.99)
    for _ in range(200):
        x, y = batch()
        seed_model.update(x, y)
        rls.update(x, y)
    x, y = batch()
    mse_seed = np.mean((seed_model.predict(x) - y) ** 2)
    mse_rls = np.mean((rls.predict(x) - y) ** 2)
    assert mse_rls < 0.01 < 0.1 < mse_seed
    np.testing.assert_allclose(rls.theta[1:], weights, atol=0.05)


def test_linear_tracks_drift_with_forgetting():
    rng = np.random.default_rng(4)
    fixed, forgetting = LinearBidPredictor(lam=1.0), LinearBidPredictor(lam=0.95)
    for w in (1.0, -1.0):                                  # the relationship flips halfway
        for _ in range(20):
            x = rng.normal(size=(10, 1))
            fixed.update(x, w * x[:, 0])
            forgetting.update(x, w * x[:, 0])
    assert forgetting.theta[1] == pytest.approx(-1.0, abs=1e-3)
    assert abs(fixed.theta[1] + 1.0) > 0.5


def test_predictor_errors():
    with pytest.raises(ValueError, match=r"NeuralBidPredictor\(\): lr must be > 0"):
        NeuralBidPredictor(lr=0.0)
    with pytest.raises(ValueError, match=r"LinearBidPredictor\(\): lam must be in \(0, 1\]"):
        LinearBidPredictor(lam=1.2)
    with pytest.raises(ValueError, match="delta must be > 0"):
        LinearBidPredictor(delta=0.0)
    p = LinearBidPredictor(n_features=3)
    with pytest.raises(ValueError, match=r"LinearBidPredictor\.update\(\): features must have "
                                         r"n_features=3 columns"):
        p.update(np.zeros((2, 2)), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"targets must have shape \(2,\)"):
        p.update(np.zeros((2, 3)), [0.0])
    with pytest.raises(ValueError, match="targets must be finite"):
        p.update(np.zeros((1, 3)), [np.nan])
    with pytest.raises(ValueError, match="features has no rows"):
        NeuralBidPredictor().update(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match=r"NeuralBidPredictor\.predict\(\): features must have "
                                         r"1 or 2 dimensions"):
        NeuralBidPredictor().predict(np.zeros((2, 2, 2)))
    np.testing.assert_array_equal(p.theta, 0.0)


# ----------------------------------------------------------------------------- schedules


def test_schedules():
    assert linear_decay(0, 1.0, 0.1, 100) == 1.0
    assert linear_decay(50, 1.0, 0.1, 100) == pytest.approx(0.55)
    assert linear_decay(500, 1.0, 0.1, 100) == pytest.approx(0.1)
    assert exponential_decay(0, 1.0, 0.0, 0.5) == 1.0
    assert exponential_decay(3, 1.0, 0.2, 0.5) == pytest.approx(0.2 + 0.8 / 8)
    with pytest.raises(ValueError, match=r"exponential_decay\(\): rate must be in \(0, 1\]"):
        exponential_decay(1, rate=1.5)
    with pytest.raises(ValueError, match=r"linear_decay\(\): step must be >= 0"):
        linear_decay(-1)
