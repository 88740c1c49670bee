"""Where the auction ledger goes: the local hash chain, nowhere, or a *ledger sink*.

The ``ledger`` argument of :func:`~accord.loadbalance.simulate` and
:class:`~accord.loadbalance.LoadBalancer` is ``True`` (a hash-chained
:class:`accord.consensus.Ledger` in this process; Haber & Stornetta (1991)), ``False``
(none) or a sink: any object with the three methods of :class:`LedgerSink`.  The load
balancer calls ``append`` once per round with the round's JSON record
(:meth:`~accord.loadbalance.RoundRecord.ledger_record`), :func:`simulate` calls
``close`` after the last round, and :meth:`~accord.loadbalance.SimulationResult.verify_ledger`
calls ``fetch`` to read the entries back and check them against the auction log.

The sinks of :mod:`accord.service.stream_sink` replicate the records through the
coordination service (PBFT, Castro & Liskov (1999)) and certify the stream's head with a
quorum certificate; this package never imports the service (it is injected).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .._validate import fail

if TYPE_CHECKING:
    from ..consensus.ledger import LedgerEntry

__all__ = ["LedgerSink", "ledger_choice"]

_METHODS = ("append", "close", "fetch")


@runtime_checkable
class LedgerSink(Protocol):
    """What a ledger sink provides.  Its entries must chain exactly as a local
    :class:`accord.consensus.Ledger` of the same records would (the hash of entry ``i`` is
    :func:`accord.consensus.ledger.entry_hash`), so a replicated run and a local run of the
    same seed end at the same head."""

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Store ``record`` (a JSON object) as the next entry; return
        ``{"index": i, "hash": "<64 hex digits>"}``, the entry's position and hash."""
        ...

    def close(self) -> None:
        """Store every pending record and end the ledger: later appends are errors;
        closing again does nothing."""
        ...

    def fetch(self) -> tuple[Sequence[LedgerEntry], bytes | None]:
        """The stored entries, oldest first, and the head they must end at as the sink
        trusts it (for a replicated sink: certified by a quorum of replicas), or ``None``
        when it has none.  Pending records are stored first."""
        ...


def ledger_choice(func: str, ledger: object) -> bool | LedgerSink:
    """The checked ``ledger`` argument of ``func``: a bool, or a :class:`LedgerSink`."""
    if isinstance(ledger, (bool, np.bool_)):
        return bool(ledger)
    if isinstance(ledger, str):
        fail(
            func,
            f"ledger must be true, false or a ledger sink; got {ledger!r}.  In Python pass a "
            "sink object, e.g. accord.service.stream_sink.SimLedgerSink() for a ledger "
            "replicated by a simulated PBFT cluster; the string 'replicated' is a setting of "
            "the loadbalance experiment (accord run)",
        )
    missing = [m for m in _METHODS if not callable(getattr(ledger, m, None))]
    if missing:
        fail(
            func,
            f"ledger must be true, false or a ledger sink (an object with the methods "
            f"append(record), close() and fetch(); see accord.loadbalance.LedgerSink); got "
            f"{type(ledger).__name__}, which lacks {', '.join(missing)}",
            TypeError,
        )
    return ledger  # type: ignore[return-value]
