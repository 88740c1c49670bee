"""The service's state machine, operation by operation: mechanisms against direct
computation, phases, deposits, signatures, Byzantine bidders and bad requests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.auctions import first_price, second_price, vcg_multi_unit  # noqa: E402
from accord.consensus import KVStore  # noqa: E402
from accord.consensus.aggregate import (  # noqa: E402
    breakdown_point,
    geometric_median,
    median,
    trimmed_mean,
)
from accord.coop import TUGame, core_violation, nucleolus, shapley  # noqa: E402
from accord.service import bls  # noqa: E402
from accord.service.client import certificate_of, replica_keys, sealed_bid  # noqa: E402
from accord.service.machine import (  # noqa: E402
    ServiceStore,
    endorser,
    service_machine,
    validate_service_op,
)
from accord.service.signing import AgentKey  # noqa: E402

SELLER = AgentKey.generate("seller", b"t")
BIDDERS = [AgentKey.generate(f"b{i}", b"t") for i in range(6)]


def _store(machine=ServiceStore, funds=10.0):
    s = machine()
    for k in (SELLER, *BIDDERS):
        assert "error" not in s.execute(
            {"op": "register", "agent": k.agent, "public_key": k.public}
        )
        assert "error" not in s.execute({"op": "fund", "agent": k.agent, "amount": funds})
    return s


def _open(s, auction="a", **kw):
    op = {
        "op": "auction_open",
        "auction": auction,
        "seller": "seller",
        "mechanism": "second_price",
        "commit_ticks": 1000,
        "reveal_ticks": 1000,
        **kw,
    }
    r = s.execute(SELLER.sign(op))
    assert "error" not in r, r
    return r


def _get(s, key):
    return s.execute({"op": "get", "key": key})


def _run(s, auction, bids, scheme="hash", bits=32, reveal=None):
    sbs = [sealed_bid(k, auction, b, scheme, bits) for k, b in zip(BIDDERS, bids, strict=False)]
    for sb in sbs:
        assert "error" not in s.execute(sb.commit)
    for i, sb in enumerate(sbs):
        if reveal is None or i in reveal:
            assert "error" not in s.execute(sb.reveal)
    return sbs


@pytest.mark.parametrize("mechanism", ["first_price", "second_price"])
@pytest.mark.parametrize("reverse", [False, True])
def test_auction_outcome_matches_the_direct_auction(mechanism, reverse):
    bids = [12.5, 40.0, 33.0, 40.0, 7.0]
    s = _store()
    _open(s, mechanism=mechanism, reverse=reverse, reserve=35.0 if reverse else None, bidders=5)
    _run(s, "a", bids)
    out = s.execute({"op": "auction_close", "auction": "a"})["outcome"]
    run = first_price if mechanism == "first_price" else second_price
    ref = run(np.array(bids), reverse=reverse, reserve=35.0 if reverse else None)
    assert out["winner"] == f"b{ref.winner}"
    assert out["price"] == pytest.approx(ref.price)
    assert out["bids"] == {f"b{i}": b for i, b in enumerate(bids)}


def test_vcg_outcome_matches_vcg_multi_unit():
    bids = [[10.0, 4.0], [8.0, 7.0], [9.0, 1.0]]
    s = _store()
    _open(s, mechanism="vcg", units=2, bidders=3)
    _run(s, "a", bids)
    out = s.execute({"op": "auction_close", "auction": "a"})["outcome"]
    ref = vcg_multi_unit(np.array(bids), 2)
    alloc = {f"b{i}": int(q) for i, q in enumerate(ref.allocation[:, 0]) if q}
    assert out["allocation"] == alloc
    assert out["payments"] == {f"b{i}": pytest.approx(p) for i, p in enumerate(ref.payments) if p}


def test_pedersen_auction_with_range_proofs():
    s = _store()
    _open(s, commitment="pedersen", bits=8, bidders=3, mechanism="first_price")
    _run(s, "a", [17, 200, 3], scheme="pedersen", bits=8)
    out = s.execute({"op": "auction_close", "auction": "a"})["outcome"]
    assert out["winner"] == "b1" and out["price"] == 200.0


def test_pedersen_commit_needs_a_valid_range_proof_for_this_bidder():
    s = _store()
    _open(s, commitment="pedersen", bits=8, bidders=1)
    good = sealed_bid(BIDDERS[0], "a", 5, "pedersen", 8)
    copied = {**good.commit, "agent": "b1"}  # b0's proof replayed by b1
    r = s.execute(BIDDERS[1].sign({k: v for k, v in copied.items() if k != "signature"}))
    assert "range proof" in r["error"]
    wide = sealed_bid(BIDDERS[2], "a", 300, "pedersen", 9)  # proven for 9 bits, auction has 8
    assert "range proof" in s.execute(wide.commit)["error"]
    assert "error" not in s.execute(good.commit)
    bad_reveal = {**good.reveal, "opening": (12345).to_bytes(32, "big").hex()}
    assert "do not open" in s.execute(bad_reveal)["error"]


def test_phases_deadlines_and_early_reveal():
    s = _store()
    _open(s, commit_ticks=4, reveal_ticks=3)
    sb = [sealed_bid(k, "a", 10 + i, "hash") for i, k in enumerate(BIDDERS[:3])]
    assert "error" not in s.execute(sb[0].commit)
    assert "commit phase" in s.execute(sb[0].reveal)["error"]  # nothing revealed early
    assert "error" not in s.execute(sb[1].commit)
    assert "has ended" in s.execute(sb[2].commit)["error"]  # tick 4 is past the deadline
    assert "error" not in s.execute(sb[0].reveal)
    assert "closes at tick" in s.execute({"op": "auction_close", "auction": "a"})["error"]
    out = s.execute({"op": "auction_close", "auction": "a"})["outcome"]  # reveal phase over
    assert out["winner"] == "b0" and out["excluded"] == ["b1"]
    assert "closed" in s.execute({"op": "auction_close", "auction": "a"})["error"]


def test_deposits_forfeited_by_non_revealers_and_equivocators():
    s = _store()
    _open(s, deposit=4.0, commit_ticks=20, reveal_ticks=20)
    sbs = [sealed_bid(k, "a", 10 + i, "hash") for i, k in enumerate(BIDDERS[:4])]
    for sb in sbs:
        assert "error" not in s.execute(sb.commit)
    assert "replay" in s.execute(sbs[0].commit)["error"]
    other = sealed_bid(BIDDERS[3], "a", 99, "hash")  # b3 commits a second, different bid
    assert s.execute(other.commit)["equivocation"] is True
    assert "excluded" in s.execute(other.commit)["error"]
    assert _get(s, "service/balance/b3") == 6.0  # locked
    for _ in range(20):
        s.execute({"op": "noop"})
    for sb in sbs[:2]:
        assert "error" not in s.execute(sb.reveal)
    assert "no commitment" in s.execute(sbs[3].reveal)["error"]
    for _ in range(20):
        s.execute({"op": "noop"})
    out = s.execute({"op": "auction_close", "auction": "a"})["outcome"]
    assert out["excluded"] == ["b2"] and out["equivocators"] == ["b3"]
    assert out["forfeited"] == {"b2": 4.0, "b3": 4.0}
    assert [_get(s, f"service/balance/b{i}") for i in range(4)] == [10.0, 10.0, 6.0, 6.0]
    assert _get(s, "service/balance/seller") == 18.0
    assert out["winner"] == "b1"


def test_deposit_needs_escrow():
    s = _store(funds=1.0)
    _open(s, deposit=4.0)
    r = s.execute(sealed_bid(BIDDERS[0], "a", 3, "hash").commit)
    assert "fund it first" in r["error"]


def test_signatures_are_checked():
    s = _store()
    op = {
        "op": "auction_open",
        "auction": "a",
        "seller": "seller",
        "mechanism": "first_price",
        "commit_ticks": 5,
        "reveal_ticks": 5,
    }
    assert "not 'seller'" in s.execute(BIDDERS[0].sign(op))["error"]
    tampered = {**SELLER.sign(op), "commit_ticks": 500}
    assert "not 'seller'" in s.execute(tampered)["error"]
    stranger = AgentKey.generate("stranger", b"t")
    r = s.execute(stranger.sign({**op, "seller": "stranger"}))
    assert "not registered" in r["error"]
    again = {"op": "register", "agent": "seller", "public_key": BIDDERS[0].public}
    assert "another key" in s.execute(again)["error"]


def test_errors_leave_the_state_unchanged_but_the_tick():
    s = _store()
    _open(s, bidders=2)
    before = s.to_dict()
    sb = sealed_bid(BIDDERS[0], "a", 5, "hash")
    for bad in (
        {**sb.reveal},  # no commitment yet
        {"op": "auction_close", "auction": "a"},
        {"op": "auction_commit", "auction": "zz", "agent": "b0", "commitment": "00"},
        {"op": "set", "key": "service/balance/b0", "value": 1e9},
        {"op": "increment", "key": "service/tick"},
    ):
        assert "error" in s.execute(bad)
    after = s.to_dict()
    assert after.pop("service/tick") == before.pop("service/tick") + 5
    assert after == before


@pytest.mark.parametrize(
    ("op", "match"),
    [
        ({"op": "auction_close"}, "missing field 'auction'"),
        ({"op": "auction_close", "auction": "a", "x": 1}, "unexpected field"),
        ({"op": "fund", "agent": "a", "amount": float("nan")}, "finite"),
        ({"op": "nosuch"}, "unknown op"),
    ],
)
def test_validate_service_op_names_the_problem(op, match):
    with pytest.raises(ValueError, match=match):
        validate_service_op(op)


@pytest.mark.parametrize("aggregator", ["trimmed_mean", "median", "geometric_median"])
def test_position_outcome_matches_the_aggregate(aggregator):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 3)).round(3)
    weights = {f"b{i}": float(w) for i, w in enumerate([1, 2, 1, 3, 1])}
    s = _store()
    op = {
        "op": "position_open",
        "topic": "t",
        "by": "seller",
        "aggregator": aggregator,
        "dim": 3,
        "submit_ticks": 50,
        "weights": weights,
        "expect": 5,
    }
    if aggregator == "trimmed_mean":
        op["trim"] = 0.2
    assert "error" not in s.execute(SELLER.sign(op))
    for i in range(5):
        sub = {"op": "position_submit", "topic": "t", "agent": f"b{i}", "position": list(X[i])}
        assert "error" not in s.execute(BIDDERS[i].sign(sub))
    late = {"op": "position_submit", "topic": "t", "agent": "b5", "position": [0, 0, 0]}
    assert "ended" in s.execute(BIDDERS[5].sign(late))["error"]
    out = s.execute({"op": "position_close", "topic": "t"})["outcome"]
    w = np.array(list(weights.values()))
    if aggregator == "trimmed_mean":
        ref, bp = trimmed_mean(X, w, trim=0.2), breakdown_point(aggregator, 5, weights=w, trim=0.2)
    else:
        fn = median if aggregator == "median" else geometric_median
        ref, bp = fn(X, w), breakdown_point(aggregator, 5, weights=w)
    assert out["value"] == pytest.approx(list(ref), abs=1e-8)
    assert out["breakdown_point"] == pytest.approx(bp)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 4), st.data())
def test_coalition_outcome_matches_the_engine(n, data):
    vals = data.draw(st.lists(st.integers(0, 20), min_size=(1 << n) - 1, max_size=(1 << n) - 1))
    values = [0.0] + [float(v) for v in vals]
    g = TUGame(np.array(values))
    division = [values[-1] / n] * n
    s = _store()
    op = {
        "op": "coalition_propose",
        "proposal": "p",
        "by": "seller",
        "game": {"values": values},
        "division": division,
    }
    out = s.execute(SELLER.sign(op))["outcome"]
    assert out["shapley"] == pytest.approx(list(shapley(g)), abs=1e-8)
    imputations = values[-1] >= sum(values[1 << i] for i in range(n))
    assert out["nucleolus_over"] == ("imputations" if imputations else "preimputations")
    ref = nucleolus(g, imputation=imputations)
    assert out["nucleolus"] == pytest.approx(list(ref), abs=1e-8)
    excess, _ = core_violation(g, np.array(division))
    assert out["max_excess"] == pytest.approx(excess, abs=1e-8)
    assert out["in_core"] == (excess <= 1e-9 * max(1.0, max(values)))


def test_empty_service_has_the_genesis_state_and_snapshots_round_trip():
    assert ServiceStore().snapshot() == KVStore().snapshot()
    s = _store()
    _open(s, bidders=2)
    _run(s, "a", [3.0, 4.0])
    s.execute({"op": "auction_close", "auction": "a"})
    t = ServiceStore.from_snapshot(s.snapshot())
    assert t.digest() == s.digest() and t.tick() == s.tick()


def test_certify_checks_the_certificate_against_the_cluster_keys():
    keys = replica_keys(4, b"m")
    pks = [k.public for k in keys]
    s = _store(service_machine(pks))
    _open(s, bidders=2)
    _run(s, "a", [3.0, 4.0])
    result = s.execute({"op": "auction_close", "auction": "a"})
    ends = {r: endorser(keys[r])(result) for r in range(4)}
    cert = certificate_of(result, ends, pks)
    assert bls.verify_certificate(result["outcome"], cert, pks)
    weak = bls.QuorumCertificate(cert.signers[:2], bls.aggregate([bytes.fromhex(ends[0])] * 2))
    op = {"op": "certify", "kind": "auction", "id": "a"}
    assert "does not verify" in s.execute({**op, "certificate": weak.to_json()})["error"]
    r = s.execute({**op, "certificate": cert.to_json()})
    assert r["certified"] is True
    assert "already certified" in s.execute({**op, "certificate": cert.to_json()})["error"]
    entry = s.execute({"op": "ledger_get", "index": r["ledger"]["index"]})
    assert entry["record"]["certificate"] == cert.to_json()
    with pytest.raises(ValueError, match="a certificate needs 3"):
        certificate_of(result, {0: ends[0], 1: ends[1], 2: ends[3][:-2] + "00"}, pks)
