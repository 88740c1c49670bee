"""Batch jobs: experiment configs, executors, a resumable result store, reports.

::

    import accord.experiments                   # registers the built-in kinds
    from accord.runner import load_config, run_experiment, load, report_experiment

    cfg = load_config("static-5.toml")          # [experiment] [settings] [grid] [[extra]]
    run_experiment(cfg, executor="process")     # results/static-5/runs/<key>.parquet
    table = load("results/static-5")            # pyarrow.Table, one row per run
    report_experiment("results/static-5")       # the kind's report: tables + PNGs

Experiment kinds are registered by ``module:function`` paths and imported only when
used (``register``). The runner holds no algorithms and knows no system: the kinds
live in :mod:`accord.experiments`, which registers them here.
"""

from .._extras import require_extra

require_extra(__name__, "runner")

from .config import ExperimentConfig, Task, load_config, parse_config, run_key, run_seed
from .engine import (
    ExperimentInterrupted,
    RunFailed,
    RunSummary,
    report_experiment,
    run_experiment,
)
from .executors import EXECUTORS
from .plots import line_plot
from .registry import ExperimentKind, get_kind, kinds, register, resolve
from .stats import discounted_accumulation, mean_ci
from .store import (
    CorruptResultWarning,
    ResultStore,
    load,
    param_columns,
    result_columns,
    table_kind,
)
from .tables import format_table, print_table

__all__ = [
    "EXECUTORS",
    "CorruptResultWarning",
    "ExperimentConfig",
    "ExperimentInterrupted",
    "ExperimentKind",
    "ResultStore",
    "RunFailed",
    "RunSummary",
    "Task",
    "discounted_accumulation",
    "format_table",
    "get_kind",
    "kinds",
    "line_plot",
    "load",
    "load_config",
    "mean_ci",
    "param_columns",
    "parse_config",
    "print_table",
    "register",
    "report_experiment",
    "resolve",
    "result_columns",
    "run_experiment",
    "run_key",
    "run_seed",
    "table_kind",
]
