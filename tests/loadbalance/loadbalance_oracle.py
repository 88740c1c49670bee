"""The reference auction round: a per-task Python loop over servers.

:class:`PythonLoopBalancer` is :class:`~accord.loadbalance.LoadBalancer` with its
auctions replaced by scalar code that recomputes every bid with
:func:`~accord.loadbalance.bid_scalar`; the package's kernel and NumPy paths must give
bit-identical results. ``benchmarks/compare_loadbalance.py`` uses it as the baseline.
"""

from __future__ import annotations

import numpy as np

from accord.loadbalance import LoadBalanceConfig, LoadBalancer, SimulationResult, Tasks, bid_scalar

PATHS = ("kernel", "numpy", "python")


class PythonLoopBalancer(LoadBalancer):
    """A :class:`LoadBalancer` whose auctions are a per-task loop over servers
    (``auction == "python"``)."""

    def __init__(self, config: LoadBalanceConfig | None = None, **kw) -> None:
        super().__init__(config, auction="numpy", **kw)
        self.auction = "python"

    def _run_auctions(self, tasks: Tasks, noise: np.ndarray, out: dict) -> None:
        c, s = self.config, self.servers
        n = s.n
        cap, sens, ra = s.capacity.tolist(), s.sensitivity.tolist(), s.risk_aversion.tolist()
        target, coal = s.target_load_ratio.tolist(), s.coalition.tolist()
        load = s.load.tolist()
        dqn = self._dqn
        adjust = [None] * n
        for k, task_load in enumerate(tasks.load.tolist()):
            row = noise[k].tolist()
            if dqn is not None:
                now = np.minimum(np.array(load) / s.capacity, c.ratio_cap)
                state = self._dqn_state(now, task_load)
                actions = dqn.act(state)
                adjust = self._mult[actions].tolist()
            best = second = float("inf")
            w = -1
            for i in range(n):
                b = bid_scalar(
                    load[i],
                    cap[i],
                    sens[i],
                    ra[i],
                    target[i],
                    task_load,
                    row[i],
                    damping=c.damping,
                    max_bid=c.max_bid,
                    adjust=adjust[i],
                    ratio_cap=c.ratio_cap,
                )
                if b < best:
                    best, second, w = b, best, i
                elif b < second:
                    second = b
            j = -1
            if min(load[w] / cap[w], c.ratio_cap) > c.overload_threshold:
                lowest = float("inf")
                for i in range(n):
                    r = min(load[i] / cap[i], c.ratio_cap)
                    if i != w and coal[i] == coal[w] and r < c.partner_threshold and r < lowest:
                        lowest, j = r, i
            if j < 0:
                load[w] += task_load
            else:
                load[w] += task_load / 2
                load[j] += task_load / 2
            if dqn is not None:
                now = np.minimum(np.array(load) / s.capacity, c.ratio_cap)
                self._dqn_remember(state, actions, now)
            out["winner"][k] = w
            out["partner"][k] = j
            out["bid"][k] = best
            out["price"][k] = second if n > 1 else best
            out["reserve"][k] = self.reserve
            out["above"][k] = self._close_auction(best)
        s.load[:] = load


def balancer(path: str, config: LoadBalanceConfig | None = None, **kw) -> LoadBalancer:
    """A balancer on auction path ``path``: one of the package's, or ``"python"``."""
    if path == "python":
        return PythonLoopBalancer(config, **kw)
    return LoadBalancer(config, auction=path, **kw)


def simulate_path(
    path: str, config: LoadBalanceConfig | None = None, *, seed=None, servers=None, **settings
) -> SimulationResult:
    """:func:`accord.loadbalance.simulate` on auction path ``path`` (or ``"python"``)."""
    if settings:
        base = (config or LoadBalanceConfig()).to_dict()
        base.update(settings)
        config = LoadBalanceConfig.from_dict(base)
    return balancer(path, config, servers=servers, seed=seed).run()
