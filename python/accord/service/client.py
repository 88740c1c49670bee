"""The client side of the service: sealed bids, certificates, and a simulated cluster.

* :func:`sealed_bid` -- a bidder's commit and reveal operations for one bid;
* :func:`certificate_of` -- the quorum certificate from the replicas' endorsements of
  an outcome (checked together, then one by one if that fails, so a withheld or
  wrong share is left out);
* :func:`sim_cluster` -- a :class:`~accord.consensus.simnet.SimCluster` running the
  service: replicas with BLS keys endorsing outcomes, clients that wait for a quorum of
  endorsements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..consensus.config import ProtocolConfig
from ..consensus.simnet import SimCluster
from .bls import BlsKey, QuorumCertificate, certify, quorum
from .hash_commit import hash_commit
from .machine import check_endorsements, endorser, service_machine, validate_service_op
from .pedersen import commit
from .range_proof import prove_range
from .sealed_bid import commit_context
from .signing import AgentKey

__all__ = ["SealedBid", "certificate_of", "replica_keys", "sealed_bid", "sim_cluster"]


@dataclass(frozen=True)
class SealedBid:
    """A bidder's two operations: ``commit`` (signed, hides the bid) and ``reveal``."""

    commit: dict[str, Any]
    reveal: dict[str, Any]


def sealed_bid(
    key: AgentKey, auction: str, bid: Any, scheme: str = "hash", bits: int = 32
) -> SealedBid:
    """The commit and reveal operations of ``key.agent``'s ``bid`` in ``auction``:
    a hash commitment with a fresh salt, or a Pedersen commitment with a range proof
    for ``[0, 2**bits)`` (``bid`` an int)."""
    context = commit_context(auction, key.agent)
    base: dict[str, Any] = {"auction": auction, "agent": key.agent}
    if scheme == "hash":
        c, salt = hash_commit(bid, context)
        op: dict[str, Any] = {"op": "auction_commit", **base, "commitment": c.hex()}
        opening = salt.hex()
    elif scheme == "pedersen":
        pc, r = commit(bid)
        proof = prove_range(pc, bid, r, bits, context)
        op = {"op": "auction_commit", **base, "commitment": pc.hex(), "proof": proof.to_json()}
        opening = r.to_bytes(32, "big").hex()
    else:
        raise ValueError("scheme must be 'hash' or 'pedersen'")
    reveal = {"op": "auction_reveal", **base, "bid": bid, "opening": opening}
    return SealedBid(key.sign(op), reveal)


def certificate_of(
    result: Mapping[str, Any],
    endorsements: Mapping[int, str],
    public_keys: Sequence[bytes],
    checked: bool = False,
) -> QuorumCertificate:
    """The certificate of ``result["outcome"]`` from the valid endorsements among
    ``endorsements`` (replica -> hex signature); ``ValueError`` without a quorum.
    ``checked=True`` skips checking them again: they are the ones a client's
    ``check_endorsements`` accepted."""
    if checked:
        good = set(endorsements)
    else:
        good = check_endorsements(public_keys)(result, endorsements)
    valid = {r: bytes.fromhex(e) for r, e in endorsements.items() if r in good}
    need = quorum(len(public_keys))
    if len(valid) < need:
        raise ValueError(f"{len(valid)} valid endorsements; a certificate needs {need}")
    return certify(dict(sorted(valid.items())[:need]))


def replica_keys(n: int, seed: bytes | None = None) -> list[BlsKey]:
    """BLS keys for replicas ``0..n-1`` (derived from ``seed`` when given)."""
    return [
        BlsKey.generate(None if seed is None else seed.ljust(32, b"\0") + bytes([r]))
        for r in range(n)
    ]


def sim_cluster(
    config: ProtocolConfig,
    keys: Sequence[BlsKey],
    clients: int = 1,
    seed: int = 0,
    **options: Any,
) -> SimCluster:
    """A simulated cluster running the service; replica ``r`` endorses with
    ``keys[r]``.  ``options`` go to :class:`~accord.consensus.simnet.SimCluster`."""
    if len(keys) != config.n:
        raise ValueError(f"keys: need one BLS key per replica ({config.n}), got {len(keys)}")
    publics = [k.public for k in keys]
    return SimCluster(
        config,
        clients=clients,
        seed=seed,
        machine=service_machine(publics),
        endorser=lambda r: endorser(keys[r]),
        client_options={
            "validate": validate_service_op,
            "endorsements": quorum(config.n),
            "check_endorsements": check_endorsements(publics),
        },
        **options,
    )
