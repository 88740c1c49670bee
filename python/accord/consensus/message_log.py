"""The replica's message log: what it knows about each sequence number.

Castro & Liskov (1999), Sec. 4.2: for every sequence number ``n`` a replica keeps
the accepted PRE-PREPARE, the PREPARE and COMMIT votes it received, and whether
the request batch is *prepared* (the PRE-PREPARE plus ``2f`` matching PREPAREs
from distinct backups: the prepared certificate) and *committed-local* (prepared
plus ``2f + 1`` matching COMMITs).  The rules here take plain data and return
decisions; the replica decides what to send.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from .messages import Message


class PreparedCertificate(NamedTuple):
    """A PRE-PREPARE and the ``q - 1`` matching PREPAREs that prepared it (raw frames)."""

    view: int
    digest: str
    pre_prepare: bytes
    prepares: list[bytes]


class LogEntry:
    """One sequence number of the log."""

    __slots__ = (
        "view",
        "digest",
        "pre_prepare",
        "batch",
        "prepares",
        "commits",
        "voted",
        "prepared",
        "committed",
        "prepared_certificate",
        "my_prepare",
        "commit_views",
    )

    def __init__(self) -> None:
        self.view = -1
        self.digest: str | None = None
        self.pre_prepare: Message | None = None
        self.batch: list[Message] = []
        #: (view, digest) -> sender -> the sender's PREPARE frame
        self.prepares: dict[tuple[int, str], dict[int, bytes]] = defaultdict(dict)
        #: (view, digest) -> senders of matching COMMITs
        self.commits: dict[tuple[int, str], set[int]] = defaultdict(set)
        #: (message type, sender, view) -> the digest that sender voted for
        self.voted: dict[tuple[str, int, int], str] = {}
        self.prepared = False
        self.committed = False
        self.prepared_certificate: PreparedCertificate | None = None
        self.my_prepare: bytes | None = None
        #: views in which this replica sent a COMMIT for this sequence number
        self.commit_views: list[int] = []

    def vote(self, kind: str, sender: int, view: int, digest: str) -> bool:
        """Record ``sender``'s vote; False if it voted for another digest in ``view``."""
        return self.voted.setdefault((kind, sender, view), digest) == digest

    def prepared_certificate_for(self, primary: int, quorum: int) -> PreparedCertificate | None:
        """The prepared certificate, once ``quorum - 1`` backups other than ``primary``
        sent PREPAREs matching the accepted PRE-PREPARE; None before."""
        if self.pre_prepare is None or self.digest is None:
            return None
        votes = self.prepares.get((self.view, self.digest), {})
        others = [frame for sender, frame in sorted(votes.items()) if sender != primary]
        if len(others) < quorum - 1:
            return None
        return PreparedCertificate(
            self.view, self.digest, self.pre_prepare.frame, others[: quorum - 1]
        )

    def committed_local(self, quorum: int) -> bool:
        """Prepared, with ``quorum`` matching COMMITs (this replica's own included)."""
        if not self.prepared or self.digest is None:
            return False
        return len(self.commits.get((self.view, self.digest), ())) >= quorum
