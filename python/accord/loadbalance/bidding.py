"""The servers' bids in the load balancer's reverse auctions, steps 1-6.

For server i and a task of load L::

    ratio  = min(load_i / capacity_i, ratio_cap)     (ratio_cap = 1)      (1)
    bid    = sensitivity_i * ratio + L                                    (2)
    bid   *= 1 + risk_aversion_i * max(0, ratio - target_i)              (3)
    bid   *= (1 + lr, 1 - lr, 1)[action]        (DQN mode only)          (4)
    bid   += noise                                                        (5)
    bid    = min(bid * (1 + capacity_i / damping), max_bid)               (6)

Step 6 dampens large servers' bids (damping = 200) and clamp (max_bid = 1000).  Nothing
floors a bid at zero: with zero-load tasks and negative noise a bid can be negative,
and the reverse auction simply treats it as the cheapest offer.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import fail, real, real_array

__all__ = ["ACTIONS", "action_multipliers", "bid_scalar", "bids"]

#: The actions of the learning agents.
ACTIONS = ("increase", "decrease", "none")


def action_multipliers(learning_rate: float) -> np.ndarray:
    """(1 + lr, 1 - lr, 1): the factor each action applies (step 4); ``0 <= lr < 1``."""
    learning_rate = real(
        "action_multipliers", "learning_rate", learning_rate, 0.0, 1.0, False, True
    )
    return np.array([1.0 + learning_rate, 1.0 - learning_rate, 1.0])


#: The per-server arguments of :func:`bids` and :func:`bid_scalar`, in order.
_PER_SERVER = ("load", "capacity", "sensitivity", "risk_aversion", "target", "noise")


def bids(
    load,
    capacity,
    sensitivity,
    risk_aversion,
    target,
    task_load: float,
    noise,
    *,
    damping: float,
    max_bid: float,
    adjust=None,
    ratio_cap: float = 1.0,
) -> np.ndarray:
    """Every server's bid for one task, steps (1)-(6); ``adjust`` is the step-4 factor.

    The server arrays (``load``, ``capacity``, ``sensitivity``, ``risk_aversion``,
    ``target``, ``noise`` and ``adjust``) are numbers or arrays of one shape; every value
    must be finite, ``capacity > 0``, ``load``, ``task_load`` ``>= 0``."""
    func = "bids"
    load, capacity, sensitivity, risk_aversion, target, noise = (
        _server_array(func, name, x)
        for name, x in zip(
            _PER_SERVER, (load, capacity, sensitivity, risk_aversion, target, noise), strict=True
        )
    )
    if adjust is not None:
        adjust = _server_array(func, "adjust", adjust)
    _check_bid_settings(func, load, capacity, task_load, damping, max_bid, ratio_cap)
    try:
        np.broadcast_shapes(
            *(a.shape for a in (load, capacity, sensitivity, risk_aversion, target, noise)),
            *(() if adjust is None else (adjust.shape,)),
        )
    except ValueError:
        fail(
            func,
            "load, capacity, sensitivity, risk_aversion, target, noise and adjust must be "
            "numbers or arrays of one shape (one entry per server)",
        )
    ratio = np.minimum(load / capacity, ratio_cap)
    bid = sensitivity * ratio + task_load
    bid = bid * (1.0 + risk_aversion * np.maximum(0.0, ratio - target))
    if adjust is not None:
        bid = bid * adjust
    bid = bid + noise
    return np.minimum(bid * (1.0 + capacity / damping), max_bid)


def bid_scalar(
    load: float,
    capacity: float,
    sensitivity: float,
    risk_aversion: float,
    target: float,
    task_load: float,
    noise: float,
    *,
    damping: float,
    max_bid: float,
    adjust: float | None = None,
    ratio_cap: float = 1.0,
) -> float:
    """One server's bid with Python floats, for the per-task reference loop: the same operations
    in the same order as :func:`bids`, so both give identical numbers.  Every argument
    must be a finite real number, ``capacity > 0`` and ``load``, ``task_load >= 0``."""
    func = "bid_scalar"
    load, capacity, sensitivity, risk_aversion, target, noise = (
        real(func, name, x)
        for name, x in zip(
            _PER_SERVER, (load, capacity, sensitivity, risk_aversion, target, noise), strict=True
        )
    )
    if adjust is not None:
        adjust = real(func, "adjust", adjust)
    _check_bid_settings(func, load, capacity, task_load, damping, max_bid, ratio_cap)
    ratio = min(load / capacity, ratio_cap)
    bid = sensitivity * ratio + task_load
    bid = bid * (1.0 + risk_aversion * max(0.0, ratio - target))
    if adjust is not None:
        bid = bid * adjust
    bid = bid + noise
    return min(bid * (1.0 + capacity / damping), max_bid)


def _server_array(func: str, name: str, x) -> np.ndarray:
    """A finite real number or array of them, as float64."""
    if isinstance(x, (bool, np.bool_)):
        fail(func, f"{name} must be real numbers; got {x!r}", TypeError)
    a = real_array(func, name, x)
    if not np.isfinite(a).all():
        fail(func, f"{name} must be finite; got {a[~np.isfinite(a)].flat[0]}")
    return a


def _check_bid_settings(func: str, load, capacity, task_load, damping, max_bid, ratio_cap):
    """The common checks of :func:`bids` and :func:`bid_scalar`: loads ``>= 0``, capacities,
    ``damping`` and ``max_bid`` ``> 0``, ``ratio_cap`` a number ``> 0`` (inf: no cap)."""
    if np.any(np.less(load, 0.0)):
        fail(func, f"load must be >= 0; got {float(np.min(load))}")
    if np.any(np.less_equal(capacity, 0.0)):
        fail(
            func,
            f"capacity must be > 0 (a load ratio divides by it); got {float(np.min(capacity))}",
        )
    real(func, "task_load", task_load, 0.0)
    real(func, "damping", damping, 0.0, low_open=True)
    real(func, "max_bid", max_bid, 0.0, low_open=True)
    if not (isinstance(ratio_cap, (float, np.floating)) and ratio_cap == math.inf):
        real(func, "ratio_cap", ratio_cap, 0.0, low_open=True)  # inf: no cap
