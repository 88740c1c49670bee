"""The ``accord`` command line."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _fmt_row(name: str, *cols: str) -> str:
    return f"  {name:<20} " + " ".join(f"{c:>14}" for c in cols)


def _print_vector(title: str, names, values, extra=None, extra_title=None) -> None:
    print(title)
    if extra is not None:
        print(_fmt_row("player", "value", extra_title))
    for i, name in enumerate(names):
        cols = [f"{float(values[i]):.6g}"]
        if extra is not None:
            cols.append(f"{float(extra[i]):.3g}")
        print(_fmt_row(name, *cols))


def _load(path):
    from .coop.io import load_game

    return load_game(path)


def _timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def cmd_info(args) -> int:
    from ._info import format_info, info

    print(format_info(info()))
    return 0


def cmd_shapley(args) -> int:
    from .coop import shapley

    game, names = _load(args.file)
    if args.samples is None:
        phi, dt = _timed(lambda: shapley(game, device=args.device))
        _print_vector(f"Shapley value (exact, n = {game.n})", names, phi)
    else:
        est, dt = _timed(lambda: shapley(game, samples=args.samples, seed=args.seed,
                                         method=args.method, device=args.device,
                                         progress=True))
        _print_vector(f"Shapley value ({est.method} sampling, {est.samples} samples, "
                      f"seed {est.seed}, n = {game.n})", names, est.values, est.stderr,
                      "stderr")
    print(f"time: {dt:.4f} s")
    return 0


def cmd_banzhaf(args) -> int:
    from .coop import banzhaf

    game, names = _load(args.file)
    beta, dt = _timed(lambda: banzhaf(game, normalized=args.normalized, device=args.device))
    kind = "normalized" if args.normalized else "raw"
    _print_vector(f"Banzhaf index ({kind}, n = {game.n})", names, beta)
    print(f"time: {dt:.4f} s")
    return 0


def _parse_allocation(text: str) -> np.ndarray:
    try:
        return np.array([float(t) for t in text.replace(",", " ").split()])
    except ValueError:
        msg = f"--allocation must be numbers separated by commas; got {text!r}"
        raise ValueError(msg) from None


def cmd_core(args) -> int:
    from .coop import core_violation, in_core

    game, names = _load(args.file)
    x = _parse_allocation(args.allocation)
    (excess, mask), dt = _timed(lambda: core_violation(game, x, device=args.device))
    inside = in_core(game, x, tol=args.tol, device=args.device)
    members = [names[i] for i in range(game.n) if mask >> i & 1]
    print(f"allocation  {', '.join(f'{v:g}' for v in x)}")
    print(f"max excess  {excess:.6g} (coalition {{{', '.join(members)}}}, mask {mask})")
    print(f"in core     {'yes' if inside else 'no'} (tol {args.tol:g})")
    print(f"time: {dt:.4f} s")
    return 0


def cmd_nucleolus(args) -> int:
    from .coop import nucleolus

    game, names = _load(args.file)
    x, dt = _timed(lambda: nucleolus(game, imputation=not args.pre))
    _print_vector(f"{'pre' if args.pre else ''}nucleolus (n = {game.n})", names, x)
    print(f"time: {dt:.4f} s")
    return 0


def cmd_least_core(args) -> int:
    from .coop import least_core

    game, names = _load(args.file)
    res, dt = _timed(lambda: least_core(game))
    x, eps = res
    _print_vector(f"least core (n = {game.n}), eps = {eps:.6g}"
                  f" ({'core non-empty' if eps <= 1e-9 else 'core empty'})", names, x)
    print(f"time: {dt:.4f} s")
    return 0


def cmd_run(args) -> int:
    import traceback

    from . import experiments  # noqa: F401  (registers the built-in kinds)
    from .runner import (
        ExperimentInterrupted,
        RunFailed,
        get_kind,
        load,
        load_config,
        resolve,
        run_experiment,
    )

    config = load_config(args.config)
    try:
        s = run_experiment(config, args.results, executor=args.executor, workers=args.workers,
                           threads=args.threads, progress=False if args.no_progress else None)
    except ExperimentInterrupted as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return 130
    except RunFailed as exc:
        if exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__, file=sys.stderr)
        print(f"accord: error: {exc}", file=sys.stderr)
        return 1
    print(f"{config.name}: {s.total} runs ({s.cells} cells x {config.runs}) in {s.results}: "
          f"{s.skipped} already there, {s.completed} run now in {s.elapsed_s:.1f} s")
    kind = get_kind(config.kind)
    if kind.summary is not None:
        print()
        resolve(kind.summary)(load(s.results))
    print(f"report: accord report {s.results}")
    return 0


def cmd_report(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .experiments import report_experiment

    out = report_experiment(args.results, args.out)
    print(f"figures in {out}")
    return 0


# ------------------------------------------------------------------------ pbft
def _protocol_args(items) -> dict:
    """``KEY=VALUE`` options (values as JSON when possible) for ProtocolConfig fields."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--protocol takes KEY=VALUE (a ProtocolConfig field); got {item!r}")
        out[key.strip()] = _json_arg(value)
    return out


def cmd_pbft_init(args) -> int:
    from .consensus.cluster_config import generate_cluster, load_cluster

    proto = _protocol_args(args.protocol)
    if args.batch is not None:
        proto["batch_size"] = args.batch
    path = generate_cluster(args.dir, n=args.n, clients=args.clients, base_port=args.port,
                            auth=args.auth, host=args.host, force=args.force, **proto)
    cluster = load_cluster(path)
    ports = ", ".join(str(r.port) for r in cluster.replicas)
    print(f"wrote {path}: {args.n} replicas on {args.host} ports {ports}; "
          f"{args.clients} clients; secret keys in {cluster.key_dir}")
    print(f"start replica i: accord pbft serve --id i --config {path}")
    return 0


def cmd_pbft_serve(args) -> int:
    import asyncio
    import json
    import logging
    import os

    from .consensus.cluster_config import load_cluster
    from .consensus.tcp import run_replica

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    cluster = load_cluster(args.config)

    def ready(server) -> None:
        host, port = cluster.address(args.id)
        print(f"replica {args.id} ready on {host}:{port}", flush=True)

    prof_dir = os.environ.get("ACCORD_PBFT_PROFILE")  # a directory: cProfile each replica
    if prof_dir:
        import cProfile

        prof = cProfile.Profile()
        status = prof.runcall(asyncio.run, run_replica(args.id, cluster, storage=args.storage,
                                                       on_ready=ready))
        prof.dump_stats(os.path.join(prof_dir, f"replica-{args.id}.prof"))
    else:
        status = asyncio.run(run_replica(args.id, cluster, storage=args.storage,
                                         on_ready=ready))
    text = json.dumps(status, sort_keys=True)
    if args.status_file:
        with open(args.status_file, "w") as f:
            f.write(text + "\n")
    print(f"replica {args.id} stopped: {text}", flush=True)
    return 0


def _json_arg(text: str):
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _pbft_op(args) -> dict:
    a, name = args.args, args.op
    need = {"set": (2, 2), "get": (1, 1), "increment": (1, 2), "cas": (3, 3),
            "append": (1, 1), "head": (0, 0)}
    lo, hi = need[name]
    if not lo <= len(a) <= hi:
        usage = {"set": "set KEY VALUE", "get": "get KEY", "increment": "increment KEY [AMOUNT]",
                 "cas": "cas KEY EXPECTED NEW", "append": "append JSON", "head": "head"}[name]
        raise ValueError(f"pbft client {name}: usage: {usage}")
    if name == "set":
        return {"op": "set", "key": a[0], "value": _json_arg(a[1])}
    if name == "get":
        return {"op": "get", "key": a[0]}
    if name == "increment":
        amount = _json_arg(a[1]) if len(a) > 1 else 1
        return {"op": "increment", "key": a[0], "amount": amount}
    if name == "cas":
        return {"op": "compare_and_set", "key": a[0], "expected": _json_arg(a[1]),
                "new": _json_arg(a[2])}
    if name == "append":
        return {"op": "append", "record": _json_arg(a[0])}
    return {"op": "ledger_head"}


def cmd_pbft_client(args) -> int:
    import asyncio
    import json

    from .consensus.cluster_config import load_cluster
    from .consensus.tcp import AsyncClient

    op = _pbft_op(args)
    cluster = load_cluster(args.config)

    async def go():
        async with AsyncClient(cluster, args.id) as c:
            return await c.submit(op, timeout=args.timeout)

    try:
        result = asyncio.run(go())
    except (TimeoutError, asyncio.TimeoutError):
        print(f"accord: error: no result within {args.timeout} s; are at least "
              f"{cluster.protocol.quorum} replicas running?", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def _print_bench(rows) -> None:
    cols = ["transport", "n", "batch", "clients", "ops", "ops_per_s", "p50_ms", "p99_ms",
            "latency_clock", "completed", "max_view"]
    print(" ".join(f"{c:>13}" for c in cols))
    for r in rows:
        print(" ".join(f"{'-' if r.get(c) is None else r.get(c)!s:>13}" for c in cols))


def _run_dir(base, n: int, batch: int):
    from pathlib import Path

    return None if base is None else Path(base) / f"n{n}-batch{batch}"


def cmd_pbft_bench(args) -> int:
    import json

    from .consensus import bench

    proto = _protocol_args(args.protocol)
    if args.pipeline is not None:
        proto["pipeline"] = args.pipeline
    rows = []
    for n in args.n:
        for b in args.batch:
            if args.view_change:
                if args.transport == "tcp":
                    r = bench.view_change_tcp(n=n, batch=b, clients=args.clients or 16,
                                              ops=args.ops, storage=args.storage,
                                              workdir=_run_dir(args.dir, n, b), **proto)
                else:
                    r = bench.view_change_sim(n=n, batch=b, clients=args.clients or 16,
                                              ops=args.ops, seed=args.seed, **proto)
                vw, vv = r.get("view_change_wall_s"), r.get("view_change_virtual_s")
                print(f"{args.transport} n={n} batch={b}: primary killed -> first request "
                      f"completed in view {r.get('new_view')} after "
                      f"{'-' if vw is None else f'{vw:.3f}'} s wall"
                      + ("" if args.transport == "tcp" else
                         f", {'-' if vv is None else f'{vv:.3f}'} s virtual")
                      + f" (client_timeout {r['client_timeout']} s, view_change_timeout "
                        f"{r['view_change_timeout']} s)", flush=True)
            elif args.transport == "tcp":
                r = bench.bench_tcp(n=n, batch=b, seconds=args.seconds,
                                    clients=args.clients or 256, ops=args.ops,
                                    procs=args.procs, storage=args.storage,
                                    workdir=_run_dir(args.dir, n, b), **proto)
            else:
                r = bench.bench_sim(n=n, batch=b, seconds=args.seconds,
                                    clients=args.clients or 64, ops=args.ops, seed=args.seed,
                                    **proto)
            rows.append(r)
            if args.json:
                print(json.dumps(r), flush=True)
    if not args.view_change and not args.json:
        _print_bench(rows)
    return 0


def _add_pbft(sub) -> None:
    pbft = sub.add_parser("pbft", help="PBFT replicated key-value service over TCP").add_subparsers(
        dest="pbft_command", required=True)

    p = pbft.add_parser("init", help="write DIR/cluster.toml and key files")
    p.add_argument("dir", help="directory for cluster.toml, keys/ and data/")
    p.add_argument("--n", type=int, default=4, help="replicas (3f + 1 tolerates f faults)")
    p.add_argument("--clients", type=int, default=8, help="client identities to create")
    p.add_argument("--port", type=int, default=7000,
                   help="replica i listens on PORT + i (0: free ports now)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--auth", choices=["hmac", "ed25519"], default="hmac")
    p.add_argument("--batch", type=int, default=None, help="batch_size (default 64)")
    p.add_argument("--force", action="store_true", help="overwrite an existing cluster")
    p.add_argument("--protocol", action="append", metavar="KEY=VALUE",
                   help="another [protocol] field, e.g. view_change_timeout=2.0 (repeatable)")
    p.set_defaults(func=cmd_pbft_init)

    p = pbft.add_parser("serve", help="run one replica until SIGINT/SIGTERM")
    p.add_argument("--id", type=int, required=True, help="replica id (0 .. n-1)")
    p.add_argument("--config", required=True, help="cluster.toml (or its directory)")
    p.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    p.add_argument("--status-file", default=None, help="write the final status JSON here")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.set_defaults(func=cmd_pbft_serve)

    p = pbft.add_parser("client", help="run one operation and print its result (JSON)")
    p.add_argument("--config", required=True, help="cluster.toml (or its directory)")
    p.add_argument("--id", type=int, default=None, help="client id (default: the first)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait")
    p.add_argument("op", choices=["set", "get", "increment", "cas", "append", "head"])
    p.add_argument("args", nargs="*", help="KEY VALUE | KEY | KEY [AMOUNT] | KEY EXPECTED "
                   "NEW | JSON; values are parsed as JSON when possible, else strings")
    p.set_defaults(func=cmd_pbft_client)

    p = pbft.add_parser("bench", help="throughput/latency of a local cluster, or view-change "
                        "cost")
    p.add_argument("--n", type=int, nargs="+", default=[4])
    p.add_argument("--batch", type=int, nargs="+", default=[100])
    p.add_argument("--transport", choices=["tcp", "sim"], default="tcp")
    p.add_argument("--ops", choices=["null", "kv"], default="null")
    p.add_argument("--seconds", type=float, default=5.0, help="measurement window")
    p.add_argument("--clients", type=int, default=None,
                   help="concurrent client ids (default: tcp 256, sim 64, view change 16)")
    p.add_argument("--procs", type=int, default=2, help="tcp: load-generator processes")
    p.add_argument("--pipeline", type=int, default=None, help="ProtocolConfig.pipeline")
    p.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite",
                   help="tcp: replica storage")
    p.add_argument("--seed", type=int, default=0, help="sim: network seed")
    p.add_argument("--dir", default=None, help="tcp: directory for keys, data and logs "
                   "(default: a temporary one)")
    p.add_argument("--view-change", action="store_true",
                   help="measure the time from killing the primary to the first commit in "
                   "the new view")
    p.add_argument("--protocol", action="append", metavar="KEY=VALUE",
                   help="a ProtocolConfig field, e.g. max_message_bytes=67108864 (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object per run")
    p.set_defaults(func=cmd_pbft_bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="build flags, threads and CUDA devices").set_defaults(
        func=cmd_info)

    coop = sub.add_parser("coop", help="cooperative (TU) games").add_subparsers(
        dest="coop_command", required=True)
    device = {"choices": ["cpu", "cuda"], "default": None,
              "help": "where to compute (default: cpu)"}

    p = coop.add_parser("shapley", help="Shapley value, exact or sampled")
    p.add_argument("file", help="game file (.json or .npy)")
    p.add_argument("--samples", type=int, default=None, help="sample instead of exact")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", default="permutation",
                   choices=["permutation", "antithetic", "stratified"])
    p.add_argument("--device", **device)
    p.set_defaults(func=cmd_shapley)

    p = coop.add_parser("banzhaf", help="Banzhaf index")
    p.add_argument("file")
    p.add_argument("--normalized", action="store_true")
    p.add_argument("--device", **device)
    p.set_defaults(func=cmd_banzhaf)

    p = coop.add_parser("core", help="is an allocation in the core?")
    p.add_argument("file")
    p.add_argument("--allocation", required=True, help="comma-separated payoffs, one per player")
    p.add_argument("--tol", type=float, default=1e-9)
    p.add_argument("--device", **device)
    p.set_defaults(func=cmd_core)

    p = coop.add_parser("nucleolus", help="nucleolus by a sequence of LPs")
    p.add_argument("file")
    p.add_argument("--pre", action="store_true", help="prenucleolus (no individual rationality)")
    p.set_defaults(func=cmd_nucleolus)

    p = coop.add_parser("least-core", help="least core allocation and epsilon")
    p.add_argument("file")
    p.set_defaults(func=cmd_least_core)

    p = sub.add_parser("run", help="run a batch experiment from a TOML config (resumable)")
    p.add_argument("config", help="experiment TOML file ([experiment], [settings], [grid], "
                   "[[extra]])")
    p.add_argument("--results", default=None,
                   help="results directory (default: results/<name> from the config)")
    p.add_argument("--executor", choices=["process", "serial", "ray"], default="process",
                   help="where runs execute (default: process pool)")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel runs (default: CPU count; Ray: cluster CPUs)")
    p.add_argument("--threads", type=int, default=1,
                   help="OpenMP threads per run (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="tables and figures of a results directory")
    p.add_argument("results", help="results directory written by `accord run`")
    p.add_argument("--out", default=None, help="figure directory (default: RESULTS/report)")
    p.set_defaults(func=cmd_report)

    _add_pbft(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError) as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
