"""Experiment kinds for the tests against a real Ray cluster (imported by Ray workers).

``slow``: the toy kind's run after sleeping ``params["sleep"]`` seconds, so a driver can be
killed mid-experiment; ``flaky``: fails for method "b" in run 2 (seed order is fixed by
the config); ``gpu``: records the GPUs Ray assigned to the task.
"""

import time

import runner_toy


def validate(params):
    runner_toy.validate({k: v for k, v in params.items() if k not in ("sleep", "fail_seed")})


def run_slow(params, seed):
    time.sleep(float(params.get("sleep", 0.0)))
    return runner_toy.run({k: v for k, v in params.items() if k != "sleep"}, seed)


def run_flaky(params, seed):
    if params["method"] == "b" and seed == params["fail_seed"]:
        raise RuntimeError("flaky failure")
    return runner_toy.run({k: v for k, v in params.items() if k != "fail_seed"}, seed)


def run_gpu(params, seed):
    import ray

    return {"gpus": len(ray.get_gpu_ids())}


def register_kinds():
    from accord.runner import register

    register("ray-slow", run="runner_ray_kinds:run_slow", validate="runner_ray_kinds:validate")
    register("ray-flaky", run="runner_ray_kinds:run_flaky", validate="runner_ray_kinds:validate")
    register("ray-gpu", run="runner_ray_kinds:run_gpu")
