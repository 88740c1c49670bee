"""asv benchmarks of accord.consensus on the deterministic in-process network:
the CPU cost of agreeing on null operations and KV increments (n = 4, 7, 10;
batch sizes 1, 10, 100), and of a view change after the primary crashes.
``accord pbft bench`` measures the same over TCP."""

from __future__ import annotations

from accord.consensus import ProtocolConfig, SimCluster

from . import common

OPS = 400
CLIENTS = 100


def _cluster(n: int, batch: int) -> SimCluster:
    cfg = ProtocolConfig(n=n, batch_size=batch, pipeline=8, checkpoint_interval=128,
                         log_window=256)
    return SimCluster(cfg, clients=CLIENTS, seed=common.SEED)


def _load(c: SimCluster, op: dict) -> None:
    for cid in c.client_ids:
        c.submit(cid, [op] * (OPS // CLIENTS))


class Agreement:
    params = ([4, 7, 10], [1, 10, 100], ["null", "kv"])
    param_names = ["n", "batch", "ops"]
    timeout = 300

    def setup(self, n, batch, ops):
        self.c = _cluster(n, batch)
        _load(self.c, {"op": "noop"} if ops == "null" else {"op": "increment", "key": "k"})

    def time_commit_400_ops(self, n, batch, ops):
        if not self.c.run(3600.0):
            raise RuntimeError("requests did not complete")


class ViewChange:
    params = [4, 7]
    param_names = ["n"]

    def setup(self, n):
        cfg = ProtocolConfig(n=n, view_change_timeout=0.05, client_timeout=0.02)
        self.c = SimCluster(cfg, clients=4, seed=common.SEED)
        for cid in self.c.client_ids:
            self.c.submit(cid, [{"op": "noop"}] * 5)
        self.c.net.schedule(0.0, lambda: self.c.net.crash("r0"))

    def time_view_change_and_commit(self, n):
        if not self.c.run(60.0):
            raise RuntimeError("requests did not complete")

    def track_virtual_seconds_to_recover(self, n):
        self.c.run(60.0)
        return self.c.net.now

    track_virtual_seconds_to_recover.unit = "seconds"
