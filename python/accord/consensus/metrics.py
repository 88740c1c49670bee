"""Per-replica metrics of the PBFT replica: what it agreed on, how fast, and its state.

:class:`ReplicaMetrics` watches one :class:`~accord.consensus.replica.Replica` through
its observer (``"commit"``, ``"execute"``, ``"stable"`` events) and its storage, at
O(1) work per executed batch and per request: a counter, a histogram observation
weighted by the batch's size, and one count per request's operation kind.  Everything
else -- view, log size, checkpoints, pending and rejected frames -- is read from the
replica when the figures are asked for (:meth:`ReplicaMetrics.figures`), so serving
metrics costs the replica nothing between scrapes.

*Commit latency* is the time from the replica first logging the PRE-PREPARE that
orders a request (accepting it from the primary, or assigning it as the primary) to
executing the request: the three-phase agreement of Castro & Liskov (1999), Sec. 4.2,
plus waiting for earlier sequence numbers.  A batch whose PRE-PREPARE arrives after its
quorum of COMMITs is timed from its commit.  Time spent queued at the primary before
the PRE-PREPARE is not included (clients see it in their end-to-end latency).
Requests replayed from the log when a replica restarts are neither counted nor timed.

The figures are exported in the Prometheus text format by :func:`prometheus_registry`
(one ``CollectorRegistry`` per replica, so several replicas in one process do not
clash), which needs ``prometheus_client``: ``pip install "accord[metrics]"``.  The
rest of this module needs nothing beyond the standard library.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .._extras import MissingExtraError
from .statemachine import KVStore
from .storage import Recovered, Storage

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from .replica import Replica

__all__ = [
    "LATENCY_BUCKETS",
    "MAX_OPEN_INSTANCES",
    "MAX_OP_LABELS",
    "MECHANISM_ROUNDS_BUCKETS",
    "MECHANISM_SECONDS_BUCKETS",
    "OTHER_OP",
    "Histogram",
    "ReplicaMetrics",
    "prometheus_registry",
    "require_prometheus",
]

#: Upper bounds (seconds) of the latency histograms' buckets; the last bucket is +Inf.
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
#: Upper bounds (seconds) of the per-mechanism time-to-agreement histograms.
MECHANISM_SECONDS_BUCKETS = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0
)  # fmt: skip
#: Upper bounds of the per-mechanism rounds histograms (sequence numbers per instance).
MECHANISM_ROUNDS_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256)
#: Mechanism instances opened and not yet closed that are followed at most (the oldest
#: is forgotten first), so instances that never close cannot grow the metrics.
MAX_OPEN_INSTANCES = 4096
#: Distinct operation kinds labelled at most; later kinds are counted as :data:`OTHER_OP`.
MAX_OP_LABELS = 64
#: The label of operations without an ``"op"`` name, and of kinds beyond the cap.
OTHER_OP = "other"
_MAX_LABEL_CHARS = 48


def require_prometheus() -> None:
    """Raise :class:`~accord._extras.MissingExtraError` unless ``prometheus_client``
    can be imported; the message names the extra that installs it."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            'serving PBFT metrics needs the "metrics" extra: pip install "accord[metrics]" '
            "(missing: prometheus_client); or run the replica without a metrics port",
            name="prometheus_client",
        ) from None


class Histogram:
    """Counts of observations per bucket of ``bounds`` (plus +Inf), their sum and count.

    :meth:`observe` takes a ``weight``, so a batch of requests that share one latency
    is one observation of weight ``len(batch)``: O(log buckets) per batch.
    """

    __slots__ = ("bounds", "counts", "sum", "count")

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        if list(bounds) != sorted(set(bounds)) or not bounds:
            raise ValueError(f"Histogram: bounds must be increasing and distinct; got {bounds}")
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float, weight: int = 1) -> None:
        self.counts[bisect_left(self.bounds, value)] += weight
        self.sum += value * weight
        self.count += weight

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, observations <= le)`` per bucket, ending with ``("+Inf", count)``."""
        out, total = [], 0
        for bound, c in zip((*map(repr, self.bounds), "+Inf"), self.counts, strict=True):
            total += c
            out.append((bound, total))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "sum": self.sum, "buckets": dict(self.cumulative())}


class ReplicaMetrics:
    """The metrics of one replica: :meth:`observe` is its observer and
    :meth:`watch_storage` wraps its storage; :meth:`attach` names the replica.

    ``clock`` gives seconds (monotonic).  Operation kinds are the ``"op"`` field of
    dict operations (``set``, ``append``, the service's ``auction_close`` ...), at most
    ``max_op_labels`` distinct ones; the rest are :data:`OTHER_OP`.

    *Per mechanism*, for a state machine whose ``instance_step`` names the instances of
    multi-step mechanisms (the service's auctions, position and group topics, coalition
    proposals): the time to agreement, from logging the PRE-PREPARE of an instance's
    opening operation to executing the operation that closes it with an outcome (a
    one-step mechanism: its commit latency), and its *rounds*, the sequence numbers
    (three-phase agreements) that carried its operations from the opening to the
    close.  Operations refused with an error neither open nor close an instance.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        max_op_labels: int = MAX_OP_LABELS,
    ) -> None:
        if isinstance(max_op_labels, bool) or not isinstance(max_op_labels, int):
            raise TypeError(f"ReplicaMetrics: max_op_labels must be an int; got {max_op_labels!r}")
        if max_op_labels < 1:
            raise ValueError(f"ReplicaMetrics: max_op_labels must be >= 1; got {max_op_labels}")
        self.clock = clock
        self.max_op_labels = max_op_labels
        self.replica: Replica | None = None
        self.committed = 0  #: requests executed since :meth:`attach`
        self.latency = Histogram()  #: commit latency of every executed request
        self.by_op: dict[str, Histogram] = {}  #: commit latency per operation kind
        self._logged: dict[int, float] = {}  # seq -> when its PRE-PREPARE was first logged
        #: per mechanism: time to agreement and rounds of the instances closed
        self.mechanism_seconds: dict[str, Histogram] = {}
        self.mechanism_rounds: dict[str, Histogram] = {}
        # (mechanism, instance) -> (start, sequence numbers) of the open instances
        self._open: dict[tuple[str, str], tuple[float, set[int]]] = {}
        self._steps: Callable[[Any], tuple[str, str, str] | None] | None = None

    def attach(self, replica: Replica) -> None:
        """Start observing ``replica`` (its earlier executions are not counted)."""
        self.replica = replica
        replica.observer = self.observe
        steps = replica.machine.instance_step
        self._steps = None if steps is KVStore.instance_step else steps

    def watch_storage(self, storage: Storage) -> Storage:
        """``storage``, noting when each sequence number is first written to the log."""
        return _WatchedStorage(storage, self)

    # ---------------------------------------------------------------- events
    def _logged_entry(self, seq: int) -> None:
        replica = self.replica
        if replica is not None and seq > replica.last_executed and seq not in self._logged:
            self._logged[seq] = self.clock()

    def observe(self, event: str, replica: Replica, seq: int, digest: Any, done=None) -> None:
        """The replica's observer (see :class:`~accord.consensus.replica.Replica`)."""
        if event == "execute":
            now = self.clock()
            start = self._logged.pop(seq, now)
            if not done:
                return
            self.committed += len(done)
            latency = max(now - start, 0.0)
            self.latency.observe(latency, len(done))
            entry = replica.log.get(seq)
            if entry is not None:
                for kind, count in self._kinds(entry.batch, done).items():
                    self._op_histogram(kind).observe(latency, count)
                if self._steps is not None:
                    self._mechanisms(replica, seq, entry.batch, done, start, now)
        elif event == "commit":
            if seq not in self._logged:
                self._logged[seq] = self.clock()
        elif event == "stable":
            for s in [s for s in self._logged if s <= seq]:
                del self._logged[s]

    def _mechanisms(
        self, replica: Replica, seq: int, batch: list, done: list, start: float, now: float
    ) -> None:
        """Follow the mechanism instances whose operations batch ``seq`` executed."""
        assert self._steps is not None
        executed = set(done)
        for request in batch:
            client, timestamp = request.sender, request.body[0]
            if (client, timestamp) not in executed:
                continue
            step = self._steps(request.body[1])
            if step is None:
                continue
            mechanism, instance, phase = step
            answer = replica.clients.get(client)
            result = answer[1] if answer is not None and answer[0] == timestamp else None
            ok = not (isinstance(result, dict) and "error" in result)
            closes = ok and isinstance(result, dict) and "outcome" in result
            key = (mechanism, instance)
            if phase == "single":
                if closes:
                    self._close(mechanism, now - start, 1)
            elif phase == "open":
                if ok:
                    self._open.pop(key, None)
                    self._open[key] = (start, {seq})
                    while len(self._open) > MAX_OPEN_INSTANCES:
                        del self._open[next(iter(self._open))]
            elif key in self._open:
                opened, seqs = self._open[key]
                seqs.add(seq)
                if phase == "close" and closes:
                    del self._open[key]
                    self._close(mechanism, now - opened, len(seqs))

    def _mechanism_figures(self) -> dict[str, Any]:
        opened: dict[str, int] = {}
        for mechanism, _ in self._open:
            opened[mechanism] = opened.get(mechanism, 0) + 1
        out = {}
        for m in sorted(set(self.mechanism_seconds) | set(opened)):
            seconds = self.mechanism_seconds.get(m, Histogram(MECHANISM_SECONDS_BUCKETS))
            rounds = self.mechanism_rounds.get(m, Histogram(MECHANISM_ROUNDS_BUCKETS))
            out[m] = {
                "agreement_seconds": seconds.to_json(),
                "rounds": rounds.to_json(),
                "open": opened.get(m, 0),
            }
        return out

    def _close(self, mechanism: str, seconds: float, rounds: int) -> None:
        h = self.mechanism_seconds.get(mechanism)
        if h is None:
            h = self.mechanism_seconds[mechanism] = Histogram(MECHANISM_SECONDS_BUCKETS)
            self.mechanism_rounds[mechanism] = Histogram(MECHANISM_ROUNDS_BUCKETS)
        h.observe(max(seconds, 0.0))
        self.mechanism_rounds[mechanism].observe(rounds)

    @staticmethod
    def _kinds(batch: list, done: list[tuple[int, int]]) -> dict[str, int]:
        executed = None if len(done) == len(batch) else set(done)
        kinds: dict[str, int] = {}
        for request in batch:
            if executed is not None and (request.sender, request.body[0]) not in executed:
                continue
            op = request.body[1]
            kind = op.get("op") if type(op) is dict else None
            if type(kind) is not str or not kind:
                kind = OTHER_OP
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    def _op_histogram(self, kind: str) -> Histogram:
        h = self.by_op.get(kind)
        if h is None:
            if len(self.by_op) >= self.max_op_labels or len(kind) > _MAX_LABEL_CHARS:
                kind = OTHER_OP
            h = self.by_op.get(kind)
            if h is None:
                h = self.by_op[kind] = Histogram(self.latency.bounds)
        return h

    # --------------------------------------------------------------- figures
    def figures(self) -> dict[str, Any]:
        """Every figure as JSON: counters, histograms and the replica's state now."""
        out: dict[str, Any] = {
            "committed_requests": self.committed,
            "commit_latency_seconds": self.latency.to_json(),
            "agreement_seconds": {k: h.to_json() for k, h in sorted(self.by_op.items())},
            "mechanisms": self._mechanism_figures(),
        }
        replica = self.replica
        if replica is None:
            return out
        cfg, stats = replica.cfg, replica.stats
        snapshot = replica.stable_snapshot
        out.update(
            {
                "n": cfg.n,
                "f": cfg.f,
                "checkpoint_interval": cfg.checkpoint_interval,
                "log_window": cfg.log_window,
                "view": replica.view,
                "primary": replica.primary(),
                "in_view_change": replica.in_view_change,
                "view_changes": stats.get("view_changes_started", 0),
                "views_entered": stats.get("views_entered", 0),
                "last_executed": replica.last_executed,
                "pending": len(replica.pending),
                "log_entries": len(replica.log),
                "stable_checkpoint": replica.low_watermark,
                "checkpoint_bytes": 0 if snapshot is None else len(snapshot),
                "checkpoint_lag": max(replica.last_executed - replica.low_watermark, 0),
                "fetching": replica.fetching is not None,
                "state_transfers": stats.get("state_transfers", 0),
                "catch_up_requests": stats.get("catch_up_requests", 0),
                "retransmitted_entries": stats.get("retransmitted", 0),
                "rejected": dict(replica.rejected),
            }
        )
        return out


class _WatchedStorage:
    """A replica's storage that tells :class:`ReplicaMetrics` when a sequence number's
    log entry (which holds its PRE-PREPARE) is first written."""

    def __init__(self, storage: Storage, metrics: ReplicaMetrics) -> None:
        self._storage, self._metrics = storage, metrics
        self.source = storage.source

    def load(self) -> Recovered | None:
        return self._storage.load()

    def put_view(self, view: int, in_view_change: bool) -> None:
        self._storage.put_view(view, in_view_change)

    def put_entry(self, seq: int, record: dict) -> None:
        self._storage.put_entry(seq, record)
        self._metrics._logged_entry(seq)

    def put_stable(self, seq: int, digest: str, proof: list[bytes], snapshot: bytes) -> None:
        self._storage.put_stable(seq, digest, proof, snapshot)

    def commit(self) -> None:
        self._storage.commit()

    def close(self) -> None:
        self._storage.close()


# ------------------------------------------------------------------ Prometheus
#: name, type, help of the figures exported as one sample each
_SCALARS = (
    ("committed_requests", "counter", "Requests executed after agreement since the start"),
    ("view_changes", "counter", "View changes this replica started"),
    ("views_entered", "counter", "Views this replica entered after a view change"),
    ("state_transfers", "counter", "Checkpoints fetched from other replicas"),
    ("catch_up_requests", "counter", "FETCHes sent after missing messages between checkpoints"),
    ("retransmitted_entries", "counter", "Log entries resent to replicas that asked for them"),
    ("view", "gauge", "The replica's current view"),
    ("in_view_change", "gauge", "1 while the replica is changing views"),
    ("last_executed", "gauge", "Sequence number of the last executed batch"),
    ("pending", "gauge", "Client requests received and not yet executed"),
    ("log_entries", "gauge", "Entries in the message log (sequence numbers held)"),
    ("stable_checkpoint", "gauge", "Sequence number of the last stable checkpoint"),
    ("checkpoint_bytes", "gauge", "Size of the stable checkpoint's snapshot"),
    ("checkpoint_lag", "gauge", "last_executed minus the stable checkpoint's sequence number"),
    ("fetching", "gauge", "1 while the replica fetches state from the others"),
)


def _families(figures: dict[str, Any], transport: dict[str, int]) -> Iterator[Any]:
    """Prometheus metric families of :meth:`ReplicaMetrics.figures` (and the server's
    transport counters)."""
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
    )

    p = "accord_pbft_"
    for name, kind, doc in _SCALARS:
        if name not in figures:
            continue
        value = float(figures[name])
        if kind == "counter":
            yield CounterMetricFamily(p + name, doc, value=value)
        else:
            yield GaugeMetricFamily(p + name, doc, value=value)
    latency = figures["commit_latency_seconds"]
    yield HistogramMetricFamily(
        p + "commit_latency_seconds",
        "Time from logging a request's PRE-PREPARE to executing it",
        buckets=list(latency["buckets"].items()),
        sum_value=latency["sum"],
    )
    by_op = HistogramMetricFamily(
        p + "agreement_seconds",
        "Time from PRE-PREPARE to execution by operation kind",
        labels=["op"],
    )
    for kind, h in figures["agreement_seconds"].items():
        by_op.add_metric([kind], list(h["buckets"].items()), h["sum"])
    yield by_op
    mechanisms = figures.get("mechanisms", {})
    seconds = HistogramMetricFamily(
        p + "mechanism_agreement_seconds",
        "Time from a mechanism instance's opening PRE-PREPARE to its outcome",
        labels=["mechanism"],
    )
    rounds = HistogramMetricFamily(
        p + "mechanism_rounds",
        "Sequence numbers that carried a mechanism instance's operations",
        labels=["mechanism"],
    )
    opened = GaugeMetricFamily(
        p + "mechanism_open_instances",
        "Mechanism instances opened and not yet closed",
        labels=["mechanism"],
    )
    for m, figs in mechanisms.items():
        h = figs["agreement_seconds"]
        seconds.add_metric([m], list(h["buckets"].items()), h["sum"])
        h = figs["rounds"]
        rounds.add_metric([m], list(h["buckets"].items()), h["sum"])
        opened.add_metric([m], float(figs["open"]))
    yield seconds
    yield rounds
    yield opened
    rejected = CounterMetricFamily(
        p + "rejected_frames", "Frames the replica dropped, by reason", labels=["reason"]
    )
    for reason, count in sorted(figures.get("rejected", {}).items()):
        rejected.add_metric([reason], float(count))
    yield rejected
    events = CounterMetricFamily(
        p + "transport_events", "Connection and frame events of the TCP server", labels=["event"]
    )
    for event, count in sorted(transport.items()):
        events.add_metric([event], float(count))
    yield events


class _Collector:
    def __init__(
        self, figures: Callable[[], dict[str, Any]], transport: Callable[[], dict[str, int]]
    ) -> None:
        self._figures, self._transport = figures, transport

    def collect(self) -> Iterable[Any]:
        return list(_families(self._figures(), self._transport()))


def prometheus_registry(
    metrics: ReplicaMetrics, transport: Callable[[], dict[str, int]] = dict
) -> CollectorRegistry:
    """A registry of its own exporting ``metrics`` (and ``transport()`` counters),
    read when scraped; needs ``prometheus_client`` (the ``metrics`` extra)."""
    require_prometheus()
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(metrics.figures, transport))
    return registry
