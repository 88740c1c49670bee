"""Tests of the linearizability checker in linearizability.py (itself a test oracle)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linearizability import LEDGER, Op, check, is_linearizable

# ----------------------------------------------------------------------------- references


class SeqStore:
    """A plain sequential key-value store with a ledger: the specification, written afresh."""

    def __init__(self) -> None:
        self.kv: dict = {}
        self.ledger: list = []

    def clone(self) -> SeqStore:
        other = SeqStore()
        other.kv = dict(self.kv)
        other.ledger = list(self.ledger)
        return other

    def _hash(self) -> str:
        return hashlib.sha256(json.dumps(self.ledger).encode()).hexdigest()

    def apply(self, spec: dict) -> object:
        kind = spec["op"]
        if kind == "noop":
            return None
        if kind == "append":
            self.ledger.append(spec.get("record"))
            return {"index": len(self.ledger) - 1, "hash": self._hash()}
        if kind == "ledger_head":
            return {"length": len(self.ledger), "hash": self._hash()}
        k = spec["key"]
        cur = self.kv.get(k)
        if kind == "get":
            return cur
        if kind == "set":
            self.kv[k] = spec["value"]
            return cur
        if kind == "increment":
            base = 0 if cur is None else cur
            amount = spec.get("amount", 1)
            if not (isinstance(base, int) and isinstance(amount, int)):
                return {"error": "not a number"}
            self.kv[k] = base + amount
            return base + amount
        if kind == "compare_and_set":
            if cur == spec["expected"]:
                self.kv[k] = spec["new"]
                return {"swapped": True, "value": spec["new"]}
            return {"swapped": False, "value": cur}
        raise AssertionError(kind)


def is_error(r: object) -> bool:
    return isinstance(r, dict) and "error" in r


def matches(spec: dict, seen: object, model: object) -> bool:
    kind = spec["op"]
    if kind == "noop":
        return True
    if is_error(seen) or is_error(model):
        return is_error(seen) and is_error(model)
    if kind == "append":
        return isinstance(seen, dict) and seen.get("index") == model["index"]
    if kind == "ledger_head":
        return isinstance(seen, dict) and seen.get("length") == model["length"]
    return seen == model


def brute_force(history: list[Op]) -> bool:
    """Some subset of the pending ops, with all completed ops, in some order consistent with
    real time, replays on SeqStore with every completed op's response?  No memo, no
    partitioning: only for a handful of ops."""
    done = [o for o in history if o.complete is not None]
    pending = [o for o in history if o.complete is None]

    def before(a: Op, b: Op) -> bool:
        return a.complete is not None and a.complete < b.invoke

    def extend(store: SeqStore, left: list[Op]) -> bool:
        if not left:
            return True
        for o in left:
            if any(before(p, o) for p in left if p is not o):
                continue
            nxt = store.clone()
            out = nxt.apply(o.op)
            if o.complete is not None and not matches(o.op, o.result, out):
                continue
            if extend(nxt, [p for p in left if p is not o]):
                return True
        return False

    return any(
        extend(SeqStore(), done + list(chosen))
        for r in range(len(pending) + 1)
        for chosen in itertools.combinations(pending, r)
    )


# ----------------------------------------------------------------------------- helpers


def pend(o: Op) -> Op:
    return dataclasses.replace(o, complete=None, result=None)


def op(client, invoke, complete, result=None, **spec) -> Op:
    return Op(client, invoke, complete, spec, result)


def s(c, a, b, key, value, result=None) -> Op:
    return op(c, a, b, result, op="set", key=key, value=value)


def g(c, a, b, key, result) -> Op:
    return op(c, a, b, result, op="get", key=key)


def inc(c, a, b, key, result, amount=1) -> Op:
    return op(c, a, b, result, op="increment", key=key, amount=amount)


def cas(c, a, b, key, expected, new, swapped, value) -> Op:
    res = {"swapped": swapped, "value": value}
    return op(c, a, b, res, op="compare_and_set", key=key, expected=expected, new=new)


def append(c, a, b, index) -> Op:
    res = None if index is None else {"index": index, "hash": "ab" * 32}
    return op(c, a, b, res, op="append", record={"by": c})


def head(c, a, b, length) -> Op:
    return op(c, a, b, {"length": length, "hash": "cd" * 32}, op="ledger_head")


def assert_verdict(history: list[Op], ok: bool) -> None:
    res = check(history)
    assert res.ok is ok, str(res)
    assert bool(res) is ok
    assert brute_force(history) is ok
    if not ok:
        assert res.key in res.failed_keys
        assert res.ops and res.explanation
        assert not check(list(res.ops)).ok
        assert not brute_force(list(res.ops))


# ----------------------------------------------------------------------------- hand-written


def test_empty_and_trivial():
    assert check([]).ok
    assert check([op(0, 0, 1, "whatever", op="noop")]).ok
    assert is_linearizable([s(0, 0, 1, "x", 1), g(1, 2, 3, "x", 1)])


def test_stale_read_after_completed_write():
    w1, w2 = s(0, 0, 1, "x", 1, None), s(0, 2, 3, "x", 2, 1)
    stale = g(1, 4, 5, "x", 1)
    assert_verdict([w1, w2, stale], False)
    res = check([w1, w2, stale])
    assert res.key == "x" and res.culprit is stale
    assert res.context == (w1, w2, stale)
    assert "key 'x'" in res.explanation
    # The same read overlapping the second write may precede it.
    assert_verdict([w1, w2, g(1, 2.5, 5, "x", 1)], True)
    # Read of the initial (absent) value after a completed write.
    assert_verdict([w1, g(1, 1.5, 2, "x", None)], False)


@pytest.mark.parametrize("pending_writes", [False, True])
def test_concurrent_writes_seen_in_inconsistent_orders(pending_writes):
    end = None if pending_writes else 10
    w1, w2 = s(0, 0, end, "x", 1, None), s(1, 0, end, "x", 2, 1)
    a = [g(2, 1, 2, "x", 1), g(2, 3, 4, "x", 2)]
    b_same = [g(3, 1, 2, "x", 1), g(3, 3, 4, "x", 2)]
    b_other = [g(3, 1, 2, "x", 2), g(3, 3, 4, "x", 1)]
    assert_verdict([w1, w2, *a, *b_same], True)
    assert_verdict([w1, w2, *a, *b_other], False)


def test_lost_increment():
    assert_verdict([inc(0, 0, 2, "n", 1), inc(1, 1, 3, "n", 2)], True)
    assert_verdict([inc(0, 0, 2, "n", 1), inc(1, 1, 3, "n", 1)], False)
    assert_verdict([inc(0, 0, 1, "n", 1), inc(1, 2, 3, "n", 1)], False)
    assert_verdict([inc(0, 0, 1, "n", 5, amount=5), inc(1, 2, 3, "n", 3, amount=-2)], True)


def test_cas_succeeds_twice_on_the_same_expected_value():
    init = s(0, 0, 1, "x", 0)
    one = cas(1, 2, 4, "x", 0, 1, True, 1)
    assert_verdict([init, one, cas(2, 2, 4, "x", 0, 2, True, 2)], False)
    assert_verdict([init, one, cas(2, 2, 4, "x", 0, 2, False, 1)], True)
    assert_verdict([init, one, cas(2, 2, 4, "x", 0, 2, False, 0)], False)
    # expected None means "absent"
    first = cas(1, 0, 2, "y", None, 1, True, 1)
    assert_verdict([first, cas(2, 0, 2, "y", None, 2, True, 2)], False)
    assert_verdict([first, cas(2, 0, 2, "y", None, 2, False, 1)], True)


def test_pending_write_whose_effect_is_observed():
    w = s(0, 0, None, "x", 1)
    assert_verdict([w, g(1, 5, 6, "x", 1)], True)
    assert_verdict([w, g(1, 5, 6, "x", None), g(1, 7, 8, "x", 1)], True)
    # Observed before it was invoked.
    assert_verdict([s(0, 2, None, "x", 1), g(1, 0, 1, "x", 1)], False)
    # Took effect once: it cannot be seen, then unseen, with no other writer.
    assert_verdict([w, g(1, 1, 2, "x", 1), g(1, 3, 4, "x", None)], False)
    # A pending increment observed through a later one.
    assert_verdict([inc(0, 0, None, "n", None), inc(1, 5, 6, "n", 2)], True)
    assert_verdict([inc(0, 0, None, "n", None), inc(1, 5, 6, "n", 3)], False)


def test_pending_write_never_observed():
    w = s(0, 0, None, "x", 1)
    assert_verdict([w, g(1, 5, 6, "x", None), g(1, 7, 8, "x", None)], True)
    assert_verdict([s(2, 0, 1, "x", 0), w, s(1, 5, 6, "x", 2, 0), g(1, 7, 8, "x", 2)], True)
    # Its result is not checked.
    assert_verdict([s(0, 0, None, "x", 1, result="garbage")], True)


def test_errors_must_be_produced_by_the_model():
    text = s(0, 0, 1, "x", "a")
    err = inc(1, 2, 3, "x", {"error": "not a number"})
    assert_verdict([text, err, g(1, 4, 5, "x", "a")], True)
    assert_verdict([text, inc(1, 2, 3, "x", 1)], False)
    assert_verdict([s(0, 0, 1, "x", 1), inc(1, 2, 3, "x", {"error": "boom"})], False)
    # The error puts the text before it; a concurrent read may still see the key absent.
    assert_verdict([s(0, 0, 4, "x", "a"), err, g(2, 0, 5, "x", None)], True)
    assert not check([s(0, 0, 1, "x", 1, {"error": "not leader"})]).ok


def test_ledger():
    seq = [append(0, 0, 1, 0), append(1, 2, 3, 1), head(2, 4, 5, 2), append(0, 6, 7, 2)]
    assert_verdict(seq, True)
    assert_verdict([append(0, 0, 2, 0), append(1, 1, 3, 0)], False)
    assert_verdict([append(0, 0, 2, 1), append(1, 1, 3, 0), head(2, 1, 2, 1)], True)
    assert_verdict([append(0, 0, 1, 0), head(1, 2, 3, 0)], False)
    # A pending append seen through the ledger's length, or not at all.
    assert_verdict([append(0, 0, None, None), head(1, 1, 2, 0), head(1, 3, 4, 1)], True)
    assert_verdict([append(0, 0, None, None), head(1, 1, 2, 1), head(1, 3, 4, 0)], False)
    res = check([append(0, 0, 2, 0), append(1, 1, 3, 0), s(0, 0, 1, "x", 1)])
    assert res.key is LEDGER and res.failed_keys == (LEDGER,)
    assert "ledger" in res.explanation


def test_partitions_are_independent():
    bad_x = [s(0, 0, 1, "x", 1), g(1, 2, 3, "x", None)]
    bad_y = [s(0, 0, 1, "y", 1), g(1, 2, 3, "y", 2)]
    good_z = [s(0, 0, 1, "z", 1), g(1, 2, 3, "z", 1)]
    res = check(good_z + bad_y + bad_x)
    assert not res.ok and res.key == "y" and res.failed_keys == ("y", "x")
    assert all(o.op["key"] == "y" for o in res.ops)
    assert check(good_z + [op(3, 0, 9, None, op="noop")]).ok


def test_initial_values_and_canonical_equality():
    assert check([g(0, 0, 1, "x", 7)], initial={"x": 7}).ok
    assert not check([g(0, 0, 1, "x", 7)]).ok
    assert check([s(0, 0, 1, "x", [1, {"b": 2, "a": 1}]), g(1, 2, 3, "x", (1, {"a": 1, "b": 2}))])
    assert check([s(0, 0, 1, "x", 2.0), inc(1, 2, 3, "x", 3)])
    assert check([s(0, 0, 1, "x", None), g(1, 2, 3, "x", None)])


def test_culprit_and_minimal_subset():
    hist = [s(0, 0, 1, "x", 1), s(1, 0, 1, "x", 2, 1)]
    hist += [g(k % 3, 2 + k, 3 + k, "x", 2) for k in range(10)]
    bad = g(2, 20, 21, "x", 1)
    res = check(hist + [bad, g(0, 22, 23, "x", 2)])
    assert not res.ok and res.culprit is bad
    assert len(res.ops) <= 3
    assert not check(list(res.ops)).ok


def test_invalid_histories_are_rejected():
    with pytest.raises(ValueError, match="before it is invoked"):
        check([s(0, 2, 1, "x", 1)])
    with pytest.raises(ValueError, match="unknown operation"):
        check([op(0, 0, 1, None, op="delete", key="x")])
    with pytest.raises(ValueError, match="without a key"):
        check([op(0, 0, 1, None, op="get")])


# ----------------------------------------------------------------------------- random

VALUES = [0, 1, 2, "a"]


@st.composite
def specs(draw, keys):
    kind = draw(
        st.sampled_from(
            ["set", "get", "increment", "compare_and_set", "append", "ledger_head", "noop"]
        )
    )
    key = draw(st.sampled_from(keys))
    if kind == "set":
        return {"op": "set", "key": key, "value": draw(st.sampled_from(VALUES))}
    if kind == "get":
        return {"op": "get", "key": key}
    if kind == "increment":
        return {"op": "increment", "key": key, "amount": draw(st.sampled_from([1, 2, -1]))}
    if kind == "compare_and_set":
        expected = draw(st.sampled_from([None, *VALUES]))
        return {"op": kind, "key": key, "expected": expected, "new": draw(st.sampled_from(VALUES))}
    if kind == "append":
        return {"op": "append", "record": draw(st.integers(0, 9))}
    return {"op": kind}


def random_result(draw, spec):
    kind = spec["op"]
    if kind in ("set", "get"):
        return draw(st.sampled_from([None, *VALUES]))
    if kind == "increment":
        return draw(st.sampled_from([-1, 0, 1, 2, 3, {"error": "not a number"}]))
    if kind == "compare_and_set":
        return {"swapped": draw(st.booleans()), "value": draw(st.sampled_from([None, *VALUES]))}
    if kind == "append":
        return {"index": draw(st.integers(0, 3)), "hash": "00"}
    if kind == "ledger_head":
        return {"length": draw(st.integers(0, 3)), "hash": "00"}
    return None


@st.composite
def histories(draw, results):
    """Up to 7 ops on 1-2 keys and the ledger with random intervals (some pending).

    results="executed": responses of one sequential execution at random linearization points
    inside the intervals (pending ops take effect, or not, at a random point after invoke);
    "random": random responses; "perturbed": executed, then one response replaced.
    """
    n = draw(st.integers(1, 7))
    keys = draw(st.sampled_from([["x"], ["x", "y"]]))
    ops = []
    for c in range(n):
        invoke = draw(st.integers(0, 12))
        pending = draw(st.integers(0, 5)) == 0
        complete = None if pending else invoke + draw(st.integers(0, 6))
        ops.append(Op(c, invoke, complete, draw(specs(keys)), None))
    if results == "random":
        for o in ops:
            if o.complete is not None:
                o.result = random_result(draw, o.op)
        return ops
    points = []
    for k, o in enumerate(ops):
        if o.complete is None:
            if draw(st.booleans()):
                points.append((draw(st.integers(o.invoke, 20)), draw(st.integers()), k))
        else:
            points.append((draw(st.integers(o.invoke, o.complete)), draw(st.integers()), k))
    store = SeqStore()
    for _, _, k in sorted(points):
        out = store.apply(ops[k].op)
        if ops[k].complete is not None:
            ops[k].result = out
    if results == "perturbed":
        done = [o for o in ops if o.complete is not None]
        if done:
            o = draw(st.sampled_from(done))
            o.result = random_result(draw, o.op)
    return ops


@settings(max_examples=300, deadline=None)
@given(histories("executed"))
def test_executed_histories_are_linearizable(history):
    assert check(history).ok
    assert brute_force(history)


@settings(max_examples=400, deadline=None)
@given(st.one_of(histories("random"), histories("perturbed")))
def test_agrees_with_brute_force(history):
    res = check(history)
    assert res.ok is brute_force(history), str(res)
    if not res.ok:
        assert res.key in res.failed_keys
        assert res.culprit is not None
        sub = list(res.ops)
        assert not check(sub).ok
        assert not brute_force(sub)
        # 1-minimal once the ops in flight at the culprit's response are made pending.
        t = res.culprit.complete
        cut = [o if o.complete is not None and o.complete <= t else pend(o) for o in sub]
        assert not brute_force(cut)
        for k in range(len(cut)):
            assert brute_force(cut[:k] + cut[k + 1 :])


# ----------------------------------------------------------------------------- larger


def simulate(rng: random.Random, n_seq: int, n_conc: int, clients: int = 8) -> list[Op]:
    """n_seq strictly sequential ops, then n_conc ops from ``clients`` concurrent clients
    (about 1 in 25 never returns), responses from executing them at random points."""
    keys = ["a", "b", "c"]

    def spec() -> dict:
        r = rng.random()
        key = rng.choice(keys)
        if r < 0.25:
            return {"op": "set", "key": key, "value": rng.randrange(5)}
        if r < 0.5:
            return {"op": "get", "key": key}
        if r < 0.65:
            return {"op": "increment", "key": key, "amount": rng.choice([1, 2])}
        if r < 0.8:
            e, v = rng.choice([None, 0, 1, 2, 3]), rng.randrange(5)
            return {"op": "compare_and_set", "key": key, "expected": e, "new": v}
        if r < 0.9:
            return {"op": "append", "record": rng.randrange(100)}
        if r < 0.97:
            return {"op": "ledger_head"}
        return {"op": "noop"}

    ops, points = [], []
    t = 0.0
    for _ in range(n_seq):
        ops.append(Op(0, t, t + 0.5, spec(), None))
        points.append((t + 0.25, len(ops) - 1))
        t += 1.0
    free = [t + rng.random() for _ in range(clients)]
    for _ in range(n_conc):
        c = min(range(clients), key=free.__getitem__)
        invoke = free[c] + rng.random() * 0.5
        duration = rng.random() * 3
        if rng.random() < 0.04:
            ops.append(Op(c, invoke, None, spec(), None))
            if rng.random() < 0.5:
                points.append((invoke + rng.random() * 10, len(ops) - 1))
            free[c] = invoke + 5
        else:
            ops.append(Op(c, invoke, invoke + duration, spec(), None))
            points.append((invoke + rng.random() * duration, len(ops) - 1))
            free[c] = invoke + duration
    store = SeqStore()
    for _, k in sorted(points):
        out = store.apply(ops[k].op)
        if ops[k].complete is not None:
            ops[k].result = out
    return ops


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_executed_history(seed):
    rng = random.Random(seed)
    history = simulate(rng, n_seq=200, n_conc=700)
    assert check(history).ok
    # One impossible read in the concurrent part is found and blamed.
    reads = [o for o in history[400:] if o.op["op"] == "get" and o.complete is not None]
    bad = rng.choice(reads)
    bad.result = "never written"
    res = check(history)
    assert not res.ok and res.key == bad.op["key"] and res.failed_keys == (res.key,)
    assert res.culprit is bad
    assert not check(list(res.ops)).ok
