"""asv: the load-balancing simulation per auction path and learning mode.

The per-task Python loop, the tests' reference round, is measured against these paths
by ``benchmarks/compare_loadbalance.py``.
"""

from __future__ import annotations

from accord.loadbalance import LoadBalanceConfig, simulate


def _config(servers: int, rounds: int, mode: str) -> LoadBalanceConfig:
    return LoadBalanceConfig(
        n_servers=servers,
        rounds=rounds,
        mode=mode,
        n_coalitions=max(1, servers // 10),
        base_tasks_per_round=float(servers),
        amplitude=servers / 2,
        period=500.0,
        ledger=False,
    )


class AuctionPaths:
    params = (["kernel", "numpy"], [10, 100])
    param_names = ["path", "servers"]

    def setup(self, path, servers):
        self.config = _config(servers, 100, "continuous")

    def time_100_rounds(self, path, servers):
        simulate(self.config, seed=1, auction=path)


class Modes:
    params = (["static", "continuous", "q-learning", "bandit", "ucb1", "thompson", "dqn"],)
    param_names = ["mode"]

    def setup(self, mode):
        self.config = _config(20, 200, mode)

    def time_200_rounds_20_servers(self, mode):
        simulate(self.config, seed=1)


class LedgerRun:
    def setup(self):
        self.config = LoadBalanceConfig(n_servers=20, rounds=500, base_tasks_per_round=20.0)

    def time_500_rounds_with_ledger(self):
        simulate(self.config, seed=1)


class LedgerVerify:
    def setup(self):
        self.result = simulate(
            LoadBalanceConfig(n_servers=20, rounds=500, base_tasks_per_round=20.0), seed=1
        )

    def time_verify_ledger(self):
        self.result.verify_ledger()
