"""Position agreement: agents submit signed numeric positions and the replicas agree on
their robust, trust-weighted aggregate.

``position_open`` (signed by its owner ``by``) names the topic, the aggregator
(:func:`~accord.consensus.aggregate.trimmed_mean` with ``trim``, ``median`` or
``geometric_median``), the dimension, optional trust weights per agent, the length of
the submission phase in ticks and optionally ``expect`` (close as soon as that many
agents have submitted).  ``position_submit`` (signed by the agent) records one position
per agent; ``position_close`` computes the aggregate and records the breakdown point:
the largest fraction of Byzantine agents the aggregate tolerates
(:func:`~accord.consensus.aggregate.breakdown_point`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..consensus.aggregate import breakdown_point, geometric_median, median, trimmed_mean
from .ops import Context, OpSpec, ServiceError, identifier, integer, number, rounded

__all__ = ["AGGREGATORS", "OPS"]

AGGREGATORS = ("trimmed_mean", "median", "geometric_median")
MAX_DIM = 64
MAX_AGENTS = 1000


def _key(topic: str) -> str:
    return f"service/position/{topic}"


def _open(ctx: Context, op: dict[str, Any]) -> Any:
    topic = identifier(op, "topic")
    if ctx.get(_key(topic)) is not None:
        raise ServiceError(f"position_open: topic {topic!r} exists; choose another")
    aggregator = op["aggregator"]
    if aggregator not in AGGREGATORS:
        raise ServiceError(f"position_open: aggregator must be one of {', '.join(AGGREGATORS)}")
    trim = None
    if aggregator == "trimmed_mean":
        trim = number(op, "trim", low=0, default=0.1)
        if not trim < 0.5:
            raise ServiceError("position_open: trim must be in [0, 0.5)")
    elif op.get("trim") is not None:
        raise ServiceError("position_open: 'trim' is for the trimmed_mean aggregator")
    weights = op.get("weights")
    if weights is not None:
        if not isinstance(weights, dict) or not weights or len(weights) > MAX_AGENTS:
            raise ServiceError("position_open: weights map agents to trust weights")
        for a, w in weights.items():
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w < 1e300:
                raise ServiceError(f"position_open: the weight of {a!r} must be >= 0")
    state = {
        "by": identifier(op, "by"),
        "aggregator": aggregator,
        "trim": trim,
        "dim": integer(op, "dim", 1, MAX_DIM),
        "weights": weights,
        "end": ctx.tick + integer(op, "submit_ticks", 1, 2**62),
        "expect": None if op.get("expect") is None else integer(op, "expect", 1, MAX_AGENTS),
        "positions": [],
        "closed": False,
    }
    ctx.put(_key(topic), state)
    return {"topic": topic, "opened": ctx.tick, "end": state["end"]}


def _load(ctx: Context, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    topic = identifier(op, "topic")
    state = ctx.get(_key(topic))
    if state is None:
        raise ServiceError(f"{op['op']}: no topic {topic!r}; open it first")
    if state["closed"]:
        raise ServiceError(f"{op['op']}: topic {topic!r} is closed")
    return topic, state


def _full(state: dict[str, Any], tick: int) -> bool:
    return tick >= state["end"] or (
        state["expect"] is not None and len(state["positions"]) >= state["expect"]
    )


def _submit(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    agent = identifier(op, "agent")
    if _full(state, ctx.tick):
        raise ServiceError(f"position_submit: submissions to {topic!r} have ended")
    if any(a == agent for a, _ in state["positions"]):
        raise ServiceError(f"position_submit: {agent!r} has already submitted")
    if state["weights"] is not None and agent not in state["weights"]:
        raise ServiceError(f"position_submit: {agent!r} has no trust weight in {topic!r}")
    x = op["position"]
    if (
        not isinstance(x, list)
        or len(x) != state["dim"]
        or not all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and abs(v) < 1e300 for v in x
        )
    ):
        raise ServiceError(
            f"position_submit: position must be a list of {state['dim']} finite numbers"
        )
    state["positions"].append([agent, [float(v) for v in x]])
    ctx.put(_key(topic), state)
    return {"topic": topic, "agent": agent, "tick": ctx.tick}


def _close(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    if not _full(state, ctx.tick):
        raise ServiceError(f"position_close: {topic!r} accepts positions until tick {state['end']}")
    if not state["positions"]:
        raise ServiceError(f"position_close: nobody submitted a position to {topic!r}")
    agents = [a for a, _ in state["positions"]]
    X = np.asarray([p for _, p in state["positions"]], dtype=np.float64)
    w = None
    if state["weights"] is not None:
        w = np.asarray([state["weights"][a] for a in agents], dtype=np.float64)
        if not w.sum() > 0:
            raise ServiceError(f"position_close: the submitters of {topic!r} have no weight")
    m, how = len(agents), state["aggregator"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if how == "trimmed_mean":
            value = trimmed_mean(X, w, trim=state["trim"])
            bp = breakdown_point(how, m, weights=w, trim=state["trim"])
        else:
            value = (median if how == "median" else geometric_median)(X, w)
            bp = breakdown_point(how, m, weights=w)
    outcome = {
        "kind": "position",
        "id": topic,
        "aggregator": how,
        "trim": state["trim"],
        "agents": agents,
        "positions": [p for _, p in state["positions"]],
        "weights": None if w is None else [float(v) for v in w],
        "value": [float(v) for v in np.atleast_1d(value)],
        "breakdown_point": float(bp),
        "closed_at": ctx.tick,
    }
    state["closed"] = True
    ctx.put(_key(topic), state)
    return rounded(outcome)


OPS: dict[str, OpSpec] = {
    "position_open": OpSpec(
        ("topic", "by", "aggregator", "dim", "submit_ticks", "signature"),
        ("trim", "weights", "expect"),
        _open,
        signer="by",
    ),
    "position_submit": OpSpec(
        ("topic", "agent", "position", "signature"), (), _submit, signer="agent"
    ),
    "position_close": OpSpec(("topic",), (), _close, outcome=True),
}
