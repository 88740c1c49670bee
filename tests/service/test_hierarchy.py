"""Hierarchical agreement: group clusters' certified outcomes relayed up a tree of
service clusters, forged and equivocating group results, and bad requests."""

import numpy as np
import pytest

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.consensus import ProtocolConfig, Replica  # noqa: E402
from accord.consensus.aggregate import (  # noqa: E402
    breakdown_point,
    geometric_median,
    median,
    trimmed_mean,
)
from accord.service import bls  # noqa: E402
from accord.service.client import certificate_of, replica_keys, sim_cluster  # noqa: E402
from accord.service.hierarchy import outcome_digest, relay  # noqa: E402
from accord.service.machine import ServiceStore  # noqa: E402
from accord.service.signing import AgentKey  # noqa: E402

CFG = ProtocolConfig(n=4, checkpoint_interval=8, log_window=16, batch_size=8)
OWNER = AgentKey.generate("owner", b"h")
AGENTS = [AgentKey.generate(f"a{i}", b"h") for i in range(3)]
TRIM = 0.25
DIM = 2


def _agg(how, X, w=None):
    X = np.asarray(X, dtype=np.float64)
    if how == "trimmed_mean":
        return trimmed_mean(X, w, trim=TRIM)
    return (median if how == "median" else geometric_median)(X, w)


def _keys(name):
    return replica_keys(4, name.encode())


def _publics(keys):
    return [k.public for k in keys]


def _register_ops():
    return [{"op": "register", "agent": k.agent, "public_key": k.public} for k in (OWNER, *AGENTS)]


def _group_ops(groups):
    """Register each group's replica keys (``groups``: name -> BLS keys)."""
    return [
        OWNER.sign(
            {
                "op": "group_register",
                "group": g,
                "keys": [k.public.hex() for k in keys],
                "by": "owner",
            }
        )
        for g, keys in groups.items()
    ]


def _topic_op(topic, aggregator, groups, submit_ticks=1000, **extra):
    op = {
        "op": "group_topic_open",
        "topic": topic,
        "by": "owner",
        "aggregator": aggregator,
        "dim": DIM,
        "groups": list(groups),
        "submit_ticks": submit_ticks,
        **extra,
    }
    if aggregator == "trimmed_mean":
        op["trim"] = TRIM
    return OWNER.sign(op)


def _cluster_run(keys, ops, seed, replica_class=None):
    """Run ``ops`` in order on a simulated 4-replica service cluster; its records."""
    cl = sim_cluster(CFG, keys, seed=seed, replica_class=replica_class or {})
    cl.submit(cl.client_ids[0], ops)
    assert cl.run(cl.net.now + 600)
    records = list(cl.history)
    cl.close()
    for rec in records:
        assert "error" not in rec.result, (rec.op["op"], rec.result)
    return records


def _leaf(keys, aggregator, positions, seed, replica_class=None):
    """A group agreeing on topic ``t`` from its agents' signed positions: the close."""
    op = {
        "op": "position_open",
        "topic": "t",
        "by": "owner",
        "aggregator": aggregator,
        "dim": DIM,
        "submit_ticks": 1000,
        "expect": len(positions),
    }
    if aggregator == "trimmed_mean":
        op["trim"] = TRIM
    ops = [*_register_ops(), OWNER.sign(op)]
    for k, x in zip(AGENTS, positions, strict=False):
        sub = {"op": "position_submit", "topic": "t", "agent": k.agent, "position": list(x)}
        ops.append(k.sign(sub))
    ops.append({"op": "position_close", "topic": "t"})
    return _cluster_run(keys, ops, seed, replica_class)[-1]


def _parent(keys, topic, aggregator, children, submits, seed, **extra):
    """A parent cluster over ``children`` (name -> keys) taking ``submits``: the close."""
    ops = [
        *_register_ops(),
        *_group_ops(children),
        _topic_op(topic, aggregator, children, **extra),
        *submits,
        {"op": "group_close", "topic": topic},
    ]
    return _cluster_run(keys, ops, seed)


class _Cheat(ServiceStore):
    """Replies with a different aggregate."""

    __slots__ = ()

    def execute(self, op):
        result = super().execute(op)
        if isinstance(result, dict) and "outcome" in result:
            out = result["outcome"]
            result = {**result, "outcome": {**out, "value": [v + 1.0 for v in out["value"]]}}
        return result


class _CheatingPrimary(Replica):
    def __init__(self, *args, **kwargs):
        kwargs["machine"] = _Cheat
        super().__init__(*args, **kwargs)


@pytest.mark.parametrize("aggregator", ["trimmed_mean", "median", "geometric_median"])
def test_a_three_level_tree_matches_the_aggregate_level_by_level(aggregator):
    rng = np.random.default_rng(11)
    P = rng.normal(size=(9, 3, DIM)).round(3)
    P[::4, 2] += 50.0  # an outlying agent in some groups
    leaf_keys = {f"L{j}": _keys(f"L{j}") for j in range(9)}
    mid_keys = {f"M{i}": _keys(f"M{i}") for i in range(3)}
    root_keys = _keys("root")
    weights = {0: {"L0": 1.0, "L1": 2.0, "L2": 1.0}}  # trust weights in one mid group

    leaves = {}
    for j, (g, keys) in enumerate(leaf_keys.items()):
        byz = {0: _CheatingPrimary} if j == 0 else None  # outvoted, its share left out
        leaves[g] = _leaf(keys, aggregator, P[j], seed=j, replica_class=byz)
        assert leaves[g].result["outcome"]["value"] == pytest.approx(_agg(aggregator, P[j]))
    assert 0 not in leaves["L0"].endorsements

    mids = {}
    for i, (m, keys) in enumerate(mid_keys.items()):
        children = {f"L{j}": leaf_keys[f"L{j}"] for j in range(3 * i, 3 * i + 3)}
        submits = [
            relay(leaves[g].result, leaves[g].endorsements, _publics(k), "mid", g)
            for g, k in reversed(children.items())  # relay order does not matter
        ]
        extra = {"weights": weights[i]} if i in weights else {}
        mids[m] = _parent(keys, "mid", aggregator, children, submits, seed=20 + i, **extra)[-1]
        out = mids[m].result["outcome"]
        assert out["groups"] == list(children) and out["excluded"] == []
        assert [s["digest"] for s in out["sources"]] == [
            outcome_digest(leaves[g].result["outcome"]) for g in children
        ]

    submits = [
        relay(mids[m].result, mids[m].endorsements, _publics(mid_keys[m]), "root", m)
        for m in mid_keys
    ]
    root = _parent(root_keys, "root", aggregator, mid_keys, submits, seed=30)[-1]
    out = root.result["outcome"]
    cert = certificate_of(root.result, root.endorsements, _publics(root_keys))
    assert bls.verify_certificate(out, cert, _publics(root_keys))

    leaf_values = [_agg(aggregator, P[j]) for j in range(9)]
    mid_values = []
    for i in range(3):
        w = None if i not in weights else np.asarray(list(weights[i].values()))
        mid_values.append(_agg(aggregator, leaf_values[3 * i : 3 * i + 3], w))
    np.testing.assert_allclose(out["value"], _agg(aggregator, mid_values), atol=1e-6)
    kw = {"trim": TRIM} if aggregator == "trimmed_mean" else {}
    assert out["breakdown_point"] == pytest.approx(breakdown_point(aggregator, 3, **kw))
    assert out["kind"] == "position" and out["id"] == "root" and out["groups"] == list(mid_keys)


# ----------------------------------------------------------------------------- one store


GA, GB = _keys("A"), _keys("B")


def _outcome(value, oid="t", kind="position"):
    return {"kind": kind, "id": oid, "aggregator": "median", "value": value, "closed_at": 7}


def _cert(keys, outcome, signers=(0, 1, 2)):
    message = bls.certificate_message(outcome)
    return bls.certify({r: keys[r].sign(message) for r in signers})


def _submit(topic, group, outcome, cert):
    return {
        "op": "group_submit",
        "topic": topic,
        "group": group,
        "outcome": outcome,
        "certificate": cert.to_json() if isinstance(cert, bls.QuorumCertificate) else cert,
    }


def _ok(s, op):
    r = s.execute(op)
    assert "error" not in r, r
    return r


def _store(groups=None, topics=(("p", ("A", "B")),), aggregator="median", **extra):
    s = ServiceStore()
    for op in (*_register_ops(), *_group_ops(groups or {"A": GA, "B": GB})):
        _ok(s, op)
    for topic, members in topics:
        _ok(s, _topic_op(topic, aggregator, members, **extra))
    return s


def _unchanged(s, bad, match):
    before = s.to_dict()
    r = s.execute(bad)
    assert match in r.get("error", ""), r
    after = s.to_dict()
    assert after.pop("service/tick") == before.pop("service/tick") + 1
    assert after == before


def test_a_forged_group_result_is_refused():
    s = _store()
    genuine = _outcome([1.0, 2.0])
    cert = _cert(GA, genuine)
    # a relayer (or the group's Byzantine primary) changes the value
    _unchanged(s, _submit("p", "A", _outcome([1.0, 9.0]), cert), "does not verify")
    # the primary's own signature of its altered outcome plus the others' of the real one
    forged = bls.certify(
        {
            0: GA[0].sign(bls.certificate_message(_outcome([1.0, 9.0]))),
            1: GA[1].sign(bls.certificate_message(genuine)),
            2: GA[2].sign(bls.certificate_message(genuine)),
        }
    )
    _unchanged(s, _submit("p", "A", _outcome([1.0, 9.0]), forged), "does not verify")
    _unchanged(s, _submit("p", "A", genuine, forged), "does not verify")
    # another group's certificate
    _unchanged(s, _submit("p", "A", genuine, _cert(GB, genuine)), "does not verify")
    # fewer than a quorum (3 of 4), or a signer counted twice
    _unchanged(s, _submit("p", "A", genuine, _cert(GA, genuine, (0, 1))), "needs a quorum of 3")
    twice = {**cert.to_json(), "signers": [0, 0, 1]}
    _unchanged(s, _submit("p", "A", genuine, twice), "needs a quorum of 3")
    _unchanged(s, _submit("p", "A", genuine, {"signers": "x"}), "a certificate is")
    _unchanged(
        s, _submit("p", "A", genuine, {**cert.to_json(), "signers": [0, 1, 9]}), "not verify"
    )
    r = _ok(s, _submit("p", "A", genuine, cert))
    assert r["digest"] == outcome_digest(genuine)
    assert _ok(s, _submit("p", "B", genuine, _cert(GB, genuine, (1, 2, 3))))["group"] == "B"


def test_relay_needs_a_quorum_of_valid_endorsements():
    out = _outcome([0.0, 0.0])
    result = {"outcome": out, "ledger": {"index": 0, "hash": "00"}}
    message = bls.certificate_message(out)
    ends = {r: GA[r].sign(message).hex() for r in range(4)}
    ends[3] = GA[3].sign(b"something else").hex()
    op = relay(result, ends, _publics(GA), "p", "A")
    assert op["certificate"]["signers"] == [0, 1, 2]
    with pytest.raises(ValueError, match="certificate needs 3"):
        relay(result, {r: ends[r] for r in (0, 3)}, _publics(GA), "p", "A")
    with pytest.raises(ValueError, match="no outcome"):
        relay({"error": "x"}, ends, _publics(GA), "p", "A")
    s = _store()
    _ok(s, op)


def test_an_equivocating_group_is_excluded_with_evidence():
    """Group C signs two outcomes for the same topic with a quorum of its keys (more than
    f faulty replicas): it is dropped from every open topic, and the aggregates are
    those of the honest groups."""
    honest = {g: _keys(g) for g in ("H0", "H1", "H2")}
    GC = _keys("C")
    groups = {**honest, "C": GC}
    s = _store(groups, topics=(("p1", list(groups)), ("p2", ["H0", "C", "H1"]), ("p3", ["C"])))
    values = {"H0": [0.0, 1.0], "H1": [2.0, 3.0], "H2": [4.0, 2.0]}
    lie, other = _outcome([100.0, -100.0]), _outcome([-100.0, 100.0])
    _ok(s, _submit("p1", "C", lie, _cert(GC, lie)))
    _ok(s, _submit("p2", "C", lie, _cert(GC, lie, (1, 2, 3))))  # the same outcome again
    _ok(s, _submit("p3", "C", lie, _cert(GC, lie)))
    # p3 closes (all its groups submitted) before the equivocation is known: it stands
    assert _ok(s, {"op": "group_close", "topic": "p3"})["outcome"]["value"] == lie["value"]
    for g, v in values.items():
        out = _outcome(v)
        for topic in ("p1", "p2"):
            if g in s.to_dict()[f"service/group_topic/{topic}"]["groups"]:
                _ok(s, _submit(topic, g, out, _cert(honest[g], out)))
    r = _ok(s, _submit("p1", "C", other, _cert(GC, other, (0, 2, 3))))
    evidence = r["excluded"]
    assert evidence["group"] == "C" and (evidence["kind"], evidence["id"]) == ("position", "t")
    assert evidence["digests"] == [outcome_digest(lie), outcome_digest(other)]
    assert s.to_dict()["service/group_excluded/C"] == evidence
    assert s.ledger[-1].record["equivocation"]["digests"] == evidence["digests"]
    _unchanged(s, _submit("p1", "C", lie, _cert(GC, lie)), "is excluded")
    for topic, members in (("p1", ["H0", "H1", "H2"]), ("p2", ["H0", "H1"])):
        out = _ok(s, {"op": "group_close", "topic": topic})["outcome"]
        assert out["groups"] == members and out["excluded"] == [evidence]
        expect = median(np.asarray([values[g] for g in members]))
        np.testing.assert_allclose(out["value"], expect, atol=1e-9)
        assert out["breakdown_point"] == pytest.approx(breakdown_point("median", len(members)))


@pytest.mark.parametrize("aggregator", ["trimmed_mean", "median", "geometric_median"])
def test_weighted_group_aggregate_matches_the_direct_computation(aggregator):
    rng = np.random.default_rng(5)
    names = [f"G{i}" for i in range(5)]
    groups = {g: _keys(g) for g in names}
    weights = {g: float(w) for g, w in zip(names, [1, 2, 1, 3, 1], strict=True)}
    s = _store(groups, topics=(("p", names),), aggregator=aggregator, weights=weights)
    X = rng.normal(size=(5, DIM)).round(3)
    for g, x in zip(reversed(names), X[::-1], strict=True):
        out = _outcome([float(v) for v in x], oid=f"t-{g}")
        _ok(s, _submit("p", g, out, _cert(groups[g], out)))
    out = _ok(s, {"op": "group_close", "topic": "p"})["outcome"]
    w = np.asarray([weights[g] for g in names])
    np.testing.assert_allclose(out["value"], _agg(aggregator, X, w), atol=1e-8)
    assert out["weights"] == list(w) and out["groups"] == names


def test_bad_requests_leave_the_state_unchanged():
    s = _store(topics=(("p", ("A",)),))
    a = _outcome([1.0, 2.0])
    _ok(s, _group_ops({"C": _keys("C")})[0])
    _unchanged(s, _topic_op("q", "median", ["A", "nobody"]), "'nobody' is not registered")
    _unchanged(s, _topic_op("p", "median", ["A"]), "exists")
    _unchanged(s, _topic_op("q", "median", ["A", "A"]), "distinct")
    _unchanged(s, _topic_op("q", "mean", ["A"]), "aggregator must be one of")
    _unchanged(s, _topic_op("q", "median", ["A", "B"], weights={"A": 1.0}), "every group")
    _unchanged(s, _submit("p", "nobody", a, _cert(GA, a)), "not a group of 'p'")
    _unchanged(s, _submit("p", "B", a, _cert(GB, a)), "not a group of 'p'")
    _unchanged(s, _submit("zz", "A", a, _cert(GA, a)), "no group topic 'zz'")
    wide = _outcome([1.0, 2.0, 3.0])
    _unchanged(s, _submit("p", "A", wide, _cert(GA, wide)), "list of 2 finite numbers")
    auction = _outcome([1.0, 2.0], kind="auction")
    _unchanged(s, _submit("p", "A", auction, _cert(GA, auction)), "position outcome")
    _unchanged(s, {"op": "group_close", "topic": "p"}, "accepts group outcomes until")
    _unchanged(s, {"op": "group_close", "topic": "p"}, "waiting for A")
    # registration: once, with valid, distinct keys, signed by a registered agent
    rebind = _group_ops({"A": GB})[0]
    _unchanged(s, rebind, "registered with other keys")
    bad_key = OWNER.sign({"op": "group_register", "group": "D", "keys": ["00" * 48], "by": "owner"})
    _unchanged(s, bad_key, "keys[0]")
    dup = [GA[0].public.hex()] * 2
    _unchanged(s, OWNER.sign({**bad_key, "keys": dup}), "distinct")
    _unchanged(s, {**_group_ops({"D": GA})[0], "group": "E"}, "signature is not 'owner'")
    assert _ok(s, _group_ops({"A": GA})[0])["quorum"] == 3  # the same keys again: a no-op
    _ok(s, _submit("p", "A", a, _cert(GA, a)))
    _unchanged(s, _submit("p", "A", a, _cert(GA, a)), "already submitted")
    other = _outcome([1.0, 2.0], oid="u")
    _unchanged(s, _submit("p", "A", other, _cert(GA, other)), "already submitted")
    _ok(s, {"op": "group_close", "topic": "p"})
    _unchanged(s, {"op": "group_close", "topic": "p"}, "is closed")


def test_close_after_the_phase_with_a_silent_group():
    s = _store(submit_ticks=3)
    a = _outcome([1.0, 2.0])
    _ok(s, _submit("p", "A", a, _cert(GA, a)))
    _unchanged(s, {"op": "group_close", "topic": "p"}, "waiting for B")
    s.execute({"op": "noop"})
    b = _outcome([3.0, 4.0])
    _unchanged(s, _submit("p", "B", b, _cert(GB, b)), "have ended")
    out = _ok(s, {"op": "group_close", "topic": "p"})["outcome"]
    assert out["groups"] == ["A"] and out["missing"] == ["B"] and out["value"] == [1.0, 2.0]


def test_agents_and_groups_topics_share_one_name_space():
    """A group topic and an agents' topic of the same name would both close to the
    outcome service/outcome/position/<name>: whichever is opened second is refused."""
    s = _store(topics=(("p", ("A",)),))

    def plain(topic):
        op = {"op": "position_open", "topic": topic, "by": "owner", "aggregator": "median"}
        return OWNER.sign({**op, "dim": DIM, "submit_ticks": 10})

    _unchanged(s, plain("p"), "topic 'p' exists")
    _ok(s, plain("q"))
    _unchanged(s, _topic_op("q", "median", ["A"]), "topic 'q' exists")
    _unchanged(s, _topic_op("r", "median", ["A"], weights={"A": -1.0}), "finite number >= 0")
