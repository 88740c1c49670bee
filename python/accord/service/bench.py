"""Throughput of the service: sealed-bid auctions over TCP, and the primitives.

:func:`bench_auctions` starts ``n`` replica processes (``accord service serve``) and
``procs`` load-generator processes; each runs ``concurrent`` auctions at a time in
closed loops: ``auction_open`` by the seller, ``bidders`` signed commitments (each
bidder on its own PBFT client id, all at once), their reveals, ``auction_close`` (the
client collects a quorum of endorsements and checks them together, as the aggregate
that is the certificate) and ``certify`` (the certificate recorded in the ledger).  An auction
counts when its certificate is recorded inside the measurement window.

:func:`bench_hierarchy` times two-level agreements: groups of replicas agree on
positions and a parent cluster aggregates their certified outcomes
(:mod:`.hierarchy`).  :func:`bench_primitives` times each primitive in this process
(operations per second).  ``python -m accord.service.bench`` prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..consensus.bench import LocalCluster, _cpu_busy, _cpu_s, _percentiles

__all__ = ["ServiceCluster", "bench_auctions", "bench_hierarchy", "bench_primitives"]


class ServiceCluster(LocalCluster):
    """A :class:`~accord.consensus.bench.LocalCluster` of service replicas."""

    command = ("service", "serve")

    def _generate(self, **options: Any) -> Path:
        from .deploy import generate_service

        return generate_service(self.dir, **options)


async def _load(args: dict[str, Any]) -> dict[str, Any]:
    from .client import sealed_bid
    from .remote import ServiceClient
    from .signing import AgentKey

    proc, k, m = args["proc"], args["concurrent"], args["bidders"]
    scheme, bits = args["scheme"], args["bits"]
    t_begin = args["start_at"] + args["warmup"]
    t_end = t_begin + args["seconds"]
    sellers = [AgentKey.generate(f"s{proc}-{i}", b"bench") for i in range(k)]
    bidders = [
        [AgentKey.generate(f"b{proc}-{i}-{j}", b"bench") for j in range(m)] for i in range(k)
    ]
    latencies: list[float] = []
    ops = 0
    async with ServiceClient(args["config"], args["ids"], connect_timeout=30) as c:
        await c.transport.wait_connected(None, timeout=30)
        for i in range(k):
            await asyncio.gather(*(c.register(a) for a in (sellers[i], *bidders[i])))
        await asyncio.sleep(max(0.0, args["start_at"] - time.time()))

        async def run(i: int) -> None:
            nonlocal ops
            count = 0
            while True:
                t0 = time.time()
                if t0 >= t_end:
                    return
                aid = f"p{proc}-{i}-{count}"
                count += 1
                extra = {"bits": bits} if scheme == "pedersen" else {}
                await c.open_auction(
                    sellers[i],
                    aid,
                    "second_price",
                    1 << 30,
                    1 << 30,
                    bidders=m,
                    commitment=scheme,
                    **extra,
                )
                values = [(7919 * (count + j) + 13 * i) % min(1000, 1 << bits) for j in range(m)]
                sealed = [
                    sealed_bid(b, aid, v if scheme == "pedersen" else float(v), scheme, bits)
                    for b, v in zip(bidders[i], values, strict=True)
                ]
                await asyncio.gather(*(c.commit_bid(s) for s in sealed))
                await asyncio.gather(*(c.reveal_bid(s) for s in sealed))
                await c.close_auction(aid)
                t1 = time.time()
                ops += 2 * m + 3
                if t_begin <= t1 < t_end:
                    latencies.append(t1 - t0)

        try:
            await asyncio.wait_for(
                asyncio.gather(*(run(i) for i in range(k))), t_end - time.time() + 60
            )
            timed_out = False
        except asyncio.TimeoutError:
            timed_out = True
    return {
        "completed": len(latencies),
        "latencies": latencies,
        "ops": ops,
        "timed_out": timed_out,
        "cpu_s": _cpu_s(),
    }


def bench_auctions(
    n: int = 4,
    bidders: int = 10,
    seconds: float = 5.0,
    concurrent: int = 8,
    procs: int = 2,
    scheme: str = "hash",
    bits: int = 16,
    batch: int = 64,
    warmup: float = 1.0,
    storage: str = "memory",
    workdir: str | Path | None = None,
    **protocol: Any,
) -> dict[str, Any]:
    """Sealed-bid second-price auctions per second on a local TCP cluster (see the
    module docstring); ``concurrent`` auctions per load process."""
    if scheme not in ("hash", "pedersen"):
        raise ValueError(f"scheme must be 'hash' or 'pedersen'; got {scheme!r}")
    if min(n, bidders, concurrent, procs) < 1 or seconds <= 0:
        raise ValueError("n, bidders, concurrent, procs and seconds must be positive")
    per_proc = concurrent * (bidders + 1)
    with ServiceCluster(n, batch, per_proc * procs, workdir, storage, **protocol) as local:
        ids = local.cluster.client_ids
        start_at = time.time() + 3.0 + 0.05 * concurrent * (bidders + 1)
        workers = []
        for p in range(procs):
            arg = {
                "config": str(local.path),
                "ids": ids[p * per_proc : (p + 1) * per_proc],
                "proc": p,
                "concurrent": concurrent,
                "bidders": bidders,
                "scheme": scheme,
                "bits": bits,
                "start_at": start_at,
                "warmup": warmup,
                "seconds": seconds,
            }
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "accord.service.bench", "load", json.dumps(arg)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        # the machine's load over the measurement window only (not the start-up)
        time.sleep(max(0.0, start_at + warmup - time.time()))
        busy0, wall0 = _cpu_busy(), time.monotonic()
        time.sleep(max(0.0, start_at + warmup + seconds - time.time()))
        busy1, wall1 = _cpu_busy(), time.monotonic()
        results, errors = [], []
        for w in workers:
            out, err = w.communicate(timeout=warmup + seconds + 180)
            if w.returncode != 0:
                errors.append(err.decode(errors="replace")[-2000:])
            else:
                results.append(json.loads(out))
        status = local.stop()
    if errors:
        raise RuntimeError("load generator failed:\n" + "\n".join(errors))
    done = sum(r["completed"] for r in results)
    res: dict[str, Any] = {
        "n": n,
        "bidders": bidders,
        "scheme": scheme,
        "concurrent": concurrent * procs,
        "batch": batch,
        "seconds": seconds,
        "auctions": done,
        "auctions_per_s": round(done / seconds, 1),
        "ops_per_s": round(done * (2 * bidders + 3) / seconds, 1),
        **_percentiles([x for r in results for x in r["latencies"]]),
        "timed_out": any(r["timed_out"] for r in results),
        "replica_cpu_s": [s.get("cpu_s") for _, s in sorted(status.items())],
        "load_cpu_s": [r.get("cpu_s") for r in results],
    }
    if busy0 is not None and busy1 is not None:
        res["machine_busy_cores"] = round((busy1 - busy0) / (wall1 - wall0), 2)
    return res


async def _tree_load(
    configs: dict[str, Path], agents: int, concurrent: int, seconds: float, warmup: float
) -> dict[str, Any]:
    from .deploy import load_service
    from .remote import ServiceClient
    from .signing import AgentKey

    services = {g: load_service(p) for g, p in configs.items()}
    *groups, parent = services
    owner = AgentKey.generate("owner", b"bench")
    members = [AgentKey.generate(f"a{j}", b"bench") for j in range(agents)]
    clients = {
        g: ServiceClient(s, s.cluster.client_ids, connect_timeout=30) for g, s in services.items()
    }
    latencies: list[float] = []
    for c in clients.values():
        await c.start()
    try:
        for g, c in clients.items():
            await c.transport.wait_connected(None, timeout=30)
            await asyncio.gather(
                *(c.register(k) for k in (owner, *(members if g != parent else ())))
            )
        top = clients[parent]
        for g in groups:
            await top.register_group(owner, g, services[g].certificate_keys)
        t_begin = time.time() + warmup
        t_end = t_begin + seconds

        async def leaf(g: str, topic: str, values: list[list[float]]) -> Any:
            c = clients[g]
            await c.open_topic(owner, topic, "median", 2, 1 << 30, expect=agents)
            await asyncio.gather(
                *(c.submit_position(k, topic, x) for k, x in zip(members, values, strict=True))
            )
            return await top.submit_group(topic, g, await c.close_topic(topic))

        async def run(i: int) -> None:
            count = 0
            while time.time() < t_end:
                t0 = time.time()
                topic = f"r{i}-{count}"
                count += 1
                await top.open_group_topic(owner, topic, "median", 2, groups, 1 << 30)
                await asyncio.gather(
                    *(
                        leaf(g, topic, [[float(j + k), float(count)] for j in range(agents)])
                        for k, g in enumerate(groups)
                    )
                )
                await top.close_group_topic(topic)
                t1 = time.time()
                if t_begin <= t1 < t_end:
                    latencies.append(t1 - t0)

        async def busy() -> float | None:
            await asyncio.sleep(max(0.0, t_begin - time.time()))
            b0, w0 = _cpu_busy(), time.monotonic()
            await asyncio.sleep(max(0.0, t_end - time.time()))
            b1, w1 = _cpu_busy(), time.monotonic()
            return None if b0 is None or b1 is None else (b1 - b0) / (w1 - w0)

        *_, cores = await asyncio.gather(*(run(i) for i in range(concurrent)), busy())
    finally:
        for c in clients.values():
            await c.close()
    return {"completed": len(latencies), "latencies": latencies, "busy_cores": cores}


def bench_hierarchy(
    groups: int = 3,
    n: int = 4,
    agents: int = 4,
    seconds: float = 5.0,
    concurrent: int = 4,
    batch: int = 64,
    warmup: float = 1.0,
    workdir: str | Path | None = None,
) -> dict[str, Any]:
    """Two-level agreements per second: ``groups`` service clusters of ``n`` replicas
    each agree on a position topic (``agents`` signed positions, certified close), relay
    their certified outcomes to a parent cluster of ``n`` replicas (``group_submit``,
    certificate checked there) which closes the group topic with its own certificate;
    ``concurrent`` rounds at a time, the load in this process."""
    if min(groups, n, agents, concurrent) < 1 or seconds <= 0:
        raise ValueError("groups, n, agents, concurrent and seconds must be positive")
    names = [f"g{k}" for k in range(groups)] + ["parent"]
    base = Path(tempfile.mkdtemp(prefix="accord-tree-")) if workdir is None else Path(workdir)
    with contextlib.ExitStack() as stack:
        clusters = {}
        for g in names:
            clients = concurrent * (groups + 1) if g == "parent" else concurrent * (agents + 1)
            local = ServiceCluster(n, batch, clients, base / g, "memory")
            clusters[g] = stack.enter_context(local)
        configs = {g: local.path for g, local in clusters.items()}
        out = asyncio.run(_tree_load(configs, agents, concurrent, seconds, warmup))
    if workdir is None:
        shutil.rmtree(base, ignore_errors=True)
    res: dict[str, Any] = {
        "groups": groups,
        "n": n,
        "agents": agents,
        "concurrent": concurrent,
        "batch": batch,
        "seconds": seconds,
        "rounds": out["completed"],
        "rounds_per_s": round(out["completed"] / seconds, 1),
        **_percentiles(out["latencies"]),
    }
    if out["busy_cores"] is not None:
        res["machine_busy_cores"] = round(out["busy_cores"], 2)
    return res


def _rate(fn: Any, min_time: float = 0.3) -> float:
    """Calls of ``fn()`` per second (repeated for at least ``min_time`` seconds)."""
    fn()
    count, t0 = 0, time.perf_counter()
    while True:
        fn()
        count += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return round(count / elapsed, 1)


def bench_primitives(bits: int = 16, sizes: tuple[int, ...] = (4, 7, 10)) -> dict[str, float]:
    """Operations per second of each primitive, one thread."""
    from . import bls
    from .hash_commit import hash_commit, verify_hash_commit
    from .pedersen import commit, prove_opening, verify_opening_proof
    from .range_proof import prove_range, verify_range
    from .signing import AgentKey, check_signature

    ctx = b"bench"
    out: dict[str, float] = {}
    c, salt = hash_commit(123.5, ctx)
    out["hash_commit"] = _rate(lambda: hash_commit(123.5, ctx))
    out["hash_verify"] = _rate(lambda: verify_hash_commit(c, 123.5, salt, ctx))
    value = 1234 % (1 << bits)  # a value the range proof covers
    pc, r = commit(value)
    out["pedersen_commit"] = _rate(lambda: commit(value))
    proof = prove_opening(pc, value, r, ctx)
    out["opening_prove"] = _rate(lambda: prove_opening(pc, value, r, ctx))
    out["opening_verify"] = _rate(lambda: verify_opening_proof(pc, proof, ctx))
    rp = prove_range(pc, value, r, bits, ctx)
    out[f"range{bits}_prove"] = _rate(lambda: prove_range(pc, value, r, bits, ctx))
    out[f"range{bits}_verify"] = _rate(lambda: verify_range(pc, rp, bits, ctx))
    agent = AgentKey.generate("a", b"bench")
    op = agent.sign({"op": "auction_commit", "auction": "a1", "agent": "a", "commitment": c.hex()})
    public = agent.secret.public_key()
    out["ed25519_sign"] = _rate(lambda: agent.sign(op))
    out["ed25519_verify"] = _rate(lambda: check_signature(public, op))
    outcome = {"kind": "auction", "id": "a1", "winner": "b3", "price": 12.0}
    message = bls.certificate_message(outcome)
    key = bls.BlsKey.generate(b"b" * 32)
    sig = key.sign(message)
    out["bls_sign"] = _rate(lambda: key.sign(message))
    out["bls_verify"] = _rate(lambda: bls.verify(key.public, message, sig))
    for n in sizes:
        keys = [bls.BlsKey.generate(bytes([r]) * 32) for r in range(n)]
        q = bls.quorum(n)
        shares = {r: keys[r].sign(message) for r in range(q)}
        cert = bls.certify(shares)
        publics = [k.public for k in keys]
        out[f"certify_n{n}"] = _rate(lambda shares=shares: bls.certify(shares))
        out[f"certificate_verify_n{n}"] = _rate(
            lambda cert=cert, publics=publics: bls.verify_certificate(outcome, cert, publics)
        )
        # a client's check of a quorum of endorsements: together, then one by one
        out[f"shares_verify_n{n}"] = _rate(
            lambda shares=shares, publics=publics: bls.verify_shares(message, shares, publics)
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m accord.service.bench", description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[4])
    parser.add_argument("--scheme", nargs="+", default=["hash", "pedersen"])
    parser.add_argument("--bidders", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrent", type=int, default=8, help="auctions per load process")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--no-primitives", action="store_true", help="skip the primitives")
    parser.add_argument(
        "--groups",
        type=int,
        default=0,
        help="also time two-level agreements: this many groups and a parent, each of --n",
    )
    parser.add_argument("--no-auctions", action="store_true", help="skip the auctions")
    args = parser.parse_args(argv)
    if not args.no_primitives:
        print(json.dumps({"primitives_per_s": bench_primitives()}), flush=True)
    if args.groups:
        for n in args.n:
            res = bench_hierarchy(args.groups, n, seconds=args.seconds, batch=args.batch)
            print(json.dumps(res), flush=True)
    if args.no_auctions:
        return
    for n in args.n:
        for scheme in args.scheme:
            res = bench_auctions(
                n,
                args.bidders,
                args.seconds,
                args.concurrent,
                args.procs,
                scheme,
                batch=args.batch,
            )
            print(json.dumps(res), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "load":
        sys.stdout.write(json.dumps(asyncio.run(_load(json.loads(sys.argv[2])))))
        sys.stdout.flush()
    else:
        main()
