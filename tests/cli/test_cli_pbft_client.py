"""``accord pbft client`` and ``serve``: the timeout, error results and a busy port."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from accord.cli import main
from accord.consensus.cluster_config import generate_cluster, load_cluster
from accord.consensus.tcp import ReplicaServer

T = 15.0


def _init(tmp_path, n=4):
    d = tmp_path / "cl"
    assert main(["pbft", "init", str(d), "--n", str(n), "--clients", "2", "--port", "0"]) == 0
    return d / "cluster.toml"


def test_client_timeout_bounds_the_connection_wait(tmp_path, capsys):
    conf = _init(tmp_path)
    capsys.readouterr()
    t0 = time.monotonic()
    assert main(["pbft", "client", "--config", str(conf), "--timeout", "0.5", "get", "k"]) == 1
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert elapsed < 4.0, elapsed  # not the fixed 10 s connection wait
    assert "no result within 0.5 s" in err and "connected to 0 of 4 replicas" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("bad", ["0", "-1", "inf", "soon"])
def test_client_timeout_must_be_positive_seconds(tmp_path, capsys, bad):
    conf = _init(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["pbft", "client", "--config", str(conf), "--timeout", bad, "get", "k"])
    assert e.value.code == 2
    assert "--timeout: must be a" in capsys.readouterr().err


def test_serve_on_a_busy_port_is_one_line(tmp_path, capsys):
    conf = _init(tmp_path)
    host, port = load_cluster(conf).address(0)
    with socket.socket() as s:
        s.bind((host, port))
        s.listen()
        capsys.readouterr()
        assert main(["pbft", "serve", "--id", "0", "--config", str(conf), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"replica 0 cannot listen on {host}:{port}: address already in use" in err


def test_error_results_exit_non_zero(tmp_path, capsys):
    path = generate_cluster(tmp_path / "c", n=4, clients=2, base_port=0, view_change_timeout=2.0)
    cfg = load_cluster(path)
    loop = asyncio.new_event_loop()
    started, holder = threading.Event(), {}

    def serve():
        asyncio.set_event_loop(loop)

        async def run():
            servers = [ReplicaServer(r, cfg, storage="memory") for r in range(cfg.n)]
            for s in servers:
                await s.start()
            for s in servers:
                await s.wait_connected(T)
            holder["stop"] = asyncio.Event()
            started.set()
            await holder["stop"].wait()
            for s in servers:
                await s.stop()

        try:
            loop.run_until_complete(run())
        finally:
            started.set()
            loop.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        assert started.wait(T) and "stop" in holder
        conf = str(path)
        capsys.readouterr()
        assert main(["pbft", "client", "--config", conf, "set", "k", '"word"']) == 0
        assert json.loads(capsys.readouterr().out) is None
        assert main(["pbft", "client", "--config", conf, "increment", "k"]) == 1
        cap = capsys.readouterr()
        assert cap.out == ""
        assert cap.err.startswith("accord: error: pbft client increment: ")
        assert cap.err.count("\n") == 1
    finally:
        if "stop" in holder:
            loop.call_soon_threadsafe(holder["stop"].set)
        th.join(T)
    assert not th.is_alive()


def test_async_client_connect_timeout(tmp_path):
    from accord.consensus.tcp import AsyncClient

    cluster = load_cluster(_init(tmp_path))

    async def go():
        async with AsyncClient(cluster, connect_timeout=0.3):
            pass

    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match=r"only after 0\.3 s"):
        asyncio.run(go())
    assert time.monotonic() - t0 < 3.0
    with pytest.raises(ValueError, match=r"AsyncClient\(\): connect_timeout must be"):
        AsyncClient(cluster, connect_timeout=0)
