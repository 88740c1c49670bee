"""Run an experiment into a store (resumable) and report on a store."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .._validate import choice, fail, integer
from .config import ExperimentConfig, config_from_dict, load_config
from .executors import EXECUTORS, RunError, make_executor
from .registry import ensure_kind, get_kind, resolve
from .store import KIND_NAME, ResultStore, table_kind

__all__ = [
    "ExperimentInterrupted",
    "RunFailed",
    "RunSummary",
    "report_experiment",
    "run_experiment",
]


@dataclass(frozen=True)
class RunSummary:
    results: Path
    cells: int
    total: int  # runs in the config
    skipped: int  # already in the store
    completed: int  # run now
    elapsed_s: float


class RunFailed(RuntimeError):
    """A run raised; the finished runs are kept. ``__cause__`` is the run's exception."""


class ExperimentInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during :func:`run_experiment`; ``summary`` counts what finished."""

    def __init__(self, message: str, summary: RunSummary) -> None:
        super().__init__(message)
        self.summary = summary


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM (``kill``) into KeyboardInterrupt so cleanup runs."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _fmt_params(params: dict) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in params.items()) + "}"


def _blame(config: ExperimentConfig, origin: str, params: dict, exc: Exception) -> str:
    """Where the problem of a cell that ``validate`` refused lies: the table that gave
    the cell the first parameter the message names (a typo in [settings] is a
    [settings] problem in every cell), else the cell's own origin."""
    text = str(exc)
    first: tuple[int, str] | None = None
    for k in params:
        m = re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", text)
        if m is not None and (first is None or m.start() < first[0]):
            first = (m.start(), k)
    cell = f"{origin} cell {_fmt_params(params)}"
    if first is None:
        return f"{cell} is invalid"
    table = config.key_origin(origin, first[1])
    if table == origin:
        return f"{cell} is invalid"
    return f"{table} {first[1]} is invalid (checked in {cell})"


def run_experiment(
    config,
    results=None,
    *,
    executor: str = "process",
    workers: int | None = None,
    threads: int | None = 1,
    progress: bool | None = None,
    gpus_per_run: float | None = None,
) -> RunSummary:
    """Run every cell x run of ``config`` that is not in the store yet.

    ``config`` is an :class:`ExperimentConfig` or the path of a TOML file;
    ``results`` the store directory (default ``results/<name>``). The kind's
    ``validate`` hook checks every cell before any run starts. Each finished run is
    written at once, so an interrupted experiment resumes where it stopped when run
    again. ``executor`` is ``"process"`` (``workers`` processes, default
    ``os.cpu_count()``), ``"serial"`` or ``"ray"``. ``threads`` sets the OpenMP
    threads of every run (``accord.set_num_threads``; None leaves them), the same
    for every executor so that results do not depend on it. ``progress``: show a
    tqdm bar (default: when stderr is a terminal). ``gpus_per_run`` (``ray`` executor
    only) asks Ray for that many GPUs per run (``num_gpus``, fractions allowed): each
    run is scheduled where a GPU share is free and sees only its GPUs
    (``CUDA_VISIBLE_DEVICES``).

    The process executor starts workers with 'spawn', which re-imports the main
    module: a script calling this needs the ``if __name__ == "__main__":`` guard.
    """
    func = "run_experiment"
    if isinstance(config, dict):
        config = config_from_dict(config)
    elif not isinstance(config, ExperimentConfig):
        if not isinstance(config, (str, os.PathLike)):
            fail(
                func,
                "config must be an ExperimentConfig, the path of a TOML file or a dict "
                f"shaped like one; got {type(config).__name__}",
                TypeError,
            )
        config = load_config(config)
    choice(func, "executor", executor, EXECUTORS)
    if workers is not None:
        workers = integer(func, "workers", workers, minimum=1)
    if threads is not None:
        threads = integer(func, "threads", threads, minimum=1)
    if gpus_per_run is not None:
        if executor != "ray":
            fail(func, f"gpus_per_run needs executor='ray'; got executor={executor!r}")
        if (
            isinstance(gpus_per_run, bool)
            or not isinstance(gpus_per_run, int | float)
            or not 0 < gpus_per_run < float("inf")
        ):
            fail(func, f"gpus_per_run must be a positive number of GPUs; got {gpus_per_run!r}")

    kind = get_kind(config.kind)
    resolve(kind.run)  # fail now, not in every worker
    labelled = config.labelled_cells()
    if kind.validate is not None:
        validate = resolve(kind.validate)
        for origin, params in labelled:
            try:
                validate(dict(params))
            except (ValueError, TypeError) as exc:
                raise type(exc)(
                    f"{func}(): {config.source}: {_blame(config, origin, params, exc)}: {exc}"
                ) from None

    root = Path(results) if results is not None else Path("results") / config.name
    store = ResultStore(root)
    store.check(config, f"{func}()")
    ex = make_executor(executor, workers, threads, gpus_per_run)
    tasks = config.tasks()
    t0 = time.perf_counter()
    completed = 0

    def summary(skipped: int) -> RunSummary:
        return RunSummary(
            root, len(labelled), len(tasks), skipped, completed, time.perf_counter() - t0
        )

    with store.lock():
        store.init(config)
        done = store.finished()  # damaged result files are quarantined and run again
        todo = [t for t in tasks if t.key not in done]
        skipped = len(tasks) - len(todo)
        if progress is None:
            progress = sys.stderr.isatty()
        from tqdm import tqdm

        try:
            with (
                _sigterm_as_interrupt(),
                ex,
                tqdm(
                    total=len(todo),
                    disable=not progress,
                    unit="run",
                    desc=config.name,
                    file=sys.stderr,
                ) as bar,
            ):
                for task, values, wall in ex.results(todo, kind.run):
                    store.write(task, values, wall)
                    completed += 1
                    bar.update(1)
        except RunError as exc:
            where = (
                "a run"
                if exc.task is None
                else f"run {exc.task.run} (seed {exc.task.seed}) of cell "
                f"{_fmt_params(exc.task.params)}"
            )
            raise RunFailed(
                f"{func}(): {where} failed: {exc}; the {skipped + completed} finished "
                f"runs are kept in {root}; fix the problem and run the same "
                "command again to resume"
            ) from exc.__cause__
        except KeyboardInterrupt:
            s = summary(skipped)
            raise ExperimentInterrupted(
                f"interrupted; {s.skipped + s.completed} of {s.total} runs are finished in "
                f"{root}; run the same command again to resume",
                s,
            ) from None
    return summary(skipped)


def report_experiment(results, out=None) -> Path:
    """Call the report of the store's kind with ``(table, out_dir)``; return ``out_dir``.

    ``out`` defaults to ``RESULTS/report``.
    """
    store = ResultStore(results)
    table = store.load()
    kind_name = table_kind(table)
    if not kind_name:
        raise ValueError(f"report_experiment(): {store.config_path} names no kind; repair it")
    kind = ensure_kind(kind_name, store.stored_kind(), str(store.root / KIND_NAME))
    if kind.report is None:
        raise ValueError(
            f"report_experiment(): experiment kind {kind_name!r} has no report; "
            "register one with accord.runner.register(kind, ..., report=...)"
        )
    if table.num_rows == 0:
        raise ValueError(
            f"report_experiment(): {store.root} has no finished runs yet; run "
            "`accord run CONFIG` first"
        )
    out_dir = Path(out) if out is not None else store.root / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    resolve(kind.report)(table, out_dir)
    return out_dir
