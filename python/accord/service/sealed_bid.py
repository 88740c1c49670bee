"""Sealed-bid auctions by commit and reveal, run as replicated operations.

An auction moves through phases counted in *ticks*, the number of ordered operations
the service has executed (every correct replica agrees on it):

1. ``auction_open`` (signed by the seller): mechanism (``first_price``,
   ``second_price`` -- forward or ``reverse`` -- or ``vcg``, multi-unit with the Clarke
   pivot), reserve, commitment scheme (``hash`` or ``pedersen``), deposit, and the
   phase lengths ``commit_ticks`` and ``reveal_ticks``; with ``bidders`` the commit
   phase also ends as soon as that many bidders have committed.
2. ``auction_commit`` (signed by the bidder): a hash commitment
   (:mod:`~accord.service.hash_commit`) or a Pedersen commitment with a range proof
   (:mod:`~accord.service.range_proof`) that the bid is in ``[0, 2**bits)``; the
   bidder's deposit is locked.  Nothing about the bid is in the state.  Committing
   twice with the same commitment is a replay (refused); with another commitment it
   is *equivocation*: the bidder is excluded and forfeits its deposit.
3. ``auction_reveal``: the bid and its opening (salt or blinding); a reveal that does
   not open the commitment is refused, and no reveal is accepted before the commit
   phase has ended.
4. ``auction_close`` (anyone, once the reveal phase has ended or every bidder has
   revealed): the outcome from :mod:`accord.auctions` over the revealed bids in commit
   order (ties go to the earliest commit), deposits returned to those who revealed and
   forfeited to the seller by the others, the outcome appended to the ledger and
   returned for certification.

A Byzantine primary can delay a commit, but not move it across a deadline unseen: the
commit's result carries the tick at which it executed (a refusal, the tick the phase
ended as well), and a bidder whose request is not executed in time times out and sends
it to every replica, whose request timers then start a view change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..auctions import first_price, second_price, vcg_multi_unit
from .hash_commit import verify_hash_commit
from .ops import Context, OpSpec, ServiceError, identifier, integer, number, rounded
from .pedersen import ORDER, Commitment, verify_opening
from .range_proof import MAX_BITS, RangeProof, verify_range

__all__ = ["MECHANISMS", "OPS", "commit_context"]

MECHANISMS = ("first_price", "second_price", "vcg")
SCHEMES = ("hash", "pedersen")
#: Most bidders an auction admits.
MAX_BIDDERS = 1000
#: Most units of a ``vcg`` auction.
MAX_UNITS = 64
MAX_TICKS = 2**62


def _key(auction: str) -> str:
    return f"service/auction/{auction}"


def commit_context(auction: str, agent: str) -> bytes:
    """The context of a bidder's commitment and proofs: the auction and the bidder."""
    return f"accord/auction/{auction}/{agent}".encode()


def _load(ctx: Context, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    auction = identifier(op, "auction")
    state = ctx.get(_key(auction))
    if state is None:
        raise ServiceError(f"{op['op']}: no auction {auction!r}; open it first")
    if state["closed"]:
        raise ServiceError(f"{op['op']}: auction {auction!r} is closed")
    return auction, state


def _committing(state: dict[str, Any], tick: int) -> bool:
    return state["sealed_at"] is None and tick < state["commit_end"]


def _open(ctx: Context, op: dict[str, Any]) -> Any:
    auction = identifier(op, "auction")
    seller = identifier(op, "seller")
    if ctx.get(_key(auction)) is not None:
        raise ServiceError(f"auction_open: auction {auction!r} exists; choose another id")
    mechanism = op["mechanism"]
    if mechanism not in MECHANISMS:
        raise ServiceError(f"auction_open: mechanism must be one of {', '.join(MECHANISMS)}")
    scheme = op.get("commitment", "hash")
    if scheme not in SCHEMES:
        raise ServiceError(f"auction_open: commitment must be one of {', '.join(SCHEMES)}")
    reverse = op.get("reverse", False)
    if not isinstance(reverse, bool):
        raise ServiceError("auction_open: field 'reverse' must be true or false")
    reserve = None if op.get("reserve") is None else number(op, "reserve", low=0)
    units = integer(op, "units", 1, MAX_UNITS, default=1)
    if mechanism != "vcg" and units != 1:
        raise ServiceError("auction_open: 'units' is for the vcg mechanism only")
    if mechanism == "vcg" and (scheme != "hash" or reserve is not None):
        raise ServiceError("auction_open: vcg takes hash commitments and no reserve")
    if mechanism == "second_price" and reverse and reserve is None:
        raise ServiceError("auction_open: a reverse second-price auction needs a reserve")
    bits = integer(op, "bits", 1, MAX_BITS, default=32)
    commit_ticks = integer(op, "commit_ticks", 1, MAX_TICKS)
    reveal_ticks = integer(op, "reveal_ticks", 1, MAX_TICKS)
    bidders = None if op.get("bidders") is None else integer(op, "bidders", 1, MAX_BIDDERS)
    state = {
        "seller": seller,
        "mechanism": mechanism,
        "reverse": reverse,
        "reserve": reserve,
        "units": units,
        "commitment": scheme,
        "bits": bits,
        "deposit": number(op, "deposit", low=0, default=0),
        "opened": ctx.tick,
        "commit_end": ctx.tick + commit_ticks,
        "reveal_ticks": reveal_ticks,
        "bidders": bidders,
        "sealed_at": None,
        "commits": [],
        "reveals": {},
        "equivocators": {},
        "closed": False,
    }
    ctx.put(_key(auction), state)
    return {"auction": auction, "opened": ctx.tick, "commit_end": state["commit_end"]}


def _balance_key(agent: str) -> str:
    return f"service/balance/{agent}"


def _credit(ctx: Context, agent: str, amount: float) -> None:
    if amount:
        ctx.put(_balance_key(agent), (ctx.get(_balance_key(agent)) or 0) + amount)


def _commit(ctx: Context, op: dict[str, Any]) -> Any:
    auction, state = _load(ctx, op)
    agent = identifier(op, "agent")
    if not _committing(state, ctx.tick):
        end = state["commit_end"] if state["sealed_at"] is None else state["sealed_at"]
        raise ServiceError(
            f"auction_commit: the commit phase of {auction!r} has ended (at tick "
            f"{min(end, state['commit_end'])}; this commit was ordered at tick {ctx.tick})"
        )
    commitment = op["commitment"]
    if not isinstance(commitment, str):
        raise ServiceError("auction_commit: field 'commitment' must be hex")
    previous = dict(state["commits"]).get(agent)
    if agent in state["equivocators"]:
        raise ServiceError(f"auction_commit: {agent!r} is excluded for equivocation")
    if previous == commitment:
        raise ServiceError(f"auction_commit: {agent!r} has already committed (a replay)")
    if previous is not None:  # equivocation: excluded, deposit forfeited at the close
        state["commits"] = [c for c in state["commits"] if c[0] != agent]
        state["equivocators"][agent] = [previous, commitment]
        ctx.put(_key(auction), state)
        return {"auction": auction, "agent": agent, "equivocation": True, "tick": ctx.tick}
    if state["commitment"] == "hash":
        if len(commitment) != 64 or op.get("proof") is not None:
            raise ServiceError("auction_commit: a hash commitment is 64 hex characters")
        _hex(commitment)
    else:
        try:
            c = Commitment(_hex(commitment))
            proof = RangeProof.from_json(op.get("proof"))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ServiceError(f"auction_commit: {exc}") from None
        if not verify_range(c, proof, state["bits"], commit_context(auction, agent)):
            raise ServiceError(
                f"auction_commit: the range proof does not show a bid in [0, 2**{state['bits']})"
            )
    deposit = state["deposit"]
    if deposit:
        balance = ctx.get(_balance_key(agent)) or 0
        if balance < deposit:
            raise ServiceError(
                f"auction_commit: {agent!r} has {balance} in escrow, the deposit is "
                f"{deposit}; fund it first"
            )
        ctx.put(_balance_key(agent), balance - deposit)
    state["commits"].append([agent, commitment])
    if state["bidders"] is not None and len(state["commits"]) >= state["bidders"]:
        state["sealed_at"] = ctx.tick + 1
    ctx.put(_key(auction), state)
    return {"auction": auction, "agent": agent, "tick": ctx.tick}


def _hex(s: str) -> bytes:
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise ServiceError("a commitment or opening must be hex") from None


def _reveal_end(state: dict[str, Any]) -> int:
    start = state["commit_end"] if state["sealed_at"] is None else state["sealed_at"]
    return start + state["reveal_ticks"]


def _bid(op: dict[str, Any], state: dict[str, Any]) -> Any:
    bid = op["bid"]
    if state["mechanism"] == "vcg":
        if (
            not isinstance(bid, list)
            or len(bid) != state["units"]
            or not all(
                not isinstance(v, bool) and isinstance(v, (int, float)) and 0 <= v < 1e300
                for v in bid
            )
        ):
            raise ServiceError(
                f"auction_reveal: a vcg bid is a list of {state['units']} non-negative "
                "marginal values"
            )
        return bid
    if state["commitment"] == "pedersen":
        return integer(op, "bid", 0, (1 << state["bits"]) - 1)
    return number(op, "bid", low=0)


def _reveal(ctx: Context, op: dict[str, Any]) -> Any:
    auction, state = _load(ctx, op)
    agent = identifier(op, "agent")
    if _committing(state, ctx.tick):
        raise ServiceError(f"auction_reveal: {auction!r} is still in its commit phase")
    if ctx.tick >= _reveal_end(state):
        raise ServiceError(f"auction_reveal: the reveal phase of {auction!r} has ended")
    commitment = dict(state["commits"]).get(agent)
    if commitment is None:
        raise ServiceError(f"auction_reveal: {agent!r} has no commitment in {auction!r}")
    if agent in state["reveals"]:
        raise ServiceError(f"auction_reveal: {agent!r} has already revealed")
    bid = _bid(op, state)
    opening = op["opening"]
    if not isinstance(opening, str):
        raise ServiceError("auction_reveal: field 'opening' must be hex")
    context = commit_context(auction, agent)
    if state["commitment"] == "hash":
        ok = verify_hash_commit(_hex(commitment), bid, _hex(opening), context)
    else:
        blinding = int.from_bytes(_hex(opening), "big")
        ok = 0 < blinding < ORDER and verify_opening(Commitment(_hex(commitment)), bid, blinding)
    if not ok:
        raise ServiceError(
            f"auction_reveal: the bid and opening do not open {agent!r}'s commitment"
        )
    state["reveals"][agent] = bid
    ctx.put(_key(auction), state)
    return {"auction": auction, "agent": agent, "tick": ctx.tick}


def _outcome(state: dict[str, Any]) -> dict[str, Any]:
    names = [a for a, _ in state["commits"] if a in state["reveals"]]
    bids = [state["reveals"][a] for a in names]
    out: dict[str, Any] = {"winner": None, "price": None, "payments": {}, "allocation": {}}
    if not names:
        return out
    if state["mechanism"] == "vcg":
        vcg = vcg_multi_unit(
            np.asarray(bids, dtype=np.float64), state["units"], reverse=state["reverse"]
        )
        alloc = vcg.allocation[:, 0]
        out["allocation"] = {a: int(alloc[k]) for k, a in enumerate(names) if alloc[k]}
        out["payments"] = {
            a: float(vcg.payments[k]) for k, a in enumerate(names) if vcg.payments[k]
        }
        return out
    run = first_price if state["mechanism"] == "first_price" else second_price
    res = run(
        np.asarray(bids, dtype=np.float64), reserve=state["reserve"], reverse=state["reverse"]
    )
    if res.winner is not None:
        w = names[res.winner]
        out.update(winner=w, price=float(res.price), payments={w: float(res.payment)})
        out["allocation"] = {w: 1}
    return out


def _close(ctx: Context, op: dict[str, Any]) -> Any:
    auction, state = _load(ctx, op)
    committed = [a for a, _ in state["commits"]]
    everyone = not _committing(state, ctx.tick) and all(a in state["reveals"] for a in committed)
    if ctx.tick < _reveal_end(state) and not everyone:
        raise ServiceError(
            f"auction_close: {auction!r} closes at tick {_reveal_end(state)} or once every "
            f"bidder has revealed (now tick {ctx.tick})"
        )
    deposit = state["deposit"]
    excluded = [a for a in committed if a not in state["reveals"]]
    forfeited = {a: deposit for a in [*excluded, *state["equivocators"]] if deposit}
    for a in committed:
        if a in state["reveals"]:
            _credit(ctx, a, deposit)
    _credit(ctx, state["seller"], sum(forfeited.values()))
    outcome = {
        "kind": "auction",
        "id": auction,
        "seller": state["seller"],
        "mechanism": state["mechanism"],
        "reverse": state["reverse"],
        "reserve": state["reserve"],
        "commitment": state["commitment"],
        "commitments": dict(state["commits"]),
        "bids": {a: state["reveals"][a] for a in committed if a in state["reveals"]},
        "excluded": excluded,
        "equivocators": sorted(state["equivocators"]),
        "forfeited": forfeited,
        "closed_at": ctx.tick,
        **_outcome(state),
    }
    outcome = rounded(outcome)
    state["closed"] = True
    ctx.put(_key(auction), state)
    return outcome


OPS: dict[str, OpSpec] = {
    "auction_open": OpSpec(
        ("auction", "seller", "mechanism", "commit_ticks", "reveal_ticks", "signature"),
        ("reverse", "reserve", "units", "commitment", "bits", "deposit", "bidders"),
        _open,
        signer="seller",
    ),
    "auction_commit": OpSpec(
        ("auction", "agent", "commitment", "signature"), ("proof",), _commit, signer="agent"
    ),
    "auction_reveal": OpSpec(("auction", "agent", "bid", "opening"), (), _reveal),
    "auction_close": OpSpec(("auction",), (), _close, outcome=True),
}
