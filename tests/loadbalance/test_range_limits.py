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


def test_numpy_scalars_are_accepted_and_stored_as_python_numbers():
    import json

    cfg = LoadBalanceConfig(
        n_servers=np.int64(3),
        rounds=np.int32(3),
        damping=np.float32(0.5),
        capacity=(np.float32(50.0), np.float64(100.0)),
        ledger=np.bool_(False),
    )
    assert cfg.ledger is False and type(cfg.n_servers) is int and type(cfg.damping) is float
    json.dumps(cfg.to_dict())
    assert LoadBalanceConfig.from_dict(cfg.to_dict()) == cfg
