"""``service.toml``: a PBFT cluster (``cluster.toml``) plus its replicas' BLS keys.

A service directory holds the cluster file of :mod:`accord.consensus.cluster_config`
and, beside it::

    # service.toml
    cluster = "cluster.toml"

    [[replica]]          # one per replica of the cluster
    id = 0
    bls_public = "<96 hex digits: the BLS12-381 G1 public key>"

Replica ``r``'s BLS secret is ``key_dir/replica-<r>.bls`` (JSON ``{"id",
"bls_secret"}``, mode 0600), next to its PBFT keys.  The public keys are what a third
party needs to check a quorum certificate offline.  Agents keep their Ed25519 keys in
files of the same kind (:func:`write_agent_key`, ``accord service keygen``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ..consensus.cluster_config import (
    CLUSTER_FILE,
    ClusterConfig,
    _toml_loads,
    generate_cluster,
    load_cluster,
    read_private_file,
    write_private_file,
)
from .bls import BlsKey, parse_public_key
from .ops import MAX_ID_CHARS
from .signing import AgentKey

__all__ = [
    "SERVICE_FILE",
    "ServiceConfig",
    "generate_service",
    "load_service",
    "read_agent_key",
    "write_agent_key",
]

SERVICE_FILE = "service.toml"


@dataclass
class ServiceConfig:
    """A loaded ``service.toml``: the cluster and the replicas' BLS public keys."""

    cluster: ClusterConfig
    certificate_keys: tuple[bytes, ...]
    path: Path
    _keys: dict[int, BlsKey] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.cluster.n

    def bls_path(self, replica_id: int) -> Path:
        return self.cluster.key_dir / f"replica-{replica_id}.bls"

    def bls_key(self, replica_id: int) -> BlsKey:
        """Replica ``replica_id``'s BLS key, read and checked against ``service.toml``."""
        if not 0 <= replica_id < self.n:
            raise ValueError(f"{self.path}: no replica {replica_id}; ids are 0..{self.n - 1}")
        key = self._keys.get(replica_id)
        if key is not None:
            return key
        path = self.bls_path(replica_id)
        text = read_private_file(path, "copy it there or run `accord service init`")
        try:
            d = json.loads(text)
            if d["id"] != replica_id:
                raise ValueError(f"it belongs to replica {d['id']}")
            key = BlsKey.from_bytes(bytes.fromhex(d["bls_secret"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f'key file {path}: expected JSON {{"id", "bls_secret"}} (64 hex digits); {exc}'
            ) from None
        if key.public != self.certificate_keys[replica_id]:
            raise ValueError(
                f"{path}: this BLS secret does not match replica {replica_id}'s bls_public "
                f"in {self.path}; regenerate with `accord service init --force`"
            )
        self._keys[replica_id] = key
        return key


def generate_service(
    directory: str | os.PathLike,
    n: int = 4,
    clients: int = 8,
    seed: bytes | None = None,
    force: bool = False,
    **cluster_options,
) -> Path:
    """Write ``DIR/cluster.toml`` (:func:`~accord.consensus.cluster_config.generate_cluster`
    with ``cluster_options``), the replicas' BLS keys and ``DIR/service.toml``; return
    the service file.  ``seed`` makes every key deterministic (tests only)."""
    d = Path(directory)
    if (d / SERVICE_FILE).exists() and not force:
        raise ValueError(
            f"{d / SERVICE_FILE} exists; choose another directory or pass --force to "
            "overwrite it (and its keys)"
        )
    cluster = load_cluster(
        generate_cluster(d, n=n, clients=clients, seed=seed, force=force, **cluster_options)
    )
    lines = ["# written by `accord service init`", f'cluster = "{CLUSTER_FILE}"']
    for r in range(n):
        key = BlsKey.generate(None if seed is None else seed.ljust(32, b"\0") + b"bls" + bytes([r]))
        secret = json.dumps({"id": r, "bls_secret": key.secret_bytes.hex()})
        write_private_file(cluster.key_dir / f"replica-{r}.bls", secret + "\n")
        lines += ["", "[[replica]]", f"id = {r}", f'bls_public = "{key.public.hex()}"']
    path = d / SERVICE_FILE
    path.write_text("\n".join(lines) + "\n")
    return path


def load_service(path: str | os.PathLike) -> ServiceConfig:
    """Read ``service.toml`` (``path`` is the file or its directory) and its cluster."""
    path = Path(path)
    if path.is_dir():
        path = path / SERVICE_FILE
    if not path.exists():
        raise ValueError(f"no service file {path}; write one with `accord service init DIR`")
    doc = _toml_loads(path.read_text(), str(path))
    name = doc.get("cluster", CLUSTER_FILE)
    if not isinstance(name, str):
        raise ValueError(f"{path}: cluster must be the cluster file's path; got {name!r}")
    cluster = load_cluster(path.parent / name)
    entries = doc.get("replica")
    if not isinstance(entries, list) or len(entries) != cluster.n:
        raise ValueError(
            f"{path}: needs one [[replica]] per replica of {name} ({cluster.n}); "
            f"got {len(entries) if isinstance(entries, list) else 0}"
        )
    keys: dict[int, bytes] = {}
    for k, e in enumerate(entries):
        where = f"{path}: replica entry {k}"
        rid = e.get("id") if isinstance(e, dict) else None
        if type(rid) is not int or not 0 <= rid < cluster.n or rid in keys:
            raise ValueError(f"{where}: id must be a distinct integer in 0..{cluster.n - 1}")
        try:
            keys[rid] = bytes(
                parse_public_key(bytes.fromhex(e.get("bls_public", "")), "bls_public")
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: bls_public must be 96 hex digits; {exc}") from None
    return ServiceConfig(cluster, tuple(keys[r] for r in range(cluster.n)), path)


def write_agent_key(path: str | os.PathLike, key: AgentKey) -> None:
    """Save an agent's name and Ed25519 secret (JSON, mode 0600)."""
    raw = key.secret.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    write_private_file(Path(path), json.dumps({"agent": key.agent, "secret": raw.hex()}) + "\n")


def read_agent_key(path: str | os.PathLike) -> AgentKey:
    """An agent key saved by :func:`write_agent_key`."""
    text = read_private_file(path, "make one with `accord service keygen AGENT FILE`")
    try:
        d = json.loads(text)
        agent, raw = d["agent"], bytes.fromhex(d["secret"])
        if not isinstance(agent, str) or not 1 <= len(agent) <= MAX_ID_CHARS or "/" in agent:
            raise ValueError(f"agent must be 1 to {MAX_ID_CHARS} characters without '/'")
        return AgentKey(agent, Ed25519PrivateKey.from_private_bytes(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f'agent key file {path}: expected JSON {{"agent", "secret"}} (64 hex digits); {exc}'
        ) from None
