"""A subsystem imported without its extra raises an ImportError naming the extra."""

import importlib
import sys

import pytest

from accord import _extras

GUARDED = [
    ("accord.runner", "runner", "pyarrow"),
    ("accord.runner", "runner", "matplotlib"),
    ("accord.runner", "runner", "tqdm"),
    ("accord.consensus", "consensus", "cryptography"),
    ("accord.loadbalance", "loadbalance", "matplotlib"),
    ("accord.loadbalance", "loadbalance", "cryptography"),
    ("accord.marl.envs", "marl", "pettingzoo"),
    ("accord.marl.envs", "marl", "gymnasium"),
    ("accord.service", "service", "coincurve"),
    ("accord.service", "service", "chia_rs"),
]


def _hide(monkeypatch, module: str) -> None:
    """Make ``import module`` fail as if it were not installed."""
    monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize(("package", "extra", "module"), GUARDED)
def test_import_without_extra_names_it(monkeypatch, package, extra, module):
    _hide(monkeypatch, module)
    monkeypatch.delitem(sys.modules, package, raising=False)
    with pytest.raises(ImportError) as info:
        importlib.import_module(package)
    assert str(info.value).startswith(
        f'{package} needs the {extra!r} extra: pip install "accord[{extra}]"'
    )
    assert module in str(info.value)
    assert info.value.name == module


@pytest.mark.parametrize(("package", "extra", "module"), GUARDED)
def test_extra_lists_the_module(package, extra, module):
    assert module in _extras.EXTRAS[extra]


def test_require_extra_passes_when_installed():
    _extras.require_extra("accord.runner", "runner")
    assert _extras.available("numpy")
    assert not _extras.available("accord_no_such_module")


def test_require_extra_lists_every_missing_module(monkeypatch):
    _hide(monkeypatch, "pyarrow")
    _hide(monkeypatch, "tqdm")
    with pytest.raises(ImportError, match=r"\(missing: pyarrow, tqdm\)$"):
        _extras.require_extra("accord.runner", "runner")


CORE_ONLY = """
import sys
import importlib.abc

BLOCKED = {"pyarrow", "matplotlib", "tqdm", "cryptography", "cupy"}


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Block())
import accord.auctions, accord.bayes, accord.coalition, accord.coop, accord.games, accord.learn
from accord.cli import main

assert main(["coop", "shapley", sys.argv[1]]) == 0
assert main(["coop", "shapley", sys.argv[1], "--samples", "200", "--seed", "1"]) == 0
print(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
"""


def test_engine_and_coop_commands_need_no_extra():
    """The engine, the extra-free systems and ``accord coop shapley`` run on the core
    install: none of the extras' modules is imported."""
    import subprocess
    from pathlib import Path

    game = Path(__file__).resolve().parents[1] / "examples" / "eec1958.json"
    out = subprocess.run(
        [sys.executable, "-c", CORE_ONLY, str(game)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "Shapley value (exact, n = 6)" in out.stdout


def test_extras_match_pyproject():
    """Every guarded extra exists in pyproject.toml and ``all`` covers its modules."""
    tomllib = pytest.importorskip("tomllib")
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    dist = {
        "pyarrow": "pyarrow",
        "matplotlib": "matplotlib",
        "tqdm": "tqdm",
        "cryptography": "cryptography",
        "tomli": "tomli",
        "pettingzoo": "pettingzoo",
        "gymnasium": "gymnasium",
        "coincurve": "coincurve",
        "chia_rs": "chia_rs",
    }

    def names(extra):
        return {r.split(">")[0].split(";")[0].split("=")[0].strip() for r in extras[extra]}

    for extra, modules in _extras.EXTRAS.items():
        assert {dist[m] for m in modules} <= names(extra)
        for umbrella in ("all", "test", "bench", "docs"):
            assert {dist[m] for m in modules} <= names(umbrella)


def test_cli_reports_a_missing_extra_in_one_line(monkeypatch, capsys):
    from accord.cli import main

    for name in [m for m in sys.modules if m == "accord.runner" or m.startswith("accord.runner.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in [m for m in sys.modules if m.startswith("accord.experiments")]:
        monkeypatch.delitem(sys.modules, name)
    _hide(monkeypatch, "pyarrow")
    assert main(["report", "no-such-dir"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accord: error: accord.runner needs the 'runner' extra")
    assert isinstance(_extras.MissingExtraError("x"), ImportError)
