"""The load-balancing simulation as an experiment: the ``loadbalance`` kind.

One run = one :func:`~accord.loadbalance.simulate.simulate` call.  Every field of
:class:`~accord.loadbalance.model.LoadBalanceConfig` is a parameter (TOML
``[settings]`` / ``[grid]``; see ``examples/loadbalance-*.toml``), plus ``tail``: the
fraction of final rounds the summary averages over (default 0.5).

A run returns the summary scalars (welfare, fairness, reserve, mean load ratio, split
and above-reserve rates, rounds per second) and, per round, ``welfare``,
``fairness`` and ``reserve``.

``ledger`` is ``true`` (or ``"local"``: a hash chain in the run's process), ``false``
(or ``"none"``) or ``"replicated"``: every round's record is replicated through the
coordination service (:mod:`accord.service.stream_sink`) and the stream is sealed with
a quorum certificate; the run then also returns ``ledger_entries`` and ``ledger_head``
(the certified head, equal to a local ledger's for the same seed), after reading the
records back and checking them against the auction log and that head.  With
``"replicated"``:

* ``ledger_service = "PATH"``: the ``service.toml`` of a running cluster (``accord
  service init`` / ``serve``; a relative path is taken from the working directory),
  reached over TCP; without it, a simulated cluster in the run's process, no sockets;
* ``ledger_replicas``: replicas of the simulated cluster (default 4, ``3f + 1``);
* ``ledger_batch``: records per request at most (default 64).

These are checked in every cell and used only by the replicated ones.

Use the strings in a grid (``ledger = ["local", "replicated"]``): a column holds one type.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, NoReturn

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
#: ``ledger`` values besides true and false.
LEDGER_CHOICES = ("local", "none", "replicated")
_LEDGER_OPTIONS = ("ledger_service", "ledger_replicas", "ledger_batch")


def _fail(message: str) -> NoReturn:
    raise ValueError(f"loadbalance experiment: {message}")


def _count(options: dict, name: str, default: int, low: int, high: int) -> int:
    v = options.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        _fail(f"{name} must be an integer in {low} .. {high}; got {v!r}")
    return v


def _replicated(options: dict) -> dict:
    """The checked settings of a replicated ledger; a service file is read (not
    connected to), so a wrong path fails before any run."""
    from ..service.streams import MAX_BATCH

    spec: dict = {"batch": _count(options, "ledger_batch", 64, 1, MAX_BATCH)}
    path = options.get("ledger_service")
    if path is None:
        spec["replicas"] = _count(options, "ledger_replicas", 4, 1, 1000)
        return spec
    if "ledger_replicas" in options:
        _fail("ledger_replicas is for the simulated cluster; ledger_service's file sets n")
    if not isinstance(path, str) or not path:
        _fail(f"ledger_service must be the path of a service.toml; got {path!r}")
    from ..service.deploy import load_service

    try:
        load_service(path)
    except (OSError, ValueError) as exc:
        _fail(f"ledger_service {path!r}: {exc}")
    spec["service"] = path
    return spec


def _config(params: dict) -> tuple[LoadBalanceConfig, float, dict | None]:
    p = dict(params)
    tail = p.pop("tail", 0.5)
    if isinstance(tail, bool) or not isinstance(tail, (int, float)) or not 0 < tail <= 1:
        _fail(f"tail must be a number in (0, 1]; got {tail!r}")
    options = {k: p.pop(k) for k in _LEDGER_OPTIONS if k in p}
    ledger = p.get("ledger", True)
    if isinstance(ledger, str):
        if ledger not in LEDGER_CHOICES:
            _fail(f"ledger must be true, false, 'local', 'none' or 'replicated'; got {ledger!r}")
        p["ledger"] = ledger != "none"
    spec = _replicated(options) if ledger == "replicated" or options else None
    if ledger != "replicated":
        spec = None  # checked all the same: a grid shares them with its local cells
    try:
        return LoadBalanceConfig.from_dict(p), float(tail), spec
    except (TypeError, ValueError) as exc:
        raise ValueError(f"loadbalance experiment: {exc}") from None


def validate(params: dict) -> None:
    """Reject unknown keys and bad values before any run starts."""
    _config(params)


def _sink(spec: dict, seed: int) -> Any:
    from ..service.stream_sink import ServiceLedgerSink, SimLedgerSink

    if "service" in spec:
        return ServiceLedgerSink(spec["service"], batch=spec["batch"])
    return SimLedgerSink(spec["replicas"], batch=spec["batch"], seed=seed)


def run(params: dict, seed: int) -> dict:
    """One simulation; summary scalars and per-round series for the result store."""
    config, tail, spec = _config(params)
    seed = int(seed) % 2**63
    out: dict = {}
    if spec is None:
        res = simulate(config, seed=seed)
    else:
        sink = _sink(spec, seed)
        try:
            res = simulate(config, seed=seed, ledger=sink)
            check = res.verify_ledger()  # read back; against the certified head
        finally:
            disconnect = getattr(sink, "disconnect", None)
            if disconnect is not None:
                disconnect()
        out["ledger_entries"] = check.entries
        out["ledger_head"] = check.head.hex()
    out.update(res.summary(tail))
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
