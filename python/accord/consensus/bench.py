"""Throughput, latency and view-change cost of the PBFT service.

Two transports:

* ``"tcp"``: a real local cluster, one OS process per replica (``python -m accord
  pbft serve``) and ``procs`` load-generator processes, each driving many client ids
  in closed loops over one connection per replica.  Throughput counts the requests
  whose result arrived inside the measurement window (after a warm-up); latency is
  the client-observed time from submit to result (``f + 1`` matching replies).
* ``"sim"``: :class:`~accord.consensus.simnet.SimCluster`, every replica and client in
  this process on the simulated network.  Throughput is committed (completed)
  requests per *wall-clock* second, i.e. the CPU cost of the protocol plus the
  simulator; latencies are in *virtual* time (the simulated links' delays).

View change: the primary (replica 0) is killed (TCP: SIGKILL of its process; sim:
node ``r0`` crashes) while clients run; the cost is the time from the kill to the
first request completed in a view > 0, as the clients see it.  It includes the
client retransmission timeout and the backups' view-change timeout, which start
the view change, so it is dominated by ``client_timeout`` + ``view_change_timeout``.

Every function returns a dict; ``accord pbft bench`` prints them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .cluster_config import ClusterConfig, generate_cluster, load_cluster
from .config import ProtocolConfig

__all__ = ["bench_sim", "bench_tcp", "view_change_sim", "view_change_tcp", "LocalCluster"]

OPS = ("null", "kv")


def op_stream(kind: str, client_id: int):
    """Endless operations for client ``client_id``: ``null`` (noop) or ``kv`` (a mix of
    set / increment / compare_and_set / get on 64 keys, one get in four)."""
    if kind not in OPS:
        raise ValueError(f"ops must be one of {OPS}; got {kind!r}")
    if kind == "null":
        op = {"op": "noop"}
        while True:
            yield op
    i = 0
    while True:
        key = f"k{(client_id + i) % 64}"
        r = i % 4
        if r == 0:
            yield {"op": "set", "key": key, "value": i}
        elif r == 1:
            yield {"op": "increment", "key": key, "amount": 1}
        elif r == 2:
            yield {"op": "compare_and_set", "key": key, "expected": i, "new": i + 1}
        else:
            yield {"op": "get", "key": key}
        i += 1


def _cpu_busy() -> float | None:
    """Seconds of CPU time the whole machine has spent busy (Linux ``/proc/stat``)."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
        vals = [int(x) for x in parts[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return (sum(vals[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {"p50_ms": None, "p99_ms": None}
    s = sorted(latencies)

    def pct(p: float) -> float:
        return round(1000 * s[min(len(s) - 1, int(p * len(s)))], 3)

    return {"p50_ms": pct(0.50), "p99_ms": pct(0.99)}


# ====================================================================== sim
def _sim_cluster(n: int, batch: int, clients: int, seed: int, **protocol):
    from .simnet import SimCluster

    cfg = ProtocolConfig(n=n, batch_size=batch, **protocol)
    return SimCluster(cfg, clients=clients, seed=seed)


class _SimLoad:
    """Keeps every simulated client busy and records completion times."""

    def __init__(self, sim, ops: str, chunk: int = 16) -> None:
        self.sim, self.chunk = sim, chunk
        self.streams = {client_id: op_stream(ops, client_id) for client_id in sim.client_ids}
        self.submitted = dict.fromkeys(sim.client_ids, 0)
        self.completed = dict.fromkeys(sim.client_ids, 0)
        self.events: list[tuple[float, float, int]] = []  # wall, virtual, view
        for client_id in sim.client_ids:
            client = sim.client(client_id)
            client.on_result = self._wrap(client, client.on_result)
        self.top_up()

    def _wrap(self, client, orig):
        def on_result(client_id, timestamp, result):
            self.completed[client_id] += 1
            self.events.append((time.perf_counter(), self.sim.net.now, client.view))
            orig(client_id, timestamp, result)

        return on_result

    def top_up(self) -> None:
        for client_id in self.sim.client_ids:
            if self.submitted[client_id] - self.completed[client_id] < self.chunk // 2:
                s = self.streams[client_id]
                self.sim.submit(client_id, [next(s) for _ in range(self.chunk)])
                self.submitted[client_id] += self.chunk


def bench_sim(
    n: int = 4,
    batch: int = 100,
    seconds: float = 3.0,
    clients: int = 64,
    ops: str = "null",
    warmup: float = 0.5,
    seed: int = 0,
    **protocol,
) -> dict:
    """Committed requests per wall-clock second on the simulated network."""
    sim = _sim_cluster(n, batch, clients, seed, **protocol)
    try:
        load = _SimLoad(sim, ops)
        t0 = time.perf_counter()
        t_begin, t_end = t0 + warmup, t0 + warmup + seconds
        step = 0.005
        while time.perf_counter() < t_end:
            sim.net.run(sim.net.now + step)
            load.top_up()
        win = [e for e in load.events if t_begin <= e[0] < t_end]
        v0 = win[0][1] if win else 0.0
        v1 = win[-1][1] if win else 0.0
        latencies = [
            r.complete - r.invoke
            for r in sim.history
            if r.complete is not None and v0 <= r.complete <= v1
        ]
        rejected = sum(sum(sim.replica(r).rejected.values()) for r in range(n))
        views = max(sim.replica(r).view for r in range(n))
        return {
            "transport": "sim",
            "n": n,
            "batch": batch,
            "clients": clients,
            "ops": ops,
            "seconds": seconds,
            "completed": len(win),
            "ops_per_s": round(len(win) / seconds, 1),
            "virtual_s": round(v1 - v0, 4),
            "virtual_ops_per_s": round(len(win) / (v1 - v0), 1) if v1 > v0 else None,
            **_percentiles(latencies),
            "latency_clock": "virtual",
            "max_view": views,
            "rejected": rejected,
        }
    finally:
        sim.close()


def view_change_sim(
    n: int = 4,
    batch: int = 100,
    clients: int = 16,
    ops: str = "null",
    warmup: float = 0.5,
    seed: int = 0,
    limit: float = 60.0,
    **protocol,
) -> dict:
    """Crash the primary ``r0`` at virtual time ``warmup``; time (virtual and wall) to
    the first request completed in a view > 0."""
    sim = _sim_cluster(n, batch, clients, seed, **protocol)
    try:
        load = _SimLoad(sim, ops)
        while sim.net.now < warmup:
            sim.net.run(sim.net.now + 0.01)
            load.top_up()
        before = len(load.events)
        sim.net.crash("r0")
        v_kill, w_kill = sim.net.now, time.perf_counter()
        done = None
        while done is None and sim.net.now < v_kill + limit:
            sim.net.run(
                sim.net.now + 0.01, stop=lambda: load.events[-1][2] > 0 if load.events else False
            )
            load.top_up()
            done = next((e for e in load.events[before:] if e[2] > 0), None)
        res = {
            "transport": "sim",
            "n": n,
            "batch": batch,
            "clients": clients,
            "ops_before_kill": before,
            "view_change_virtual_s": None,
            "view_change_wall_s": None,
            "new_view": max(sim.replica(r).view for r in range(1, n)),
            "view_change_timeout": sim.cfg.view_change_timeout,
            "client_timeout": sim.cfg.client_timeout,
        }
        if done is not None:
            res["view_change_virtual_s"] = round(done[1] - v_kill, 4)
            res["view_change_wall_s"] = round(done[0] - w_kill, 4)
        return res
    finally:
        sim.close()


# ====================================================================== tcp
def _wait_port(host: str, port: int, deadline: float, proc: subprocess.Popen) -> None:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"replica process on port {port} exited with code {proc.returncode}; see its log"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica on {host}:{port} did not start listening") from None
            time.sleep(0.05)


class LocalCluster:
    """``n`` replica processes on loopback, in ``workdir`` (a temp dir when None),
    each ``python -m accord <command> --id R --config PATH ...``."""

    command: tuple[str, ...] = ("pbft", "serve")

    def __init__(
        self,
        n: int = 4,
        batch: int = 100,
        clients: int = 256,
        workdir: str | Path | None = None,
        storage: str = "sqlite",
        auth: str = "hmac",
        **protocol,
    ) -> None:
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="accord-pbft-")
            workdir = self._tmp.name
        self.dir = Path(workdir)
        self.path = self._generate(
            n=n, clients=clients, base_port=0, auth=auth, batch_size=batch, force=True, **protocol
        )
        self.cluster: ClusterConfig = load_cluster(self.dir / "cluster.toml")
        self.storage = storage
        self.procs: dict[int, subprocess.Popen] = {}
        self._logs: list = []

    def _generate(self, **options: Any) -> Path:
        """Write the cluster's files; the path ``--config`` names."""
        return generate_cluster(self.dir, **options)

    def start(self, timeout: float = 30.0) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for r in range(self.cluster.n):
            logf = open(self.dir / f"replica-{r}.log", "wb")  # noqa: SIM115
            self._logs.append(logf)
            self.procs[r] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "accord",
                    *self.command,
                    "--id",
                    str(r),
                    "--config",
                    str(self.path),
                    "--storage",
                    self.storage,
                    "--status-file",
                    str(self.dir / f"status-{r}.json"),
                ],
                stdout=logf,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + timeout
        for r, p in self.procs.items():
            _wait_port(*self.cluster.address(r), deadline, p)

    def kill(self, r: int) -> None:
        p = self.procs[r]
        p.kill()
        p.wait()

    def stop(self) -> dict[int, dict]:
        """Stop every replica (SIGTERM, then SIGKILL) and return their final status."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in self._logs:
            f.close()
        self._logs.clear()
        out = {}
        for r in self.procs:
            f = self.dir / f"status-{r}.json"
            if f.exists():
                with contextlib.suppress(ValueError):
                    out[r] = json.loads(f.read_text())
        return out

    def log_tail(self, r: int, lines: int = 20) -> str:
        f = self.dir / f"replica-{r}.log"
        return "\n".join(f.read_text(errors="replace").splitlines()[-lines:]) if f.exists() else ""

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


async def _load(
    config: str, ids: list[int], ops: str, start_at: float, warmup: float, seconds: float
) -> dict:
    from .tcp import AsyncClient

    cluster = load_cluster(config)
    t_begin, t_end = start_at + warmup, start_at + warmup + seconds
    latencies: list[float] = []
    async with AsyncClient(cluster, ids) as c:
        await c.wait_connected(None, timeout=30)
        await asyncio.sleep(max(0.0, start_at - time.time()))

        async def run(client_id: int) -> None:
            stream = op_stream(ops, client_id)
            submit, now = c.submit, time.time
            while True:
                t0 = now()
                if t0 >= t_end:
                    return
                await submit(next(stream), client_id=client_id)
                t1 = now()
                if t_begin <= t1 < t_end:
                    latencies.append(t1 - t0)

        try:
            await asyncio.wait_for(
                asyncio.gather(*(run(client_id) for client_id in ids)), t_end - time.time() + 30
            )
            timed_out = False
        except asyncio.TimeoutError:
            timed_out = True
        counters = dict(c.counters)
    return {
        "completed": len(latencies),
        "latencies": latencies,
        "timed_out": timed_out,
        "counters": counters,
        "cpu_s": _cpu_s(),
    }


def _cpu_s() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 3)


def _load_main(argv: list[str]) -> None:
    """Entry point of a load-generator process: JSON arguments in, JSON result out."""
    args = json.loads(argv[0])
    res = asyncio.run(
        _load(
            args["config"],
            args["ids"],
            args["ops"],
            args["start_at"],
            args["warmup"],
            args["seconds"],
        )
    )
    sys.stdout.write(json.dumps(res))
    sys.stdout.flush()


def bench_tcp(
    n: int = 4,
    batch: int = 100,
    seconds: float = 5.0,
    clients: int = 256,
    ops: str = "null",
    procs: int = 2,
    warmup: float = 1.0,
    storage: str = "sqlite",
    workdir: str | Path | None = None,
    **protocol,
) -> dict:
    """Throughput and latency of a local TCP cluster of ``n`` replica processes."""
    if procs < 1 or clients < procs:
        raise ValueError(
            f"bench_tcp(): need 1 <= procs <= clients; got procs={procs}, clients={clients}"
        )
    if ops not in OPS:
        raise ValueError(f"ops must be one of {OPS}; got {ops!r}")
    with LocalCluster(n, batch, clients, workdir, storage, **protocol) as local:
        ids = local.cluster.client_ids[:clients]
        start_at = time.time() + 2.0
        workers = []
        for k in range(procs):
            arg = json.dumps(
                {
                    "config": str(local.path),
                    "ids": ids[k::procs],
                    "ops": ops,
                    "start_at": start_at,
                    "warmup": warmup,
                    "seconds": seconds,
                }
            )
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "accord.consensus.bench", "load", arg],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        busy0, wall0 = _cpu_busy(), time.monotonic()
        results, errors = [], []
        for w in workers:
            out, err = w.communicate(timeout=warmup + seconds + 120)
            if w.returncode != 0:
                errors.append(err.decode(errors="replace")[-2000:])
            else:
                results.append(json.loads(out))
        busy1, wall1 = _cpu_busy(), time.monotonic()
        status = local.stop()
    if errors:
        raise RuntimeError("load generator failed:\n" + "\n".join(errors))
    latencies = [x for r in results for x in r["latencies"]]
    done = sum(r["completed"] for r in results)
    res = {
        "transport": "tcp",
        "n": n,
        "batch": batch,
        "clients": clients,
        "ops": ops,
        "procs": procs,
        "storage": storage,
        "seconds": seconds,
        "completed": done,
        "ops_per_s": round(done / seconds, 1),
        **_percentiles(latencies),
        "latency_clock": "wall",
        "timed_out": any(r["timed_out"] for r in results),
        "retransmit_timeouts": sum(
            r.get("counters", {}).get("retransmit_timeouts", 0) for r in results
        ),
    }
    if status:
        res["max_view"] = max(s.get("view", 0) for s in status.values())
        res["executed"] = max(
            s.get("stats", {}).get("executed_requests", 0) for s in status.values()
        )
        res["replica_errors"] = sum(
            s.get("transport", {}).get("errors", 0) for s in status.values()
        )
        res["rejected"] = sum(sum(s.get("rejected", {}).values()) for s in status.values())
        res["dropped"] = sum(
            v
            for s in status.values()
            for k, v in s.get("transport", {}).items()
            if k.startswith("dropped")
        )
        res["replica_cpu_s"] = [s.get("cpu_s") for _, s in sorted(status.items())]
    res["load_cpu_s"] = [r.get("cpu_s") for r in results]
    if busy0 is not None and busy1 is not None:
        # all processes on the machine, ours included: how contended the run was
        res["machine_busy_cores"] = round((busy1 - busy0) / (wall1 - wall0), 2)
        res["cpus"] = os.cpu_count()
    return res


async def _view_change_load(
    local: LocalCluster, clients: int, ops: str, warmup: float, limit: float
) -> dict:
    from .tcp import AsyncClient

    ids = local.cluster.client_ids[:clients]
    async with AsyncClient(local.cluster, ids) as c:
        await c.wait_connected(None, timeout=30)
        events: list[tuple[float, int]] = []
        stop = asyncio.Event()
        base: list[int] = []  # the view the killed primary led, once it is killed

        async def run(client_id: int) -> None:
            stream = op_stream(ops, client_id)
            client = c.clients[client_id]
            while not stop.is_set():
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                    await c.submit(next(stream), client_id=client_id, timeout=limit)
                    events.append((time.time(), client.view))
                    if base and client.view > base[0]:
                        stop.set()

        tasks = [asyncio.ensure_future(run(client_id)) for client_id in ids]
        await asyncio.sleep(warmup)
        before = len(events)
        view = c.view()  # normally 0; later if a view change happened during warm-up
        t_kill = time.time()
        local.kill(local.cluster.protocol.primary(view))
        base.append(view)
        try:
            await asyncio.wait_for(stop.wait(), limit)
        except (TimeoutError, asyncio.TimeoutError):
            pass
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        first = next((e for e in events[before:] if e[1] > view), None)
        return {
            "ops_before_kill": before,
            "killed_primary_of_view": view,
            "view_change_wall_s": round(first[0] - t_kill, 4) if first else None,
            "new_view": first[1] if first else None,
        }


def view_change_tcp(
    n: int = 4,
    batch: int = 100,
    clients: int = 16,
    ops: str = "null",
    warmup: float = 2.0,
    storage: str = "sqlite",
    limit: float = 60.0,
    workdir: str | Path | None = None,
    **protocol,
) -> dict:
    """SIGKILL the primary's process under load; wall time to the first request
    completed in a later view (client-observed)."""
    with LocalCluster(n, batch, max(clients, 1), workdir, storage, **protocol) as local:
        res = asyncio.run(_view_change_load(local, clients, ops, warmup, limit))
        cfg = local.cluster.protocol
        status = local.stop()
    res.update(
        {
            "transport": "tcp",
            "n": n,
            "batch": batch,
            "clients": clients,
            "view_change_timeout": cfg.view_change_timeout,
            "client_timeout": cfg.client_timeout,
        }
    )
    if status:
        res["views_after"] = sorted({s.get("view") for s in status.values()})
    return res


def sweep(transport: str, ns, batches, **kw) -> list[dict[str, Any]]:
    fn = bench_tcp if transport == "tcp" else bench_sim
    return [fn(n=n, batch=b, **kw) for n in ns for b in batches]


if __name__ == "__main__":  # load-generator processes of bench_tcp
    if len(sys.argv) == 3 and sys.argv[1] == "load":
        _load_main(sys.argv[2:])
    else:
        sys.exit("usage: python -m accord.consensus.bench load JSON")
