"""Experiment configurations: a TOML file expanded into cells and runs.

```toml
[experiment]
kind = "coalition"      # a registered experiment kind (accord.runner.register)
name = "static-5"       # default results directory: results/<name> (default: the file's stem)
runs = 30               # run indices 0 .. runs-1
seed = 2012             # run r gets run_seed(seed, r), the same in every cell
[settings]              # fixed parameters of every cell (a list here is one list-valued parameter)
stages = 500
[grid]                  # each value a non-empty list; the cells are their cartesian product
method = ["myopic", "vpi"]
[[extra]]               # more cells, each merged over [settings]; lists are expanded as a grid
method = "informed"
```

Without ``[grid]`` the settings alone form one cell, unless ``[[extra]]`` cells are
given (then those are the cells). Cells with identical parameters are run once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml
    except ModuleNotFoundError:
        _toml = None

__all__ = [
    "ExperimentConfig",
    "Task",
    "config_from_dict",
    "load_config",
    "parse_config",
    "run_key",
    "run_seed",
]

#: Column names the store adds to every row; parameters may not use them.
RESERVED = ("run", "seed", "wall_s")

_EXPERIMENT_KEYS = ("kind", "name", "runs", "seed")
_TABLES = ("experiment", "settings", "grid", "extra")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def run_seed(seed: int, run: int) -> int:
    """The seed of run ``run``: 63 bits of ``SeedSequence(seed, spawn_key=(run,))``.

    It depends on ``(seed, run)`` only, so every cell of a grid sees the same random
    numbers in run ``r`` (common random numbers), whatever executor runs it.
    """
    state = np.random.SeedSequence(int(seed), spawn_key=(int(run),)).generate_state(
        1, dtype=np.uint64
    )
    return int(state[0] >> np.uint64(1))


def run_key(kind: str, params: dict, run: int) -> str:
    """The store key of one run: sha256 of the canonical JSON of (kind, params, run)."""
    doc = {"kind": kind, "params": params, "run": int(run)}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Task:
    """One run of one cell."""

    kind: str
    params: dict
    run: int
    seed: int
    key: str
    cell: int  # index of the cell in ExperimentConfig.cells()


@dataclass(frozen=True)
class ExperimentConfig:
    """A parsed and checked experiment configuration (see the module docstring)."""

    kind: str
    name: str
    runs: int
    seed: int
    settings: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    extra: tuple = ()
    source: str = "<string>"
    text: str = ""

    def labelled_cells(self) -> list[tuple[str, dict]]:
        """``(origin, params)`` of every distinct cell, in config order."""
        out: list[tuple[str, dict]] = []
        seen: set[str] = set()

        def add(origin: str, params: dict) -> None:
            k = run_key(self.kind, params, 0)
            if k not in seen:
                seen.add(k)
                out.append((origin, params))

        if self.grid or not self.extra:
            for cell in _product(self.grid):
                add("[grid]", {**self.settings, **cell})
        for i, table in enumerate(self.extra):
            fixed = {k: v for k, v in table.items() if not isinstance(v, list)}
            varying = {k: v for k, v in table.items() if isinstance(v, list)}
            for cell in _product(varying):
                merged = dict(self.settings)
                for k in table:  # overridden settings keep their place, new keys follow
                    merged[k] = fixed[k] if k in fixed else cell[k]
                add(f"[[extra]] #{i + 1}", merged)
        return out

    def key_origin(self, origin: str, key: str) -> str:
        """The table that gave parameter ``key`` to a cell of ``origin`` (a label of
        :meth:`labelled_cells`): ``"[settings]"``, ``"[grid]"`` or ``"[[extra]] #i"``."""
        if origin.startswith("[[extra]] #"):
            table = self.extra[int(origin.rsplit("#", 1)[1]) - 1]
            return origin if key in table else "[settings]"
        return "[grid]" if key in self.grid else "[settings]"

    def cells(self) -> list[dict]:
        """The parameters of every distinct cell, in config order."""
        return [params for _, params in self.labelled_cells()]

    def tasks(self) -> list[Task]:
        """Every run of every cell: ``len(cells()) * runs`` tasks, cell-major."""
        seeds = [run_seed(self.seed, r) for r in range(self.runs)]
        return [
            Task(self.kind, params, r, seeds[r], run_key(self.kind, params, r), c)
            for c, params in enumerate(self.cells())
            for r in range(self.runs)
        ]


def _product(grid: dict) -> list[dict]:
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def config_from_dict(doc: dict, source: str = "<dict>") -> ExperimentConfig:
    """An experiment config from a dict shaped like the TOML file: ``{"experiment":
    {...}, "settings": {...}, "grid": {...}, "extra": [{...}, ...]}``.

    The dict is written as TOML (kept as the config's ``text``, which the result store
    saves as ``experiment.toml``) and checked exactly like a file.
    """
    if not isinstance(doc, dict):
        raise TypeError(f"config_from_dict(): doc must be a dict; got {type(doc).__name__}")
    return _parse(_to_toml("config_from_dict(): " + source, doc), source, True, "config_from_dict")


def _to_toml(where: str, doc: dict) -> str:
    """TOML text of ``doc``: tables of scalars and lists of scalars, ``extra`` an array
    of such tables; anything else is refused with the table and key that hold it."""
    lines: list[str] = []

    def value(table: str, key: str, v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                return "nan" if v != v else ("inf" if v > 0 else "-inf")
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(table, key, x) for x in v) + "]"
        raise ValueError(
            f"{where}: {table} {key} must be a string, number, boolean or a list of "
            f"those; got {type(v).__name__}"
        )

    def table(header: str, label: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise ValueError(f"{where}: {label} must be a dict; got {type(body).__name__}")
        lines.append(header)
        for k, v in body.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: {label} keys must be strings; got {k!r}")
            lines.append(f"{json.dumps(k)} = {value(label, k, v)}")

    for name, body in doc.items():
        if not isinstance(name, str) or name not in _TABLES:
            raise ValueError(
                f"{where}: unknown table {name!r}; allowed are 'experiment', 'settings', "
                "'grid' and 'extra'"
            )
        if name == "extra":
            if not isinstance(body, (list, tuple)):
                raise ValueError(
                    f"{where}: extra must be a list of dicts; got {type(body).__name__}"
                )
            for i, t in enumerate(body):
                table("[[extra]]", f"extra[{i}]", t)
        else:
            table(f"[{name}]", f"[{name}]", body)
    return "\n".join(lines) + "\n"


def load_config(path) -> ExperimentConfig:
    """Read and check an experiment TOML file (format in :mod:`accord.runner.config`)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(
            f"load_config(): {p} does not exist or is not a file; pass the path "
            "of an experiment TOML file"
        )
    return _parse(p.read_text(encoding="utf-8"), str(p), True, "load_config")


def parse_config(
    text: str, source: str = "<string>", *, check_kind: bool = True
) -> ExperimentConfig:
    """Parse and check experiment TOML ``text``; ``source`` names it in errors.

    ``check_kind=False`` accepts kinds that are not registered in this process.
    """
    return _parse(text, source, check_kind, "parse_config")


def _parse(text: str, source: str, check_kind: bool, func: str) -> ExperimentConfig:
    where = f"{func}(): {source}"
    if _toml is None:  # pragma: no cover - Python 3.10 without tomli
        raise RuntimeError(
            f"{where}: reading TOML on Python < 3.11 needs the tomli package; "
            "install it with `pip install tomli`"
        )
    try:
        doc = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ValueError(f"{where}: not valid TOML ({exc}); fix the syntax") from None

    unknown = [k for k in doc if k not in _TABLES]
    if unknown:
        raise ValueError(
            f"{where}: unknown table or key {unknown[0]!r} at the top level; "
            f"allowed are [experiment], [settings], [grid] and [[extra]]"
        )
    exp = doc.get("experiment")
    if not isinstance(exp, dict):
        raise ValueError(
            f"{where}: missing [experiment] table; add one with kind, runs and "
            'seed, e.g. [experiment] kind = "coalition" runs = 30 seed = 1'
        )
    for k in exp:
        if k not in _EXPERIMENT_KEYS:
            raise ValueError(
                f"{where}: [experiment] has unknown key {k!r}; allowed are "
                f"{', '.join(_EXPERIMENT_KEYS)}"
            )
    for k in ("kind", "runs", "seed"):
        if k not in exp:
            raise ValueError(
                f"{where}: [experiment] is missing key {k!r}; add e.g. "
                + {"kind": 'kind = "coalition"', "runs": "runs = 30", "seed": "seed = 1"}[k]
            )

    kind = exp["kind"]
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"{where}: [experiment] kind must be a non-empty string; got {kind!r}")
    if check_kind:
        from .registry import kinds

        if kind not in kinds():
            raise ValueError(
                f"{where}: [experiment] kind {kind!r} is not registered; use one "
                f"of {', '.join(map(repr, kinds()))} or register it with "
                "accord.runner.register()"
            )
    name = exp.get("name", kind if source.startswith("<") else Path(source).stem)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(
            f"{where}: [experiment] name must be a directory name (letters, "
            f"digits, '.', '_', '-'); got {name!r}"
        )
    runs, seed = exp["runs"], exp["seed"]
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"{where}: [experiment] runs must be an integer >= 1; got {runs!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{where}: [experiment] seed must be a non-negative integer; got {seed!r}")

    settings = doc.get("settings", {})
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: settings must be a table [settings]; got {settings!r}")
    for k, v in settings.items():
        _check_param(where, "[settings]", k, v)

    grid = doc.get("grid", {})
    if not isinstance(grid, dict):
        raise ValueError(f"{where}: grid must be a table [grid]; got {grid!r}")
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            raise ValueError(
                f"{where}: [grid] {k} must be a non-empty list of values, e.g. "
                f"{k} = [{_toml_repr(v)}]; got {_toml_repr(v)} (put fixed values "
                "in [settings])"
            )
        _check_name(where, "[grid]", k)
        for item in v:
            _check_param(where, "[grid]", k, item)
        if k in settings:
            raise ValueError(f"{where}: {k!r} is in both [settings] and [grid]; keep it in one")

    extra = doc.get("extra", [])
    if not isinstance(extra, list) or not all(isinstance(t, dict) for t in extra):
        raise ValueError(f"{where}: extra must be an array of tables: write [[extra]], not [extra]")
    for i, table in enumerate(extra):
        label = f"[[extra]] #{i + 1}"
        for k, v in table.items():
            if isinstance(v, list):
                if not v:
                    raise ValueError(
                        f"{where}: {label} {k} is an empty list; give at least one value"
                    )
                _check_name(where, label, k)
                for item in v:
                    _check_param(where, label, k, item)
            else:
                _check_param(where, label, k, v)

    return ExperimentConfig(
        kind=kind,
        name=name,
        runs=runs,
        seed=seed,
        settings=dict(settings),
        grid=dict(grid),
        extra=tuple(dict(t) for t in extra),
        source=source,
        text=text,
    )


def _check_name(where: str, table: str, key: str) -> None:
    if key in RESERVED:
        raise ValueError(
            f"{where}: {table} parameter {key!r} clashes with a column the store "
            f"adds ({', '.join(RESERVED)}); rename it"
        )


def _check_param(where: str, table: str, key: str, value: Any) -> None:
    _check_name(where, table, key)
    scalar = (str, int, float, bool)
    if isinstance(value, scalar):
        return
    if isinstance(value, list) and all(isinstance(x, scalar) for x in value):
        kinds = {
            "str" if isinstance(x, str) else "bool" if isinstance(x, bool) else "num" for x in value
        }
        if len(kinds) <= 1:
            return
    raise ValueError(
        f"{where}: {table} {key} must be a string, number, boolean or a list of "
        f"one of those; got {_toml_repr(value)} (tables, dates and mixed lists "
        "cannot be stored as columns)"
    )


def _toml_repr(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)
