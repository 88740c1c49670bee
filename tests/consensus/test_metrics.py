"""Replica metrics, the cluster health assessment and ``accord pbft status``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from accord._extras import MissingExtraError
from accord.cli import main
from accord.consensus import ProtocolConfig, SimCluster
from accord.consensus.cluster_config import generate_cluster, load_cluster
from accord.consensus.health import EXIT_CODES, STATES, assess
from accord.consensus.metrics import OTHER_OP, Histogram, ReplicaMetrics, require_prometheus

T = 15.0  # generous per-operation timeout (seconds)


# ------------------------------------------------------------------ assessment
def _status(view=0, executed=100, **extra):
    status = {
        "id": 0,
        "view": view,
        "in_view_change": False,
        "last_executed": executed,
        "low_watermark": executed - executed % 128,
        "pending": 0,
        "rejected": {},
        "transport": {"frames_in": 10_000},
        "metrics": {"checkpoint_interval": 128, "log_window": 256, "fetching": False},
    }
    for key, value in extra.items():
        if key in status["metrics"]:
            status["metrics"][key] = value
        else:
            status[key] = value
    return status


def test_assess_healthy():
    health = assess([_status() for _ in range(4)], 4)
    assert (health.state, health.findings, health.exit_code) == ("healthy", (), 0)
    assert health.states == ("healthy",)
    assert health.reachable == (0, 1, 2, 3) and health.unreachable == ()
    assert "view 0 (primary 0)" in health.summary and "up to sequence number 100" in health.summary


def test_assess_degraded_names_the_unreachable_replica():
    health = assess([_status(), _status(), _status(), None], 4)
    assert health.state == "degraded" and health.exit_code == 1
    (finding,) = health.findings
    assert finding.replicas == (3,)
    assert finding.message == (
        "1 of 4 replicas unreachable (replica 3): the cluster tolerates no further fault"
    )
    assert finding.recommendation == "restart replica 3"
    # n = 7 (f = 2) with one replica down still tolerates one more fault
    health = assess([_status()] * 6 + [None], 7)
    assert "tolerates 1 further fault" in health.findings[0].message


def test_assess_no_quorum():
    health = assess([_status(), None, _status(), None], 4)
    assert health.state == "no_quorum" and health.exit_code == 2
    finding = health.findings[0]
    assert finding.replicas == (1, 3)
    assert "2 of 4 replicas unreachable (replicas 1 and 3): no quorum" in finding.message
    assert "writes stall" in finding.message
    assert finding.recommendation.startswith("restart replicas 1 and 3")
    assert assess([None] * 4, 4).summary == "no replica of 4 answered"


def test_assess_view_change():
    changing = _status(view=1, in_view_change=True)
    health = assess([_status(), changing, _status(view=1), _status()], 4)
    assert health.state == "view_change" and health.exit_code == 1
    (finding,) = health.findings
    assert "replica 1 changing views" in finding.message
    assert "replicas 0 and 3 in view 0" in finding.message
    assert "replica 1 (primary of view 1)" in finding.recommendation
    # the new primary does not answer: restart it
    health = assess([_status(view=1), None, _status(view=1, in_view_change=True), _status()], 4)
    assert health.states == ("degraded", "view_change")
    assert health.state == "degraded"
    view = [f for f in health.findings if f.state == "view_change"][0]
    assert "replica 1, the primary of view 1, does not answer" in view.recommendation


def test_assess_lagging():
    behind = [_status(executed=400), _status(executed=400), _status(executed=60)]
    health = assess([*behind, _status(executed=400)], 4)
    assert health.state == "lagging" and health.exit_code == 1
    (finding,) = health.findings
    assert finding.replicas == (2,)
    assert finding.message.startswith("replica 2 is 340 sequence numbers behind")
    # a replica fetching state says so; a custom lag threshold
    fetching = _status(executed=300, fetching=True)
    health = assess([_status(executed=400)] * 3 + [fetching], 4, lag=50)
    assert "replica 3 is 100 sequence numbers behind; it is fetching state" in (
        health.findings[0].message
    )
    assert assess([_status(executed=400)] * 3 + [fetching], 4, lag=200).state == "healthy"
    # state that disagrees with the stable checkpoint, and a stalled checkpoint
    diverged = _status(executed=-1, low_watermark=384, fetching=True)
    health = assess([_status(executed=400)] * 3 + [diverged], 4)
    assert "disagrees with the quorum's stable checkpoint" in health.findings[0].message
    stalled = _status(executed=300, checkpoint_lag=256)
    health = assess(
        [stalled, _status(executed=300), _status(executed=300), _status(executed=300)], 4
    )
    assert health.state == "lagging"
    assert "checkpoints stopped becoming stable" in health.findings[0].message


def test_assess_rejecting_by_reason():
    bad_macs = _status(rejected={"auth": 5000, "stale": 90_000})
    health = assess([_status(), bad_macs, _status(), _status()], 4)
    assert health.state == "rejecting" and health.exit_code == 1
    (finding,) = health.findings
    assert finding.replicas == (1,) and "auth: 5000 at replica 1" in finding.message
    assert finding.recommendation.startswith("check replica keys")
    # benign reasons, few rejections, or few relative to the frames received: healthy
    assert assess([_status(rejected={"stale": 10**6, "wrong-view": 10**5})] * 4, 4).state == (
        "healthy"
    )
    assert assess([_status(rejected={"auth": 99})] * 4, 4).state == "healthy"
    busy = _status(rejected={"auth": 500}, transport={"frames_in": 10**6})
    assert assess([busy] * 4, 4).state == "healthy"
    assert assess([busy] * 4, 4, reject_threshold=1).state == "healthy"
    health = assess([_status(rejected={"equivocation": 300, "malformed": 200})] * 4, 4)
    assert [f.message.split(" (")[1].split(":")[0] for f in health.findings] == [
        "equivocation",
        "malformed",
    ]


def test_assess_orders_states_and_validates_arguments():
    assert STATES[0] == "no_quorum" and STATES[-1] == "healthy"
    assert set(EXIT_CODES) == set(STATES)
    bad_keys = _status(executed=500, rejected={"auth": 1000})
    mixed = [None, bad_keys, _status(executed=0), _status(executed=500)]
    health = assess(mixed, 4)
    assert health.states == ("degraded", "lagging", "rejecting")
    assert health.state == "degraded"
    out = health.to_json()
    assert out["state"] == "degraded" and out["unreachable"] == [0]
    assert [f["state"] for f in out["findings"]] == ["degraded", "lagging", "rejecting"]
    json.dumps(out)
    with pytest.raises(ValueError, match="one entry per replica"):
        assess([_status()], 4)
    with pytest.raises(ValueError, match="n must be"):
        assess([], 0)
    with pytest.raises(ValueError, match="lag must be"):
        assess([_status()] * 4, 4, lag=0)


# ------------------------------------------------------------------ collection
def test_histogram_weights_and_buckets():
    h = Histogram((0.01, 0.1))
    h.observe(0.005)
    h.observe(0.05, weight=3)
    h.observe(7.0)
    assert h.cumulative() == [("0.01", 1), ("0.1", 4), ("+Inf", 5)]
    assert (h.count, h.sum) == (5, pytest.approx(0.005 + 0.15 + 7.0))
    with pytest.raises(ValueError, match="increasing"):
        Histogram((0.1, 0.01))


def test_metrics_count_executed_requests_and_cap_op_labels():
    sim = SimCluster(ProtocolConfig(n=4, batch_size=4), clients=3, seed=1)
    metrics = ReplicaMetrics(max_op_labels=2)
    metrics.attach(sim.replica(1))
    ops = [{"op": "set", "key": "a", "value": 1}, {"op": "increment", "key": "b"}]
    ops += [{"op": "append", "record": i} for i in range(3)] + [{"op": "noop"}]
    for client_id in sim.client_ids:
        sim.submit(client_id, ops)
    assert sim.run(until=30.0)
    executed = sim.replica(1).stats["executed_requests"]
    assert metrics.committed == executed == 3 * len(ops)
    assert metrics.latency.count == executed
    assert len(metrics.by_op) <= 3 and OTHER_OP in metrics.by_op
    assert sum(h.count for h in metrics.by_op.values()) == executed
    figures = metrics.figures()
    assert figures["committed_requests"] == executed
    assert figures["last_executed"] == sim.replica(1).last_executed
    assert figures["log_entries"] == len(sim.replica(1).log)
    assert figures["checkpoint_lag"] == figures["last_executed"] - figures["stable_checkpoint"]
    assert figures["n"] == 4 and figures["view"] == 0 and figures["fetching"] is False
    json.dumps(figures)
    with pytest.raises(ValueError, match="max_op_labels"):
        ReplicaMetrics(max_op_labels=0)


def test_missing_prometheus_client_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(MissingExtraError, match=r'pip install "accord\[metrics\]"'):
        require_prometheus()
    from accord.consensus.tcp import ReplicaServer

    cluster = load_cluster(generate_cluster(tmp_path, n=4, clients=1, base_port=0))
    server = ReplicaServer(0, cluster, storage="memory", metrics_port=0)
    with pytest.raises(MissingExtraError, match="metrics"):
        asyncio.run(server.start())
    # importing the subsystem does not need it
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "import accord.consensus, accord.consensus.tcp, accord.consensus.metrics\n"
        "import accord.consensus.health, accord.cli.pbft\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cluster_file_metrics_ports(tmp_path):
    path = generate_cluster(tmp_path, n=4, clients=1, base_port=7400, metrics_port=9400)
    cfg = load_cluster(path)
    assert [cfg.metrics_address(r) for r in range(4)] == [("127.0.0.1", 9400 + r) for r in range(4)]
    text = path.read_text()
    # a base port at the top, overridden per replica
    base = "\n".join(line for line in text.splitlines() if not line.startswith("metrics_port"))
    path.write_text(
        base.replace('data_dir = "data"', 'data_dir = "data"\nmetrics_base_port = 9500')
    )
    assert load_cluster(path).metrics_address(2) == ("127.0.0.1", 9502)
    path.write_text(text.replace("metrics_port = 9401", "metrics_port = 9400"))
    with pytest.raises(ValueError, match="metrics of replica 1 and the metrics of replica 0"):
        load_cluster(path)
    path.write_text(text.replace("metrics_port = 9401", "metrics_port = 7402"))
    with pytest.raises(ValueError, match="metrics of replica 1 and replica 2 both use"):
        load_cluster(path)
    path.write_text(text.replace("metrics_port = 9401", 'metrics_port = "x"'))
    with pytest.raises(ValueError, match="metrics_port must be an integer"):
        load_cluster(path)
    assert load_cluster(generate_cluster(tmp_path / "none", n=4)).metrics_address(0) is None
    free = load_cluster(generate_cluster(tmp_path / "free", n=4, base_port=0, metrics_port=0))
    ports = {r.port for r in free.replicas} | {r.metrics_port for r in free.replicas}
    assert len(ports) == 8
    with pytest.raises(ValueError, match="also replica ports"):
        generate_cluster(tmp_path / "clash", n=4, base_port=7400, metrics_port=7402)


# ------------------------------------------------------------------ over TCP
def _families(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    return {f.name: f for f in text_string_to_metric_families(text)}


def _sample(family, name: str, **labels) -> float:
    return next(s.value for s in family.samples if s.name == name and s.labels == labels)


def _get(address, path: str) -> str:
    host, port = address
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=T) as answer:
        return answer.read().decode()


def test_metrics_and_status_of_a_loopback_cluster(tmp_path, capsys):
    pytest.importorskip("prometheus_client")
    from accord.consensus.tcp import AsyncClient, ReplicaServer

    path = generate_cluster(
        tmp_path / "c", n=4, clients=2, base_port=0, metrics_port=0, view_change_timeout=2.0
    )
    cluster = load_cluster(path)
    ops = [{"op": "set", "key": f"k{i}", "value": i} for i in range(12)]
    ops += [{"op": "increment", "key": "n"} for _ in range(6)]
    ops += [{"op": "append", "record": {"i": i}} for i in range(4)]

    def status(*options: str) -> int:
        return main(["pbft", "status", "--config", str(path), *options])

    async def go() -> None:
        servers = [ReplicaServer(r, cluster, storage="memory") for r in range(cluster.n)]
        try:
            for s in servers:
                await s.start()
            for s in servers:
                await s.wait_connected(T)
            async with AsyncClient(cluster, cluster.client_ids) as c:
                await c.wait_connected(timeout=T)
                for op in ops:
                    await c.submit(op, timeout=T)
                assert await c.submit({"op": "get", "key": "n"}, timeout=T) == 6  # read-only
            # every replica executes every request (f + 1 replies may come first)
            for _ in range(200):
                if all(s.status()["stats"].get("executed_requests") == len(ops) for s in servers):
                    break
                await asyncio.sleep(0.02)
            for s in servers:
                text = await asyncio.to_thread(_get, s.metrics_address, "/metrics")
                families = _families(text)
                executed = s.status()["stats"]["executed_requests"]
                assert executed == len(ops)
                committed = families["accord_pbft_committed_requests"]
                assert _sample(committed, "accord_pbft_committed_requests_total") == executed
                latency = families["accord_pbft_commit_latency_seconds"]
                assert _sample(latency, "accord_pbft_commit_latency_seconds_count") == executed
                inf = _sample(latency, "accord_pbft_commit_latency_seconds_bucket", le="+Inf")
                assert inf == executed
                assert 0 < _sample(latency, "accord_pbft_commit_latency_seconds_sum") < T * executed
                by_op = families["accord_pbft_agreement_seconds"]
                counts = {
                    kind: _sample(by_op, "accord_pbft_agreement_seconds_count", op=kind)
                    for kind in ("set", "increment", "append")
                }
                assert counts == {"set": 12, "increment": 6, "append": 4}
                view = families["accord_pbft_view"]
                assert _sample(view, "accord_pbft_view") == 0
                log = families["accord_pbft_log_entries"]
                assert _sample(log, "accord_pbft_log_entries") == len(s.replica.log)
                # the same figures as JSON
                figures = json.loads(await asyncio.to_thread(_get, s.metrics_address, "/status"))
                assert figures["id"] == s.id and figures["last_executed"] > 0
                assert figures["metrics"]["committed_requests"] == executed
                assert figures["metrics"]["commit_latency_seconds"]["count"] == executed
            with pytest.raises(urllib.error.HTTPError, match="404"):
                await asyncio.to_thread(_get, servers[0].metrics_address, "/nothing")

            capsys.readouterr()
            assert await asyncio.to_thread(status) == 0
            assert "state: healthy" in capsys.readouterr().out

            await servers[3].stop()
            assert await asyncio.to_thread(status) == 1
            out = capsys.readouterr().out
            assert "state: degraded" in out
            assert "1 of 4 replicas unreachable (replica 3)" in out
            assert "restart replica 3" in out

            await servers[2].stop()
            assert await asyncio.to_thread(status, "--json", "--timeout", "1") == 2
            report = json.loads(capsys.readouterr().out)
            assert report["state"] == "no_quorum" and report["exit_code"] == 2
            assert report["unreachable"] == [2, 3] and set(report["errors"]) == {"2", "3"}
            assert "restart replicas 2 and 3" in report["findings"][0]["recommendation"]
            assert report["replicas"][0]["metrics"]["committed_requests"] == len(ops)
        finally:
            for s in servers:
                await s.stop()

    asyncio.run(go())


def test_status_needs_metrics_ports(tmp_path, capsys):
    path = generate_cluster(tmp_path, n=4, clients=1, base_port=7500)
    assert main(["pbft", "status", "--config", str(path)]) == 2
    assert "no metrics port; add `metrics_port = P`" in capsys.readouterr().err


def test_metrics_port_errors(tmp_path):
    pytest.importorskip("prometheus_client")
    import socket

    from accord.consensus.tcp import ReplicaServer

    cluster = load_cluster(generate_cluster(tmp_path, n=4, clients=1, base_port=0))
    with pytest.raises(TypeError, match="metrics_port must be an int"):
        ReplicaServer(0, cluster, storage="memory", metrics_port="9100")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metrics_port must be in 0..65535"):
        ReplicaServer(0, cluster, storage="memory", metrics_port=70000)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = ReplicaServer(0, cluster, storage="memory", metrics_port=port)

        async def start() -> None:
            try:
                await server.start()
            finally:
                await server.stop()

        with pytest.raises(RuntimeError, match=f"cannot serve metrics on 127.0.0.1:{port}"):
            asyncio.run(start())
