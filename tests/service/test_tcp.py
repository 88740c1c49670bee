"""The service over TCP on loopback: four replicas in this process, the async and sync
clients, certificates checked offline, key files and service files."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.service.client import sealed_bid  # noqa: E402
from accord.service.deploy import (  # noqa: E402
    generate_service,
    load_service,
    read_agent_key,
    write_agent_key,
)
from accord.service.remote import (  # noqa: E402
    Certified,
    ServiceClient,
    ServiceRequestError,
    SyncServiceClient,
    service_server,
)
from accord.service.signing import AgentKey  # noqa: E402

T = 20.0


@pytest.fixture
def service(tmp_path):
    return load_service(
        generate_service(tmp_path / "svc", n=4, clients=12, base_port=0, view_change_timeout=2.0)
    )


async def _start(config):
    servers = [service_server(r, config, storage="memory") for r in range(config.n)]
    try:
        for s in servers:
            await s.start()
        for s in servers:
            await s.wait_connected(T)
    except BaseException:
        for s in servers:
            await s.stop()
        raise
    return servers


def test_a_sealed_bid_auction_over_tcp_with_an_offline_certificate(service):
    seller = AgentKey.generate("seller", b"t")
    bidders = [AgentKey.generate(f"b{i}", b"t") for i in range(5)]
    bids = [7.0, 12.0, 3.0, 12.5, 9.0]
    ids = service.cluster.client_ids

    async def go():
        servers = await _start(service)
        try:
            async with ServiceClient(service, ids[:6]) as c:
                await asyncio.gather(*(c.register(k) for k in (seller, *bidders)))
                for k in bidders:
                    await c.fund(k.agent, 5)
                opened = await c.open_auction(
                    seller, "a1", "second_price", 1000, 1000, bidders=5, deposit=1
                )
                assert opened["auction"] == "a1"
                sealed = [sealed_bid(k, "a1", b) for k, b in zip(bidders, bids, strict=True)]
                await asyncio.gather(*(c.commit_bid(s) for s in sealed))
                with pytest.raises(ServiceRequestError, match="commit phase of .a1. has ended"):
                    await c.commit_bid(sealed[0])  # a replayed bid after the seal
                await asyncio.gather(*(c.reveal_bid(s) for s in sealed))
                certified = await c.close_auction("a1")
                stored = await c.outcome("auction", "a1")
                tick = await c.tick()
            return certified, stored, tick
        finally:
            for s in servers:
                await s.stop()

    certified, stored, tick = asyncio.run(go())
    out = certified.outcome
    assert out["winner"] == "b3" and out["payments"] == {"b3": 12.0}
    assert certified.verify(service.certificate_keys)
    # a third party: only the public keys in service.toml and the JSON it was handed
    again = Certified.from_json(certified.to_json())
    assert again.verify(load_service(service.path).certificate_keys)
    forged = Certified({**out, "payments": {"b3": 1.0}}, certified.certificate)
    assert not forged.verify(service.certificate_keys)
    assert isinstance(stored, Certified) and stored.outcome == out  # recorded by certify
    assert tick > 12


def test_the_blocking_client_and_error_results(service):
    owner = AgentKey.generate("owner", b"s")
    agents = [AgentKey.generate(f"a{i}", b"s") for i in range(3)]
    loop = asyncio.new_event_loop()
    started = threading.Event()
    servers: list = []

    def serve():
        asyncio.set_event_loop(loop)
        servers.extend(loop.run_until_complete(_start(service)))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(T)
    try:
        with SyncServiceClient(service, service.cluster.client_ids[0]) as c:
            for k in (owner, *agents):
                c.register(k)
            c.open_topic(owner, "t", "median", 2, 1000, expect=3)
            for i, k in enumerate(agents):
                c.submit_position(k, "t", [float(i), 10.0 * i])
            late = AgentKey.generate("late", b"s")
            c.register(late)
            with pytest.raises(ServiceRequestError, match="submissions to 't' have ended"):
                c.submit_position(late, "t", [0.0, 0.0])
            with pytest.raises(ServiceRequestError, match="not registered"):
                c.open_topic(AgentKey.generate("stranger", b"s"), "u", "median", 1, 10)
            certified = c.close_topic("t")
            assert certified.outcome["value"] == [1.0, 10.0]
            assert certified.verify(c.public_keys)
            with pytest.raises(ServiceRequestError, match="closed"):
                c.close_topic("t")
            with pytest.raises(ValueError, match="unexpected field"):
                c.request({"op": "auction_close", "auction": "x", "extra": 1})
            assert c.outcome("position", "nope") is None
            # a committed topic: positions hidden until the commit phase has ended
            c.open_topic(owner, "ct", "median", 1, 1000, commit_ticks=1000, expect=3)
            with pytest.raises(ServiceRequestError, match="takes committed positions"):
                c.submit_position(agents[0], "ct", [1.0])
            values = zip(agents, (4, 6, 9), strict=True)
            reveals = [c.commit_position(k, "ct", [v]) for k, v in values]
            with pytest.raises(ServiceRequestError, match="do not open 'a0''s commitment"):
                c.reveal_position({**reveals[0], "position": [5.0]})
            for r in reveals:
                c.reveal_position(r)
            committed = c.close_topic("ct")
            assert committed.outcome["value"] == [6.0] and committed.verify(c.public_keys)
    finally:
        asyncio.run_coroutine_threadsafe(_stop_all(servers), loop).result(T)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(T)
        loop.close()


async def _stop_all(servers):
    for s in servers:
        await s.stop()


def test_service_files_and_agent_keys(tmp_path, service):
    with pytest.raises(ValueError, match="exists; choose another directory or pass --force"):
        generate_service(service.path.parent, n=4, base_port=0)
    key = AgentKey.generate("alice", b"k")
    path = tmp_path / "alice.key"
    write_agent_key(path, key)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert read_agent_key(path).public == key.public
    os.chmod(path, 0o644)
    with pytest.raises(ValueError, match="readable by others"):
        read_agent_key(path)
    assert service.bls_key(2).public == service.certificate_keys[2]
    bad = service.path.read_text().replace(service.certificate_keys[1].hex(), "00" * 48)
    service.path.write_text(bad)
    with pytest.raises(ValueError, match="replica entry 1: bls_public"):
        load_service(service.path.parent)
    (service.path.parent / "service.toml").unlink()
    with pytest.raises(ValueError, match="accord service init"):
        load_service(service.path.parent)


def test_the_command_line_runs_an_auction_and_verifies_its_certificate(tmp_path, capsys):
    """``accord service``: init, serve (four processes), keygen, register, fund, the
    auction's four steps, verify offline; a refused operation exits with status 1."""
    from accord.cli import main
    from accord.service.bench import ServiceCluster

    with ServiceCluster(n=4, batch=8, clients=2, workdir=tmp_path / "svc") as cl:
        svc = ["--config", str(cl.path)]
        keys = {a: str(tmp_path / f"{a}.key") for a in ("seller", "alice", "bob")}
        for agent, path in keys.items():
            assert main(["service", "keygen", agent, path]) == 0
            assert main(["service", "register", *svc, "--key", path]) == 0
        assert main(["service", "fund", *svc, "alice", "3"]) == 0
        opened = [*svc, "--key", keys["seller"], "--auction", "a1", "--mechanism", "second_price"]
        assert main(["service", "auction", "open", *opened, "--commit-ticks", "100",
                     "--reveal-ticks", "100", "--bidders", "2"]) == 0  # fmt: skip
        for agent, bid in (("alice", "10"), ("bob", "7.5")):
            saved = str(tmp_path / f"{agent}.reveal")
            assert main(["service", "auction", "commit", *svc, "--key", keys[agent],
                         "--auction", "a1", "--bid", bid, "--save", saved]) == 0  # fmt: skip
            assert os.stat(saved).st_mode & 0o777 == 0o600
        capsys.readouterr()
        assert main(["service", "auction", "close", *svc, "--auction", "a1"]) == 1
        assert "reveal" in capsys.readouterr().err
        for agent in ("alice", "bob"):
            saved = str(tmp_path / f"{agent}.reveal")
            assert main(["service", "auction", "reveal", *svc, "--saved", saved]) == 0
        out = str(tmp_path / "a1.json")
        capsys.readouterr()
        assert main(["service", "auction", "close", *svc, "--auction", "a1", "--out", out]) == 0
        printed = capsys.readouterr().out
        assert '"winner": "alice"' in printed and '"price": 7.5' in printed
    assert main(["service", "verify", *svc, out]) == 0
    assert "verified: 3 of 4 replicas" in capsys.readouterr().out
    doc = json.loads(Path(out).read_text())
    doc["outcome"]["price"] = 0.5
    Path(out).write_text(json.dumps(doc))
    assert main(["service", "verify", *svc, out]) == 1
    assert "does not verify" in capsys.readouterr().err


def test_the_command_line_agrees_on_a_committed_game(tmp_path, capsys):
    """``accord service position``: a committed topic over a declared 2 x 2 game, each
    agent's payoff estimate committed, then revealed from the saved file; the replicas
    agree on the median game and its Lemke-Howson equilibrium."""
    from accord.cli import main
    from accord.service.bench import ServiceCluster

    # matching pennies' row payoffs, column payoffs = -row; one agent's estimate is off
    game = [1, -1, -1, 1, -1, 1, 1, -1]
    estimates = {"a": game, "b": game, "c": [9, 9, 9, 9, 9, 9, 9, 9]}
    with ServiceCluster(n=4, batch=8, clients=2, workdir=tmp_path / "svc") as cl:
        svc = ["--config", str(cl.path)]
        keys = {a: str(tmp_path / f"{a}.key") for a in ("owner", *estimates)}
        for agent, path in keys.items():
            assert main(["service", "keygen", agent, path]) == 0
            assert main(["service", "register", *svc, "--key", path]) == 0
        assert main(["service", "position", "open", *svc, "--key", keys["owner"],
                     "--topic", "g", "--aggregator", "median", "--dim", "8",
                     "--submit-ticks", "100", "--commit-ticks", "100", "--expect", "3",
                     "--game", '{"actions": [2, 2], "solve": "lemke_howson"}']) == 0  # fmt: skip
        for agent, payoffs in estimates.items():
            saved = str(tmp_path / f"{agent}.reveal")
            position = ",".join(str(v) for v in payoffs)
            assert main(["service", "position", "commit", *svc, "--key", keys[agent],
                         "--topic", "g", "--position", position, "--save", saved]) == 0  # fmt: skip
            assert os.stat(saved).st_mode & 0o777 == 0o600
        capsys.readouterr()
        assert main(["service", "position", "reveal", *svc, "--saved", "nope.reveal"]) == 2
        for agent in estimates:
            saved = str(tmp_path / f"{agent}.reveal")
            assert main(["service", "position", "reveal", *svc, "--saved", saved]) == 0
        out = str(tmp_path / "g.json")
        capsys.readouterr()
        assert main(["service", "position", "close", *svc, "--topic", "g", "--out", out]) == 0
    doc = json.loads(Path(out).read_text())
    outcome = doc["outcome"]
    assert outcome["value"] == [float(v) for v in game]
    eq = outcome["equilibrium"]
    assert eq["strategies"] == [[0.5, 0.5], [0.5, 0.5]] and eq["expected_payoffs"] == [0, 0]
    assert main(["service", "verify", *svc, out]) == 0


def test_service_replicas_serve_metrics_and_health(tmp_path, capsys):
    """``accord service init --metrics-port 0``: each service replica serves /metrics and
    /status; ``accord pbft status`` reads the service's cluster file."""
    pytest.importorskip("prometheus_client", reason="the 'metrics' extra is not installed")
    from accord.cli import main

    d = tmp_path / "svc"
    assert main(["service", "init", str(d), "--port", "0", "--metrics-port", "0"]) == 0
    config = load_service(d)
    seller = AgentKey.generate("seller", b"m")
    bidder = AgentKey.generate("bidder", b"m")

    async def go():
        servers = await _start(config)
        try:
            async with ServiceClient(config) as c:
                await c.register(seller)
                await c.register(bidder)
                await c.open_auction(seller, "m1", "second_price", 100, 100, bidders=1)
                sealed = sealed_bid(bidder, "m1", 3.0)
                await c.commit_bid(sealed)
                await c.reveal_bid(sealed)
                await c.close_auction("m1")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + T  # the client needed only a quorum's replies
            while len({s.status()["last_executed"] for s in servers}) > 1:
                assert loop.time() < deadline
                await asyncio.sleep(0.02)
            capsys.readouterr()
            code = await loop.run_in_executor(
                None, main, ["pbft", "status", "--config", str(d / "cluster.toml"), "--json"]
            )
            host, port = servers[0].metrics_address
            text = await loop.run_in_executor(
                None, lambda: urllib.request.urlopen(f"http://{host}:{port}/metrics").read()
            )
            return code, [s.status()["metrics"] for s in servers], text.decode()
        finally:
            for s in servers:
                await s.stop()

    code, metrics, text = asyncio.run(go())
    health = json.loads(capsys.readouterr().out)
    assert code == 0 and health["state"] == "healthy", health
    assert all(r is not None and r["last_executed"] >= 1 for r in health["replicas"])
    assert all(m for m in metrics)
    # the auction on replica 0: open, commit, reveal and close, each its own round
    assert 'accord_pbft_mechanism_rounds_count{mechanism="auction"} 1.0' in text
    auction = metrics[0]["mechanisms"]["auction"]
    assert auction["open"] == 0 and auction["rounds"]["sum"] == 4  # open, commit, reveal, close
