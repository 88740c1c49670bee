"""Brute-force references for normal-form games (tests only)."""

import itertools

import numpy as np


def expected_payoffs(P, profile):
    """u[i][a]: player i's payoff for action a against the others, by enumeration."""
    n = P.shape[0]
    ks = P.shape[1:]
    u = [np.zeros(k) for k in ks]
    for outcome in itertools.product(*(range(k) for k in ks)):
        for i in range(n):
            w = 1.0
            for j in range(n):
                if j != i:
                    w *= profile[j][outcome[j]]
            u[i][outcome[i]] += w * P[(i,) + outcome]
    return u


def best_responses(P, profile, tol=1e-9):
    u = expected_payoffs(P, profile)
    acts, vals = [], []
    for ui in u:
        m = ui.max()
        acts.append(int(np.flatnonzero(ui >= m - tol * max(1.0, abs(m)))[0]))
        vals.append(m)
    return acts, vals


def nash_conv(P, profile):
    u = expected_payoffs(P, profile)
    return sum(ui.max() - ui @ np.asarray(s) for ui, s in zip(u, profile, strict=True))


def fictitious_play(P, iterations, initial, alternating=False):
    """Textbook fictitious play: full recomputation of expected payoffs every step.

    Best responses are taken against the raw play counts, so that integer payoffs
    give exact ties (broken towards the lowest index).
    """
    n = P.shape[0]
    counts = [np.zeros(k) for k in P.shape[1:]]
    for i, a in enumerate(initial):
        counts[i][a] += 1
    history = []
    for _ in range(iterations):
        if alternating:
            for i in range(n):
                u = expected_payoffs(P, counts)[i]
                counts[i][int(np.argmax(u))] += 1
        else:
            u = expected_payoffs(P, counts)
            picks = [int(np.argmax(ui)) for ui in u]
            for i in range(n):
                counts[i][picks[i]] += 1
        history.append(nash_conv(P, [c / c.sum() for c in counts]))
    return [c / c.sum() for c in counts], np.array(history)


def ce_gain(P, joint):
    """Largest expected gain of a CE deviation (recommendation a_i -> d)."""
    n = P.shape[0]
    best = 0.0
    for i in range(n):
        Pi = np.moveaxis(P[i], i, 0)
        J = np.moveaxis(joint, i, 0)
        for a in range(Pi.shape[0]):
            for d in range(Pi.shape[0]):
                best = max(best, float(np.sum(J[a] * (Pi[d] - Pi[a]))))
    return best


def cce_gain(P, joint):
    n = P.shape[0]
    best = 0.0
    for i in range(n):
        Pi = np.moveaxis(P[i], i, 0)
        J = np.moveaxis(joint, i, 0)
        now = float(np.sum(J * Pi))
        marg = J.sum(axis=0)
        for d in range(Pi.shape[0]):
            best = max(best, float(np.sum(marg * Pi[d])) - now)
    return best


def bimatrix_nash_gap(A, B, x, y) -> float:
    """NashConv of (x, y) in the bimatrix game (A, B): both players' best-deviation gains."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    return float((A @ y).max() - x @ A @ y + (x @ B).max() - x @ B @ y)


def assert_bimatrix_equilibrium(A, B, x, y, tol=1e-9):
    """(x, y) are float64 probability vectors with NashConv <= tol * payoff scale."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    m, n = A.shape
    assert x.shape == (m,) and y.shape == (n,)
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert (x >= 0).all() and (y >= 0).all()
    assert abs(x.sum() - 1) < 1e-12 and abs(y.sum() - 1) < 1e-12
    scale = max(1.0, float(np.abs(A).max()), float(np.abs(B).max()))
    assert bimatrix_nash_gap(A, B, x, y) <= tol * scale


def equilibrium_key(x, y, digits=7):
    """A hashable rounding of (x, y), for comparing sets of equilibria."""
    return tuple(np.round(np.concatenate([x, y]), digits) + 0.0)
