"""Multi-agent environments with PettingZoo's Parallel and AEC APIs, vectorised.

Every environment is a :class:`VecEnv` (``E`` copies stepped as arrays, with
counter-based random streams per copy); :func:`make` gives one copy as a PettingZoo
:class:`ParallelEnv`, :func:`aec` its agent-environment-cycle view::

    from accord.marl import envs
    env = envs.make("climbing")                  # pettingzoo.ParallelEnv
    obs, infos = env.reset(seed=0)
    vec = envs.make_vec("climbing", 1024, seed=0)  # 1024 copies, arrays in and out
    envs.names()                                 # every registered environment
"""

from __future__ import annotations

import importlib

from ..._extras import require_extra

require_extra(__name__, "marl")

from .base import EnvStep, VecEnv  # noqa: E402
from .parallel import ParallelEnv  # noqa: E402
from .registry import aec, make, make_vec, names, register  # noqa: E402

# The environment modules: each registers its environments when imported.
_MODULES: tuple[str, ...] = (
    "tabular",
    "matrix",
    "tiger",
    "flocking",
    "crowd",
    "loadbalancing",
    "coalition",
)
for _module in _MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "EnvStep",
    "ParallelEnv",
    "VecEnv",
    "aec",
    "make",
    "make_vec",
    "names",
    "register",
]
