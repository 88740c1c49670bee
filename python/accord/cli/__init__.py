"""The ``accord`` command line.

One module per command group, each adding its subcommands with
``add_commands(subparsers)``: :mod:`.info` (``accord info``), :mod:`.coop`
(``accord coop ...``), :mod:`.experiments` (``accord run``, ``accord report``),
:mod:`.pbft` (``accord pbft ...``) and :mod:`.service` (``accord service ...``). A
command is a function of the parsed arguments that returns the exit status; the work is
done by the package it calls.
"""

from __future__ import annotations

import argparse
import re
import sys

from .._extras import MissingExtraError
from .._version import __version__
from . import coop, experiments, games, info, pbft, service

__all__ = ["build_parser", "main"]

_GROUPS = (info, coop, games, experiments, pbft, service)

# An argument that starts with a minus sign followed by a digit or a point is a value
# (``--allocation -50,175,75``, ``--tol -1e-3``), never an option: no option name
# starts that way.
_NEGATIVE_VALUE = re.compile(r"^-\.?\d")


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that reads negative numbers and comma-separated lists of
    numbers starting with a minus sign as values; its subparsers are of this class."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``accord`` command."""
    parser = _Parser(prog="accord", description="The ``accord`` command line.")
    parser.add_argument(
        "--version", action="version", version=f"accord {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, help="the command")
    for group in _GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``accord ARGV``; bad input or a missing extra is one ``accord: error: ...``
    line and status 2, a file-system error (a path that cannot be read or created) one
    such line and status 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError, MissingExtraError) as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 1
