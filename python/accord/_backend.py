"""Backend selection: the CPU module always, the CUDA module lazily.

``accord._cuda`` is imported on first use, so importing accord never touches the
CUDA driver; a missing module or device is reported, not raised, by ``info()``.
"""

from __future__ import annotations

import functools

from . import _core
from ._validate import fail


@functools.cache
def cuda_module():
    """The ``accord._cuda`` extension, or None when it was not built."""
    try:
        from . import _cuda
    except ImportError:
        return None
    return _cuda


def cuda_device_count() -> int:
    mod = cuda_module()
    if mod is None:
        return 0
    try:
        return int(mod.device_count())
    except RuntimeError:
        return 0


def is_device_array(x) -> bool:
    """True for arrays that live on a GPU (CuPy)."""
    return type(x).__module__.split(".")[0] == "cupy"


def resolve_device(func: str, data, device: str | None) -> str:
    """'cpu' or 'cuda': the device of ``data`` unless ``device`` overrides it."""
    if device is None:
        return "cuda" if is_device_array(data) else "cpu"
    if device not in ("cpu", "cuda"):
        fail(func, f"device must be 'cpu', 'cuda' or None (follow the input); got {device!r}")
    if device == "cuda":
        require_cuda(func)
    return device


def require_cuda(func: str):
    mod = cuda_module()
    if mod is None:
        fail(func, "device='cuda' needs accord built with CUDA (ACCORD_CUDA=ON and nvcc)",
             RuntimeError)
    if cuda_device_count() == 0:
        fail(func, "device='cuda' but no CUDA device is visible", RuntimeError)
    return mod


def cpu():
    return _core


def to_device(x):
    import cupy

    return cupy.asarray(x)


def to_host(x):
    if is_device_array(x):
        return x.get()
    return x


def array_module(x):
    """``cupy`` for device arrays, ``numpy`` otherwise."""
    if is_device_array(x):
        import cupy

        return cupy
    import numpy

    return numpy
