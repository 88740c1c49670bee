"""What ``accord pbft bench`` runs: a sweep over cluster sizes and batch sizes.

The command line parses its options and calls :func:`bench`; the measurements
themselves are :mod:`accord.consensus.bench`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .._validate import choice
from . import bench as _bench

__all__ = ["BENCH_COLUMNS", "TRANSPORTS", "bench", "print_bench"]

TRANSPORTS = ("tcp", "sim")

#: The columns of the table :func:`bench` prints.
BENCH_COLUMNS = (
    "transport",
    "n",
    "batch",
    "clients",
    "ops",
    "ops_per_s",
    "p50_ms",
    "p99_ms",
    "latency_clock",
    "completed",
    "max_view",
)


def print_bench(rows: Sequence[dict[str, Any]], file: TextIO | None = None) -> None:
    """One line per run under a header of :data:`BENCH_COLUMNS` ("-" where absent)."""
    out = sys.stdout if file is None else file
    print(" ".join(f"{c:>13}" for c in BENCH_COLUMNS), file=out)
    for r in rows:
        print(
            " ".join(f"{'-' if r.get(c) is None else r.get(c)!s:>13}" for c in BENCH_COLUMNS),
            file=out,
        )


def _run_dir(base: str | Path | None, n: int, batch: int) -> Path | None:
    return None if base is None else Path(base) / f"n{n}-batch{batch}"


def _print_view_change(transport: str, n: int, batch: int, r: dict[str, Any], out: TextIO) -> None:
    vw, vv = r.get("view_change_wall_s"), r.get("view_change_virtual_s")
    print(
        f"{transport} n={n} batch={batch}: primary killed -> first request "
        f"completed in view {r.get('new_view')} after "
        f"{'-' if vw is None else f'{vw:.3f}'} s wall"
        + ("" if transport == "tcp" else f", {'-' if vv is None else f'{vv:.3f}'} s virtual")
        + f" (client_timeout {r['client_timeout']} s, view_change_timeout "
        f"{r['view_change_timeout']} s)",
        file=out,
        flush=True,
    )


def bench(
    n: Sequence[int] = (4,),
    batch: Sequence[int] = (100,),
    *,
    transport: str = "tcp",
    ops: str = "null",
    seconds: float = 5.0,
    clients: int | None = None,
    procs: int = 2,
    storage: str = "sqlite",
    seed: int = 0,
    directory: str | Path | None = None,
    view_change: bool = False,
    json_lines: bool = False,
    file: TextIO | None = None,
    **protocol: Any,
) -> list[dict[str, Any]]:
    """Measure every ``n`` x ``batch`` and print the results; return one dict per run.

    ``transport`` is ``"tcp"`` (a local cluster of replica processes; ``directory``
    keeps keys, data and logs under ``DIR/n{n}-batch{b}``, default a temporary one) or
    ``"sim"`` (the simulated network, ``seed``). ``clients`` defaults to 256 (tcp), 64
    (sim) or 16 (view change). ``view_change`` measures the time from killing the
    primary to the first commit in the new view and prints one line per run;
    otherwise a table of throughput and latency is printed at the end, unless
    ``json_lines`` prints one JSON object per run as it finishes. ``protocol`` are
    :class:`~accord.consensus.config.ProtocolConfig` fields.
    """
    choice("bench", "transport", transport, TRANSPORTS)
    out = sys.stdout if file is None else file
    rows = []
    for size in n:
        for b in batch:
            if view_change:
                if transport == "tcp":
                    r = _bench.view_change_tcp(
                        n=size,
                        batch=b,
                        clients=clients or 16,
                        ops=ops,
                        storage=storage,
                        workdir=_run_dir(directory, size, b),
                        **protocol,
                    )
                else:
                    r = _bench.view_change_sim(
                        n=size, batch=b, clients=clients or 16, ops=ops, seed=seed, **protocol
                    )
                _print_view_change(transport, size, b, r, out)
            elif transport == "tcp":
                r = _bench.bench_tcp(
                    n=size,
                    batch=b,
                    seconds=seconds,
                    clients=clients or 256,
                    ops=ops,
                    procs=procs,
                    storage=storage,
                    workdir=_run_dir(directory, size, b),
                    **protocol,
                )
            else:
                r = _bench.bench_sim(
                    n=size,
                    batch=b,
                    seconds=seconds,
                    clients=clients or 64,
                    ops=ops,
                    seed=seed,
                    **protocol,
                )
            rows.append(r)
            if json_lines:
                print(json.dumps(r), file=out, flush=True)
    if not view_change and not json_lines:
        print_bench(rows, out)
    return rows
