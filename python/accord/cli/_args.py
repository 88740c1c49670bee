"""Argument types shared by the command groups."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole(minimum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number (``>= minimum`` when given), also written as
    ``1e6`` or ``10_000`` (counts such as ``--samples`` are often large).  Without
    ``minimum`` the range is left to the function the command calls, whose error
    names the argument."""
    least = "" if minimum is None else f" >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            try:
                f = float(text.replace("_", ""))
            except ValueError:
                raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
            if not math.isfinite(f) or f != int(f):
                raise argparse.ArgumentTypeError(
                    f"must be a whole number{least}; got {text!r}"
                ) from None
            value = int(f)
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number{least}; got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse
