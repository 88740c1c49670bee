"""Committed positions and declared games in position agreement: commit and reveal,
Byzantine agents, the equilibria of the agreed game against the solvers, determinism
and bad requests."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.consensus.aggregate import median  # noqa: E402
from accord.games import (  # noqa: E402
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    lemke_howson,
)
from accord.service.hash_commit import hash_commit  # noqa: E402
from accord.service.machine import ServiceStore  # noqa: E402
from accord.service.positions import committed_position, position_context  # noqa: E402
from accord.service.signing import AgentKey  # noqa: E402

OWNER = AgentKey.generate("owner", b"g")
AGENTS = [AgentKey.generate(f"a{i}", b"g") for i in range(8)]
KEYS = {k.agent: k for k in (OWNER, *AGENTS)}


def _store():
    s = ServiceStore()
    for k in KEYS.values():
        assert "error" not in s.execute(
            {"op": "register", "agent": k.agent, "public_key": k.public}
        )
    return s


def _open_op(topic="t", **kw):
    op = {
        "op": "position_open",
        "topic": topic,
        "by": "owner",
        "aggregator": "median",
        "dim": 3,
        "submit_ticks": 100,
        **kw,
    }
    return OWNER.sign({k: v for k, v in op.items() if v is not None})


def _open(s, topic="t", **kw):
    r = s.execute(_open_op(topic, **kw))
    assert "error" not in r, r
    return r


def _ok(s, op):
    r = s.execute(op)
    assert "error" not in r, r
    return r


def _wait(s, tick):
    while s.tick() < tick:
        s.execute({"op": "noop"})


def _state(s, topic="t"):
    return s.execute({"op": "get", "key": f"service/position/{topic}"})


def _close(s, topic="t"):
    r = s.execute({"op": "position_close", "topic": topic})
    assert "outcome" in r, r
    return r["outcome"]


def _submit(i, position, topic="t"):
    op = {"op": "position_submit", "topic": topic, "agent": f"a{i}", "position": position}
    return AGENTS[i].sign(op)


# ------------------------------------------------------------------ committed positions

X = [[1.25, -3.5, 7.0], [2.0, -2.75, 6.5], [123.456, 987.654, -555.125]]


def test_commit_reveal_round_trip_and_nothing_visible_before_reveal():
    s = _store()
    opened = _open(s, commit_ticks=10, submit_ticks=10)
    pairs = [committed_position(AGENTS[i], "t", x) for i, x in enumerate(X)]
    for commit, _ in pairs:
        _ok(s, commit)
    state = _state(s)
    text = repr(state)
    assert state["positions"] == []
    assert not any(str(v) in text for x in X for v in x)
    assert [a for a, _ in state["commits"]] == ["a0", "a1", "a2"]
    assert "commit phase" in s.execute(pairs[0][1])["error"]  # reveal before it ends
    assert "closes at tick" in s.execute({"op": "position_close", "topic": "t"})["error"]
    _wait(s, opened["commit_end"])
    for _, reveal in reversed(pairs):  # reveal order does not matter
        _ok(s, reveal)
    out = _close(s)  # every committed agent has revealed: no need to wait
    assert out["agents"] == ["a0", "a1", "a2"]  # commit order
    assert out["positions"] == X
    assert out["excluded"] == []
    assert out["value"] == pytest.approx(list(median(np.array(X))), abs=1e-9)
    assert "closed" in s.execute({"op": "position_close", "topic": "t"})["error"]


def test_wrong_opening_wrong_position_and_copied_commitment_are_refused():
    s = _store()
    opened = _open(s, commit_ticks=3)
    commit, reveal = committed_position(AGENTS[0], "t", X[0])
    _ok(s, commit)
    # a1 copies a0's commitment: it cannot open it, the context names the agent
    copied = AGENTS[1].sign({k: v for k, v in commit.items() if k != "signature"} | {"agent": "a1"})
    _ok(s, copied)
    _wait(s, opened["commit_end"])
    other_salt = {**reveal, "opening": bytes(32).hex()}
    assert "do not open" in s.execute(other_salt)["error"]
    other_position = {**reveal, "position": [1.25, -3.5, 7.5]}
    assert "do not open" in s.execute(other_position)["error"]
    assert "do not open" in s.execute({**reveal, "agent": "a1"})["error"]
    assert "must be hex" in s.execute({**reveal, "opening": "zz"})["error"]
    assert "3 finite numbers" in s.execute({**reveal, "position": [1.0, 2.0]})["error"]
    assert "no commitment" in s.execute({**reveal, "agent": "a2"})["error"]
    _ok(s, reveal)
    assert "already revealed" in s.execute(reveal)["error"]


def test_a_position_committed_for_another_topic_does_not_open_here():
    s = _store()
    opened = _open(s, commit_ticks=2)
    c, salt = hash_commit(X[0], position_context("other", "a0"))
    op = {"op": "position_commit", "topic": "t", "agent": "a0", "commitment": c.hex()}
    _ok(s, AGENTS[0].sign(op))
    _wait(s, opened["commit_end"])
    reveal = {"op": "position_reveal", "topic": "t", "agent": "a0", "position": X[0]}
    assert "do not open" in s.execute({**reveal, "opening": salt.hex()})["error"]


def test_unrevealed_positions_are_excluded():
    s = _store()
    opened = _open(s, commit_ticks=10, submit_ticks=5)
    Y = [*X, [0.0, 0.0, 0.0]]
    pairs = [committed_position(AGENTS[i], "t", y) for i, y in enumerate(Y)]
    for commit, _ in pairs:
        _ok(s, commit)
    _wait(s, opened["commit_end"])
    for _, reveal in (pairs[0], pairs[2], pairs[3]):
        _ok(s, reveal)
    assert "closes at tick" in s.execute({"op": "position_close", "topic": "t"})["error"]
    _wait(s, opened["end"])
    assert "reveal phase" in s.execute(pairs[1][1])["error"]
    out = _close(s)
    assert out["agents"] == ["a0", "a2", "a3"]
    assert out["excluded"] == ["a1"]
    assert out["value"] == pytest.approx(list(median(np.array([Y[0], Y[2], Y[3]]))), abs=1e-9)


def test_double_commit_is_refused():
    s = _store()
    _open(s, commit_ticks=10)
    first, _ = committed_position(AGENTS[0], "t", X[0])
    second, _ = committed_position(AGENTS[0], "t", X[1])
    _ok(s, first)
    before = _state(s)
    for again in (first, second):
        assert "already committed" in s.execute(again)["error"]
    assert _state(s) == before


def test_commit_phase_deadline_and_expect():
    s = _store()
    opened = _open(s, commit_ticks=3)
    _wait(s, opened["commit_end"])
    late, _ = committed_position(AGENTS[0], "t", X[0])
    assert "commit phase" in s.execute(late)["error"] and "ended" in s.execute(late)["error"]

    s = _store()
    _open(s, commit_ticks=1000, expect=2)
    pairs = [committed_position(AGENTS[i], "t", x) for i, x in enumerate(X)]
    _ok(s, pairs[0][0])
    _ok(s, pairs[1][0])
    assert "ended" in s.execute(pairs[2][0])["error"]  # two were expected
    _ok(s, pairs[0][1])  # the reveal phase has begun
    _ok(s, pairs[1][1])
    assert _close(s)["agents"] == ["a0", "a1"]


def test_plain_and_committed_topics_refuse_each_others_ops():
    s = _store()
    _open(s, "plain")
    _open(s, "sealed", commit_ticks=5)
    assert "position_commit" in s.execute(_submit(0, X[0], topic="sealed"))["error"]
    commit, reveal = committed_position(AGENTS[0], "plain", X[0])
    assert "position_submit" in s.execute(commit)["error"]
    assert "position_submit" in s.execute(reveal)["error"]


def test_the_commit_must_be_the_agents_and_hex():
    s = _store()
    _open(s, commit_ticks=50, weights={"a0": 1.0})
    commit, _ = committed_position(AGENTS[0], "t", X[0])
    assert "signature" in s.execute({**commit, "agent": "a1"})["error"]
    body = {k: v for k, v in commit.items() if k != "signature"}
    assert "no trust weight" in s.execute(AGENTS[1].sign({**body, "agent": "a1"}))["error"]
    for bad in ("00", "zz" * 32, 7):
        assert "commitment" in s.execute(AGENTS[0].sign({**body, "commitment": bad}))["error"]


# ------------------------------------------------------------------------------- games

CHICKEN = np.array([[[0, -1], [1, -10]], [[0, 1], [-1, -10]]], dtype=float)
GAME_3X3 = np.array(
    [
        [[3, 0, 5], [2, 4, 1], [0, 6, 2]],
        [[2, 1, 0], [0, 3, 4], [5, 2, 1]],
    ],
    dtype=float,
)


def _game_op(u, solve, topic="t", **kw):
    actions = list(u.shape[1:])
    return _open_op(topic, dim=u.size, game={"actions": actions, "solve": solve}, **kw)


def _direct(u, solve):
    if solve == "lemke_howson":
        return lemke_howson(u[0], u[1], 0)
    run = correlated_equilibrium if solve == "ce" else coarse_correlated_equilibrium
    return run(u, "welfare", method="simplex")


def _check_matches(eq, u, solve):
    ref = _direct(u, solve)
    if solve == "lemke_howson":
        x, y = ref
        assert eq["concept"] == "nash" and eq["rule"] == "lemke_howson_label_0"
        assert eq["strategies"][0] == pytest.approx(list(x), abs=1e-9)
        assert eq["strategies"][1] == pytest.approx(list(y), abs=1e-9)
        payoffs = [x @ u[0] @ y, x @ u[1] @ y]
    else:
        assert eq["concept"] == ("correlated" if solve == "ce" else "coarse_correlated")
        assert eq["rule"] == "max_welfare"
        p = np.array(eq["distribution"])
        assert p.shape == u.shape[1:]
        assert p == pytest.approx(ref.distribution, abs=1e-9)
        payoffs = list(ref.expected_payoffs)
    assert eq["expected_payoffs"] == pytest.approx(payoffs, abs=1e-8)


@pytest.mark.parametrize("solve", ["ce", "cce", "lemke_howson"])
@pytest.mark.parametrize("u", [CHICKEN, GAME_3X3], ids=["chicken", "3x3"])
def test_game_outcome_matches_the_solver(u, solve):
    s = _store()
    _ok(s, _game_op(u, solve))
    for i in range(3):
        _ok(s, _submit(i, u.ravel().tolist()))
    _wait(s, 200)
    out = _close(s)
    assert out["game"] == {"actions": list(u.shape[1:]), "solve": solve}
    assert out["value"] == u.ravel().tolist()
    _check_matches(out["equilibrium"], u, solve)


def test_three_player_correlated_equilibrium():
    u = np.arange(24, dtype=float).reshape(3, 2, 2, 2) % 5 - 2
    s = _store()
    _ok(s, _game_op(u, "ce", expect=2))
    for i in range(2):
        _ok(s, _submit(i, u.ravel().tolist()))
    _check_matches(_close(s)["equilibrium"], u, "ce")


@pytest.mark.parametrize("solve", ["ce", "cce", "lemke_howson"])
@pytest.mark.parametrize("committed", [False, True])
def test_byzantine_payoffs_do_not_move_the_equilibrium(solve, committed):
    rng = np.random.default_rng(7)
    honest, byzantine = 5, 3
    u = GAME_3X3
    s = _store()
    _ok(s, _game_op(u, solve, commit_ticks=50 if committed else None, expect=honest + byzantine))
    wild = [rng.choice([-1.0, 1.0], size=u.size) * 1e6 * rng.random(u.size) for _ in range(3)]
    positions = [u.ravel().tolist()] * honest + [w.tolist() for w in wild]
    order = [5, 0, 1, 6, 2, 3, 7, 4]  # the Byzantine agents mixed in
    if committed:
        pairs = {i: committed_position(AGENTS[i], "t", positions[i]) for i in order}
        for i in order:
            _ok(s, pairs[i][0])
        for i in order:
            _ok(s, pairs[i][1])
    else:
        for i in order:
            _ok(s, _submit(i, positions[i]))
    out = _close(s)
    assert out["breakdown_point"] > byzantine / (honest + byzantine) - 1e-12
    assert out["value"] == u.ravel().tolist()
    _check_matches(out["equilibrium"], u, solve)


def _ce_gains(u, p, coarse):
    """Every incentive gain of ``p``: per player, recommendation and deviation (CE), or
    per player and fixed deviation (CCE)."""
    k = u.shape[0]
    gains = []
    for i in range(k):
        ui, pi = np.moveaxis(u[i], i, 0), np.moveaxis(p, i, 0)
        m = ui.shape[0]
        if coarse:
            base = float((pi * ui).sum())
            gains += [float((pi * ui[d][None]).sum()) - base for d in range(m)]
        else:
            for r, d in itertools.product(range(m), repeat=2):
                gains.append(float((pi[r] * (ui[d] - ui[r])).sum()))
    return np.array(gains)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["ce", "cce"]),
    st.lists(st.integers(1, 3), min_size=2, max_size=3),
    st.data(),
)
def test_recorded_equilibria_satisfy_the_incentive_constraints(solve, actions, data):
    size = len(actions) * math.prod(actions)
    entries = data.draw(st.lists(st.integers(-5, 5), min_size=size, max_size=size))
    u = np.array(entries, dtype=float).reshape(len(actions), *actions)
    s = _store()
    _ok(s, _game_op(u, solve, expect=1))
    _ok(s, _submit(0, entries))
    eq = _close(s)["equilibrium"]
    p = np.array(eq["distribution"])
    assert p.shape == tuple(actions)
    assert (p >= 0).all() and p.sum() == pytest.approx(1.0, abs=1e-8)
    assert _ce_gains(u, p, coarse=solve == "cce").max() <= 1e-7
    payoffs = [float((u[i] * p).sum()) for i in range(len(actions))]
    assert eq["expected_payoffs"] == pytest.approx(payoffs, abs=1e-7)
    _check_matches(eq, u, solve)


def test_a_full_topic_refuses_positions_and_still_closes():
    rng = np.random.default_rng(1)
    u = rng.normal(size=(2, 16, 16))  # full-precision payoffs, 512 entries
    s = _store()
    _ok(s, _game_op(u, "lemke_howson"))
    accepted = 0
    for i in range(len(AGENTS)):
        before = _state(s)
        r = s.execute(_submit(i, (u + i * rng.normal(size=u.shape) * 1e-3).ravel().tolist()))
        if "error" in r:
            assert "is full" in r["error"]
            assert _state(s) == before
            break
        accepted += 1
    assert 1 <= accepted < len(AGENTS)
    _wait(s, 200)
    out = _close(s)
    assert len(out["agents"]) == accepted
    _check_matches(out["equilibrium"], np.array(out["value"]).reshape(u.shape), "lemke_howson")


def test_a_committed_topic_keeps_room_for_every_pending_reveal():
    rng = np.random.default_rng(2)
    u = rng.normal(size=(2, 16, 16)) * 1e-7  # the longest floats: ~24 characters each
    s = _store()
    opened = _ok(s, _game_op(u, "ce", commit_ticks=50))
    pairs = [committed_position(k, "t", (u + i).ravel().tolist()) for i, k in enumerate(AGENTS)]
    committed = 0
    for commit, _ in pairs:
        r = s.execute(commit)
        if "error" in r:
            assert "is full" in r["error"]
            break
        committed += 1
    assert 1 <= committed < len(AGENTS)
    _wait(s, opened["commit_end"])
    for _, reveal in pairs[:committed]:
        _ok(s, reveal)
    out = _close(s)
    assert out["excluded"] == [] and len(out["agents"]) == committed


def _script():
    """One sequence of operations: plain, committed and game topics, with refusals."""
    ops = [{"op": "register", "agent": k.agent, "public_key": k.public} for k in KEYS.values()]
    ops.append(_game_op(GAME_3X3, "ce", "g", commit_ticks=20, expect=3))
    pairs = [
        committed_position(AGENTS[i], "g", (GAME_3X3 + i * (i == 2) * 50).ravel().tolist())
        for i in range(3)
    ]
    ops += [c for c, _ in pairs] + [r for _, r in pairs]
    ops.append({"op": "position_close", "topic": "g"})
    ops.append(_game_op(CHICKEN, "lemke_howson", "h", expect=2))
    for i in range(2):
        body = {"op": "position_submit", "topic": "h", "agent": f"a{i}"}
        ops.append(AGENTS[i].sign({**body, "position": CHICKEN.ravel().tolist()}))
    ops.append({"op": "position_close", "topic": "h"})
    ops.append(_open_op("p", aggregator="geometric_median", expect=3))
    for i, x in enumerate(X):
        body = {"op": "position_submit", "topic": "p", "agent": f"a{i}", "position": x}
        ops.append(AGENTS[i].sign(body))
    ops.append({"op": "position_close", "topic": "p"})
    ops.append({"op": "position_close", "topic": "p"})  # refused: closed
    return ops


def test_two_stores_give_byte_identical_ledgers():
    ops = _script()
    a, b = ServiceStore(), ServiceStore()
    results = [a.execute(op) for op in ops]
    assert [b.execute(op) for op in ops] == results
    assert sum("outcome" in r for r in results if isinstance(r, dict)) == 3
    assert a.ledger.to_bytes() == b.ledger.to_bytes()
    assert a.to_dict() == b.to_dict()


def _game(actions, solve="ce"):
    return {"actions": actions, "solve": solve}


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"dim": 7, "game": _game([2, 2])}, "dim must be players"),
        ({"dim": 24, "game": _game([2, 2, 2], "lemke_howson")}, "two-player"),
        ({"dim": 8, "game": _game([2, 2], "nash")}, "game.solve"),
        ({"dim": 8, "game": _game([2, -2])}, "int >= 1"),
        ({"dim": 8, "game": _game([2, 0])}, "int >= 1"),
        ({"dim": 8, "game": _game([2, True])}, "int >= 1"),
        ({"dim": 2, "game": _game([2])}, "2 to 16 players"),
        ({"dim": 8, "game": _game("2x2")}, "game.actions"),
        ({"dim": 8, "game": [[2, 2], "ce"]}, "game must be"),
        ({"dim": 8, "game": {"actions": [2, 2]}}, "game must be"),
        ({"dim": 8, "game": {**_game([2, 2]), "objective": "welfare"}}, "game must be"),
        ({"dim": 2 * 17 * 16, "game": _game([17, 16])}, "at most 512 payoff entries"),
        ({"dim": 100, "game": _game([10] * 15)}, "at most 512 payoff entries"),
        ({"dim": 2000}, "'dim'"),
        ({"commit_ticks": 0}, "'commit_ticks'"),
        ({"commit_ticks": 1.5}, "'commit_ticks'"),
    ],
)
def test_bad_open_is_refused_and_leaves_the_state(fields, match):
    s = _store()
    before = s.to_dict()
    r = s.execute(_open_op(**fields))
    assert match in r["error"]
    after = s.to_dict()
    assert after.pop("service/tick") == before.pop("service/tick") + 1
    assert after == before


def test_bad_game_positions_are_refused_and_leave_the_state():
    s = _store()
    _ok(s, _game_op(CHICKEN, "ce"))
    before = s.to_dict()
    for bad in ([1.0] * 7, [1.0] * 9, [*[1.0] * 7, 1e301], "payoffs", [True] * 8):
        r = s.execute(_submit(0, bad))
        assert "list of 8 finite numbers" in r["error"], r
    after = s.to_dict()
    assert after.pop("service/tick") == before.pop("service/tick") + 5
    assert after == before
