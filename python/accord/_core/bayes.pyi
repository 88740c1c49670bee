"""
Bayesian belief kernels
"""

from __future__ import annotations

import typing

import numpy
import numpy.typing

__all__: list[str] = [
    "MAX_JOINT",
    "check_log_marginals",
    "check_probability_rows",
    "expected_values",
    "filter_step",
    "first_invalid_sample",
    "sample_means",
    "sample_types",
    "subset_sums",
    "update_enumerated",
    "update_sampled",
    "vpi",
]

def check_log_marginals(
    log_marginals: numpy.typing.NDArray[numpy.float64],
    tol: typing.SupportsFloat | typing.SupportsIndex,
) -> tuple[int, int, int, int, float]:
    """
    (code, row, member, type, value) of the first problem of log-marginals (B, m, K):
    1 NaN or +inf entry, 2 no possible type, 3 not normalised (value: logsumexp), 0 none.
    """

def check_probability_rows(
    p: numpy.typing.NDArray[numpy.float64], tol: typing.SupportsFloat | typing.SupportsIndex
) -> tuple[int, int, int, float]:
    """
    (code, row, col, value) of the first problem of probabilities (..., cols), rows
    flattened: 1 non-finite, 2 negative, 3 row sum off 1 by more than tol (tol < 0: not
    checked), 0 none.
    """

def expected_values(
    log_marginals: numpy.typing.NDArray[numpy.float64], values: numpy.typing.NDArray[numpy.float64]
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (B, A): sum_t P_b(t) values[b, a, t] over the K**m joint type vectors (ValueError
    naming the first non-finite value).
    """

def filter_step(
    belief: numpy.typing.NDArray[numpy.float64],
    transition: numpy.typing.NDArray[numpy.float64],
    observation_likelihood: numpy.typing.NDArray[numpy.float64],
) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.uint8]]:
    """
    (belief' (B, S), status uint8 (B,)): predict, correct, normalise; status 1 marks
    rows of zero evidence.
    """

def first_invalid_sample(
    log_marginals: numpy.typing.NDArray[numpy.float64], samples: numpy.typing.NDArray[numpy.int32]
) -> int:
    """
    Flat position of the first sample outside [0, K) or of zero probability, or -1.
    """

def sample_means(
    values: numpy.typing.NDArray[numpy.float64],
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (B, A): mean over the last axis of values (B, A, S) (ValueError if not finite).
    """

def sample_types(
    log_marginals: numpy.typing.NDArray[numpy.float64],
    samples: typing.SupportsInt | typing.SupportsIndex,
    seed: typing.SupportsInt | typing.SupportsIndex,
) -> numpy.typing.NDArray[numpy.int32]:
    """
    int32 (B, S, m): Philox draws of every member's type from its log-marginal.
    """

def subset_sums(
    probs: numpy.typing.NDArray[numpy.float64],
    points: numpy.typing.NDArray[numpy.int64],
    L: typing.SupportsInt | typing.SupportsIndex,
    values: numpy.typing.NDArray[numpy.float64] | None = None,
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (Z, 2**n, L) distributions of sum_{j in S} points[t_j] for every subset S, or with
    values (2**n, A, L) their expectations (Z, 2**n, A).
    """

def update_enumerated(
    log_prior: numpy.typing.NDArray[numpy.float64],
    log_likelihood: numpy.typing.NDArray[numpy.float64],
    return_joint: bool,
) -> tuple[numpy.typing.NDArray[numpy.float64], typing.Any, numpy.typing.NDArray[numpy.uint8]]:
    """
    (log_post (B, m, K), log_joint (B, K**m) or None, status uint8 (B,)): Eq. 5 over
    every joint type vector; status 1 marks rows of zero evidence.
    """

def update_sampled(
    log_prior: numpy.typing.NDArray[numpy.float64],
    log_likelihood: numpy.typing.NDArray[numpy.float64],
) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.uint8]]:
    """
    (log_post (B, m, K), status uint8 (B,)): Rao-Blackwellised Eq. 5 from samples.
    """

def vpi(
    log_marginals: numpy.typing.NDArray[numpy.float64] | None,
    values: numpy.typing.NDArray[numpy.float64],
    share: numpy.typing.NDArray[numpy.float64],
    best: numpy.typing.NDArray[numpy.float64],
    second: numpy.typing.NDArray[numpy.float64],
    is_best: numpy.typing.NDArray[numpy.uint8],
) -> numpy.typing.NDArray[numpy.float64]:
    """
    (B, A): expected value of perfect information (Eqs. 11-13); log_marginals=None
    averages over sampled type vectors (values (B, A, S)).  ValueError names the first
    non-finite value.
    """

MAX_JOINT: int = 16777216
