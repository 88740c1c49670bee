"""asv benchmarks of the exact two-player Nash solvers of accord.games against
quantecon and pygambit (skipped, by asv's NotImplementedError convention, when a
baseline is not installed).

Each ``time_*`` call solves ``GAMES`` random games (uniform payoffs on [0, 1), seeded),
so the time per equilibrium is the reported time divided by ``GAMES``.  The inputs
are shared with ``benchmarks/compare_bimatrix.py``.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from accord.games import lemke_howson, minimax, support_enumeration, vertex_enumeration

from . import common

#: Games per ``time_lemke_howson`` call.
GAMES = 20
LIBS = ("accord", "quantecon", "pygambit")


@functools.cache
def random_bimatrices(n: int, count: int, kind: str = "uniform", m: int | None = None
                      ) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``count`` seeded ``m x n`` games (``m = n`` by default).  ``kind``: "uniform"
    (payoffs uniform on [0, 1): nondegenerate with probability 1) or "int2" / "int3"
    (integers 0..1 / 0..2: many ties, degenerate)."""
    m = n if m is None else m
    rng = np.random.default_rng([common.SEED, 3, m, n, count, len(kind)])
    out = []
    for _ in range(count):
        if kind == "uniform":
            A, B = rng.random((m, n)), rng.random((m, n))
        else:
            hi = int(kind[3:])
            A = rng.integers(0, hi, size=(m, n)).astype(np.float64)
            B = rng.integers(0, hi, size=(m, n)).astype(np.float64)
        out.append((A, B))
    return tuple(out)


def baseline(name: str):
    """The baseline module, or NotImplementedError (asv: skip) when it is missing."""
    try:
        if name == "quantecon":
            return importlib.import_module("quantecon.game_theory")
        if name == "pygambit":
            return importlib.import_module("pygambit")
        if name == "nashpy":
            return importlib.import_module("nashpy")
    except ImportError as e:
        raise NotImplementedError(f"{name} is not installed ({e})") from None
    raise ValueError(name)


# ------------------------------------------------------------------ one call per library


def lh_solver(lib: str):
    """``solve(A, B) -> (x, y)`` by Lemke-Howson (initial label 0) in ``lib``; the
    baselines' game objects are built once per (A, B) outside the timed call."""
    if lib == "accord":
        return lambda A, B: lemke_howson(A, B, 0)
    if lib == "quantecon":
        gt = baseline("quantecon")
        games = {}

        def solve(A, B):
            g = games.get(id(A))
            if g is None:
                g = games[id(A)] = gt.NormalFormGame((gt.Player(A), gt.Player(B.T)))
            return gt.lemke_howson(g, init_pivot=0)
        return solve
    if lib == "pygambit":
        gbt = baseline("pygambit")
        games = {}

        def solve(A, B):
            g = games.get(id(A))
            if g is None:
                g = games[id(A)] = gbt.Game.from_arrays(A, B)
            eq = gbt.nash.lcp_solve(g, rational=False, stop_after=1).equilibria[0]
            return tuple(np.array([float(eq[s]) for s in p.strategies]) for p in g.players)
        return solve
    if lib == "nashpy":
        nash = baseline("nashpy")
        return lambda A, B: nash.Game(A, B).lemke_howson(initial_dropped_label=0)
    raise ValueError(lib)


def all_ne_solver(lib: str):
    """``solve(A, B) -> list of (x, y)``: every extreme equilibrium."""
    if lib == "accord":
        return lambda A, B: list(vertex_enumeration(A, B))
    if lib == "quantecon":
        gt = baseline("quantecon")
        return lambda A, B: gt.vertex_enumeration(
            gt.NormalFormGame((gt.Player(A), gt.Player(B.T))))
    if lib == "pygambit":
        gbt = baseline("pygambit")

        def solve(A, B):
            g = gbt.Game.from_arrays(A, B)
            res = gbt.nash.enummixed_solve(g, rational=False)
            return [tuple(np.array([float(eq[s]) for s in p.strategies]) for p in g.players)
                    for eq in res.equilibria]
        return solve
    raise ValueError(lib)


# ------------------------------------------------------------------ asv classes


class LemkeHowson:
    """One equilibrium (Lemke-Howson, label 0) of each of GAMES random n x n games."""

    params = [[10, 20, 40], list(LIBS)]
    param_names = ["n", "lib"]
    timeout = 300

    def setup(self, n, lib):
        self.games = random_bimatrices(n, GAMES)
        self.solve = lh_solver(lib)
        for A, B in self.games:  # warm-up: JIT compilation, game objects
            self.solve(A, B)

    def time_lemke_howson(self, n, lib):
        for A, B in self.games:
            self.solve(A, B)


class LemkeHowsonTermination:
    """Fraction of Lemke-Howson calls (label 0) that return an equilibrium on 200
    degenerate 10 x 10 games with payoffs in {0, 1}."""

    params = [list(LIBS)]
    param_names = ["lib"]
    timeout = 300

    def setup(self, lib):
        self.games = random_bimatrices(10, 200, "int2")
        self.solve = lh_solver(lib)

    def track_termination_rate(self, lib):
        ok = 0
        for A, B in self.games:
            try:
                x, y = self.solve(A, B)
            except Exception:  # noqa: BLE001  (a baseline's failure counts as a miss)
                continue
            gap = (A @ y).max() - x @ A @ y + (x @ B).max() - x @ B @ y
            ok += bool(gap <= 1e-6)
        return ok / len(self.games)

    track_termination_rate.unit = "fraction"


class VertexEnumeration:
    """All extreme equilibria of one random n x n game (accord alone at n = 20)."""

    params = [[10, 15, 20], list(LIBS)]
    param_names = ["n", "lib"]
    timeout = 600

    def setup(self, n, lib):
        if n > 15 and lib != "accord":
            raise NotImplementedError("the baselines take too long at n = 20")
        if n >= 15 and lib == "pygambit":
            raise NotImplementedError("enummixed_solve takes over 5 minutes at 15 x 15")
        self.A, self.B = random_bimatrices(n, 1)[0]
        self.solve = all_ne_solver(lib)
        if lib == "quantecon":
            A, B = random_bimatrices(4, 1)[0]
            self.solve(A, B)  # JIT warm-up

    def time_vertex_enumeration(self, n, lib):
        self.solve(self.A, self.B)


class SupportEnumeration:
    """All equilibria of one random n x n game by support enumeration (accord)."""

    params = [[8, 10]]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        self.A, self.B = random_bimatrices(n, 1)[0]

    def time_support_enumeration(self, n):
        list(support_enumeration(self.A, self.B))


class Minimax:
    """Value of a random n x n zero-sum game by LP (HiGHS)."""

    params = [[10, 100, 400]]
    param_names = ["n"]

    def setup(self, n):
        self.A = random_bimatrices(n, 1)[0][0]

    def time_minimax(self, n):
        minimax(self.A)
