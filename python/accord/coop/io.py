"""Game files: JSON tables, JSON weighted voting games and ``.npy`` tables.

* ``{"n": 3, "values": [v(0), v(1), ..., v(2**n - 1)]}`` — dense table by bitmask;
* ``{"weights": [...], "quota": q}`` — a weighted voting game;
* a ``.npy`` file holding a 1-D float table of length ``2**n``.

Either JSON form may add ``"players": [names]`` (a list of distinct strings) and
``"description"``.  A file holding both ``"values"`` and ``"weights"`` is refused: it
does not say which game is meant.  Every error names the file and the field.
"""

from __future__ import annotations

import json
import numbers
from pathlib import Path

import numpy as np

from .._validate import fail
from .game import CoalitionalGame, TUGame
from .weighted_voting import WeightedVotingGame


def _numbers(p: Path, field: str, x) -> list[float]:
    """The JSON list ``x`` of field ``field`` of ``p`` as real numbers."""
    if not isinstance(x, list):
        fail("load_game", f'{p}: "{field}" must be a list of numbers; got {type(x).__name__}')
    for i, e in enumerate(x):
        if isinstance(e, bool) or not isinstance(e, numbers.Real):
            fail("load_game", f'{p}: "{field}" must hold numbers; entry {i} is {e!r}')
    return [float(e) for e in x]


def _number(p: Path, field: str, x) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        fail("load_game", f'{p}: "{field}" must be a number; got {x!r}')
    return float(x)


def _in_file(p: Path, field: str, make):
    """``make()``, with a ValueError/TypeError it raises prefixed by the file and field."""
    try:
        return make()
    except (ValueError, TypeError) as exc:
        fail("load_game", f'{p}: "{field}": {exc}', type(exc))


def _load_npy(p: Path) -> CoalitionalGame:
    with p.open("rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        fail("load_game", f"{p} is not a NumPy .npy file (it lacks the .npy header)")
    try:
        table = np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            fail("load_game", f"{p} holds pickled (object) data; it must hold a float table")
        fail("load_game", f"{p} is not a readable NumPy .npy file: {exc}")
    except OSError as exc:
        fail("load_game", f"{p} is not a readable NumPy .npy file: {exc}")
    return _in_file(p, "table", lambda: TUGame(table))


def load_game(path) -> tuple[CoalitionalGame, list[str]]:
    """The game in ``path`` and its player names (``"0"``, ``"1"``, … by default)."""
    p = Path(path)
    if p.is_dir():
        fail("load_game", f"{p} is a directory; expected a game file (.json or .npy)")
    if not p.is_file():
        fail("load_game", f"no such file: {p}")
    if p.suffix == ".npy":
        game: CoalitionalGame = _load_npy(p)
        return game, [str(i) for i in range(game.n)]
    if p.suffix != ".json":
        fail("load_game", f"{p} must be a .json or .npy file")
    try:
        data = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail("load_game", f"{p} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        fail("load_game", f"{p} must hold a JSON object")
    if "values" in data and ("weights" in data or "quota" in data):
        fail(
            "load_game",
            f'{p} has both "values" and "weights"/"quota"; keep one: the table '
            "or the weighted voting game",
        )
    if "values" in data:
        values = _numbers(p, "values", data["values"])
        game = _in_file(p, "values", lambda: TUGame(values))
        if "n" in data and data["n"] != game.n:
            fail(
                "load_game",
                f'{p}: "n" is {data["n"]} but there are {len(values)} values (2**{game.n})',
            )
    elif "weights" in data and "quota" in data:
        weights = _numbers(p, "weights", data["weights"])
        quota = _number(p, "quota", data["quota"])
        game = _in_file(p, "weights", lambda: WeightedVotingGame(weights, quota))
    else:
        fail(
            "load_game",
            f'{p} needs either "values" (a table of length 2**n) or '
            '"weights" and "quota" (a weighted voting game)',
        )
    return game, _player_names(p, data.get("players"), game.n)


def _player_names(p: Path, names, n: int) -> list[str]:
    if names is None:
        return [str(i) for i in range(n)]
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        fail("load_game", f'{p}: "players" must be a list of names (strings); got {names!r}')
    if len(names) != n:
        fail("load_game", f"{p} names {len(names)} players but the game has {n}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            fail("load_game", f'{p}: "players" must be distinct; {name!r} appears twice')
        seen.add(name)
    return list(names)
