"""Online bid-adjustment predictors for the load balancer's servers.

* :class:`NeuralBidPredictor` -- ``w * sum(features)``, one weight trained by stochastic
  gradient descent on the squared error;
* :class:`LinearBidPredictor` -- a linear model with a bias and one weight per feature,
  fitted exactly online by recursive least squares with exponential forgetting (Haykin
  (2014), *Adaptive Filter Theory*, 5th ed., Ch. 10).

Both take ``features`` of shape ``(B, d)`` (a batch) or ``(d,)`` (one row) and ``targets``
of shape ``(B,)`` or ``()``; ``update`` returns the mean squared error of the predictions made
*before* the update (the online, "a priori" error).
"""

from __future__ import annotations

import numpy as np

from .._validate import fail
from ._common import check_bytes, float_array, integer, real

__all__ = ["LinearBidPredictor", "NeuralBidPredictor"]


def _batch(func: str, features, targets, d: int | None = None):
    x = float_array(func, "features", features, ndims=(1, 2))
    if x.shape[-1] == 0:
        fail(func, f"features needs at least one column; got shape {x.shape}")
    if d is not None and x.shape[-1] != d:
        fail(func, f"features must have n_features={d} columns; got shape {x.shape}")
    if targets is None:
        return x, None
    if x.ndim == 2 and x.shape[0] == 0:
        fail(func, "features has no rows; pass at least one (features, target) pair")
    y = float_array(func, "targets", targets, x.shape[:-1])
    return x, y


class NeuralBidPredictor:
    """The one-weight bid-adjustment model ``prediction = w * sum(features)``, trained by one
    SGD step per :meth:`update` on ``mean (w * sum(features) - target)**2`` with learning rate
    ``lr``."""

    def __init__(self, w: float = 0.0, lr: float = 0.01) -> None:
        #: The single weight.
        self.w = real("NeuralBidPredictor", "w", w)
        self.lr = real("NeuralBidPredictor", "lr", lr, 0.0, low_open=True)

    def predict(self, features) -> np.ndarray:
        """``w * features.sum(-1)``: shape ``(B,)`` for a batch, ``()`` for one row."""
        x, _ = _batch("NeuralBidPredictor.predict", features, None)
        return self.w * x.sum(axis=-1)

    def update(self, features, targets) -> float:
        """One gradient step ``w -= lr * d/dw mean (w s - y)**2`` with ``s = sum(features)``;
        returns the loss before the step."""
        x, y = _batch("NeuralBidPredictor.update", features, targets)
        s = np.atleast_1d(x.sum(axis=-1))
        err = self.w * s - np.atleast_1d(y)
        loss = float(np.mean(err * err))
        self.w -= self.lr * float(np.mean(2.0 * err * s))
        return loss


class LinearBidPredictor:
    """``prediction = theta[0] + features @ theta[1:]`` fitted online by recursive least
    squares with forgetting factor ``lam`` (Haykin (2014), Ch. 10).

    After rows ``(x_1, y_1) ... (x_n, y_n)`` the weights minimise
    ``sum_i lam**(n - i) (y_i - theta . [1, x_i])**2 + lam**n * delta * |theta|**2``:
    with ``lam = 1`` this is ridge regression with penalty ``delta`` (bias included), and
    ``lam < 1`` discounts old rows so the model tracks drifting bidding behaviour (effective
    memory about ``1 / (1 - lam)`` rows). ``n_features`` is taken from the first call when not
    given. Rows of a batch are folded in one after another, ``O(d**2)`` each.
    """

    def __init__(
        self, n_features: int | None = None, lam: float = 1.0, delta: float = 1e-2
    ) -> None:
        cls = "LinearBidPredictor"
        self.lam = real(cls, "lam", lam, 0.0, 1.0, low_open=True)
        self.delta = real(cls, "delta", delta, 0.0, low_open=True)
        self.n_features: int | None = None
        #: ``[bias, w_1, ..., w_d]``; None until the number of features is known.
        self.theta: np.ndarray | None = None
        #: Inverse of the (discounted, regularised) Gram matrix of ``[1, x]``.
        self.P: np.ndarray | None = None
        if n_features is not None:
            self._init(integer(cls, "n_features", n_features, minimum=1))

    def _init(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        check_bytes(
            type(self).__name__,
            8 * (d + 1) * (d + 2),
            f"the ({d + 1}, {d + 1}) inverse Gram matrix of {d} features",
            "fewer features",
        )
        self.n_features = d
        self.theta = np.zeros(d + 1)
        self.P = np.eye(d + 1) / self.delta
        return self.theta, self.P

    def _state(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """``theta`` and ``P``, set up for ``d`` features on first use."""
        if self.theta is None or self.P is None:
            return self._init(d)
        return self.theta, self.P

    def predict(self, features) -> np.ndarray:
        """Predictions: shape ``(B,)`` for a batch, ``()`` for one row."""
        x, _ = _batch("LinearBidPredictor.predict", features, None, self.n_features)
        theta, _ = self._state(x.shape[-1])
        return theta[0] + x @ theta[1:]

    def update(self, features, targets) -> float:
        """Fold the rows in one at a time; returns the mean squared a-priori error (each row
        predicted before it is used)."""
        x, y = _batch("LinearBidPredictor.update", features, targets, self.n_features)
        theta, P = self._state(x.shape[-1])
        x = x.reshape(-1, x.shape[-1])
        y = np.atleast_1d(y)
        lam = self.lam
        z = np.ones(x.shape[1] + 1)
        sq = 0.0
        for xi, yi in zip(x, y, strict=True):
            z[1:] = xi
            pz = P @ z
            k = pz / (lam + z @ pz)
            e = yi - theta @ z
            sq += e * e
            theta += k * e
            P -= np.outer(k, pz)
            if lam != 1.0:
                P /= lam
            P[...] = 0.5 * (P + P.T)  # keep P symmetric against rounding drift
        return sq / x.shape[0]
