"""A PBFT client (Castro & Liskov, OSDI'99 section 4.1 and 5.1).

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

_canon = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


class Busy(RuntimeError):
    """The client already has a request outstanding."""


class Client:
    """Sans-IO client; the host supplies ``send``, ``set_timer``, ``cancel_timer``, ``now``."""

    def __init__(self, id: int, config: ProtocolConfig, keyring: Keyring, host,
                 on_result: Callable[[int, int, Any], None] | None = None,
                 max_backoff: float | None = None) -> None:
        if id < CLIENT_BASE:
            raise ValueError(f"Client: id must be >= {CLIENT_BASE} (replicas use 0..n-1); "
                             f"got {id}")
        if keyring.id != id:
            raise ValueError(f"Client: keyring belongs to principal {keyring.id}, not {id}")
        self.id, self.cfg, self.keys, self.host = id, config, keyring, host
        self.on_result = on_result
        self.max_backoff = 4 * config.client_timeout if max_backoff is None else max_backoff
        self.view = 0
        self.ts = 0
        self.current: dict | None = None
        self.rejected = 0
        self.retransmissions = 0

    @property
    def busy(self) -> bool:
        return self.current is not None

    def submit(self, op: dict, read_only: bool | None = None) -> int:
        """Send ``op``; returns its timestamp.  The result arrives via ``on_result``."""
        if self.current is not None:
            raise Busy(f"Client.submit(): request {self.current['ts']} is still outstanding; "
                       "wait for its result (one request per client, OSDI'99 section 4.1)")
        op = validate_op(op)
        ro = is_read_only(op) if read_only is None else bool(read_only)
        if ro and not is_read_only(op):
            raise ValueError(f"Client.submit(): read_only=True but {op['op']!r} changes state; "
                             "only get, ledger_head and ledger_get may be read-only")
        self.ts = max(self.ts + 1, int(self.host.now() * 1e6))
        self.current = {"ts": self.ts, "op": op, "ro": ro, "replies": {}, "timeout":
                        self.cfg.client_timeout, "frame": self._frame(op, ro)}
        if ro:
            self._send_all()
        else:
            self.host.send(self.cfg.primary(self.view), self.current["frame"])
        self.host.set_timer("retransmit", self.current["timeout"])
        return self.ts

    def _frame(self, op: dict, ro: bool) -> bytes:
        return seal(self.keys, self.cfg.auth, self.cfg.n, [REQUEST, self.id, self.ts, op, ro])

    def _send_all(self) -> None:
        fr = self.current["frame"]
        for r in range(self.cfg.n):
            self.host.send(r, fr)

    def on_timer(self, key: str) -> None:
        cur = self.current
        if key != "retransmit" or cur is None:
            return
        self.retransmissions += 1
        if cur["ro"]:
            cur["ro"] = False
            cur["replies"] = {}
            cur["frame"] = self._frame(cur["op"], False)
        self._send_all()
        cur["timeout"] = min(cur["timeout"] * 2, self.max_backoff)
        self.host.set_timer("retransmit", cur["timeout"])

    def on_frame(self, data: bytes) -> None:
        try:
            msg = decode(data, self.cfg.max_message_bytes)
        except Malformed:
            self.rejected += 1
            return
        if msg.type != REPLY or not 0 <= msg.sender < self.cfg.n \
                or not authentic(self.keys, self.cfg.auth, self.cfg.n, msg):
            self.rejected += 1
            return
        view, client, ts, result, ro = msg.body
        cur = self.current
        if cur is None or client != self.id or ts != cur["ts"] or ro != cur["ro"]:
            return
        cur["replies"][msg.sender] = (_canon(result), view)
        key = cur["replies"][msg.sender][0]
        match = [v for k, v in cur["replies"].values() if k == key]
        need = self.cfg.quorum if ro else self.cfg.f + 1
        if len(match) < need:
            return
        self.view = max(self.view, sorted(match)[-need])
        self.current = None
        self.host.cancel_timer("retransmit")
        if self.on_result is not None:
            self.on_result(self.id, ts, result)
