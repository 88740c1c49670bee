"""Hierarchical agreement: a parent cluster aggregates the certified outcomes of groups,
each of which runs its own service cluster.

A *group* is a PBFT cluster (Castro & Liskov (1999)) of ``n`` replicas whose BLS keys
the parent knows (``group_register``, signed by its owner ``by``; bound once).  The
group agrees on a position topic as usual (:mod:`.positions`) and its replicas'
endorsements make a quorum certificate of the outcome (:func:`relay` builds the
``group_submit`` operation from them).  The parent opens a *group topic*
(``group_topic_open``: the aggregator, ``trim``, the dimension, the groups and their
optional trust weights, the length of the submission phase in ticks), accepts one
certified position outcome per group (``group_submit``, which anyone may relay: the
certificate is the authority) and closes with the robust aggregate of the groups'
values (``group_close``).  That outcome has kind ``"position"`` like a leaf group's, so
the parent's own replicas certify it and it can be relayed upward again: trees of any
depth are built from these three operations.

Why a certificate can stand for a group: with at most ``f`` faulty replicas among
``n >= 3f + 1``, any two quorums of ``2f + 1`` share a correct replica, and a correct
replica endorses only the outcome its state machine computed from PBFT's single order
of operations; so a group certifies at most one outcome per ``(kind, id)``, and that
one is what its correct replicas computed.  A forged or altered outcome has no
certificate (``bls.verify_certificate`` against the registered keys, with a quorum of
distinct signers).  Two validly certified outcomes with the same ``(kind, id)`` and
different content therefore prove that more than ``f`` of the group's replicas are
faulty: the parent records both digests as evidence (``service/group_excluded/<group>``
and the ledger), refuses the group's further submissions and drops the group from every
group topic it has not closed yet; outcomes closed before the evidence arrived stand,
and the ledger lets an auditor discount them.  A group with more than ``f`` faults that
lies consistently is not detectable this way: the robust aggregate bounds its
influence, up to the recorded breakdown point (the fraction of groups, or of trust
weight, that may be arbitrary).  The registered keys themselves are trusted as far as
the owner who registered them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import bls
from .ops import MAX_ID_CHARS, Context, OpSpec, ServiceError, identifier, integer, rounded
from .positions import (
    MAX_DIM,
    aggregate,
    aggregation,
    check_weights,
    group_topic_key,
    open_topic_name,
)

__all__ = ["MAX_GROUPS", "MAX_REPLICAS", "OPS", "outcome_digest", "relay", "submit_op"]

#: Most replicas of a registered group.
MAX_REPLICAS = 256
#: Most groups of one group topic.
MAX_GROUPS = 256


def _group_key(group: str) -> str:
    return f"service/group/{group}"


def _digest_key(group: str, kind: str, oid: str) -> str:
    return f"service/group_digest/{group}/{kind}/{oid}"


def _excluded_key(group: str) -> str:
    return f"service/group_excluded/{group}"


def outcome_digest(outcome: Any) -> str:
    """SHA-256 (hex) of the bytes a certificate of ``outcome`` signs."""
    return hashlib.sha256(bls.certificate_message(outcome)).hexdigest()


def _register(ctx: Context, op: dict[str, Any]) -> Any:
    group = identifier(op, "group")
    keys = op["keys"]
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_REPLICAS:
        raise ServiceError(
            f"group_register: keys must be a list of 1 to {MAX_REPLICAS} BLS public keys (hex)"
        )
    for i, k in enumerate(keys):
        try:
            if not isinstance(k, str):
                raise ValueError(f"keys[{i}] must be a hex string")
            bls.parse_public_key(bytes.fromhex(k), f"keys[{i}]")
        except ValueError as exc:
            raise ServiceError(f"group_register: {exc}") from None
    keys = [k.lower() for k in keys]
    if len(set(keys)) != len(keys):
        raise ServiceError("group_register: keys must be distinct (one per replica)")
    known = ctx.get(_group_key(group))
    if known is not None:
        if known["keys"] != keys:
            raise ServiceError(f"group_register: {group!r} is registered with other keys")
        return {"group": group, "n": len(keys), "quorum": bls.quorum(len(keys))}
    ctx.put(_group_key(group), {"keys": keys, "by": identifier(op, "by"), "registered": ctx.tick})
    return {"group": group, "n": len(keys), "quorum": bls.quorum(len(keys))}


def _open(ctx: Context, op: dict[str, Any]) -> Any:
    topic = open_topic_name(ctx, op)
    aggregator, trim = aggregation(op)
    groups = op["groups"]
    if (
        not isinstance(groups, list)
        or not 1 <= len(groups) <= MAX_GROUPS
        or not all(isinstance(g, str) for g in groups)
        or len(set(groups)) != len(groups)
    ):
        raise ServiceError(f"group_topic_open: groups must list 1 to {MAX_GROUPS} distinct names")
    for g in groups:
        if "/" in g or ctx.get(_group_key(g)) is None:
            raise ServiceError(f"group_topic_open: group {g!r} is not registered")
    weights = op.get("weights")
    if weights is not None:
        if not isinstance(weights, dict) or set(weights) != set(groups):
            raise ServiceError("group_topic_open: weights must map every group to a trust weight")
        check_weights("group_topic_open", weights)
    state = {
        "by": identifier(op, "by"),
        "aggregator": aggregator,
        "trim": trim,
        "dim": integer(op, "dim", 1, MAX_DIM),
        "groups": groups,
        "weights": weights,
        "end": ctx.tick + integer(op, "submit_ticks", 1, 2**62),
        "submissions": {},
        "closed": False,
    }
    ctx.put(group_topic_key(topic), state)
    return {"topic": topic, "opened": ctx.tick, "end": state["end"]}


def _load(ctx: Context, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    topic = identifier(op, "topic")
    state = ctx.get(group_topic_key(topic))
    if state is None:
        raise ServiceError(f"{op['op']}: no group topic {topic!r}; open it first")
    if state["closed"]:
        raise ServiceError(f"{op['op']}: group topic {topic!r} is closed")
    return topic, state


def _outcome_id(outcome: Any) -> tuple[str, str]:
    if not isinstance(outcome, dict):
        raise ServiceError("group_submit: outcome must be an object")
    ids = []
    for name in ("kind", "id"):
        v = outcome.get(name)
        if not isinstance(v, str) or not 1 <= len(v) <= MAX_ID_CHARS or "/" in v:
            raise ServiceError(f"group_submit: the outcome's {name!r} is not an identifier")
        ids.append(v)
    return ids[0], ids[1]


def _submit(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    group = identifier(op, "group")
    if group not in state["groups"]:
        raise ServiceError(f"group_submit: {group!r} is not a group of {topic!r}")
    registered = ctx.get(_group_key(group))
    if registered is None:  # cannot happen: groups are registered to open a topic
        raise ServiceError(f"group_submit: group {group!r} is not registered")
    keys = [bytes.fromhex(k) for k in registered["keys"]]
    outcome = op["outcome"]
    kind, oid = _outcome_id(outcome)
    try:
        cert = bls.QuorumCertificate.from_json(op["certificate"])
    except (TypeError, ValueError) as exc:
        raise ServiceError(f"group_submit: {exc}") from None
    need = bls.quorum(len(keys))
    if len(set(cert.signers)) < need:
        raise ServiceError(
            f"group_submit: the certificate has {len(set(cert.signers))} distinct signer(s); "
            f"group {group!r} needs a quorum of {need}"
        )
    if not bls.verify_certificate(outcome, cert, keys):
        raise ServiceError(
            f"group_submit: the certificate does not verify for this outcome against "
            f"group {group!r}'s keys"
        )
    digest = outcome_digest(outcome)
    if ctx.get(_excluded_key(group)) is not None:
        raise ServiceError(f"group_submit: group {group!r} is excluded (it equivocated)")
    earlier = ctx.get(_digest_key(group, kind, oid))
    if earlier is not None and earlier != digest:
        evidence = {
            "group": group,
            "kind": kind,
            "id": oid,
            "digests": [earlier, digest],
            "tick": ctx.tick,
        }
        ctx.put(_excluded_key(group), evidence)
        ctx.append({"equivocation": {**evidence, "certificate": cert.to_json()}})
        return {"topic": topic, "group": group, "excluded": evidence}
    if ctx.tick >= state["end"]:
        raise ServiceError(f"group_submit: submissions to {topic!r} have ended")
    if group in state["submissions"]:
        raise ServiceError(f"group_submit: {group!r} has already submitted to {topic!r}")
    value = outcome.get("value")
    if kind != "position" or not isinstance(value, list):
        raise ServiceError("group_submit: the outcome must be a position outcome with a value")
    if len(value) != state["dim"] or not all(
        not isinstance(v, bool) and isinstance(v, (int, float)) and abs(v) < 1e300 for v in value
    ):
        raise ServiceError(
            f"group_submit: the outcome's value must be a list of {state['dim']} finite numbers"
        )
    ctx.put(_digest_key(group, kind, oid), digest)
    state["submissions"][group] = {
        "id": oid,
        "digest": digest,
        "value": [float(v) for v in value],
    }
    ctx.put(group_topic_key(topic), state)
    return {"topic": topic, "group": group, "digest": digest, "tick": ctx.tick}


def _close(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    if ctx.get(f"service/outcome/position/{topic}") is not None:
        raise ServiceError(f"group_close: a position outcome {topic!r} exists already")
    evidence = {g: ctx.get(_excluded_key(g)) for g in state["groups"]}
    excluded = [e for e in evidence.values() if e is not None]
    subs = state["submissions"]
    pending = [g for g in state["groups"] if g not in subs and evidence[g] is None]
    if ctx.tick < state["end"] and pending:
        raise ServiceError(
            f"group_close: {topic!r} accepts group outcomes until tick {state['end']} "
            f"(waiting for {', '.join(pending)})"
        )
    groups = [g for g in state["groups"] if g in subs and evidence[g] is None]
    if not groups:
        raise ServiceError(f"group_close: no group outcome of {topic!r} to aggregate")
    X = np.asarray([subs[g]["value"] for g in groups], dtype=np.float64)
    w = None
    if state["weights"] is not None:
        w = np.asarray([state["weights"][g] for g in groups], dtype=np.float64)
        if not w.sum() > 0:
            raise ServiceError(f"group_close: the submitting groups of {topic!r} have no weight")
    value, bp = aggregate(state["aggregator"], X, w, state["trim"])
    outcome = {
        "kind": "position",
        "id": topic,
        "aggregator": state["aggregator"],
        "trim": state["trim"],
        "groups": groups,
        "sources": [{"id": subs[g]["id"], "digest": subs[g]["digest"]} for g in groups],
        "positions": [subs[g]["value"] for g in groups],
        "weights": None if w is None else [float(v) for v in w],
        "missing": pending,
        "excluded": excluded,
        "value": [float(v) for v in np.atleast_1d(value)],
        "breakdown_point": float(bp),
        "closed_at": ctx.tick,
    }
    state["closed"] = True
    ctx.put(group_topic_key(topic), state)
    return rounded(outcome)


def relay(
    result: Mapping[str, Any],
    endorsements: Mapping[int, str],
    group_public_keys: Sequence[bytes],
    topic: str,
    group: str,
) -> dict[str, Any]:
    """The ``group_submit`` operation carrying a group cluster's completed ``result``
    (``{"outcome": ...}``) and the quorum certificate of its replicas' valid
    ``endorsements`` to the parent's ``topic`` as ``group``; ``ValueError`` without an
    outcome or a quorum of valid endorsements."""
    from .client import certificate_of  # the client imports the machine, which imports this

    outcome = result.get("outcome") if isinstance(result, Mapping) else None
    if not isinstance(outcome, dict):
        raise ValueError("relay: the result carries no outcome")
    cert = certificate_of(result, endorsements, group_public_keys)
    return submit_op(outcome, cert, topic, group)


def submit_op(
    outcome: dict[str, Any], certificate: bls.QuorumCertificate, topic: str, group: str
) -> dict[str, Any]:
    """The ``group_submit`` operation carrying ``group``'s certified ``outcome`` to the
    parent's ``topic``."""
    return {
        "op": "group_submit",
        "topic": topic,
        "group": group,
        "outcome": outcome,
        "certificate": certificate.to_json(),
    }


OPS: dict[str, OpSpec] = {
    "group_register": OpSpec(("group", "keys", "by", "signature"), (), _register, signer="by"),
    "group_topic_open": OpSpec(
        ("topic", "by", "aggregator", "dim", "groups", "submit_ticks", "signature"),
        ("trim", "weights"),
        _open,
        signer="by",
    ),
    "group_submit": OpSpec(("topic", "group", "outcome", "certificate"), (), _submit),
    "group_close": OpSpec(("topic",), (), _close, outcome=True),
}
