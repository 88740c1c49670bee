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
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExperimentKind", "get_kind", "kinds", "register", "resolve"]

_FIELDS = ("run", "report", "validate", "summary")

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


def _module_root(path: str) -> str | None:
    """The ``sys.path`` entry the module of ``"module:function"`` is imported from."""
    top = path.partition(":")[0].split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    origin = Path(spec.origin).resolve()
    root = origin.parent.parent if spec.submodule_search_locations else origin.parent
    return str(root)


def kind_record(kind: str) -> dict | None:
    """The registration of ``kind`` as a JSON-able dict (its paths and the directory
    its modules are imported from), or None when ``kind`` is not registered.

    The result store saves it so that a kind registered in a script can be reported
    by another process (``accord report``): :func:`ensure_kind`.
    """
    k = _KINDS.get(kind)
    if k is None:
        return None
    record: dict = {"name": k.name, **{f: getattr(k, f) for f in _FIELDS}}
    root = _module_root(k.run)
    if root is not None:
        record["sys_path"] = root
    return record


def ensure_kind(kind: str, record: dict | None, where: str) -> ExperimentKind:
    """``kind``'s registration: the registered one, else one made from ``record`` (from
    :func:`kind_record`, saved in ``where``), whose module directory is put on
    ``sys.path`` when its modules cannot be imported otherwise."""
    if kind in _KINDS or record is None or record.get("name") != kind:
        return get_kind(kind)
    paths = {f: record.get(f) for f in _FIELDS}
    if any(isinstance(p, str) and p.startswith("__main__:") for p in paths.values()):
        raise ValueError(
            f"experiment kind {kind!r} (registered in {where}) lives in the script that "
            "ran it (__main__), which another process cannot import; move its functions "
            "into a module and register 'module:function' paths"
        )
    root = record.get("sys_path")
    run = paths["run"]
    if isinstance(run, str) and isinstance(root, str) and root not in sys.path:
        try:
            found = importlib.util.find_spec(run.partition(":")[0].split(".")[0])
        except (ImportError, ValueError):
            found = None
        if found is None:
            sys.path.append(root)
    try:
        return register(
            kind,
            run=run,  # type: ignore[arg-type]
            report=paths["report"],
            validate=paths["validate"],
            summary=paths["summary"],
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} holds an invalid registration of kind {kind!r}: {exc}") from None
