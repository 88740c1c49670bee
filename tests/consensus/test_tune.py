"""``accord.consensus.tune``: the recommendation rule, argument checks, a short sweep on
the simulated network, and ``accord pbft tune --write-config``."""

from __future__ import annotations

import json
import math

import pytest

from accord.cli import main
from accord.consensus import tune as tune_mod
from accord.consensus.cluster_config import load_cluster
from accord.consensus.tune import (
    Point,
    Setting,
    recommend,
    run_noise,
    tune,
    write_protocol_fields,
)


def pt(batch, ops, p99, pipeline=8, timeout=0.5, **kw) -> Point:
    runs = tuple(ops) if isinstance(ops, (tuple, list)) else (float(ops),)
    return Point(Setting(batch, pipeline, timeout), runs, p50_ms=p99 / 2, p99_ms=p99, **kw)


# ---------------------------------------------------------------- recommend()
def test_best_throughput_within_the_p99_bound():
    points = [pt(16, 8_000, 30), pt(64, 10_000, 45), pt(256, 12_000, 300)]
    rec = recommend(points, max_p99_ms=200, noise=0.0)
    assert rec.setting == Setting(64, 8, 0.5)
    assert rec.excluded == {Setting(256, 8, 0.5): "p99 over 200 ms"}
    assert rec.message.startswith("batch_size=64, pipeline=8, client_timeout=0.5: 10,000 ops/s")
    assert "p99 45 ms (best of 3 settings" in rec.message
    assert rec.protocol_fields() == {"batch_size": 64, "pipeline": 8, "client_timeout": 0.5}
    # without a bound (and a timeout margin) the fastest wins
    rec = recommend(points, max_p99_ms=None, timeout_margin=0, noise=0.0)
    assert rec.setting == Setting(256, 8, 0.5)
    no_bound = recommend(points, max_p99_ms=None, noise=0.0)
    assert no_bound.excluded == {Setting(256, 8, 0.5): "client_timeout under 2 x p99"}


def test_near_ties_go_to_the_smaller_setting():
    # run-to-run spreads 4% and 2%: median noise 3%, so 10,000 is within noise of 10,200
    small = pt(16, (9_800, 10_200), 40)
    large = pt(64, (10_100, 10_300), 38)
    assert run_noise([small, large]) == pytest.approx((0.04 + 200 / 10_200) / 2)
    rec = recommend([large, small], max_p99_ms=100)
    assert rec.setting == small.setting and rec.best is large
    assert [p.setting for p in rec.near_ties] == [small.setting, large.setting]
    assert "within noise of batch_size=64 at 10,200 ops/s" in rec.message
    assert "run-to-run noise 3%" in rec.message
    # a gap larger than the noise is not a tie
    clear = pt(64, (11_000, 11_200), 38)
    assert recommend([small, clear], max_p99_ms=100).setting == clear.setting
    # equal throughput: the shallower pipeline, then the shorter timeout
    a, b = pt(64, 9_000, 30, pipeline=4), pt(64, 9_000, 30, pipeline=16)
    assert recommend([b, a], max_p99_ms=100).setting == a.setting
    c, d = pt(64, 9_000, 30, timeout=1.0), pt(64, 9_000, 30, timeout=0.25)
    assert recommend([c, d], max_p99_ms=100).setting == d.setting


def test_one_repeat_means_no_noise_estimate():
    rec = recommend([pt(16, 9_990, 30), pt(64, 10_000, 30)], max_p99_ms=100)
    assert rec.noise is None and rec.setting == Setting(64, 8, 0.5)
    assert "run-to-run noise not measured (one repeat)" in rec.message


def test_points_that_cannot_be_recommended_say_why():
    points = [
        pt(1, 500, 300, timeout=0.5),  # over the bound
        pt(4, 900, 150, timeout=0.25),  # 0.25 s < 2 x 150 ms
        pt(16, 5_000, 40, max_view=1),  # a spurious view change
        pt(32, 5_000, 40, timed_out=True),
        Point(Setting(64, 8, 0.5), (), None, None, error="RuntimeError: load generator failed"),
        pt(128, 4_000, 40),
    ]
    rec = recommend(points, max_p99_ms=200)
    assert rec.setting == Setting(128, 8, 0.5)
    reasons = {s.batch_size: r for s, r in rec.excluded.items()}
    assert reasons == {
        1: "p99 over 200 ms",
        4: "client_timeout under 2 x p99",
        16: "view change during the run (raise view_change_timeout)",
        32: "requests unanswered 30 s after the window",
        64: "run failed",
    }
    assert recommend(points[1:2], max_p99_ms=200, timeout_margin=0).setting == Setting(4, 8, 0.25)
    assert "try a longer view_change_timeout" in recommend(points[2:3]).message


def test_nothing_within_the_bound_is_a_clear_message():
    points = [pt(16, 8_000, 72.4), pt(64, 10_000, 90)]
    rec = recommend(points, max_p99_ms=50)
    assert rec.point is None and rec.setting is None
    assert rec.message == (
        "no setting qualifies among the 2 measured (p99 over 50 ms: 2); the lowest p99 was "
        "72.4 ms at batch_size=16, pipeline=8, client_timeout=0.5; try a max_p99_ms of at "
        "least 73"
    )
    with pytest.raises(ValueError, match="no setting qualifies"):
        rec.protocol_fields()
    slow = recommend([pt(16, 800, 190, timeout=0.25)], max_p99_ms=200)
    assert "try client timeouts of at least 0.38 s (or a smaller timeout_margin)" in slow.message
    assert recommend([], max_p99_ms=50).message == "no setting was measured"


# ---------------------------------------------------------------- argument checks
def _never(**kw):
    raise AssertionError("a benchmark ran before the arguments were checked")


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n": 0}, ValueError, r"tune\(\): n must be >= 1"),
        ({"n": 100}, ValueError, "n=100 would start 100 replica processes"),
        ({"batches": []}, ValueError, "batches must list at least one value"),
        ({"batches": "16"}, ValueError, "batches must be a sequence"),
        ({"batches": [0, 16]}, ValueError, r"batches\[0\] must be >= 1"),
        ({"batches": [16, 16]}, ValueError, "batches lists 16 more than once"),
        ({"pipelines": [1.5]}, TypeError, r"pipelines\[0\] must be an integer"),
        ({"client_timeouts": [0]}, ValueError, r"client_timeouts\[0\] must be a finite number"),
        ({"seconds": math.inf}, ValueError, "seconds must be a finite number > 0"),
        ({"transport": "udp"}, ValueError, "transport must be one of 'tcp', 'sim'"),
        ({"repeats": 0}, ValueError, "repeats must be >= 1"),
        ({"max_p99_ms": -1}, ValueError, "max_p99_ms must be a finite number > 0"),
        ({"timeout_margin": math.nan}, ValueError, "timeout_margin must be a finite number"),
        ({"grid": "yes"}, TypeError, "grid must be True or False"),
        ({"batch_size": 64}, ValueError, r"batch_size is an argument of tune\(\) itself; pass "),
        ({"client_timeout": 1}, ValueError, "pass client_timeouts=... instead"),
        ({"colour": 1}, ValueError, "unknown option 'colour' for the tcp benchmark"),
        ({"seed": 1}, ValueError, "unknown option 'seed' for the tcp benchmark"),
        ({"ops": "write"}, ValueError, "ops must be one of 'null', 'kv'"),
        ({"clients": 1, "procs": 2}, ValueError, "clients must be at least procs"),
        (
            {"checkpoint_interval": 0},
            ValueError,
            r"batch_size=1, pipeline=1, client_timeout=0.25: ProtocolConfig: checkpoint_interval",
        ),
        (
            {"seconds": 60, "repeats": 5},
            ValueError,
            r"11 settings x 5 repeat\(s\) x about 64 s .* = about 58.7 min, over "
            "max_total_s=1800 s; measure fewer values",
        ),
        ({"grid": True, "seconds": 30}, ValueError, "48 settings x 2 repeat"),
    ],
)
def test_bad_arguments_are_refused_before_any_run(monkeypatch, kwargs, exc, match):
    monkeypatch.setitem(tune_mod._BENCH, "tcp", _never)
    monkeypatch.setitem(tune_mod._BENCH, "sim", _never)
    with pytest.raises(exc, match=match):
        tune(**kwargs)


# ---------------------------------------------------------------- the sweep
def _fake_bench(calls):
    """A benchmark whose throughput peaks at batch 64 and pipeline 4, and falls with a
    client timeout under 0.5 s."""

    def bench(n, batch, seconds, pipeline, client_timeout, **kw):
        calls.append((batch, pipeline, client_timeout, kw.get("seed")))
        ops = 10_000 - abs(batch - 64) * 10 - abs(pipeline - 4) * 100
        ops -= 3_000 if client_timeout < 0.5 else 0
        return {"ops_per_s": float(ops), "p50_ms": 10.0, "p99_ms": 20.0 + batch / 10, "max_view": 0}

    return bench


def test_coordinate_sweep_measures_one_coordinate_at_a_time(monkeypatch):
    calls: list = []
    monkeypatch.setitem(tune_mod._BENCH, "sim", _fake_bench(calls))
    lines: list[str] = []
    res = tune(4, transport="sim", seconds=0.1, seed=7, progress=lines.append)
    settings = [(p.stage, *p.setting.protocol_fields().values()) for p in res.points]
    assert settings == [
        ("batch", 1, 8, 0.5),
        ("batch", 16, 8, 0.5),
        ("batch", 64, 8, 0.5),
        ("batch", 256, 8, 0.5),
        ("pipeline", 64, 1, 0.5),
        ("pipeline", 64, 4, 0.5),
        ("pipeline", 64, 16, 0.5),
        ("timeout", 64, 4, 0.25),
        ("timeout", 64, 4, 1.0),
    ]
    # the setting carried into the next step is measured again there; repeats interleave
    assert len(calls) == 11 * 2
    assert [c[0] for c in calls[:8]] == [1, 16, 64, 256] * 2
    assert [c[1] for c in calls[8:16]] == [1, 4, 8, 16] * 2
    assert {c[3] for c in calls} == {7, 8, 9, 10}  # a seed per run of a setting
    carried = {p.setting: len(p.ops_per_s_runs) for p in res.points}
    assert carried[Setting(64, 8, 0.5)] == carried[Setting(64, 4, 0.5)] == 4
    assert sum(carried.values()) == 22
    assert lines[0].startswith("tune: n=4, sim: 11 settings x 2 repeat(s)")
    assert len(lines) == 1 + 11 and lines[-1].startswith("  [11/11] timeout: batch_size=64")
    # 1.0 s ties with 0.5 s (no noise: equal throughput), and 0.5 s is the smaller
    assert res.recommendation.setting == Setting(64, 4, 0.5)
    table = res.table().splitlines()
    assert len(table) == 2 + 9 + 1 and table[-1].startswith("recommended: batch_size=64")
    assert sum("recommended" in line for line in table[2:-1]) == 1
    data = json.loads(json.dumps(res.to_dict()))
    assert len(data["points"]) == 9 and data["recommended"] == {
        "batch_size": 64,
        "pipeline": 4,
        "client_timeout": 0.5,
    }


def test_grid_measures_every_combination(monkeypatch):
    calls: list = []
    monkeypatch.setitem(tune_mod._BENCH, "sim", _fake_bench(calls))
    res = tune(
        4,
        transport="sim",
        batches=(16, 64),
        pipelines=(2, 4),
        client_timeouts=(0.5,),
        repeats=1,
        grid=True,
    )
    assert len(res.points) == 4 and len(calls) == 4
    assert {p.stage for p in res.points} == {"grid"}


def test_a_failed_run_is_reported_and_not_recommended(monkeypatch):
    def flaky(n, batch, seconds, pipeline, client_timeout, **kw):
        if batch == 64:
            raise RuntimeError("load generator failed:\nTraceback ...")
        return {"ops_per_s": 100.0 * batch, "p50_ms": 5.0, "p99_ms": 9.0}

    monkeypatch.setitem(tune_mod._BENCH, "sim", flaky)
    res = tune(4, transport="sim", batches=(16, 64), pipelines=(8,), client_timeouts=(0.5,))
    failed = next(p for p in res.points if p.setting.batch_size == 64)
    assert failed.error == "RuntimeError: load generator failed:"
    assert res.recommendation.setting == Setting(16, 8, 0.5)


def test_small_real_sweep_on_the_simulated_network():
    res = tune(
        4,
        transport="sim",
        batches=(4, 32),
        pipelines=(2, 8),
        client_timeouts=(0.5, 1.0),
        seconds=0.2,
        warmup=0.05,
        clients=16,
        max_p99_ms=None,
    )
    measured = [p.setting for p in res.points]
    assert measured[:2] == [Setting(4, 8, 0.5), Setting(32, 8, 0.5)]
    assert len(measured) == 4 == len(set(measured))
    # three steps of two settings, two repeats each; a setting carried over from the
    # step before is measured again, so it has 2, 4 or (chosen in every step) 6 runs
    assert sum(len(p.ops_per_s_runs) for p in res.points) == 3 * 2 * 2
    for p in res.points:
        assert p.error is None and len(p.ops_per_s_runs) in (2, 4, 6)
        assert p.ops_per_s is not None and p.ops_per_s > 0
        assert p.p50_ms is not None and p.p99_ms is not None and p.p50_ms <= p.p99_ms
        assert all(r["transport"] == "sim" and r["seconds"] == 0.2 for r in p.runs)
    assert res.recommendation.setting in measured
    table = res.table()
    for s in measured:
        assert any(
            line.split()[1:4] == [str(s.batch_size), str(s.pipeline), f"{s.client_timeout:g}"]
            for line in table.splitlines()[2:-1]
        )


# ---------------------------------------------------------------- cluster.toml
def _init(tmp_path, n=4):
    d = tmp_path / "cl"
    assert main(["pbft", "init", str(d), "--n", str(n), "--clients", "2", "--port", "0"]) == 0
    return d / "cluster.toml"


def test_write_protocol_fields_keeps_everything_else(tmp_path):
    conf = _init(tmp_path)
    before = load_cluster(conf)
    text = conf.read_text().replace(
        "[protocol]", "[protocol]  # tuned below\nbatch_size = 8  # old"
    )
    conf.write_text(text)
    write_protocol_fields(conf, {"batch_size": 32, "pipeline": 2, "client_timeout": 0.75}, n=4)
    after = load_cluster(conf)
    assert (after.protocol.batch_size, after.protocol.pipeline) == (32, 2)
    assert after.protocol.client_timeout == 0.75
    assert after.replicas == before.replicas and after.clients == before.clients
    assert after.protocol.auth == before.protocol.auth
    new = conf.read_text()
    assert "batch_size = 32  # old" in new and "[protocol]  # tuned below" in new
    assert new.count("batch_size") == 1
    after.identity(0)  # keys still match


@pytest.mark.parametrize(
    ("values", "n", "match"),
    [
        ({"batch_size": 8}, 7, r"has n = 4 replicas but the settings are for n = 7"),
        ({"batchsize": 8}, 4, r"unknown \[protocol\] field\(s\) batchsize"),
        ({"n": 7}, 4, "n cannot be changed here"),
        ({"batch_size": 0}, 4, r"would not be valid: .*batch_size must be >= 1"),
    ],
)
def test_write_protocol_fields_refuses_and_leaves_the_file(tmp_path, values, n, match):
    conf = _init(tmp_path)
    text = conf.read_text()
    with pytest.raises(ValueError, match=match):
        write_protocol_fields(conf, values, n=n)
    assert conf.read_text() == text
    assert not list(conf.parent.glob(".cluster-*"))


def test_cli_write_config_round_trip(tmp_path, capsys):
    conf = _init(tmp_path)
    before = load_cluster(conf)
    capsys.readouterr()
    argv = ["pbft", "tune", "--n", "4", "--transport", "sim", "--seconds", "0.2"]
    argv += ["--batch", "4", "32", "--pipeline", "2", "8", "--client-timeout", "0.5"]
    argv += ["--repeats", "1", "--clients", "16", "--json", "--write-config", str(conf.parent)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert len(data["points"]) == 3 and data["transport"] == "sim"
    assert err.startswith("tune: n=4, sim: 5 settings x 1 repeat(s)")
    assert f"to {conf}" in err.splitlines()[-1]
    after = load_cluster(conf)
    got = {k: getattr(after.protocol, k) for k in data["recommended"]}
    assert got == data["recommended"]
    assert after.replicas == before.replicas and after.clients == before.clients


def test_cli_refuses_a_cluster_of_another_size_before_measuring(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(tune_mod._BENCH, "tcp", _never)
    conf = _init(tmp_path)
    capsys.readouterr()
    assert main(["pbft", "tune", "--n", "7", "--write-config", str(conf)]) == 2
    err = capsys.readouterr().err
    assert "has n = 4 replicas but the sweep is for n = 7" in err and err.count("\n") == 1


def test_cli_leaves_the_config_when_nothing_qualifies(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(tune_mod._BENCH, "sim", _fake_bench([]))
    conf = _init(tmp_path)
    text = conf.read_text()
    argv = ["pbft", "tune", "--transport", "sim", "--batch", "64", "--pipeline", "8"]
    argv += ["--client-timeout", "0.5", "--max-p99-ms", "1", "--write-config", str(conf)]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "no setting qualifies" in out and "left as it was" in err
    assert conf.read_text() == text
