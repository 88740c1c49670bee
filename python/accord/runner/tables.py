"""Fixed-width text tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["format_table", "print_table"]


def _cell(v, floatfmt: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else format(v, floatfmt)
    return str(v)


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence],
    title: str | None = None,
    floatfmt: str = ".3f",
) -> str:
    """Columns as wide as their widest cell; numbers right-aligned, text left-aligned.

    Cells may be str, int, float (formatted with ``floatfmt``) or None (``-``).
    """
    rows = [list(r) for r in rows]
    for i, r in enumerate(rows):
        if len(r) != len(headers):
            raise ValueError(
                f"format_table(): row {i} has {len(r)} cells for {len(headers)} "
                "headers; give one cell per header"
            )
    text = [[_cell(v, floatfmt) for v in r] for r in rows]
    numeric = [
        bool(rows) and all(isinstance(r[j], (int, float)) or r[j] is None for r in rows)
        for j in range(len(headers))
    ]
    widths = [max([len(h)] + [len(t[j]) for t in text]) for j, h in enumerate(headers)]

    def line(cells):
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    out = [] if title is None else [title]
    out.append(line(headers))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(t) for t in text)
    return "\n".join(out)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence],
    title: str | None = None,
    floatfmt: str = ".3f",
) -> None:
    """Print :func:`format_table` followed by a blank line."""
    print(format_table(headers, rows, title=title, floatfmt=floatfmt))
    print()
