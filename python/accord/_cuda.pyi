"""
accord CUDA kernels (cooperative games on device tables, normal-form games, Bayesian beliefs)
"""

from __future__ import annotations

import collections.abc
import typing

import numpy
import numpy.typing

__all__: list[str] = [
    "bayes_expected_values",
    "bayes_filter_step",
    "bayes_sample_types",
    "bayes_subset_sums",
    "bayes_update_enumerated",
    "bayes_update_sampled",
    "bayes_vpi",
    "best_response",
    "build_info",
    "device_count",
    "devices",
    "fictitious_play",
    "max_excess",
    "permutation_sample_dense",
    "permutation_sample_voting",
    "permutations",
    "semivalue_sums",
    "stratified_sample_dense",
    "stratified_sample_voting",
]

def bayes_expected_values(
    log_marginals: typing.SupportsInt | typing.SupportsIndex,
    values: typing.SupportsInt | typing.SupportsIndex,
    batch: typing.SupportsInt | typing.SupportsIndex,
    m: typing.SupportsInt | typing.SupportsIndex,
    K: typing.SupportsInt | typing.SupportsIndex,
    actions: typing.SupportsInt | typing.SupportsIndex,
    joint: typing.SupportsInt | typing.SupportsIndex,
    out: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None:
    """
    log_marginals = 0: mean over the joint (= samples) axis.
    """

def bayes_filter_step(
    belief: typing.SupportsInt | typing.SupportsIndex,
    transition: typing.SupportsInt | typing.SupportsIndex,
    transition_stride: typing.SupportsInt | typing.SupportsIndex,
    observation_likelihood: typing.SupportsInt | typing.SupportsIndex,
    batch: typing.SupportsInt | typing.SupportsIndex,
    states: typing.SupportsInt | typing.SupportsIndex,
    out: typing.SupportsInt | typing.SupportsIndex,
    status: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None: ...
def bayes_sample_types(
    log_marginals: typing.SupportsInt | typing.SupportsIndex,
    batch: typing.SupportsInt | typing.SupportsIndex,
    m: typing.SupportsInt | typing.SupportsIndex,
    K: typing.SupportsInt | typing.SupportsIndex,
    samples: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    out: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None: ...
def bayes_subset_sums(
    probs: typing.SupportsInt | typing.SupportsIndex,
    views: typing.SupportsInt | typing.SupportsIndex,
    n: typing.SupportsInt | typing.SupportsIndex,
    K: typing.SupportsInt | typing.SupportsIndex,
    points: typing.SupportsInt | typing.SupportsIndex,
    max_points: typing.SupportsInt | typing.SupportsIndex,
    L: typing.SupportsInt | typing.SupportsIndex,
    values: typing.SupportsInt | typing.SupportsIndex,
    A: typing.SupportsInt | typing.SupportsIndex,
    out: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None:
    """
    values = 0: the distributions themselves.
    """

def bayes_update_enumerated(
    log_prior: typing.SupportsInt | typing.SupportsIndex,
    log_likelihood: typing.SupportsInt | typing.SupportsIndex,
    batch: typing.SupportsInt | typing.SupportsIndex,
    m: typing.SupportsInt | typing.SupportsIndex,
    K: typing.SupportsInt | typing.SupportsIndex,
    log_post: typing.SupportsInt | typing.SupportsIndex,
    log_joint: typing.SupportsInt | typing.SupportsIndex,
    status: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None: ...
def bayes_update_sampled(
    log_prior: typing.SupportsInt | typing.SupportsIndex,
    log_likelihood: typing.SupportsInt | typing.SupportsIndex,
    batch: typing.SupportsInt | typing.SupportsIndex,
    m: typing.SupportsInt | typing.SupportsIndex,
    K: typing.SupportsInt | typing.SupportsIndex,
    samples: typing.SupportsInt | typing.SupportsIndex,
    log_post: typing.SupportsInt | typing.SupportsIndex,
    status: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None: ...
def bayes_vpi(
    log_marginals: typing.SupportsInt | typing.SupportsIndex,
    values: typing.SupportsInt | typing.SupportsIndex,
    batch: typing.SupportsInt | typing.SupportsIndex,
    m: typing.SupportsInt | typing.SupportsIndex,
    K: typing.SupportsInt | typing.SupportsIndex,
    actions: typing.SupportsInt | typing.SupportsIndex,
    joint: typing.SupportsInt | typing.SupportsIndex,
    share: typing.SupportsInt | typing.SupportsIndex,
    best: typing.SupportsInt | typing.SupportsIndex,
    second: typing.SupportsInt | typing.SupportsIndex,
    is_best: typing.SupportsInt | typing.SupportsIndex,
    out: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None:
    """
    log_marginals = 0: sampled type vectors, weights 1 / joint.
    """

def best_response(
    payoffs: typing.SupportsInt | typing.SupportsIndex,
    profile: typing.SupportsInt | typing.SupportsIndex,
    games: typing.SupportsInt | typing.SupportsIndex,
    k: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex],
    itemsize: typing.SupportsInt | typing.SupportsIndex,
    tol: typing.SupportsFloat | typing.SupportsIndex,
    actions: typing.SupportsInt | typing.SupportsIndex,
    best: typing.SupportsInt | typing.SupportsIndex,
    current: typing.SupportsInt | typing.SupportsIndex,
    u: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None: ...
def build_info() -> dict:
    """
    CUDA version and architectures compiled for, runtime and driver versions.
    """

def device_count() -> int:
    """
    Number of CUDA devices (0 when there is no driver or device; never raises).
    """

def devices() -> list:
    """
    Properties of every CUDA device (memory bandwidth: 2 * clock * bus width / 8).
    """

def fictitious_play(
    payoffs: typing.SupportsInt | typing.SupportsIndex,
    games: typing.SupportsInt | typing.SupportsIndex,
    m: typing.SupportsInt | typing.SupportsIndex,
    n: typing.SupportsInt | typing.SupportsIndex,
    iterations: typing.SupportsInt | typing.SupportsIndex,
    mode: typing.SupportsInt | typing.SupportsIndex,
    initial: typing.SupportsInt | typing.SupportsIndex,
    record_every: typing.SupportsInt | typing.SupportsIndex,
    profile: typing.SupportsInt | typing.SupportsIndex,
    history: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> None: ...
def max_excess(
    v_ptr: typing.SupportsInt | typing.SupportsIndex,
    n: typing.SupportsInt | typing.SupportsIndex,
    x: numpy.typing.NDArray[numpy.float64],
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> tuple[float, int]:
    """
    (max over non-empty S of v[S] - x(S), lowest mask attaining it).
    """

def permutation_sample_dense(
    v_ptr: typing.SupportsInt | typing.SupportsIndex,
    n: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
    antithetic: bool,
    shift: numpy.typing.NDArray[numpy.float64],
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
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
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> tuple:
    """
    (sum, sum of squares) (n,) of the pivot indicators of the sampled permutations.
    """

def permutations(
    n: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> numpy.typing.NDArray[numpy.int32]:
    """
    int32 (count, n): the permutations with Philox stream ids first .. first + count - 1.
    """

def semivalue_sums(
    v_ptr: typing.SupportsInt | typing.SupportsIndex,
    n: typing.SupportsInt | typing.SupportsIndex,
    c: numpy.typing.NDArray[numpy.float64],
    b: numpy.typing.NDArray[numpy.float64],
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> tuple[numpy.typing.NDArray[numpy.float64], float]:
    """
    A[i] = sum_{S∋i} c[|S|] v[S] and T = sum_S b[|S|] v[S] for a float64 device table
    v of length 2**n.
    """

def stratified_sample_dense(
    v_ptr: typing.SupportsInt | typing.SupportsIndex,
    n: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
    per_stratum: typing.SupportsInt | typing.SupportsIndex,
    first: typing.SupportsInt | typing.SupportsIndex,
    count: typing.SupportsInt | typing.SupportsIndex,
    shift: numpy.typing.NDArray[numpy.float64],
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
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
    stream: typing.SupportsInt | typing.SupportsIndex = 0,
) -> tuple:
    """
    (sum, sum of squares) (n, n) per stratum [player, size].
    """
