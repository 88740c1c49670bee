"""``accord pbft init|serve|client|status|bench``: the PBFT replicated key-value service.

The measurements of ``bench`` are :func:`accord.consensus.commands.bench`; the
assessment of ``status`` is :func:`accord.consensus.health.assess`.
"""

from __future__ import annotations

import argparse
import errno
import sys

from ._args import whole


def _json_arg(text: str):
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds > 0; got {text!r}")
    return value


def _protocol_args(items) -> dict:
    """``KEY=VALUE`` options (values as JSON when possible) for ProtocolConfig fields."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--protocol takes KEY=VALUE (a ProtocolConfig field); got {item!r}")
        out[key.strip()] = _json_arg(value)
    return out


def cmd_pbft_init(args: argparse.Namespace) -> int:
    from ..consensus.cluster_config import generate_cluster, load_cluster

    proto = _protocol_args(args.protocol)
    if args.batch is not None:
        proto["batch_size"] = args.batch
    path = generate_cluster(
        args.dir,
        n=args.n,
        clients=args.clients,
        base_port=args.port,
        auth=args.auth,
        host=args.host,
        force=args.force,
        metrics_port=args.metrics_port,
        **proto,
    )
    cluster = load_cluster(path)
    ports = ", ".join(str(r.port) for r in cluster.replicas)
    print(
        f"wrote {path}: {args.n} replicas on {args.host} ports {ports}; "
        f"{args.clients} clients; secret keys in {cluster.key_dir}"
    )
    print(f"start replica i: accord pbft serve --id i --config {path}")
    if args.metrics_port is not None:
        print(f"check the replicas: accord pbft status --config {path}")
    return 0


# errno values of a replica that cannot listen on its address: one line, no traceback
_LISTEN_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def cmd_pbft_serve(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import logging
    import os

    from ..consensus.cluster_config import load_cluster
    from ..consensus.tcp import run_replica

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    cluster = load_cluster(args.config)

    def ready(server) -> None:
        host, port = cluster.address(args.id)
        metrics = server.metrics_address
        where = "" if metrics is None else f"; /metrics and /status on {metrics[0]}:{metrics[1]}"
        print(f"replica {args.id} ready on {host}:{port}{where}", flush=True)

    options = {"storage": args.storage, "on_ready": ready, "metrics_port": args.metrics_port}

    prof_dir = os.environ.get("ACCORD_PBFT_PROFILE")  # a directory: cProfile each replica
    try:
        if prof_dir:
            import cProfile

            prof = cProfile.Profile()
            status = prof.runcall(asyncio.run, run_replica(args.id, cluster, **options))
            prof.dump_stats(os.path.join(prof_dir, f"replica-{args.id}.prof"))
        else:
            status = asyncio.run(run_replica(args.id, cluster, **options))
    except OSError as exc:
        if exc.errno not in _LISTEN_ERRORS:
            raise
        host, port = cluster.address(args.id)
        print(
            f"accord: error: pbft serve: replica {args.id} cannot listen on {host}:{port}: "
            f"{os.strerror(exc.errno or 0).lower()}; stop whatever holds the port (is this "
            "replica already running?) or give the cluster other ports "
            "(`accord pbft init --port`)",
            file=sys.stderr,
        )
        return 1
    text = json.dumps(status, sort_keys=True)
    if args.status_file:
        with open(args.status_file, "w") as f:
            f.write(text + "\n")
    print(f"replica {args.id} stopped: {text}", flush=True)
    return 0


def _pbft_op(args: argparse.Namespace) -> dict:
    a, name = args.args, args.op
    need = {
        "set": (2, 2),
        "get": (1, 1),
        "increment": (1, 2),
        "cas": (3, 3),
        "append": (1, 1),
        "head": (0, 0),
    }
    lo, hi = need[name]
    if not lo <= len(a) <= hi:
        usage = {
            "set": "set KEY VALUE",
            "get": "get KEY",
            "increment": "increment KEY [AMOUNT]",
            "cas": "cas KEY EXPECTED NEW",
            "append": "append JSON",
            "head": "head",
        }[name]
        raise ValueError(f"pbft client {name}: usage: {usage}")
    if name == "set":
        return {"op": "set", "key": a[0], "value": _json_arg(a[1])}
    if name == "get":
        return {"op": "get", "key": a[0]}
    if name == "increment":
        amount = _json_arg(a[1]) if len(a) > 1 else 1
        return {"op": "increment", "key": a[0], "amount": amount}
    if name == "cas":
        return {
            "op": "compare_and_set",
            "key": a[0],
            "expected": _json_arg(a[1]),
            "new": _json_arg(a[2]),
        }
    if name == "append":
        return {"op": "append", "record": _json_arg(a[0])}
    return {"op": "ledger_head"}


def _is_error_result(result) -> bool:
    """Whether ``result`` is the service's error result ``{"error": message}``."""
    return isinstance(result, dict) and set(result) == {"error"}


def cmd_pbft_client(args: argparse.Namespace) -> int:
    """Run one operation; ``--timeout`` bounds connecting and waiting for the result
    together.  Status 0 with the result (JSON) on stdout; 1 when the service answers
    with an error result or no result comes in time."""
    import asyncio
    import json
    import time

    from ..consensus.cluster_config import load_cluster
    from ..consensus.tcp import AsyncClient

    op = _pbft_op(args)
    cluster = load_cluster(args.config)
    client = AsyncClient(cluster, args.id)
    quorum = cluster.protocol.quorum

    connected: list[int] = []  # replicas connected when the client stopped

    async def go():
        deadline = time.monotonic() + args.timeout
        try:
            await client.start(wait=True, timeout=args.timeout)
            return await client.submit(op, timeout=max(deadline - time.monotonic(), 0.0))
        finally:
            connected.extend(client.connected_replicas())
            await client.close()

    try:
        result = asyncio.run(go())
    except (TimeoutError, asyncio.TimeoutError):
        up = len(connected)
        where = f"connected to {up} of {cluster.n} replicas" + (
            f", {quorum} needed" if up < quorum else ", but no quorum of them replied"
        )
        print(
            f"accord: error: pbft client {args.op}: no result within {args.timeout:g} s "
            f"({where}); are at least {quorum} replicas running (`accord pbft serve`)? "
            "A longer --timeout waits longer",
            file=sys.stderr,
        )
        return 1
    if _is_error_result(result):
        print(f"accord: error: pbft client {args.op}: {result['error']}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def _status_line(r: int, address: tuple[str, int], status: dict | None, error: str) -> str:
    where = f"{address[0]}:{address[1]}"
    if status is None:
        return f"{r:>7}  {where:<21}  unreachable ({error})"
    m = status.get("metrics", {})
    latency = m.get("commit_latency_seconds", {})
    count = latency.get("count", 0)
    mean = f"{1000 * latency.get('sum', 0.0) / count:.2f}" if count else "-"
    view = f"{status.get('view', '-')}{'*' if status.get('in_view_change') else ''}"
    cells = (
        view,
        status.get("last_executed", "-"),
        status.get("low_watermark", "-"),
        status.get("pending", "-"),
        m.get("log_entries", "-"),
        m.get("committed_requests", "-"),
        mean,
        sum(status.get("rejected", {}).values()),
    )
    return f"{r:>7}  {where:<21}  " + "  ".join(f"{c!s:>9}" for c in cells)


def cmd_pbft_status(args: argparse.Namespace) -> int:
    """Ask every replica's metrics endpoint for its status and print the cluster's
    health: status 0 healthy, 2 no quorum, 1 any other state (degraded, view_change,
    lagging, rejecting)."""
    import asyncio
    import json
    import os

    from ..consensus.cluster_config import load_cluster
    from ..consensus.health import assess
    from ..consensus.tcp.metrics_http import fetch_status

    cluster = load_cluster(args.config)
    addresses = [cluster.metrics_address(r) for r in range(cluster.n)]
    missing = [r for r, a in enumerate(addresses) if a is None]
    if missing:
        raise ValueError(
            f"pbft status: {cluster.path} gives replica(s) {', '.join(map(str, missing))} no "
            "metrics port; add `metrics_port = P` to their [[replica]] entries (or "
            "`metrics_base_port = P` at the top) and restart them"
        )

    async def ask(address: tuple[str, int]) -> tuple[dict | None, str]:
        try:
            return await fetch_status(*address, timeout=args.timeout), ""
        except (OSError, asyncio.TimeoutError) as exc:
            if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
                return None, f"no answer within {args.timeout:g} s"
            return None, os.strerror(exc.errno).lower() if exc.errno else str(exc)
        except ValueError as exc:
            return None, str(exc)

    async def ask_all() -> list[tuple[dict | None, str]]:
        return list(await asyncio.gather(*(ask(a) for a in addresses if a is not None)))

    answers = asyncio.run(ask_all())
    statuses = [s for s, _ in answers]
    health = assess(statuses, cluster.n, lag=args.lag)
    if args.json:
        out = health.to_json()
        out["errors"] = {str(r): e for r, (s, e) in enumerate(answers) if s is None}
        out["replicas"] = statuses
        print(json.dumps(out, sort_keys=True))
        return health.exit_code
    header = ("view", "executed", "stable", "pending", "log", "committed", "mean_ms", "rejected")
    print(f"{'replica':>7}  {'metrics':<21}  " + "  ".join(f"{h:>9}" for h in header))
    for r, ((status, error), address) in enumerate(zip(answers, addresses, strict=True)):
        assert address is not None
        print(_status_line(r, address, status, error))
    print(f"\n{health.summary}")
    print(f"state: {health.state}")
    for finding in health.findings:
        print(f"  {finding.state}: {finding.message}")
        print(f"    -> {finding.recommendation}")
    return health.exit_code


def cmd_pbft_bench(args: argparse.Namespace) -> int:
    from ..consensus.commands import bench

    proto = _protocol_args(args.protocol)
    if args.pipeline is not None:
        proto["pipeline"] = args.pipeline
    if args.metrics:
        if args.transport != "tcp":
            raise ValueError(
                "pbft bench: --metrics serves metrics from replica processes; use it with "
                "--transport tcp"
            )
        proto["metrics_port"] = 0  # cluster.toml: every replica serves metrics on a free port
    bench(
        args.n,
        args.batch,
        transport=args.transport,
        ops=args.ops,
        seconds=args.seconds,
        clients=args.clients,
        procs=args.procs,
        storage=args.storage,
        seed=args.seed,
        directory=args.dir,
        view_change=args.view_change,
        json_lines=args.json,
        **proto,
    )
    return 0


def _p99_bound(text: str) -> float | None:
    """An argparse type: a finite number of milliseconds > 0, or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be milliseconds or 'none'; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of ms > 0; got {text!r}")
    return value


def cmd_pbft_tune(args: argparse.Namespace) -> int:
    """Sweep batch size, pipeline depth and client timeout; print every measured point
    and the recommendation (status 1 when no setting qualifies), and with
    ``--write-config`` set the recommended fields in an existing cluster.toml."""
    import json

    from ..consensus.tune import cluster_protocol, tune, write_protocol_fields

    options = {}
    if args.write_config is not None:  # checked before measuring; measured as it is set up
        options.update(cluster_protocol(args.write_config, args.n))
    options.update(_protocol_args(args.protocol))
    for name in ("clients", "procs", "ops", "storage", "seed"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    result = tune(
        args.n,
        batches=args.batch,
        pipelines=args.pipeline,
        client_timeouts=args.client_timeout,
        seconds=args.seconds,
        transport=args.transport,
        repeats=args.repeats,
        max_p99_ms=args.max_p99_ms,
        timeout_margin=args.timeout_margin,
        grid=args.grid,
        max_total_s=args.max_total_s,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        **options,
    )
    print(json.dumps(result.to_dict()) if args.json else result.table())
    rec = result.recommendation
    if rec.point is None:
        if args.write_config is not None:
            print(f"accord: error: pbft tune: {args.write_config} left as it was", file=sys.stderr)
        return 1
    if args.write_config is not None:
        fields = rec.protocol_fields()
        path = write_protocol_fields(args.write_config, fields, n=args.n)
        text = ", ".join(f"{k} = {v}" for k, v in fields.items())
        print(f"wrote {text} to {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def add_commands(sub) -> None:
    """Add ``pbft init|serve|client|status|bench`` to the subparsers ``sub``."""
    pbft = sub.add_parser("pbft", help="PBFT replicated key-value service over TCP").add_subparsers(
        dest="pbft_command", required=True, help="the pbft command"
    )

    p = pbft.add_parser("init", help="write DIR/cluster.toml and key files")
    p.add_argument("dir", help="directory for cluster.toml, keys/ and data/")
    p.add_argument("--n", type=whole(), default=4, help="replicas (3f + 1 tolerates f faults)")
    p.add_argument("--clients", type=whole(), default=8, help="client identities to create")
    p.add_argument(
        "--port",
        type=whole(),
        default=7000,
        help="replica i listens on PORT + i (0: free ports now)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address the replicas listen on")
    p.add_argument(
        "--auth",
        choices=["hmac", "ed25519"],
        default="hmac",
        help="message authentication (default: hmac)",
    )
    p.add_argument("--batch", type=whole(), default=None, help="batch_size (default 64)")
    p.add_argument("--force", action="store_true", help="overwrite an existing cluster")
    p.add_argument(
        "--metrics-port",
        type=whole(),
        default=None,
        help="replica i serves /metrics and /status on PORT + i (0: free ports now; "
        "default: no metrics); needs the metrics extra",
    )
    p.add_argument(
        "--protocol",
        action="append",
        metavar="KEY=VALUE",
        help="another [protocol] field, e.g. view_change_timeout=2.0 (repeatable)",
    )
    p.set_defaults(func=cmd_pbft_init)

    p = pbft.add_parser("serve", help="run one replica until SIGINT/SIGTERM")
    p.add_argument("--id", type=whole(), required=True, help="replica id (0 .. n-1)")
    p.add_argument("--config", required=True, help="cluster.toml (or its directory)")
    p.add_argument(
        "--storage",
        choices=["sqlite", "memory"],
        default="sqlite",
        help="replica log and state (default: sqlite under the data directory)",
    )
    p.add_argument("--status-file", default=None, help="write the final status JSON here")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.add_argument(
        "--metrics-port",
        type=whole(),
        default=None,
        help="serve /metrics (Prometheus) and /status (JSON) on this port, overriding the "
        "cluster file's metrics_port (0: a free port); needs the metrics extra",
    )
    p.set_defaults(func=cmd_pbft_serve)

    p = pbft.add_parser("client", help="run one operation and print its result (JSON)")
    p.add_argument("--config", required=True, help="cluster.toml (or its directory)")
    p.add_argument("--id", type=whole(), default=None, help="client id (default: the first)")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        help="seconds to wait for connecting and the result together (default 10)",
    )
    p.add_argument(
        "op",
        choices=["set", "get", "increment", "cas", "append", "head"],
        help="the operation",
    )
    p.add_argument(
        "args",
        nargs="*",
        help="KEY VALUE | KEY | KEY [AMOUNT] | KEY EXPECTED "
        "NEW | JSON; values are parsed as JSON when possible, else strings",
    )
    p.set_defaults(func=cmd_pbft_client)

    p = pbft.add_parser(
        "status",
        help="health of a running cluster from every replica's metrics endpoint; "
        "status 0 healthy, 1 degraded/lagging/view change/rejecting, 2 no quorum",
    )
    p.add_argument("--config", required=True, help="cluster.toml (or its directory)")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=2.0,
        help="seconds to wait for each replica's answer (default 2)",
    )
    p.add_argument(
        "--lag",
        type=whole(1),
        default=None,
        help="a replica this many sequence numbers behind the others is lagging "
        "(default: the checkpoint interval)",
    )
    p.add_argument("--json", action="store_true", help="print the assessment as one JSON object")
    p.set_defaults(func=cmd_pbft_status)

    p = pbft.add_parser("bench", help="throughput/latency of a local cluster, or view-change cost")
    p.add_argument("--n", type=whole(), nargs="+", default=[4], help="replica counts (default 4)")
    p.add_argument(
        "--batch", type=whole(), nargs="+", default=[100], help="batch sizes (default 100)"
    )
    p.add_argument(
        "--transport",
        choices=["tcp", "sim"],
        default="tcp",
        help="real sockets on loopback or the simulated network (default: tcp)",
    )
    p.add_argument(
        "--ops",
        choices=["null", "kv"],
        default="null",
        help="null operations or key-value writes (default: null)",
    )
    p.add_argument("--seconds", type=float, default=5.0, help="measurement window")
    p.add_argument(
        "--clients",
        type=whole(),
        default=None,
        help="concurrent client ids (default: tcp 256, sim 64, view change 16)",
    )
    p.add_argument("--procs", type=whole(), default=2, help="tcp: load-generator processes")
    p.add_argument("--pipeline", type=whole(), default=None, help="ProtocolConfig.pipeline")
    p.add_argument(
        "--storage", choices=["sqlite", "memory"], default="sqlite", help="tcp: replica storage"
    )
    p.add_argument("--seed", type=whole(), default=0, help="sim: network seed")
    p.add_argument(
        "--dir",
        default=None,
        help="tcp: directory for keys, data and logs (default: a temporary one)",
    )
    p.add_argument(
        "--view-change",
        action="store_true",
        help="measure the time from killing the primary to the first commit in the new view",
    )
    p.add_argument(
        "--protocol",
        action="append",
        metavar="KEY=VALUE",
        help="a ProtocolConfig field, e.g. max_message_bytes=67108864 (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per run")
    p.add_argument(
        "--metrics",
        action="store_true",
        help="tcp: every replica serves /metrics and /status (measures their overhead)",
    )
    p.set_defaults(func=cmd_pbft_bench)

    p = pbft.add_parser(
        "tune",
        help="measure batch sizes, pipeline depths and client timeouts; recommend one",
        description="Runs the bench at each setting (batch sizes at the default pipeline, "
        "then pipelines at the best batch, then client timeouts) and recommends the "
        "highest throughput whose p99 is within --max-p99-ms, near-ties going to the "
        "smaller setting. view_change_timeout is not swept: it sets recovery time, not "
        "throughput (see bench --view-change).",
    )
    p.add_argument("--n", type=whole(), default=4, help="replicas (default 4)")
    p.add_argument(
        "--batch",
        type=whole(),
        nargs="+",
        default=[1, 16, 64, 256],
        help="batch sizes to measure (default 1 16 64 256)",
    )
    p.add_argument(
        "--pipeline",
        type=whole(),
        nargs="+",
        default=[1, 4, 8, 16],
        help="pipeline depths to measure (default 1 4 8 16)",
    )
    p.add_argument(
        "--client-timeout",
        type=_seconds,
        nargs="+",
        default=[0.25, 0.5, 1.0],
        help="client retransmission timeouts in seconds (default 0.25 0.5 1)",
    )
    p.add_argument(
        "--seconds", type=_seconds, default=2.0, help="measurement window per run (default 2)"
    )
    p.add_argument(
        "--repeats",
        type=whole(),
        default=2,
        help="runs per setting; their spread is the noise that decides near-ties (default 2)",
    )
    p.add_argument(
        "--max-p99-ms",
        type=_p99_bound,
        default=200.0,
        help="p99 latency bound in ms, or 'none' (default 200)",
    )
    p.add_argument(
        "--timeout-margin",
        type=float,
        default=2.0,
        help="a client timeout must be at least this many times the p99 (default 2; 0: off)",
    )
    p.add_argument(
        "--grid",
        action="store_true",
        help="measure every combination instead of one coordinate at a time",
    )
    p.add_argument(
        "--max-total-s",
        type=_seconds,
        default=1800.0,
        help="refuse a sweep estimated to take longer than this many seconds (default 1800)",
    )
    p.add_argument(
        "--transport",
        choices=["tcp", "sim"],
        default="tcp",
        help="real sockets on loopback or the simulated network (default: tcp)",
    )
    p.add_argument(
        "--ops", choices=["null", "kv"], default=None, help="null operations (default) or kv"
    )
    p.add_argument(
        "--clients", type=whole(), default=None, help="concurrent client ids (tcp 256, sim 64)"
    )
    p.add_argument("--procs", type=whole(), default=None, help="tcp: load-generator processes")
    p.add_argument(
        "--storage", choices=["sqlite", "memory"], default=None, help="tcp: replica storage"
    )
    p.add_argument("--seed", type=whole(), default=None, help="sim: network seed of the first run")
    p.add_argument(
        "--protocol",
        action="append",
        metavar="KEY=VALUE",
        help="another ProtocolConfig field to measure with, e.g. auth=ed25519 (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--write-config",
        default=None,
        metavar="CLUSTER_TOML",
        help="set the recommended [protocol] fields in this existing cluster.toml "
        "(its other fields are measured with and kept)",
    )
    p.set_defaults(func=cmd_pbft_tune)
