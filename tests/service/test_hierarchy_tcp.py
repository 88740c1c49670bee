"""A three-level tree of service clusters over TCP on loopback: leaf groups agree on
positions, a middle cluster aggregates two of them, the root aggregates the middle
cluster and a third leaf; every outcome travels up with its quorum certificate."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.consensus.aggregate import median, trimmed_mean  # noqa: E402
from accord.service.deploy import generate_service, load_service  # noqa: E402
from accord.service.remote import (  # noqa: E402
    Certified,
    ServiceClient,
    ServiceRequestError,
    service_server,
)
from accord.service.signing import AgentKey  # noqa: E402

T = 30.0
OWNER = AgentKey.generate("owner", b"tree")
AGENTS = [AgentKey.generate(f"a{i}", b"tree") for i in range(4)]
POSITIONS = {
    "A": [[0.0, 1.0], [1.0, 2.0], [2.0, 0.5], [50.0, -50.0]],  # one outlier agent
    "B": [[4.0, 4.0], [5.0, 3.0], [6.0, 5.0], [5.5, 4.5]],
    "C": [[1.0, 9.0], [2.0, 8.0], [3.0, 7.0], [2.5, 7.5]],
}
TRIM = 0.25


async def _start(configs):
    servers = [
        service_server(r, config, storage="memory") for config in configs for r in range(config.n)
    ]
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


async def _leaf(c: ServiceClient, name: str) -> Certified:
    await asyncio.gather(*(c.register(k) for k in (OWNER, *AGENTS)))
    await c.open_topic(OWNER, "t", "trimmed_mean", 2, 1000, trim=TRIM, expect=len(AGENTS))
    await asyncio.gather(
        *(c.submit_position(k, "t", x) for k, x in zip(AGENTS, POSITIONS[name], strict=True))
    )
    return await c.close_topic("t")


def test_a_three_level_tree_over_tcp_equals_the_level_by_level_aggregate(tmp_path):
    names = ("A", "B", "C", "M", "R")
    configs = {
        g: load_service(generate_service(tmp_path / g, n=4, clients=6, base_port=0)) for g in names
    }

    async def go():
        servers = await _start(list(configs.values()))
        try:
            clients = {g: ServiceClient(configs[g], configs[g].cluster.client_ids) for g in names}
            for c in clients.values():
                await c.start()
            try:
                leaves = await asyncio.gather(*(_leaf(clients[g], g) for g in "ABC"))
                certified = dict(zip("ABC", leaves, strict=True))
                for g, cert in certified.items():
                    assert cert.verify(configs[g].certificate_keys)
                m, r = clients["M"], clients["R"]
                for parent, groups in ((m, "AB"), (r, "MC")):
                    await parent.register(OWNER)
                    for g in groups:
                        await parent.register_group(OWNER, g, configs[g].certificate_keys)
                await m.open_group_topic(OWNER, "mid", "median", 2, list("AB"), 1000)
                # a relayer that alters A's outcome is refused: the certificate is A's
                forged = Certified(
                    {**certified["A"].outcome, "value": [9.0, 9.0]}, certified["A"].certificate
                )
                with pytest.raises(ServiceRequestError, match="does not verify"):
                    await m.submit_group("mid", "A", forged)
                # B's certificate does not stand for A
                swapped = Certified(certified["A"].outcome, certified["B"].certificate)
                with pytest.raises(ServiceRequestError, match="does not verify"):
                    await m.submit_group("mid", "A", swapped)
                for g in "AB":
                    await m.submit_group("mid", g, certified[g])
                mid = await m.close_group_topic("mid")
                assert mid.verify(configs["M"].certificate_keys)
                await r.open_group_topic(OWNER, "root", "median", 2, ["M", "C"], 1000)
                await r.submit_group("root", "M", mid)
                await r.submit_group("root", "C", certified["C"])
                root = await r.close_group_topic("root")
                assert root.verify(configs["R"].certificate_keys)
                assert not root.verify(configs["M"].certificate_keys)
                stored = await r.outcome("position", "root")
                assert isinstance(stored, Certified) and stored.outcome == root.outcome
                return certified, mid, root
            finally:
                for c in clients.values():
                    await c.close()
        finally:
            for s in servers:
                await s.stop()

    certified, mid, root = asyncio.run(go())
    flat = {g: trimmed_mean(np.asarray(POSITIONS[g]), trim=TRIM) for g in "ABC"}
    for g in "ABC":
        np.testing.assert_allclose(certified[g].outcome["value"], flat[g], atol=1e-9)
    expect_mid = median(np.asarray([flat["A"], flat["B"]]))
    np.testing.assert_allclose(mid.outcome["value"], expect_mid, atol=1e-9)
    expect_root = median(np.asarray([expect_mid, flat["C"]]))
    np.testing.assert_allclose(root.outcome["value"], expect_root, atol=1e-9)
    assert root.outcome["groups"] == ["M", "C"]
    assert [s["id"] for s in root.outcome["sources"]] == ["mid", "t"]
