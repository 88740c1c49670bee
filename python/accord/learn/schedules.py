"""Exploration-rate schedules: plain functions of the step count, to assign to a learner's
``epsilon`` (e.g. ``agent.epsilon = linear_decay(t, 1.0, 0.1, 10_000)``).

* :func:`linear_decay` -- the annealing of Mnih et al. (2015), Methods (epsilon from 1
  to 0.1 over the first million frames, then fixed);
* :func:`exponential_decay` -- ``end + (start - end) * rate**step``.
"""

from __future__ import annotations

import numpy as np

from ._common import integer, real

__all__ = ["exponential_decay", "linear_decay"]


def _step(func: str, step) -> int:
    return integer(func, "step", step, minimum=0)


def linear_decay(step: int, start: float = 1.0, end: float = 0.1, steps: int = 10_000) -> float:
    """Linear decay: ``start`` moving linearly to ``end`` over ``steps`` steps, then ``end``."""
    step = _step("linear_decay", step)
    start = real("linear_decay", "start", start)
    end = real("linear_decay", "end", end)
    steps = integer("linear_decay", "steps", steps, minimum=1)
    frac = min(step / steps, 1.0)
    return start + frac * (end - start)


def exponential_decay(
    step: int, start: float = 1.0, end: float = 0.01, rate: float = 0.999
) -> float:
    """Exponential decay from ``start`` towards ``end``: ``end + (start - end) * rate**step``,
    with ``rate`` in (0, 1]."""
    step = _step("exponential_decay", step)
    start = real("exponential_decay", "start", start)
    end = real("exponential_decay", "end", end)
    rate = real("exponential_decay", "rate", rate, 0.0, 1.0, low_open=True)
    return float(end + (start - end) * np.power(rate, step))
