import numpy as np
import pytest
from runner_toy import CONFIG, register_toy, write_config

import accord.experiments  # noqa: F401  (registers the built-in kinds)
from accord.runner import (
    get_kind,
    kinds,
    load_config,
    parse_config,
    register,
    resolve,
    run_experiment,
    run_key,
    run_seed,
)

register_toy()


def test_parse_and_expand(tmp_path):
    cfg = load_config(write_config(tmp_path))
    assert (cfg.kind, cfg.name, cfg.runs, cfg.seed) == ("toy", "toy-test", 4, 7)
    assert cfg.source.endswith("toy.toml") and cfg.text == CONFIG
    origins, cells = zip(*cfg.labelled_cells(), strict=True)
    assert cells == (
        {"stages": 6, "method": "a", "scale": 1.0},
        {"stages": 6, "method": "a", "scale": 2.0},
        {"stages": 6, "method": "b", "scale": 1.0},
        {"stages": 6, "method": "b", "scale": 2.0},
        {"stages": 6, "method": "c", "note": "x"},
        {"stages": 6, "method": "c", "note": "y"},
    )
    assert origins == ("[grid]",) * 4 + ("[[extra]] #1",) * 2
    tasks = cfg.tasks()
    assert len(tasks) == 24 and len({t.key for t in tasks}) == 24
    assert [(t.cell, t.run) for t in tasks[:5]] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]
    # common random numbers: run r has the same seed in every cell
    for t in tasks:
        assert t.seed == run_seed(7, t.run) == tasks[t.run].seed
    assert len({run_seed(7, r) for r in range(4)}) == 4
    assert 0 <= run_seed(2**70, 3) < 2**63


def test_grid_extra_rules():
    base = '[experiment]\nkind = "toy"\nruns = 1\nseed = 0\n'
    # no grid, no extra: the settings alone
    assert parse_config(base + '[settings]\nmethod = "a"\n').cells() == [{"method": "a"}]
    # extras without grid: only the extras; extras override settings and keep its order
    cfg = parse_config(
        base + '[settings]\nmethod = "a"\nstages = 3\n'
        '[[extra]]\nstages = 9\nnote = "n"\n'
        '[[extra]]\nmethod = ["b", "c"]\nscale = [1, 2]\n'
    )
    assert cfg.cells() == [
        {"method": "a", "stages": 9, "note": "n"},
        {"method": "b", "stages": 3, "scale": 1},
        {"method": "b", "stages": 3, "scale": 2},
        {"method": "c", "stages": 3, "scale": 1},
        {"method": "c", "stages": 3, "scale": 2},
    ]
    assert list(cfg.cells()[0]) == ["method", "stages", "note"]
    # a settings list is one list-valued parameter; duplicate cells run once
    cfg = parse_config(
        base + '[settings]\nprofile = [1, 2]\n[grid]\nmethod = ["a", "b"]\n'
        '[[extra]]\nmethod = "a"\n'
    )
    assert cfg.cells() == [{"profile": [1, 2], "method": "a"}, {"profile": [1, 2], "method": "b"}]
    # the name defaults to the file's stem, else the kind
    assert cfg.name == "toy"
    assert parse_config(base, source="/x/my-exp.toml").name == "my-exp"


def test_run_key_is_canonical():
    a = run_key("toy", {"x": 1, "y": "b"}, 0)
    assert a == run_key("toy", {"y": "b", "x": 1}, 0)
    assert (
        len(
            {
                a,
                run_key("toy", {"x": 1, "y": "b"}, 1),
                run_key("k", {"x": 1, "y": "b"}, 0),
                run_key("toy", {"x": 1.0, "y": "b"}, 0),
            }
        )
        == 4
    )


GOOD = {"experiment": 'kind = "toy"\nruns = 2\nseed = 1', "settings": "", "grid": "", "extra": None}


def _doc(**tables):
    parts = []
    for name, body in {**GOOD, **tables}.items():
        if body is None:
            continue
        parts.append(f"[[{name}]]\n{body}" if name == "extra" else f"[{name}]\n{body}")
    return "\n".join(parts)


@pytest.mark.parametrize(
    "text, match",
    [
        ("[experiment\nkind=1", r"not valid TOML"),
        (_doc(experiment=None), r"missing \[experiment\] table"),
        (_doc(experiment="runs = 2\nseed = 1"), r"\[experiment\] is missing key 'kind'"),
        (_doc(experiment='kind = "toy"\nseed = 1'), r"missing key 'runs'.*runs = 30"),
        (_doc(experiment='kind = "toy"\nruns = 1'), r"missing key 'seed'"),
        (
            _doc(experiment='kind = "nope"\nruns = 1\nseed = 1'),
            r"kind 'nope' is not registered; use one of .*'coalition'.*register",
        ),
        (
            _doc(experiment='kind = "toy"\nruns = 1\nseed = 1\nrepeats = 3'),
            r"\[experiment\] has unknown key 'repeats'",
        ),
        (_doc() + "\n[options]\nx = 1", r"unknown table or key 'options'"),
        (
            _doc(experiment='kind = "toy"\nruns = 0\nseed = 1'),
            r"runs must be an integer >= 1; got 0",
        ),
        (_doc(experiment='kind = "toy"\nruns = "3"\nseed = 1'), r"runs must be an integer >= 1"),
        (_doc(experiment='kind = "toy"\nruns = 2\nseed = -1'), r"seed must be a non-negative"),
        (
            _doc(experiment='kind = "toy"\nruns = 2\nseed = 1\nname = "a/b"'),
            r"name must be a directory name",
        ),
        (
            _doc(grid='method = "a"'),
            r"\[grid\] method must be a non-empty list of values, e\.g\. "
            r"method = \[\"a\"\]",
        ),
        (_doc(grid="method = []"), r"\[grid\] method must be a non-empty list"),
        (
            _doc(settings='method = "a"', grid='method = ["b"]'),
            r"'method' is in both \[settings\] and \[grid\]",
        ),
        (_doc() + '\n[extra]\nmethod = "a"', r"write \[\[extra\]\], not \[extra\]"),
        (_doc(extra="method = []"), r"\[\[extra\]\] #1 method is an empty list"),
        (_doc(settings="seed = 3"), r"\[settings\] parameter 'seed' clashes with a column"),
        (_doc(grid="run = [1, 2]"), r"\[grid\] parameter 'run' clashes"),
        (_doc(settings="opt = {a = 1}"), r"\[settings\] opt must be a string, number, boolean"),
        (_doc(settings='mixed = [1, "a"]'), r"mixed lists"),
        (_doc(grid="when = [1979-05-27]"), r"\[grid\] when must be a string"),
    ],
)
def test_bad_configs(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        load_config(path)
    assert str(info.value).startswith(f"load_config(): {path}: ")


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"load_config\(\): .*nope.toml does not exist"):
        load_config(tmp_path / "nope.toml")


def test_validate_hook_runs_before_any_work(tmp_path):
    cfg = write_config(tmp_path, CONFIG.replace('"b"]', '"bogus"]'))
    out = tmp_path / "out"
    with pytest.raises(
        ValueError,
        match=r"run_experiment\(\): .*toy\.toml: \[grid\] cell "
        r"\{stages=6, method='bogus', scale=1\.0\} is invalid: method must be",
    ):
        run_experiment(cfg, out, executor="serial", progress=False)
    assert not out.exists()
    with pytest.raises(ValueError, match=r"\[\[extra\]\] #1 cell .* unknown parameter"):
        run_experiment(
            write_config(tmp_path, CONFIG + 'colour = "red"\n'),
            out,
            executor="serial",
            progress=False,
        )
    with pytest.raises(ValueError, match=r"executor must be one of 'process', 'serial', 'ray'"):
        run_experiment(write_config(tmp_path), out, executor="threads")
    with pytest.raises(ValueError, match=r"workers must be >= 1"):
        run_experiment(write_config(tmp_path), out, workers=0)


def test_registry():
    assert {"coalition", "toy"} <= set(kinds())
    k = get_kind("coalition")
    assert (k.run, k.validate, k.report) == (
        "accord.experiments.coalition:run",
        "accord.experiments.coalition:validate",
        "accord.experiments.coalition:report",
    )
    register_toy()  # the same paths again: fine
    with pytest.raises(
        ValueError,
        match=r"register\(\): kind 'toy' is already registered.*"
        r"replace=True",
    ):
        register("toy", run="runner_toy:bad_shape")
    with pytest.raises(ValueError, match=r"register\(\): run must be a 'module:function'"):
        register("x", run="runner_toy.run")
    with pytest.raises(TypeError, match=r"kind must be a non-empty string"):
        register("", run="a:b")
    with pytest.raises(
        ValueError,
        match=r"get_kind\(\): experiment kind 'nope' is not "
        r"registered",
    ):
        get_kind("nope")
    assert resolve("runner_toy:validate")({"method": "a"}) is None
    with pytest.raises(RuntimeError, match=r"cannot import module 'no_such_mod_xyz'"):
        resolve("no_such_mod_xyz:f")
    with pytest.raises(RuntimeError, match=r"has no attribute 'nope'"):
        resolve("runner_toy:nope")
    with pytest.raises(TypeError, match=r"is not callable"):
        resolve("runner_toy:CONFIG")
    register("toy2", run="runner_toy:run")
    register("toy2", run="runner_toy:bad_shape", replace=True)
    assert get_kind("toy2").run == "runner_toy:bad_shape"


def test_runner_does_not_import_systems():
    import subprocess
    import sys

    code = (
        "import sys, accord.runner; "
        "print(any(m.startswith(('accord.coalition', 'matplotlib', 'scipy')) "
        "for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
    assert np.int64(run_seed(1, 0)) >= 0
