import os

import numpy as np
import pyarrow as pa
import pytest
from runner_toy import CONFIG, register_toy, write_config

from accord.runner import (
    ResultStore,
    load,
    load_config,
    param_columns,
    parse_config,
    result_columns,
    table_kind,
)

register_toy()


def _store(tmp_path, text=CONFIG):
    cfg = load_config(write_config(tmp_path, text))
    store = ResultStore(tmp_path / "res")
    store.init(cfg)
    return cfg, store


def test_write_and_load_round_trip(tmp_path):
    cfg, store = _store(tmp_path)
    assert (tmp_path / "res" / "experiment.toml").read_text() == CONFIG
    tasks = cfg.tasks()
    # write out of order: load() follows the config (cell by cell, run by run)
    for t in reversed(tasks[:6]):
        store.write(t, {"total": float(t.run), "series": np.arange(3.0) + t.cell,
                        "flags": np.array([True, False]), "count": np.int64(2),
                        "label": "s", "maybe": None, "arr0": np.array(1.5)}, wall_s=0.25)
    assert store.keys() == {t.key for t in tasks[:6]}
    assert all(store.path(t.key).name == f"{t.key}.parquet" for t in tasks)
    table = load(tmp_path / "res")
    assert table.num_rows == 6
    assert table.column_names == ["stages", "method", "scale", "run", "seed", "wall_s",
                                  "total", "series", "flags", "count", "label", "maybe", "arr0"]
    assert table_kind(table) == "toy"
    assert param_columns(table) == ["stages", "method", "scale"]
    assert result_columns(table) == ["total", "series", "flags", "count", "label", "maybe",
                                     "arr0"]
    assert table.schema.field("series").type == pa.list_(pa.float64())
    assert table.schema.field("flags").type == pa.list_(pa.bool_())
    rows = table.to_pylist()
    assert [(r["scale"], r["run"]) for r in rows] == [(1.0, 0), (1.0, 1), (1.0, 2), (1.0, 3),
                                                      (2.0, 0), (2.0, 1)]
    assert rows[4] == {"stages": 6, "method": "a", "scale": 2.0, "run": 0,
                       "seed": tasks[0].seed, "wall_s": 0.25, "total": 0.0,
                       "series": [1.0, 2.0, 3.0], "flags": [True, False], "count": 2,
                       "label": "s", "maybe": None, "arr0": 1.5}


def test_heterogeneous_rows_are_promoted(tmp_path):
    cfg, store = _store(tmp_path)
    tasks = cfg.tasks()
    extra = [t for t in tasks if t.params["method"] == "c"]
    store.write(tasks[0], {"x": 1, "in_core": np.array([True, True])})
    store.write(extra[0], {"x": 2.5})
    store.write(tasks[1], {"x": 3, "in_core": None})
    table = store.load()
    assert table.column("x").type == pa.float64()
    assert table.column("in_core").type == pa.list_(pa.bool_())
    assert table.column("in_core").to_pylist() == [[True, True], None, None]
    assert table.column("note").to_pylist() == [None, None, "x"]
    assert table.column("scale").to_pylist() == [1.0, 1.0, None]
    # hand-built tables: parameters are the non-list columns other than run/seed/wall_s
    bare = pa.table({"m": ["a"], "run": [0], "seed": [1], "r": [[1.0]], "wall_s": [0.0]})
    assert param_columns(bare) == ["m"] and result_columns(bare) == ["r"]
    assert table_kind(bare) is None


def test_temporary_files_are_never_results(tmp_path):
    cfg, store = _store(tmp_path)
    t = cfg.tasks()[0]
    store.write(t, {"x": 1.0})
    assert os.listdir(store.runs_dir) == [f"{t.key}.parquet"]  # no temporary left behind
    half = store.runs_dir / f"{cfg.tasks()[1].key}.parquet.999.tmp"
    half.write_bytes(b"PAR1 half-written")
    assert store.keys() == {t.key}
    assert store.load().num_rows == 1
    store.init(cfg)  # a new run cleans leftovers
    assert not half.exists() and store.keys() == {t.key}


def test_failed_write_leaves_nothing(tmp_path):
    cfg, store = _store(tmp_path)
    with pytest.raises(ValueError, match=r"value 'm' has shape \(2, 2\); return scalars or 1-D"):
        store.write(cfg.tasks()[0], {"m": np.zeros((2, 2))})
    with pytest.raises(TypeError, match=r"the run returned list; .* must return a dict"):
        store.write(cfg.tasks()[0], [1, 2])
    with pytest.raises(ValueError, match=r"returned value 'method' clashes"):
        store.write(cfg.tasks()[0], {"method": 1})
    with pytest.raises(ValueError, match=r"returned value 'seed' clashes"):
        store.write(cfg.tasks()[0], {"seed": 1})
    with pytest.raises(TypeError, match=r"value 'o' has type object"):
        store.write(cfg.tasks()[0], {"o": object()})
    with pytest.raises(ValueError, match=r"value 'l' is a list that cannot be stored"):
        store.write(cfg.tasks()[0], {"l": [1, "a"]})
    assert os.listdir(store.runs_dir) == []


def test_store_refusals(tmp_path):
    cfg, store = _store(tmp_path)
    other_kind = parse_config(CONFIG.replace('"toy"', '"coalition"'), "other.toml")
    with pytest.raises(ValueError, match=r"holds results of kind 'toy' .* other\.toml has kind "
                                         r"'coalition'; pass another results directory"):
        store.init(other_kind)
    other_seed = parse_config(CONFIG.replace("seed = 7", "seed = 8"), "s.toml")
    with pytest.raises(ValueError, match=r"holds results of seed 7 .* has seed 8"):
        store.init(other_seed)
    # a changed config of the same kind and seed (more runs) extends the store
    more = parse_config(CONFIG.replace("runs = 4", "runs = 5"), "more.toml")
    store.init(more)
    assert "runs = 5" in store.config_path.read_text()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"is not empty and has no experiment\.toml"):
        ResultStore(foreign).init(cfg)
    with pytest.raises(ValueError, match=r"load\(\): .* is not a results directory"):
        load(foreign)
    with pytest.raises(ValueError, match=r"is a file"):
        ResultStore(foreign / "notes.txt").init(cfg)
    (tmp_path / "res" / "experiment.toml").write_text("[experiment\n")
    with pytest.raises(ValueError, match=r"is not a valid experiment config"):
        store.init(cfg)


def test_lock_is_exclusive(tmp_path):
    store = ResultStore(tmp_path / "res")
    with store.lock():
        with pytest.raises(RuntimeError, match=r"another `accord run` is writing"):
            with ResultStore(tmp_path / "res").lock():
                pass
    with store.lock():
        pass


def test_empty_store_loads_empty(tmp_path):
    _, store = _store(tmp_path)
    table = load(store.root)
    assert table.num_rows == 0 and table_kind(table) == "toy"
