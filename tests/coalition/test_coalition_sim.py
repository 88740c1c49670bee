"""Valuation, estimators, BRE and the simulation loop against brute force."""

import itertools

import numpy as np
import pytest
from coalition_reference import random_beliefs

from accord._masks import membership_table
from accord.coalition.bre import bre_round, draw_rounds
from accord.coalition.core import strong_core_blocking
from accord.coalition.environments import carpenter_example, software_company
from accord.coalition.estimators import (
    StageValues,
    Valuation,
    one_step_payoff,
    proposal_shares,
)
from accord.coalition.model import BCFP, Agreement, Task, members, misinformed_prior, uniform_prior
from accord.coalition.simulate import simulate
from accord.coalition.valuation import Valuator, log_of, posteriors, write_back


def carpenter_beliefs(problem):
    b = uniform_prior(problem)
    b[0, 1, problem.type_sets[1]] = (0.3, 0.4, 0.3)
    b[0, 2, problem.type_sets[2]] = (0.5, 0.3, 0.2)
    return b


def brute_expected(problem, beliefs, agent, mask, task=0):
    """sum over every joint type vector of the unknown members, by itertools."""
    mem = members(mask)
    sets = [[problem.true_types[j]] if j == agent else list(problem.type_sets[j]) for j in mem]
    tot = np.zeros(problem.n_actions)
    for types in itertools.product(*sets):
        w = np.prod([beliefs[agent, j, t] for j, t in zip(mem, types, strict=True)])
        if w:
            tot += w * problem.tasks[task].values(mem, np.array([types]))[0]
    return tot


def test_carpenter_q_values_eqs_3_4():
    p = carpenter_example()
    b = carpenter_beliefs(p)
    sv = StageValues(p, Valuator(p), log_of(b), 0, 1, "myopic")
    amb, mod = p.tasks[0].actions.index("Ambitious"), p.tasks[0].actions.index("Moderate")
    assert sv.expected[0, 0b101, amb] == pytest.approx(540.0)
    assert sv.expected[0, 0b101, mod] == pytest.approx(415.0)


def test_carpenter_failed_ambitious_posterior():
    p = carpenter_example()
    b = carpenter_beliefs(p)
    val = Valuator(p)
    amb = p.tasks[0].actions.index("Ambitious")
    fail = int(np.argmin(p.tasks[0].rewards))
    lb = log_of(b)
    post = posteriors(val, 0, lb, [(0, 0, 0b101, amb, fail)], 3)[0]
    write_back(lb[0], val.row(0, 0, 0b101), post)
    got = np.exp(lb[0, 2, p.type_sets[2]])
    np.testing.assert_allclose(got, np.array([0.1, 0.18, 0.18]) / 0.46, atol=1e-12)
    np.testing.assert_allclose(np.round(got, 2), [0.22, 0.39, 0.39])
    np.testing.assert_allclose(np.exp(lb[0, 1]), b[0, 1])  # agent 2 untouched


@pytest.mark.parametrize("prior", ["uniform", "misinformed"])
def test_stage_values_match_enumeration(prior):
    p = software_company(5)
    b = uniform_prior(p) if prior == "uniform" else misinformed_prior(p)
    sv = StageValues(p, Valuator(p), log_of(b), 0, 5, "myopic")
    rng = np.random.default_rng(0)
    for _ in range(12):
        i, s = int(rng.integers(5)), int(rng.integers(1, 32))
        np.testing.assert_allclose(sv.expected[i, s], brute_expected(p, b, i, s), rtol=1e-10)


def test_sampled_rows_are_unbiased():
    p = software_company(5)
    b = uniform_prior(p)
    exact = StageValues(p, Valuator(p), log_of(b), 0, 5, "myopic").expected
    est = np.mean(
        [
            StageValues(
                p,
                Valuator(p, enumerate_limit=1, samples=200, statistics=False),
                log_of(b),
                0,
                seed,
                "myopic",
            ).expected
            for seed in range(20)
        ],
        axis=0,
    )
    np.testing.assert_allclose(est, exact, atol=0.05 * exact.max())


def _with_named_tasks(problem):
    """The same problem with ``anonymous=False`` tasks: one outcome-model call per row."""
    tasks = [Task(t.name, t.actions, t.outcomes, t.rewards, t.outcome_probs) for t in problem.tasks]
    return BCFP(problem.type_names, problem.type_sets, problem.true_types, tasks)


def test_batched_rows_match_row_by_row():
    p = software_company(10)
    q = _with_named_tasks(p)
    assert p.tasks[0].anonymous and not q.tasks[0].anonymous
    b = log_of(misinformed_prior(p))
    pairs = tuple((i, s) for i in (0, 4, 9) for s in range(1, 1 << 10, 7) if (s >> i) & 1)
    view = np.asarray([i for i, _ in pairs])
    va, vb = Valuator(p, statistics=False), Valuator(q)
    for outcomes in (False, True):
        qa, ga = va.expected(0, b, view, pairs, 11, outcomes=outcomes)
        qb, gb = vb.expected(0, b, view, pairs, 11, outcomes=outcomes)
        assert any(g.samples is not None for g in ga)  # sampled rows are covered
        np.testing.assert_array_equal(qa, qb)
        for x, y in zip(ga, gb, strict=True):
            np.testing.assert_array_equal(x.values, y.values)
    # sampled (Rao-Blackwellised) posteriors: 9 requests, rows of mixed size
    big = [(i, s) for i, s in pairs if bin(s).count("1") >= 5][-9:]
    req = [(i, i, s, k % 3, k % 2) for k, (i, s) in enumerate(big)]
    for x, y in zip(posteriors(va, 0, b, req, 5), posteriors(vb, 0, b, req, 5), strict=True):
        np.testing.assert_array_equal(x, y)


def test_vpi_valuation_matches_brute_force():
    p = software_company(5)
    b = misinformed_prior(p)
    sv = StageValues(p, Valuator(p), log_of(b), 0, 5, "vpi")
    ag = Agreement.singletons(5)
    val = Valuation("vpi", sv, ag, None, 0.985)
    i = 1
    masks, shares = proposal_shares(sv.base[i], i, ag, sv.mem)
    got = val.value(i, masks, shares)
    q1, q2, (m1, a1) = val.vpi_ref[i]
    q = shares * sv.base[i, masks]
    assert q.max() == pytest.approx(q1)
    for r, s in enumerate(masks):
        mem = members(int(s))
        sets = [[p.true_types[j]] if j == i else list(p.type_sets[j]) for j in mem]
        vpi = np.zeros(p.n_actions)
        for types in itertools.product(*sets):
            w = np.prod([b[i, j, t] for j, t in zip(mem, types, strict=True)])
            qs = shares[r] * p.tasks[0].values(mem, np.array([types]))[0]
            for a in range(p.n_actions):
                if int(s) == m1 and a == a1:
                    vpi[a] += w * max(q2 - qs[a], 0.0)
                else:
                    vpi[a] += w * max(qs[a] - q1, 0.0)
        np.testing.assert_allclose(got[r], q[r] + vpi, rtol=1e-9, atol=1e-9)


def one_step_loop(own, others, agent, ag, n):
    """V^0 (Eq. 9) by plain loops: ``t[k]`` is agent k's table (its own for the agent,
    ``others`` for the rest unless None); proposers restricted as negotiation is."""
    from accord.coalition.estimators import candidate_filter

    mem = membership_table(n)
    t = [own if (k == agent or others is None) else others for k in range(n)]
    r = ag.share()
    tot = 0.0
    for j in range(n):
        pbar = r * t[j][ag.coalition, ag.action]
        masks = np.asarray([s for s in range(1, 1 << n) if mem[s, j]])
        masks = masks[candidate_filter(masks, j, ag, n)]
        best, arg = 1e-9, None
        for s in masks:
            for a in range(own.shape[1]):
                if s == ag.coalition[j] and a == ag.action[j]:
                    continue
                resid = t[j][s, a] - sum(pbar[k] for k in members(s) if k != j)
                if resid - pbar[j] > best:
                    best, arg = resid - pbar[j], (s, a, resid)
        u = r[agent] * own[ag.coalition[agent], ag.action[agent]]
        if arg is not None:
            s, a, resid = arg
            new = {k: pbar[k] / t[j][s, a] for k in members(s)}
            new[j] = resid / t[j][s, a]
            ok = all(
                new[k] * t[k][s, a] >= r[k] * t[k][ag.coalition[k], ag.action[k]] - 1e-9
                for k in members(s)
                if k != j
            )
            if ok:
                if mem[s, agent]:
                    u = new[agent] * own[s, a]
                elif s & ag.coalition[agent]:
                    rest = ag.coalition[agent] & ~s
                    rm = members(rest)
                    u = r[agent] / r[rm].sum() * own[rest].max()
        tot += u
    return tot / n


@pytest.mark.parametrize("n", [4, 7])
@pytest.mark.parametrize("shared", [False, True])
def test_one_step_payoff_matches_loop(n, shared):
    rng = np.random.default_rng(4 + n)
    own = rng.uniform(0, 100, size=(3, 1 << n, 2))
    own[:, 0] = 0
    others = None if shared else rng.uniform(0, 100, size=(1 << n, 2))
    ag = Agreement.singletons(n)
    ag = ag.form(0b0011, 1, np.array([30.0, 10.0] + [0.0] * (n - 2)), lambda m: 0)
    ag = ag.form(0b1100, 0, np.array([0.0, 0.0, 5.0, 20.0] + [0.0] * (n - 4)), lambda m: 0)
    for agent in (0, 2, n - 1):
        got = one_step_payoff(own, others, agent, ag)
        for z in range(3):
            assert got[z] == pytest.approx(one_step_loop(own[z], others, agent, ag, n))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bre_with_known_types_reaches_the_core(seed):
    """Known types, non-empty core (5-agent setting): BRE ends in a core agreement."""
    p = software_company(5)
    truth = np.zeros((5, 5, p.n_types))
    truth[:, np.arange(5), p.true_types] = 1.0
    sv = StageValues(p, Valuator(p), log_of(truth), 0, 1, "informed")
    ag = Agreement.singletons(5)
    val = Valuation("informed", sv, ag, None, 0.985)
    rng = np.random.default_rng(seed)
    for _ in range(5000):
        ag = bre_round(val, ag, int(rng.integers(5)), rng.random(3), epsilon=0.05)
        ag.validate()
        if strong_core_blocking(sv.expected, ag) is None:
            break
    assert strong_core_blocking(sv.expected, ag) is None
    # a core agreement is absorbing for best replies
    for proposer in range(5):
        assert bre_round(val, ag, proposer, rng.random(3), epsilon=0.0) is ag


@pytest.mark.parametrize("method", ["myopic", "map", "vpi", "osla", "vpi-osla", "informed"])
def test_simulation_is_reproducible(method):
    p = software_company(5)
    a = simulate(p, method, uniform_prior(p), stages=4, rounds=3, seed=11)
    b = simulate(p, method, uniform_prior(p), stages=4, rounds=3, seed=11)
    for k, v in a.as_dict().items():
        np.testing.assert_array_equal(v, getattr(b, k), err_msg=k)
    assert (a.rewards >= 0).all() and a.rewards.shape == (4,)


def test_learning_reduces_belief_error():
    p = software_company(5)
    r = simulate(p, "map", uniform_prior(p), stages=60, rounds=5, seed=3, epsilon=0.3)
    assert r.belief_error[-1] < r.belief_error[0]


def test_impossible_observation_names_agent_and_outcome():
    """A partner believed (with certainty) to be of a type that never fails fails."""

    def probs(members, types):
        good = (types == 0).all(axis=1).astype(float)  # everyone good: success
        p = np.stack([1 - good, good], axis=-1)  # (V, O)
        return np.repeat(p[:, None], 1, axis=1)

    task = Task("deterministic", ("work",), ("fail", "succeed"), np.array([0.0, 1.0]), probs)
    p = BCFP(["good", "bad"], [[0, 1], [0, 1]], [0, 1], [task])
    b = uniform_prior(p)
    b[0, 1] = (1.0, 0.0)
    b[1, 0] = (1.0, 0.0)
    with pytest.raises(ValueError, match=r"agent 0 .*observed outcome 'fail'"):
        simulate(p, "myopic", b, stages=50, rounds=2, epsilon=1.0, seed=0)


def test_vpi_reference_actions_are_proposable_at_ten_agents():
    """Eq. 12's q_1, q_2 and sigma_1 come from the agreements negotiation can propose
    (at n > 6, joining the current structure).  Taken over every coalition, q_1 came from
    coalitions of 3-5 agents that cannot be proposed from singletons (worth ~1,600-1,900
    against 50-275 for the best candidate), so no candidate's information had value and
    VPI collapsed to Myopic for every agent."""
    from accord.coalition.estimators import candidate_filter

    p = software_company(10)
    b = misinformed_prior(p)
    sv = StageValues(p, Valuator(p), log_of(b), 0, 5, "vpi")
    ag = Agreement.singletons(10)
    val = Valuation("vpi", sv, ag, None, 0.985)
    bonus = []
    for i in range(10):
        masks, shares = proposal_shares(sv.base[i], i, ag, sv.mem)
        keep = candidate_filter(masks, i, ag, 10)
        masks, shares = masks[keep], shares[keep]
        q = shares * sv.base[i, masks]
        q1, q2, (m1, a1) = val.vpi_ref[i]
        assert m1 in masks and q1 == pytest.approx(q.max())
        assert q2 == pytest.approx(np.sort(q, axis=None)[-2])
        bonus.append(float((val.value(i, masks, shares) - q).max()))
    assert min(bonus) >= 0.0 and sum(b > 0 for b in bonus) >= 5


def test_osla_lookahead_starts_from_the_agreement_valued():
    """Eq. 9's V^0 is the payoff after one BRE round from the agreement sigma = (S, a)
    being valued (the next stage's negotiation starts from it).  With the true types
    known, every successor belief state is the current one, so W_i(S, a) must be one
    myopic BRE round from sigma, and it must depend on S; computed from the stage-start
    agreement, as before, it was the same number for every (S, a)."""
    from accord.coalition.estimators import Lookahead, form_proposal, rechooser

    p = software_company(5)
    n = p.n_agents
    truth = np.zeros((n, n, p.n_types))
    truth[:, np.arange(n), p.true_types] = 1.0
    lb = log_of(truth)
    va = Valuator(p)
    sv = StageValues(p, va, lb, 0, 3, "osla")
    ag = Agreement.singletons(n, sv.base[np.arange(n), [1 << k for k in range(n)]].argmax(axis=1))
    w = Lookahead(p, va, sv, lb, sv.expected, ag, 0, static=False, seed=3).every_w()
    # informed: every agent's values are the true ones
    np.testing.assert_allclose(sv.expected, np.repeat(sv.expected[:1], n, axis=0))
    for i in (0, 3):
        masks, shares = proposal_shares(sv.base[i], i, ag, sv.mem)
        for r, s in enumerate(masks):
            for a in range(p.n_actions):
                sigma, _ = form_proposal(
                    sv.base, i, ag, int(s), a, float(shares[r, a]), rechooser(sv.base, ag)
                )
                want = one_step_payoff(sv.expected[i][None], None, i, sigma)[0]
                assert w[i, s, a] == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert np.ptp(w[i, masks]) > 10.0


def test_vpi_over_osla_keeps_the_lookahead_of_a_zero_share():
    """A candidate in which the agent keeps nothing now (share 0) is still worth
    gamma W_i(S, a) in every revealed type vector: its VPI gain (Eq. 12, not the best
    action) is max(gamma W - q_1, 0).  It used to be computed as 0 * (V + gamma W) = 0."""
    p = software_company(5)
    b = misinformed_prior(p)
    sv = StageValues(p, Valuator(p), log_of(b), 0, 5, "vpi-osla")
    i, s = 1, 0b00011
    shares = np.zeros((1, p.n_actions))
    off = np.array([[120.0, 80.0, 10.0]])
    got = sv.vpi(i, np.array([s]), shares, 100.0, 50.0, (0b00110, 0), off)
    np.testing.assert_allclose(got[0], np.maximum(off[0] - 100.0, 0.0))
    # with a positive share the revealed value is share * V(t) + offset, as before
    shares[:] = 0.5
    pos = sv.vpi(i, np.array([s]), shares, 100.0, 50.0, (0b00110, 0), off)
    assert (pos >= 0).all()


def test_vpi_over_osla_values_revealed_types_by_their_successor_state():
    """Sec. 4.6: VPI-over-OSLA's q*(t) for a candidate sigma = (S, a) whose members'
    types t are revealed is share * V(a | t) + gamma V^0_i(B_i^t), with V^0 (Eq. 9) one
    BRE round from sigma in the belief state where t is known.  Brute force: the
    revealed beliefs' coalition values by enumeration, Eqs. 12-13 by loops."""
    from accord.coalition.estimators import (
        Lookahead,
        form_proposal,
        rechooser,
    )

    p = software_company(5)
    n, gamma = p.n_agents, 0.985
    b = misinformed_prior(p)
    lb = log_of(b)
    va = Valuator(p)
    sv = StageValues(p, va, lb, 0, 5, "vpi-osla")
    ag = Agreement.singletons(n)
    args = (p, va, sv, lb, sv.expected, ag, 0)
    w = Lookahead(*args, static=False, seed=5).every_w()
    rev = Lookahead(*args, static=False, seed=5).every_revealed()
    val = Valuation("vpi-osla", sv, ag, w, gamma, rev)
    i = 2
    masks, shares = proposal_shares(sv.base[i], i, ag, sv.mem)
    got = val.value(i, masks, shares)
    q1, q2, (m1, a1) = val.vpi_ref[i]
    base = shares * sv.base[i, masks] + gamma * w[i, masks]
    assert base.max() == pytest.approx(q1)
    for s in (0b00111, 0b01101):  # two partners each (candidates where the rule matters)
        r = int(np.flatnonzero(masks == s)[0])
        mem_s = members(s)
        unknown = [j for j in mem_s if j != i]
        vpi = np.zeros(p.n_actions)
        for types in itertools.product(*[p.type_sets[j] for j in unknown]):
            weight = np.prod([b[i, j, t] for j, t in zip(unknown, types, strict=True)])
            if weight == 0:
                continue
            known = b.copy()
            for j, t in zip(unknown, types, strict=True):
                known[i, j] = 0.0
                known[i, j, t] = 1.0
            own = np.zeros((1 << n, p.n_actions))
            for mask in range(1, 1 << n):  # the agent's view of every coalition
                own[mask] = brute_expected(p, known, i, mask)
            revealed = dict(zip(unknown, types, strict=True))
            vt = p.tasks[0].values(
                mem_s, np.array([[revealed.get(j, p.true_types[i]) for j in mem_s]])
            )[0]
            for a in range(p.n_actions):
                sigma, _ = form_proposal(
                    sv.base, i, ag, s, a, float(shares[r, a]), rechooser(sv.base, ag)
                )
                v0 = one_step_payoff(own[None], None, i, sigma)[0]
                q = shares[r, a] * vt[a] + gamma * v0
                if s == m1 and a == a1:
                    vpi[a] += weight * max(q2 - q, 0.0)
                else:
                    vpi[a] += weight * max(q - q1, 0.0)
        np.testing.assert_allclose(got[r], base[r] + vpi, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize(("limit", "static", "next_task"), [(1000, False, 0), (20, True, 1)])
def test_revealed_values_through_the_statistic_equal_the_type_vector_views(
    limit, static, next_task
):
    """VPI-over-OSLA's revealed successor values computed through the type statistic
    (shifted totals, ``revealed_payoffs``) equal those of the explicit belief views
    with each type vector revealed, valued by enumeration -- for the stage's type
    vectors enumerated or sampled (``enumerate_limit``), under either assumption about
    the others, and valued with the next task."""
    from accord.coalition.estimators import Lookahead

    base = software_company(5)
    p = BCFP(base.type_names, base.type_sets, base.true_types, [base.tasks[0]] * 2)
    lb = log_of(random_beliefs(p, np.random.default_rng(limit)))
    ag = Agreement(
        np.array([3, 3, 4, 24, 24]), np.array([0, 0, 1, 2, 2]), np.array([1.0, 2, 1, 1, 3])
    )
    sv = StageValues(p, Valuator(p, enumerate_limit=limit), lb, 0, 7, "vpi-osla")
    assert sv.vector_rows == (limit < 144)  # sampled rows, drawn row by row
    got = [
        Lookahead(p, va, sv, lb, 0.9 * sv.expected, ag, next_task, static, 7).every_revealed()
        for va in (Valuator(p), Valuator(p, statistics=False))  # 144 vectors at most: exact
    ]
    fast, slow = got
    assert fast.keys() == slow.keys() and len(fast) == 5 * 16
    for key, v in slow.items():
        np.testing.assert_allclose(fast[key], v, rtol=1e-12, atol=1e-9, err_msg=str(key))
    assert max(np.ptp(v) for v in slow.values()) > 10.0


@pytest.mark.parametrize(("static", "next_task"), [(False, 0), (True, 1)])
def test_lookahead_through_the_statistic_equals_the_type_vector_views(static, next_task):
    """OSLA's W_i(S, a) (Eq. 8) computed natively through the type statistic
    (``lookahead_values``: exact Eq. 5 marginals, subset walk of the successor's values)
    equals the explicit successor belief views valued by enumeration, under either
    assumption about the others and with the next task's values.  (The two paths' tables
    agree to about 1e-12; a V^0 round that meets two exactly equal proposals may break
    the tie differently in them, so the beliefs are seeded without such ties.)"""
    from accord.coalition.estimators import Lookahead

    base = software_company(5)
    p = BCFP(base.type_names, base.type_sets, base.true_types, [base.tasks[0]] * 2)
    lb = log_of(random_beliefs(p, np.random.default_rng(12)))
    ag = Agreement(
        np.array([3, 3, 4, 24, 24]), np.array([0, 0, 1, 2, 2]), np.array([1.0, 2, 1, 1, 3])
    )
    got = []
    for va in (Valuator(p), Valuator(p, statistics=False)):
        sv = StageValues(p, va, lb, 0, 7, "osla")
        got.append(Lookahead(p, va, sv, lb, 0.9 * sv.expected, ag, next_task, static, 7).every_w())
    fast, slow = got
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)
    assert np.ptp(slow) > 100.0


@pytest.mark.parametrize(("static", "next_task"), [(False, 0), (True, 1)])
def test_revealed_values_over_type_vectors_equal_the_python_views(static, next_task, monkeypatch):
    """Without a type statistic (the Good, the Bad and the Ugly) the revealed successor
    values come from the coalitions' tables over type vectors summed natively
    (``revealed_payoffs_vectors``); they equal the explicit belief views valued by the
    kernel groups in Python, with either assumption and the next task's tables."""
    from accord.coalition.environments import good_bad_ugly
    from accord.coalition.estimators import Lookahead

    p = good_bad_ugly()
    lb = log_of(random_beliefs(p, np.random.default_rng(5)))
    ag = Agreement(
        np.array([3, 3, 4, 24, 24]), np.array([0, 0, 1, 2, 2]), np.array([1.0, 2, 1, 1, 3])
    )
    va = Valuator(p)
    sv = StageValues(p, va, lb, 0, 7, "vpi-osla")
    args = (p, va, sv, lb, 0.9 * sv.expected, ag, next_task, static, 7)
    fast = Lookahead(*args).every_revealed()
    monkeypatch.setattr(Valuator, "vector_tables", lambda self, task, agent: None)
    slow = Lookahead(*args).every_revealed()
    assert fast.keys() == slow.keys() and len(fast) == 5 * 16
    for key, v in slow.items():
        np.testing.assert_allclose(fast[key], v, rtol=1e-12, atol=1e-9, err_msg=str(key))
    assert max(np.ptp(v) for v in slow.values()) > 1.0


def test_ten_agents_read_only_the_rows_the_round_needs():
    """With the restricted candidates (n > 6) the native lookahead values only the rows
    of each successor view that the V^0 round reads (unchanged members' totals shifted
    by the updated members'); it equals the explicit successor views valued by the
    statistic's subset sums over every coalition."""
    from accord.coalition.estimators import Lookahead

    p = software_company(10)
    lb = log_of(random_beliefs(p, np.random.default_rng(3)))
    va = Valuator(p)
    sv = StageValues(p, va, lb, 0, 7, "osla")
    ag = Agreement.singletons(10)
    for s, a in ((0b11, 0), (0b1000000101, 1)):  # two coalitions forming from singletons
        ag = ag.form(s, a, np.full(10, 50.0), lambda r: 0)
    fast = Lookahead(p, va, sv, lb, 0.9 * sv.expected, ag, 0, False, 7)
    slow = Lookahead(p, va, sv, lb, 0.9 * sv.expected, ag, 0, False, 7)
    for i in (0, 4):
        masks = [1 << i, (1 << i) | 0b11, (1 << i) | 0b1000000101] if i == 4 else [1, 0b11]
        fast._fill(i, masks)
        slow._fill_views(i, masks)
        np.testing.assert_allclose(fast._w[i, masks], slow._w[i, masks], rtol=1e-12, atol=1e-9)
    assert np.ptp(slow._w[4, [16, 19]]) > 1.0


def _revealed_args() -> dict:
    """Valid masks, type vectors and starting agreements (three agents, two actions) for
    the revealed-value kernels, agent 0 revealing its partners in {0} and {0, 1}."""
    start = Agreement.singletons(3)
    return dict(
        agent=0,
        masks=np.array([1, 3]),
        vectors=np.zeros((2, 2, 2), np.int64),
        compute=np.ones((2, 2), np.uint8),
        others=None,
        starts=(start.coalition[None], start.action[None], start.share()[None]),
        which=np.zeros((2, 2), np.int64),
    )


def test_revealed_payoffs_refuse_bad_arguments():
    from accord.coalition.estimators import revealed_payoffs

    dist = np.zeros((8, 4))
    dist[:, 0] = 1.0
    good = dict(
        dist=dist, values=np.ones((8, 2, 4)), points=np.ones((3, 2), np.int64), **_revealed_args()
    )
    assert revealed_payoffs(**good).shape == (2, 2, 2)
    for change, msg in (
        (dict(masks=np.array([1, 6])), "contain the agent"),
        (dict(vectors=np.full((2, 2, 2), 2)), "local type index"),
        (dict(points=np.full((3, 2), 2)), "width must exceed"),
        (dict(points=np.full((3, 2), -1)), "points must be >= 0"),
        (dict(which=np.ones((2, 2), np.int64)), "outside the starts"),
        (dict(values=np.ones((8, 2, 3))), "values"),
        (dict(values=np.full((8, 2, 4), np.inf)), "finite"),
    ):
        with pytest.raises(ValueError, match=msg):
            revealed_payoffs(**(good | change))


def test_revealed_payoffs_vectors_refuse_bad_arguments():
    from accord.coalition.estimators import revealed_payoffs_vectors

    n, a_n = 3, 2
    offset = np.array([-1, 0, 2, 6, 8, 12, 14, 22])  # tables over 0, 1, 1, 2, ... others
    unknown = np.array([[-1, -1], [-1, -1], [1, -1], [1, -1], [2, -1], [2, -1], [1, 2], [1, 2]])
    good = dict(
        local_probs=np.full((n, 2), 0.5), tables=(offset, unknown, np.ones(30)), **_revealed_args()
    )
    assert revealed_payoffs_vectors(**good).shape == (2, a_n, 2)
    bad_unknown = unknown.copy()
    bad_unknown[3] = [0, -1]  # the agent itself
    for change, msg in (
        (dict(masks=np.array([1, 6])), "contain the agent"),
        (dict(vectors=np.full((2, 2, 2), 2)), "local type index"),
        (dict(local_probs=np.full((n, 2), -0.5)), "local_probs must be finite"),
        (dict(tables=(offset, bad_unknown, np.ones(30))), "other members"),
        (dict(tables=(offset, unknown, np.ones(20))), "runs past values"),
        (dict(which=np.full((2, a_n), 3)), "outside the starts"),
        (dict(tables=(offset, unknown, np.full(30, np.nan))), "finite"),
    ):
        with pytest.raises(ValueError, match=msg):
            revealed_payoffs_vectors(**(good | change))


def test_lookahead_values_refuse_bad_arguments():
    from accord.coalition.estimators import lookahead_values
    from accord.coalition.valuation import SubsetTables

    n, a_n, o_n, width = 3, 2, 2, 4
    tables = SubsetTables(
        np.array([0, 1]), np.full((8, a_n, o_n, width), 0.5), np.ones((8, a_n, width))
    )
    dist = np.zeros((8, width))
    dist[:, 0] = 1.0
    start = Agreement.singletons(n)
    starts = (start.coalition[None], start.action[None], start.share()[None])
    good = dict(
        beliefs=np.full((n, 2), 0.5),
        dist=dist,
        tables=tables,
        next_dist=dist,
        next_tables=tables,
        agent=0,
        masks=np.array([1, 3]),
        others=None,
        starts=starts,
        which=np.zeros((2, a_n), np.int64),
    )
    assert lookahead_values(**good).shape == (2, a_n)
    wide = SubsetTables(np.array([0, 2]), tables.probs, tables.values)
    for change, msg in (
        (dict(masks=np.array([1, 6])), "contain the agent"),
        (dict(beliefs=np.full((n, 2), -0.5)), "beliefs must be finite"),
        (dict(tables=wide), "width must exceed"),
        (dict(which=np.full((2, a_n), 3)), "outside the starts"),
        (dict(dist=np.zeros((8, 3))), "dist"),
        (dict(next_tables=SubsetTables(tables.points, tables.probs, tables.values * np.inf)),
         "finite"),
    ):  # fmt: skip
        with pytest.raises(ValueError, match=msg):
            lookahead_values(**(good | change))


def test_best_replies_are_cached_per_stage_without_changing_the_process():
    """bre_round looks a best reply up once computed for the same proposer and agreement
    (values are frozen during a stage): 300 rounds with one Valuation give the same
    agreements as with a fresh Valuation each round."""
    p = software_company(5)
    b = misinformed_prior(p)
    sv = StageValues(p, Valuator(p), log_of(b), 0, 5, "vpi")
    start = Agreement.singletons(5)
    cached = Valuation("vpi", sv, start, None, 0.985)
    proposers, draws = draw_rounds(np.random.default_rng(8), 5, 300)
    a = c = start
    for proposer, u in zip(proposers, draws, strict=True):
        a = bre_round(cached, a, int(proposer), u, 0.2)
        c = bre_round(Valuation("vpi", sv, start, None, 0.985), c, int(proposer), u, 0.2)
        assert a.key() == c.key()
    assert 0 < len(cached.decisions) < 300


@pytest.mark.parametrize("n", [4, 7])
def test_one_step_payoff_with_an_agreement_per_view(n):
    """Views with different starting agreements in one call equal one call per view
    (n = 7 exercises the candidate filter of each view's structure)."""
    rng = np.random.default_rng(n)
    own = rng.uniform(0, 100, size=(6, 1 << n, 2))
    own[:, 0] = 0
    others = rng.uniform(0, 100, size=(1 << n, 2))
    starts = []
    for _ in range(6):
        ag = Agreement.singletons(n)
        for _ in range(2):
            mask = int(rng.integers(1, 1 << n))
            ag = ag.form(mask, int(rng.integers(2)), rng.uniform(1, 50, n), lambda m: 0)
        starts.append(ag)
    for agent in (0, n - 1):
        got = one_step_payoff(own, others, agent, starts)
        want = [one_step_payoff(own[z : z + 1], others, agent, starts[z])[0] for z in range(6)]
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("ties", ["first", "last", "random"])
def test_map_tie_rules_under_a_uniform_prior(ties):
    """Under a uniform prior every type of a partner is a mode: "first" takes the first
    type of its set (the worst in the software company), "last" the last, "random" one
    of them per stage."""
    p = software_company(5)
    lb = log_of(uniform_prior(p))
    picked = set()
    for seed in range(6):
        sv = StageValues(p, Valuator(p), lb, 0, seed, "map", ties)
        i, s = 0, 0b00111
        for types in itertools.product(*[p.type_sets[j] for j in (1, 2)]):
            full = np.array([[p.true_types[0], *types]])
            if np.allclose(sv.base[i, s], p.tasks[0].values(members(s), full)[0]):
                picked.add(types)
    ends = {
        "first": {(p.type_sets[1][0], p.type_sets[2][0])},
        "last": {(p.type_sets[1][-1], p.type_sets[2][-1])},
    }
    if ties in ends:
        assert ends[ties] <= picked
    else:
        assert len(picked) > 1
    with pytest.raises(ValueError, match="map_ties must be one of first, last, random"):
        simulate(p, "map", uniform_prior(p), stages=1, map_ties="mode")


def test_one_step_payoff_refuses_values_whose_sums_overflow():
    ag = Agreement.singletons(3)
    own = np.zeros((1, 8, 2))
    own[0, 7] = 1.7e308
    with pytest.raises(ValueError, match="own must hold finite coalition values"):
        one_step_payoff(own, None, 0, ag)
    with pytest.raises(ValueError, match="others must hold finite coalition values"):
        one_step_payoff(np.zeros((1, 8, 2)), np.full((8, 2), np.inf), 0, ag)
