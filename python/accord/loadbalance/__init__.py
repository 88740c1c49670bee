"""Auction-based load balancing with learning servers.

Servers bid for every task in a reverse auction (the lowest bid wins, the second-lowest
is the price; Vickrey (1961)), split tasks with coalition partners when overloaded, and
adapt their bidding sensitivity by a continuous rule or with the learners of
:mod:`accord.learn`. Every round is logged to a hash-chained ledger
(:class:`accord.consensus.Ledger`), or handed to a ledger sink (:class:`LedgerSink`)
that replicates it through the coordination service::

    from accord.loadbalance import simulate, plot_result
    r = simulate(n_servers=20, rounds=2000, mode="q-learning", seed=1)
    r.summary()            # welfare, fairness, reserve, split and above-reserve rates
    r.verify_ledger()      # the hash-chained auction ledger matches the log
    plot_result(r, "figures/")
"""

from .._extras import require_extra

require_extra(__name__, "loadbalance")

from .bidding import ACTIONS, action_multipliers, bid_scalar, bids
from .game import SpareCapacityGame, coalition_shapley
from .ledger_sink import LedgerSink
from .model import MODES, SLA_LEVELS, LoadBalanceConfig, Servers, Tasks, arrival_rate
from .plots import plot_result
from .simulate import AUCTION_PATHS, LoadBalancer, RoundRecord, SimulationResult, simulate

__all__ = [
    "ACTIONS",
    "AUCTION_PATHS",
    "MODES",
    "SLA_LEVELS",
    "LedgerSink",
    "LoadBalanceConfig",
    "LoadBalancer",
    "RoundRecord",
    "Servers",
    "SimulationResult",
    "SpareCapacityGame",
    "Tasks",
    "action_multipliers",
    "arrival_rate",
    "bid_scalar",
    "bids",
    "coalition_shapley",
    "plot_result",
    "simulate",
]
