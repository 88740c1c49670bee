"""Gambit's strategic-game file format (``.nfg``), both versions, read and written.

A file starts with the prologue ``NFG 1 R "title" { "player" ... }``, then the
strategies — either their counts ``{ 3 2 }`` or their labels
``{ { "a" "b" "c" } { "x" "y" } }`` — and an optional comment string.  The body is
either the *payoff version*, every player's payoff for every pure profile, or the
*outcome version*, a list of outcomes ``{ "label" u_1, u_2, ... }`` followed by one
outcome number per profile (1-based; 0 is the null outcome, all payoffs zero).
Profiles are listed with the first player's strategy changing fastest.  Numbers are
integers, decimals (exponents allowed) or rationals ``p/q``.  Whitespace is not
significant and commas separate nothing (McKelvey, McLennan & Turocy 2016).

:func:`parse_nfg` / :func:`read_nfg` return an :class:`NfgGame` whose ``game`` is an
:class:`accord.games.NormalFormGame` of shape ``(n, k_1, ..., k_n)``;
:func:`format_nfg` / :func:`write_nfg` write either version, so games move between
Gambit and accord in both directions.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

from .._validate import choice, fail
from .game import NormalFormGame

__all__ = ["NfgGame", "format_nfg", "parse_nfg", "read_nfg", "write_nfg"]

#: Largest number of pure profiles (payoff entries per player) a file may declare.
MAX_PROFILES = 1 << 27

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<brace>[{}])
      | (?P<comma>,)
      | (?P<word>[^\s{}",]+)
    )""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class NfgGame:
    """A strategic game read from (or to be written to) a ``.nfg`` file.

    Attributes
    ----------
    game
        The payoffs as a single :class:`~accord.games.NormalFormGame`.
    title, comment
        The file's title and comment strings.
    players
        One label per player.
    strategies
        One tuple of strategy labels per player.
    """

    game: NormalFormGame
    title: str = ""
    players: tuple[str, ...] = ()
    strategies: tuple[tuple[str, ...], ...] = ()
    comment: str = ""
    outcome_labels: tuple[str, ...] = field(default=(), repr=False)


class _Tokens:
    """Tokens of an ``.nfg`` text with the position of each, for error messages."""

    def __init__(self, func: str, text: str) -> None:
        self.func = func
        self.items: list[tuple[str, str, int]] = []
        pos, end = 0, len(text)
        while pos < end:
            m = _TOKEN.match(text, pos)
            if m is None:
                if text[pos:].strip() == "":
                    break
                fail(func, f"unterminated string at character {pos}")
            kind = m.lastgroup
            if kind is None:  # trailing whitespace
                break
            if kind != "comma":
                self.items.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def error(self, what: str) -> None:
        if self.i < len(self.items):
            kind, value, at = self.items[self.i]
            fail(self.func, f"{what} at character {at}; got {value!r}")
        fail(self.func, f"{what}; the file ends first")

    def peek(self) -> tuple[str, str] | None:
        if self.i < len(self.items):
            kind, value, _ = self.items[self.i]
            return kind, value
        return None

    def take(self, kind: str, value: str | None = None, what: str = "") -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            self.error(f"expected {what or value or kind}")
        self.i += 1
        return tok[1]  # type: ignore[index]

    def string(self, what: str) -> str:
        raw = self.take("string", what=what)
        return re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)

    def number(self, what: str) -> float:
        word = self.take("word", what=what)
        try:
            x = float(Fraction(word)) if "/" in word else float(word)
        except (ValueError, ZeroDivisionError, OverflowError):
            self.i -= 1
            self.error(f"expected {what} (an integer, decimal or p/q)")
        if not math.isfinite(x):
            self.i -= 1
            self.error(f"expected a finite {what}")
        return x

    def integer(self, what: str) -> int:
        word = self.take("word", what=what)
        if not re.fullmatch(r"[0-9]+", word):
            self.i -= 1
            self.error(f"expected {what} (a non-negative integer)")
        return int(word)

    def strings(self, what: str) -> list[str]:
        self.take("brace", "{", what=f"'{{' opening the {what}")
        out = []
        while self.peek() != ("brace", "}"):
            out.append(self.string(f"a quoted label in the {what} or '}}'"))
        self.i += 1
        return out


def parse_nfg(text: str) -> NfgGame:
    """Parse the text of a ``.nfg`` file (payoff or outcome version).

    Raises ``ValueError`` naming the position and what was expected for anything
    that is not a well-formed file: a wrong header, a count that does not match the
    number of profiles, an outcome number out of range, a non-finite payoff.
    """
    func = "parse_nfg"
    if not isinstance(text, str):
        fail(func, f"text must be a str; got {type(text).__name__}", TypeError)
    t = _Tokens(func, text)
    t.take("word", "NFG", what="'NFG' at the start of the file")
    t.take("word", "1", what="version number 1 after 'NFG'")
    t.take("word", "R", what="'R' after 'NFG 1'")
    title = t.string("the game's title (a quoted string)")
    players = t.strings("list of players")
    n = len(players)
    if n == 0:
        t.i -= 1
        t.error("expected at least one player")

    # strategies: counts { 3 2 } or labels { { "a" "b" } { ... } }
    t.take("brace", "{", what="'{' opening the strategy list")
    labels: list[tuple[str, ...]] = []
    if t.peek() == ("brace", "{"):
        for i in range(n):
            labels.append(tuple(t.strings(f"strategies of player {i + 1}")))
    else:
        for i in range(n):
            k = t.integer(f"the strategy count of player {i + 1}")
            labels.append(tuple(str(j + 1) for j in range(k)))
    t.take("brace", "}", what=f"'}}' closing the strategy list of {n} players")
    counts = tuple(len(s) for s in labels)
    if any(k == 0 for k in counts):
        fail(func, f"every player needs at least one strategy; got counts {counts}")
    profiles = math.prod(counts)
    if profiles > MAX_PROFILES:
        fail(
            func,
            f"the game has {profiles} pure profiles (counts {counts}); at most "
            f"{MAX_PROFILES} are read",
        )
    comment = ""
    tok = t.peek()
    if tok is not None and tok[0] == "string":
        comment = t.string("the comment")

    outcome_labels: tuple[str, ...] = ()
    if t.peek() == ("brace", "{"):  # outcome version
        t.i += 1
        outcomes: list[list[float]] = []
        names: list[str] = []
        while t.peek() != ("brace", "}"):
            t.take("brace", "{", what="'{' opening an outcome or '}' closing the list")
            names.append(t.string(f"the label of outcome {len(outcomes) + 1}"))
            pay = [t.number(f"payoff {i + 1} of outcome {len(outcomes) + 1}") for i in range(n)]
            t.take("brace", "}", what=f"'}}' after the {n} payoffs of an outcome")
            outcomes.append(pay)
        t.i += 1
        table = np.zeros((len(outcomes) + 1, n))
        if outcomes:
            table[1:] = outcomes
        index = np.array(
            [t.integer(f"the outcome number of profile {p + 1}") for p in range(profiles)],
            dtype=np.int64,
        )
        if index.size and index.max() > len(outcomes):
            bad = int(np.argmax(index > len(outcomes)))
            fail(
                func,
                f"profile {bad + 1} names outcome {int(index[bad])}, but only "
                f"{len(outcomes)} outcomes are listed",
            )
        flat = table[index]  # (profiles, n)
        outcome_labels = tuple(names)
    else:  # payoff version
        values = [t.number(f"payoff number {j + 1}") for j in range(profiles * n)]
        flat = np.array(values, dtype=np.float64).reshape(profiles, n)
    if t.peek() is not None:
        t.error(f"expected the end of the file after {profiles} profiles")
    # profile p lists the first player's strategy fastest (Fortran order over counts)
    payoffs = np.stack([flat[:, i].reshape(counts, order="F") for i in range(n)])
    return NfgGame(
        game=NormalFormGame(payoffs, batch=False),
        title=title,
        players=tuple(players),
        strategies=tuple(labels),
        comment=comment,
        outcome_labels=outcome_labels,
    )


def read_nfg(path: str | os.PathLike) -> NfgGame:
    """Read a ``.nfg`` file (see :func:`parse_nfg`); errors name the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        fail("read_nfg", f"cannot read {os.fspath(path)!r}: {exc}")
    try:
        return parse_nfg(text)
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from None


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(float(x))


def _label(func: str, name: str, text) -> str:
    if not isinstance(text, str):
        fail(func, f"{name} must be a string; got {type(text).__name__}", TypeError)
    return text


def _labels(func: str, name: str, seq, str_ok: bool = True) -> list:
    """``seq`` as a list: a list or tuple of strings (``str_ok``), or of sequences."""
    if not isinstance(seq, (list, tuple)):
        fail(func, f"{name} must be a list or tuple; got {type(seq).__name__}", TypeError)
    if str_ok:
        for s in seq:
            _label(func, f"{name} labels", s)
    return list(seq)


def format_nfg(
    game: NormalFormGame | ArrayLike,
    *,
    title: str = "",
    players: Sequence[str] | None = None,
    strategies: Sequence[Sequence[str]] | None = None,
    comment: str = "",
    version: str = "payoff",
) -> str:
    """The ``.nfg`` text of one game: ``version="payoff"`` lists every payoff,
    ``version="outcome"`` one outcome per distinct payoff vector.

    Labels default to Gambit's (``"Player 1"``, ``"1"``, ``"2"``, ...). Floats are
    written with the shortest representation that reads back to the same value, so
    ``parse_nfg(format_nfg(g))`` reproduces ``g`` exactly.
    """
    func = "format_nfg"
    if isinstance(game, NormalFormGame):
        g = game
    else:
        g = NormalFormGame._checked(func, "game", game, batch=False)
    if g.batch_size is not None:
        fail(func, "game must be a single game (a file holds one); got a batch")
    choice(func, "version", version, ("payoff", "outcome"))
    for name, text in (("title", title), ("comment", comment)):
        _label(func, name, text)
    pay = np.asarray(g.payoffs, dtype=np.float64)
    n, counts = g.num_players, tuple(g.num_actions)
    names = (
        _labels(func, "players", players)
        if players is not None
        else [f"Player {i + 1}" for i in range(n)]
    )
    if len(names) != n:
        fail(func, f"players must have one label per player ({n}); got {len(names)}")
    labels = (
        [
            _labels(func, "strategies entries", s)
            for s in _labels(func, "strategies", strategies, str_ok=False)
        ]
        if strategies is not None
        else [[str(j + 1) for j in range(k)] for k in counts]
    )
    if len(labels) != n or any(len(s) != k for s, k in zip(labels, counts, strict=False)):
        fail(func, f"strategies must give {counts} labels per player; got {labels!r}")
    # (profiles, n) with the first player's strategy fastest
    flat = np.stack([pay[i].reshape(-1, order="F") for i in range(n)], axis=1)
    head = [f"NFG 1 R {_quote(title)} {{ {' '.join(_quote(p) for p in names)} }}"]
    head.append(
        "{ " + " ".join("{ " + " ".join(_quote(s) for s in ss) + " }" for ss in labels) + " }"
    )
    head.append(_quote(comment))
    head.append("")
    if version == "payoff":
        body = " ".join(_num(x) for x in flat.ravel())
        return "\n".join(head) + "\n" + body + "\n"
    vectors, index = np.unique(flat, axis=0, return_inverse=True)
    lines = ["{"]
    for j, vec in enumerate(vectors):
        lines.append(f"{{ {_quote(f'Outcome {j + 1}')} {', '.join(_num(x) for x in vec)} }}")
    lines.append("}")
    lines.append(" ".join(str(int(i) + 1) for i in np.ravel(index)))
    return "\n".join(head) + "\n" + "\n".join(lines) + "\n"


def write_nfg(path: str | os.PathLike, game: NormalFormGame | ArrayLike, **options) -> None:
    """Write :func:`format_nfg`'s text (same keyword options) to ``path``."""
    text = format_nfg(game, **options)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
