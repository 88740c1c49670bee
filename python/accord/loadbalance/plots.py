"""Figures of one simulation: loads, sensitivities, reserve threshold,
fairness and social welfare over time, as PNG files (matplotlib, Agg canvas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .simulate import SimulationResult

__all__ = ["PLOTS", "plot_result"]

#: File stem -> (title, y label).
PLOTS = {
    "loads": ("Server loads", "load"),
    "sensitivity": ("Bidding sensitivity", "sensitivity"),
    "reserve": ("Reserve threshold", "1.5 x mean winning bid"),
    "fairness": ("Fairness (std of loads, lower is fairer)", "std of loads"),
    "welfare": ("Social welfare", "-sum |load - capacity x target|"),
}

_MAX_LINES = 20  # per-server plots show at most this many servers


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(fig)
    return fig


def plot_result(
    result: SimulationResult, out_dir, *, prefix: str = "", dpi: int = 110
) -> list[Path]:
    """Write one PNG per entry of :data:`PLOTS` into ``out_dir``; return their paths.

    Per-server plots draw at most 20 servers (evenly spaced ids) so large runs stay
    legible; the title says how many are shown.
    """
    if not isinstance(result, SimulationResult):
        raise TypeError(
            f"plot_result(): result must be a SimulationResult; got {type(result).__name__}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rounds = np.arange(len(result.welfare))
    n = result.loads.shape[1]
    shown = np.unique(np.linspace(0, n - 1, min(n, _MAX_LINES)).round().astype(int))
    series = {
        "loads": result.loads,
        "sensitivity": result.sensitivity,
        "reserve": result.reserve,
        "fairness": result.fairness,
        "welfare": result.welfare,
    }
    paths = []
    for stem, (title, ylabel) in PLOTS.items():
        fig = _figure()
        ax = fig.add_subplot()
        y = series[stem]
        if y.ndim == 2:
            for i in shown:
                ax.plot(rounds, y[:, i], linewidth=0.8, label=f"server {i}")
            if len(shown) < n:
                title += f" ({len(shown)} of {n} servers)"
            if len(shown) <= 10:
                ax.legend(fontsize="x-small", ncol=2)
        else:
            ax.plot(rounds, y, linewidth=1.0)
        ax.set_title(f"{title} - {result.config.mode}")
        ax.set_xlabel("round")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path = out / f"{prefix}{stem}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths
