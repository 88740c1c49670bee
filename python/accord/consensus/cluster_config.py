"""``cluster.toml``: addresses, public keys and protocol parameters of a PBFT cluster.

A cluster file names every principal and where its secrets live::

    key_dir = "keys"          # secret key files, relative to this file
    data_dir = "data"         # SQLite files of the replicas, relative to this file
    metrics_base_port = 9100  # optional: replica i serves /metrics and /status on 9100 + i

    [protocol]                # any field of ProtocolConfig
    n = 4
    batch_size = 64
    auth = "hmac"

    [[replica]]               # n entries, ids 0 .. n-1
    id = 0
    host = "127.0.0.1"
    port = 7000
    sign_public = "<64 hex digits: Ed25519 public key>"
    dh_public = "<64 hex digits: X25519 public key>"
    metrics_port = 9100       # optional: overrides metrics_base_port + id

    [[client]]                # ids >= CLIENT_BASE (1000000)
    id = 1000000
    sign_public = "..."
    dh_public = "..."

Each principal's secret keys are in ``key_dir/replica-<id>.key`` or
``key_dir/client-<id>.key``: JSON ``{"id", "sign_secret", "dh_secret"}`` (hex), or
the raw hex of ``sign_secret + dh_secret``, readable by its owner only (mode 0600).
:func:`generate_cluster` writes a cluster file and its keys (``accord pbft init``).

A replica with a metrics port serves its metrics (Prometheus text) and status (JSON)
over HTTP on the replica's host (:mod:`accord.consensus.metrics`, ``accord pbft status``).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from .config import ProtocolConfig
from .crypto import AUTH_MODES, CLIENT_BASE, Identity, Keyring, PublicKeys

__all__ = [
    "ClusterConfig",
    "ReplicaAddress",
    "free_ports",
    "generate_cluster",
    "load_cluster",
    "key_file_name",
]

CLUSTER_FILE = "cluster.toml"
_PROTOCOL_FIELDS = {f.name: f.type for f in fields(ProtocolConfig)}


def _toml_loads(text: str, source: str) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise RuntimeError(
                f"reading {source} needs a TOML parser: Python >= 3.11 has tomllib; on "
                "Python 3.10 install it with `pip install tomli`"
            ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None


@dataclass(frozen=True)
class ReplicaAddress:
    """Where replica ``id`` listens, and its public keys."""

    id: int
    host: str
    port: int
    publics: PublicKeys
    metrics_port: int | None = None  #: HTTP port of /metrics and /status (None: no metrics)


@dataclass
class ClusterConfig:
    """A loaded ``cluster.toml`` (see the module docstring)."""

    protocol: ProtocolConfig
    replicas: list[ReplicaAddress]
    clients: dict[int, PublicKeys]
    key_dir: Path
    data_dir: Path
    path: Path | None = None
    _identities: dict[int, Identity] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.protocol.n

    @property
    def client_ids(self) -> list[int]:
        return sorted(self.clients)

    def address(self, replica_id: int) -> tuple[str, int]:
        r = self.replicas[replica_id]
        return r.host, r.port

    def metrics_address(self, replica_id: int) -> tuple[str, int] | None:
        """Where replica ``replica_id`` serves /metrics and /status; None without a port."""
        r = self.replicas[replica_id]
        return None if r.metrics_port is None else (r.host, r.metrics_port)

    def publics(self) -> dict[int, PublicKeys]:
        out = {r.id: r.publics for r in self.replicas}
        out.update(self.clients)
        return out

    def key_path(self, principal: int) -> Path:
        return self.key_dir / key_file_name(principal)

    def identity(self, principal: int) -> Identity:
        """The secret keys of ``principal``, read from its key file and checked against
        the public keys in the cluster file."""
        ident = self._identities.get(principal)
        if ident is not None:
            return ident
        pubs = self.publics()
        if principal not in pubs:
            kind = "replica" if principal < CLIENT_BASE else "client"
            raise ValueError(
                f"{self._src()}: no {kind} with id {principal}; known ids: "
                f"replicas 0..{self.n - 1}, clients {_ranges(self.client_ids)} "
                f"(client ids start at {CLIENT_BASE})"
            )
        ident = read_key_file(self.key_path(principal), principal)
        if ident.public() != pubs[principal]:
            raise ValueError(
                f"{self.key_path(principal)}: these secret keys do not match the "
                f"public keys of principal {principal} in {self._src()}; "
                "regenerate the cluster with `accord pbft init` or fix the "
                "sign_public/dh_public entries"
            )
        self._identities[principal] = ident
        return ident

    def keyring(self, principal: int) -> Keyring:
        return Keyring(self.identity(principal), self.publics())

    def db_path(self, replica_id: int) -> Path:
        return self.data_dir / f"replica-{replica_id}.db"

    def _src(self) -> str:
        return str(self.path) if self.path is not None else "cluster config"


def key_file_name(principal: int) -> str:
    kind = "replica" if principal < CLIENT_BASE else "client"
    return f"{kind}-{principal}.key"


def _ranges(ids: list[int]) -> str:
    if not ids:
        return "(none)"
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"{ids[0]}..{ids[-1]}" if len(ids) > 1 else str(ids[0])
    return ", ".join(map(str, ids[:8])) + (", ..." if len(ids) > 8 else "")


# ------------------------------------------------------------------ key files
def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only (0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def read_private_file(path: str | os.PathLike, missing: str) -> str:
    """The text of a secret file; ``ValueError`` when it is missing (``missing`` says
    how to make it) or readable by others."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"missing key file {path}: {missing}")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(
            f"key file {path} is readable by others (mode "
            f"{stat.S_IMODE(path.stat().st_mode):o}); run `chmod 600 {path}`"
        )
    return path.read_text().strip()


def write_key_file(path: Path, ident: Identity) -> None:
    """Write ``ident`` as JSON, readable by its owner only."""
    data = {
        "id": ident.id,
        "sign_secret": ident.sign_secret.hex(),
        "dh_secret": ident.dh_secret.hex(),
    }
    write_private_file(path, json.dumps(data) + "\n")


def read_key_file(path: Path, principal: int) -> Identity:
    text = read_private_file(
        path,
        f"copy it there for principal {principal} or generate a cluster with `accord pbft init`",
    )
    try:
        if text.startswith("{"):
            d = json.loads(text)
            if d.get("id", principal) != principal:
                raise ValueError(f"it belongs to principal {d.get('id')}")
            sign, dh = bytes.fromhex(d["sign_secret"]), bytes.fromhex(d["dh_secret"])
        else:
            raw = bytes.fromhex(text)
            sign, dh = raw[:32], raw[32:]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            f'key file {path}: expected JSON {{"id", "sign_secret", '
            f'"dh_secret"}} (hex) or 128 hex digits; {exc}'
        ) from None
    if len(sign) != 32 or len(dh) != 32:
        raise ValueError(
            f"key file {path}: sign_secret and dh_secret must be 32 bytes (64 hex digits) each"
        )
    return Identity(principal, sign, dh)


# ------------------------------------------------------------------ loading
def _hex32(src: str, where: str, name: str, v) -> bytes:
    try:
        if type(v) is not str:
            raise ValueError
        b = bytes.fromhex(v)
        if len(b) != 32:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{src}: {where}: {name} must be 64 hex digits (a 32-byte public key); got {v!r}"
        ) from None
    return b


def _int(src: str, where: str, name: str, v, lo: int, hi: int | None = None) -> int:
    if type(v) is not int or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ValueError(f"{src}: {where}: {name} must be an integer {rng}; got {v!r}")
    return v


def _check_keys(src: str, where: str, entry: dict, allowed: set[str], required: set[str]):
    missing = sorted(required - set(entry))
    if missing:
        raise ValueError(
            f"{src}: {where}: missing field(s) {', '.join(missing)} "
            f"(needs {', '.join(sorted(required))})"
        )
    extra = sorted(set(entry) - allowed)
    if extra:
        raise ValueError(
            f"{src}: {where}: unknown field(s) {', '.join(extra)}; allowed: "
            f"{', '.join(sorted(allowed))}"
        )


def parse_cluster(
    doc: dict, base_dir: Path, source: str = "cluster config", path: Path | None = None
) -> ClusterConfig:
    """Validate a parsed cluster document; relative directories are under ``base_dir``."""
    src = source
    _check_keys(
        src,
        "top level",
        doc,
        {"key_dir", "data_dir", "metrics_base_port", "protocol", "replica", "client"},
        {"protocol", "replica"},
    )
    proto = doc["protocol"]
    if not isinstance(proto, dict):
        raise ValueError(f"{src}: [protocol] must be a table")
    unknown = sorted(set(proto) - set(_PROTOCOL_FIELDS))
    if unknown:
        raise ValueError(
            f"{src}: [protocol]: unknown field(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(_PROTOCOL_FIELDS)}"
        )
    if "n" not in proto:
        raise ValueError(f"{src}: [protocol]: missing n (the number of replicas)")
    try:
        protocol = ProtocolConfig(**proto)
    except ValueError as exc:
        raise ValueError(f"{src}: [protocol]: {exc}") from None
    reps = doc["replica"]
    if not isinstance(reps, list):
        raise ValueError(f"{src}: replicas must be an array of tables: write [[replica]]")
    if len(reps) != protocol.n:
        raise ValueError(
            f"{src}: [protocol] n = {protocol.n} but there are {len(reps)} "
            f"[[replica]] entries; make them agree"
        )
    rfields = {"id", "host", "port", "sign_public", "dh_public"}
    metrics_base = doc.get("metrics_base_port")
    if metrics_base is not None:
        metrics_base = _int(
            src, "top level", "metrics_base_port", metrics_base, 1, 65536 - protocol.n
        )
    replicas: dict[int, ReplicaAddress] = {}
    endpoints: dict[tuple[str, int], int] = {}
    for i, e in enumerate(reps):
        where = f"[[replica]] #{i + 1}"
        if not isinstance(e, dict):
            raise ValueError(f"{src}: {where} must be a table")
        _check_keys(src, where, e, rfields | {"metrics_port"}, rfields)
        rid = _int(src, where, "id", e["id"], 0, protocol.n - 1)
        where = f"[[replica]] id = {rid}"
        if rid in replicas:
            raise ValueError(
                f"{src}: duplicate replica id {rid}; ids must be 0..{protocol.n - 1}, each once"
            )
        host = e["host"]
        if type(host) is not str or not host:
            raise ValueError(f"{src}: {where}: host must be a non-empty string; got {host!r}")
        port = _int(src, where, "port", e["port"], 1, 65535)
        if (host, port) in endpoints:
            raise ValueError(
                f"{src}: replicas {endpoints[(host, port)]} and {rid} both use "
                f"{host}:{port}; give each replica its own port"
            )
        endpoints[(host, port)] = rid
        pubs = PublicKeys(
            _hex32(src, where, "sign_public", e["sign_public"]),
            _hex32(src, where, "dh_public", e["dh_public"]),
        )
        metrics_port = e.get("metrics_port")
        if metrics_port is not None:
            metrics_port = _int(src, where, "metrics_port", metrics_port, 1, 65535)
        elif metrics_base is not None:
            metrics_port = metrics_base + rid
        replicas[rid] = ReplicaAddress(rid, host, port, pubs, metrics_port)
    used = {endpoint: f"replica {rid}" for endpoint, rid in endpoints.items()}
    for rid, r in sorted(replicas.items()):
        if r.metrics_port is None:
            continue
        endpoint = (r.host, r.metrics_port)
        if endpoint in used:
            raise ValueError(
                f"{src}: the metrics of replica {rid} and {used[endpoint]} both use "
                f"{r.host}:{r.metrics_port}; give each its own metrics_port"
            )
        used[endpoint] = f"the metrics of replica {rid}"
    clients: dict[int, PublicKeys] = {}
    cl = doc.get("client", [])
    if not isinstance(cl, list):
        raise ValueError(f"{src}: clients must be an array of tables: write [[client]]")
    cfields = {"id", "sign_public", "dh_public"}
    for i, e in enumerate(cl):
        where = f"[[client]] #{i + 1}"
        if not isinstance(e, dict):
            raise ValueError(f"{src}: {where} must be a table")
        _check_keys(src, where, e, cfields, cfields)
        cid = _int(src, where, "id", e["id"], CLIENT_BASE)
        if cid in clients:
            raise ValueError(f"{src}: duplicate client id {cid}; give each client its own id")
        where = f"[[client]] id = {cid}"
        clients[cid] = PublicKeys(
            _hex32(src, where, "sign_public", e["sign_public"]),
            _hex32(src, where, "dh_public", e["dh_public"]),
        )
    dirs = {}
    for name in ("key_dir", "data_dir"):
        v = doc.get(name, "keys" if name == "key_dir" else "data")
        if type(v) is not str or not v:
            raise ValueError(f"{src}: {name} must be a non-empty path string; got {v!r}")
        p = Path(v).expanduser()
        dirs[name] = p if p.is_absolute() else base_dir / p
    return ClusterConfig(
        protocol,
        [replicas[r] for r in range(protocol.n)],
        clients,
        dirs["key_dir"],
        dirs["data_dir"],
        path,
    )


def load_cluster(path: str | os.PathLike, check_keys: bool = False) -> ClusterConfig:
    """Read and validate ``cluster.toml`` (a directory means ``DIR/cluster.toml``).

    With ``check_keys``, every key file must exist and match its public keys.
    """
    p = Path(path)
    if p.is_dir():
        p = p / CLUSTER_FILE
    if not p.exists():
        raise ValueError(f"cluster file {p} does not exist; create one with `accord pbft init DIR`")
    cfg = parse_cluster(_toml_loads(p.read_text(), str(p)), p.parent.resolve(), str(p), p)
    if check_keys:
        for pid in [r.id for r in cfg.replicas] + cfg.client_ids:
            cfg.identity(pid)
    return cfg


# ------------------------------------------------------------------ writing
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a TOML basic string for plain text


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports that were free a moment ago (bound to port 0)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def generate_cluster(
    directory: str | os.PathLike,
    n: int = 4,
    clients: int = 8,
    base_port: int = 7000,
    auth: str = "hmac",
    host: str = "127.0.0.1",
    ports: list[int] | None = None,
    seed: bytes | None = None,
    force: bool = False,
    metrics_port: int | None = None,
    **protocol,
) -> Path:
    """Write ``DIR/cluster.toml``, ``DIR/keys/*.key`` and ``DIR/data/``; return the file.

    Replica ``i`` listens on ``base_port + i`` (``base_port = 0``: free ports now), or on
    ``ports[i]``; with ``metrics_port``, it serves its metrics and status over HTTP on
    ``metrics_port + i`` (0: free ports now).  ``protocol`` sets other
    :class:`ProtocolConfig` fields.  ``seed`` makes the keys deterministic (tests only).
    An existing cluster file is kept unless ``force``.
    """
    if auth not in AUTH_MODES:
        raise ValueError(f"generate_cluster(): auth must be one of {AUTH_MODES}; got {auth!r}")
    if clients < 0:
        raise ValueError(f"generate_cluster(): clients must be >= 0; got {clients}")
    unknown = sorted(set(protocol) - set(_PROTOCOL_FIELDS))
    if unknown:
        raise ValueError(
            f"generate_cluster(): unknown protocol field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(_PROTOCOL_FIELDS)}"
        )
    pcfg = ProtocolConfig(n=n, auth=auth, **protocol)  # validates
    if metrics_port is not None and (
        type(metrics_port) is not int or not 0 <= metrics_port <= 65536 - n
    ):
        raise ValueError(
            f"generate_cluster(): metrics_port must be 0 (free ports) or a port that leaves "
            f"room for {n} ports below 65536; got {metrics_port!r}"
        )
    # free ports for the replicas and their metrics at once, so that none is chosen twice
    free = free_ports(2 * n, host) if metrics_port == 0 else []
    if ports is None:
        if base_port == 0:
            ports = free[n:] if free else free_ports(n, host)
        else:
            if not 1 <= base_port <= 65535 - n + 1:
                raise ValueError(
                    f"generate_cluster(): base_port must leave room for {n} ports "
                    f"below 65536; got {base_port}"
                )
            ports = [base_port + i for i in range(n)]
    if len(ports) != n or len(set(ports)) != n:
        raise ValueError(f"generate_cluster(): need {n} distinct ports; got {ports}")
    metrics_ports: list[int] = []  # empty: no metrics
    if metrics_port == 0:
        metrics_ports = [p for p in free if p not in ports][:n]
    elif metrics_port is not None:
        metrics_ports = [metrics_port + i for i in range(n)]
    clash = sorted(set(ports) & set(metrics_ports))
    if clash:
        raise ValueError(
            f"generate_cluster(): metrics ports {clash} are also replica ports; choose a "
            "metrics_port whose range does not overlap the replicas' ports"
        )
    d = Path(directory)
    path = d / CLUSTER_FILE
    if path.exists() and not force:
        raise ValueError(
            f"{path} exists; choose another directory or pass --force to "
            "overwrite it (and its keys)"
        )
    keys = d / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    os.chmod(keys, 0o700)
    (d / "data").mkdir(exist_ok=True)
    for old in (d / "data").glob("replica-*.db*"):  # a log signed with replaced keys
        old.unlink()
    lines = [
        "# PBFT cluster written by `accord pbft init`; secret keys are in key_dir.",
        'key_dir = "keys"',
        'data_dir = "data"',
        "",
        "[protocol]",
    ]
    defaults = ProtocolConfig()
    for name in _PROTOCOL_FIELDS:
        v = getattr(pcfg, name)
        if name in ("n", "auth") or name in protocol or v != getattr(defaults, name):
            lines.append(f"{name} = {_toml_value(v)}")
    ids = list(range(n)) + [CLIENT_BASE + c for c in range(clients)]
    for pid in ids:
        ident = Identity.generate(pid, seed)
        write_key_file(keys / key_file_name(pid), ident)
        pub = ident.public()
        lines.append("")
        if pid < CLIENT_BASE:
            lines += [
                "[[replica]]",
                f"id = {pid}",
                f"host = {_toml_value(host)}",
                f"port = {ports[pid]}",
            ]
            if metrics_ports:
                lines.append(f"metrics_port = {metrics_ports[pid]}")
        else:
            lines += ["[[client]]", f"id = {pid}"]
        lines += [f'sign_public = "{pub.sign.hex()}"', f'dh_public = "{pub.dh.hex()}"']
    path.write_text("\n".join(lines) + "\n")
    return path
