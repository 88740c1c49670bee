"""The native negotiation loop against the BRE rounds of accord.coalition.bre."""

import numpy as np
import pytest
from coalition_reference import random_beliefs

from accord._core import coalition as kernels
from accord.coalition.bre import _NativeTables, draw_rounds, negotiate
from accord.coalition.environments import software_company
from accord.coalition.estimators import Lookahead, StageValues, Valuation
from accord.coalition.model import Agreement, misinformed_prior
from accord.coalition.valuation import Valuator, log_of


def _stage(p, method, seed, start=None):
    rng = np.random.default_rng(seed)
    lb = log_of(random_beliefs(p, rng) if seed % 2 else misinformed_prior(p))
    va = Valuator(p)
    sv = StageValues(p, va, lb, 0, seed, method)
    if start is None:
        n = p.n_agents
        start = Agreement.singletons(n, sv.base[np.arange(n), 1 << np.arange(n)].argmax(axis=1))
    look = None
    if method in ("osla", "vpi-osla"):
        look = Lookahead(p, va, sv, lb, sv.expected, start, 0, seed % 3 == 0, seed)
    return Valuation(method, sv, start, look, 0.985, method == "vpi-osla"), start


@pytest.mark.parametrize("method", ["myopic", "map", "informed", "vpi", "osla", "vpi-osla"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_native_loop_decides_as_the_python_rounds(method, seed):
    """Same draws, same agreements, round by round (every prefix of the rounds), with
    frequent experiments so that both kinds of proposal occur."""
    p = software_company(5)
    val, start = _stage(p, method, seed)
    assert _NativeTables.of(val) is not None
    proposers, draws = draw_rounds(np.random.default_rng(seed), 5, 150)
    ag = start
    changed = 0
    for t in range(150):
        want = negotiate(val, ag, proposers[t : t + 1], draws[t : t + 1], 0.5, native=False)
        got = negotiate(val, ag, proposers[t : t + 1], draws[t : t + 1], 0.5)
        np.testing.assert_array_equal(got.coalition, want.coalition, err_msg=f"round {t}")
        np.testing.assert_array_equal(got.action, want.action, err_msg=f"round {t}")
        np.testing.assert_allclose(
            got.demand, want.demand, rtol=1e-12, atol=1e-8, err_msg=f"round {t}"
        )
        changed += want.key() != ag.key()
        ag = want
    assert changed >= 2
    # and all rounds in one call
    whole = negotiate(val, start, proposers, draws, 0.5)
    np.testing.assert_array_equal(whole.coalition, ag.coalition)
    np.testing.assert_allclose(whole.demand, ag.demand, rtol=1e-12, atol=1e-8)


@pytest.mark.parametrize("method", ["myopic", "vpi"])
def test_ten_agents_restrict_the_candidates_alike(method):
    p = software_company(10)
    val, start = _stage(p, method, 1)
    proposers, draws = draw_rounds(np.random.default_rng(5), 10, 40)
    want = negotiate(val, start, proposers, draws, 0.25, native=False)
    got = negotiate(val, start, proposers, draws, 0.25)
    np.testing.assert_array_equal(got.coalition, want.coalition)
    np.testing.assert_array_equal(got.action, want.action)
    np.testing.assert_allclose(got.demand, want.demand, rtol=1e-12, atol=1e-8)
    assert len(want.structure()) < 10


@pytest.mark.parametrize(
    "n,method,limit", [(10, "osla", 1000), (10, "vpi-osla", 1000), (5, "vpi-osla", 10)]
)
def test_lazy_rows_decide_as_the_python_rounds(n, method, limit):
    """Above six agents the lookahead is computed only for the rows the loop asks for,
    and VPI-over-OSLA's sampled rows are drawn when first needed: the native loop
    stops at each round that needs a missing row, has it computed, and resumes there,
    with the decisions of the Python rounds (each run on a fresh valuation)."""
    p = software_company(n)
    lb = log_of(misinformed_prior(p))
    start = Agreement.singletons(n)

    def valuation():
        va = Valuator(p, enumerate_limit=limit)
        sv = StageValues(p, va, lb, 0, 1, method)
        look = Lookahead(p, va, sv, lb, sv.expected, start, 0, True, 1)
        return Valuation(method, sv, start, look, 0.985, method == "vpi-osla")

    val = valuation()
    tables = _NativeTables.of(val)
    assert tables is not None and tables.lazy
    proposers, draws = draw_rounds(np.random.default_rng(5), n, 40)
    got = negotiate(val, start, proposers, draws, 0.25)
    want = negotiate(valuation(), start, proposers, draws, 0.25, native=False)
    np.testing.assert_array_equal(got.coalition, want.coalition)
    np.testing.assert_array_equal(got.action, want.action)
    np.testing.assert_allclose(got.demand, want.demand, rtol=1e-12, atol=1e-8)
    assert len(want.structure()) < n
    if n > 6:  # only the coalitions negotiation considered were looked ahead from
        done = ~np.isnan(val.lookahead.known_w()[..., 0])
        assert 0 < done.sum() < 0.2 * n * (1 << (n - 1))


@pytest.mark.parametrize(("n", "limit"), [(5, 1000), (5, 10), (10, 1000)])
def test_row_cells_hold_the_expected_values(n, limit):
    """VPI-over-OSLA's cells (each row's type vectors, enumerated or sampled) weigh to
    the stage's expected values where enumerated, their weights sum to one, and a
    row's sampled vectors stay the same however the rows are asked for."""
    p = software_company(n)
    lb = log_of(misinformed_prior(p))
    sv = StageValues(p, Valuator(p, enumerate_limit=limit), lb, 0, 3, "vpi-osla")
    rows = [(i, s) for i in range(n) for s in range(1, 1 << n) if (s >> i) & 1][:: 7 * n - 4]
    for i, s in rows:
        vec, w, values = sv.row_cells(i, s)
        assert vec.shape[0] == w.size == values.shape[1]
        np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-12)
        if sv.valuator.row(0, i, s).enumerated:
            np.testing.assert_allclose(values @ w, sv.expected[i, s], rtol=1e-10, atol=1e-9)
    if n == 10:
        again = StageValues(p, Valuator(p, enumerate_limit=limit), lb, 0, 3, "vpi-osla")
        for i, s in rows[::-1]:
            np.testing.assert_array_equal(again.row_cells(i, s)[0], sv.row_cells(i, s)[0])


@pytest.mark.parametrize("n", [5, 10])
def test_native_proposals_form_the_agreements_of_the_python_rule(n):
    """``form_proposals`` (the agreements a proposer's proposals form, used for the
    lookahead's starting agreements) equals :func:`proposals` with the relative demands
    of the result, for every agent, coalition and action from a mixed structure."""
    from accord.coalition.estimators import (
        form_proposals,
        proposal_shares,
        proposals,
        rechooser,
    )
    from accord.coalition.model import relative_demands

    p = software_company(n)
    val, _ = _stage(p, "myopic", 1)
    base = val.base
    rng = np.random.default_rng(n)
    ag = Agreement.singletons(n, np.zeros(n, np.int64))
    for _ in range(4):  # a few coalitions with random demands, some zero
        s = int(rng.integers(1, 1 << n))
        ag = ag.form(s, int(rng.integers(p.n_actions)), rng.uniform(0, 50, n), lambda r: 0)
    ag = Agreement(ag.coalition, ag.action, np.where(rng.random(n) < 0.2, 0.0, ag.demand))
    assert 1 < len(ag.structure()) < n
    for i in range(n):
        masks, shares = proposal_shares(base[i], i, ag, val.stage.mem)
        masks = np.repeat(masks, p.n_actions)
        acts = np.tile(np.arange(p.n_actions), masks.size // p.n_actions)
        sh = shares.reshape(-1)
        c, a, d, _ = proposals(base, i, ag, masks, acts, sh, rechooser(base, ag))
        got = form_proposals(base, i, ag, masks, acts, sh)
        np.testing.assert_array_equal(got[0], c)
        np.testing.assert_array_equal(got[1], a)
        np.testing.assert_allclose(got[2], relative_demands(c, d), rtol=1e-12, atol=1e-15)
    one = (np.array([1]), np.array([0]), np.array([0.5]))
    with pytest.raises(ValueError, match="contain the agent"):
        form_proposals(base, 1, ag, *one)
    with pytest.raises(ValueError, match="action is out of range"):
        form_proposals(base, 0, ag, one[0], np.array([9]), one[2])
    grand = Agreement(np.full(n, (1 << n) - 1), np.arange(n) % 2, ag.demand)
    with pytest.raises(ValueError, match="disagree"):
        form_proposals(base, 0, grand, *one)
    with pytest.raises(ValueError, match="finite"):
        form_proposals(np.full_like(base, np.inf), 0, ag, *one)


def test_bad_arguments_are_refused_before_any_work():
    n, m_n, a_n = 3, 8, 2
    base = np.zeros((n, m_n, a_n))
    c, a, d = np.array([1, 2, 4]), np.zeros(3, np.int64), np.ones(3)
    pr, dr = np.zeros(2, np.int64), np.full((2, 3), 0.5)
    kernels.negotiate(
        base, None, None, None, None, None, None, None, None, pr, dr, 0.1, False, 1e-9, c, a, d
    )
    cases = [
        (dict(c=np.array([1, 1, 4])), "not in its own coalition"),
        (dict(c=np.array([3, 2, 4])), "disagree"),
        (dict(a=np.array([0, 5, 0])), "action is out of range"),
        (dict(d=np.array([1.0, -1.0, 1.0])), "demands must be finite"),
        (dict(pr=np.array([0, 3])), "proposer is out of range"),
        (dict(dr=np.full((2, 3), 1.0)), r"draws must lie in \[0, 1\)"),
    ]
    for change, msg in cases:
        args = dict(c=c.copy(), a=a.copy(), d=d.copy(), pr=pr, dr=dr) | change
        before = (args["c"].copy(), args["a"].copy(), args["d"].copy())
        with pytest.raises(ValueError, match=msg):
            kernels.negotiate(
                base, None, None, None, None, None, None, None, None, args["pr"], args["dr"],
                0.1, False, 1e-9, args["c"], args["a"], args["d"],
            )  # fmt: skip
        for x, y in zip(before, (args["c"], args["a"], args["d"]), strict=True):
            np.testing.assert_array_equal(x, y)  # nothing was changed
    with pytest.raises(ValueError, match="come together"):
        kernels.negotiate(
            base, None, np.zeros((n, m_n, 4)), None, None, None, None, None, None, pr, dr,
            0.1, False, 1e-9, c, a, d,
        )  # fmt: skip
    with pytest.raises(ValueError, match="cell_offset needs the VPI cells"):
        kernels.negotiate(
            base, None, None, None, np.zeros((n, m_n, a_n, 4)), None, None, None, None, pr, dr,
            0.1, False, 1e-9, c, a, d,
        )  # fmt: skip
    with pytest.raises(ValueError, match="base must have shape"):
        kernels.negotiate(
            np.zeros((n, 7, a_n)), None, None, None, None, None, None, None, None, pr, dr,
            0.1, False, 1e-9, c, a, d,
        )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_loop_stops_at_missing_rows_and_resumes_alike(seed):
    """With ``lazy``, NaN offsets and ``row_start`` -1 mark rows not computed yet: the
    loop stops before the first round that needs one, names the rows, and resumed
    after they are filled it ends where one call over complete tables ends; compact
    cells give the dense cells' decisions."""
    rng = np.random.default_rng(seed)
    n, a_n, w_n = 4, 2, 3
    m_n = 1 << n
    base = rng.uniform(0, 10, (n, m_n, a_n))
    offset = rng.uniform(0, 5, (n, m_n, a_n))
    dist = rng.dirichlet(np.ones(w_n), (n, m_n))
    cells = rng.uniform(0, 12, (n, m_n, a_n, w_n))
    cell_offset = rng.uniform(0, 3, (n, m_n, a_n, w_n))
    refs = (np.full(n, 6.0), np.full(n, 4.0), np.full(n, 3, np.int64), np.zeros(n, np.int64))
    proposers, draws = draw_rounds(rng, n, 60)
    start = (np.array([1, 2, 4, 8]), np.zeros(n, np.int64), np.ones(n))

    def run(off, dist_, cells_, co, rows=(None, None), lazy=False, first=0, ag=None):
        c, a, d = (x.copy() for x in (ag or start))
        done, missing = kernels.negotiate(
            base, off, dist_, cells_, co, *refs, proposers, draws, 0.3, False, 1e-9, c, a, d,
            *rows, lazy=lazy, first_round=first,
        )  # fmt: skip
        return done, missing, (c, a, d)

    done, missing, want = run(offset, dist, cells, cell_offset)
    assert done == 60 and missing.shape == (0, 2)
    # compact layout, every row present, rows stored in a shuffled order
    order = rng.permutation(n * m_n)
    row_start = np.empty(n * m_n, np.int64)
    row_start[order] = np.arange(n * m_n) * w_n
    flat_d = np.empty(n * m_n * w_n)
    flat_c, flat_o = np.empty(a_n * flat_d.size), np.empty(a_n * flat_d.size)
    for q in range(n * m_n):
        k, s, st = q // m_n, q % m_n, row_start[q]
        flat_d[st : st + w_n] = dist[k, s]
        flat_c[a_n * st : a_n * (st + w_n)] = cells[k, s].ravel()
        flat_o[a_n * st : a_n * (st + w_n)] = cell_offset[k, s].ravel()
    widths = np.full((n, m_n), w_n, np.int64)
    got = run(offset, flat_d, flat_c, flat_o, (row_start.reshape(n, m_n), widths))[2]
    for x, y in zip(got, want, strict=True):
        np.testing.assert_array_equal(x, y)
    # lazily: start with a third of the rows, fill what the loop names, resume
    have = rng.random((n, m_n)) < 0.3
    off = np.where(have[..., None], offset, np.nan)
    starts = np.where(have, row_start.reshape(n, m_n), -1)
    done, calls, ag = 0, 0, None
    while True:
        done, missing, ag = run(off, flat_d, flat_c, flat_o, (starts, widths), True, done, ag)
        calls += 1
        if done == 60:
            assert missing.shape == (0, 2)
            break
        assert missing.size and not have[missing[:, 0], missing[:, 1]].any()
        have[missing[:, 0], missing[:, 1]] = True
        off[missing[:, 0], missing[:, 1]] = offset[missing[:, 0], missing[:, 1]]
        starts[missing[:, 0], missing[:, 1]] = row_start.reshape(n, m_n)[tuple(missing.T)]
    assert calls > 1
    for x, y in zip(ag, want, strict=True):
        np.testing.assert_array_equal(x, y)
    # a missing row without lazy, a row outside the cells and a bad first round refuse
    with pytest.raises(ValueError, match="inside dist"):
        run(offset, flat_d, flat_c, flat_o, (starts * 0 - 1, widths))
    with pytest.raises(ValueError, match="inside dist"):
        run(offset, flat_d[:-1], flat_c[:-a_n], flat_o[:-a_n], (row_start.reshape(n, m_n), widths))
    with pytest.raises(ValueError, match="first_round"):
        run(offset, dist, cells, cell_offset, first=61)
