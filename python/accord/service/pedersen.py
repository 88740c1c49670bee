"""Pedersen commitments on secp256k1 and a Schnorr proof of knowledge of an opening.

A commitment to ``v`` with blinding ``r`` is ``C = v G + r H`` (Pedersen (1991)):
perfectly hiding, and binding as long as nobody knows ``log_G H``.  ``G`` is the curve's
standard generator; ``H`` comes from :func:`hash_to_point` on a public label, so its
discrete logarithm is unknown to everyone ("nothing up the sleeve").  Commitments add:
``C(v1, r1) + C(v2, r2) = C(v1 + v2, r1 + r2)``.

:func:`prove_opening` is the Okamoto (1992) variant of Schnorr's (1991) protocol
for two generators, made non-interactive by Fiat & Shamir (1986) with a challenge
that hashes the context, the commitment and the prover's first message
(:func:`challenge`), so a proof made for one context does not verify in another.

All group arithmetic is coincurve's (libsecp256k1).  secp256k1 has cofactor 1, so
every point that parses lies in the prime-order group; the identity has no encoding
and is refused wherever a point is read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from coincurve import PublicKey

__all__ = [
    "GENERATOR_H_LABEL",
    "G",
    "H",
    "ORDER",
    "Commitment",
    "OpeningProof",
    "challenge",
    "commit",
    "hash_to_point",
    "negate",
    "point",
    "point_sum",
    "prove_opening",
    "random_scalar",
    "scalar_mul",
    "verify_opening",
    "verify_opening_proof",
]

#: The order ``n`` of secp256k1's group.
ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: The field prime ``p`` of secp256k1.
_P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
#: The label hashed to the second generator.
GENERATOR_H_LABEL = b"accord/pedersen/secp256k1/H"
_DOMAIN = b"accord/pedersen/v1\0"


def hash_to_point(label: bytes) -> PublicKey:
    """The point with x = SHA-256(label || counter) (a big-endian 4-byte counter from 0,
    the first x below p that is on the curve) and even y: try-and-increment (Boneh,
    Lynn & Shacham (2004), Sec. 3.2)."""
    for counter in range(1 << 16):
        x = int.from_bytes(hashlib.sha256(label + counter.to_bytes(4, "big")).digest(), "big")
        if x >= _P:
            continue
        if pow(x * x * x + 7, (_P - 1) // 2, _P) != 1:  # x^3 + 7 not a square: no point
            continue
        return PublicKey(b"\x02" + x.to_bytes(32, "big"))
    raise RuntimeError("hash_to_point found no point")  # probability 2**-65536


#: secp256k1's standard generator.
G = PublicKey.from_secret((1).to_bytes(32, "big"))
#: The second generator: :func:`hash_to_point` of :data:`GENERATOR_H_LABEL`.
H = hash_to_point(GENERATOR_H_LABEL)


def random_scalar() -> int:
    """A uniform nonzero scalar from the operating system's CSPRNG."""
    return secrets.randbelow(ORDER - 1) + 1


def _scalar_bytes(k: int) -> bytes:
    return (k % ORDER).to_bytes(32, "big")


def negate(p: PublicKey) -> PublicKey:
    b = p.format()
    return PublicKey(bytes([b[0] ^ 1]) + b[1:])


def scalar_mul(p: PublicKey, k: int) -> PublicKey | None:
    """k p, or ``None`` for the identity (k = 0 mod n)."""
    k %= ORDER
    if k == 0:
        return None
    if p is G:
        return PublicKey.from_secret(_scalar_bytes(k))
    return p.multiply(_scalar_bytes(k))


def point_sum(points: Iterable[PublicKey | None]) -> PublicKey | None:
    """The sum of points (``None`` is the identity), ``None`` when it is the identity."""
    acc: PublicKey | None = None
    for p in points:
        if p is None:
            continue
        if acc is None:
            acc = p
        elif acc.format() == negate(p).format():
            acc = None
        else:
            acc = PublicKey.combine_keys([acc, p])
    return acc


def _encode(p: PublicKey | None) -> bytes:
    return b"\x00" if p is None else p.format()


def point(data: bytes, name: str = "point") -> PublicKey:
    """A compressed secp256k1 point (33 bytes); ``ValueError`` naming ``name`` for bytes
    that are not one (wrong length, not on the curve, or the identity)."""
    if not isinstance(data, (bytes, bytearray)) or len(data) != 33:
        raise ValueError(f"{name} must be 33 bytes (a compressed secp256k1 point)")
    try:
        return PublicKey(bytes(data))
    except ValueError:
        raise ValueError(f"{name} is not a point of secp256k1") from None


def challenge(context: bytes, *parts: bytes) -> int:
    """The Fiat-Shamir challenge: SHA-256 of the domain tag, the context and the parts,
    each prefixed by its 4-byte length, reduced mod n."""
    h = hashlib.sha256(_DOMAIN)
    for part in (context, *parts):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return int.from_bytes(h.digest(), "big") % ORDER


def _check_scalar(v: int, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be an int, not {type(v).__name__}")
    if not 0 <= v < ORDER:
        raise ValueError(f"{name} must be in [0, n) with n the order of secp256k1")
    return v


@dataclass(frozen=True)
class Commitment:
    """A Pedersen commitment ``v G + r H``: its compressed point (33 bytes)."""

    data: bytes

    def __post_init__(self) -> None:
        point(self.data, "commitment")

    @property
    def point(self) -> PublicKey:
        return PublicKey(self.data)

    def __add__(self, other: Commitment) -> Commitment:
        s = point_sum([self.point, other.point])
        if s is None:
            raise ValueError("the sum of the commitments is the identity")
        return Commitment(s.format())

    def __sub__(self, other: Commitment) -> Commitment:
        s = point_sum([self.point, negate(other.point)])
        if s is None:
            raise ValueError("the difference of the commitments is the identity")
        return Commitment(s.format())

    def hex(self) -> str:
        return self.data.hex()


def commit(value: int, blinding: int | None = None) -> tuple[Commitment, int]:
    """``(C, r)`` with ``C = value G + r H``; ``r`` drawn at random unless given.

    ``value`` and ``blinding`` are scalars in ``[0, n)``; ``blinding`` must be nonzero
    (a zero blinding would reveal the value)."""
    _check_scalar(value, "value")
    r = random_scalar() if blinding is None else _check_scalar(blinding, "blinding")
    if r == 0:
        raise ValueError("blinding must be nonzero")
    c = point_sum([scalar_mul(G, value), scalar_mul(H, r)])
    if c is None:  # value G = -r H: would reveal log_G H
        raise ValueError("the commitment is the identity; use another blinding")
    return Commitment(c.format()), r


def verify_opening(commitment: Commitment, value: int, blinding: int) -> bool:
    """Whether ``(value, blinding)`` opens ``commitment``."""
    try:
        _check_scalar(value, "value")
        _check_scalar(blinding, "blinding")
    except (TypeError, ValueError):
        return False
    c = point_sum([scalar_mul(G, value), scalar_mul(H, blinding)])
    return c is not None and c.format() == commitment.data


@dataclass(frozen=True)
class OpeningProof:
    """Proof of knowledge of ``(v, r)`` with ``C = v G + r H``: first message ``T`` and
    responses ``s1 = a + e v``, ``s2 = b + e r`` (mod n)."""

    t: bytes
    s1: int
    s2: int

    def to_json(self) -> dict[str, str]:
        return {"t": self.t.hex(), "s1": f"{self.s1:064x}", "s2": f"{self.s2:064x}"}

    @classmethod
    def from_json(cls, d: dict[str, str]) -> OpeningProof:
        try:
            return cls(bytes.fromhex(d["t"]), int(d["s1"], 16), int(d["s2"], 16))
        except (KeyError, TypeError, ValueError):
            raise ValueError("an opening proof is {t, s1, s2} in hex") from None


def prove_opening(
    commitment: Commitment, value: int, blinding: int, context: bytes
) -> OpeningProof:
    """A non-interactive proof that the prover knows an opening of ``commitment``,
    bound to ``context`` (who proves, for which instance)."""
    if not verify_opening(commitment, value, blinding):
        raise ValueError("(value, blinding) does not open the commitment")
    a, b = random_scalar(), random_scalar()
    t = point_sum([scalar_mul(G, a), scalar_mul(H, b)])
    assert t is not None  # a G = -b H with probability 1/n
    tb = t.format()
    e = challenge(context, b"opening", commitment.data, tb)
    return OpeningProof(tb, (a + e * value) % ORDER, (b + e * blinding) % ORDER)


def verify_opening_proof(commitment: Commitment, proof: OpeningProof, context: bytes) -> bool:
    """Checks ``s1 G + s2 H == T + e C`` with ``e`` the challenge of ``context``."""
    if not (0 <= proof.s1 < ORDER and 0 <= proof.s2 < ORDER):
        return False
    try:
        t = point(proof.t, "t")
    except ValueError:
        return False
    e = challenge(context, b"opening", commitment.data, proof.t)
    left = point_sum([scalar_mul(G, proof.s1), scalar_mul(H, proof.s2)])
    right = point_sum([t, scalar_mul(commitment.point, e)])
    return _encode(left) == _encode(right) and left is not None
