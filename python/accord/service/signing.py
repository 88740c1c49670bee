"""Agents' signatures on their operations (Ed25519, RFC 8032, through ``cryptography``).

An agent registers its public key with the service once; every operation it makes
afterwards (opening an auction, committing a bid, submitting a position, proposing a
division) carries ``signature``: its Ed25519 signature of :func:`signed_bytes`, the
domain tag and the canonical JSON of the operation without the signature.  Replicas
check it before anything else, and an auditor can check it again from the ledger: the
PBFT request's own authenticator (a MAC in the default mode) convinces only the
replicas.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..consensus.ledger import canonical_json

__all__ = ["OP_DOMAIN", "AgentKey", "check_signature", "signed_bytes"]

#: Domain-separation tag of signed operations.
OP_DOMAIN = b"accord/service/op/v1\0"


def signed_bytes(op: Mapping[str, Any]) -> bytes:
    """What an agent signs: the tag and the canonical JSON of ``op`` less ``signature``."""
    body = {k: v for k, v in op.items() if k != "signature"}
    return OP_DOMAIN + canonical_json(body).encode("utf-8")


@dataclass(frozen=True)
class AgentKey:
    """An agent's name and Ed25519 key."""

    agent: str
    secret: Ed25519PrivateKey

    @classmethod
    def generate(cls, agent: str, seed: bytes | None = None) -> AgentKey:
        """A fresh key, or one derived from ``seed`` (tests and benchmarks)."""
        if seed is None:
            return cls(agent, Ed25519PrivateKey.generate())
        digest = hashlib.sha256(b"accord/agent-key\0" + seed + agent.encode()).digest()
        return cls(agent, Ed25519PrivateKey.from_private_bytes(digest))

    @property
    def public(self) -> str:
        """The public key as 64 hex characters (what ``register`` takes)."""
        return self.secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def sign(self, op: Mapping[str, Any]) -> dict[str, Any]:
        """``op`` with ``signature`` (hex) added."""
        return {**op, "signature": self.secret.sign(signed_bytes(op)).hex()}


def check_signature(public: Ed25519PublicKey, op: Mapping[str, Any]) -> bool:
    """Whether ``op["signature"]`` is ``public``'s signature of :func:`signed_bytes`."""
    sig = op.get("signature")
    if not isinstance(sig, str) or len(sig) != 128:
        return False
    try:
        public.verify(bytes.fromhex(sig), signed_bytes(op))
    except (InvalidSignature, ValueError):
        return False
    return True
