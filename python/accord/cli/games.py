"""``accord games ...``: equilibria of a normal-form game from a file.

Game files are Gambit's ``.nfg`` (payoff or outcome version) or a ``.npy`` payoff
array of shape ``(n, k_1, ..., k_n)``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, cast

import numpy as np

METHODS = ("vertex", "support", "lemke-howson", "pure", "ce")


def load_game(path: str):
    """The :class:`~accord.games.NfgGame` of an ``.nfg`` or ``.npy`` file."""
    from ..games import NfgGame, NormalFormGame, read_nfg

    if os.fspath(path).endswith(".npy"):
        try:
            payoffs = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a NumPy .npy payoff array ({exc})") from None
        try:
            game = NormalFormGame(payoffs, batch=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        n = game.num_players
        return NfgGame(
            game=game,
            title=os.path.basename(path),
            players=tuple(f"Player {i + 1}" for i in range(n)),
            strategies=tuple(tuple(str(j + 1) for j in range(k)) for k in game.num_actions),
        )
    return read_nfg(path)


def _equilibria(nfg, method: str) -> list[list[np.ndarray]]:
    from .. import games as G

    game = nfg.game
    if method == "pure":
        out = []
        for profile in G.pure_nash_equilibria(game):  # one game: tuples of actions
            actions = cast("tuple[int, ...]", profile)
            out.append([np.eye(k)[a] for k, a in zip(game.num_actions, actions, strict=True)])
        return out
    if game.num_players != 2:
        raise ValueError(
            f"accord games nash: --method {method} needs a two-player game; this one has "
            f"{game.num_players} players (use --method pure or --method ce)"
        )
    if method == "vertex":
        return [list(eq) for eq in G.vertex_enumeration(game)]
    if method == "support":
        return [list(eq) for eq in G.support_enumeration(game)]
    return [list(G.lemke_howson(game))]


def _label(nfg, i: int, j: int) -> str:
    return nfg.strategies[i][j] if nfg.strategies else str(j + 1)


def cmd_nash(args: argparse.Namespace) -> int:
    from .. import games as G

    nfg = load_game(args.file)
    game = nfg.game
    t0 = time.perf_counter()
    result: dict[str, Any] = {
        "file": os.fspath(args.file),
        "title": nfg.title,
        "players": list(nfg.players),
        "strategies": [list(s) for s in nfg.strategies],
        "method": args.method,
    }
    if args.method == "ce":
        ce = G.correlated_equilibrium(game, objective=args.objective)
        dt = time.perf_counter() - t0
        dist = np.asarray(ce.distribution)
        support: list[dict[str, Any]] = [
            {"profile": [_label(nfg, i, int(a)) for i, a in enumerate(idx)], "p": float(dist[idx])}
            for idx in zip(*np.nonzero(dist > 1e-12), strict=True)
        ]
        result |= {
            "distribution": support,
            "payoffs": [float(u) for u in ce.expected_payoffs],
            "time_s": dt,
        }
        if args.json:
            print(json.dumps(result, indent=2))
            return 0
        print(f"Correlated equilibrium ({args.objective}) of {nfg.title or args.file}")
        for row in support:
            print(f"  {' / '.join(row['profile']):<30} {row['p']:.6g}")
        print("  payoffs: " + ", ".join(f"{u:.6g}" for u in result["payoffs"]))
        print(f"time: {dt:.4f} s")
        return 0

    equilibria = _equilibria(nfg, args.method)
    dt = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    for profile in equilibria:
        values = G.expected_payoffs(game, profile)
        rows.append(
            {
                "strategies": [[float(p) for p in x] for x in profile],
                "payoffs": [float(np.dot(x, v)) for x, v in zip(profile, values, strict=True)],
            }
        )
    result |= {"equilibria": rows, "time_s": dt}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Nash equilibria ({args.method}) of {nfg.title or args.file}: {len(rows)}")
    for k, row in enumerate(rows, 1):
        print(f"  {k}. payoffs " + ", ".join(f"{u:.6g}" for u in row["payoffs"]))
        for i, x in enumerate(row["strategies"]):
            mix = ", ".join(f"P({_label(nfg, i, j)}) = {p:.6g}" for j, p in enumerate(x) if p > 0)
            print(f"     {nfg.players[i] if nfg.players else i + 1}: {mix}")
    print(f"time: {dt:.4f} s")
    return 0


def add_commands(sub) -> None:
    """Add ``games nash`` to the subparsers ``sub``."""
    games = sub.add_parser("games", help="normal-form games").add_subparsers(
        dest="games_command", required=True, help="the games command"
    )
    p = games.add_parser(
        "nash",
        help="Nash (or correlated) equilibria of a game in a Gambit .nfg or .npy file",
    )
    p.add_argument("file", help="game file: Gambit .nfg (payoff or outcome version) or .npy")
    p.add_argument(
        "--method",
        choices=METHODS,
        default="vertex",
        help="vertex: every extreme equilibrium (two players, default); support: support "
        "enumeration (two players, nondegenerate); lemke-howson: one equilibrium (two "
        "players); pure: every pure equilibrium (any number of players); ce: a correlated "
        "equilibrium by LP (any number of players)",
    )
    p.add_argument(
        "--objective",
        default="welfare",
        help="with --method ce: the LP objective (welfare, the default, or another "
        "objective accord.games.correlated_equilibrium accepts)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_nash)
