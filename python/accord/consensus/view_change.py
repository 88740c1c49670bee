"""View changes: VIEW-CHANGE and NEW-VIEW messages, built and checked without I/O.

Castro & Liskov (1999), Sec. 4.4.  A backup that suspects the primary of view
``v`` multicasts VIEW-CHANGE(v + 1, n, C, P, i): ``n`` is its last stable
checkpoint, ``C`` the checkpoint's proof and ``P`` a prepared certificate for
every sequence number above ``n`` that prepared at this replica.  The primary of
``v + 1`` collects ``2f + 1`` valid VIEW-CHANGEs (the set ``V``) and multicasts
NEW-VIEW(v + 1, V, O), where ``O`` re-proposes, for every sequence number between
the latest stable checkpoint in ``V`` (min-s) and the highest prepared sequence
number in ``V`` (max-s), the batch of the certificate with the highest view, or
the null request where no certificate exists.  Every backup recomputes ``O``
from ``V`` and accepts the NEW-VIEW only if the primary's matches.

The functions here take decoded messages, the cluster's parameters and an
authenticator, and return verified data or None; the replica
(:mod:`accord.consensus.replica`) owns the timers, the state and the sending.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from .checkpoints import StableCheckpoint, certified_digest, genesis_digest
from .config import ProtocolConfig
from .message_log import LogEntry
from .messages import (
    NEWVIEW,
    NULL_DIGEST,
    PREPARE,
    PREPREPARE,
    VIEWCHANGE,
    Authenticator,
    Malformed,
    Message,
    batch_digest,
    decode,
    pack,
    parse_batch,
    request_digest,
    unpack,
)


class Proposal(NamedTuple):
    """A batch that prepared in ``view`` with ``digest``; ``batch`` holds the packed
    request frames (as in the PRE-PREPARE)."""

    view: int
    digest: str
    batch: list[str]


@dataclass(slots=True)
class VerifiedViewChange:
    """A VIEW-CHANGE whose checkpoint proof and prepared certificates all check out."""

    sender: int
    view: int
    checkpoint: StableCheckpoint
    prepared: dict[int, Proposal]  #: sequence number -> the batch that prepared there
    frame: bytes


def prepared_set(log: Mapping[int, LogEntry], low_watermark: int) -> list:
    """The ``P`` field: ``[pre_prepare, [prepare, ...]]`` (packed frames) for every
    sequence number above the low watermark that holds a prepared certificate."""
    certificates = []
    for seq in sorted(log):
        certificate = log[seq].prepared_certificate
        if seq > low_watermark and certificate is not None:
            prepares = [pack(p) for p in certificate.prepares]
            certificates.append([pack(certificate.pre_prepare), prepares])
    return certificates


def view_change_body(
    replica_id: int,
    view: int,
    stable: StableCheckpoint,
    log: Mapping[int, LogEntry],
    low_watermark: int,
) -> list:
    """VIEW-CHANGE(view, n, C, P, i) for a replica whose stable checkpoint is ``stable``."""
    proof = [pack(p) for p in stable.proof]
    return [VIEWCHANGE, replica_id, view, stable.seq, proof, prepared_set(log, low_watermark)]


def _verified_proposal(
    packed_pre_prepare: str,
    packed_prepares: list[str],
    view: int,
    checkpoint_seq: int,
    seen: Container[int],
    config: ProtocolConfig,
    authentic: Authenticator,
) -> tuple[int, Proposal] | None:
    """Check one prepared certificate of a VIEW-CHANGE for ``view``; ``seen`` holds the
    sequence numbers of the certificates before it (one certificate per number)."""
    pre_prepare = decode(unpack(packed_pre_prepare), config.max_message_bytes)
    if pre_prepare.type != PREPREPARE:
        return None
    prepared_view, seq, digest, batch = pre_prepare.body
    if (
        prepared_view >= view
        or not checkpoint_seq < seq <= checkpoint_seq + config.log_window
        or seq in seen
        or pre_prepare.sender != config.primary(prepared_view)
        or not authentic(pre_prepare)
    ):
        return None
    try:
        requests = parse_batch(batch, config.max_message_bytes, config.max_request_bytes)
    except Malformed:
        return None
    if batch_digest([request_digest(m) for m in requests]) != digest:
        return None
    senders: set[int] = set()
    for packed in packed_prepares:
        prepare = decode(unpack(packed), config.max_message_bytes)
        if (
            prepare.type != PREPARE
            or prepare.body != [prepared_view, seq, digest]
            or prepare.sender == pre_prepare.sender
            or not 0 <= prepare.sender < config.n
            or prepare.sender in senders
            or not authentic(prepare)
        ):
            return None
        senders.add(prepare.sender)
    if len(senders) < config.quorum - 1:
        return None
    return seq, Proposal(prepared_view, digest, batch)


def verify_view_change(
    msg: Message, config: ProtocolConfig, authentic: Authenticator
) -> VerifiedViewChange | None:
    """Check a VIEW-CHANGE: its checkpoint proof and every prepared certificate
    (Castro & Liskov (1999), Sec. 4.4).  None if anything in it is invalid; raises
    ``Malformed`` on an undecodable nested frame."""
    view, checkpoint_seq, packed_proof, certificates = msg.body
    if view == 0:
        return None
    proof = [unpack(p) for p in packed_proof]
    digest: str | None
    if checkpoint_seq == 0:
        if proof:
            return None
        digest = genesis_digest()
    else:
        digest = certified_digest(checkpoint_seq, proof, config, authentic)
        if digest is None:
            return None
    prepared: dict[int, Proposal] = {}
    for packed_pre_prepare, packed_prepares in certificates:
        checked = _verified_proposal(
            packed_pre_prepare, packed_prepares, view, checkpoint_seq, prepared, config, authentic
        )
        if checked is None:
            return None
        prepared[checked[0]] = checked[1]
    checkpoint = StableCheckpoint(checkpoint_seq, digest, proof)
    return VerifiedViewChange(msg.sender, view, checkpoint, prepared, msg.frame)


def view_to_join(requested: Mapping[int, int], replica_id: int, view: int, f: int) -> int | None:
    """The view to move to once ``f + 1`` other replicas asked for views above ``view``
    (``requested``: replica -> highest view it asked for): the lowest of those, since at
    least one correct replica wants it (Castro & Liskov (1999), Sec. 4.5.2)."""
    higher = sorted(v for r, v in requested.items() if r != replica_id and v > view)
    return higher[0] if len(higher) >= f + 1 else None


def choose_view_changes(
    received: Mapping[int, VerifiedViewChange], primary: int, quorum: int
) -> list[VerifiedViewChange]:
    """The set ``V`` of a NEW-VIEW: the new primary's own VIEW-CHANGE and those of the
    ``quorum - 1`` lowest other replica ids."""
    others = [received[r] for r in sorted(received) if r != primary]
    return [received[primary], *others[: quorum - 1]]


def new_view_proposals(
    view_changes: Iterable[VerifiedViewChange],
) -> tuple[VerifiedViewChange, list[tuple[int, str, list[str]]]]:
    """The set ``O`` of NEW-VIEW (Castro & Liskov (1999), Sec. 4.4).

    Returns the VIEW-CHANGE with the latest stable checkpoint (min-s; the first such
    one) and, for every sequence number in (min-s, max-s], ``(seq, digest, batch)`` of
    the prepared certificate with the highest view (highest digest on a tie), or the
    null request (:data:`~accord.consensus.messages.NULL_DIGEST`, empty batch).
    """
    view_changes = list(view_changes)
    latest = max(view_changes, key=lambda vc: vc.checkpoint.seq)
    min_s = latest.checkpoint.seq
    max_s = max((s for vc in view_changes for s in vc.prepared if s > min_s), default=min_s)
    proposals = []
    for seq in range(min_s + 1, max_s + 1):
        candidates = [vc.prepared[seq] for vc in view_changes if seq in vc.prepared]
        if candidates:
            best = max(candidates, key=lambda p: (p.view, p.digest))
            proposals.append((seq, best.digest, best.batch))
        else:
            proposals.append((seq, NULL_DIGEST, []))
    return latest, proposals


def new_view_pre_prepares(
    primary: int, view: int, proposals: list[tuple[int, str, list[str]]]
) -> list[list]:
    """The PRE-PREPARE bodies of ``O``: one per proposal, all in ``view``."""
    return [[PREPREPARE, primary, view, seq, digest, batch] for seq, digest, batch in proposals]


def new_view_body(
    primary: int, view: int, chosen: list[VerifiedViewChange], pre_prepares: list[bytes]
) -> list:
    """NEW-VIEW(view, V, O) from the chosen VIEW-CHANGEs and the sealed PRE-PREPAREs."""
    return [
        NEWVIEW,
        primary,
        view,
        [pack(vc.frame) for vc in chosen],
        [pack(p) for p in pre_prepares],
    ]


def verify_new_view(
    msg: Message, config: ProtocolConfig, authentic: Authenticator
) -> tuple[VerifiedViewChange, list[Message]] | None:
    """Check a NEW-VIEW from the primary of its view: ``quorum`` valid VIEW-CHANGEs for
    that view from distinct replicas, and an ``O`` equal to the one recomputed from them,
    each PRE-PREPARE signed by the primary.  Returns the VIEW-CHANGE with the latest
    checkpoint and the decoded PRE-PREPAREs; None if the NEW-VIEW is invalid."""
    view, packed_view_changes, packed_pre_prepares = msg.body
    view_changes = []
    senders: set[int] = set()
    for packed in packed_view_changes:
        view_change = decode(unpack(packed), config.max_message_bytes)
        if (
            view_change.type != VIEWCHANGE
            or view_change.body[0] != view
            or view_change.sender in senders
            or not 0 <= view_change.sender < config.n
            or not authentic(view_change)
        ):
            return None
        verified = verify_view_change(view_change, config, authentic)
        if verified is None:
            return None
        senders.add(view_change.sender)
        view_changes.append(verified)
    if len(view_changes) < config.quorum:
        return None
    latest, proposals = new_view_proposals(view_changes)
    pre_prepares = [decode(unpack(p), config.max_message_bytes) for p in packed_pre_prepares]
    if len(pre_prepares) != len(proposals) or any(
        p.type != PREPREPARE
        or p.sender != msg.sender
        or p.body != [view, seq, digest, batch]
        or not authentic(p)
        for p, (seq, digest, batch) in zip(pre_prepares, proposals, strict=True)
    ):
        return None
    return latest, pre_prepares
