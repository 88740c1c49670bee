"""Figures for experiment reports (matplotlib, Agg canvas, no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["line_plot"]


def line_plot(
    path,
    x,
    lines: Mapping[str, tuple],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    dpi: int = 120,
) -> Path:
    """One line per label with a shaded band; write a PNG to ``path`` and return it.

    ``lines[label] = (mean, half_width)``: arrays of ``len(x)``; the band is
    ``mean +- half_width`` (omitted where the half-width is NaN).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = np.asarray(x)
    fig = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, (mean, half) in lines.items():
        mean = np.asarray(mean, dtype=np.float64)
        half = np.asarray(half, dtype=np.float64)
        if mean.shape != x.shape or half.shape != x.shape:
            raise ValueError(
                f"line_plot(): line {label!r} has mean shape {mean.shape} and "
                f"half-width shape {half.shape}; both must match x {x.shape}"
            )
        (artist,) = ax.plot(x, mean, label=str(label), linewidth=1.2)
        ok = np.isfinite(half)
        if ok.any():
            ax.fill_between(
                x,
                mean - half,
                mean + half,
                where=ok,
                alpha=0.2,
                color=artist.get_color(),
                linewidth=0,
            )
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if lines:
        ax.legend(fontsize="small")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path
