"""The service's benchmarks run and count only completed, certified work."""

import pytest

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.service.bench import bench_auctions, bench_hierarchy  # noqa: E402


def test_auction_bench_completes_auctions(tmp_path):
    res = bench_auctions(
        n=4, bidders=2, seconds=0.5, concurrent=1, procs=1, warmup=0.2, workdir=tmp_path
    )
    assert res["auctions"] >= 1 and not res["timed_out"]
    assert res["ops_per_s"] == pytest.approx(res["auctions"] * 7 / 0.5, abs=0.1)
    assert res["p50_ms"] <= res["p99_ms"]


def test_auction_bench_with_pedersen_commitments(tmp_path):
    res = bench_auctions(n=4, bidders=2, seconds=0.5, concurrent=1, procs=1, scheme="pedersen",
                         bits=8, warmup=0.2, workdir=tmp_path)  # fmt: skip
    assert res["auctions"] >= 1 and res["scheme"] == "pedersen"


def test_hierarchy_bench_completes_rounds(tmp_path):
    res = bench_hierarchy(groups=2, n=4, agents=2, seconds=0.5, concurrent=1, warmup=0.2,
                          workdir=tmp_path)  # fmt: skip
    assert res["rounds"] >= 1 and res["p50_ms"] <= res["p99_ms"]
    with pytest.raises(ValueError, match="must be positive"):
        bench_hierarchy(groups=0)


def test_primitives_bench_times_every_primitive():
    from accord.service.bench import bench_primitives

    res = bench_primitives(bits=4, sizes=(4,))
    expected = {"hash_commit", "pedersen_commit", "range4_prove", "range4_verify", "bls_verify",
                "ed25519_verify", "certificate_verify_n4", "shares_verify_n4"}  # fmt: skip
    assert expected <= set(res) and all(v > 0 for v in res.values())
    # three endorsements checked together cost less than three checks one by one
    assert res["shares_verify_n4"] > res["bls_verify"] / 3
