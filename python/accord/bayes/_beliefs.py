"""Sampling type vectors and the Bayesian belief update (Chalkiadakis & Boutilier 2012,
Eq. 5)."""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._validate import check_bytes, fail, integer, seed_value
from . import _common as c

_ZERO_DETAIL = (
    "every joint type vector with positive prior probability has zero "
    "likelihood (log_likelihood is -inf there)"
)
_ZERO_DETAIL_SAMPLED = (
    "for some member, every type of positive prior probability has zero "
    "likelihood at every sampled type vector (log_likelihood is -inf "
    "there)"
)


def sample_types(log_marginals, samples, seed):
    """Independent draws of every unknown member's type from its marginal belief.

    Chalkiadakis & Boutilier (2012), Sec. 6: when a coalition has too many
    type vectors to enumerate, "100 type vectors are sampled according to the belief
    distribution". Each member's type is drawn by inverse CDF from its own marginal
    (beliefs are products of marginals), with a Philox4x32-10 uniform (Salmon et al.,
    SC'11) keyed by ``(seed, row, sample, member)``: the CPU and GPU kernels return
    identical samples, results do not depend on the thread count, and the first ``S``
    samples of a row stay the same when more are drawn.

    Parameters
    ----------
    log_marginals
        ``(B, m, K)`` log-probabilities (NumPy or CuPy, float64): row ``b``, member
        ``j``, type ``k``; ``-inf`` for impossible (padding) types. Every member's
        probabilities must sum to 1 within 1e-9.
    samples
        Number ``S >= 0`` of type vectors to draw per row (below 2**32).
    seed
        Non-negative integer below 2**64 (``None``: fresh entropy, not reproducible).

    Returns
    -------
    int32 array ``(B, S, m)`` of type indices, on the device of ``log_marginals``.
    """
    func = "sample_types"
    xp = c.xp_of(func, log_marginals=log_marginals)
    lp, B, m, K = c.check_log_marginals(func, "log_marginals", log_marginals, xp)
    S = integer(func, "samples", samples, minimum=0)
    if S >= 2**32:
        fail(func, f"samples must be below 2**32; got {S}")
    if B >= 2**32:
        fail(func, f"at most 2**32 - 1 rows can be sampled at once; got {B}")
    check_bytes(
        func,
        4 * B * S * m,
        f"the int32 samples of shape ({B}, {S}, {m})",
        "fewer samples (or rows) per call",
    )
    s = seed_value(func, seed)
    if xp is np:
        return _backend.cpu_kernels("bayes").sample_types(lp, S, s)
    mod = _backend.cuda_kernels(func)
    out = xp.empty((B, S, m), dtype=np.int32)
    ptr = _backend.pointer
    mod.bayes_sample_types(ptr(lp), B, m, K, S, s, ptr(out), _backend.stream())
    return out


def update(log_prior, log_likelihood, *, samples=None, return_joint: bool = False):
    """Posterior beliefs over partners' types after observing a coalitional outcome.

    Chalkiadakis & Boutilier (2012), "Sequentially optimal repeated coalition
    formation under uncertainty", JAAMAS 24(3), Eq. 5:
    ``B'(t_C) = z Pr(s | alpha, t_C) B(t_C)``. The prior ``B`` of each row is the
    product of its members' marginals; the posterior over joint type vectors is
    projected back to per-member marginals (the representation is
    product-of-marginals). Everything is computed in log space (log-sum-exp), and
    each row is normalised.

    Two modes:

    * **enumerated** (``samples=None``): ``log_likelihood`` has shape ``(B, K**m)``,
      ``log Pr(observed outcome | t)`` for every joint type vector ``t`` indexed
      row-major, member 0 slowest: ``t = sum_j t_j K**(m-1-j)`` (a reshape to
      ``(B, K, ..., K)``). The joint posterior is exact; vectors of zero prior are
      skipped. ``K**m`` may be at most 2**24.
    * **sampled** (``samples`` from :func:`sample_types`, shape ``(B, S, m)``): for
      coalitions too large to enumerate (the paper samples 100 type vectors).
      ``log_likelihood`` has shape ``(B, S, m, K)``: ``log Pr(obs | sample s with
      member j's type replaced by k)``. The estimate is Rao-Blackwellised:
      ``post_j(k) ∝ prior_j(k) * mean_s exp(log_likelihood[b, s, j, k])``, i.e. the
      other members' types are integrated by Monte Carlo while member ``j``'s type is
      summed exactly. Unlike reweighting the samples themselves, this never gives a
      type zero posterior merely because it was not drawn, and it converges to the
      exact marginals as ``S`` grows.

    Parameters
    ----------
    log_prior
        ``(B, m, K)`` log-marginals; ``-inf`` pads impossible types; each member's
        probabilities must sum to 1 within 1e-9. ``m = 0`` (a singleton coalition) is
        allowed: there is one joint vector and nothing to update.
    log_likelihood
        ``(B, K**m)`` (enumerated) or ``(B, S, m, K)`` (sampled); ``-inf`` is zero
        likelihood, NaN and ``+inf`` are rejected.
    samples
        ``None`` (enumerated) or the ``(B, S, m)`` int32 samples the sampled
        likelihoods were evaluated at.
    return_joint
        Enumerated mode only: also return the normalised log joint posterior
        ``(B, K**m)`` (``-inf`` where the prior is zero).

    Returns
    -------
    ``log_posterior`` ``(B, m, K)`` (and ``log_joint`` with ``return_joint=True``) on
    the device of the inputs. A type of zero prior keeps ``-inf``; so does a type that
    the observation rules out.

    Raises
    ------
    ZeroLikelihoodError
        (a ``ValueError``) when a row's evidence is zero: every joint vector of positive
        prior has ``-inf`` log-likelihood (sampled: for some member, at every sample). Its
        ``rows`` attribute lists the rows; no result is returned.
    ValueError, TypeError
        Bad shapes or values, before any work.
    """
    func = "update"
    xp = c.xp_of(func, log_prior=log_prior, log_likelihood=log_likelihood, samples=samples)
    if not isinstance(return_joint, (bool, np.bool_)):
        fail(func, f"return_joint must be True or False; got {return_joint!r}", TypeError)
    lp, B, m, K = c.check_log_marginals(func, "log_prior", log_prior, xp)
    ll = c.as_float(func, "log_likelihood", log_likelihood, xp)
    if samples is None:
        T = c.joint_size(func, m, K, B, "log_likelihood")
        c.check_shape(
            func,
            "log_likelihood",
            ll,
            (B, T),
            f"= (B, K**m) for log_prior of shape {c.shape_str(lp.shape)} (one entry "
            "per joint type vector, member 0 slowest; pass samples= for sampled "
            "mode)",
        )
    else:
        if return_joint:
            fail(
                func,
                "return_joint=True needs the enumerated mode (samples=None): sampled mode "
                "does not estimate the joint posterior",
            )
        _, S = c.check_samples(func, samples, lp, B, m, K, xp)
        c.check_shape(
            func,
            "log_likelihood",
            ll,
            (B, S, m, K),
            "= (B, S, m, K) in sampled mode (log-likelihood of each sample with "
            "member j's type replaced by k)",
        )
    c.check_no_nan_posinf(
        func, "log_likelihood", ll, xp, "log-likelihoods must be finite or -inf (zero likelihood)"
    )
    # The log joint posterior sums m log-priors and a log-likelihood, then subtracts
    # its logsumexp: bound both so that neither step overflows to -inf.
    why = "the log posterior (log prior + log-likelihood - logsumexp)"
    c.check_magnitude(func, "log_prior", lp, xp, c.FLOAT_MAX / (8 * max(m, 1)), why)
    c.check_magnitude(func, "log_likelihood", ll, xp, c.FLOAT_MAX / 8, why)

    if samples is None:
        if xp is np:
            post, joint, status = _backend.cpu_kernels("bayes").update_enumerated(
                lp, ll, bool(return_joint)
            )
        else:
            mod = _backend.cuda_kernels(func)
            post = xp.empty((B, m, K))
            joint = xp.empty((B, T)) if return_joint else None
            status = xp.empty(B, dtype=np.uint8)
            ptr = _backend.pointer
            mod.bayes_update_enumerated(
                ptr(lp), ptr(ll), B, m, K, ptr(post), ptr(joint), ptr(status), _backend.stream()
            )
        c.raise_zero_evidence(func, status, _ZERO_DETAIL)
        return (post, joint) if return_joint else post

    if xp is np:
        post, status = _backend.cpu_kernels("bayes").update_sampled(lp, ll)
    else:
        mod = _backend.cuda_kernels(func)
        post = xp.empty((B, m, K))
        status = xp.empty(B, dtype=np.uint8)
        ptr = _backend.pointer
        mod.bayes_update_sampled(
            ptr(lp), ptr(ll), B, m, K, S, ptr(post), ptr(status), _backend.stream()
        )
    c.raise_zero_evidence(func, status, _ZERO_DETAIL_SAMPLED)
    return post
