"""The package's type hints, as a type checker sees them: mypy on small snippets."""

from __future__ import annotations

import re
import textwrap
from importlib import resources
from pathlib import Path

import pytest

# The marker that makes type checkers read the installed package's annotations (PEP 561).
MARKER = "py.typed"

# Lines marked "# error" must be reported by mypy, and no other line.
SNIPPET = """
import numpy as np

from accord.coop import ShapleyEstimate, TUGame, banzhaf, core_violation, shapley
from accord.games import NormalFormGame, best_response, fictitious_play, nash_conv

g = TUGame(np.array([0.0, 1.0, 1.0, 3.0]))
exact: np.ndarray = shapley(g)
sampled: ShapleyEstimate = shapley(g, samples=10)
from_table: np.ndarray = shapley([0.0, 1.0, 1.0, 3.0])
index: np.ndarray = banzhaf(g, normalized=True)
excess, mask = core_violation(g, [1.5, 1.5])
total: float = excess + mask
wrong_exact: ShapleyEstimate = shapley(g)  # error
wrong_sampled: np.ndarray = shapley(g, samples=10)  # error

game = NormalFormGame([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
profile = [np.array([0.5, 0.5]), np.array([0.5, 0.5])]
gap = nash_conv(game, profile)
payoffs = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]]
actions, values = best_response(payoffs, [np.array([0.5, 0.5]), [0.5, 0.5]])
history: np.ndarray = fictitious_play(game, 10).history
flat = nash_conv(game, np.array([0.5, 0.5, 0.5, 0.5]))  # error
"""


def _expected_lines(source: str) -> set[int]:
    return {i for i, line in enumerate(source.splitlines(), 1) if line.endswith("# error")}


def test_the_package_ships_the_typed_marker():
    assert resources.files("accord").joinpath(MARKER).is_file()


def test_public_signatures_type_check(tmp_path: Path):
    mypy_api = pytest.importorskip("mypy.api")
    source = textwrap.dedent(SNIPPET).lstrip()
    path = tmp_path / "snippet.py"
    path.write_text(source)
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nwarn_unused_ignores = True\n")
    out, err, _ = mypy_api.run(
        [
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            str(path),
        ]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    snippet_errors = [e for e in errors if e.startswith(str(path))]
    assert len(snippet_errors) == len(errors), f"errors outside the snippet:\n{out}{err}"
    reported = {int(re.match(r".*?:(\d+):", e).group(1)) for e in snippet_errors}
    assert reported == _expected_lines(source), f"mypy reported:\n{out}{err}"
