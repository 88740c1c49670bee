"""Safety and liveness checks over a SimCluster run (test helpers, not package code).

Invariants from Castro & Liskov (1999), Sec. 4.5, and how Twins, Jepsen and
CometBFT check BFT systems: one digest per sequence number among correct replicas,
prefix-consistent executions, exactly-once execution, equal stable checkpoints,
and linearizable client histories.
"""

from __future__ import annotations

from linearizability import Op, check

from accord.consensus.simnet import SimCluster


def safety_violations(cluster: SimCluster, correct) -> list[str]:
    """Every broken safety invariant among the ``correct`` replica ids."""
    out = []
    tr = {r: cluster.traces[r] for r in correct}
    seqs = set().union(*(t.committed for t in tr.values()), *(t.executed for t in tr.values()))
    for s in sorted(seqs):
        ds = set()
        for t in tr.values():
            ds |= t.committed.get(s, set())
            if s in t.executed:
                ds.add(t.executed[s])
        if len(ds) > 1:
            out.append(f"sequence number {s}: correct replicas committed/executed {sorted(ds)}")
    cps = set().union(*(t.stable for t in tr.values()))
    for s in sorted(cps):
        ds = {t.stable[s] for t in tr.values() if s in t.stable}
        if len(ds) > 1:
            out.append(f"stable checkpoint {s} has digests {sorted(ds)}")
    where: dict = {}
    for r, t in tr.items():
        if t.duplicates:
            out.append(f"replica {r} executed {t.duplicates[:3]} twice")
        for key, s in t.requests.items():
            if where.setdefault(key, s) != s:
                out.append(f"request {key} executed at sequence numbers {where[key]} and {s}")
    return out


def linearizable(cluster: SimCluster):
    return check([Op(h.client, h.invoke, h.complete, h.op, h.result) for h in cluster.history])


def assert_safe(cluster: SimCluster, correct, linear: bool = True) -> None:
    bad = safety_violations(cluster, correct)
    assert not bad, "\n".join(bad[:10])
    if linear:
        res = linearizable(cluster)
        assert res.ok, str(res)
