"""``accord service ...``: the verifiable coordination service over TCP.

``init`` writes a cluster with BLS keys, ``serve`` runs one replica, ``keygen`` makes an
agent's key file; the other commands send one operation with
:class:`~accord.service.remote.SyncServiceClient` and print its result as JSON.  An
outcome (closing an auction or a topic, a coalition proposal) is printed with its
quorum certificate, which ``verify`` checks offline against ``service.toml``.  A
refused operation prints ``accord: error: ...`` and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._args import whole
from .pbft import _LISTEN_ERRORS, _protocol_args, _seconds


def _numbers(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated numbers, e.g. 1.5,2; got {text!r}"
        ) from None


def _json_value(text: str) -> Any:
    """JSON, or ``@FILE`` for JSON read from a file."""
    try:
        if text.startswith("@"):
            return json.loads(Path(text[1:]).read_text())
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"must be JSON or @FILE: {exc}") from None


def _print(value: Any, out: str | None = None) -> None:
    text = json.dumps(value, sort_keys=True)
    if out:
        Path(out).write_text(text + "\n")
    print(text)


def cmd_service_init(args: argparse.Namespace) -> int:
    from ..service.deploy import generate_service

    proto = _protocol_args(args.protocol)
    if args.batch is not None:
        proto["batch_size"] = args.batch
    path = generate_service(
        args.dir,
        n=args.n,
        clients=args.clients,
        base_port=args.port,
        host=args.host,
        force=args.force,
        metrics_port=args.metrics_port,
        **proto,
    )
    print(f"wrote {path}; start replica r with `accord service serve --config {path} --id r`")
    return 0


def cmd_service_serve(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import os

    from ..service.deploy import load_service
    from ..service.remote import run_service_replica

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    config = load_service(args.config)
    config.bls_key(args.id)  # a missing or wrong key file fails before listening
    host, port = config.cluster.address(args.id)

    def ready(server: Any) -> None:
        print(f"service replica {args.id} ready on {host}:{port}", flush=True)

    try:
        status = asyncio.run(
            run_service_replica(
                args.id,
                config,
                storage=args.storage,
                on_ready=ready,
                metrics_port=args.metrics_port,
            )
        )
    except OSError as exc:
        if exc.errno not in _LISTEN_ERRORS:
            raise
        print(
            f"accord: error: service serve: replica {args.id} cannot listen on {host}:{port}: "
            f"{os.strerror(exc.errno or 0).lower()}; stop whatever holds the port or give "
            "the cluster other ports (`accord service init --port`)",
            file=sys.stderr,
        )
        return 1
    text = json.dumps(status, sort_keys=True)
    if args.status_file:
        Path(args.status_file).write_text(text + "\n")
    print(f"service replica {args.id} stopped: {text}", flush=True)
    return 0


def cmd_service_keygen(args: argparse.Namespace) -> int:
    from ..service.deploy import write_agent_key
    from ..service.ops import MAX_ID_CHARS
    from ..service.signing import AgentKey

    if not 1 <= len(args.agent) <= MAX_ID_CHARS or "/" in args.agent:
        raise ValueError(f"service keygen: AGENT must be 1 to {MAX_ID_CHARS} characters, no '/'")
    path = Path(args.file)
    if path.exists() and not args.force:
        raise ValueError(f"service keygen: {path} exists; pass --force to replace it")
    key = AgentKey.generate(args.agent)
    write_agent_key(path, key)
    _print({"agent": key.agent, "public_key": key.public})
    return 0


def cmd_service_verify(args: argparse.Namespace) -> int:
    from ..service.deploy import load_service
    from ..service.remote import Certified

    config = load_service(args.config)
    certified = Certified.from_json(_json_value("@" + args.file))
    if not certified.verify(config.certificate_keys):
        o = certified.outcome
        print(
            f"accord: error: service verify: the certificate of {o.get('kind')} "
            f"{o.get('id')!r} does not verify against {config.path}",
            file=sys.stderr,
        )
        return 1
    signers = certified.certificate.signers
    print(f"verified: {len(signers)} of {config.n} replicas ({list(signers)}) signed it")
    return 0


def _request(args: argparse.Namespace) -> Any:
    """The operation's client call for ``args`` (run by :func:`cmd_service_request`)."""
    from ..service.client import sealed_bid
    from ..service.deploy import read_agent_key

    key = read_agent_key(args.key) if getattr(args, "key", None) else None
    what = args.service_command if args.service_command in {"auction", "position"} else None
    action = getattr(args, f"{what}_command", None) if what else args.service_command

    def call(c: Any) -> Any:
        if action == "register":
            return c.register(key)
        if action == "fund":
            return c.fund(args.agent, args.amount)
        if action == "outcome":
            out = c.outcome(args.kind, args.id)
            return out.to_json() if hasattr(out, "to_json") else out
        if what == "auction":
            if action == "open":
                extra = {
                    k: getattr(args, k)
                    for k in ("reserve", "deposit", "bidders", "units", "commitment", "bits")
                    if getattr(args, k) is not None
                }
                if args.reverse:
                    extra["reverse"] = True
                return c.open_auction(
                    key, args.auction, args.mechanism, args.commit_ticks, args.reveal_ticks, **extra
                )
            if action == "commit":
                if key is None:
                    raise ValueError("service auction commit: --key is required")
                bid = int(args.bid) if args.scheme == "pedersen" else args.bid
                sealed = sealed_bid(key, args.auction, bid, scheme=args.scheme, bits=args.bits)
                from ..consensus.cluster_config import write_private_file

                write_private_file(Path(args.save), json.dumps(sealed.reveal) + "\n")
                return c.commit_bid(sealed)
            if action == "reveal":
                from ..consensus.cluster_config import read_private_file

                reveal = json.loads(read_private_file(args.saved, "write it with auction commit"))
                return c.request(reveal)
            return c.close_auction(args.auction).to_json()
        if what == "position":
            if action == "open":
                extra = {
                    k: getattr(args, k)
                    for k in ("trim", "expect", "commit_ticks", "weights", "game")
                    if getattr(args, k) is not None
                }
                return c.open_topic(
                    key, args.topic, args.aggregator, args.dim, args.submit_ticks, **extra
                )
            if action == "submit":
                return c.submit_position(key, args.topic, args.position)
            if action == "commit":
                from ..consensus.cluster_config import write_private_file
                from ..service.positions import committed_position

                if key is None:
                    raise ValueError("service position commit: --key is required")
                commit, reveal = committed_position(key, args.topic, args.position)
                write_private_file(Path(args.save), json.dumps(reveal) + "\n")
                return c.request(commit)
            if action == "reveal":
                from ..consensus.cluster_config import read_private_file

                saved = read_private_file(args.saved, "write it with position commit")
                return c.reveal_position(json.loads(saved))
            return c.close_topic(args.topic).to_json()
        return c.propose_coalition(key, args.proposal, args.game, args.division).to_json()

    return call


def cmd_service_request(args: argparse.Namespace) -> int:
    """One operation; status 1 when refused or when no result comes in time."""
    from ..service.remote import ServiceRequestError, SyncServiceClient

    call = _request(args)
    try:
        with SyncServiceClient(args.config, args.client, connect_timeout=args.timeout) as c:
            result = call(c)
    except ServiceRequestError as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 1
    except TimeoutError as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 1
    _print(result, getattr(args, "out", None))
    return 0


def _client_args(p: argparse.ArgumentParser, key: bool = False, out: bool = False) -> None:
    p.add_argument("--config", required=True, help="service.toml (or its directory)")
    p.add_argument("--client", type=whole(), default=None, help="PBFT client id (default first)")
    p.add_argument("--timeout", type=_seconds, default=10.0, help="seconds to connect (10)")
    if key:
        p.add_argument("--key", required=True, help="the signing agent's key file (keygen)")
    if out:
        p.add_argument("--out", default=None, help="also write the certified outcome here")
    p.set_defaults(func=cmd_service_request)


def add_commands(sub) -> None:
    """Add ``service init|serve|keygen|verify|register|fund|auction|position|coalition|
    outcome``."""
    service = sub.add_parser(
        "service", help="verifiable coordination service (mechanisms inside PBFT)"
    ).add_subparsers(dest="service_command", required=True, help="the service command")

    p = service.add_parser("init", help="write DIR/cluster.toml, DIR/service.toml and keys")
    p.add_argument("dir", help="directory for the cluster, keys/ and data/")
    p.add_argument("--n", type=whole(1), default=4, help="replicas (3f + 1 tolerate f)")
    p.add_argument("--clients", type=whole(), default=8, help="PBFT client identities")
    p.add_argument("--port", type=whole(), default=7000, help="replica i on PORT + i (0: free)")
    p.add_argument("--host", default="127.0.0.1", help="address the replicas listen on")
    p.add_argument("--batch", type=whole(1), default=None, help="batch_size (default 64)")
    p.add_argument("--force", action="store_true", help="overwrite an existing service")
    p.add_argument("--protocol", action="append", metavar="KEY=VALUE", help="[protocol] field")
    p.add_argument(
        "--metrics-port",
        type=whole(),
        default=None,
        help="replica i serves /metrics and /status on PORT + i (0: free ports now; "
        "default: none; `accord pbft status --config DIR` reads them); needs the metrics extra",
    )
    p.set_defaults(func=cmd_service_init)

    p = service.add_parser("serve", help="run one replica until SIGINT/SIGTERM")
    p.add_argument("--config", required=True, help="service.toml (or its directory)")
    p.add_argument("--id", type=whole(), required=True, help="replica id (0 .. n-1)")
    p.add_argument(
        "--storage",
        choices=["sqlite", "memory"],
        default="sqlite",
        help="sqlite keeps the log across restarts (default); memory does not",
    )
    p.add_argument("--status-file", default=None, help="write the final status JSON here")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.add_argument(
        "--metrics-port",
        type=whole(),
        default=None,
        help="serve /metrics (Prometheus) and /status (JSON) on this port, overriding the "
        "cluster file's (0: a free port); needs the metrics extra",
    )
    p.set_defaults(func=cmd_service_serve)

    p = service.add_parser("keygen", help="write an agent's Ed25519 key file (mode 0600)")
    p.add_argument("agent", help="the agent's name")
    p.add_argument("file", help="where to write the key")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=cmd_service_keygen)

    p = service.add_parser("verify", help="check a certified outcome offline")
    p.add_argument("--config", required=True, help="service.toml (its public keys only)")
    p.add_argument("file", help="a certified outcome (JSON written by --out)")
    p.set_defaults(func=cmd_service_verify)

    p = service.add_parser("register", help="register an agent's public key")
    _client_args(p, key=True)
    p = service.add_parser("fund", help="credit an agent's deposit escrow")
    _client_args(p)
    p.add_argument("agent", help="the registered agent to credit")
    p.add_argument("amount", type=float, help="the amount added to its escrow")
    p = service.add_parser("outcome", help="fetch a stored outcome (and its certificate)")
    _client_args(p, out=True)
    p.add_argument(
        "--kind",
        required=True,
        choices=["auction", "position", "coalition", "stream"],
        help="which kind of outcome --id names",
    )
    p.add_argument("--id", required=True, help="the auction, topic, proposal or stream id")

    auction = service.add_parser("auction", help="sealed-bid auctions").add_subparsers(
        dest="auction_command", required=True, help="the auction step"
    )
    p = auction.add_parser("open", help="open an auction (signed by the seller)")
    _client_args(p, key=True)
    p.add_argument("--auction", required=True, help="the auction id")
    p.add_argument(
        "--mechanism",
        required=True,
        choices=["first_price", "second_price", "vcg"],
        help="the payment rule (vcg: multi-unit)",
    )
    p.add_argument("--commit-ticks", type=whole(1), required=True, help="commit phase length")
    p.add_argument("--reveal-ticks", type=whole(1), required=True, help="reveal phase length")
    p.add_argument("--reverse", action="store_true", help="a procurement (lowest bid wins)")
    p.add_argument("--reserve", type=float, default=None, help="no sale past this price")
    p.add_argument("--deposit", type=float, default=None, help="forfeited if not revealed")
    p.add_argument("--bidders", type=whole(1), default=None, help="seal after this many")
    p.add_argument("--units", type=whole(1), default=None, help="vcg: units for sale")
    p.add_argument(
        "--commitment",
        choices=["hash", "pedersen"],
        default=None,
        help="the commitment scheme every bid must use (default: hash)",
    )
    p.add_argument("--bits", type=whole(1), default=None, help="pedersen: bid < 2**bits")
    p = auction.add_parser("commit", help="commit to a bid; the reveal is saved locally")
    _client_args(p, key=True)
    p.add_argument("--auction", required=True, help="the auction id")
    p.add_argument("--bid", type=float, required=True, help="the sealed bid")
    p.add_argument(
        "--scheme",
        choices=["hash", "pedersen"],
        default="hash",
        help="commitment scheme (hash: SHA-256; pedersen: with a range proof)",
    )
    p.add_argument("--bits", type=whole(1), default=32, help="pedersen: bid < 2**bits")
    p.add_argument("--save", required=True, help="file for the reveal (keep it secret)")
    p = auction.add_parser("reveal", help="send a saved reveal")
    _client_args(p)
    p.add_argument("--saved", required=True, help="the file written by auction commit")
    p = auction.add_parser("close", help="close: the certified outcome")
    _client_args(p, out=True)
    p.add_argument("--auction", required=True, help="the auction id")

    position = service.add_parser("position", help="robust position agreement").add_subparsers(
        dest="position_command", required=True, help="the topic step"
    )
    p = position.add_parser("open", help="open a topic (signed by its owner)")
    _client_args(p, key=True)
    p.add_argument("--topic", required=True, help="the topic id")
    p.add_argument(
        "--aggregator",
        required=True,
        choices=["trimmed_mean", "median", "geometric_median"],
        help="the Byzantine-robust aggregate",
    )
    p.add_argument("--dim", type=whole(1), required=True, help="length of each position")
    p.add_argument("--submit-ticks", type=whole(1), required=True, help="submission phase length")
    p.add_argument("--trim", type=float, default=None, help="trimmed_mean: fraction cut per side")
    p.add_argument("--expect", type=whole(1), default=None, help="close after this many")
    p.add_argument(
        "--commit-ticks",
        type=whole(1),
        default=None,
        help="committed topic: a commit phase of this many ticks, then reveals for "
        "--submit-ticks (position commit / position reveal)",
    )
    p.add_argument(
        "--weights", type=_json_value, default=None, help='trust weights: {"agent": w} or @FILE'
    )
    p.add_argument(
        "--game",
        type=_json_value,
        default=None,
        help='a declared game: {"actions": [2, 2], "solve": "ce"|"cce"|"lemke_howson"} '
        "or @FILE; positions are payoff tensors (--dim players * prod(actions))",
    )
    p = position.add_parser("submit", help="submit a signed position")
    _client_args(p, key=True)
    p.add_argument("--topic", required=True, help="the topic id")
    p.add_argument("--position", type=_numbers, required=True, help="e.g. 1.5,2")
    p = position.add_parser("commit", help="commit to a position; the reveal is saved locally")
    _client_args(p, key=True)
    p.add_argument("--topic", required=True, help="the topic id")
    p.add_argument("--position", type=_numbers, required=True, help="e.g. 1.5,2")
    p.add_argument("--save", required=True, help="file for the reveal (keep it secret)")
    p = position.add_parser("reveal", help="send a saved position reveal")
    _client_args(p)
    p.add_argument("--saved", required=True, help="the file written by position commit")
    p = position.add_parser("close", help="close: the certified aggregate")
    _client_args(p, out=True)
    p.add_argument("--topic", required=True, help="the topic id")

    p = service.add_parser("coalition", help="propose a division of a declared TU game")
    _client_args(p, key=True, out=True)
    p.add_argument("--proposal", required=True, help="the proposal id")
    p.add_argument("--game", type=_json_value, required=True, help="JSON or @FILE")
    p.add_argument("--division", type=_numbers, required=True, help="e.g. 10,20,30")
