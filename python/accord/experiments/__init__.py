"""Experiment kinds: one module per kind with its ``validate``, ``run`` and ``report``.

Importing this package registers the built-in kinds with the runner
(:func:`accord.runner.register`); the registration stores ``module:function`` paths
only, so it imports no system. ``accord run`` and ``accord report`` import it.

::

    from accord.experiments import load_config, run_experiment, report_experiment

    cfg = load_config("examples/coalition/static-5.toml")
    run_experiment(cfg, executor="process")      # results/static-5
    report_experiment("results/static-5")        # the kind's tables and PNGs

=============== ==========================================================
``coalition``   :mod:`accord.experiments.coalition` -- repeated coalition
                formation with Bayesian learning agents
``loadbalance`` :mod:`accord.experiments.loadbalance` -- the auction-based
                load-balancing simulation
``marl``        :mod:`accord.experiments.marl` -- multi-agent learners on
                matrix and Markov games: learning curves, optimality and
                NashConv of the learned policies
=============== ==========================================================
"""

from __future__ import annotations

from ..runner import load, load_config, parse_config, register, report_experiment, run_experiment

__all__ = ["KINDS", "load", "load_config", "parse_config", "report_experiment", "run_experiment"]

#: The built-in kinds.
KINDS = ("coalition", "loadbalance", "marl")

register(
    "coalition",
    run="accord.experiments.coalition:run",
    validate="accord.experiments.coalition:validate",
    report="accord.experiments.coalition:report",
)
register(
    "loadbalance",
    run="accord.experiments.loadbalance:run",
    validate="accord.experiments.loadbalance:validate",
    report="accord.experiments.loadbalance:report",
    summary="accord.experiments.loadbalance:summary",
)
register(
    "marl",
    run="accord.experiments.marl:run",
    validate="accord.experiments.marl:validate",
    report="accord.experiments.marl:report",
    summary="accord.experiments.marl:summary",
)
