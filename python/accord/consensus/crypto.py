"""Keys and message authentication for the PBFT service.

Castro & Liskov (1999), Sec. 5.2, authenticate the normal case with MACs and the
view change with signatures (Castro & Liskov (2002) do without signatures
altogether).  accord offers two modes:

* ``"ed25519"``: every message carries an Ed25519 signature of its sender;
* ``"hmac"``: messages that never leave the pair that exchanged them (requests,
  replies, COMMIT, FETCH) carry HMAC-SHA256 tags; messages that third parties must
  verify later, because they end up in certificates (PRE-PREPARE, PREPARE,
  CHECKPOINT, VIEW-CHANGE, NEW-VIEW, state transfer), are signed, as in Castro & Liskov (1999).

A client request carries an *authenticator*: one tag per replica, so that every
replica can check a request that the primary relays inside a PRE-PREPARE.
Pairwise MAC keys come from X25519 key agreement and HKDF (``cryptography``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

AUTH_MODES = ("ed25519", "hmac")
SIG_BYTES = 64
MAC_BYTES = 16
#: Client identifiers start here; replicas are ``0 .. n-1``.
CLIENT_BASE = 1_000_000


def _raw_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class Identity:
    """A principal's secret keys: Ed25519 for signing, X25519 for MAC key agreement."""

    id: int
    sign_secret: bytes
    dh_secret: bytes

    @classmethod
    def generate(cls, id: int, seed: bytes | None = None) -> Identity:
        """New keys; with ``seed`` (any bytes) they are derived deterministically."""
        if seed is None:
            s = _raw_private(Ed25519PrivateKey.generate())
            x = _raw_private(X25519PrivateKey.generate())
        else:
            s = hashlib.sha256(b"accord-sign\0" + seed + id.to_bytes(8, "big")).digest()
            x = hashlib.sha256(b"accord-dh\0" + seed + id.to_bytes(8, "big")).digest()
        return cls(id, s, x)

    def public(self) -> PublicKeys:
        return PublicKeys(
            _raw_public(Ed25519PrivateKey.from_private_bytes(self.sign_secret).public_key()),
            _raw_public(X25519PrivateKey.from_private_bytes(self.dh_secret).public_key()),
        )


@dataclass(frozen=True)
class PublicKeys:
    """A principal's public keys (32 raw bytes each)."""

    sign: bytes
    dh: bytes


@dataclass
class Keyring:
    """What one principal needs to authenticate messages: its identity and the
    public keys of every other principal.  Signature checks and MAC keys are cached.
    """

    identity: Identity
    publics: dict[int, PublicKeys]
    _signer: Ed25519PrivateKey = field(init=False, repr=False)
    _dh: X25519PrivateKey = field(init=False, repr=False)
    _verifiers: dict[int, Ed25519PublicKey] = field(default_factory=dict, repr=False)
    _macs: dict[int, bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._signer = Ed25519PrivateKey.from_private_bytes(self.identity.sign_secret)
        self._dh = X25519PrivateKey.from_private_bytes(self.identity.dh_secret)

    @property
    def id(self) -> int:
        return self.identity.id

    def sign(self, data: bytes) -> bytes:
        return self._signer.sign(data)

    def verify(self, sender: int, data: bytes, signature: bytes) -> bool:
        v = self._verifiers.get(sender)
        if v is None:
            pub = self.publics.get(sender)
            if pub is None:
                return False
            v = self._verifiers[sender] = Ed25519PublicKey.from_public_bytes(pub.sign)
        try:
            v.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def mac_key(self, peer: int) -> bytes | None:
        k = self._macs.get(peer)
        if k is None:
            pub = self.publics.get(peer)
            if pub is None:
                return None
            shared = self._dh.exchange(X25519PublicKey.from_public_bytes(pub.dh))
            lo, hi = sorted((self.id, peer))
            info = b"accord-pbft-mac\0" + lo.to_bytes(8, "big") + hi.to_bytes(8, "big")
            k = HKDF(hashes.SHA256(), 32, None, info).derive(shared)
            self._macs[peer] = k
        return k

    def mac(self, peer: int, data: bytes) -> bytes:
        key = self.mac_key(peer)
        if key is None:
            raise KeyError(f"no public key for principal {peer}")
        return hmac.digest(key, data, "sha256")[:MAC_BYTES]

    def check_mac(self, peer: int, data: bytes, tag: bytes) -> bool:
        key = self.mac_key(peer)
        if key is None:
            return False
        return hmac.compare_digest(hmac.digest(key, data, "sha256")[:MAC_BYTES], tag)

    def authenticator(self, replicas: int, data: bytes) -> bytes:
        """One MAC per replica ``0 .. replicas-1`` (Castro & Liskov (1999), Sec. 5.2)."""
        return b"".join(self.mac(r, data) for r in range(replicas))


def cluster_identities(n: int, clients: int, seed: bytes | None = None) -> list[Identity]:
    """Identities for replicas ``0..n-1`` and clients ``CLIENT_BASE ..``."""
    ids = list(range(n)) + [CLIENT_BASE + c for c in range(clients)]
    return [Identity.generate(i, seed) for i in ids]


def keyrings(identities: list[Identity]) -> dict[int, Keyring]:
    """A keyring per identity, each knowing every public key (a trusted setup)."""
    publics = {ident.id: ident.public() for ident in identities}
    return {ident.id: Keyring(ident, publics) for ident in identities}
