"""BLS signatures on BLS12-381: aggregates, threshold keys and quorum certificates.

Signatures are the message-augmentation scheme of the IETF BLS draft (aggregates: Boneh,
Gentry, Lynn & Shacham (2003); augmentation: Bellare, Namprempre & Neven (2007);
``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_``) as implemented
by ``chia_rs`` (BLST): public keys in G1 (48 bytes), signatures in G2 (96 bytes).
Augmentation hashes the signer's public key with the message, so aggregates of many
signers over one message resist rogue-key attacks without proofs of possession.

*Threshold keys* (Boldyreva (2003)): a dealer shares the group secret by Shamir's
(1979) scheme over the scalar field; share ``i`` signs the message augmented with
the *group* key, and any ``t`` partial signatures combine by Lagrange interpolation in
the exponent, ``sigma = sum_i lambda_i sigma_i``, into the group key's ordinary
signature.  chia_rs offers group addition but not scalar multiplication of G2 points,
so :func:`_g2_multiply` composes it from additions (double and add).

A :class:`QuorumCertificate` is one aggregate signature of at least ``2f + 1`` of the
``n = 3f + 1`` replicas over an outcome (canonical JSON), verifiable offline by anyone
who holds the replicas' public keys (:func:`verify_certificate`).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chia_rs import AugSchemeMPL, G1Element, G2Element, PrivateKey

from ..consensus.ledger import JSONValue, canonical_json, json_problem

__all__ = [
    "CERTIFICATE_DOMAIN",
    "PUBLIC_KEY_BYTES",
    "SIGNATURE_BYTES",
    "SUBGROUP_ORDER",
    "BlsKey",
    "QuorumCertificate",
    "ThresholdKeys",
    "aggregate",
    "certificate_message",
    "certify",
    "combine_shares",
    "deal_threshold",
    "parse_public_key",
    "parse_signature",
    "quorum",
    "sign_share",
    "verify",
    "verify_certificate",
    "verify_share",
    "verify_shares",
]

#: The order r of BLS12-381's G1 and G2 subgroups (the scalar field).
SUBGROUP_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
PUBLIC_KEY_BYTES = 48
SIGNATURE_BYTES = 96
#: Domain-separation prefix of the messages that certificates sign.
CERTIFICATE_DOMAIN = b"accord/quorum-certificate/v1\0"
_IDENTITY_G1 = bytes(G1Element())


def parse_public_key(data: bytes, name: str = "public key") -> G1Element:
    """A G1 public key from its 48 bytes; ``ValueError`` naming ``name`` for bytes that
    are not a point of the subgroup, or the identity (which would verify anything)."""
    if not isinstance(data, (bytes, bytearray)) or len(data) != PUBLIC_KEY_BYTES:
        raise ValueError(f"{name} must be {PUBLIC_KEY_BYTES} bytes")
    if bytes(data) == _IDENTITY_G1:
        raise ValueError(f"{name} is the identity point")
    try:
        return _g1_point(bytes(data))
    except ValueError:
        raise ValueError(f"{name} is not a point of BLS12-381's G1 subgroup") from None


@functools.lru_cache(maxsize=1024)
def _g1_point(data: bytes) -> G1Element:
    """Decompress and subgroup-check a G1 point, once per distinct key: a cluster's
    replica keys are checked with every certificate, and the check costs about as
    much as a third of a pairing (invalid bytes raise and are not cached)."""
    return G1Element.from_bytes(data)


def parse_signature(data: bytes, name: str = "signature") -> G2Element:
    """A G2 signature from its 96 bytes (checked on the curve and in the subgroup)."""
    if not isinstance(data, (bytes, bytearray)) or len(data) != SIGNATURE_BYTES:
        raise ValueError(f"{name} must be {SIGNATURE_BYTES} bytes")
    try:
        return G2Element.from_bytes(bytes(data))
    except ValueError:
        raise ValueError(f"{name} is not a point of BLS12-381's G2 subgroup") from None


@dataclass(frozen=True)
class BlsKey:
    """A BLS secret key (kept as chia_rs's ``PrivateKey``) and its public key."""

    secret: PrivateKey

    @classmethod
    def generate(cls, seed: bytes | None = None) -> BlsKey:
        """IETF KeyGen from ``seed`` (at least 32 bytes; fresh CSPRNG bytes if omitted)."""
        if seed is None:
            seed = secrets.token_bytes(32)
        if not isinstance(seed, bytes) or len(seed) < 32:
            raise ValueError("seed must be at least 32 bytes")
        return cls(AugSchemeMPL.key_gen(seed))

    @classmethod
    def from_bytes(cls, secret: bytes) -> BlsKey:
        """The key whose secret scalar is ``secret`` (32 bytes, big-endian, below the
        group order), as :attr:`secret_bytes` gives it."""
        if not isinstance(secret, bytes) or len(secret) != 32:
            raise ValueError("a BLS secret key is 32 bytes")
        if int.from_bytes(secret, "big") >= SUBGROUP_ORDER:
            raise ValueError("a BLS secret key must be below the group order")
        return cls(PrivateKey.from_bytes(secret))

    @property
    def secret_bytes(self) -> bytes:
        return bytes(self.secret)

    @property
    def public(self) -> bytes:
        return bytes(self.secret.get_g1())

    def sign(self, message: bytes) -> bytes:
        return bytes(AugSchemeMPL.sign(self.secret, message))


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s signature of ``message``."""
    try:
        pk = parse_public_key(public_key)
        sig = parse_signature(signature)
    except ValueError:
        return False
    return bool(AugSchemeMPL.verify(pk, message, sig))


def aggregate(signatures: Sequence[bytes]) -> bytes:
    """The aggregate (sum) of signatures; ``ValueError`` for an empty list or bad bytes."""
    if not signatures:
        raise ValueError("signatures must not be empty")
    return bytes(
        AugSchemeMPL.aggregate(
            [parse_signature(s, f"signatures[{k}]") for k, s in enumerate(signatures)]
        )
    )


# ----------------------------------------------------------------------------- threshold


@dataclass(frozen=True)
class ThresholdKeys:
    """A ``threshold``-of-``n`` sharing: the group public key, share ``i``'s secret
    (``shares[i - 1]``, evaluation point ``i``) and its verification key."""

    threshold: int
    group_public: bytes
    shares: tuple[PrivateKey, ...]
    verification_keys: tuple[bytes, ...]


def _seeded_scalars(seed: bytes, count: int) -> list[int]:
    out = []
    for k in range(count):
        h = hashlib.sha512(b"accord/threshold/v1\0" + seed + k.to_bytes(4, "big")).digest()
        out.append(int.from_bytes(h, "big") % SUBGROUP_ORDER)
    return out


def deal_threshold(threshold: int, n: int, seed: bytes | None = None) -> ThresholdKeys:
    """A trusted dealer's Shamir sharing of a fresh group secret: a random polynomial
    ``f`` of degree ``threshold - 1`` over the scalar field, group secret ``f(0)``,
    share ``i`` = ``f(i)`` for ``i = 1..n``.  ``seed`` makes it deterministic (tests)."""
    for name, v in (("threshold", threshold), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int")
    if not 1 <= threshold <= n:
        raise ValueError(f"need 1 <= threshold <= n, got threshold={threshold}, n={n}")
    if seed is None:
        coeffs = [secrets.randbelow(SUBGROUP_ORDER) for _ in range(threshold)]
    else:
        coeffs = _seeded_scalars(seed, threshold)
    coeffs[0] = coeffs[0] or 1

    def f(x: int) -> int:
        acc = 0
        for c in reversed(coeffs):
            acc = (acc * x + c) % SUBGROUP_ORDER
        return acc

    group = PrivateKey.from_bytes(coeffs[0].to_bytes(32, "big"))
    shares = tuple(PrivateKey.from_bytes(f(i).to_bytes(32, "big")) for i in range(1, n + 1))
    return ThresholdKeys(
        threshold,
        bytes(group.get_g1()),
        shares,
        tuple(bytes(s.get_g1()) for s in shares),
    )


def sign_share(share: PrivateKey, group_public: bytes, message: bytes) -> bytes:
    """Share's partial signature of ``message``, augmented with the group key."""
    return bytes(AugSchemeMPL.sign(share, message, parse_public_key(group_public)))


def verify_share(
    verification_key: bytes, group_public: bytes, message: bytes, partial: bytes
) -> bool:
    """Checks ``e(vk_i, H(PK || m)) = e(g1, sigma_i)``: a share's partial signature."""
    try:
        vk = parse_public_key(verification_key)
        pk = parse_public_key(group_public, "group public key")
        sig = parse_signature(partial)
    except ValueError:
        return False
    h = AugSchemeMPL.g2_from_message(bytes(pk) + message)
    return bool(vk.pair(h) == G1Element.generator().pair(sig))


def _lagrange_at_zero(points: Sequence[int]) -> list[int]:
    out = []
    for i in points:
        num = den = 1
        for j in points:
            if j != i:
                num = num * j % SUBGROUP_ORDER
                den = den * (j - i) % SUBGROUP_ORDER
        out.append(num * pow(den, -1, SUBGROUP_ORDER) % SUBGROUP_ORDER)
    return out


def _g2_multiply(p: G2Element, k: int) -> G2Element:
    """k p by double and add over chia_rs's G2 addition (most significant bit first)."""
    acc = G2Element()
    for bit in bin(k % SUBGROUP_ORDER)[2:]:
        acc = acc + acc
        if bit == "1":
            acc = acc + p
    return acc


def combine_shares(partials: Mapping[int, bytes], threshold: int) -> bytes:
    """The group signature from ``threshold`` partial signatures ``{i: sigma_i}``
    (``i`` the share's evaluation point, 1-based); extra partials are ignored (the
    lowest points are used).  Check partials with :func:`verify_share` first: one bad
    partial makes the result invalid."""
    points = sorted(partials)
    if len(points) < threshold:
        raise ValueError(f"need {threshold} partial signatures, got {len(points)}")
    if any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in points):
        raise ValueError("partials must be keyed by share index 1..n")
    points = points[:threshold]
    acc = G2Element()
    for i, lam in zip(points, _lagrange_at_zero(points), strict=True):
        acc = acc + _g2_multiply(parse_signature(partials[i], f"partials[{i}]"), lam)
    return bytes(acc)


# ----------------------------------------------------------------------------- certificates


def quorum(n: int) -> int:
    """``2f + 1`` with ``f = (n - 1) // 3``: the signers a certificate needs."""
    return 2 * ((n - 1) // 3) + 1


def certificate_message(outcome: JSONValue) -> bytes:
    """The bytes a certificate signs: the domain tag and the outcome's canonical JSON."""
    problem = json_problem(outcome, "outcome")
    if problem is not None:
        raise ValueError(problem)
    return CERTIFICATE_DOMAIN + canonical_json(outcome).encode("utf-8")


@dataclass(frozen=True)
class QuorumCertificate:
    """Replicas ``signers`` (increasing ids) and their aggregate signature."""

    signers: tuple[int, ...]
    signature: bytes

    def to_json(self) -> dict[str, object]:
        return {"signers": list(self.signers), "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> QuorumCertificate:
        try:
            signers = d["signers"]
            sig = d["signature"]
            if not isinstance(signers, list) or not isinstance(sig, str):
                raise TypeError
            return cls(tuple(int(s) for s in signers), bytes.fromhex(sig))
        except (KeyError, TypeError, ValueError):
            raise ValueError("a certificate is {signers: [int], signature: hex}") from None


def certify(shares: Mapping[int, bytes]) -> QuorumCertificate:
    """A certificate from the replicas' signatures ``{replica: signature}`` of
    :func:`certificate_message` (check them first with :func:`verify_shares`)."""
    signers = tuple(sorted(shares))
    return QuorumCertificate(signers, aggregate([shares[r] for r in signers]))


def verify_shares(
    message: bytes, shares: Mapping[int, bytes], public_keys: Sequence[bytes]
) -> set[int]:
    """The replicas among ``shares`` (replica -> its signature of ``message``) whose
    signatures verify under ``public_keys``.

    The shares are checked together first: their aggregate against the signers'
    augmented messages costs ``k + 1`` Miller loops and one final exponentiation,
    against ``2k`` and ``k`` for one by one.  Only when that fails is each checked
    alone, to leave out the bad ones.  An aggregate that verifies holds the signature
    of every honest signer in it (aggregate unforgeability: Boneh, Gentry, Lynn &
    Shacham (2003)), which is all a certificate made of these shares attests; faulty
    signers' shares may cancel each other inside it, never forge an honest one's.
    """
    parsed: dict[int, tuple[G1Element, G2Element]] = {}
    for r, sig in shares.items():
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < len(public_keys):
            continue
        try:
            parsed[r] = (parse_public_key(public_keys[r]), parse_signature(sig))
        except ValueError:
            continue
    if len(parsed) > 1:
        pks = [pk for pk, _ in parsed.values()]
        total = AugSchemeMPL.aggregate([sig for _, sig in parsed.values()])
        if AugSchemeMPL.aggregate_verify(pks, [message] * len(pks), total):
            return set(parsed)
    return {r for r, (pk, sig) in parsed.items() if AugSchemeMPL.verify(pk, message, sig)}


def verify_certificate(
    outcome: JSONValue, certificate: QuorumCertificate, public_keys: Sequence[bytes]
) -> bool:
    """Whether ``certificate`` holds signatures of ``outcome`` by at least ``2f + 1``
    distinct replicas of the cluster whose keys are ``public_keys`` (replica ``r``'s at
    index ``r``).  Works offline: nothing but the outcome, the certificate and the keys."""
    signers = certificate.signers
    n = len(public_keys)
    if len(set(signers)) != len(signers) or len(signers) < quorum(n):
        return False
    if any(isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < n for r in signers):
        return False
    try:
        message = certificate_message(outcome)
        pks = [parse_public_key(public_keys[r], f"public_keys[{r}]") for r in signers]
        sig = parse_signature(certificate.signature)
    except ValueError:
        return False
    return bool(AugSchemeMPL.aggregate_verify(pks, [message] * len(pks), sig))
