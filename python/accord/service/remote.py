"""The service over TCP: replicas that run it, and clients that use it.

* :func:`run_service_replica`, :func:`service_server` -- one replica of a ``service.toml`` cluster
  (``accord service serve``): the PBFT replica of :mod:`accord.consensus.tcp` running
  :class:`~accord.service.machine.ServiceStore` and endorsing outcomes with its BLS key;
* :class:`ServiceClient` -- the asynchronous client: one method per operation, error
  results raised as :class:`ServiceRequestError`, outcomes returned as
  :class:`Certified` (the outcome with its quorum certificate, recorded in the ledger
  by a ``certify`` operation unless ``record_certificates=False``);
* :class:`SyncServiceClient` -- the same methods, blocking.

A request is sent once per client timestamp and retransmitted until it completes, and
the replicas execute each timestamp once (Castro & Liskov (1999), Sec. 4.1), so a
client that retries after a timeout never applies an operation twice.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..consensus.ledger import JSONValue
from ..consensus.tcp import AsyncClient, Completed, ReplicaServer, run_replica
from .bls import QuorumCertificate, quorum, verify_certificate
from .client import SealedBid, certificate_of
from .deploy import ServiceConfig, load_service
from .hierarchy import submit_op
from .machine import check_endorsements, endorser, service_machine, validate_service_op
from .positions import committed_position
from .signing import AgentKey

__all__ = [
    "Certified",
    "ServiceClient",
    "ServiceRequestError",
    "SyncServiceClient",
    "run_service_replica",
    "service_server",
]


class ServiceRequestError(RuntimeError):
    """The service refused an operation (its ``{"error": ...}`` result)."""

    def __init__(self, op: str, message: str) -> None:
        super().__init__(f"{op}: {message}" if not message.startswith(f"{op}:") else message)
        self.op, self.message = op, message


@dataclass(frozen=True)
class Certified:
    """An agreed outcome, its quorum certificate and its ledger position."""

    outcome: dict[str, Any]
    certificate: QuorumCertificate
    ledger: dict[str, Any] | None = None

    def verify(self, public_keys: Sequence[bytes]) -> bool:
        """Whether a quorum of ``public_keys`` signed :attr:`outcome` (offline)."""
        return verify_certificate(self.outcome, self.certificate, public_keys)

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "outcome": self.outcome,
            "certificate": self.certificate.to_json(),
            "ledger": self.ledger,
        }

    @classmethod
    def from_json(cls, data: Any) -> Certified:
        if not isinstance(data, dict) or not isinstance(data.get("outcome"), dict):
            raise ValueError('a certified outcome is JSON {"outcome", "certificate", "ledger"}')
        certificate = QuorumCertificate.from_json(data.get("certificate", {}))
        return cls(data["outcome"], certificate, data.get("ledger"))


def _config(service: ServiceConfig | str | os.PathLike) -> ServiceConfig:
    return service if isinstance(service, ServiceConfig) else load_service(service)


def _replica_options(config: ServiceConfig, replica_id: int) -> dict[str, Any]:
    return {
        "machine": service_machine(config.certificate_keys),
        "endorse": endorser(config.bls_key(replica_id)),
    }


def service_server(
    replica_id: int, service: ServiceConfig | str | os.PathLike, storage: Any = "sqlite"
) -> ReplicaServer:
    """A :class:`~accord.consensus.tcp.ReplicaServer` for replica ``replica_id`` of
    ``service`` (``await server.start()`` to listen)."""
    config = _config(service)
    return ReplicaServer(
        replica_id, config.cluster, storage=storage, **_replica_options(config, replica_id)
    )


async def run_service_replica(
    replica_id: int,
    service: ServiceConfig | str | os.PathLike,
    storage: Any = "sqlite",
    on_ready: Callable[[Any], None] | None = None,
    install_signals: bool = True,
    metrics_port: int | None = None,
) -> dict:
    """Serve replica ``replica_id`` of ``service`` until SIGINT/SIGTERM; returns its
    final status (:func:`accord.consensus.tcp.run_replica`).  ``metrics_port``
    overrides the cluster file's (``/metrics`` and ``/status``; 0: a free port)."""
    config = _config(service)
    return await run_replica(
        replica_id,
        config.cluster,
        storage=storage,
        on_ready=on_ready,
        install_signals=install_signals,
        metrics_port=metrics_port,
        **_replica_options(config, replica_id),
    )


class ServiceClient:
    """The service's operations over TCP for PBFT client ids ``client_ids`` (default:
    the cluster's first).  Concurrent calls run on distinct client ids::

        async with ServiceClient("svc/service.toml", ids) as c:
            await c.register(seller)
            await c.open_auction(seller, "a1", "second_price", commit_ticks=50, reveal_ticks=50)
            ...
            certified = await c.close_auction("a1")
            assert certified.verify(c.public_keys)
    """

    def __init__(
        self,
        service: ServiceConfig | str | os.PathLike,
        client_ids: int | Iterable[int] | None = None,
        connect_timeout: float = 10.0,
        record_certificates: bool = True,
    ) -> None:
        self.config = _config(service)
        self.public_keys = self.config.certificate_keys
        self.record_certificates = record_certificates
        self.transport = AsyncClient(
            self.config.cluster,
            client_ids,
            connect_timeout=connect_timeout,
            client_options={
                "validate": validate_service_op,
                "endorsements": quorum(self.config.n),
                "check_endorsements": check_endorsements(self.public_keys),
            },
        )

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> ServiceClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ------------------------------------------------------------ generic
    async def request(self, op: dict[str, Any], timeout: float | None = None) -> Any:
        """Run ``op``; its result, or :class:`ServiceRequestError` for an error result."""
        done = await self.transport.submit(op, timeout=timeout, detail=True)
        return _checked(op, done).result

    async def certified(self, op: dict[str, Any], timeout: float | None = None) -> Certified:
        """Run an operation whose result is an outcome; the outcome with its certificate
        (made from a quorum of the replicas' endorsements, checked together)."""
        done = _checked(op, await self.transport.submit(op, timeout=timeout, detail=True))
        result = done.result
        if not isinstance(result, dict) or not isinstance(result.get("outcome"), dict):
            raise ServiceRequestError(op.get("op", "?"), f"not an outcome: {result!r}")
        # the transport counted only endorsements that passed check_endorsements
        cert = certificate_of(result, done.endorsements, self.public_keys, checked=True)
        out = Certified(result["outcome"], cert, result.get("ledger"))
        if self.record_certificates:
            await self.record(out)
        return out

    async def record(self, certified: Certified) -> None:
        """Record ``certified``'s certificate in the ledger (once; again is a no-op)."""
        o = certified.outcome
        op = {"op": "certify", "kind": o["kind"], "id": o["id"]}
        try:
            await self.request({**op, "certificate": certified.certificate.to_json()})
        except ServiceRequestError as exc:
            if "already certified" not in exc.message:
                raise

    async def outcome(self, kind: str, oid: str) -> Certified | dict[str, Any] | None:
        """The stored outcome ``kind``/``oid``: a :class:`Certified` once its certificate
        is recorded, the bare outcome before, ``None`` if there is none."""
        outcome = await self.request({"op": "get", "key": f"service/outcome/{kind}/{oid}"})
        if outcome is None:
            return None
        cert = await self.request({"op": "get", "key": f"service/certificate/{kind}/{oid}"})
        if cert is None:
            return dict(outcome)
        return Certified(dict(outcome), QuorumCertificate.from_json(cert))

    async def tick(self) -> int:
        """The service's clock: ordered operations executed so far."""
        return int(await self.request({"op": "get", "key": "service/tick"}) or 0)

    # ------------------------------------------------------------ agents
    async def register(self, key: AgentKey) -> Any:
        return await self.request({"op": "register", "agent": key.agent, "public_key": key.public})

    async def fund(self, agent: str, amount: float) -> Any:
        return await self.request({"op": "fund", "agent": agent, "amount": amount})

    # ------------------------------------------------------------ auctions
    async def open_auction(
        self,
        seller: AgentKey,
        auction: str,
        mechanism: str,
        commit_ticks: int,
        reveal_ticks: int,
        **fields: Any,
    ) -> Any:
        """``auction_open`` signed by ``seller`` (``fields``: reserve, bidders, deposit,
        units, ...; see :mod:`accord.service.sealed_bid`)."""
        op = {
            "op": "auction_open",
            "auction": auction,
            "seller": seller.agent,
            "mechanism": mechanism,
            "commit_ticks": commit_ticks,
            "reveal_ticks": reveal_ticks,
            **fields,
        }
        return await self.request(seller.sign(op))

    async def commit_bid(self, bid: SealedBid) -> Any:
        return await self.request(bid.commit)

    async def reveal_bid(self, bid: SealedBid) -> Any:
        return await self.request(bid.reveal)

    async def close_auction(self, auction: str) -> Certified:
        return await self.certified({"op": "auction_close", "auction": auction})

    # ------------------------------------------------------------ positions
    async def open_topic(
        self,
        owner: AgentKey,
        topic: str,
        aggregator: str,
        dim: int,
        submit_ticks: int,
        **fields: Any,
    ) -> Any:
        """``position_open`` signed by ``owner`` (``fields``: trim, weights, expect, ...;
        see :mod:`accord.service.positions`)."""
        op = {
            "op": "position_open",
            "topic": topic,
            "by": owner.agent,
            "aggregator": aggregator,
            "dim": dim,
            "submit_ticks": submit_ticks,
            **fields,
        }
        return await self.request(owner.sign(op))

    async def submit_position(self, key: AgentKey, topic: str, position: Sequence[float]) -> Any:
        op = {"op": "position_submit", "topic": topic, "agent": key.agent}
        return await self.request(key.sign({**op, "position": [float(v) for v in position]}))

    async def commit_position(
        self, key: AgentKey, topic: str, position: Sequence[float]
    ) -> dict[str, Any]:
        """``position_commit`` of ``key.agent``'s ``position`` in a committed topic; the
        ``position_reveal`` operation that opens it, to keep secret and send with
        :meth:`reveal_position` once the commit phase has ended."""
        commit, reveal = committed_position(key, topic, [float(v) for v in position])
        await self.request(commit)
        return reveal

    async def reveal_position(self, reveal: dict[str, Any]) -> Any:
        """Send a ``position_reveal`` made by :meth:`commit_position`."""
        return await self.request(reveal)

    async def close_topic(self, topic: str) -> Certified:
        return await self.certified({"op": "position_close", "topic": topic})

    # ------------------------------------------------------------ hierarchy
    async def register_group(
        self, owner: AgentKey, group: str, public_keys: Sequence[bytes]
    ) -> Any:
        """``group_register`` signed by ``owner``: bind ``group`` to its replicas' BLS
        public keys (a group service's ``certificate_keys``; see
        :mod:`accord.service.hierarchy`)."""
        op = {"op": "group_register", "group": group, "by": owner.agent}
        return await self.request(owner.sign({**op, "keys": [k.hex() for k in public_keys]}))

    async def open_group_topic(
        self,
        owner: AgentKey,
        topic: str,
        aggregator: str,
        dim: int,
        groups: Sequence[str],
        submit_ticks: int,
        **fields: Any,
    ) -> Any:
        """``group_topic_open`` signed by ``owner`` (``fields``: trim, weights)."""
        op = {
            "op": "group_topic_open",
            "topic": topic,
            "by": owner.agent,
            "aggregator": aggregator,
            "dim": dim,
            "groups": list(groups),
            "submit_ticks": submit_ticks,
            **fields,
        }
        return await self.request(owner.sign(op))

    async def submit_group(self, topic: str, group: str, certified: Certified) -> Any:
        """Relay ``group``'s certified position outcome to this service's ``topic``."""
        return await self.request(
            submit_op(dict(certified.outcome), certified.certificate, topic, group)
        )

    async def close_group_topic(self, topic: str) -> Certified:
        """``group_close``: the certified aggregate of the groups' outcomes."""
        return await self.certified({"op": "group_close", "topic": topic})

    # ------------------------------------------------------------ coalitions
    async def propose_coalition(
        self, proposer: AgentKey, proposal: str, game: dict[str, Any], division: Sequence[float]
    ) -> Certified:
        """``coalition_propose`` signed by ``proposer``: the declared game (dense or
        weighted voting; see :mod:`accord.service.coalitions`) and the division."""
        op = {
            "op": "coalition_propose",
            "proposal": proposal,
            "by": proposer.agent,
            "game": game,
            "division": [float(v) for v in division],
        }
        return await self.certified(proposer.sign(op))


def _checked(op: dict[str, Any], done: Completed) -> Completed:
    r = done.result
    if isinstance(r, dict) and set(r) == {"error"}:
        raise ServiceRequestError(str(op.get("op", "?")), str(r["error"]))
    return done


class SyncServiceClient:
    """:class:`ServiceClient` with blocking methods (its own event loop); for
    example::

        with SyncServiceClient("svc") as c:
            c.register(key)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self.client = ServiceClient(*args, **kwargs)
        try:
            self._loop.run_until_complete(self.client.start())
        except BaseException:
            self._loop.run_until_complete(self.client.close())
            self._loop.close()
            raise

    @property
    def public_keys(self) -> tuple[bytes, ...]:
        return self.client.public_keys

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(attr(*args, **kwargs))

        call.__doc__, call.__name__ = attr.__doc__, name
        return call

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self.client.close())
            self._loop.close()

    def __enter__(self) -> SyncServiceClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
