"""Position agreement: agents submit signed numeric positions and the replicas agree on
their robust, trust-weighted aggregate.

``position_open`` (signed by its owner ``by``) names the topic, the aggregator
(:func:`~accord.consensus.aggregate.trimmed_mean` with ``trim``, ``median`` or
``geometric_median``), the dimension, optional trust weights per agent, the length of
the submission phase in ticks and optionally ``expect`` (close as soon as that many
agents have submitted).  ``position_submit`` (signed by the agent) records one position
per agent; ``position_close`` (anyone, once the submission phase is over) computes the
aggregate and records the breakdown point: the largest fraction of Byzantine agents
the aggregate tolerates (:func:`~accord.consensus.aggregate.breakdown_point`).

**Committed positions.**  With ``commit_ticks`` the topic takes hash commitments
(:mod:`~accord.service.hash_commit`; Halevi & Micali (1996)) in a commit phase of that
many ticks, then reveals in a phase of ``submit_ticks``, so that nobody can choose a
position after seeing the others':

* ``position_commit`` (signed by the agent): the 64-hex commitment to the position in
  :func:`position_context` (the topic and the agent), one per agent; the state holds
  only the commitment.  With ``expect``, the commit phase ends as soon as that many
  agents have committed.
* ``position_reveal`` (anyone may send it: the opening binds it to the commitment),
  only once the commit phase has ended: the position and the salt (``opening``); a
  reveal that does not open the agent's commitment is refused.
* ``position_close``: once the reveal phase has ended, or every committed agent has
  revealed; only revealed positions enter the aggregate (in commit order), and the
  outcome lists the agents who committed but did not reveal under ``excluded``.

A committed topic refuses ``position_submit``, a plain one ``position_commit`` and
``position_reveal``.  :func:`committed_position` builds an agent's two operations.

**A declared finite game.**  With ``game = {"actions": [m_1, ..., m_k], "solve": S}``
(``k >= 2`` players, ``m_i >= 1`` actions, ``k * prod(m) <= MAX_GAME_DIM``) a position
is the agent's estimate of the whole payoff tensor of shape ``(k, m_1, ..., m_k)``
(player first, then the joint action), flattened in C order; ``dim`` must equal
``k * prod(m)`` (a mismatch is refused, it is not derived).  At the close the robust
aggregate is the agreed game: the outcome's ``value``, rounded to
:data:`~accord.service.ops.PRECISION` places, and it is that rounded game the replicas
solve, so anyone can solve it again from the outcome:

* ``"ce"``: the correlated equilibrium (Aumann (1974)) of maximum total welfare
  (the sum of the players' expected payoffs), by
  :func:`~accord.games.correlated_equilibrium` with the dual simplex method (an
  optimal vertex, the same on every replica);
* ``"cce"``: the coarse correlated equilibrium (Hannan (1957); Moulin & Vial (1978))
  of maximum total welfare, by :func:`~accord.games.coarse_correlated_equilibrium`;
* ``"lemke_howson"`` (two players only): the Nash equilibrium that Lemke & Howson
  (1964) reaches from the artificial equilibrium with label 0 (the row player's first
  action) dropped, by :func:`~accord.games.lemke_howson`.

The outcome's ``equilibrium`` records the concept, the rule, the joint distribution
(CE, CCE; nested, shape ``(m_1, ..., m_k)``) or the mixed strategies (Lemke-Howson)
and every player's expected payoff.  Below the aggregator's breakdown point the
Byzantine agents' influence on the agreed game is bounded; with the coordinatewise
median and more than half the weight on honest agents who agree, the agreed game, and
so its equilibrium, is exactly theirs.  A solver failure refuses the close (a
:class:`~accord.service.ops.ServiceError` naming it).

The topic's state and its outcome are each one value of at most
:data:`~accord.consensus.statemachine.MAX_VALUE_BYTES` of canonical JSON.  A submission
or commitment that would leave no room for the outcome, or in a committed topic for the
reveals still pending (counted at the longest a float takes), is refused as "full"; so
no close fails and no reveal is refused for want of room.  A 2 x 5 x 5 game (50
entries) holds some 40 committed agents; a 2 x 16 x 16 one (512) about 3 committed, or
4 to 15 submitting plainly, by the length of their numbers.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..consensus.aggregate import breakdown_point, geometric_median, median, trimmed_mean
from ..consensus.ledger import canonical_json
from ..consensus.statemachine import MAX_VALUE_BYTES
from ..games import coarse_correlated_equilibrium, correlated_equilibrium, lemke_howson
from .hash_commit import hash_commit, verify_hash_commit
from .ops import Context, OpSpec, ServiceError, identifier, integer, number, rounded
from .signing import AgentKey

__all__ = [
    "AGGREGATORS",
    "MAX_GAME_DIM",
    "OPS",
    "SOLVERS",
    "committed_position",
    "position_context",
]

AGGREGATORS = ("trimmed_mean", "median", "geometric_median")
#: Equilibrium concepts of a game topic.
SOLVERS = ("ce", "cce", "lemke_howson")
MAX_DIM = 64
#: Most payoff entries (``k * prod(m)``) of a game topic.
MAX_GAME_DIM = 512
#: Most players of a game topic.
MAX_PLAYERS = 16
MAX_AGENTS = 1000
MAX_TICKS = 2**62
#: The Lemke-Howson path starts by dropping this label (the row player's first action).
LH_LABEL = 0
#: Characters of canonical JSON one rounded number of an outcome may take, separators
#: and brackets included (a float's shortest repr has at most 24).
_NUMBER_CHARS = 26
#: Characters kept for the fields of an outcome besides its numbers.
_OUTCOME_OVERHEAD = 2048
_SOLVE_CHOICES = " | ".join(f'"{s}"' for s in SOLVERS)
_CONCEPTS = {
    "ce": ("correlated", "max_welfare"),
    "cce": ("coarse_correlated", "max_welfare"),
    "lemke_howson": ("nash", f"lemke_howson_label_{LH_LABEL}"),
}


def _key(topic: str) -> str:
    return f"service/position/{topic}"


def group_topic_key(topic: str) -> str:
    """Where a group topic (:mod:`.hierarchy`) keeps its state."""
    return f"service/group_topic/{topic}"


def open_topic_name(ctx: Context, op: dict[str, Any]) -> str:
    """The checked, unused ``topic`` of an opening operation: agents' and groups'
    topics share one name space, because both close to the outcome
    ``service/outcome/position/<topic>``."""
    topic = identifier(op, "topic")
    if ctx.get(_key(topic)) is not None or ctx.get(group_topic_key(topic)) is not None:
        raise ServiceError(f"{op['op']}: topic {topic!r} exists; choose another")
    return topic


def aggregation(op: dict[str, Any]) -> tuple[str, float | None]:
    """The checked ``aggregator`` and ``trim`` (``0.1`` by default for
    ``trimmed_mean``, ``None`` otherwise) of an opening operation."""
    name, aggregator = op["op"], op["aggregator"]
    if aggregator not in AGGREGATORS:
        raise ServiceError(f"{name}: aggregator must be one of {', '.join(AGGREGATORS)}")
    if aggregator != "trimmed_mean":
        if op.get("trim") is not None:
            raise ServiceError(f"{name}: 'trim' is for the trimmed_mean aggregator")
        return aggregator, None
    trim = number(op, "trim", low=0, default=0.1)
    if not trim < 0.5:
        raise ServiceError(f"{name}: trim must be in [0, 0.5)")
    return aggregator, trim


def check_weights(name: str, weights: dict[str, Any]) -> None:
    """Refuse trust weights that are not finite numbers ``>= 0``."""
    for a, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w < 1e300:
            raise ServiceError(f"{name}: the weight of {a!r} must be a finite number >= 0")


def aggregate(
    how: str, X: np.ndarray, w: np.ndarray | None, trim: float | None
) -> tuple[np.ndarray, float]:
    """The robust aggregate of the rows of ``X`` (weights ``w``) by ``how`` and its
    breakdown point (:func:`~accord.consensus.aggregate.breakdown_point`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if how == "trimmed_mean":
            return trimmed_mean(X, w, trim=trim), breakdown_point(how, len(X), weights=w, trim=trim)
        value = (median if how == "median" else geometric_median)(X, w)
        return value, breakdown_point(how, len(X), weights=w)


def position_context(topic: str, agent: str) -> bytes:
    """The context of an agent's position commitment: the topic and the agent."""
    return f"accord/position/{topic}/{agent}".encode()


def committed_position(
    key: AgentKey, topic: str, position: list[float]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(commit_op, reveal_op)`` of ``key.agent``'s ``position`` in ``topic``: the
    signed hash commitment (fresh salt) and the reveal that opens it."""
    c, salt = hash_commit(position, position_context(topic, key.agent))
    base = {"topic": topic, "agent": key.agent}
    commit = key.sign({"op": "position_commit", **base, "commitment": c.hex()})
    reveal = {"op": "position_reveal", **base, "position": position, "opening": salt.hex()}
    return commit, reveal


def _game(op: dict[str, Any]) -> dict[str, Any]:
    """The checked ``game`` field: ``{"actions": [...], "solve": ...}``."""
    game = op["game"]
    if not isinstance(game, dict) or set(game) != {"actions", "solve"}:
        raise ServiceError(
            f'position_open: game must be {{"actions": [m1, ..., mk], "solve": {_SOLVE_CHOICES}}}'
        )
    actions, solve = game["actions"], game["solve"]
    if (
        not isinstance(actions, list)
        or not 2 <= len(actions) <= MAX_PLAYERS
        or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in actions)
    ):
        raise ServiceError(
            f"position_open: game.actions must list 2 to {MAX_PLAYERS} players' numbers "
            "of actions, each an int >= 1"
        )
    entries = len(actions)
    for m in actions:
        entries *= m
        if entries > MAX_GAME_DIM:
            raise ServiceError(
                f"position_open: a game has at most {MAX_GAME_DIM} payoff entries "
                "(players * prod(actions)); use fewer players or actions"
            )
    if solve not in SOLVERS:
        raise ServiceError(f"position_open: game.solve must be one of {', '.join(SOLVERS)}")
    if solve == "lemke_howson" and len(actions) != 2:
        raise ServiceError(
            f"position_open: lemke_howson solves two-player games; this game has "
            f"{len(actions)} players (use 'ce' or 'cce')"
        )
    return {"actions": actions, "solve": solve}


def _reserve(state: dict[str, Any]) -> int:
    """Characters to keep free beside the state: what the outcome adds (the aggregate,
    the breakdown point and, for a game, the equilibrium and the expected payoffs; a
    probability takes at most 13 characters) and, in a committed topic, the positions
    still to be revealed, so that no reveal is refused for want of room."""
    dim, game = state["dim"], state.get("game")
    pending = len(state["commits"]) - len(state["positions"]) if _committed(state) else 0
    chars = _NUMBER_CHARS * (dim + 1) + pending * (_NUMBER_CHARS * dim + 16)
    if game is not None:
        actions = game["actions"]
        shape = sum(actions) if game["solve"] == "lemke_howson" else math.prod(actions)
        chars += 13 * shape + _NUMBER_CHARS * len(actions)
    return chars + _OUTCOME_OVERHEAD


def _check_room(name: str, topic: str, state: dict[str, Any]) -> None:
    """Refuse a state that would leave no room for its outcome (which holds the
    submitted positions too) or its pending reveals under ``MAX_VALUE_BYTES``."""
    if len(canonical_json(state)) + _reserve(state) > MAX_VALUE_BYTES:
        raise ServiceError(
            f"{name}: topic {topic!r} is full: its outcome would exceed {MAX_VALUE_BYTES} "
            "bytes; open topics with fewer agents or a smaller dimension"
        )


def _open(ctx: Context, op: dict[str, Any]) -> Any:
    topic = open_topic_name(ctx, op)
    aggregator, trim = aggregation(op)
    weights = op.get("weights")
    if weights is not None:
        if not isinstance(weights, dict) or not weights or len(weights) > MAX_AGENTS:
            raise ServiceError("position_open: weights map agents to trust weights")
        check_weights("position_open", weights)
    game = None if op.get("game") is None else _game(op)
    if game is None:
        dim = integer(op, "dim", 1, MAX_DIM)
    else:
        dim = integer(op, "dim", 1, MAX_GAME_DIM)
        need = len(game["actions"]) * math.prod(game["actions"])
        if dim != need:
            raise ServiceError(
                f"position_open: dim must be players * prod(actions) = {need} for a game "
                f"with actions {game['actions']} (the payoff tensor flattened); got {dim}"
            )
    submit_ticks = integer(op, "submit_ticks", 1, MAX_TICKS)
    state: dict[str, Any] = {
        "by": identifier(op, "by"),
        "aggregator": aggregator,
        "trim": trim,
        "dim": dim,
        "weights": weights,
        "end": ctx.tick + submit_ticks,
        "expect": None if op.get("expect") is None else integer(op, "expect", 1, MAX_AGENTS),
        "positions": [],
        "closed": False,
    }
    result = {"topic": topic, "opened": ctx.tick}
    if op.get("commit_ticks") is not None:
        commit_end = ctx.tick + integer(op, "commit_ticks", 1, MAX_TICKS)
        state.update(
            commit_end=commit_end,
            reveal_ticks=submit_ticks,
            end=commit_end + submit_ticks,
            commits=[],
        )
        result["commit_end"] = commit_end
    if game is not None:
        state["game"] = game
    _check_room("position_open", topic, state)
    ctx.put(_key(topic), state)
    return {**result, "end": state["end"]}


def _load(ctx: Context, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    topic = identifier(op, "topic")
    state = ctx.get(_key(topic))
    if state is None:
        raise ServiceError(f"{op['op']}: no topic {topic!r}; open it first")
    if state["closed"]:
        raise ServiceError(f"{op['op']}: topic {topic!r} is closed")
    return topic, state


def _committed(state: dict[str, Any]) -> bool:
    return "commits" in state


def _committing(state: dict[str, Any], tick: int) -> bool:
    return tick < state["commit_end"]


def _full(state: dict[str, Any], tick: int) -> bool:
    """Whether a plain topic's submission phase is over."""
    return tick >= state["end"] or (
        state["expect"] is not None and len(state["positions"]) >= state["expect"]
    )


def _closable(state: dict[str, Any], tick: int) -> bool:
    if not _committed(state):
        return _full(state, tick)
    everyone = len(state["positions"]) == len(state["commits"])
    return tick >= state["end"] or (not _committing(state, tick) and everyone)


def _position(op: dict[str, Any], state: dict[str, Any]) -> list[float]:
    x = op["position"]
    if (
        not isinstance(x, list)
        or len(x) != state["dim"]
        or not all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and abs(v) < 1e300 for v in x
        )
    ):
        what = " (the payoff tensor flattened in C order)" if "game" in state else ""
        raise ServiceError(
            f"{op['op']}: position must be a list of {state['dim']} finite numbers{what}"
        )
    return [float(v) for v in x]


def _check_agent(name: str, topic: str, state: dict[str, Any], agent: str) -> None:
    if state["weights"] is not None and agent not in state["weights"]:
        raise ServiceError(f"{name}: {agent!r} has no trust weight in {topic!r}")


def _submit(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    agent = identifier(op, "agent")
    if _committed(state):
        raise ServiceError(
            f"position_submit: {topic!r} takes committed positions: send position_commit, "
            "then position_reveal once the commit phase has ended"
        )
    if _full(state, ctx.tick):
        raise ServiceError(f"position_submit: submissions to {topic!r} have ended")
    if any(a == agent for a, _ in state["positions"]):
        raise ServiceError(f"position_submit: {agent!r} has already submitted")
    _check_agent("position_submit", topic, state, agent)
    state["positions"].append([agent, _position(op, state)])
    _check_room("position_submit", topic, state)
    ctx.put(_key(topic), state)
    return {"topic": topic, "agent": agent, "tick": ctx.tick}


def _not_committed(name: str, topic: str) -> ServiceError:
    return ServiceError(
        f"{name}: {topic!r} takes plain positions (it was opened without commit_ticks); "
        "send position_submit"
    )


def _commit(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    agent = identifier(op, "agent")
    if not _committed(state):
        raise _not_committed("position_commit", topic)
    if not _committing(state, ctx.tick):
        raise ServiceError(f"position_commit: the commit phase of {topic!r} has ended")
    if any(a == agent for a, _ in state["commits"]):
        raise ServiceError(
            f"position_commit: {agent!r} has already committed (one commitment per agent)"
        )
    _check_agent("position_commit", topic, state, agent)
    commitment = op["commitment"]
    digest = _hex("position_commit", "commitment", commitment)
    if len(digest) != 32:
        raise ServiceError("position_commit: field 'commitment' must be 64 hex characters")
    state["commits"].append([agent, digest.hex()])
    if state["expect"] is not None and len(state["commits"]) >= state["expect"]:
        state["commit_end"] = ctx.tick + 1  # every expected agent has committed
        state["end"] = state["commit_end"] + state["reveal_ticks"]
    _check_room("position_commit", topic, state)
    ctx.put(_key(topic), state)
    return {"topic": topic, "agent": agent, "tick": ctx.tick}


def _hex(name: str, field: str, s: Any) -> bytes:
    try:
        if not isinstance(s, str):
            raise ValueError
        return bytes.fromhex(s)
    except ValueError:
        raise ServiceError(f"{name}: field {field!r} must be hex") from None


def _reveal(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    agent = identifier(op, "agent")
    if not _committed(state):
        raise _not_committed("position_reveal", topic)
    if _committing(state, ctx.tick):
        raise ServiceError(
            f"position_reveal: {topic!r} is in its commit phase until tick "
            f"{state['commit_end']}; reveal after it"
        )
    if ctx.tick >= state["end"]:
        raise ServiceError(f"position_reveal: the reveal phase of {topic!r} has ended")
    commitment = dict(state["commits"]).get(agent)
    if commitment is None:
        raise ServiceError(f"position_reveal: {agent!r} has no commitment in {topic!r}")
    if any(a == agent for a, _ in state["positions"]):
        raise ServiceError(f"position_reveal: {agent!r} has already revealed")
    position = _position(op, state)
    salt = _hex("position_reveal", "opening", op["opening"])
    context = position_context(topic, agent)
    if not verify_hash_commit(bytes.fromhex(commitment), op["position"], salt, context):
        raise ServiceError(
            f"position_reveal: the position and opening do not open {agent!r}'s commitment"
        )
    state["positions"].append([agent, position])
    _check_room("position_reveal", topic, state)
    ctx.put(_key(topic), state)
    return {"topic": topic, "agent": agent, "tick": ctx.tick}


def _solve(game: dict[str, Any], value: list[float]) -> dict[str, Any]:
    """The equilibrium of the agreed game (payoffs ``value``, flattened) by the game's
    rule, as JSON; a solver failure is a :class:`ServiceError`."""
    actions, solve = game["actions"], game["solve"]
    u = np.asarray(value, dtype=np.float64).reshape(len(actions), *actions)
    concept, rule = _CONCEPTS[solve]
    out: dict[str, Any] = {"concept": concept, "rule": rule}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if solve == "lemke_howson":
                x, y = lemke_howson(u[0], u[1], LH_LABEL)
                out["strategies"] = [x.tolist(), y.tolist()]
                out["expected_payoffs"] = [float(x @ u[0] @ y), float(x @ u[1] @ y)]
            else:
                run = correlated_equilibrium if solve == "ce" else coarse_correlated_equilibrium
                eq = run(u, "welfare", method="simplex")
                out["distribution"] = eq.distribution.tolist()
                out["expected_payoffs"] = [float(v) for v in eq.expected_payoffs]
    except (ValueError, RuntimeError, ArithmeticError) as exc:
        raise ServiceError(
            f"position_close: solving the agreed game by {solve!r} failed: {exc}"
        ) from None
    return out


def _close(ctx: Context, op: dict[str, Any]) -> Any:
    topic, state = _load(ctx, op)
    if not _closable(state, ctx.tick):
        if _committed(state):
            raise ServiceError(
                f"position_close: {topic!r} closes at tick {state['end']} or once every "
                f"committed agent has revealed (now tick {ctx.tick})"
            )
        raise ServiceError(f"position_close: {topic!r} accepts positions until tick {state['end']}")
    if not state["positions"]:
        raise ServiceError(f"position_close: nobody submitted a position to {topic!r}")
    excluded: list[str] = []
    if _committed(state):
        revealed = dict(state["positions"])
        state["positions"] = [[a, revealed[a]] for a, _ in state["commits"] if a in revealed]
        excluded = [a for a, _ in state["commits"] if a not in revealed]
    agents = [a for a, _ in state["positions"]]
    X = np.asarray([p for _, p in state["positions"]], dtype=np.float64)
    w = None
    if state["weights"] is not None:
        w = np.asarray([state["weights"][a] for a in agents], dtype=np.float64)
        if not w.sum() > 0:
            raise ServiceError(f"position_close: the submitters of {topic!r} have no weight")
    how = state["aggregator"]
    value, bp = aggregate(how, X, w, state["trim"])
    outcome = rounded(
        {
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
    )
    if _committed(state):
        outcome["excluded"] = excluded
    game = state.get("game")
    if game is not None:
        outcome["game"] = game
        outcome["equilibrium"] = rounded(_solve(game, outcome["value"]))
    state["closed"] = True
    ctx.put(_key(topic), state)
    return outcome


OPS: dict[str, OpSpec] = {
    "position_open": OpSpec(
        ("topic", "by", "aggregator", "dim", "submit_ticks", "signature"),
        ("trim", "weights", "expect", "commit_ticks", "game"),
        _open,
        signer="by",
    ),
    "position_submit": OpSpec(
        ("topic", "agent", "position", "signature"), (), _submit, signer="agent"
    ),
    "position_commit": OpSpec(
        ("topic", "agent", "commitment", "signature"), (), _commit, signer="agent"
    ),
    "position_reveal": OpSpec(("topic", "agent", "position", "opening"), (), _reveal),
    "position_close": OpSpec(("topic",), (), _close, outcome=True),
}
