"""Hash commitments: ``SHA-256(domain || context || salt || canonical JSON of the value)``.

Binding as SHA-256 is collision resistant, hiding as the 256-bit salt is secret until
the reveal (Halevi & Micali (1996), for commitments from hash functions).
Every field is length-prefixed (4 bytes, big-endian), the value is encoded by
:func:`accord.consensus.ledger.canonical_json`, so equal values give equal bytes on
every machine, and the context (the instance and the committer) makes a commitment
useless anywhere else: a copied commitment does not open for another bidder.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..consensus.ledger import JSONValue, canonical_json, json_problem

__all__ = ["HASH_DOMAIN", "SALT_BYTES", "hash_commit", "verify_hash_commit"]

#: Domain-separation tag of the commitments.
HASH_DOMAIN = b"accord/hash-commitment/v1\0"
#: Length of the salt.
SALT_BYTES = 32


def _digest(value: JSONValue, salt: bytes, context: bytes) -> bytes:
    h = hashlib.sha256(HASH_DOMAIN)
    for part in (context, salt, canonical_json(value).encode("utf-8")):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.digest()


def hash_commit(value: JSONValue, context: bytes, salt: bytes | None = None) -> tuple[bytes, bytes]:
    """``(commitment, salt)``: the 32-byte commitment to ``value`` (a JSON value) in
    ``context``, and the salt to reveal with it (fresh from the CSPRNG unless given)."""
    problem = json_problem(value, "value")
    if problem is not None:
        raise ValueError(problem)
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    elif not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes")
    return _digest(value, salt, context), salt


def verify_hash_commit(commitment: bytes, value: JSONValue, salt: bytes, context: bytes) -> bool:
    """Whether ``(value, salt)`` opens ``commitment`` in ``context``."""
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES or json_problem(value, "value"):
        return False
    return hmac.compare_digest(_digest(value, salt, context), commitment)
