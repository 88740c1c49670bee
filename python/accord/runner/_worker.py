"""What runs inside a worker: resolve the run function, call it, time it."""

from __future__ import annotations

import os
import signal
import threading
import time


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


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the parent died (killed): nobody will read our results
            os._exit(1)


def init_worker(parent: int) -> None:
    """Process-pool initializer: Ctrl-C is the parent's business; die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
