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

import numpy as np

__all__ = ["ACTIONS", "action_multipliers", "bid_scalar", "bids"]

#: The actions of the learning agents.
ACTIONS = ("increase", "decrease", "none")


def action_multipliers(learning_rate: float) -> np.ndarray:
    """(1 + lr, 1 - lr, 1): the factor each action applies (step 4)."""
    return np.array([1.0 + learning_rate, 1.0 - learning_rate, 1.0])


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
    """Every server's bid for one task, steps (1)-(6); ``adjust`` is the step-4 factor."""
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
    in the same order as :func:`bids`, so both give identical numbers."""
    ratio = min(load / capacity, ratio_cap)
    bid = sensitivity * ratio + task_load
    bid = bid * (1.0 + risk_aversion * max(0.0, ratio - target))
    if adjust is not None:
        bid = bid * adjust
    bid = bid + noise
    return min(bid * (1.0 + capacity / damping), max_bid)
