"""
accord CPU kernels (C++17, OpenMP)
"""

from __future__ import annotations

import typing

from . import bayes, coalition, coop, games, loadbalance, marl

__all__: list[str] = [
    "bayes",
    "build_info",
    "coalition",
    "coop",
    "games",
    "get_num_threads",
    "loadbalance",
    "marl",
    "set_num_threads",
]

def build_info() -> dict:
    """
    Compiler, compile flags and OpenMP version of the kernels.
    """

def get_num_threads() -> int:
    """
    Threads of the OpenMP kernels.
    """

def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Threads of the OpenMP kernels.
    """
