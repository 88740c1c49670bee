"""What the service's operations share: the execution context, field checks, errors.

A handler reads and writes the replicated state through a :class:`Context`, which
buffers its writes: :class:`~accord.service.machine.ServiceStore` applies them only
when the handler returns, so an operation that fails part-way (a :class:`ServiceError`)
leaves the state exactly as it was, as PBFT's deterministic state machine needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..consensus.ledger import MAX_INT_BITS, JSONValue, canonical_json, strict_loads

__all__ = [
    "PRECISION",
    "Context",
    "OpSpec",
    "ServiceError",
    "identifier",
    "integer",
    "number",
    "rounded",
]

#: Decimal places of every real number in an outcome: results computed in floating
#: point (LPs, Weiszfeld iterations) are rounded to this, so every replica certifies the
#: same bytes even where float rounding differs in the last bits.
PRECISION = 9
#: Longest identifier (auction, topic, proposal, agent), in characters.
MAX_ID_CHARS = 128


class ServiceError(Exception):
    """An operation that is malformed or cannot apply now; its message is the result's
    ``"error"``."""


@dataclass(frozen=True)
class OpSpec:
    """An operation: its required and optional fields besides ``op``, its handler, the
    field naming the agent who must sign it (``None``: anyone may send it), and whether
    its result is an outcome (recorded in the ledger and certified)."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    handler: Callable[[Context, dict[str, Any]], JSONValue]
    signer: str | None = None
    outcome: bool = False


@dataclass
class Context:
    """One operation's view of the state: ``read(key)`` returns the stored JSON value
    (or ``None``), ``write`` buffers, ``append`` queues one ledger record."""

    read: Callable[[str], str | None]
    tick: int
    writes: dict[str, JSONValue] = field(default_factory=dict)
    record: JSONValue = None
    record_json: str | None = None

    def get(self, key: str) -> Any:
        if key in self.writes:
            return strict_loads(canonical_json(self.writes[key]))  # a private copy
        text = self.read(key)
        return None if text is None else strict_loads(text)

    def put(self, key: str, value: JSONValue) -> None:
        self.writes[key] = value

    def append(self, record: JSONValue, record_json: str | None = None) -> None:
        """Queue ``record``; a handler that built its canonical JSON from checked values
        passes it as ``record_json`` (the ledger then stores ``record`` as it is, without
        checking and encoding it again)."""
        if self.record is not None:
            raise RuntimeError("one ledger record per operation")
        self.record, self.record_json = record, record_json


def identifier(op: dict[str, Any], name: str) -> str:
    v = op[name]
    if not isinstance(v, str) or not 1 <= len(v) <= MAX_ID_CHARS or "/" in v:
        raise ServiceError(
            f"{op['op']}: field {name!r} must be a string of 1 to {MAX_ID_CHARS} "
            f"characters without '/'"
        )
    return v


def number(op: dict[str, Any], name: str, low: float | None = None, default: Any = None) -> float:
    v = op.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ServiceError(f"{op['op']}: field {name!r} must be a finite number")
    if isinstance(v, int) and abs(v).bit_length() > MAX_INT_BITS:
        raise ServiceError(f"{op['op']}: field {name!r} is too large")
    if low is not None and v < low:
        raise ServiceError(f"{op['op']}: field {name!r} must be >= {low}")
    return v


def integer(op: dict[str, Any], name: str, low: int, high: int, default: Any = None) -> int:
    v = op.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise ServiceError(f"{op['op']}: field {name!r} must be an int in [{low}, {high}]")
    return v


def rounded(x: Any) -> Any:
    """Floats (also inside lists and dicts) rounded to :data:`PRECISION` places, with
    ``-0.0`` written as ``0.0``."""
    if isinstance(x, float):
        return round(x, PRECISION) + 0.0
    if isinstance(x, list):
        return [rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    return x
