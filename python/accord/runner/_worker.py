"""What runs inside a worker: resolve the run function, call it, time it."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Sequence


def execute(run_path: str, params: dict, seed: int, threads: int | None) -> tuple[dict, float]:
    """Call the kind's ``run(params, seed)``; return its values and the wall time."""
    from .registry import resolve

    fn = resolve(run_path)
    if threads is not None:
        import accord

        accord.set_num_threads(threads)
    t0 = time.perf_counter()
    values = fn(dict(params), seed)
    return values, time.perf_counter() - t0


def release_semaphores(names: Sequence[str]) -> int:
    """Unlink the named semaphores of a dead driver's pool and take them off the resource
    tracker's list; return how many this process released.

    The tracker, a process that outlives the driver, would otherwise unlink them with
    a "leaked semaphore" warning once every process holding its pipe (the driver and
    its workers) has ended. Each name is unlinked by one worker only (the one whose
    ``sem_unlink`` succeeds), so each is taken off the list once.
    """
    if not names:
        return 0
    import importlib
    from multiprocessing import resource_tracker

    sem_unlink = importlib.import_module("_multiprocessing").sem_unlink  # POSIX only

    n = 0
    for name in names:
        try:
            sem_unlink(name)
        except OSError:  # released by another worker, or never created
            continue
        with contextlib.suppress(Exception):  # the tracker may be gone: nothing to tell it
            resource_tracker.unregister(name, "semaphore")
        n += 1
    return n


def _watch_parent(parent: int, semaphores: Sequence[str]) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the parent died (killed): nobody will read our results
            with contextlib.suppress(Exception):
                release_semaphores(semaphores)
            os._exit(1)


def init_worker(parent: int, semaphores: Sequence[str] = ()) -> None:
    """Process-pool initializer: Ctrl-C is the parent's business; die with the parent,
    releasing the pool's ``semaphores`` (their names) on the way out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent, tuple(semaphores)), daemon=True).start()
