"""Coalition agreements: a declared TU game and a proposed division, evaluated by every
replica.

``coalition_propose`` (signed by the proposer ``by``) carries a game -- dense
(``{"values": [v(0), ..., v(2**n - 1)]}``, bit ``i`` of the index is player ``i``) or
weighted voting (``{"weights": [...], "quota": q}``) -- and a division of ``v(N)``.
The replicas compute the Shapley value (Shapley 1953), the nucleolus (Schmeidler
1969) and whether the division is in the core (Gillies 1959) with its largest excess
and a blocking coalition, and record all of it as the agreed outcome.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..coop import TUGame, WeightedVotingGame, core_violation, nucleolus, shapley
from .ops import Context, OpSpec, ServiceError, identifier, rounded

__all__ = ["OPS"]

#: Most players of a declared game (the request carries 2**n values when dense).
MAX_PLAYERS = 12
#: Tolerance of the core check, relative to the largest |v(S)|.
CORE_TOL = 1e-9


def _reals(x: Any, name: str, length: int | None = None) -> list[float]:
    if not isinstance(x, list) or (length is not None and len(x) != length):
        want = "a list" if length is None else f"a list of {length} numbers"
        raise ServiceError(f"coalition_propose: {name} must be {want}")
    for v in x:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not abs(v) < 1e300:
            raise ServiceError(f"coalition_propose: {name} must hold finite numbers")
    return [float(v) for v in x]


def _game(spec: Any) -> tuple[Any, int]:
    if not isinstance(spec, dict):
        raise ServiceError("coalition_propose: game must be {values} or {weights, quota}")
    if set(spec) == {"values"}:
        values = _reals(spec["values"], "game.values")
        n = len(values).bit_length() - 1
        if not 1 <= n <= MAX_PLAYERS or len(values) != 1 << n or values[0] != 0:
            raise ServiceError(
                f"coalition_propose: game.values needs 2**n entries (1 <= n <= "
                f"{MAX_PLAYERS}) with v(0) = 0"
            )
        return TUGame(np.asarray(values)), n
    if set(spec) == {"weights", "quota"}:
        weights = _reals(spec["weights"], "game.weights")
        (quota,) = _reals([spec["quota"]], "game.quota")
        if not 1 <= len(weights) <= MAX_PLAYERS or min(weights) < 0 or not quota > 0:
            raise ServiceError(
                f"coalition_propose: weighted voting needs 1 to {MAX_PLAYERS} weights >= 0 "
                "and a quota > 0"
            )
        return WeightedVotingGame(np.asarray(weights), quota), len(weights)
    raise ServiceError("coalition_propose: game must be {values} or {weights, quota}")


def _propose(ctx: Context, op: dict[str, Any]) -> Any:
    pid = identifier(op, "proposal")
    key = f"service/coalition/{pid}"
    if ctx.get(key) is not None:
        raise ServiceError(f"coalition_propose: proposal {pid!r} exists; choose another id")
    try:
        game, n = _game(op["game"])
        dense = np.asarray(game.value(np.arange(1 << n)), dtype=np.float64)
    except ValueError as exc:
        raise ServiceError(f"coalition_propose: {exc}") from None
    division = np.asarray(_reals(op["division"], "division", n))
    scale = max(1.0, float(np.abs(dense).max()))
    singles = sum(float(dense[1 << i]) for i in range(n))
    imputations = bool(dense[-1] >= singles - CORE_TOL * scale)
    excess, blocking = core_violation(TUGame(dense), division)
    efficient = abs(division.sum() - dense[-1]) <= CORE_TOL * scale
    outcome = {
        "kind": "coalition",
        "id": pid,
        "by": identifier(op, "by"),
        "players": n,
        "game": op["game"],
        "division": [float(v) for v in division],
        "efficient": bool(efficient),
        "in_core": bool(efficient and excess <= CORE_TOL * scale),
        "max_excess": float(excess),
        "blocking": [i for i in range(n) if (int(blocking) >> i) & 1],
        "shapley": [float(v) for v in shapley(TUGame(dense))],
        # the nucleolus needs imputations (v(N) >= sum of v({i})); else the prenucleolus
        "nucleolus_over": "imputations" if imputations else "preimputations",
        "nucleolus": [float(v) for v in nucleolus(TUGame(dense), imputation=imputations)],
        "decided_at": ctx.tick,
    }
    ctx.put(key, {"decided_at": ctx.tick})
    return rounded(outcome)


OPS: dict[str, OpSpec] = {
    "coalition_propose": OpSpec(
        ("proposal", "by", "game", "division", "signature"), (), _propose, signer="by", outcome=True
    ),
}
