"""The registry of environments by name: :func:`make`, :func:`make_vec`, :func:`aec`.

A factory registered under a name takes the number of copies ``n_envs`` and the
environment's keyword arguments and returns a :class:`VecEnv`; :func:`make_vec` sets its
random streams' key from ``seed``, and :func:`make` wraps one copy in the PettingZoo
:class:`ParallelEnv`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pettingzoo  # type: ignore[import-untyped]

from ..._validate import fail, integer
from .base import VecEnv
from .parallel import ParallelEnv, to_aec

__all__ = ["aec", "make", "make_vec", "names", "register"]

_FACTORIES: dict[str, Callable[..., VecEnv]] = {}


def register(name: str, factory: Callable[..., VecEnv]) -> None:
    """Register ``factory(n_envs, **kwargs) -> VecEnv`` under ``name``.

    Registering a name again replaces the factory.
    """
    if not isinstance(name, str) or not name:
        fail("register", f"name must be a non-empty string; got {name!r}", TypeError)
    if not callable(factory):
        fail("register", f"factory must be callable; got {type(factory).__name__}", TypeError)
    _FACTORIES[name] = factory


def names() -> tuple[str, ...]:
    """The registered environment names, sorted."""
    return tuple(sorted(_FACTORIES))


def _factory(func: str, name) -> Callable[..., VecEnv]:
    if not isinstance(name, str) or name not in _FACTORIES:
        fail(func, f"unknown environment {name!r}; known: {', '.join(names())}")
    return _FACTORIES[name]


def make_vec(
    name: str, n_envs: int, *, seed: int | None = None, stream_offset: int = 0, **kwargs
) -> VecEnv:
    """``n_envs`` copies of the environment ``name``, stepped as arrays.

    Copy ``e`` draws from random stream ``stream_offset + e`` under the key ``seed``
    (``None``: a fresh random key), so it follows the trajectory of
    ``make(name, stream_offset=stream_offset + e)`` reset with ``seed`` (given the same
    actions).  ``kwargs`` are the environment's parameters.
    """
    return _make_vec("make_vec", name, n_envs, seed, stream_offset, kwargs)


def _make_vec(func: str, name, n_envs, seed, stream_offset, kwargs: dict) -> VecEnv:
    factory = _factory(func, name)
    n = integer(func, "n_envs", n_envs, minimum=1)
    try:
        inspect.signature(factory).bind(n, **kwargs)
    except TypeError:
        params = [p for p in inspect.signature(factory).parameters if p != "n_envs"]
        fail(
            func,
            f"environment {name!r} takes the parameters {', '.join(params) or 'none'}; got "
            f"{', '.join(sorted(kwargs))}",
            TypeError,
        )
    env = factory(n, **kwargs)
    if not isinstance(env, VecEnv):
        fail(func, f"the factory of {name!r} returned {type(env).__name__}, not a VecEnv")
    env.name = name
    env._init_streams(seed, stream_offset, func)
    return env


def make(name: str, *, stream_offset: int = 0, **kwargs) -> ParallelEnv:
    """The environment ``name`` as a PettingZoo :class:`ParallelEnv` (one copy).

    ``stream_offset`` selects the random stream (the environment then follows copy
    ``stream_offset`` of :func:`make_vec` reset with the same seed); ``kwargs`` are the
    environment's parameters.
    """
    return ParallelEnv(_make_vec("make", name, 1, None, stream_offset, kwargs))


def aec(env: str | ParallelEnv, **kwargs) -> pettingzoo.AECEnv:
    """The AEC (turn-based) view of ``env``: a :class:`ParallelEnv`, or a name (then
    ``kwargs`` go to :func:`make`)."""
    if isinstance(env, str):
        return to_aec(make(env, **kwargs))
    if kwargs:
        fail("aec", "keyword arguments are only accepted with an environment name")
    return to_aec(env)
