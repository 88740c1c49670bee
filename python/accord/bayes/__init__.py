"""Batched Bayesian beliefs over partner types, and a Dec-POMDP belief filter.

A batch row is one agent's view of one coalition: ``m`` unknown members, each with a
categorical marginal over ``K`` types, given as log-probabilities of shape
``(B, m, K)`` (``-inf`` pads types a member cannot have). Beliefs are products of the
marginals; the ``K**m`` joint type vectors are indexed row-major, member 0 slowest.

* :func:`sample_types` draws type vectors (Philox: identical on CPU and GPU);
* :func:`update` is the belief update of Chalkiadakis & Boutilier (2012),
  "Sequentially optimal repeated coalition formation under uncertainty", JAAMAS
  24(3), Eq. 5, exact over enumerated joint vectors or Rao-Blackwellised from samples;
* :func:`expected_values` and :func:`vpi` are the expected action values (Eq. 2) and
  the expected value of perfect information (Eqs. 11-13) of the same paper;
* :func:`subset_sums` is the distribution of an additive statistic of the types (a
  sum of per-type points) for every subset of members, so that outcome models that
  depend on the types only through it are evaluated exactly without enumerating
  type vectors;
* :func:`filter_step` is the Bayes filter over hidden states of a POMDP (Kaelbling,
  Littman & Cassandra 1998), as each agent of a Dec-POMDP runs it on its own
  observations (Bernstein et al. 2002).

NumPy arrays run on the C++ kernels (OpenMP over rows, GIL released), CuPy arrays on
the CUDA kernels; results come back on the device of the inputs. Inputs are checked
before any work and never modified.
"""

from ._beliefs import sample_types, update
from ._common import ZeroLikelihoodError
from ._filter import filter_step
from ._subsets import subset_sums
from ._values import expected_values, vpi

__all__ = [
    "ZeroLikelihoodError",
    "expected_values",
    "filter_step",
    "sample_types",
    "subset_sums",
    "update",
    "vpi",
]
