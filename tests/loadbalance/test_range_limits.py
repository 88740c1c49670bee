"""Range settings whose loads would overflow float64 in the simulation are refused."""

from __future__ import annotations

import numpy as np
import pytest

from accord.loadbalance import LoadBalanceConfig, simulate


@pytest.mark.parametrize("field", ["capacity", "task_load"])
def test_huge_range_is_refused_naming_the_field(field):
    with pytest.raises(
        ValueError, match=rf"LoadBalanceConfig\(\): {field}\[1\] must be <= .*rescale"
    ):
        LoadBalanceConfig(n_servers=3, rounds=3, **{field: (1.0, 1e300)})


def test_largest_allowed_ranges_give_finite_metrics():
    cfg = LoadBalanceConfig(
        n_servers=3, rounds=3, capacity=(1e100, 1e100), task_load=(1e100, 1e100)
    )
    res = simulate(cfg, seed=1)
    assert np.isfinite(res.fairness).all()
