"""The load-balancing simulation as an experiment: the ``loadbalance`` kind.

One run = one :func:`~accord.loadbalance.simulate.simulate` call.  Every field of
:class:`~accord.loadbalance.model.LoadBalanceConfig` is a parameter (TOML
``[settings]`` / ``[grid]``; see ``examples/loadbalance-*.toml``), plus ``tail``: the
fraction of final rounds the summary averages over (default 0.5).

A run returns the summary scalars (welfare, fairness, reserve, mean load ratio, split
and above-reserve rates, rounds per second) and, per round, ``welfare``,
``fairness`` and ``reserve``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..loadbalance.model import LoadBalanceConfig
from ..loadbalance.simulate import simulate
from ..runner import line_plot, mean_ci, param_columns, print_table

__all__ = ["report", "run", "summary", "validate"]

SCALARS = (
    "welfare",
    "fairness",
    "reserve",
    "mean_load_ratio",
    "split_rate",
    "above_rate",
    "rounds_per_second",
)
SERIES = ("welfare", "fairness", "reserve")
_EXTRA = ("tail",)


def _config(params: dict) -> tuple[LoadBalanceConfig, float]:
    p = dict(params)
    tail = p.pop("tail", 0.5)
    if isinstance(tail, bool) or not isinstance(tail, (int, float)) or not 0 < tail <= 1:
        raise ValueError(f"loadbalance experiment: tail must be a number in (0, 1]; got {tail!r}")
    try:
        return LoadBalanceConfig.from_dict(p), float(tail)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"loadbalance experiment: {exc}") from None


def validate(params: dict) -> None:
    """Reject unknown keys and bad values before any run starts."""
    _config(params)


def run(params: dict, seed: int) -> dict:
    """One simulation; summary scalars and per-round series for the result store."""
    config, tail = _config(params)
    res = simulate(config, seed=int(seed) % 2**63)
    out: dict = dict(res.summary(tail))
    out.pop("auctions")
    out["auctions"] = int(res.tasks.sum())
    out["series_welfare"] = res.welfare
    out["series_fairness"] = res.fairness
    out["series_reserve"] = res.reserve
    return out


def _groups(table: pa.Table) -> tuple[list[str], dict[tuple, list[int]]]:
    params = [c for c in param_columns(table)]
    cols = {c: table.column(c).to_pylist() for c in params}
    varying = [c for c in params if len({repr(v) for v in cols[c]}) > 1]
    if "mode" in params and "mode" not in varying:
        varying.insert(0, "mode")
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i in range(table.num_rows):
        groups[
            tuple(repr(cols[c][i]) if isinstance(cols[c][i], list) else cols[c][i] for c in varying)
        ].append(i)
    return varying, groups


def summary(table: pa.Table) -> None:
    """Print mean and 95% half-width over seeds of each summary scalar, per cell."""
    missing = [c for c in SCALARS if c not in table.column_names]
    if missing:
        raise ValueError(
            f"summary(): the table lacks {missing}; pass the table of a "
            "loadbalance experiment store (accord.runner.load(RESULTS))"
        )
    varying, groups = _groups(table)
    values = {c: np.asarray(table.column(c).to_pylist(), dtype=np.float64) for c in SCALARS}
    rows = []
    for key, idx in groups.items():
        row = list(key) + [len(idx)]
        for c in SCALARS:
            m, h = mean_ci(values[c][idx])
            row.append(f"{m:.4g}" + ("" if np.isnan(h) else f" ± {h:.2g}"))
        rows.append(row)
    print_table(
        varying + ["runs"] + list(SCALARS),
        rows,
        title="load balancing: mean ± 95% CI over runs (welfare and fairness over the "
        "final rounds; fairness = std of loads, lower is fairer)",
    )


def report(table: pa.Table, out_dir: Path) -> None:
    """The summary table, and welfare / fairness / reserve over rounds per cell (PNG)."""
    summary(table)
    varying, groups = _groups(table)
    for name in SERIES:
        col = f"series_{name}"
        if col not in table.column_names:
            continue
        series = table.column(col).to_pylist()
        lines = {}
        for key, idx in groups.items():
            arr = [np.asarray(series[i], dtype=np.float64) for i in idx if series[i] is not None]
            if not arr or len({a.shape for a in arr}) != 1:
                continue
            m, h = mean_ci(np.stack(arr), axis=0)
            label = ", ".join(f"{c}={v}" for c, v in zip(varying, key, strict=True))
            lines[label or "all"] = (np.asarray(m), np.asarray(h))
        if lines:
            x = np.arange(len(next(iter(lines.values()))[0]))
            path = line_plot(
                Path(out_dir) / f"{name}.png",
                x,
                lines,
                title=f"{name} per round",
                xlabel="round",
                ylabel=name,
            )
            print(f"wrote {path}")
