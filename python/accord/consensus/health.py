"""Health of a PBFT cluster from its replicas' status: named states and what to do.

:func:`assess` takes what each replica reported (``/status`` of its metrics endpoint,
:meth:`ReplicaServer.status <accord.consensus.tcp.ReplicaServer.status>`, or
:meth:`Replica.status <accord.consensus.Replica.status>`; None for a replica that did
not answer) and returns a :class:`Health`.  The states, most severe first:

``no_quorum``
    fewer than a quorum (``2f + 1`` of ``n = 3f + 1``) of replicas answer: no request
    can commit (Castro & Liskov (1999), Sec. 4.2), so writes stall;
``degraded``
    some replicas do not answer but a quorum does: the cluster runs, with less (or
    no) room for further faults;
``view_change``
    replicas are changing views or report different views (Sec. 4.4);
``lagging``
    a replica's last executed sequence number is far behind the others', or its
    checkpoints stopped becoming stable so it cannot accept new sequence numbers
    beyond its high watermark (Sec. 4.3);
``rejecting``
    a replica drops many frames for a reason that points at a fault: bad MACs or
    signatures (keys), frames it cannot parse (versions, limits), or conflicting
    messages (a faulty replica);
``healthy``
    none of the above.

:data:`EXIT_CODES` maps a state to the exit status of ``accord pbft status``: 0
healthy, 2 no quorum, 1 for every other state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXIT_CODES", "STATES", "Finding", "Health", "assess"]

#: The states, most severe first.
STATES = ("no_quorum", "degraded", "view_change", "lagging", "rejecting", "healthy")
#: Exit status of ``accord pbft status`` per state.
EXIT_CODES = {
    "no_quorum": 2,
    "degraded": 1,
    "view_change": 1,
    "lagging": 1,
    "rejecting": 1,
    "healthy": 0,
}

#: Rejection reasons that point at a fault, and what to check for each group.
_REJECT_ADVICE = {
    "auth": (
        "frames failed their MAC or signature check",
        "check replica keys: every host needs the same cluster.toml and each principal "
        "its own key file from it (regenerate with `accord pbft init` and copy them)",
    ),
    "bad-sender": (
        "frames claimed a sender they cannot come from",
        "check which hosts connect to this replica: a misconfigured or faulty peer",
    ),
    "malformed": (
        "frames could not be parsed",
        "check that every replica and client runs the same accord version",
    ),
    "oversize": (
        "frames exceeded the size limits",
        "check that every host has the same [protocol] max_message_bytes and max_request_bytes",
    ),
    "bad-request": (
        "PRE-PREPAREs carried invalid requests",
        "the primary may be faulty; if it persists, restart it to force a view change",
    ),
    "bad-digest": (
        "PRE-PREPAREs carried a wrong batch digest",
        "the primary may be faulty; if it persists, restart it to force a view change",
    ),
    "equivocation": (
        "replicas sent conflicting messages for one sequence number",
        "a replica may be faulty or compromised: compare the replicas' logs",
    ),
    "bad-certificate": (
        "view-change, new-view or state messages carried invalid certificates",
        "a replica may be faulty or compromised: compare the replicas' logs",
    ),
    "not-primary": (
        "a non-primary sent PRE-PREPAREs",
        "a replica may be faulty or compromised, or the replicas disagree on n",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One problem: its state, what was seen, what to do, and the replicas concerned."""

    state: str
    message: str
    recommendation: str
    replicas: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "message": self.message,
            "recommendation": self.recommendation,
            "replicas": list(self.replicas),
        }


@dataclass(frozen=True)
class Health:
    """The assessment: :attr:`state` is the most severe of :attr:`findings` (or
    ``"healthy"``); :attr:`summary` says what the cluster is doing."""

    state: str
    findings: tuple[Finding, ...]
    n: int
    quorum: int
    reachable: tuple[int, ...]
    unreachable: tuple[int, ...]
    summary: str = ""
    replicas: tuple[Mapping[str, Any] | None, ...] = field(default=(), repr=False)

    @property
    def states(self) -> tuple[str, ...]:
        """Every state found, most severe first (``("healthy",)`` when none)."""
        found = {f.state for f in self.findings}
        return tuple(s for s in STATES if s in found) or ("healthy",)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.state]

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "states": list(self.states),
            "exit_code": self.exit_code,
            "summary": self.summary,
            "n": self.n,
            "quorum": self.quorum,
            "reachable": list(self.reachable),
            "unreachable": list(self.unreachable),
            "findings": [f.to_json() for f in self.findings],
        }


def _names(ids: Sequence[int]) -> str:
    ids = list(ids)
    word = "replica" if len(ids) == 1 else "replicas"
    if len(ids) <= 2:
        return f"{word} {' and '.join(map(str, ids))}"
    return f"{word} {', '.join(map(str, ids[:-1]))} and {ids[-1]}"


def _figure(status: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A figure from the status, or from its ``metrics`` part."""
    if name in status:
        return status[name]
    metrics = status.get("metrics")
    if isinstance(metrics, Mapping) and name in metrics:
        return metrics[name]
    return default


def assess(
    statuses: Sequence[Mapping[str, Any] | None],
    n: int,
    *,
    lag: int | None = None,
    reject_threshold: int = 100,
) -> Health:
    """The health of an ``n``-replica cluster whose replica ``i`` reported
    ``statuses[i]`` (None: unreachable).

    A replica *lags* when its ``last_executed`` is more than ``lag`` sequence numbers
    behind the most advanced replica's (default: the checkpoint interval K, which is
    128 unless a status says otherwise), or when its checkpoint lag reached the log
    window L.  A rejection reason that points at a fault (bad MACs, unparsable frames,
    conflicting messages) is reported once a replica counted at least
    ``reject_threshold`` of them and at least 1% of the frames it received.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"assess(): n must be the number of replicas (>= 1); got {n!r}")
    if len(statuses) != n:
        raise ValueError(
            f"assess(): statuses must hold one entry per replica (None for an unreachable "
            f"one): {n} replicas but {len(statuses)} statuses"
        )
    if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int) or lag < 1):
        raise ValueError(
            f"assess(): lag must be a positive number of sequence numbers; got {lag!r}"
        )
    f = (n - 1) // 3
    quorum = (n + f + 2) // 2
    up = {i: s for i, s in enumerate(statuses) if s is not None}
    down = [i for i, s in enumerate(statuses) if s is None]
    findings: list[Finding] = []

    if len(up) < quorum:
        findings.append(
            Finding(
                "no_quorum",
                f"{len(down)} of {n} replicas unreachable ({_names(down)}): no quorum "
                f"({quorum} of {n} needed), writes stall",
                f"restart {_names(down)}; at least {quorum - len(up)} must be back for "
                "requests to commit",
                tuple(down),
            )
        )
    elif down:
        spare = f - len(down)
        room = (
            "the cluster tolerates no further fault"
            if spare <= 0
            else f"the cluster tolerates {spare} further fault{'s' if spare > 1 else ''}"
        )
        findings.append(
            Finding(
                "degraded",
                f"{len(down)} of {n} replicas unreachable ({_names(down)}): {room}",
                f"restart {_names(down)}",
                tuple(down),
            )
        )

    findings += _view_findings(up, n)
    findings += _lag_findings(up, lag)
    findings += _reject_findings(up, reject_threshold)

    rank = {s: k for k, s in enumerate(STATES)}
    findings.sort(key=lambda x: rank[x.state])
    state = findings[0].state if findings else "healthy"
    return Health(
        state,
        tuple(findings),
        n,
        quorum,
        tuple(sorted(up)),
        tuple(down),
        _summary(up, n, quorum),
        tuple(statuses),
    )


def _summary(up: Mapping[int, Mapping[str, Any]], n: int, quorum: int) -> str:
    if not up:
        return f"no replica of {n} answered"
    views = [_figure(s, "view", 0) for s in up.values()]
    view = max(set(views), key=lambda v: (views.count(v), v))
    executed = max(_figure(s, "last_executed", 0) for s in up.values())
    return (
        f"{len(up)} of {n} replicas answered (quorum {quorum}); view {view} "
        f"(primary {view % n}); executed up to sequence number {executed}"
    )


def _view_findings(up: Mapping[int, Mapping[str, Any]], n: int) -> list[Finding]:
    if not up:
        return []
    changing = sorted(i for i, s in up.items() if _figure(s, "in_view_change", False))
    views: dict[int, list[int]] = {}
    for i, s in sorted(up.items()):
        views.setdefault(_figure(s, "view", 0), []).append(i)
    if not changing and len(views) == 1:
        return []
    target = max(views)
    primary = target % n
    parts = []
    if changing:
        parts.append(f"{_names(changing)} changing views (to view {target} at most)")
    if len(views) > 1:
        parts.append(
            "views differ: "
            + "; ".join(f"{_names(ids)} in view {v}" for v, ids in sorted(views.items()))
        )
    primary_note = (
        f"replica {primary}, the primary of view {target}, does not answer: restart it"
        if primary not in up
        else f"check that replica {primary} (primary of view {target}) is running and "
        "that the replicas reach each other"
    )
    return [
        Finding(
            "view_change",
            ", ".join(parts),
            "a view change normally completes within a few view_change_timeouts; if it "
            f"persists, {primary_note}",
            tuple(
                sorted(set(changing) | {i for v, ids in views.items() if v < target for i in ids})
            ),
        )
    ]


def _lag_findings(up: Mapping[int, Mapping[str, Any]], lag: int | None) -> list[Finding]:
    if not up:
        return []
    executed = {i: _figure(s, "last_executed", 0) for i, s in up.items()}
    front = max(executed.values())
    out = []
    for i, s in sorted(up.items()):
        fetching = bool(_figure(s, "fetching", False))
        limit = lag if lag is not None else _figure(s, "checkpoint_interval", 128)
        window = _figure(s, "log_window", 256)
        checkpoint_lag = _figure(s, "checkpoint_lag")
        if checkpoint_lag is None:
            checkpoint_lag = max(executed[i] - _figure(s, "low_watermark", 0), 0)
        what = (
            "it is fetching state from the others"
            if fetching
            else "it should catch up from its peers' retransmissions or a state transfer; "
            "if it does not, restart it"
        )
        if executed[i] < 0:
            out.append(
                Finding(
                    "lagging",
                    f"replica {i}'s state disagrees with the quorum's stable checkpoint; {what}",
                    f"if replica {i} does not recover, move its data file aside and restart "
                    "it: it fetches the state from the others",
                    (i,),
                )
            )
        elif front - executed[i] > limit:
            out.append(
                Finding(
                    "lagging",
                    f"replica {i} is {front - executed[i]} sequence numbers behind; {what}",
                    f"check replica {i}'s host (CPU, disk, network); it catches up on its own "
                    "by asking its peers to retransmit, or from the next stable checkpoint",
                    (i,),
                )
            )
        elif checkpoint_lag >= window:
            out.append(
                Finding(
                    "lagging",
                    f"replica {i}'s checkpoints stopped becoming stable ({checkpoint_lag} "
                    f"sequence numbers since the last one, log window {window}): it accepts "
                    "no new sequence numbers",
                    "a quorum must reach the same checkpoint: check that the other replicas "
                    "run and agree",
                    (i,),
                )
            )
    return out


def _reject_findings(up: Mapping[int, Mapping[str, Any]], threshold: int) -> list[Finding]:
    by_reason: dict[str, list[tuple[int, int]]] = {}
    for i, s in sorted(up.items()):
        rejected = _figure(s, "rejected", {}) or {}
        transport = s.get("transport") or {}
        frames = transport.get("frames_in", 0) if isinstance(transport, Mapping) else 0
        for reason, count in rejected.items():
            if reason in _REJECT_ADVICE and count >= max(threshold, 0.01 * frames):
                by_reason.setdefault(reason, []).append((i, count))
    out = []
    for reason, hits in sorted(by_reason.items()):
        what, advice = _REJECT_ADVICE[reason]
        counts = ", ".join(f"{c} at replica {i}" for i, c in hits)
        out.append(
            Finding(
                "rejecting",
                f"{what} ({reason}: {counts})",
                advice,
                tuple(i for i, _ in hits),
            )
        )
    return out
