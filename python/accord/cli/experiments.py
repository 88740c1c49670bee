"""``accord run`` and ``accord report``: batch experiments from a TOML config.

The experiment kinds are :mod:`accord.experiments`; importing it registers them with
the runner.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._args import whole


def _failure_log(results: Path, exc: BaseException) -> Path | None:
    """Write the traceback of a failed run to ``RESULTS/logs/failure.log``; its path, or
    None when it cannot be written."""
    import traceback

    log = results / "logs" / "failure.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(traceback.format_exception(exc))
        log.write_text(f"{exc}\n\n{text}", encoding="utf-8")
    except OSError:
        return None
    return log


def cmd_run(args: argparse.Namespace) -> int:
    import traceback

    from .. import experiments  # noqa: F401  (registers the built-in kinds)
    from ..runner import (
        ExperimentInterrupted,
        RunFailed,
        get_kind,
        load,
        load_config,
        resolve,
        run_experiment,
    )

    config = load_config(args.config)
    try:
        s = run_experiment(
            config,
            args.results,
            executor=args.executor,
            workers=args.workers,
            threads=args.threads,
            progress=False if args.no_progress else None,
            gpus_per_run=args.gpus_per_run,
        )
    except ExperimentInterrupted as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return 130
    except RunFailed as exc:
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        root = Path(args.results) if args.results is not None else Path("results") / config.name
        if args.verbose:
            traceback.print_exception(cause, file=sys.stderr)
        log = _failure_log(root, cause)
        where = "" if log is None or args.verbose else f" (traceback in {log}; or use --verbose)"
        print(f"accord: error: {exc}{where}", file=sys.stderr)
        return 1
    print(
        f"{config.name}: {s.total} runs ({s.cells} cells x {config.runs}) in {s.results}: "
        f"{s.skipped} already there, {s.completed} run now in {s.elapsed_s:.1f} s"
    )
    kind = get_kind(config.kind)
    if kind.summary is not None:
        print()
        resolve(kind.summary)(load(s.results))
    print(f"report: accord report {s.results}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from ..experiments import report_experiment
    from ..runner import ResultStore

    out = report_experiment(args.results, args.out)
    print(f"figures in {out}")
    store = ResultStore(args.results)
    try:
        done, total = store.progress()
    except ValueError:  # an unreadable experiment.toml: the report said what it could
        done = total = 0
    if done < total:
        print(
            f"accord: note: {args.results} is incomplete: {done} of {total} runs of its "
            "config are finished (interrupted or failed?); the report covers those only. "
            f"`accord run {store.config_path} --results {args.results}` finishes it",
            file=sys.stderr,
        )
    return 0


def add_commands(sub) -> None:
    """Add ``run`` and ``report`` to the subparsers ``sub``."""
    p = sub.add_parser("run", help="run a batch experiment from a TOML config (resumable)")
    p.add_argument(
        "config", help="experiment TOML file ([experiment], [settings], [grid], [[extra]])"
    )
    p.add_argument(
        "--results",
        default=None,
        help="results directory (default: results/<name> from the config)",
    )
    p.add_argument(
        "--executor",
        choices=["process", "serial", "ray"],
        default="process",
        help="where runs execute (default: process pool)",
    )
    p.add_argument(
        "--workers",
        type=whole(),
        default=None,
        help="parallel runs (default: CPU count; Ray: cluster CPUs)",
    )
    p.add_argument("--threads", type=whole(), default=1, help="OpenMP threads per run (default 1)")
    p.add_argument(
        "--gpus-per-run",
        type=float,
        default=None,
        help="with --executor ray: GPUs Ray reserves for each run (fractions share a GPU)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (one is drawn only when stderr is a terminal)",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="print the traceback of a failed run (else it goes to RESULTS/logs/failure.log)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="tables and figures of a results directory")
    p.add_argument("results", help="results directory written by `accord run`")
    p.add_argument("--out", default=None, help="figure directory (default: RESULTS/report)")
    p.set_defaults(func=cmd_report)
