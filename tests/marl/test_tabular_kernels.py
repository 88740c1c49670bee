"""The batched tabular update kernels (accord._core.marl): range checks before any
write, and the threaded path equal to the same updates in small single-threaded calls."""

from __future__ import annotations

import numpy as np
import pytest

from accord._backend import cpu_kernels

K = cpu_kernels("marl")


def _batch(rng, E, n=3, S=5, k=8):
    ks = np.array([k, k - 2, 3][:n], dtype=np.int64)
    Q = rng.normal(size=(E, n, S, k))
    return dict(
        Q=Q,
        ks=ks,
        s=rng.integers(0, S, E),
        a=np.stack([rng.integers(0, ks[i], E) for i in range(n)], axis=1),
        r=rng.normal(size=(E, n)),
        nxt=rng.integers(0, S, E),
        term=(rng.random(E) < 0.2).astype(np.uint8),
    )


def _args(b, sl):
    return (b["ks"], b["s"][sl], b["a"][sl], b["r"][sl], b["nxt"][sl], b["term"][sl])


@pytest.mark.parametrize("kind", ["q", "lenient", "phc", "wolf"])
def test_threaded_batch_equals_small_calls(kind):
    rng = np.random.default_rng(0)
    E = 4096  # E * n * k above the threading threshold
    b = _batch(rng, E)
    T0 = rng.random(b["Q"].shape) * 10
    pi0 = rng.random(b["Q"].shape)
    pi0 /= pi0.sum(axis=-1, keepdims=True)
    u = rng.random((E, 3))
    out = []
    for chunks in ([slice(0, E)], [slice(i, i + 16) for i in range(0, E, 16)]):
        Q = b["Q"].copy()
        T, pi, avg = T0.copy(), pi0.copy(), pi0.copy()
        visits = np.zeros(Q.shape[:3], dtype=np.int64)
        for sl in chunks:
            q, args = np.ascontiguousarray(Q[sl]), _args(b, sl)
            if kind == "q":
                K.q_update(q, *args, 0.9, 0.1, 0.01)
            elif kind == "lenient":
                t = np.ascontiguousarray(T[sl])
                K.lenient_update(
                    q, t, np.ascontiguousarray(u[sl]), *args, 0.9, 0.1, 1.0, 0.1, 0.995
                )
                T[sl] = t
            else:
                p, m, v = (np.ascontiguousarray(x[sl]) for x in (pi, avg, visits))
                K.phc_update(q, p, m, v, *args, 0.9, 0.5, 0.002, 0.008, kind == "wolf")
                pi[sl], avg[sl], visits[sl] = p, m, v
            Q[sl] = q
        out.append((Q, T, pi, avg))
    for x, y in zip(*out, strict=True):
        np.testing.assert_array_equal(x, y)


def test_indices_are_checked_before_any_write():
    rng = np.random.default_rng(1)
    b = _batch(rng, 4)
    Q = b["Q"].copy()
    bad_state = b["s"].copy()
    bad_state[2] = 5
    with pytest.raises(ValueError, match="states must lie in"):
        K.q_update(Q, b["ks"], bad_state, b["a"], b["r"], b["nxt"], b["term"], 0.9, 0.1, 0.1)
    bad_action = b["a"].copy()
    bad_action[1, 2] = 3  # player 2 has 3 actions
    with pytest.raises(ValueError, match="actions must lie in"):
        K.q_update(Q, b["ks"], b["s"], bad_action, b["r"], b["nxt"], b["term"], 0.9, 0.1, 0.1)
    with pytest.raises(ValueError, match="Q must have shape"):
        K.q_update(Q[0], b["ks"], b["s"], b["a"], b["r"], b["nxt"], b["term"], 0.9, 0.1, 0.1)
    with pytest.raises(TypeError, match="states must have dtype int64"):
        K.q_update(
            Q, b["ks"], b["s"].astype(np.int32), b["a"], b["r"], b["nxt"], b["term"], 0.9, 0.1, 0.1
        )
    Q.flags.writeable = False
    with pytest.raises(ValueError, match="Q must be writable"):
        K.q_update(Q, b["ks"], b["s"], b["a"], b["r"], b["nxt"], b["term"], 0.9, 0.1, 0.1)
    np.testing.assert_array_equal(Q, b["Q"])


def test_rewards_that_would_overflow_the_values_are_refused():
    from accord.marl import IndependentQ

    learner = IndependentQ(2, (2, 2), 0.99, n_envs=2, seed=0)
    s = np.array([0, 1])
    a = np.zeros((2, 2), dtype=np.int64)
    with pytest.raises(ValueError, match=r"IndependentQ.update\(\): rewards up to 1e\+307"):
        learner.update(s, a, np.full((2, 2), 1e307), s, np.array([False, False]))
    learner.update(s, a, np.full((2, 2), 1e303), s, np.array([False, False]))
    assert np.isfinite(learner.Q[:, :, :, :2]).all()
