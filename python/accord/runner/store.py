"""The result store: one Parquet file per finished run.

```
RESULTS/
  experiment.toml        # copy of the config that last ran here
  kind.json              # the kind's registration (module:function paths), for reports
  runs/<key>.parquet     # one row: params..., run, seed, wall_s, values...
  quarantine/            # damaged result files, moved aside (see below)
```

``key`` is :func:`accord.runner.config.run_key` of (kind, params, run). Files are
written atomically (temporary name in the same directory, fsync, ``os.replace``), so
a file named ``*.parquet`` is always a complete result; leftover ``*.tmp`` files
from a killed run are deleted when a run starts.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._validate import choice
from .config import RESERVED, ExperimentConfig, Task, parse_config, run_key
from .registry import kind_record

if sys.platform != "win32":
    import fcntl

__all__ = ["CorruptResultWarning", "ResultStore", "load", "param_columns", "result_columns"]

CONFIG_NAME = "experiment.toml"
KIND_NAME = "kind.json"
QUARANTINE_NAME = "quarantine"
_META_KIND = b"accord.kind"
_META_PARAMS = b"accord.params"
_META_RESULTS = b"accord.results"


class CorruptResultWarning(UserWarning):
    """A result file could not be read; it was moved to ``RESULTS/quarantine/`` and its
    run counts as not finished (the next run of the experiment runs it again)."""


# what reading a damaged Parquet file raises (ArrowInvalid is a ValueError)
_READ_ERRORS = (OSError, ValueError, pa.ArrowException)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write ``path`` through ``write(file)`` into a temporary file, fsync, rename."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _column(func: str, name: str, value: Any) -> pa.Array:
    """One-row Arrow array for a scalar, a 1-D array or a list."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            value = value.item()
        elif value.ndim == 1:
            values = pa.array(value.tolist() if value.dtype == object else value)
            return pa.ListArray.from_arrays(pa.array([0, len(value)], pa.int32()), values)
        else:
            raise ValueError(
                f"{func}: value {name!r} has shape {value.shape}; return scalars "
                "or 1-D arrays (flatten it or split it into several values)"
            )
    if value is None or isinstance(value, (bool, int, float, str)):
        return pa.array([value])
    if isinstance(value, (list, tuple)):
        try:
            return pa.array([list(value)])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ValueError(
                f"{func}: value {name!r} is a list that cannot be stored as a "
                f"column ({exc}); return a 1-D numpy array of one dtype"
            ) from None
    raise TypeError(
        f"{func}: value {name!r} has type {type(value).__name__}; return scalars "
        "(bool, int, float, str, None) or 1-D numpy arrays"
    )


def _not_an_extension(old: ExperimentConfig, new: ExperimentConfig) -> str | None:
    """None when every run of ``old`` is a run of ``new`` (same cells or more, as many
    runs or more); else what changed, in words."""
    if new.runs < old.runs:
        return f"runs = {old.runs} in the stored config but {new.runs} in {new.source}"
    cells = {run_key(new.kind, p, 0) for p in new.cells()}
    missing = [p for p in old.cells() if run_key(old.kind, p, 0) not in cells]
    if not missing:
        return None
    for name, a, b in (("[settings]", old.settings, new.settings), ("[grid]", old.grid, new.grid)):
        for k in sorted(set(a) | set(b), key=lambda k: (k not in a, k)):
            if a.get(k, _ABSENT) != b.get(k, _ABSENT):
                return (
                    f"{name} {k} is {_show(a.get(k, _ABSENT))} in the stored config but "
                    f"{_show(b.get(k, _ABSENT))} in {new.source}"
                )
    return f"its cell {missing[0]} is not a cell of {new.source}"


_ABSENT = object()


def _show(v: Any) -> str:
    return "absent" if v is _ABSENT else repr(v)


def param_columns(table: pa.Table) -> list[str]:
    """The parameter columns of a table from :func:`load` (schema metadata).

    Without the metadata (a hand-built table), every non-list column other than
    ``run``, ``seed`` and ``wall_s``.
    """
    meta = table.schema.metadata or {}
    if _META_PARAMS in meta:
        return [c for c in json.loads(meta[_META_PARAMS]) if c in table.column_names]
    return [f.name for f in table.schema if f.name not in RESERVED and not pa.types.is_list(f.type)]


def result_columns(table: pa.Table) -> list[str]:
    """The columns holding returned values (all but parameters, run, seed, wall_s)."""
    params = set(param_columns(table))
    return [c for c in table.column_names if c not in params and c not in RESERVED]


class ResultStore:
    """A results directory (see the module docstring)."""

    def __init__(self, root) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.config_path = self.root / CONFIG_NAME

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    # ---------------------------------------------------------------- setup
    def stored_config(self) -> ExperimentConfig | None:
        """The config in ``experiment.toml`` (None when there is none)."""
        if not self.config_path.is_file():
            return None
        text = self.config_path.read_text(encoding="utf-8")
        return parse_config(text, str(self.config_path), check_kind=False)

    def check(self, config: ExperimentConfig, func: str = "ResultStore.init()") -> None:
        """Raise if ``config`` may not write here (see :meth:`init`); writes nothing."""
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"{func}: {self.root} is a file; pass a directory for the results")
        if self.config_path.is_file():
            try:
                old = self.stored_config()
            except ValueError as exc:
                raise ValueError(
                    f"{func}: {self.config_path} is not a valid experiment config "
                    f"({exc}); repair it or use another results directory"
                ) from None
            if old is None:  # removed since the check above
                old = config
            for what, a, b in (("kind", old.kind, config.kind), ("seed", old.seed, config.seed)):
                if a != b:
                    raise ValueError(
                        f"{func}: {self.root} holds results of {what} {a!r} "
                        f"({self.config_path}) but {config.source} has {what} {b!r}; pass "
                        "another results directory (--results) or restore the config"
                    )
            change = _not_an_extension(old, config)
            if change is not None:
                raise ValueError(
                    f"{func}: {self.root} holds results of another configuration: {change}. "
                    "A results directory keeps one experiment; a changed config may only "
                    "add cells or runs to it. Pass another results directory (--results) "
                    f"to keep both, delete {self.root} to start over, or continue the "
                    f"stored experiment with `accord run {self.config_path} --results "
                    f"{self.root}`"
                )
        elif self.root.is_dir() and any(p.name != ".lock" for p in self.root.iterdir()):
            raise ValueError(
                f"{func}: {self.root} is not empty and has no {CONFIG_NAME}, so it "
                "is not a results directory; pass an empty or new directory"
            )

    def init(self, config: ExperimentConfig) -> None:
        """Create the store for ``config``, or check that an existing one matches it.

        Refuses a store written for another kind or seed, and a non-empty directory
        that is not a store. Writes ``experiment.toml`` (the config's text) and
        deletes leftover ``*.tmp`` files.
        """
        self.check(config)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        text = config.text.encode("utf-8")
        if not self.config_path.is_file() or self.config_path.read_bytes() != text:
            atomic_write(self.config_path, lambda f: f.write(text))
        record = kind_record(config.kind)
        if record is not None:
            data = (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()
            path = self.root / KIND_NAME
            if not path.is_file() or path.read_bytes() != data:
                atomic_write(path, lambda f: f.write(data))
        self.clean_tmp()

    def stored_kind(self) -> dict | None:
        """The kind registration saved by :meth:`init` (see
        :func:`~accord.runner.registry.kind_record`); None when there is none."""
        path = self.root / KIND_NAME
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); delete it or repair it") from None
        return record if isinstance(record, dict) else None

    def progress(self) -> tuple[int, int]:
        """``(finished, total)`` runs of the stored config."""
        config = self.stored_config()
        if config is None:
            return 0, 0
        done = self.keys()
        tasks = config.tasks()
        return sum(t.key in done for t in tasks), len(tasks)

    def clean_tmp(self) -> int:
        """Delete half-written ``*.tmp`` files left by a killed run; return how many."""
        n = 0
        for d in (self.root, self.runs_dir):
            if d.is_dir():
                for p in d.glob("*.tmp"):
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
                        n += 1
        return n

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock so that two runs never write the same store."""
        if sys.platform == "win32":  # pragma: no cover - no fcntl file locks
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuntimeError(
                    f"ResultStore.lock(): another `accord run` is writing to "
                    f"{self.root}; wait for it to finish or pass another "
                    "--results directory"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    # ----------------------------------------------------------------- runs
    def path(self, key: str) -> Path:
        return self.runs_dir / f"{key}.parquet"

    def keys(self) -> set[str]:
        """Keys of the finished runs (by file name; see :meth:`finished`)."""
        if not self.runs_dir.is_dir():
            return set()
        return {p.name[: -len(".parquet")] for p in self.runs_dir.glob("*.parquet")}

    def finished(self) -> set[str]:
        """Keys of the finished runs whose files are readable.

        Reads each file's Parquet footer (not its data); a file whose footer is
        damaged, or that does not hold one row, is quarantined (:meth:`quarantine`).
        """
        if not self.runs_dir.is_dir():
            return set()
        keys = set()
        for p in sorted(self.runs_dir.glob("*.parquet")):
            try:
                rows = pq.read_metadata(p).num_rows
            except FileNotFoundError:  # quarantined meanwhile by a concurrent load()
                continue
            except _READ_ERRORS as exc:
                self.quarantine(p, exc)
                continue
            if rows != 1:
                self.quarantine(p, f"it holds {rows} rows; a result file holds one")
                continue
            keys.add(p.stem)
        return keys

    def quarantine(self, path: Path, error: object) -> Path | None:
        """Move the damaged result file ``path`` to ``RESULTS/quarantine/`` (same name,
        numbered when taken), warn with :class:`CorruptResultWarning`; return where it
        went (None when it is gone already)."""
        qdir = self.root / QUARANTINE_NAME
        qdir.mkdir(parents=True, exist_ok=True)
        dest = qdir / path.name
        n = 1
        while dest.exists():
            dest = qdir / f"{path.name}.{n}"
            n += 1
        try:
            os.replace(path, dest)
        except FileNotFoundError:
            return None
        warnings.warn(
            f"result file {path} is damaged ({error}); moved it to {dest}. Its run is "
            "left out and counts as not finished: run the experiment again to redo it",
            CorruptResultWarning,
            stacklevel=3,
        )
        return dest

    def write(self, task: Task, values: dict, wall_s: float = 0.0) -> Path:
        """Store one finished run atomically; return its file."""
        func = f"ResultStore.write() (kind {task.kind!r}, run {task.run}, params {task.params})"
        if not isinstance(values, dict):
            raise TypeError(
                f"{func}: the run returned {type(values).__name__}; an experiment's "
                "run() must return a dict of scalars and 1-D arrays"
            )
        names: dict[str, pa.Array] = {}
        for k, v in task.params.items():
            names[k] = _column(func, k, v)
        names["run"] = pa.array([int(task.run)], pa.int64())
        names["seed"] = pa.array([int(task.seed)], pa.int64())
        names["wall_s"] = pa.array([float(wall_s)], pa.float64())
        for k, v in values.items():
            if not isinstance(k, str):
                raise TypeError(f"{func}: value names must be strings; got {k!r}")
            if k in names:
                raise ValueError(
                    f"{func}: returned value {k!r} clashes with a parameter or a "
                    "store column (run, seed, wall_s); rename it"
                )
            names[k] = _column(func, k, v)
        meta = {
            _META_KIND: task.kind.encode(),
            _META_PARAMS: json.dumps(list(task.params)).encode(),
            _META_RESULTS: json.dumps(list(values)).encode(),
        }
        table = pa.table(names).replace_schema_metadata(meta)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        path = self.path(task.key)
        atomic_write(path, lambda f: pq.write_table(table, f))
        return path

    def load(self) -> pa.Table:
        """All finished runs as one table.

        Rows follow the stored config (cell by cell, run by run); runs of cells no
        longer in it come last, by key. Columns: parameters, ``run``, ``seed``,
        ``wall_s``, returned values. Missing columns are null; integer columns meet
        float ones as float.
        """
        if not self.config_path.is_file():
            raise ValueError(
                f"load(): {self.root} is not a results directory (no {CONFIG_NAME}); "
                "pass the directory that `accord run` wrote (its --results)"
            )
        try:
            config = self.stored_config()
        except ValueError:
            config = None
        kind = config.kind if config is not None else ""
        order = {}
        if config is not None:
            order = {t.key: (0, t.cell, t.run, "") for t in config.tasks()}
        files = sorted(self.runs_dir.glob("*.parquet")) if self.runs_dir.is_dir() else []
        files.sort(key=lambda p: order.get(p.stem, (1, 0, 0, p.stem)))
        tables = []
        for p in files:
            try:
                tables.append(pq.read_table(p))
            except FileNotFoundError:  # quarantined meanwhile by another reader
                continue
            except _READ_ERRORS as exc:
                self.quarantine(p, exc)
        params: dict[str, None] = {}
        results: dict[str, None] = {}
        for t in tables:
            m = t.schema.metadata or {}
            params.update(dict.fromkeys(json.loads(m.get(_META_PARAMS, b"[]"))))
            results.update(dict.fromkeys(json.loads(m.get(_META_RESULTS, b"[]"))))
            if not kind and _META_KIND in m:
                kind = m[_META_KIND].decode()
        meta = {
            _META_KIND: kind.encode(),
            _META_PARAMS: json.dumps(list(params)).encode(),
            _META_RESULTS: json.dumps(list(results)).encode(),
        }
        if not tables:
            return pa.table({}).replace_schema_metadata(meta)
        table = pa.concat_tables(
            [t.replace_schema_metadata(None) for t in tables], promote_options="permissive"
        )
        cols = [c for c in [*params, *RESERVED, *results] if c in table.column_names]
        cols += [c for c in table.column_names if c not in cols]
        return table.select(cols).replace_schema_metadata(meta)


def load(results_dir, format: Literal["arrow", "pandas"] = "arrow") -> Any:
    """All finished runs of the store at ``results_dir`` (see :meth:`ResultStore.load`).

    ``format="arrow"`` returns a ``pyarrow.Table``; ``"pandas"`` a ``pandas.DataFrame``
    (``table.to_pandas()``; needs pandas, which accord does not install). Damaged
    result files are left out and quarantined with a :class:`CorruptResultWarning`.
    """
    choice("load", "format", format, ("arrow", "pandas"))
    if format == "pandas":
        try:
            importlib.import_module("pandas")  # an optional dependency, untyped here
        except ImportError:
            raise ImportError(
                "load(): format='pandas' needs pandas, which is not installed; install "
                "it with `pip install pandas`, or use format='arrow' (the default) and "
                "convert the pyarrow.Table yourself"
            ) from None
    table = ResultStore(results_dir).load()
    return table.to_pandas() if format == "pandas" else table


def table_kind(table: pa.Table) -> str | None:
    """The experiment kind recorded in a table from :func:`load`."""
    meta = table.schema.metadata or {}
    return meta[_META_KIND].decode() if meta.get(_META_KIND) else None
