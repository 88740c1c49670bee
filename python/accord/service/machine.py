"""The coordination service's replicated state machine.

:class:`ServiceStore` is the PBFT key-value store
(:class:`~accord.consensus.statemachine.KVStore`) with the mechanisms' operations
added.  Their state lives in the key-value map under ``service/`` (readable with
``get``, writable only through the operations), so snapshots, digests, checkpoints and
state transfer are the store's own, and an empty service has the genesis state of a
plain store.  Every ordered operation advances the *tick*, the clock in which phases
are counted.

Operations besides the store's:

=====================  ==================================================  ===========
op                     what                                                 signed by
=====================  ==================================================  ===========
``register``           bind an agent name to an Ed25519 key (once)          --
``fund``               credit an agent's escrow (deposits)                  --
``auction_*``          sealed-bid auctions (:mod:`.sealed_bid`)             seller, bidder
``position_*``         robust position agreement (:mod:`.positions`)        owner, agent
``position_commit``    a position's hash commitment (committed topics)      agent
``position_reveal``    a committed position and its opening                 --
``coalition_propose``  a TU game and a division (:mod:`.coalitions`)        proposer
``group_register``     bind a group name to its replicas' BLS keys (once)   owner
``group_topic_open``   a parent topic over groups (:mod:`.hierarchy`)       owner
``group_submit``       a certified group outcome (equivocators excluded)    --
``group_close``        the robust aggregate of the groups' outcomes         --
``stream_append``      append records to a stream (:mod:`.streams`)         owner
``stream_seal``        end a stream; its length and head are certified      owner
``certify``            attach a quorum certificate to an outcome            --
=====================  ==================================================  ===========

An operation whose result is an *outcome* (closing an auction or a topic, deciding a
proposal) appends ``{"outcome": ...}`` to the ledger, stores it under
``service/outcome/<kind>/<id>`` and returns ``{"outcome", "ledger": {index, hash}}``;
the replicas' endorsements of that result (BLS signatures of the outcome,
:func:`endorser`) make its quorum certificate, which ``certify`` checks against the
cluster's keys and records in the ledger too.

Every result is computed the same way on every correct replica: canonical JSON
throughout, no clock or randomness, real numbers in outcomes rounded to
:data:`~accord.service.ops.PRECISION` places, and the numeric kernels called with one
thread (:func:`service_machine`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .._info import set_num_threads
from ..consensus.ledger import JSONValue, canonical_json, json_problem
from ..consensus.statemachine import MAX_VALUE_BYTES, KVStore, is_read_only, validate_op
from . import bls, coalitions, hierarchy, positions, sealed_bid, streams
from .ops import Context, OpSpec, ServiceError, identifier, number
from .signing import check_signature

__all__ = [
    "PREFIX",
    "SERVICE_OPS",
    "ServiceStore",
    "check_endorsements",
    "endorser",
    "service_machine",
    "validate_service_op",
]

#: Keys under this prefix belong to the service's operations.
PREFIX = "service/"
_TICK = "service/tick"
_WRITES = frozenset({"set", "increment", "compare_and_set"})


def _register(ctx: Context, op: dict[str, Any]) -> Any:
    agent = identifier(op, "agent")
    key = op["public_key"]
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key))
    except (TypeError, ValueError):
        raise ServiceError("register: public_key must be 64 hex characters (Ed25519)") from None
    known = ctx.get(f"service/agent/{agent}")
    if known is not None and known != key:
        raise ServiceError(f"register: {agent!r} is registered with another key")
    ctx.put(f"service/agent/{agent}", key)
    return {"agent": agent, "tick": ctx.tick}


def _fund(ctx: Context, op: dict[str, Any]) -> Any:
    agent = identifier(op, "agent")
    amount = number(op, "amount", low=0)
    balance = (ctx.get(f"service/balance/{agent}") or 0) + amount
    if not math.isfinite(balance):
        raise ServiceError("fund: the balance overflows")
    ctx.put(f"service/balance/{agent}", balance)
    return {"agent": agent, "balance": balance}


def _certify(ctx: Context, op: dict[str, Any]) -> Any:
    raise AssertionError("handled by ServiceStore")  # needs the cluster's keys


SERVICE_OPS: dict[str, OpSpec] = {
    "register": OpSpec(("agent", "public_key"), (), _register),
    "fund": OpSpec(("agent", "amount"), (), _fund),
    **sealed_bid.OPS,
    **positions.OPS,
    **coalitions.OPS,
    **hierarchy.OPS,
    **streams.OPS,
    "certify": OpSpec(("kind", "id", "certificate"), (), _certify),
}


def _check_fields(op: dict[str, Any], spec: OpSpec) -> None:
    name = op["op"]
    for f in spec.required:
        if f not in op:
            raise ServiceError(f"{name}: missing field {f!r}")
    extra = sorted(str(f) for f in op if f != "op" and f not in spec.required + spec.optional)
    if extra:
        raise ServiceError(f"{name}: unexpected field(s) {', '.join(extra)}")
    problem = json_problem(op, "the operation")
    if problem is not None:
        raise ServiceError(f"{name}: {problem}")


def validate_service_op(op: object) -> dict[str, Any]:
    """The client-side check of an operation (the store's own or the service's): its
    fields, before it is sent.  Raises ``ValueError`` naming the problem."""
    if isinstance(op, dict) and op.get("op") in SERVICE_OPS:
        try:
            _check_fields(op, SERVICE_OPS[op["op"]])
        except ServiceError as exc:
            raise ValueError(f"validate_service_op(): {exc}") from None
        return dict(op)
    return validate_op(op)


#: op -> (mechanism, the field naming the instance, phase), for the metrics
_INSTANCE_STEPS: dict[str, tuple[str, str, str]] = {
    "auction_open": ("auction", "auction", "open"),
    "auction_commit": ("auction", "auction", "step"),
    "auction_reveal": ("auction", "auction", "step"),
    "auction_close": ("auction", "auction", "close"),
    "position_open": ("position", "topic", "open"),
    "position_submit": ("position", "topic", "step"),
    "position_commit": ("position", "topic", "step"),
    "position_reveal": ("position", "topic", "step"),
    "position_close": ("position", "topic", "close"),
    "group_topic_open": ("group", "topic", "open"),
    "group_submit": ("group", "topic", "step"),
    "group_close": ("group", "topic", "close"),
    "coalition_propose": ("coalition", "proposal", "single"),
}


class ServiceStore(KVStore):
    """The key-value store plus the service's operations (see the module docstring).
    ``certificate_keys`` are the replicas' BLS public keys, set by
    :func:`service_machine`; without them ``certify`` is refused."""

    __slots__ = ("_agent_keys",)
    certificate_keys: ClassVar[tuple[bytes, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self._agent_keys: dict[str, Ed25519PublicKey] = {}  # hex -> parsed key (a cache)

    @staticmethod
    def instance_step(op: Any) -> tuple[str, str, str] | None:
        """``(mechanism, instance, phase)`` of a mechanism's operation (see
        :meth:`KVStore.instance_step <accord.consensus.statemachine.KVStore.instance_step>`):
        auctions, position topics, group topics and coalition proposals."""
        if type(op) is not dict:
            return None
        step = _INSTANCE_STEPS.get(op.get("op"))  # type: ignore[arg-type]
        if step is None:
            return None
        mechanism, field, phase = step
        instance = op.get(field)
        return (mechanism, instance, phase) if type(instance) is str else None

    def execute(self, op: object) -> JSONValue:
        if isinstance(op, dict):
            name = op.get("op")
            if isinstance(name, str) and name in SERVICE_OPS:
                return self._service(op, SERVICE_OPS[name])
            key = op.get("key")
            if name in _WRITES and isinstance(key, str) and key.startswith(PREFIX):
                self._advance()
                return {"error": f"{name}: keys under {PREFIX!r} are written by the service only"}
        if not is_read_only(op):
            self._advance()
        return super().execute(op)

    def tick(self) -> int:
        """The number of ordered operations executed so far."""
        text = self._data.get(_TICK)
        return 0 if text is None else int(text)

    def _advance(self) -> int:
        t = self.tick()
        self._store(_TICK, str(t + 1))
        return t

    def _agent(self, ctx: Context, agent: str) -> Ed25519PublicKey:
        hexkey = ctx.get(f"service/agent/{agent}")
        if hexkey is None:
            raise ServiceError(f"{agent!r} is not registered; send register first")
        key = self._agent_keys.get(hexkey)
        if key is None:
            key = self._agent_keys[hexkey] = Ed25519PublicKey.from_public_bytes(
                bytes.fromhex(hexkey)
            )
        return key

    def _service(self, op: dict[str, Any], spec: OpSpec) -> JSONValue:
        tick = self._advance()
        ctx = Context(self._data.get, tick)
        name = op["op"]
        try:
            _check_fields(op, spec)
            if spec.signer is not None:
                agent = identifier(op, spec.signer)
                if not check_signature(self._agent(ctx, agent), op):
                    raise ServiceError(f"{name}: the signature is not {agent!r}'s")
            if name == "certify":
                result = self._certify(ctx, op)
            else:
                result = spec.handler(ctx, op)
            if spec.outcome:
                ctx.put(f"service/outcome/{result['kind']}/{result['id']}", result)
                ctx.append({"outcome": result})
            texts = {k: canonical_json(v) for k, v in ctx.writes.items()}
            for k, text in texts.items():
                if len(text) > MAX_VALUE_BYTES:
                    raise ServiceError(
                        f"{name}: the state under {k!r} would exceed {MAX_VALUE_BYTES} bytes"
                    )
        except ServiceError as exc:
            return {"error": str(exc)}
        for k, text in texts.items():
            self._store(k, text)
        if ctx.record is not None:
            if ctx.record_json is None:
                entry = self._ledger.append(ctx.record)
            else:
                entry = self._ledger.append_canonical(ctx.record, ctx.record_json)
            ledger = {"index": entry.index, "hash": entry.hash.hex()}
            if spec.outcome:
                return {"outcome": result, "ledger": ledger}
            return {**result, "ledger": ledger}
        return result

    def _certify(self, ctx: Context, op: dict[str, Any]) -> JSONValue:
        keys = self.certificate_keys
        if not keys:
            raise ServiceError("certify: this cluster has no certificate keys")
        kind, oid = identifier(op, "kind"), identifier(op, "id")
        stored = ctx.get(f"service/outcome/{kind}/{oid}")
        if stored is None:
            raise ServiceError(f"certify: no {kind} outcome {oid!r}")
        try:
            cert = bls.QuorumCertificate.from_json(op["certificate"])
        except ValueError as exc:
            raise ServiceError(f"certify: {exc}") from None
        if not bls.verify_certificate(stored, cert, keys):
            raise ServiceError(f"certify: the certificate does not verify for {kind} {oid!r}")
        key = f"service/certificate/{kind}/{oid}"
        if ctx.get(key) is not None:
            raise ServiceError(f"certify: {kind} {oid!r} is already certified")
        ctx.put(key, cert.to_json())
        ctx.append({"certificate": cert.to_json(), "kind": kind, "id": oid})
        return {"kind": kind, "id": oid, "certified": True}


def service_machine(certificate_keys: Sequence[bytes] = ()) -> type[ServiceStore]:
    """A :class:`ServiceStore` class for a cluster whose replicas sign outcomes with the
    BLS keys ``certificate_keys`` (replica ``r``'s at index ``r``)."""
    set_num_threads(1)  # the same kernel reductions on every replica
    keys = tuple(bytes(k) for k in certificate_keys)
    for r, k in enumerate(keys):
        bls.parse_public_key(k, f"certificate_keys[{r}]")
    return type("ClusterServiceStore", (ServiceStore,), {"__slots__": (), "certificate_keys": keys})


def endorser(key: bls.BlsKey) -> Callable[[Any], str | None]:
    """A replica's endorser: its BLS signature (hex) of every outcome it replies with."""

    def endorse(result: Any) -> str | None:
        if isinstance(result, dict) and isinstance(result.get("outcome"), dict):
            return key.sign(bls.certificate_message(result["outcome"])).hex()
        return None

    return endorse


def check_endorsements(
    public_keys: Sequence[bytes],
) -> Callable[[Any, Mapping[int, str]], set[int]]:
    """A client's check of the replicas' endorsements of a result (see :func:`endorser`):
    the replicas whose hex signatures of its outcome verify, checked together first
    (:func:`~accord.service.bls.verify_shares`)."""

    def check(result: Any, endorsements: Mapping[int, str]) -> set[int]:
        outcome = result.get("outcome") if isinstance(result, dict) else None
        if not isinstance(outcome, dict):
            return set()
        try:
            message = bls.certificate_message(outcome)
        except (TypeError, ValueError):
            return set()
        shares = {}
        for r, e in endorsements.items():
            try:
                shares[r] = bytes.fromhex(e)
            except (TypeError, ValueError):
                continue
        return bls.verify_shares(message, shares, public_keys)

    return check
