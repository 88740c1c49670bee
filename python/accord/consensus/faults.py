"""Byzantine replicas for fault-injection tests and simulations.

Each class is a :class:`~accord.consensus.replica.Replica` that deviates from the
protocol in one way, holding only its own keys (it can sign as itself, never as
another replica).  The behaviours follow what trusted BFT systems are tested
with: equivocation (Twins: Bano et al. (2021)), forged and replayed messages,
small mutations of view and sequence numbers (ByzzFuzz: Winter et al. (2023)),
silence, censorship by a primary, and lies in VIEW-CHANGE.
"""

from __future__ import annotations

import random

from .messages import (
    CHECKPOINT,
    COMMIT,
    PREPARE,
    PREPREPARE,
    VIEWCHANGE,
    decode,
    frame,
    pack,
    seal,
    unpack,
)
from .replica import Replica


class _Mute:
    def __init__(self, host) -> None:
        self._host = host

    def send(self, dest: int, frame: bytes) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._host, name)


class Silent(Replica):
    """Runs the protocol but never sends anything (a mute or disconnected replica)."""

    def __init__(self, id, config, keyring, host, **kwargs) -> None:
        super().__init__(id, config, keyring, _Mute(host), **kwargs)


class EquivocatingPrimary(Replica):
    """As primary, sends one batch to half of the backups and a different batch
    (the same requests in reverse order, or the null request) to the other half."""

    def _send_pre_prepare(self, seq, batch) -> None:
        other = batch[::-1] if len(batch) > 1 else []
        versions = []
        for requests in (batch, other):
            body, digests = self._pre_prepare_body(seq, requests)
            versions.append((seal(self.keys, self.cfg.auth, self.n, body), requests, digests))
        backups = [r for r in range(self.n) if r != self.id]
        for i, r in enumerate(backups):
            self._outgoing.append((r, versions[i % 2][0]))
        sent, requests, digests = versions[0]
        self._log_pre_prepare(decode(sent, self.cfg.max_message_bytes), requests, digests)


class WrongDigest(Replica):
    """Sends PRE-PREPAREs, PREPAREs and COMMITs whose digest matches no batch."""

    def _emit(self, body, dest=None):
        if body[0] in (PREPREPARE, PREPARE, COMMIT):
            body = list(body)
            body[4] = "f" * 64
        return super()._emit(body, dest)


class Forger(Replica):
    """Besides its own messages, sends copies that claim another replica as
    sender (authenticated with its own key, so they must fail verification),
    and frames with garbage, truncated or oversize payloads."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rng = random.Random(self.id)

    def _emit(self, body, dest=None):
        sent = super()._emit(body, dest)
        rng = self._rng
        victim = rng.choice([r for r in range(self.n) if r != self.id])
        forged = list(body)
        forged[1] = victim
        bad = seal(self.keys, self.cfg.auth, self.n, forged, dest if dest is not None else 0)
        junk = [
            bad,
            frame(b'["PP",1,"x"', b""),
            b"\x00\x00",
            frame(b"[" * 5000 + b"]" * 5000, b""),
            b"\xff\xff\xff\xff" + b"x" * 64,
        ]
        targets = [dest] if dest is not None else [r for r in range(self.n) if r != self.id]
        for r in targets:
            self._outgoing.append((r, rng.choice(junk)))
        return sent


class Replayer(Replica):
    """Re-sends frames it received earlier (valid signatures, stale content)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._seen: list[bytes] = []
        self._rng = random.Random(1000 + self.id)

    def on_frame(self, data: bytes) -> None:
        if len(self._seen) < 4096:
            self._seen.append(data)
        super().on_frame(data)

    def flush(self) -> None:
        if self._seen:
            for _ in range(3):
                r = self._rng.randrange(self.n)
                if r != self.id:
                    self._outgoing.append((r, self._rng.choice(self._seen)))
        super().flush()


class Mutator(Replica):
    """ByzzFuzz-style: re-signs its own messages with view or sequence number +-1."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rng = random.Random(2000 + self.id)

    def _emit(self, body, dest=None):
        if body[0] in (PREPREPARE, PREPARE, COMMIT, CHECKPOINT) and self._rng.random() < 0.5:
            body = list(body)
            i = self._rng.choice([2, 3]) if body[0] != CHECKPOINT else 2
            body[i] = max(0, body[i] + self._rng.choice([-1, 1]))
        return super()._emit(body, dest)


class LyingViewChange(Replica):
    """Hides its prepared certificates in VIEW-CHANGE (an undetectable lie) and
    appends a certificate whose PREPAREs it signed itself for other senders
    (a detectable one, sent as a second VIEW-CHANGE); it also asks for view
    changes without cause."""

    def _emit(self, body, dest=None):
        if body[0] == VIEWCHANGE:
            honest = list(body)
            honest[5] = []
            sent = super()._emit(honest, dest)
            if body[5]:
                fake = list(body)
                packed_pre_prepare = fake[5][0][0]
                pre_prepare = decode(unpack(packed_pre_prepare), self.cfg.max_message_bytes)
                view, seq = pre_prepare.body[0], pre_prepare.body[1]
                forged = [
                    pack(seal(self.keys, self.cfg.auth, self.n, [PREPARE, r, view, seq, "e" * 64]))
                    for r in range(self.n)
                    if r != pre_prepare.sender
                ][: self.quorum - 1]
                fake[5] = [[packed_pre_prepare, forged]]
                super()._emit(fake, dest)
            return sent
        return super()._emit(body, dest)

    def on_timer(self, key: str) -> None:
        if key == "fetch" and not self.in_view_change:
            self._start_view_change(self.view + 1)
        super().on_timer(key)


class CensoringPrimary(Replica):
    """As primary, never orders the requests of odd-numbered clients: it keeps them
    pending, to shut those clients out or hold their requests past a deadline.  The
    clients' retransmissions reach the backups, whose request timers then start a
    view change (Castro & Liskov (1999), Sec. 4.4)."""

    def _propose(self) -> None:
        held = {c: m for c, m in self.pending.items() if c % 2}
        for c in held:
            del self.pending[c]
        try:
            super()._propose()
        finally:
            self.pending.update(held)


BEHAVIOURS: dict[str, type[Replica]] = {
    "censor": CensoringPrimary,
    "silent": Silent,
    "equivocate": EquivocatingPrimary,
    "wrong-digest": WrongDigest,
    "forge": Forger,
    "replay": Replayer,
    "mutate": Mutator,
    "lie-view-change": LyingViewChange,
}
