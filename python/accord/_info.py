"""Build and runtime information."""

from __future__ import annotations

import platform

from . import _backend
from ._validate import integer
from ._version import __version__


def set_num_threads(n: int) -> None:
    """Set the number of OpenMP threads used by the CPU kernels."""
    _backend.cpu_kernels().set_num_threads(integer("set_num_threads", "n", n, minimum=1))


def info() -> dict:
    """Version, compiler flags, OpenMP threads, CUDA build and visible devices."""
    build = dict(_backend.cpu_kernels().build_info())
    out = {
        "version": __version__,
        "python": platform.python_version(),
        "compiler": build["compiler"],
        "cxx_flags": build["flags"].strip(),
        "openmp": build["openmp"],
        "threads": _backend.cpu_kernels().get_num_threads(),
        "cuda_built": False,
        "cuda": None,
        "cuda_devices": [],
    }
    mod = _backend.cuda_module()
    if mod is not None:
        out["cuda_built"] = True
        out["cuda"] = dict(mod.build_info())
        try:
            out["cuda_devices"] = list(mod.devices()) if mod.device_count() else []
        except RuntimeError as exc:
            out["cuda_devices"] = []
            out["cuda_error"] = str(exc)
    return out


def format_info(d: dict) -> str:
    lines = [
        f"accord {d['version']} (Python {d['python']})",
        f"compiler     {d['compiler']}",
        f"flags        {d['cxx_flags']}",
        f"openmp       {d['openmp']}, {d['threads']} threads",
        f"cuda module  {'built' if d['cuda_built'] else 'not built'}"
        + (f" ({d['cuda']})" if d["cuda"] else ""),
    ]
    if d["cuda_built"]:
        devs = d["cuda_devices"]
        if not devs:
            err = f": {d['cuda_error']}" if "cuda_error" in d else ""
            lines.append("cuda devices none visible" + err)
        for dev in devs:
            lines.append(f"cuda device  {dev}")
    return "\n".join(lines)
