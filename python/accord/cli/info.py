"""``accord info``: build flags, threads and CUDA devices."""

from __future__ import annotations

import argparse


def cmd_info(args: argparse.Namespace) -> int:
    from .._info import format_info, info

    print(format_info(info()))
    return 0


def add_commands(sub) -> None:
    """Add ``info`` to the subparsers ``sub``."""
    sub.add_parser("info", help="build flags, threads and CUDA devices").set_defaults(func=cmd_info)
