"""
cooperative-game kernels
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = [
    "max_excess",
    "permutation_sample_dense",
    "permutation_sample_voting",
    "permutations",
    "semivalue_sums",
    "stratified_sample_dense",
    "stratified_sample_voting",
    "stratum_subsets",
    "voting_banzhaf",
    "voting_shapley",
]

def max_excess(
    v: numpy.typing.NDArray[numpy.float64], x: numpy.typing.NDArray[numpy.float64]
) -> tuple[float, int]:
    """
    (max over non-empty S of v[S] - x(S), lowest mask attaining it).
    """

def permutation_sample_dense(
    v: numpy.typing.NDArray[numpy.float64],
    seed: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
    antithetic: bool,
    shift: numpy.typing.NDArray[numpy.float64],
) -> tuple:
    """
    (sum, sum of squares) (n,) of the shifted marginal contributions of the sampled
    permutations.
    """

def permutation_sample_voting(
    w: numpy.typing.NDArray[numpy.float64],
    quota: typing.SupportsFloat | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
    antithetic: bool,
) -> tuple:
    """
    (sum, sum of squares) (n,) of the pivot indicators of the sampled permutations.
    """

def permutations(
    n: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.int32]:
    """
    int32 (count, n): the permutations with Philox stream ids first .. first + count - 1.
    """

def semivalue_sums(
    v: numpy.typing.NDArray[numpy.float64],
    c: numpy.typing.NDArray[numpy.float64],
    b: numpy.typing.NDArray[numpy.float64],
) -> tuple[numpy.typing.NDArray[numpy.float64], float]:
    """
    A[i] = sum_{S∋i} c[|S|] v[S] and T = sum_S b[|S|] v[S] in one pass.
    """

def stratified_sample_dense(
    v: numpy.typing.NDArray[numpy.float64],
    seed: typing.SupportsInt | typing.SupportsIndex,
    per_stratum: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
    shift: numpy.typing.NDArray[numpy.float64],
) -> tuple:
    """
    (sum, sum of squares) (n, n) per stratum [player, size].
    """

def stratified_sample_voting(
    w: numpy.typing.NDArray[numpy.float64],
    quota: typing.SupportsFloat | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    per_stratum: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
) -> tuple:
    """
    (sum, sum of squares) (n, n) per stratum [player, size].
    """

def stratum_subsets(
    n: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    per_stratum: typing.SupportsInt | typing.SupportsIndex,
    player: typing.SupportsInt | typing.SupportsIndex,
    size: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.bool]:
    """
    bool (count, n): the coalitions the stratified samplers draw for (player, size).
    """

def voting_banzhaf(
    w: numpy.typing.NDArray[numpy.int64], quota: typing.SupportsInt | typing.SupportsIndex
) -> numpy.typing.NDArray[numpy.float64]:
    """
    Raw Banzhaf index of a weighted voting game with integer weights.
    """

def voting_shapley(
    w: numpy.typing.NDArray[numpy.int64], quota: typing.SupportsInt | typing.SupportsIndex
) -> numpy.typing.NDArray[numpy.float64]:
    """
    Shapley-Shubik index of a weighted voting game with integer weights.
    """
