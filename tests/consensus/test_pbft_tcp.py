"""PBFT over asyncio TCP on loopback: a 4-replica cluster inside the test process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

import pytest

from accord.cli import main
from accord.consensus.cluster_config import generate_cluster, load_cluster
from accord.consensus.crypto import CLIENT_BASE
from accord.consensus.tcp import AsyncClient, ReplicaServer, encode_hello
from accord.consensus.tcp.client import reply_key

T = 15.0  # generous per-operation timeout (seconds)


def _cluster(tmp_path, n=4, clients=4, **protocol):
    protocol.setdefault("view_change_timeout", 2.0)
    return load_cluster(
        generate_cluster(tmp_path / "c", n=n, clients=clients, base_port=0, **protocol)
    )


async def _start(cluster, storage="memory"):
    servers = []
    try:
        for r in range(cluster.n):
            s = ReplicaServer(r, cluster, storage=storage)
            servers.append(s)
            await s.start()
        for s in servers:
            await s.wait_connected(T)
    except BaseException:
        await _stop(servers)
        raise
    return servers


async def _stop(servers):
    for s in servers:
        await s.stop()


def test_kv_operations_and_a_stopped_backup(tmp_path):
    cluster = _cluster(tmp_path)

    async def go():
        servers = await _start(cluster, storage="sqlite")
        try:
            async with AsyncClient(cluster, cluster.client_ids[:2]) as c:
                await c.wait_connected(timeout=T)
                sub = c.submit
                assert await sub({"op": "set", "key": "x", "value": 1}, timeout=T) is None
                assert await sub({"op": "get", "key": "x"}, timeout=T) == 1
                assert await sub({"op": "increment", "key": "x", "amount": 4}, timeout=T) == 5
                assert await sub({"op": "increment", "key": "x"}, timeout=T) == 6
                assert await sub(
                    {"op": "compare_and_set", "key": "x", "expected": 6, "new": "six"}, timeout=T
                ) == {"swapped": True, "value": "six"}
                assert await sub(
                    {"op": "compare_and_set", "key": "x", "expected": 6, "new": 7}, timeout=T
                ) == {"swapped": False, "value": "six"}
                a0 = await sub({"op": "append", "record": {"bid": 3}}, timeout=T)
                a1 = await sub({"op": "append", "record": [1, 2]}, timeout=T)
                assert (a0["index"], a1["index"]) == (0, 1)
                head = await sub({"op": "ledger_head"}, timeout=T)
                assert head == {"length": 2, "hash": a1["hash"]}
                # concurrent requests from both client ids
                res = await asyncio.wait_for(
                    asyncio.gather(*(sub({"op": "increment", "key": "n"}) for _ in range(10))), T
                )
                assert sorted(res) == list(range(1, 11))
                with pytest.raises(ValueError, match="unknown op"):
                    await sub({"op": "nope"})

                await servers[3].stop()  # a backup fails: f = 1 is tolerated
                assert await sub({"op": "set", "key": "y", "value": [1]}, timeout=T) is None
                assert await sub({"op": "get", "key": "y"}, timeout=T) == [1]
                assert await sub({"op": "increment", "key": "n"}, timeout=T) == 11
            for s in servers[:3]:
                st = s.status()
                assert st["view"] == 0 and st["transport"].get("errors", 0) == 0
                assert st["last_executed"] >= 10
        finally:
            await _stop(servers)
        assert (cluster.data_dir / "replica-0.db").exists()

    asyncio.run(go())


def test_a_backup_started_late_catches_up_without_a_checkpoint(tmp_path):
    """Replica 2 starts after the others have committed requests it never received;
    the next commits tell it that it is behind, and the retransmitted log lets it
    execute everything long before the first checkpoint (interval 128)."""
    cluster = _cluster(tmp_path, client_timeout=0.2)

    async def go():
        servers = [ReplicaServer(r, cluster, storage="memory") for r in range(cluster.n)]
        try:
            for r in (0, 1, 3):
                await servers[r].start()
            async with AsyncClient(cluster, cluster.client_ids[:1]) as c:
                await c.wait_connected(3, timeout=T)
                for _ in range(5):
                    await c.submit({"op": "increment", "key": "x"}, timeout=T)
                await servers[2].start()
                await asyncio.gather(*(s.wait_connected(T) for s in servers))
                assert servers[2].status()["last_executed"] == 0
                assert await c.submit({"op": "increment", "key": "x"}, timeout=T) == 6
                loop = asyncio.get_running_loop()
                deadline = loop.time() + T
                while servers[2].status()["last_executed"] < 6 and loop.time() < deadline:
                    await asyncio.sleep(0.05)
            st = servers[2].status()
            assert st["last_executed"] == servers[0].status()["last_executed"] == 6
            assert servers[2].replica.state_machine.execute({"op": "get", "key": "x"}) == 6
            assert servers[2].replica.stats["state_transfers"] == 0
        finally:
            await _stop(servers)

    asyncio.run(go())


def test_oversize_length_prefix_closes_the_connection(tmp_path):
    cluster = _cluster(tmp_path)
    limit = cluster.protocol.max_message_bytes

    async def go():
        servers = await _start(cluster)
        try:
            host, port = cluster.address(0)
            reader, writer = await asyncio.open_connection(host, port)
            try:
                hello = encode_hello({"role": "client", "ids": [CLIENT_BASE + 3]})
                writer.write(len(hello).to_bytes(4, "big") + hello)
                junk = b"not a frame at all"  # a well-framed body that is garbage
                writer.write(len(junk).to_bytes(4, "big") + junk)
                writer.write((limit + 1).to_bytes(4, "big") + b"xyz")
                await writer.drain()
                assert await asyncio.wait_for(reader.read(), T) == b""  # closed by the replica
            finally:
                writer.close()
                with contextlib.suppress(ConnectionError):  # the replica reset it
                    await writer.wait_closed()
            rep = servers[0]
            assert rep.counters["oversize_closed"] == 1
            assert rep.replica.rejected["oversize"] == 1
            assert rep.replica.rejected["malformed"] >= 1
            assert rep.counters.get("errors", 0) == 0
            async with AsyncClient(cluster) as c:  # the replica still serves
                assert await c.submit({"op": "increment", "key": "k"}, timeout=T) == 1
        finally:
            await _stop(servers)

    asyncio.run(go())


def test_frames_split_across_reads_and_a_failing_handler(tmp_path):
    from accord.consensus.tcp.connection import FramedProtocol

    class Collect(FramedProtocol):
        def __init__(self):
            super().__init__(100)
            self.got, self.big = [], []

        def frames(self, frames):
            self.got.extend(frames)

        def oversize(self, size):
            self.big.append(size)

    async def split():
        p = Collect()
        stream = b"".join(len(f).to_bytes(4, "big") + f for f in [b"a", b"", b"xyz" * 30])
        for i in range(len(stream)):
            p.data_received(stream[i : i + 1])
        p.data_received(stream + stream[:6])
        p.data_received(stream[6:] + (101).to_bytes(4, "big"))
        assert p.got == [b"a", b"", b"xyz" * 30] * 3 and p.big == [101]
        p.closed.cancel()

    asyncio.run(split())

    cluster = _cluster(tmp_path)

    async def go():
        servers = await _start(cluster)
        try:
            rep = servers[0].replica
            real = rep.on_frame

            def on_frame(fr):
                if b"boom" in fr:
                    raise RuntimeError("a bug triggered by this frame")
                real(fr)

            rep.on_frame = on_frame
            async with AsyncClient(cluster) as c:
                assert (
                    await c.submit({"op": "set", "key": "boom", "value": 1}, timeout=T) is None
                )  # the backups relay it
                assert await c.submit({"op": "get", "key": "x"}, timeout=T) is None
            assert servers[0].counters["errors"] >= 1
        finally:
            await _stop(servers)

    asyncio.run(go())


def test_reply_key_peeks_client_and_timestamp():
    from accord.consensus.messages import REPLY, encode_payload, frame

    fr = frame(
        encode_payload([REPLY, 2, 0, CLIENT_BASE + 5, 1234, {"a": [1, 2]}, False, None]),
        b"\0" * 16,
    )
    assert reply_key(fr) == (CLIENT_BASE + 5, 1234)
    assert reply_key(b"\0\0\0\x05junk!") is None
    assert reply_key(b"") is None


def test_cli_init_load_and_client(tmp_path, capsys):
    d = tmp_path / "cl"
    assert main(["pbft", "init", str(d), "--n", "4", "--clients", "3", "--port", "0"]) == 0
    cfg = load_cluster(d / "cluster.toml", check_keys=True)
    assert cfg.n == 4 and len(cfg.replicas) == 4 and len(cfg.client_ids) == 3
    assert cfg.protocol.auth == "hmac"
    assert oct(cfg.key_path(0).stat().st_mode & 0o777) == "0o600"
    assert main(["pbft", "init", str(d)]) == 2  # refuses to overwrite
    assert "exists" in capsys.readouterr().err

    # serve the cluster from a thread, drive it with `accord pbft client`
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder = {}

    def serve():
        asyncio.set_event_loop(loop)

        async def run():
            holder["servers"] = await _start(cfg)
            holder["stop"] = asyncio.Event()
            started.set()
            await holder["stop"].wait()
            await _stop(holder["servers"])

        try:
            loop.run_until_complete(run())
        finally:
            started.set()
            loop.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        assert started.wait(T) and "servers" in holder
        conf = str(d / "cluster.toml")
        capsys.readouterr()
        assert main(["pbft", "client", "--config", conf, "set", "k", '{"a": 1}']) == 0
        assert main(["pbft", "client", "--config", conf, "get", "k"]) == 0
        assert (
            main(
                [
                    "pbft",
                    "client",
                    "--config",
                    conf,
                    "--id",
                    str(CLIENT_BASE + 1),
                    "increment",
                    "n",
                    "2",
                ]
            )
            == 0
        )
        assert main(["pbft", "client", "--config", conf, "cas", "n", "2", "word"]) == 0
        assert main(["pbft", "client", "--config", conf, "append", '{"e": 1}']) == 0
        assert main(["pbft", "client", "--config", conf, "head"]) == 0
        lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert lines[:4] == [None, {"a": 1}, 2, {"swapped": True, "value": "word"}]
        assert lines[4]["index"] == 0 and lines[5]["length"] == 1
        assert main(["pbft", "client", "--config", conf, "get"]) == 2
        assert "usage: get KEY" in capsys.readouterr().err
    finally:
        if "stop" in holder:
            loop.call_soon_threadsafe(holder["stop"].set)
        th.join(T)
    assert not th.is_alive()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace("n = 4", "n = 7", 1), "n = 7 but there are 4"),
        (lambda t: t.replace("id = 1\n", "id = 0\n", 1), "duplicate replica id 0"),
        (lambda t: t.replace("batch_size", "batch_sise", 1), "unknown field(s) batch_sise"),
        (lambda t: t.replace('sign_public = "', 'sign_public = "zz', 1), "64 hex digits"),
    ],
)
def test_cluster_file_validation(tmp_path, edit, message):
    path = generate_cluster(tmp_path, n=4, clients=1, base_port=7200, batch_size=10)
    path.write_text(edit(path.read_text()))
    with pytest.raises(ValueError, match="cluster.toml") as exc:
        load_cluster(path)
    assert message in str(exc.value)


def test_cluster_file_port_clash_and_missing_key(tmp_path):
    path = generate_cluster(tmp_path, n=4, clients=1, base_port=7300)
    text = path.read_text()
    path.write_text(text.replace("port = 7301", "port = 7300"))
    with pytest.raises(ValueError, match="both use 127.0.0.1:7300"):
        load_cluster(path)
    path.write_text(text)
    (tmp_path / "keys" / "replica-2.key").unlink()
    cfg = load_cluster(path)
    with pytest.raises(ValueError, match="missing key file .*replica-2.key"):
        cfg.keyring(2)
    (tmp_path / "keys" / "replica-1.key").chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        cfg.identity(1)
