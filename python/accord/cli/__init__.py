"""The ``accord`` command line.

One module per command group, each adding its subcommands with
``add_commands(subparsers)``: :mod:`.info` (``accord info``), :mod:`.coop`
(``accord coop ...``), :mod:`.experiments` (``accord run``, ``accord report``) and
:mod:`.pbft` (``accord pbft ...``). A command is a function of the parsed arguments
that returns the exit status; the work is done by the package it calls.
"""

from __future__ import annotations

import argparse
import sys

from .._extras import MissingExtraError
from . import coop, experiments, info, pbft

__all__ = ["build_parser", "main"]

_GROUPS = (info, coop, experiments, pbft)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``accord`` command."""
    parser = argparse.ArgumentParser(prog="accord", description="The ``accord`` command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in _GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``accord ARGV``; bad input or a missing extra is one ``accord: error: ...``
    line and status 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError, MissingExtraError) as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 2
