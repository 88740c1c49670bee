"""Weak and strong Bayesian core (Chalkiadakis & Boutilier 2012, Definitions 3 and 4) and the
classic core."""

import itertools

import numpy as np
import pytest
from coalition_reference import optimal_structure
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.coalition.core import (
    believed_payoffs,
    classic_game,
    classic_payoffs,
    coalition_values,
    in_classic_core,
    in_strong_bayesian_core,
    in_weak_bayesian_core,
    strong_core_blocking,
    weak_core_blocking,
)
from accord.coalition.environments import software_company
from accord.coalition.model import Agreement, members
from accord.coop import TUGame, core_allocation, core_violation

GRID = 12          # demand grid: relative demands in multiples of 1 / GRID


def simplex_grid(k, g=GRID):
    """All relative-demand vectors of k members with entries in multiples of 1/g."""
    pts = [c for c in itertools.product(range(g + 1), repeat=k) if sum(c) == g]
    return np.asarray(pts, dtype=np.float64) / g


def agreement_from(labels, actions, demands):
    n = len(labels)
    coalition = np.zeros(n, dtype=np.int64)
    action = np.zeros(n, dtype=np.int64)
    for lab in set(labels):
        mask = sum(1 << i for i in range(n) if labels[i] == lab)
        idx = [i for i in range(n) if labels[i] == lab]
        coalition[idx] = mask
        action[idx] = actions[min(idx)]
    return Agreement(coalition, action, np.asarray(demands, dtype=np.float64))


def random_case(seed, n, n_actions):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 9, size=(n, 1 << n, n_actions)).astype(np.float64)
    values[:, 0] = 0.0
    labels = rng.integers(0, n, size=n).tolist()
    agr = agreement_from(labels, rng.integers(0, n_actions, size=n).tolist(),
                         rng.integers(0, 5, size=n))
    return values, agr


def pbar_by_definition(values, agr):
    n = values.shape[0]
    r = agr.share()
    return np.array([[r[j] * values[i, agr.coalition[j], agr.action[j]] for j in range(n)]
                     for i in range(n)])


def weak_margin(values, pbar, s, b):
    """sum_k pbar[k,k] / Q_k(S, b) (inf when some member values it at 0)."""
    m = members(s)
    w = values[m, s, b]
    return np.inf if (w <= 0).any() else float((np.diag(pbar)[m] / w).sum())


def strong_margin(values, pbar, i, s, b):
    m = members(s)
    w = values[i, s, b]
    return np.inf if w <= 0 else float(pbar[i, m].sum() / w)


def grid_weak_blocks(values, pbar, s, b):
    """Definition 3 by search: demands on the grid making every member strictly better."""
    m = members(s)
    r = simplex_grid(m.size)
    gain = r * values[m, s, b][None, :] > np.diag(pbar)[m][None, :]
    return bool(gain.all(axis=1).any())


def grid_strong_blocks(values, pbar, i, s, b):
    """Definition 4 by search, from i's point of view."""
    m = members(s)
    r = simplex_grid(m.size)
    pay = r * values[i, s, b]
    own = m == i
    ok = np.where(own[None, :], pay > pbar[i, m][None, :], pay >= pbar[i, m][None, :])
    return bool(ok.all(axis=1).any())


# ------------------------------------------------------------------ closed forms

def test_believed_payoffs_by_definition():
    values, agr = random_case(1, 4, 2)
    np.testing.assert_allclose(believed_payoffs(values, agr), pbar_by_definition(values, agr))


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 4), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_weak_core_matches_demand_search(n, n_actions, seed):
    values, agr = random_case(seed, n, n_actions)
    pbar = pbar_by_definition(values, agr)
    found = weak_core_blocking(values, agr)
    any_grid = False
    for s in range(1, 1 << n):
        for b in range(n_actions):
            grid = grid_weak_blocks(values, pbar, s, b)
            margin = weak_margin(values, pbar, s, b)
            any_grid |= grid
            if grid:                        # a grid deviation is a real one
                assert margin < 1.0
            elif margin <= 1.0 - bin(s).count("1") / GRID:
                raise AssertionError(f"closed form blocks {s:#b}, {b} with slack but the "
                                     "grid found no demands")
    if any_grid:
        assert found is not None
    if found is None:
        assert not any_grid
    else:
        s, b = found
        best = min(weak_margin(values, pbar, t, a) for t in range(1, 1 << n)
                   for a in range(n_actions))
        assert weak_margin(values, pbar, s, b) == pytest.approx(best)
        assert best < 1.0
    assert in_weak_bayesian_core(values, agr) == (found is None)


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 4), st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_strong_core_matches_demand_search(n, n_actions, seed):
    values, agr = random_case(seed, n, n_actions)
    pbar = pbar_by_definition(values, agr)
    found = strong_core_blocking(values, agr)
    any_grid = False
    for i in range(n):
        for s in range(1, 1 << n):
            if not s >> i & 1:
                continue
            for b in range(n_actions):
                grid = grid_strong_blocks(values, pbar, i, s, b)
                margin = strong_margin(values, pbar, i, s, b)
                any_grid |= grid
                if grid:
                    assert margin < 1.0
                elif margin <= 1.0 - bin(s).count("1") / GRID:
                    raise AssertionError(f"closed form: {i} blocks with {s:#b}, {b} but "
                                         "the grid found no demands")
    if any_grid:
        assert found is not None
    if found is not None:
        i, s, b = found
        assert s >> i & 1
        assert strong_margin(values, pbar, i, s, b) < 1.0
    assert in_strong_bayesian_core(values, agr) == (found is None)


def test_zero_valued_deviation_never_blocks():
    n = 2
    values = np.zeros((n, 4, 1))
    agr = Agreement.singletons(n)
    assert in_weak_bayesian_core(values, agr)
    assert in_strong_bayesian_core(values, agr)
    # a member with zero value for S cannot be made strictly better off (Definition 3)
    values[0, 0b11, 0] = 10.0          # agent 0 loves {0, 1}; agent 1 values it at 0
    assert in_weak_bayesian_core(values, agr)
    # ... but agent 0 alone can propose it under Definition 4 (1 keeps its 0)
    assert strong_core_blocking(values, agr) == (0, 0b11, 0)


def test_beliefs_differ_between_weak_and_strong():
    # Agents 0 and 1 in {0, 1}, equal split of what each believes is worth 10.
    # Agent 0 (only) believes {0, 1} with action 1 is worth 30: the strong core is
    # blocked by 0, the weak one is not (agent 1 values action 1 at 0).
    values = np.zeros((2, 4, 2))
    values[:, 0b11, 0] = 10.0
    values[0, 0b11, 1] = 30.0
    agr = Agreement(np.array([3, 3]), np.array([0, 0]), np.array([1.0, 1.0]))
    assert in_weak_bayesian_core(values, agr)
    assert strong_core_blocking(values, agr) == (0, 0b11, 1)
    # once agent 1 also values action 1 (12: 5/30 + 5/12 < 1), the weak core is blocked
    values[1, 0b11, 1] = 12.0
    assert weak_core_blocking(values, agr) == (0b11, 1)


def test_tolerance_on_the_boundary():
    # identical beliefs, payoffs exactly v: rounding must not show as blocking
    values = np.zeros((3, 8, 1))
    values[:, 0b111, 0] = 0.3
    values[:, 0b011, 0] = 0.1 + 0.1
    agr = Agreement(np.full(3, 7), np.zeros(3, np.int64), np.array([0.1, 0.1, 0.1]))
    assert in_weak_bayesian_core(values, agr)
    assert in_strong_bayesian_core(values, agr)
    x = believed_payoffs(values, agr)[0]
    assert x[:2].sum() <= 0.2 + 1e-15                     # on the boundary (rounding)
    # a real gain of 1e-6 (relative) is seen
    values[:, 0b011, 0] = 0.2 * (1 + 1e-6)
    assert weak_core_blocking(values, agr) == (0b011, 0)


# ------------------------------------------------------------------ identical beliefs

@settings(max_examples=80, deadline=None)
@given(st.integers(2, 5), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_identical_beliefs_reduce_to_classic_core(n, n_actions, seed):
    """With values[i] = w for all i: weak BC == strong BC == classic core of the
    structure, i.e. no S with v(S) = max_b w(S, b) > x(S), x_j = r_j w(C_j, alpha_j)."""
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 7, size=(1 << n, n_actions)).astype(np.float64)
    w[0] = 0.0
    values = np.broadcast_to(w, (n, 1 << n, n_actions)).copy()
    labels = rng.integers(0, n, size=n).tolist()
    agr = agreement_from(labels, rng.integers(0, n_actions, size=n).tolist(),
                         rng.integers(0, 4, size=n))
    if rng.random() < 0.5:             # make core configurations common: best actions,
        v = w.max(axis=1)              # demands from a core point of the cover game
        cover, parts = optimal_structure(v, n)
        x = core_allocation(TUGame(cover))
        if x is not None:
            lab = [next(k for k, c in enumerate(parts) if c >> i & 1) for i in range(n)]
            acts = [int(w[parts[lab[i]]].argmax()) for i in range(n)]
            agr = agreement_from(lab, acts, np.maximum(x, 0.0))
    x = believed_payoffs(values, agr)[0]
    excess, _ = core_violation(TUGame(w.max(axis=1)), x)
    classic = excess <= 1e-9 * max(1.0, w.max())
    assert in_weak_bayesian_core(values, agr) == classic
    assert in_strong_bayesian_core(values, agr) == classic
    blk = strong_core_blocking(values, agr)
    if blk is not None:
        _, s, b = blk
        assert w[s, b] > x[members(s)].sum()


# ------------------------------------------------------------------ known types

def test_coalition_values_and_classic_game():
    p = software_company(5)
    q = coalition_values(p)
    assert q.shape == (32, 3)
    assert (q[0] == 0).all()
    for s in (1, 0b111, 0b11010, 31):
        m = members(s)
        np.testing.assert_allclose(q[s], p.tasks[0].values(m, p.true_types[m][None])[0])
    np.testing.assert_allclose(classic_game(p).values, q.max(axis=1))
    other = p.true_types.copy()
    other[3] = 6                                           # an expert programmer instead
    assert coalition_values(p, other)[0b1000].max() > q[0b1000].max()


@pytest.mark.parametrize("n_agents", [5, 10])
def test_software_optimal_structure_is_in_classic_core(n_agents):
    """The paper (Sec. 6.1): with known types the 5-agent optimal structure is
    core-stable.  Demands: a core point of the superadditive cover (least-core LP of
    accord.coop); it gives each coalition of the optimal structure exactly its value.
    Found: the same holds for the 10-agent optimal structure."""
    p = software_company(n_agents)
    q = coalition_values(p)
    v = q.max(axis=1)
    cover, parts = optimal_structure(v, n_agents)
    x = core_allocation(TUGame(cover))
    assert x is not None
    lab = [next(k for k, c in enumerate(parts) if c >> i & 1) for i in range(n_agents)]
    acts = [int(q[parts[lab[i]]].argmax()) for i in range(n_agents)]
    agr = agreement_from(lab, acts, np.maximum(x, 0.0))
    np.testing.assert_allclose(classic_payoffs(p, agr), np.maximum(x, 0.0), atol=1e-6)
    assert in_classic_core(p, agr, tol=1e-8)
    values = np.broadcast_to(q, (n_agents,) + q.shape)
    assert in_weak_bayesian_core(values, agr, tol=1e-8)
    assert in_strong_bayesian_core(values, agr, tol=1e-8)
    # singletons are not in the core: {0, 1, 2} blocks
    single = Agreement.singletons(n_agents)
    assert not in_classic_core(p, single)
    assert not in_strong_bayesian_core(values, single)
    # the optimal structure with a worse action is blocked by the coalition itself
    worse = agr.copy()
    big = max(parts, key=lambda c: v[c])
    idx = members(big)
    worse.action[idx] = (worse.action[idx] + 1) % 3
    assert not in_classic_core(p, worse)


def test_five_agent_grand_coalition_core_allocation():
    p = software_company(5)
    x = core_allocation(classic_game(p))
    assert x is not None
    agr = Agreement(np.full(5, 31), np.full(5, 2), np.maximum(x, 0.0))
    assert in_classic_core(p, agr, tol=1e-8)


# ------------------------------------------------------------------ argument checks

def test_argument_errors():
    values, agr = random_case(0, 3, 2)
    with pytest.raises(ValueError, match="shape"):
        weak_core_blocking(values[:, :5], agr)
    bad = values.copy()
    bad[0, 1, 0] = -1.0
    with pytest.raises(ValueError, match=">= 0"):
        strong_core_blocking(bad, agr)
    bad[0, 1, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        believed_payoffs(bad, agr)
    with pytest.raises(ValueError, match="tol"):
        in_weak_bayesian_core(values, agr, tol=-1.0)
    with pytest.raises(ValueError, match="agents"):
        weak_core_blocking(values, Agreement.singletons(4))
    with pytest.raises(ValueError, match="action"):
        weak_core_blocking(values, Agreement.singletons(3, actions=[0, 2, 0]))
    with pytest.raises(TypeError, match="Agreement"):
        weak_core_blocking(values, "singletons")
    broken = Agreement(np.array([3, 1, 4]), np.zeros(3, np.int64), np.ones(3))
    with pytest.raises(ValueError, match="invalid agreement"):
        strong_core_blocking(values, broken)
    p = software_company(5)
    with pytest.raises(ValueError, match="types"):
        coalition_values(p, types=[0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="task"):
        classic_game(p, task=3)
