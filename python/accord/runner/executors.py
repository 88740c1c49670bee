"""Executors: run tasks and yield their results as they finish.

- ``serial``: in this process, one after another;
- ``process`` (default): a ``concurrent.futures.ProcessPoolExecutor`` with the
  'spawn' start method (safe with OpenMP and threads), ``os.cpu_count()`` workers;
- ``ray``: one Ray remote task per run (``ray.init()`` is called when Ray is not
  initialised yet, so ``RAY_ADDRESS`` selects a cluster).

Each keeps a bounded number of runs in flight; the caller writes every result the
moment it is yielded. On an error or an interrupt the remaining runs are cancelled
and worker processes are ended.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ._worker import execute, init_worker
from .config import Task

__all__ = ["EXECUTORS", "RunError", "make_executor"]

EXECUTORS = ("process", "serial", "ray")
_BROKEN = "a worker process ended abruptly (killed, out of memory, or os._exit() in the experiment)"


class RunError(RuntimeError):
    """A run failed; ``task`` says which."""

    def __init__(self, task: Task | None, message: str) -> None:
        super().__init__(message)
        self.task = task


class _SpawnContext(multiprocessing.context.SpawnContext):
    """The 'spawn' context, noting the names of the named semaphores it creates.

    Under 'spawn' the pool's queue locks are named POSIX semaphores that the resource
    tracker (a process that outlives this one) unlinks, with a "leaked semaphore"
    warning, when this process dies without releasing them (``kill -9``). The workers
    get the names (:func:`~accord.runner._worker.init_worker`) and release them when
    they see the driver gone, before the tracker looks.
    """

    def __init__(self) -> None:
        super().__init__()
        self.semaphores: list[str] = []

    def _note(self, lock):
        name = getattr(getattr(lock, "_semlock", None), "name", None)
        if isinstance(name, str):
            self.semaphores.append(name)
        return lock

    def Lock(self):
        return self._note(super().Lock())

    def RLock(self):
        return self._note(super().RLock())

    def Semaphore(self, value=1):
        return self._note(super().Semaphore(value))

    def BoundedSemaphore(self, value=1):
        return self._note(super().BoundedSemaphore(value))


class SerialExecutor:
    name = "serial"

    def __init__(self, workers: int | None = None, threads: int | None = 1) -> None:
        self.workers = 1
        self.threads = threads

    def __enter__(self) -> SerialExecutor:
        from accord._backend import cpu_kernels

        self._saved_threads = cpu_kernels().get_num_threads()
        return self

    def __exit__(self, *exc) -> None:
        from accord._backend import cpu_kernels

        cpu_kernels().set_num_threads(self._saved_threads)

    def results(self, tasks: Iterable[Task], run_path: str) -> Iterator[tuple[Task, dict, float]]:
        for task in tasks:
            try:
                values, wall = execute(run_path, task.params, task.seed, self.threads)
            except Exception as exc:
                raise RunError(task, f"{type(exc).__name__}: {exc}") from exc
            yield task, values, wall


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int | None = None, threads: int | None = 1) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.threads = threads
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if exc_type is not None:
            # Interrupted or failed: do not wait for runs in flight.
            for p in list((getattr(pool, "_processes", None) or {}).values()):
                p.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
        else:
            pool.shutdown(wait=True)

    def results(self, tasks: Iterable[Task], run_path: str) -> Iterator[tuple[Task, dict, float]]:
        tasks = list(tasks)
        if not tasks:
            return
        n = min(self.workers, len(tasks))
        ctx = _SpawnContext()
        # the pool creates its queues (and their semaphores) now and starts its workers
        # at the first submit, so the list passed to them is complete by then
        pool = self._pool = ProcessPoolExecutor(
            max_workers=n,
            mp_context=ctx,
            initializer=init_worker,
            initargs=(os.getpid(), ctx.semaphores),
        )
        todo = iter(tasks)
        pending: dict = {}

        def fill() -> None:
            while len(pending) < 2 * n:
                task = next(todo, None)
                if task is None:
                    return
                try:
                    fut = pool.submit(execute, run_path, task.params, task.seed, self.threads)
                except BrokenProcessPool as exc:
                    raise RunError(None, _BROKEN) from exc
                pending[fut] = task

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                try:
                    values, wall = fut.result()
                except BrokenProcessPool as exc:
                    raise RunError(None, _BROKEN) from exc
                except Exception as exc:
                    raise RunError(task, f"{type(exc).__name__}: {exc}") from exc
                yield task, values, wall
            fill()


class RayExecutor:
    name = "ray"

    def __init__(
        self, workers: int | None = None, threads: int | None = 1, gpus: float | None = None
    ) -> None:
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError(
                "run_experiment(): executor 'ray' needs Ray, which is not "
                "installed; install it with `pip install ray` (the 'cluster' extra: "
                "pip install \"accord[cluster]\") or use executor 'process'"
            ) from exc
        self.ray = ray
        self.requested = workers
        self.workers = workers
        self.threads = threads
        self.gpus = gpus
        self._pending: dict = {}

    def __enter__(self) -> RayExecutor:
        if not self.ray.is_initialized():
            self.ray.init()
        if self.workers is None:
            cpus = self.ray.cluster_resources().get("CPU", os.cpu_count() or 1)
            self.workers = max(1, int(cpus) // max(1, self.threads or 1))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            for ref in self._pending:
                try:
                    self.ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - best effort on the way out
                    pass
        self._pending = {}

    def results(self, tasks: Iterable[Task], run_path: str) -> Iterator[tuple[Task, dict, float]]:
        ray = self.ray
        options: dict = {"num_cpus": self.threads or 1, "max_retries": 0}
        if self.gpus:  # a Ray resource: each run is placed on a node with a free GPU share
            options["num_gpus"] = self.gpus
        remote = ray.remote(**options)(execute)
        todo = iter(tasks)
        pending = self._pending
        n = self.workers
        if n is None:  # resolved by __enter__
            raise RuntimeError("RayExecutor.results() runs inside `with executor:`")

        def fill() -> None:
            while len(pending) < 2 * n:
                task = next(todo, None)
                if task is None:
                    return
                pending[remote.remote(run_path, task.params, task.seed, self.threads)] = task

        fill()
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                task = pending.pop(ref)
                try:
                    values, wall = ray.get(ref)
                except Exception as exc:
                    # a RayTaskError wraps the run's own exception and the remote traceback:
                    # report the exception itself, as the other executors do
                    cause = getattr(exc, "cause", None) or exc
                    raise RunError(task, f"{type(cause).__name__}: {cause}") from exc
                yield task, values, wall
            fill()


def make_executor(
    name: str, workers: int | None = None, threads: int | None = 1, gpus: float | None = None
):
    """The executor called ``name``; ``gpus`` (GPUs per run) is a Ray resource and needs
    the ``ray`` executor."""
    if name == "ray":
        return RayExecutor(workers, threads, gpus)
    cls = {"process": ProcessExecutor, "serial": SerialExecutor}[name]
    return cls(workers, threads)
