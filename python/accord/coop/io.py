"""Game files: JSON tables, JSON weighted voting games and ``.npy`` tables.

* ``{"n": 3, "values": [v(0), v(1), ..., v(2**n - 1)]}`` — dense table by bitmask;
* ``{"weights": [...], "quota": q}`` — a weighted voting game;
* a ``.npy`` file holding a 1-D float table of length ``2**n``.

Either JSON form may add ``"players": [names]`` and ``"description"``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._validate import fail
from .game import CoalitionalGame, TUGame
from .weighted_voting import WeightedVotingGame


def load_game(path) -> tuple[CoalitionalGame, list[str]]:
    """The game in ``path`` and its player names (``"0"``, ``"1"``, … by default)."""
    p = Path(path)
    if not p.is_file():
        fail("load_game", f"no such file: {p}")
    if p.suffix == ".npy":
        game: CoalitionalGame = TUGame(np.load(p, allow_pickle=False))
        return game, [str(i) for i in range(game.n)]
    if p.suffix != ".json":
        fail("load_game", f"{p} must be a .json or .npy file")
    try:
        data = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        fail("load_game", f"{p} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        fail("load_game", f"{p} must hold a JSON object")
    if "values" in data:
        game = TUGame(data["values"])
        if "n" in data and data["n"] != game.n:
            fail(
                "load_game",
                f"{p} says n = {data['n']} but has {len(data['values'])} values (2**{game.n})",
            )
    elif "weights" in data and "quota" in data:
        game = WeightedVotingGame(data["weights"], data["quota"])
    else:
        fail(
            "load_game",
            f'{p} needs either "values" (a table of length 2**n) or '
            '"weights" and "quota" (a weighted voting game)',
        )
    names = data.get("players") or [str(i) for i in range(game.n)]
    if len(names) != game.n:
        fail("load_game", f"{p} names {len(names)} players but the game has {game.n}")
    return game, [str(x) for x in names]
