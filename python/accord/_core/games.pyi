"""
normal-form game kernels
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = [
    "best_response",
    "best_response_iteration",
    "correlated_equilibrium_batch",
    "fictitious_play",
    "incentive_gains",
    "incentive_lp",
    "incentive_matrix",
    "incentive_violation",
    "lemke_howson",
    "lemke_howson_all",
    "lemke_howson_batch",
    "logit_fictitious_play",
    "regret_matching",
    "replicator",
    "support_enumeration",
    "vertex_enumeration",
]

def best_response(
    payoffs: numpy.typing.NDArray[numpy.float64] | numpy.typing.NDArray[numpy.float32],
    profile: numpy.typing.NDArray[numpy.float64] | numpy.typing.NDArray[numpy.float32],
    tol: typing.SupportsFloat | typing.SupportsIndex,
    with_u: bool = False,
) -> tuple:
    """
    (actions int64 (G, n), best (G, n), current (G, n), u (G, sum k) or empty) of a batch
    of games (G, n, k_1, ..., k_n); profile (G, sum k) has the payoffs' dtype.
    """

def best_response_iteration(
    payoffs: numpy.typing.NDArray[numpy.float64],
    start: numpy.typing.NDArray[numpy.float64],
    iterations: typing.SupportsInt | typing.SupportsIndex,
    damping: typing.SupportsFloat | typing.SupportsIndex,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    record_every: typing.SupportsInt | typing.SupportsIndex,
) -> tuple[
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.int64],
]:
    """
    (profile (G, sum k), NashConv history (G, records), converged_at int64 (G,)).
    """

def correlated_equilibrium_batch(
    payoffs: numpy.typing.NDArray[numpy.float64],
    objective: typing.SupportsInt | typing.SupportsIndex,
    coarse: bool,
    max_pivots: typing.SupportsInt | typing.SupportsIndex,
    tol: typing.SupportsFloat | typing.SupportsIndex,
) -> tuple[
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.int8],
]:
    """
    Optimal (C)CE of each of G games (G, n, k..) by dense simplex: (dist, expected,
    violation, status); objective: player index, -1 welfare, -2 egalitarian, -3 any.
    """

def fictitious_play(
    payoffs: numpy.typing.NDArray[numpy.float64],
    iterations: typing.SupportsInt | typing.SupportsIndex,
    mode: typing.SupportsInt | typing.SupportsIndex,
    initial: numpy.typing.NDArray[numpy.int64],
    record_every: typing.SupportsInt | typing.SupportsIndex,
) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (profile (G, sum k), NashConv history (G, records)).
    """

def incentive_gains(
    payoffs: numpy.typing.NDArray[numpy.float64],
    dist: numpy.typing.NDArray[numpy.float64],
    coarse: bool,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    Incentive gains of B games (payoffs (B, n, k..), dist (B, k..)): per player a
    k_i x k_i matrix g[r, d] (CE) or a vector h[d] (coarse=True), concatenated.
    """

def incentive_lp(
    payoffs: numpy.typing.NDArray[numpy.float64], coarse: bool, egalitarian: bool
) -> tuple[
    numpy.typing.NDArray[numpy.int32],
    numpy.typing.NDArray[numpy.int32],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.int64],
]:
    """
    Row-wise LP matrix of one game (payoffs (n, k..)) for HiGHS: (indptr int32,
    indices int32, data, kept int64).  Its first len(kept) rows are the incentive rows
    kept[j] with a positive coefficient (the others hold for every p >= 0); then, with
    egalitarian=True, one row z - U_i . p per player over N + 1 columns (explicit zeros
    included); last the row sum p.
    """

def incentive_matrix(
    payoffs: numpy.typing.NDArray[numpy.float64], coarse: bool
) -> tuple[
    numpy.typing.NDArray[numpy.int64],
    numpy.typing.NDArray[numpy.int32],
    numpy.typing.NDArray[numpy.float64],
    tuple[int, int],
]:
    """
    CSR (indptr int64, indices int32, data, shape) of the incentive matrix of one game
    (payoffs (n, k..)): rows (i, r, d != r) for CE or (i, d) for coarse=True.
    """

def incentive_violation(
    payoffs: numpy.typing.NDArray[numpy.float64],
    dist: numpy.typing.NDArray[numpy.float64],
    coarse: bool,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    Largest incentive gain of each of B games (>= 0).
    """

def lemke_howson(
    A: numpy.typing.NDArray[numpy.float64],
    B: numpy.typing.NDArray[numpy.float64],
    label: typing.SupportsInt | typing.SupportsIndex,
    max_pivots: typing.SupportsInt | typing.SupportsIndex,
) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    One equilibrium by Lemke-Howson with lexicographic pivoting: (x, y).
    """

def lemke_howson_all(
    A: numpy.typing.NDArray[numpy.float64],
    B: numpy.typing.NDArray[numpy.float64],
    max_pivots: typing.SupportsInt | typing.SupportsIndex,
) -> tuple:
    """
    Distinct equilibria reached from every dropped label: (X, Y, False).
    """

def lemke_howson_batch(
    payoffs: numpy.typing.NDArray[numpy.float64],
    labels: numpy.typing.NDArray[numpy.int32],
    max_pivots: typing.SupportsInt | typing.SupportsIndex,
    rtol: typing.SupportsFloat | typing.SupportsIndex,
) -> tuple[
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.int8],
]:
    """
    Lemke-Howson on each game of a (games, 2, m, n) batch: (X, Y, regret, status).
    """

def logit_fictitious_play(
    payoffs: numpy.typing.NDArray[numpy.float64],
    iterations: typing.SupportsInt | typing.SupportsIndex,
    temperature: typing.SupportsFloat | typing.SupportsIndex,
    sampled: bool,
    seed: typing.SupportsInt | typing.SupportsIndex,
    record_every: typing.SupportsInt | typing.SupportsIndex,
) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (profile (G, sum k), NashConv history (G, records)).
    """

def regret_matching(
    payoffs: numpy.typing.NDArray[numpy.float64],
    iterations: typing.SupportsInt | typing.SupportsIndex,
    variant: typing.SupportsInt | typing.SupportsIndex,
    inertia: typing.SupportsFloat | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    record_every: typing.SupportsInt | typing.SupportsIndex,
) -> tuple[
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
    numpy.typing.NDArray[numpy.float64],
]:
    """
    (profile (G, sum k), joint (G, K), NashConv history (G, records)).
    """

def replicator(
    payoffs: numpy.typing.NDArray[numpy.float64],
    start: numpy.typing.NDArray[numpy.float64],
    iterations: typing.SupportsInt | typing.SupportsIndex,
    step: typing.SupportsFloat | typing.SupportsIndex,
    record_every: typing.SupportsInt | typing.SupportsIndex,
) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (profile (G, sum k), NashConv history (G, records)).
    """

def support_enumeration(
    A: numpy.typing.NDArray[numpy.float64], B: numpy.typing.NDArray[numpy.float64]
) -> tuple:
    """
    Equilibria on equal-size supports: (X, Y, degenerate).
    """

def vertex_enumeration(
    A: numpy.typing.NDArray[numpy.float64],
    B: numpy.typing.NDArray[numpy.float64],
    max_bases: typing.SupportsInt | typing.SupportsIndex,
) -> tuple:
    """
    All extreme equilibria, each once: (X, Y, degenerate).
    """
