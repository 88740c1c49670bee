"""The settings of Chalkiadakis & Boutilier (2012): Sec. 3.1, 6.1-6.3."""

import itertools

import numpy as np
import pytest
from coalition_reference import optimal_structure

from accord.coalition.core import classic_game, coalition_values
from accord.coalition.environments import (
    CARPENTER_PRIOR,
    GBU_PAIR_MATCHED,
    GBU_PAIR_UNMATCHED,
    GBU_PETTY_PAIRS,
    carpenter_example,
    carpenter_prior,
    good_bad_ugly,
    kst_setting,
    software_company,
)
from accord.coalition.model import BCFP, members, uniform_prior
from accord.coop import TUGame, core_allocation, least_core

ENVIRONMENTS = {
    "software5": lambda: software_company(5),
    "software10": lambda: software_company(10),
    "gbu": good_bad_ugly,
    "kst": kst_setting,
    "carpenter": carpenter_example,
}


def set_partitions(items):
    """All partitions of a list (brute force, Bell(n) of them)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in set_partitions(rest):
        yield [[first]] + part
        for k in range(len(part)):
            yield part[:k] + [[first] + part[k]] + part[k + 1:]


def belief_values(problem, beliefs, task=0):
    """``Q_i(S, a)`` by enumerating the members' type vectors (Eq. 2), ``(n, 2**n, A)``."""
    n, tk = problem.n_agents, problem.tasks[task]
    out = np.zeros((n, 1 << n, problem.n_actions))
    for s in range(1, 1 << n):
        m = members(s)
        tv = np.array(list(itertools.product(*[problem.type_sets[j] for j in m])))
        q = tk.values(m, tv)
        for i in range(n):
            weight = np.prod([beliefs[i, j, tv[:, k]] for k, j in enumerate(m)], axis=0)
            out[i, s] = weight @ q
    return out


# ------------------------------------------------------------------ all settings

@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_probabilities_valid_for_every_coalition_and_type_vector(name):
    problem = ENVIRONMENTS[name]()
    assert isinstance(problem, BCFP)
    for i, t in enumerate(problem.true_types):
        assert t in problem.type_sets[i]
    for task in problem.tasks:
        for s in range(1, 1 << problem.n_agents):
            m = members(s)
            tv = np.array(list(itertools.product(*[problem.type_sets[j] for j in m])))
            p = task.outcome_probs(m, tv)
            assert p.shape == (tv.shape[0], problem.n_actions, problem.n_outcomes)
            assert (p >= 0).all() and (p <= 1).all()
            np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
            task.probabilities(m, tv)          # the model's own checks pass too


# ------------------------------------------------------------------ software company

def probs(problem, agents, action=None, types=None):
    m = np.asarray(agents)
    t = problem.true_types[m] if types is None else np.asarray(types)
    p = problem.tasks[0].probabilities(m, t[None, :])[0]
    return p if action is None else p[action]


BFS, BFA, BFL = 0, 1, 2


def test_software_types_tables_6_and_7():
    p5, p10 = software_company(5), software_company(10)
    assert p5.n_types == p10.n_types == 10
    assert p5.agent_names == ("expert interface designer", "good programmer",
                              "expert systems engineer", "bad programmer",
                              "bad systems engineer")
    assert p10.agent_names[5:] == ("bad interface designer", "average interface designer",
                                   "average programmer", "average systems engineer",
                                   "bad programmer")
    # roles public: type sets are the qualities of the agent's role
    assert p5.type_sets[0].tolist() == [0, 1, 2]
    assert p5.type_sets[1].tolist() == [3, 4, 5, 6]
    assert p5.type_sets[2].tolist() == [7, 8, 9]
    assert p5.tasks[0].actions == ("BFS", "BFA", "BFL")
    assert p5.tasks[0].outcomes == ("SP", "AP", "LP")
    np.testing.assert_array_equal(p5.tasks[0].rewards, [0, 2500, 5000])


def test_software_table_8_values():
    p = software_company(5)
    # {0, 1, 2}: q = 6, three roles, BFL: LP = 0.3, SP = 0.7 / 7, AP = 0.6
    np.testing.assert_allclose(probs(p, [0, 1, 2], BFL), [0.1, 0.6, 0.3])
    assert p.tasks[0].values(np.arange(3), p.true_types[None, :3])[0, BFL] == \
        pytest.approx(3000.0)
    # BFS / BFA for the same coalition: LP = 0.06 / 0.24
    np.testing.assert_allclose(probs(p, [0, 1, 2], BFS), [0.94 / 7, 1 - 0.06 - 0.94 / 7, 0.06])
    np.testing.assert_allclose(probs(p, [0, 1, 2], BFA), [0.76 / 7, 1 - 0.24 - 0.76 / 7, 0.24])
    # one member, q = 2: AP = 0.04 / 0.02 / 0
    np.testing.assert_allclose(probs(p, [0])[:, 1], [0.04, 0.02, 0.0])
    assert (probs(p, [0])[:, 2] == 0).all()
    # two programmers (one role): q = (2 + 0) / 2 = 1: AP = 0.04 / 0.02 / 0
    np.testing.assert_allclose(probs(p, [1, 3])[:, 1], [0.04, 0.02, 0.0])
    # two roles: q = 4 unchanged: AP = 0.16 / 0.08 / 0
    np.testing.assert_allclose(probs(p, [0, 1])[:, 1], [0.16, 0.08, 0.0])
    # three members, two roles: q = 4 / 2 = 2: AP = 0.12 / 0.04 / 0.02, no LP
    np.testing.assert_allclose(probs(p, [0, 1, 3])[:, 1], [0.12, 0.04, 0.02])
    assert (probs(p, [0, 1, 3])[:, 2] == 0).all()
    # four members, three roles, q = 6: the N_MT = 3 formula again
    np.testing.assert_allclose(probs(p, [0, 1, 2, 3], BFL), [0.1, 0.6, 0.3])
    np.testing.assert_allclose(probs(p, [0, 1, 2, 3, 4], BFL), [0.1, 0.6, 0.3])
    # four members, two roles (types chosen directly): q = (2+2+0+0) / 2 = 2
    np.testing.assert_allclose(probs(p, [0, 1, 3, 4], types=[2, 5, 3, 3])[:, 1],
                               [0.06, 0.10, 0.06])
    # four programmers (one role): q = (3+3+2+1) / 3 = 3
    np.testing.assert_allclose(probs(p, [0, 1, 2, 3], types=[6, 6, 5, 4])[:, 1],
                               [0.09, 0.15, 0.09])


def test_software_table_9_values():
    p = software_company(10)
    # 1-2 members as Table 8
    np.testing.assert_allclose(probs(p, [0])[:, 1], [0.04, 0.02, 0.0])
    np.testing.assert_allclose(probs(p, [1, 3])[:, 1], [0.04, 0.02, 0.0])
    # {0, 1, 2}: AP = 0.6 computed first, then SP = 0.1 + 3 * 0.1, then normalised
    np.testing.assert_allclose(probs(p, [0, 1, 2], BFL), np.array([0.4, 0.6, 0.3]) / 1.3)
    # three members, two roles: no penalty in the N_MT < 3 branch
    np.testing.assert_allclose(probs(p, [0, 1, 3])[:, 1], [0.12, 0.04, 0.02])
    # 4-7 members, N_MT = 3: penalty N * 0.1
    q = 2 + 2 + 2 + 0 + 1                                  # agents 0, 1, 2, 3, 7
    lp, sp = 0.05 * q, (1 - 0.05 * q) / (q + 1)
    want = np.array([sp + 0.5, 1 - lp - sp, lp])
    np.testing.assert_allclose(probs(p, [0, 1, 2, 3, 7], BFL), want / want.sum())
    # 8-10 members, one role (types chosen directly): AP = q * (0.035, 0.05, 0.04)
    prog = [6, 6, 6, 6, 5, 5, 4, 3]                        # q = 12 + 4 + 1 = 17 -> 17/3
    np.testing.assert_allclose(probs(p, list(range(8)), types=prog)[:, 1],
                               17 / 3 * np.array([0.035, 0.05, 0.04]))
    # five programmers under Table 8's 4-5 member row: AP = q * (0.03, 0.05, 0.03)
    np.testing.assert_allclose(probs(software_company(5), list(range(5)),
                                     types=prog[:5])[:, 1],
                               14 / 3 * np.array([0.03, 0.05, 0.03]))


def test_software_clip_then_normalise():
    # ten experts: q = 3 * 2 + 4 * 3 + 3 * 2 = 24 -> LP = 1.2 (clipped to 1),
    # SP = (1 - 1.2) / 25 < 0 (clipped to 0), AP = 1 - 1.2 + 0.008 < 0 (clipped to 0);
    # Table 9 then adds penalty 1.0 to SP before clipping.
    p10 = software_company(10)
    experts = [2, 6, 9, 6, 9, 2, 2, 6, 9, 6]
    sp = -0.2 / 25 + 1.0
    np.testing.assert_allclose(probs(p10, list(range(10)), BFL, experts),
                               np.array([sp, 0.0, 1.0]) / (sp + 1.0))
    p5 = software_company(5)
    five = [2, 6, 9, 6, 9]                                 # q = 12: LP = 0.6, fine
    np.testing.assert_allclose(probs(p5, list(range(5)), BFL, five),
                               [0.4 / 13, 1 - 0.6 - 0.4 / 13, 0.6])


def test_software_rewards_and_arguments():
    p = software_company(5, rewards=(0.0, 2000.0, 6000.0))
    assert coalition_values(p)[0b111, BFL] == pytest.approx(0.6 * 2000 + 0.3 * 6000)
    with pytest.raises(ValueError, match="n_agents"):
        software_company(7)
    with pytest.raises(ValueError, match="rewards"):
        software_company(5, rewards=(1.0, 2.0))
    with pytest.raises(ValueError, match=">= 0"):
        software_company(5, rewards=(-1.0, 2.0, 3.0))


def test_software_5_agent_optimum_by_brute_force():
    """Brute force over all Bell(5) = 52 coalition structures with known types.

    Found: 3000 (the grand coalition or {0, 1, 2} bidding for the large project;
    the paper's fully informed per-stage reward is 2992.82)."""
    p = software_company(5)
    v = classic_game(p).values
    structures = list(set_partitions(list(range(5))))
    assert len(structures) == 52
    totals = [sum(v[sum(1 << i for i in block)] for block in cs) for cs in structures]
    assert max(totals) == pytest.approx(3000.0)
    best = {frozenset(map(frozenset, cs)) for cs, t in zip(structures, totals, strict=True)
            if t > 3000.0 - 1e-9}
    assert frozenset({frozenset({0, 1, 2, 3, 4})}) in best
    assert frozenset({frozenset({0, 1, 2}), frozenset({3}), frozenset({4})}) in best
    cover, _ = optimal_structure(v, 5)
    assert cover[-1] == pytest.approx(3000.0)


def test_software_10_agent_optimum():
    """Subset DP over the 10-agent game.  Found: 5408.65 by three quality-3 trios
    ({0,4,7}, {1,5,8}, {2,3,6}, each 1802.88 with the penalty) and agent 9 alone;
    the grand coalition is worth only 1793.06.  (The paper's fully informed
    per-stage reward is 3884.77, below this optimum.)"""
    p = software_company(10)
    v = classic_game(p).values
    cover, parts = optimal_structure(v, 10)
    assert cover[-1] == pytest.approx(3 * 1802.8846153846155)
    assert sorted(parts) == sorted([0b0010010001, 0b0100100010, 0b0001001100, 0b1000000000])
    assert v[-1] == pytest.approx(1793.0591259640105)


def test_software_grand_coalition_cores():
    """Paper (Sec. 6.1): the 5-agent core is non-empty, the 10-agent one empty.

    Found with default rewards: 5 agents: least-core eps = 0 (non-empty);
    10 agents: eps = 1167.6 > 0 (empty: the grand coalition is worth far less than
    the best structure).  The core of the best 10-agent *structure* (the core of the
    superadditive cover) is non-empty, though."""
    lc5 = least_core(classic_game(software_company(5)))
    assert lc5.eps <= 1e-9
    g10 = classic_game(software_company(10))
    lc10 = least_core(g10)
    assert lc10.eps == pytest.approx(1167.638, abs=1e-2)
    cover, _ = optimal_structure(g10.values, 10)
    assert core_allocation(TUGame(cover)) is not None


# ------------------------------------------------------------------ Good, Bad, Ugly

def test_gbu_schedule_and_types():
    p = good_bad_ugly()
    assert p.type_names == ("Good", "Bad", "Ugly", "El Viejo", "Sancho Villa")
    assert all(ts.tolist() == list(range(5)) for ts in p.type_sets)
    assert p.true_types.tolist() == list(range(5))
    assert [p.task_index(s) for s in (0, 1, 2, 3, 398, 399, 400, 401, 499)] == \
        [0, 1, 0, 1, 0, 1, 2, 2, 2]
    assert p.tasks[0].actions == ("rob cornerstore", "rob saloon", "rob train")
    assert p.tasks[2].outcomes == ("some change", "some decent cash", "big money")
    q = good_bad_ugly(stages_phase2=10)
    assert [q.task_index(s) for s in (8, 9, 10, 11)] == [0, 1, 2, 2]
    with pytest.raises(ValueError, match="stages_phase2"):
        good_bad_ugly(-1)
    with pytest.raises(TypeError, match="stages_phase2"):
        good_bad_ugly(4.5)


def test_gbu_big_crime():
    p = good_bad_ugly()
    big = p.tasks[2]

    def train(agents):
        m = np.asarray(agents)
        return big.probabilities(m, m[None, :])[0, 2]     # agent i has type i

    np.testing.assert_allclose(train([0, 1, 2]), [0.05, 0.10, 0.85])
    for pair in ([0, 1], [0, 2], [1, 2]):
        np.testing.assert_allclose(train(pair), [0.15, 0.80, 0.05])
    for other in ([0], [0, 3], [0, 1, 3], [0, 1, 2, 3], [0, 1, 2, 3, 4], [3, 4]):
        assert train(other)[0] >= 0.9                     # mostly some change
    v = coalition_values(p, task=2).max(axis=1)
    cover, parts = optimal_structure(v, 5)
    assert 0b00111 in parts                               # G, B, U rob the train
    assert coalition_values(p, task=2)[0b00111].argmax() == 2


def test_gbu_petty_crime_favours_informative_pairs():
    """Problems 1 and 2 favour two matched pairs; under the uniform prior any pair
    looks slightly better than two singletons (a partner matches w.p. 1/5), and a
    matched pair is worth about twice that; the Good learns from its two matched pairs
    who the Bad and the Ugly are."""
    p = good_bad_ugly()
    for problem in (0, 1):
        v = coalition_values(p, task=problem).max(axis=1)
        _, parts = optimal_structure(v, 5)
        want = sorted((1 << a) | (1 << b) for a, b in GBU_PETTY_PAIRS[problem])
        assert sorted(c for c in parts if bin(c).count("1") == 2) == want
        assert sorted(bin(c).count("1") for c in parts) == [1, 2, 2]
        task = p.tasks[problem]
        good = GBU_PETTY_PAIRS[problem][0]                # a matched pair; (0, 3) is not
        pr = task.probabilities(np.array([0, 1]), np.array([good, (0, 3)]))
        assert pr[:, :, 2].max() == 0                     # no big money before phase 3
        assert tuple(pr[:, problem, 1]) == (GBU_PAIR_MATCHED, GBU_PAIR_UNMATCHED)
        rewards = np.asarray(task.rewards)
        decent = 0.2 * GBU_PAIR_MATCHED + 0.8 * GBU_PAIR_UNMATCHED
        prior_pair = rewards[0] + decent * (rewards[1] - rewards[0])
        assert 2 * v[1] < prior_pair < 0.6 * v[(1 << good[0]) | (1 << good[1])]
    # the Good's pair outcomes of problems 1 and 2 single out the Bad and the Ugly
    sig = [
        tuple(p.tasks[k].probabilities(np.array([0, 1]), np.array([[0, u]]))[0, k, 1]
              for k in (0, 1))
        for u in range(5)
    ]
    assert sig.count(sig[1]) == 1 and sig.count(sig[2]) == 1 and sig[1] != sig[2]


# ------------------------------------------------------------------ KST setting

def test_kst_learning_matters():
    """Under the uniform prior every pair looks worth a heist (180 > two solo jobs,
    50) but only two of the ten pairs are compatible: coalitions that look good and
    are bad. Informed agents earn 1825 per stage."""
    p = kst_setting()
    assert all(ts.tolist() == list(range(5)) for ts in p.type_sets)
    v = classic_game(p).values
    cover, parts = optimal_structure(v, 5)
    assert cover[-1] == pytest.approx(1825.0)
    assert sorted(parts) == sorted([0b00101, 0b10010, 0b01000])
    good = [s for s in range(32) if bin(s).count("1") == 2 and v[s] > 100]
    assert sorted(good) == [0b00101, 0b10010]
    bv = belief_values(p, uniform_prior(p))
    for i in (0, 1, 2, 4):  # every type but E has a compatible type
        for j in range(5):
            if j != i:
                assert bv[i, (1 << i) | (1 << j), 2] == pytest.approx(0.2 * 900)
    assert bv[3, 0b01001, 2] == 0.0  # E knows it fits nobody
    # acting on the prior, agent 0 believes pairing with agent 1 is as good as any
    assert bv[0, 0b00011].max() == pytest.approx(bv[0, 0b00101].max())
    assert v[0b00011] == pytest.approx(0.5 * 50)  # and in truth it is not


# ------------------------------------------------------------------ carpenter

def test_carpenter_example_equations_3_and_4():
    """Q_1({1,3}, Ambitious) = 540 and Q_1({1,3}, Moderate) = 415 (paper's numbering).

    Eq. 3 prints "0.3 * 0.3" for the middle term, but its result 540 is
    (0.8 * 0.5 + 0.4 * 0.3 + 0.1 * 0.2) * 1000, which matches the table."""
    p = carpenter_example()
    assert p.true_types[0] == 0                           # carpenter of type g
    b = carpenter_prior(p)
    np.testing.assert_allclose(b[0, 2, 3:], CARPENTER_PRIOR[1])
    bv = belief_values(p, b)
    assert bv[0, 0b101, 0] == pytest.approx(540.0)
    assert bv[0, 0b101, 1] == pytest.approx(415.0)
    assert bv[0, 0b011, 0] == pytest.approx((0.8 * 0.3 + 0.4 * 0.4 + 0.1 * 0.3) * 1000)
    assert bv[0, 0b011].max() < bv[0, 0b101].max()      # partnering with 3 dominates
    task = p.tasks[0]
    pr = task.probabilities(np.array([0, 1]), np.array([[0, 3], [0, 4], [0, 5]]))
    np.testing.assert_allclose(pr[:, 0, 2], [0.8, 0.4, 0.1])   # ambitious success
    np.testing.assert_allclose(pr[:, 1, 1], [0.9, 0.8, 0.7])   # moderate success
    assert (pr[:, 0, 1] == 0).all() and (pr[:, 1, 2] == 0).all()
    # no carpenter, no ambitious house
    solo = task.probabilities(np.array([1, 2]), np.array([[3, 3]]))[0]
    assert solo[0, 2] == 0
