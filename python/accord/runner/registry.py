"""Experiment kinds: a name mapped to ``module:function`` paths, imported lazily.

A kind has

- ``run(params: dict, seed: int) -> dict`` -- one run; returns scalars and 1-D arrays;
- ``validate(params: dict) -> None`` (optional) -- raises ``ValueError`` for a bad
  cell; called on every cell before any run starts;
- ``report(table: pyarrow.Table, out_dir: pathlib.Path) -> None`` (optional) --
  prints tables and writes figures for ``accord report``;
- ``summary(table: pyarrow.Table) -> None`` (optional) -- prints a short table after
  ``accord run``.

Paths are resolved only when used, so registering a kind imports nothing, and
worker processes import the run function themselves. The runner knows no kind of
its own: :mod:`accord.experiments` registers the built-in ones when imported.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ExperimentKind", "get_kind", "kinds", "register", "resolve"]

_PATH_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class ExperimentKind:
    name: str
    run: str
    report: str | None = None
    validate: str | None = None
    summary: str | None = None


_KINDS: dict[str, ExperimentKind] = {}


def register(
    kind: str,
    run: str,
    report: str | None = None,
    validate: str | None = None,
    *,
    summary: str | None = None,
    replace: bool = False,
) -> ExperimentKind:
    """Register experiment ``kind``; ``run``/``report``/``validate``/``summary`` are
    ``"module:function"`` paths.

    Registering the same paths again is a no-op; different paths for a registered
    kind need ``replace=True``.
    """
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"register(): kind must be a non-empty string; got {kind!r}")
    for name, path in (
        ("run", run),
        ("report", report),
        ("validate", validate),
        ("summary", summary),
    ):
        if path is None and name != "run":
            continue
        if not isinstance(path, str) or not _PATH_RE.match(path):
            raise ValueError(
                f"register(): {name} must be a 'module:function' path such as "
                f"'mypackage.experiment:{name}'; got {path!r}"
            )
    new = ExperimentKind(kind, run, report, validate, summary)
    old = _KINDS.get(kind)
    if old is not None and old != new and not replace:
        raise ValueError(
            f"register(): kind {kind!r} is already registered ({old}); pass "
            "replace=True to change it or choose another name"
        )
    _KINDS[kind] = new
    return new


def kinds() -> list[str]:
    """The registered kind names, sorted."""
    return sorted(_KINDS)


def get_kind(kind: str) -> ExperimentKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(
            f"get_kind(): experiment kind {kind!r} is not registered; use one of "
            f"{', '.join(map(repr, kinds())) or 'none yet'} or register it with "
            "accord.runner.register() (import accord.experiments to register "
            "the built-in kinds)"
        ) from None


def resolve(path: str) -> Callable:
    """Import ``"module:function"`` and return the function."""
    module, _, attr = path.partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(
            f"resolve(): cannot import module {module!r} for {path!r} ({exc}); "
            "check the path given to accord.runner.register() and that the "
            "module is installed"
        ) from exc
    try:
        fn = getattr(mod, attr)
    except AttributeError:
        raise RuntimeError(
            f"resolve(): module {module!r} has no attribute {attr!r}; check the "
            f"path {path!r} given to accord.runner.register()"
        ) from None
    if not callable(fn):
        raise TypeError(f"resolve(): {path!r} is not callable; register a function")
    return fn
