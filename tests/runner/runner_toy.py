"""A small experiment kind for the runner tests (registered by the tests as "toy").

Environment variables steer it from the outside (they reach spawned workers):
``RUNNER_TOY_LOG`` -- a file; every call appends one JSON line {"params", "seed"};
``RUNNER_TOY_STOP_AFTER`` -- when the log already has that many lines, the call
does ``RUNNER_TOY_STOP_HOW``: "exit" (os._exit, like kill -9), "interrupt"
(KeyboardInterrupt, like Ctrl-C) or "error" (RuntimeError).
"""

import json
import os

import numpy as np

METHODS = ("a", "b", "c")


def validate(params):
    unknown = set(params) - {"method", "scale", "stages", "note"}
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}")
    if params.get("method") not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {params.get('method')!r}")


def run(params, seed):
    log = os.environ.get("RUNNER_TOY_LOG")
    if log:
        stop = os.environ.get("RUNNER_TOY_STOP_AFTER")
        if stop is not None:
            with open(log, "a+") as f:
                f.seek(0)
                n = sum(1 for _ in f)
            if n >= int(stop):
                how = os.environ.get("RUNNER_TOY_STOP_HOW", "exit")
                if how == "exit":
                    os._exit(3)
                if how == "interrupt":
                    raise KeyboardInterrupt
                raise RuntimeError("toy failure")
        with open(log, "a") as f:
            f.write(json.dumps({"params": params, "seed": seed}) + "\n")
    rng = np.random.default_rng(seed)
    stages = int(params.get("stages", 5))
    offset = METHODS.index(params["method"])
    series = rng.random(stages) * float(params.get("scale", 1.0)) + offset
    return {"total": float(series.sum()), "series": series,
            "flags": series > offset + 0.5, "count": np.int64(stages), "label": "x"}


def bad_shape(params, seed):
    return {"m": np.zeros((2, 2))}


def report(table, out_dir):
    print(f"toy report: {table.num_rows} rows")
    (out_dir / "toy.txt").write_text(str(table.num_rows))


CONFIG = """
[experiment]
kind = "toy"
name = "toy-test"
runs = 4
seed = 7
[settings]
stages = 6
[grid]
method = ["a", "b"]
scale = [1.0, 2.0]
[[extra]]
method = "c"
note = ["x", "y"]
"""


def register_toy():
    from accord.runner import register

    register("toy", run="runner_toy:run", validate="runner_toy:validate",
             report="runner_toy:report")


def write_config(directory, text=CONFIG, name="toy.toml"):
    path = directory / name
    path.write_text(text)
    return path


def table_without_wall(table):
    return table.drop_columns(["wall_s"])
