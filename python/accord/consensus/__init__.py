"""Byzantine fault-tolerant agreement: Castro-Liskov PBFT as a replicated state
machine, a hash-chained agreement ledger, and robust aggregation of positions.

* :class:`Replica`, :class:`Client` -- the protocol (sans-IO), driven by the
  deterministic :mod:`~accord.consensus.simnet` network or by asyncio TCP
  (:mod:`accord.consensus.tcp`, ``accord pbft serve``);
* :class:`KVStore` -- the replicated state (set, get, increment, compare_and_set,
  and an append-only :class:`Ledger` checked by :func:`verify_ledger`);
* :mod:`~accord.consensus.faults` -- Byzantine replicas for testing;
* :func:`trimmed_mean`, :func:`median`, :func:`geometric_median` -- trust-weighted
  robust aggregation (Yin et al. (2018); Weiszfeld (1937)).
"""

from .._extras import require_extra

require_extra(__name__, "consensus")

from .aggregate import breakdown_point, geometric_median, max_byzantine, median, trimmed_mean
from .client import Busy, Client
from .config import ProtocolConfig
from .crypto import CLIENT_BASE, Identity, Keyring, PublicKeys, cluster_identities, keyrings
from .ledger import Ledger, LedgerCheck, LedgerEntry, LedgerError, verify_ledger
from .replica import Replica
from .simnet import LinkFaults, Network, SimCluster
from .statemachine import READ_ONLY_OPS, KVStore, is_read_only, validate_op
from .storage import MemoryStorage, SQLiteStorage

__all__ = [
    "CLIENT_BASE",
    "READ_ONLY_OPS",
    "Busy",
    "Client",
    "Identity",
    "KVStore",
    "Keyring",
    "Ledger",
    "LedgerEntry",
    "LedgerCheck",
    "LedgerError",
    "LinkFaults",
    "MemoryStorage",
    "Network",
    "ProtocolConfig",
    "PublicKeys",
    "Replica",
    "SQLiteStorage",
    "SimCluster",
    "breakdown_point",
    "cluster_identities",
    "geometric_median",
    "is_read_only",
    "keyrings",
    "max_byzantine",
    "median",
    "trimmed_mean",
    "validate_op",
    "verify_ledger",
]
