"""A PBFT client (Castro & Liskov (1999), Secs. 4.1 and 5.1).

The client sends a request to the primary it believes in, accepts a result once
``f + 1`` replicas sent matching replies (``q`` for a read-only request, which
replicas answer without ordering), and on timeout multicasts the request to all
replicas, which relay it to the primary and start their view-change timers.  A
read-only request that gets no ``q`` matching replies is retried as an ordered
one.  One request is outstanding per client, as in the paper: timestamps order a
client's requests and let replicas execute each exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .config import ProtocolConfig
from .crypto import CLIENT_BASE, Keyring
from .messages import REPLY, REQUEST, Malformed, authentic, decode, seal
from .statemachine import is_read_only, validate_op

_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


class Busy(RuntimeError):
    """The client already has a request outstanding."""


class Client:
    """Sans-IO client; the host supplies ``send``, ``set_timer``, ``cancel_timer``, ``now``."""

    def __init__(
        self,
        id: int,
        config: ProtocolConfig,
        keyring: Keyring,
        host,
        on_result: Callable[[int, int, Any], None] | None = None,
        max_backoff: float | None = None,
        validate: Callable[[dict], dict] = validate_op,
        endorsements: int = 0,
        check_endorsements: Callable[[Any, dict[int, str]], set[int]] | None = None,
    ) -> None:
        """``validate`` normalises an operation before it is sent (the state machine's
        :func:`~accord.consensus.statemachine.validate_op`).  With ``endorsements > 0``
        a result whose replies carry endorsements (see :class:`Replica`) completes only
        once that many matching replies carry one that ``check_endorsements`` accepts;
        they are then in :attr:`endorsements`.  ``check_endorsements(result,
        {replica: endorsement})`` returns the replicas whose endorsements are valid; it
        is called once enough matching replies carry endorsements, with those not yet
        checked, so that a batch can be checked at once (an aggregate signature).  A
        result whose endorsements are all invalid completes as an unendorsed one."""
        if id < CLIENT_BASE:
            raise ValueError(f"Client: id must be >= {CLIENT_BASE} (replicas use 0..n-1); got {id}")
        if keyring.id != id:
            raise ValueError(f"Client: keyring belongs to principal {keyring.id}, not {id}")
        self.id, self.cfg, self.keys, self.host = id, config, keyring, host
        self.on_result = on_result
        self.max_backoff = 4 * config.client_timeout if max_backoff is None else max_backoff
        self.view = 0
        self.timestamp = 0
        #: the outstanding request: timestamp, op, read_only, replies, timeout, frame
        self.current: dict | None = None
        self.rejected = 0
        self.retransmissions = 0
        self.validate = validate
        self.endorsements_needed = endorsements
        self.check_endorsements = check_endorsements
        #: replica -> endorsement of the last completed request's result
        self.endorsements: dict[int, str] = {}
        #: replicas that had replied with a different result when the last request
        #: completed: faulty (or lagging behind a view change) -- flag them
        self.dissent: list[int] = []

    @property
    def busy(self) -> bool:
        return self.current is not None

    def submit(self, op: dict, read_only: bool | None = None) -> int:
        """Send ``op``; returns its timestamp.  The result arrives via ``on_result``."""
        if self.current is not None:
            raise Busy(
                f"Client.submit(): request {self.current['timestamp']} is still outstanding; "
                "wait for its result (one request per client, Castro & Liskov (1999), Sec. 4.1)"
            )
        op = self.validate(op)
        read_only = is_read_only(op) if read_only is None else bool(read_only)
        if read_only and not is_read_only(op):
            raise ValueError(
                f"Client.submit(): read_only=True but {op['op']!r} changes state; "
                "only get, ledger_head and ledger_get may be read-only"
            )
        self.timestamp = max(self.timestamp + 1, int(self.host.now() * 1e6))
        self.current = {
            "timestamp": self.timestamp,
            "op": op,
            "read_only": read_only,
            "replies": {},
            "verdicts": {},  # (replica, result key, endorsement) -> valid
            "timeout": self.cfg.client_timeout,
            "frame": self._frame(op, read_only),
        }
        if read_only:
            self._send_all(self.current["frame"])
        else:
            self.host.send(self.cfg.primary(self.view), self.current["frame"])
        self.host.set_timer("retransmit", self.current["timeout"])
        return self.timestamp

    def _frame(self, op: dict, read_only: bool) -> bytes:
        body = [REQUEST, self.id, self.timestamp, op, read_only]
        return seal(self.keys, self.cfg.auth, self.cfg.n, body)

    def _send_all(self, frame: bytes) -> None:
        for r in range(self.cfg.n):
            self.host.send(r, frame)

    def on_timer(self, key: str) -> None:
        current = self.current
        if key != "retransmit" or current is None:
            return
        self.retransmissions += 1
        if current["read_only"]:
            current["read_only"] = False
            current["replies"] = {}
            current["frame"] = self._frame(current["op"], False)
        self._send_all(current["frame"])
        current["timeout"] = min(current["timeout"] * 2, self.max_backoff)
        self.host.set_timer("retransmit", current["timeout"])

    def _valid_endorsements(
        self, verdicts: dict, result: Any, key: str, matching: dict[int, str | None]
    ) -> dict[int, str] | None:
        """The valid endorsements among ``matching`` (replica -> endorsement of the
        result ``key``), checking the unchecked ones in one call once at least
        ``endorsements_needed`` are candidates; None while fewer are.  ``verdicts``
        keeps every check's answer for the outstanding request."""
        candidates = {
            r: e
            for r, e in matching.items()
            if e is not None and verdicts.get((r, key, e)) is not False
        }
        if not candidates:
            return {}
        if len(candidates) < self.endorsements_needed:
            return None
        unchecked = {r: e for r, e in candidates.items() if (r, key, e) not in verdicts}
        if unchecked:
            assert self.check_endorsements is not None  # endorsements are kept only then
            valid = self.check_endorsements(result, unchecked)
            for r, e in unchecked.items():
                verdicts[(r, key, e)] = r in valid
        return {r: e for r, e in candidates.items() if verdicts[(r, key, e)]}

    def on_frame(self, data: bytes) -> None:
        try:
            msg = decode(data, self.cfg.max_message_bytes)
        except Malformed:
            self.rejected += 1
            return
        if (
            msg.type != REPLY
            or not 0 <= msg.sender < self.cfg.n
            or not authentic(self.keys, self.cfg.auth, self.cfg.n, msg)
        ):
            self.rejected += 1
            return
        view, client, timestamp, result, read_only, endorsement = msg.body
        current = self.current
        if (
            current is None
            or client != self.id
            or timestamp != current["timestamp"]
            or read_only != current["read_only"]
        ):
            return
        if self.check_endorsements is None:
            endorsement = None  # nothing to check it with: counts as none
        current["replies"][msg.sender] = (_canonical(result), view, endorsement)
        key = current["replies"][msg.sender][0]
        matching = {r: e for r, (k, _, e) in current["replies"].items() if k == key}
        views = [v for k, v, _ in current["replies"].values() if k == key]
        need = self.cfg.quorum if read_only else self.cfg.f + 1
        if len(views) < need:
            return
        endorsed = self._valid_endorsements(current["verdicts"], result, key, matching)
        if endorsed is None or (endorsed and len(endorsed) < self.endorsements_needed):
            return  # an endorsed result: wait for enough endorsements
        self.view = max(self.view, sorted(views)[-need])
        self.endorsements = endorsed
        self.dissent = sorted(r for r, (k, _, _) in current["replies"].items() if k != key)
        self.current = None
        self.host.cancel_timer("retransmit")
        if self.on_result is not None:
            self.on_result(self.id, timestamp, result)
