"""Parameters of a PBFT cluster (Castro & Liskov (1999), Secs. 4.2-4.4)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .crypto import AUTH_MODES


@dataclass(frozen=True)
class ProtocolConfig:
    """Protocol parameters shared by every replica and client of one cluster.

    ``n`` replicas tolerate ``f = (n - 1) // 3`` Byzantine faults.  Quorums have
    ``q = ceil((n + f + 1) / 2)`` members, which is ``2f + 1`` when ``n = 3f + 1``
    and keeps any two quorums intersecting in a correct replica otherwise.
    """

    n: int = 4
    checkpoint_interval: int = 128  #: K: a checkpoint every K sequence numbers
    log_window: int = 256  #: L: high watermark H = h + L (paper: about 2K)
    batch_size: int = 64  #: requests per PRE-PREPARE at most
    pipeline: int = 8  #: sequence numbers the primary keeps in flight at most
    view_change_timeout: float = 1.0  #: seconds a backup waits for a request to execute
    client_timeout: float = 0.5  #: seconds before a client retransmits to every replica
    auth: str = "hmac"  #: "hmac" (MACs in the normal case) or "ed25519" (all signed)
    max_message_bytes: int = 32 << 20  #: larger frames are rejected unread
    max_request_bytes: int = 64 << 10  #: larger client requests are rejected

    def __post_init__(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(f"ProtocolConfig: {msg}")

        for fld in fields(self):
            v = getattr(self, fld.name)
            if fld.type == "int":
                need(
                    isinstance(v, int) and not isinstance(v, bool),
                    f"{fld.name} must be an integer; got {v!r}",
                )
            elif fld.type == "float":
                need(
                    isinstance(v, (int, float))
                    and not isinstance(v, bool)
                    and v > 0
                    and v == v
                    and v != float("inf"),
                    f"{fld.name} must be a positive finite number of seconds; got {v!r}",
                )
        need(
            self.n >= 1, f"n must be at least 1 (use n = 3f + 1 to tolerate f faults); got {self.n}"
        )
        need(
            self.checkpoint_interval >= 1,
            f"checkpoint_interval must be >= 1; got {self.checkpoint_interval}",
        )
        need(
            self.log_window >= self.checkpoint_interval,
            f"log_window ({self.log_window}) must be >= checkpoint_interval "
            f"({self.checkpoint_interval}), or the log could never advance; use about 2K",
        )
        need(self.batch_size >= 1, f"batch_size must be >= 1; got {self.batch_size}")
        need(self.pipeline >= 1, f"pipeline must be >= 1; got {self.pipeline}")
        need(self.auth in AUTH_MODES, f"auth must be one of {AUTH_MODES}; got {self.auth!r}")
        need(
            self.max_request_bytes >= 256,
            f"max_request_bytes must be >= 256; got {self.max_request_bytes}",
        )
        need(
            self.max_message_bytes >= 4 * self.max_request_bytes,
            "max_message_bytes must be at least 4 x max_request_bytes",
        )

    @property
    def f(self) -> int:
        return (self.n - 1) // 3

    @property
    def quorum(self) -> int:
        return (self.n + self.f + 2) // 2

    def primary(self, view: int) -> int:
        return view % self.n
