"""Small statistics for experiment reports."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["discounted_accumulation", "mean_ci"]


def discounted_accumulation(rewards: ArrayLike, gamma: float) -> np.ndarray:
    """``A[..., T] = sum_{t <= T} gamma**t * r[..., t]`` along the last axis.

    ``rewards`` has the stages on its last axis (one row per run for a 2-D array);
    ``A[..., -1]`` is the discounted accumulated reward after the last stage.
    """
    r = np.asarray(rewards, dtype=np.float64)
    g = float(gamma)
    if r.ndim == 0:
        raise ValueError(
            "discounted_accumulation(): rewards must have a stage axis (1-D or "
            f"more); got a scalar {float(r)}"
        )
    if not np.isfinite(g) or g < 0:
        raise ValueError(
            f"discounted_accumulation(): gamma must be a finite number >= 0; got {gamma!r}"
        )
    return np.cumsum(r * g ** np.arange(r.shape[-1], dtype=np.float64), axis=-1)


def mean_ci(
    samples: ArrayLike, level: float = 0.95, axis: int = 0
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Mean over ``axis`` and the half-width of its ``level`` confidence interval.

    Student-t interval: ``t_{(1+level)/2, n-1} * s / sqrt(n)`` with the sample
    standard deviation ``s`` (ddof 1). The half-width is NaN when ``n < 2``.
    Scalars come back for 1-D input.
    """
    x = np.asarray(samples, dtype=np.float64)
    if not 0 < level < 1:
        raise ValueError(f"mean_ci(): level must be in (0, 1), e.g. 0.95; got {level!r}")
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(
            f"mean_ci(): samples need at least one value along axis {axis}; got shape {x.shape}"
        )
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    if n < 2:
        half = np.full_like(mean, np.nan)
    else:
        from scipy import stats

        t = stats.t.ppf(0.5 + level / 2, n - 1)
        half = t * x.std(axis=axis, ddof=1) / np.sqrt(n)
    if np.ndim(mean) == 0:
        return float(mean), float(half)
    return mean, half
