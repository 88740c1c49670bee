"""Choose a PBFT cluster's batch size, pipeline depth and client timeout by measuring them.

Batching amortises the three-phase protocol over many requests, and the pipeline bounds
the sequence numbers the primary keeps in flight (Castro & Liskov (2002)); the client
retransmits to every replica when no result arrives within ``client_timeout`` (Castro &
Liskov (1999), Sec. 4.1).  :func:`tune` runs the throughput benchmark of
:mod:`accord.consensus.bench` (``bench_tcp`` or ``bench_sim``) ``repeats`` times per
setting, by default as a coordinate sweep of ``B + P + T`` measurements rather than the
``B x P x T`` of the full grid (``grid=True``):

1. every batch size at the default pipeline depth and client timeout (8 and 0.5 s, or
   the listed values closest to them);
2. every pipeline depth at the batch size chosen in step 1;
3. every client timeout at the batch size and pipeline depth chosen in step 2.

Within a step the repeats are interleaved (every setting once, then every setting again),
and the setting carried over from the step before is measured again, so that a step
compares runs made at the same time: on a shared machine the load of other processes
drifts over minutes, and a carried-over setting's runs from both steps record that drift
in its spread.

Each step chooses with :func:`recommend`, and the final recommendation is
:func:`recommend` over *every* measured point.  A point qualifies when requests
completed, no view change happened during the run, its p99 latency is at most
``max_p99_ms`` and its client timeout is at least ``timeout_margin`` times that p99 (a
timeout near the latency fires on ordinary slow requests: each firing multicasts the
request to every replica and starts the backups' view-change timers).  The qualifying
point with the highest mean throughput is the best; the points within the run-to-run
noise of it (the median over settings of (max - min) / mean of the repeats' throughput)
are near-ties, and among those the smallest batch, then pipeline, then client timeout is
recommended: smaller batches and shallower pipelines wait less to fill and hold fewer
requests in flight, and a shorter client timeout notices a silent primary sooner.

``view_change_timeout`` is not swept.  It does not set throughput: in a fault-free run
it fires only when a request waits that long, which shows as a view change during the
run (``max_view > 0``) and disqualifies the point.  What it does set is the recovery
time after a primary fails (about ``client_timeout + view_change_timeout``), which
``accord pbft bench --view-change`` measures.
"""

from __future__ import annotations

import inspect
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .._validate import choice, fail, flag, integer
from . import bench as _bench
from .cluster_config import CLUSTER_FILE, load_cluster, parse_cluster
from .config import ProtocolConfig

__all__ = [
    "DEFAULT_BATCHES",
    "DEFAULT_CLIENT_TIMEOUTS",
    "DEFAULT_PIPELINES",
    "Point",
    "Recommendation",
    "Setting",
    "TuneResult",
    "cluster_protocol",
    "estimate_seconds",
    "recommend",
    "run_noise",
    "tune",
    "write_protocol_fields",
]

DEFAULT_BATCHES = (1, 16, 64, 256)
DEFAULT_PIPELINES = (1, 4, 8, 16)
DEFAULT_CLIENT_TIMEOUTS = (0.25, 0.5, 1.0)
TRANSPORTS = ("tcp", "sim")
#: The ProtocolConfig fields that :func:`tune` sweeps.
SWEPT = ("batch_size", "pipeline", "client_timeout")
#: Seconds a run takes beyond its measurement window and warm-up (start-up and shutdown
#: of the replica and load processes for tcp), for the estimate stated before a sweep.
_OVERHEAD_S = {"tcp": 3.0, "sim": 0.1}
#: Replica processes a tcp sweep may start on this one machine.
MAX_TCP_N = 64
_BENCH: dict[str, Callable[..., dict[str, Any]]] = {
    "tcp": _bench.bench_tcp,
    "sim": _bench.bench_sim,
}
#: The benchmarks' parameters: the options they take and their default warm-ups.
_PARAMS = {name: inspect.signature(fn).parameters for name, fn in _BENCH.items()}
_PROTOCOL_FIELDS = tuple(f.name for f in fields(ProtocolConfig))


@dataclass(frozen=True, order=True)
class Setting:
    """One point of the sweep; ordered from the smallest (lowest-latency) setting."""

    batch_size: int
    pipeline: int
    client_timeout: float

    def label(self, only: Iterable[str] = SWEPT) -> str:
        """``"batch_size=64, pipeline=8, client_timeout=0.5"`` (the fields ``only``)."""
        return ", ".join(f"{name}={getattr(self, name):g}" for name in only)

    def differs(self, other: Setting) -> str:
        """The fields of ``other`` that differ from this setting, as :meth:`label`."""
        return other.label([n for n in SWEPT if getattr(self, n) != getattr(other, n)])

    def protocol_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SWEPT}


@dataclass(frozen=True)
class Point:
    """What the benchmark measured at one setting, over its repeats.

    ``ops_per_s_runs`` has one throughput per repeat; ``p50_ms`` is the median and
    ``p99_ms`` the largest of the repeats' percentiles; the counters are the largest of
    the repeats' (``None`` where the benchmark does not report them).
    """

    setting: Setting
    ops_per_s_runs: tuple[float, ...]
    p50_ms: float | None
    p99_ms: float | None
    max_view: int = 0
    timed_out: bool = False
    rejected: int | None = None
    dropped: int | None = None
    retransmissions: int | None = None
    error: str | None = None
    stage: str = ""
    runs: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, repr=False)

    @property
    def ops_per_s(self) -> float | None:
        """Mean throughput over the repeats."""
        return statistics.fmean(self.ops_per_s_runs) if self.ops_per_s_runs else None

    @property
    def spread(self) -> float | None:
        """(max - min) / mean of the repeats' throughput; None with fewer than 2."""
        mean = self.ops_per_s
        if len(self.ops_per_s_runs) < 2 or not mean:
            return None
        return (max(self.ops_per_s_runs) - min(self.ops_per_s_runs)) / mean

    @classmethod
    def from_runs(
        cls, setting: Setting, runs: Sequence[Mapping[str, Any]], stage: str = ""
    ) -> Point:
        """Summarise benchmark results (dicts of ``bench_tcp``/``bench_sim``; a run that
        failed is ``{"error": message}``)."""
        errors = [r["error"] for r in runs if "error" in r]
        ok = [r for r in runs if "error" not in r]
        p50: list[float] = [r["p50_ms"] for r in ok if r.get("p50_ms") is not None]
        p99: list[float] = [r["p99_ms"] for r in ok if r.get("p99_ms") is not None]
        timed = bool(ok) and len(p99) == len(ok) and len(p50) == len(ok)

        def most(key: str) -> int | None:
            vals = [r[key] for r in ok if r.get(key) is not None]
            return max(vals) if vals else None

        retrans = most("retransmissions")
        return cls(
            setting=setting,
            ops_per_s_runs=tuple(float(r["ops_per_s"]) for r in ok),
            p50_ms=statistics.median(p50) if timed else None,
            p99_ms=max(p99) if timed else None,
            max_view=most("max_view") or 0,
            timed_out=any(r.get("timed_out") for r in ok),
            rejected=most("rejected"),
            dropped=most("dropped"),
            retransmissions=most("retransmit_timeouts") if retrans is None else retrans,
            error=errors[0] if errors else None,
            stage=stage,
            runs=tuple(runs),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.setting.protocol_fields(),
            "stage": self.stage,
            "ops_per_s": None if self.ops_per_s is None else round(self.ops_per_s, 1),
            "ops_per_s_runs": list(self.ops_per_s_runs),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "max_view": self.max_view,
            "timed_out": self.timed_out,
            "rejected": self.rejected,
            "dropped": self.dropped,
            "retransmissions": self.retransmissions,
            "error": self.error,
            "runs": [dict(r) for r in self.runs],
        }


def run_noise(points: Iterable[Point]) -> float | None:
    """Run-to-run noise of throughput: the median over the points with at least two
    repeats of (max - min) / mean; None when no point was repeated."""
    spreads = [s for s in (p.spread for p in points) if s is not None]
    return statistics.median(spreads) if spreads else None


def _reason(point: Point, max_p99_ms: float | None, timeout_margin: float) -> str | None:
    """Why ``point`` cannot be recommended; None when it can."""
    if point.error is not None:
        return "run failed"
    if not point.ops_per_s or point.p99_ms is None:
        return "no requests completed"
    if point.timed_out:
        return "requests unanswered 30 s after the window"
    if point.max_view > 0:
        return "view change during the run (raise view_change_timeout)"
    if max_p99_ms is not None and point.p99_ms > max_p99_ms:
        return f"p99 over {max_p99_ms:g} ms"
    if point.setting.client_timeout * 1000 < timeout_margin * point.p99_ms:
        return f"client_timeout under {timeout_margin:g} x p99"
    return None


@dataclass(frozen=True)
class Recommendation:
    """The recommended point (None when no point qualifies), with how it was chosen."""

    point: Point | None
    best: Point | None  #: the qualifying point with the highest throughput
    near_ties: tuple[Point, ...]  #: qualifying points within the noise of ``best``
    excluded: Mapping[Setting, str]  #: why each other point does not qualify
    noise: float | None
    max_p99_ms: float | None
    timeout_margin: float
    measured: int
    message: str

    @property
    def setting(self) -> Setting | None:
        return None if self.point is None else self.point.setting

    def protocol_fields(self) -> dict[str, Any]:
        """The recommended ``[protocol]`` fields; ValueError when nothing qualifies."""
        if self.point is None:
            raise ValueError(self.message)
        return self.point.setting.protocol_fields()


def _ops(x: float) -> str:
    return f"{x:,.0f} ops/s"


def _ms(x: float) -> str:
    return f"{x:.3g} ms" if x < 100 else f"{x:,.0f} ms"


def recommend(
    points: Sequence[Point],
    *,
    max_p99_ms: float | None = None,
    timeout_margin: float = 2.0,
    noise: float | None = None,
) -> Recommendation:
    """The best qualifying point of ``points``, near-ties going to the smaller setting
    (the rules are in the module docstring).  ``noise`` (a fraction of throughput)
    defaults to :func:`run_noise` of ``points``."""
    if noise is None:
        noise = run_noise(points)
    reasons = {p.setting: _reason(p, max_p99_ms, timeout_margin) for p in points}
    ok = [p for p in points if reasons[p.setting] is None]
    excluded = {s: r for s, r in reasons.items() if r is not None}
    k = len(points)
    if not ok:
        return Recommendation(
            None, None, (), excluded, noise, max_p99_ms, timeout_margin, k,
            _nothing_qualifies(points, excluded, max_p99_ms, timeout_margin),
        )  # fmt: skip
    best = max(ok, key=lambda p: (_rate(p), [-x for x in _key(p)]))
    floor = _rate(best) * (1 - (noise or 0.0))
    ties = tuple(sorted((p for p in ok if _rate(p) >= floor), key=_key))
    chosen = ties[0]
    noted = "not measured (one repeat)" if noise is None else f"{noise:.0%}"
    why = f"best of {k} setting{'s' if k != 1 else ''}"
    if chosen is not best:
        why += f"; within noise of {chosen.setting.differs(best.setting)} at {_ops(_rate(best))}"
    message = (
        f"{chosen.setting.label()}: {_ops(_rate(chosen))}, "
        f"p99 {_ms(chosen.p99_ms or 0.0)} ({why}; run-to-run noise {noted})"
    )
    return Recommendation(
        chosen, best, ties, excluded, noise, max_p99_ms, timeout_margin, k, message
    )


def _rate(p: Point) -> float:
    return p.ops_per_s or 0.0


def _key(p: Point) -> tuple[int, int, float]:
    s = p.setting
    return (s.batch_size, s.pipeline, s.client_timeout)


def _nothing_qualifies(
    points: Sequence[Point],
    excluded: Mapping[Setting, str],
    max_p99_ms: float | None,
    timeout_margin: float,
) -> str:
    if not points:
        return "no setting was measured"
    counts = Counter(excluded.values())
    why = "; ".join(f"{r}: {c}" for r, c in counts.most_common())
    text = f"no setting qualifies among the {len(points)} measured ({why})"
    timed = [(p.p99_ms, _key(p), p) for p in points if p.p99_ms is not None and not p.error]
    need = []
    if timed:
        low, _, at = min(timed, key=lambda x: x[:2])
        text += f"; the lowest p99 was {_ms(low)} at {at.setting.label()}"
        if max_p99_ms is not None and low > max_p99_ms:
            need.append(f"a max_p99_ms of at least {math.ceil(low):d}")
        if any(r.startswith("client_timeout under") for r in excluded.values()):
            need.append(
                f"client timeouts of at least {timeout_margin * low / 1000:.2g} s "
                "(or a smaller timeout_margin)"
            )
    if any(r.startswith("view change") for r in excluded.values()):
        need.append("a longer view_change_timeout")
    if need:
        text += "; try " + " and ".join(need)
    errors = [p.error for p in points if p.error]
    if errors:
        text += f"; first error: {errors[0]}"
    return text


# ---------------------------------------------------------------- the sweep
@dataclass(frozen=True)
class TuneResult:
    """Every measured point and the recommendation (see :func:`tune`)."""

    n: int
    transport: str
    seconds: float
    repeats: int
    grid: bool
    points: tuple[Point, ...]
    recommendation: Recommendation
    estimated_s: float
    elapsed_s: float
    options: Mapping[str, Any] = field(default_factory=dict)

    def table(self) -> str:
        """A header line, one line per measured point, and the recommendation."""
        rec = self.recommendation
        clock = "virtual" if self.transport == "sim" else "wall-clock"
        bound = "none" if rec.max_p99_ms is None else f"{rec.max_p99_ms:g} ms"
        cols = ["stage", "batch", "pipeline", "timeout_s", "ops/s", "range", "p50_ms"]
        cols += ["p99_ms", "view", "rejected", "dropped", "retrans"]
        width = [8, 6, 8, 9, 8, 15, 7, 7, 4, 8, 7, 7]

        def line(cells: list[str], note: str) -> str:
            return " ".join(f"{c:>{w}}" for c, w in zip(cells, width, strict=True)) + f"  {note}"

        lines = [
            f"n={self.n}, {self.transport}, {self.seconds:g} s x {self.repeats} repeat(s) per "
            f"setting, {len(self.points)} settings in {self.elapsed_s:.0f} s; latency "
            f"{clock}; p99 bound {bound}; client_timeout >= {rec.timeout_margin:g} x p99",
            line(cols, "note"),
        ]
        ties = {p.setting for p in rec.near_ties}

        def cell(v: Any) -> str:
            if v is None:
                return "-"
            if isinstance(v, str):
                return v
            return f"{v:,.0f}" if isinstance(v, float) and v >= 100 else f"{v:.4g}"

        for p in self.points:
            s = p.setting
            runs = p.ops_per_s_runs
            rng = f"{min(runs):,.0f}-{max(runs):,.0f}" if len(runs) > 1 else "-"
            if s == rec.setting:
                note = "recommended"
            elif rec.best is not None and s == rec.best.setting:
                note = "best throughput"
            elif s in ties:
                note = "near tie"
            else:
                note = rec.excluded.get(s, "")
            row = [p.stage, s.batch_size, s.pipeline, s.client_timeout, p.ops_per_s, rng]
            row += [p.p50_ms, p.p99_ms, p.max_view, p.rejected, p.dropped, p.retransmissions]
            lines.append(line([cell(v) for v in row], note))
        lines.append(("recommended: " if rec.point else "") + rec.message)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        rec = self.recommendation
        return {
            "n": self.n,
            "transport": self.transport,
            "seconds": self.seconds,
            "repeats": self.repeats,
            "grid": self.grid,
            "options": dict(self.options),
            "estimated_s": round(self.estimated_s, 1),
            "elapsed_s": round(self.elapsed_s, 1),
            "max_p99_ms": rec.max_p99_ms,
            "timeout_margin": rec.timeout_margin,
            "noise": None if rec.noise is None else round(rec.noise, 4),
            "points": [p.to_dict() for p in self.points],
            "recommended": None if rec.setting is None else rec.setting.protocol_fields(),
            "near_ties": [p.setting.protocol_fields() for p in rec.near_ties],
            "excluded": [{**s.protocol_fields(), "reason": r} for s, r in rec.excluded.items()],
            "recommendation": rec.message,
        }


def _whole_values(name: str, values: Any) -> tuple[int, ...]:
    seq = _sequence(name, values)
    out = tuple(integer("tune", f"{name}[{i}]", v, minimum=1) for i, v in enumerate(seq))
    return _distinct(name, out)


def _timeout_values(name: str, values: Any) -> tuple[float, ...]:
    seq = _sequence(name, values)
    return _distinct(name, tuple(_positive(f"{name}[{i}]", v) for i, v in enumerate(seq)))


def _sequence(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        fail("tune", f"{name} must be a sequence of values, e.g. (1, 16, 64); got {values!r}")
    seq = list(values)
    if not seq:
        fail("tune", f"{name} must list at least one value")
    return seq


def _distinct(name: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    dup = [v for v, c in Counter(values).items() if c > 1]
    if dup:
        fail("tune", f"{name} lists {dup[0]:g} more than once; give each value once")
    return tuple(sorted(values))


def _positive(name: str, value: Any, zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = ">= 0" if zero else "> 0"
        fail("tune", f"{name} must be a finite number {least}; got {value!r}")
    return float(value)


def _nearest(values: tuple[Any, ...], target: float) -> Any:
    return min(values, key=lambda v: (abs(v - target), v))


def _bench_options(transport: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Check the options passed through to the benchmark (and its ProtocolConfig)."""
    params = set(_PARAMS[transport])
    allowed = (params | set(_PROTOCOL_FIELDS)) - {"n", "batch", "seconds", "protocol", "workdir"}
    allowed -= set(SWEPT)
    for key in options:
        if key in SWEPT or key in ("batch", "n", "seconds"):
            plural = {"batch_size": "batches", "batch": "batches", "pipeline": "pipelines"}
            arg = plural.get(key, "client_timeouts" if key == "client_timeout" else key)
            fail("tune", f"{key} is an argument of tune() itself; pass {arg}=... instead")
        if key not in allowed:
            fail(
                "tune",
                f"unknown option {key!r} for the {transport} benchmark; allowed: "
                f"{', '.join(sorted(allowed))}",
            )
    if "ops" in options:
        choice("tune", "ops", options["ops"], _bench.OPS)
    for key in ("clients", "procs"):
        if key in options:
            integer("tune", key, options[key], minimum=1)
    if transport == "tcp" and options.get("clients", 256) < options.get("procs", 2):
        fail("tune", "clients must be at least procs (one load process per client at most)")
    if "warmup" in options:
        _positive("warmup", options["warmup"], zero=True)
    return dict(options)


def estimate_seconds(
    settings: int, seconds: float, repeats: int, transport: str = "tcp", warmup: float | None = None
) -> float:
    """About how long ``settings`` x ``repeats`` benchmark runs of ``seconds`` take."""
    if warmup is None:
        warmup = _PARAMS[transport]["warmup"].default
    return settings * repeats * (seconds + float(warmup) + _OVERHEAD_S[transport])


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def tune(
    n: int = 4,
    *,
    batches: Sequence[int] = DEFAULT_BATCHES,
    pipelines: Sequence[int] = DEFAULT_PIPELINES,
    client_timeouts: Sequence[float] = DEFAULT_CLIENT_TIMEOUTS,
    seconds: float = 2.0,
    transport: str = "tcp",
    repeats: int = 2,
    max_p99_ms: float | None = 200.0,
    timeout_margin: float = 2.0,
    grid: bool = False,
    max_total_s: float = 1800.0,
    progress: Callable[[str], None] | None = None,
    **bench_options: Any,
) -> TuneResult:
    """Measure batch sizes, pipeline depths and client timeouts of an ``n``-replica
    cluster and recommend one setting (the sweep and the rules are in the module
    docstring).

    Each setting runs ``repeats`` benchmarks of ``seconds`` on ``transport``
    (``"tcp"``: a local cluster of replica processes, wall-clock latency; ``"sim"``:
    the simulated network, virtual latency); ``bench_options`` go to the benchmark
    (``clients``, ``ops``, ``procs``, ``storage``, ``warmup``, ``seed``) and to
    :class:`~accord.consensus.config.ProtocolConfig` (``auth``, ``view_change_timeout``,
    ...).  ``max_total_s`` refuses a sweep estimated to run longer, before any run
    starts; ``progress`` receives the estimate and a line per measured setting.
    """
    n = integer("tune", "n", n, minimum=1)
    choice("tune", "transport", transport, TRANSPORTS)
    if transport == "tcp" and n > MAX_TCP_N:
        fail(
            "tune",
            f"n={n} would start {n} replica processes on this machine; the tcp sweep takes "
            f"n <= {MAX_TCP_N} (use transport='sim' for larger clusters)",
        )
    b_vals = _whole_values("batches", batches)
    p_vals = _whole_values("pipelines", pipelines)
    t_vals = _timeout_values("client_timeouts", client_timeouts)
    seconds = _positive("seconds", seconds)
    repeats = integer("tune", "repeats", repeats, minimum=1)
    if max_p99_ms is not None:
        max_p99_ms = _positive("max_p99_ms", max_p99_ms)
    timeout_margin = _positive("timeout_margin", timeout_margin, zero=True)
    grid = flag("tune", "grid", grid)
    max_total_s = _positive("max_total_s", max_total_s)
    options = _bench_options(transport, bench_options)
    proto = {k: v for k, v in options.items() if k in _PROTOCOL_FIELDS}
    for b in b_vals:  # every combination that could run is a valid configuration
        for p in p_vals:
            for t in t_vals:
                try:
                    ProtocolConfig(n=n, batch_size=b, pipeline=p, client_timeout=t, **proto)
                except (TypeError, ValueError) as exc:
                    fail("tune", f"batch_size={b}, pipeline={p}, client_timeout={t:g}: {exc}")
    defaults = ProtocolConfig()
    p0 = _nearest(p_vals, defaults.pipeline)
    t0 = _nearest(t_vals, defaults.client_timeout)
    count = (
        len(b_vals) * len(p_vals) * len(t_vals) if grid else len(b_vals) + len(p_vals) + len(t_vals)
    )
    estimate = estimate_seconds(count, seconds, repeats, transport, options.get("warmup"))
    plan = (
        f"{count} settings x {repeats} repeat(s) x about "
        f"{estimate / (count * repeats):.0f} s ({seconds:g} s measured, plus warm-up and "
        f"start-up) = about {_duration(estimate)}"
    )
    if estimate > max_total_s:
        fail(
            "tune",
            f"{plan}, over max_total_s={max_total_s:g} s; measure fewer values, fewer "
            "repeats or shorter seconds (or use the coordinate sweep instead of grid=True), "
            "or raise max_total_s",
        )
    say = progress or (lambda _line: None)
    say(f"tune: n={n}, {transport}: {plan}")
    started = time.monotonic()
    runs: dict[Setting, list[dict[str, Any]]] = {}
    stages: dict[Setting, str] = {}
    done = 0

    def run(setting: Setting, r: int) -> dict[str, Any]:
        kw = dict(options)
        if transport == "sim":
            kw["seed"] = options.get("seed", 0) + r
        try:
            return _BENCH[transport](
                n=n,
                batch=setting.batch_size,
                seconds=seconds,
                pipeline=setting.pipeline,
                client_timeout=setting.client_timeout,
                **kw,
            )
        except (RuntimeError, OSError) as exc:
            return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}

    def measure(settings: list[Setting], stage: str) -> list[Point]:
        """Run every setting ``repeats`` times, one round of all settings after another."""
        nonlocal done
        for s in settings:
            stages.setdefault(s, stage)
            runs.setdefault(s, [])
        for r in range(repeats):
            for s in settings:
                runs[s].append(run(s, len(runs[s])))
                if r == repeats - 1:
                    done += 1
                    point = Point.from_runs(s, runs[s], stages[s])
                    ops = "-" if point.ops_per_s is None else _ops(point.ops_per_s)
                    p99 = "-" if point.p99_ms is None else _ms(point.p99_ms)
                    say(f"  [{done}/{count}] {stage}: {s.label()}: {ops}, p99 {p99}")
        return [Point.from_runs(s, runs[s], stages[s]) for s in settings]

    def pick(stage_points: list[Point]) -> Setting:
        rec = recommend(stage_points, max_p99_ms=max_p99_ms, timeout_margin=timeout_margin)
        if rec.setting is not None:
            return rec.setting
        # nothing qualifies: go on from the lowest p99
        timed = [(p.p99_ms, _key(p), p) for p in stage_points if p.p99_ms is not None]
        return min(timed, key=lambda x: x[:2])[2].setting if timed else stage_points[0].setting

    if grid:
        measure([Setting(b, p, t) for b in b_vals for p in p_vals for t in t_vals], "grid")
    else:
        best = pick(measure([Setting(b, p0, t0) for b in b_vals], "batch"))
        best = pick(measure([Setting(best.batch_size, p, t0) for p in p_vals], "pipeline"))
        pick(measure([Setting(best.batch_size, best.pipeline, t) for t in t_vals], "timeout"))
    points = {s: Point.from_runs(s, rs, stages[s]) for s, rs in runs.items()}
    measured = tuple(points.values())
    rec = recommend(measured, max_p99_ms=max_p99_ms, timeout_margin=timeout_margin)
    return TuneResult(
        n=n,
        transport=transport,
        seconds=seconds,
        repeats=repeats,
        grid=grid,
        points=measured,
        recommendation=rec,
        estimated_s=estimate,
        elapsed_s=time.monotonic() - started,
        options=options,
    )


# ---------------------------------------------------------------- cluster.toml
def _cluster_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p / CLUSTER_FILE if p.is_dir() else p


def cluster_protocol(path: str | os.PathLike, n: int) -> dict[str, Any]:
    """The ``[protocol]`` fields of an existing ``cluster.toml`` that :func:`tune` does not
    sweep and that differ from the defaults, to measure with; ValueError when the file
    is missing or invalid, or its cluster does not have ``n`` replicas."""
    cluster = load_cluster(path)
    if cluster.n != n:
        fail(
            "tune",
            f"{_cluster_file(path)} has n = {cluster.n} replicas but the sweep is for n = {n}; "
            f"tune with n = {cluster.n} (--n {cluster.n}) to write its settings there",
        )
    defaults = ProtocolConfig()
    return {
        name: getattr(cluster.protocol, name)
        for name in _PROTOCOL_FIELDS
        if name not in SWEPT
        and name != "n"
        and getattr(cluster.protocol, name) != getattr(defaults, name)
    }


def _toml_number(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"write_protocol_fields(): values must be numbers; got {v!r}")
    return repr(v)


def write_protocol_fields(
    path: str | os.PathLike, values: Mapping[str, Any], *, n: int | None = None
) -> Path:
    """Set ``values`` (ProtocolConfig fields) in the ``[protocol]`` table of an existing
    ``cluster.toml`` and return its path; every other line, comment included, is kept.

    The new text is checked as a cluster file before it replaces the old one (in one
    rename); ``n``, when given, must be the cluster's number of replicas.
    """
    import re

    file = _cluster_file(path)
    cluster = load_cluster(file)  # exists and is valid
    unknown = sorted(set(values) - set(_PROTOCOL_FIELDS))
    if unknown:
        fail(
            "write_protocol_fields",
            f"unknown [protocol] field(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(_PROTOCOL_FIELDS)}",
        )
    if "n" in values:
        fail("write_protocol_fields", "n cannot be changed here; it must match the [[replica]]s")
    if n is not None and cluster.n != n:
        fail(
            "write_protocol_fields",
            f"{file} has n = {cluster.n} replicas but the settings are for n = {n}; "
            f"tune with n = {cluster.n}",
        )
    lines = file.read_text().splitlines()
    header = re.compile(r"^\s*\[\s*protocol\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        fail(
            "write_protocol_fields",
            f"{file} has no [protocol] table header; write the fields under a [protocol] line",
        )
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    last = start
    for i in range(start + 1, end):
        if lines[i].strip() and not lines[i].lstrip().startswith("#"):
            last = i
    added = []
    for key, value in values.items():
        new = _toml_number(value)
        pattern = re.compile(rf"^(\s*{key}\s*=\s*)([^#]*?)(\s*#.*)?$")
        for i in range(start + 1, end):
            m = pattern.match(lines[i])
            if m:
                lines[i] = f"{m.group(1)}{new}{m.group(3) or ''}"
                break
        else:
            added.append(f"{key} = {new}")
    lines[last + 1 : last + 1] = added
    text = "\n".join(lines) + "\n"
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        updated = parse_cluster(tomllib.loads(text), file.parent.resolve(), str(file), file)
    except ValueError as exc:
        fail("write_protocol_fields", f"the updated {file} would not be valid: {exc}")
    wrong = {k: v for k, v in values.items() if getattr(updated.protocol, k) != v}
    if wrong:
        fail(
            "write_protocol_fields",
            f"could not set {', '.join(wrong)} in {file}'s [protocol] table (are they "
            "written in another form, such as protocol.KEY or an inline table?); edit them "
            "by hand",
        )
    fd, tmp = tempfile.mkstemp(prefix=".cluster-", suffix=".toml", dir=file.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, file.stat().st_mode & 0o777)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return file
