"""Device dispatch: which kernels run an array, and how they receive it.

This module is the one place that knows about CuPy and the compiled modules:

* :func:`cpu_kernels` is ``accord._core`` (or one of its areas, ``"coop"``,
  ``"games"``, ``"bayes"``, ``"loadbalance"``), always built;
* :func:`cuda_kernels` is ``accord._cuda``, imported on first use (importing accord
  never touches the CUDA driver) and refused with a clear error when it was not
  built or no device is visible; :func:`cuda_module` reports it without raising;
* :func:`is_device_array`, :func:`array_module`, :func:`to_host`, :func:`to_device`
  and :func:`like` tell NumPy from CuPy arrays and move results back;
* :func:`device_buffer`, :func:`pointer` and :func:`stream` hand a CUDA kernel its
  arguments: a C-contiguous device array, its address and the current stream.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _core
from ._validate import fail

#: The areas of ``accord._core`` (its submodules).
CPU_AREAS = ("bayes", "coalition", "coop", "games", "loadbalance", "marl")


# ----------------------------------------------------------------------------- kernels


def cpu_kernels(area: str | None = None):
    """``accord._core``, or its submodule ``area`` (one of :data:`CPU_AREAS`)."""
    if area is None:
        return _core
    if area not in CPU_AREAS:
        fail("cpu_kernels", f"area must be one of {CPU_AREAS}; got {area!r}")
    return getattr(_core, area)


@functools.cache
def cuda_module():
    """The ``accord._cuda`` extension, or None when it was not built."""
    try:
        from . import _cuda
    except ImportError:
        return None
    return _cuda


def cuda_device_count() -> int:
    """CUDA devices visible to ``accord._cuda`` (0 without the module or a driver)."""
    mod = cuda_module()
    if mod is None:
        return 0
    try:
        return int(mod.device_count())
    except RuntimeError:
        return 0


def cuda_kernels(func: str):
    """``accord._cuda``; ``func``'s RuntimeError when it was not built or no device
    is visible."""
    mod = cuda_module()
    if mod is None:
        fail(
            func,
            "device='cuda' needs accord built with CUDA (ACCORD_CUDA=ON and nvcc)",
            RuntimeError,
        )
    if cuda_device_count() == 0:
        fail(func, "device='cuda' but no CUDA device is visible", RuntimeError)
    return mod


def resolve_device(func: str, data, device: str | None) -> str:
    """'cpu' or 'cuda': the device of ``data`` unless ``device`` overrides it."""
    if device is None:
        return "cuda" if is_device_array(data) else "cpu"
    if not isinstance(device, str) or device not in ("cpu", "cuda"):
        fail(func, f"device must be 'cpu', 'cuda' or None (follow the input); got {device!r}")
    if device == "cuda":
        cuda_kernels(func)
    return device


# ----------------------------------------------------------------------------- arrays


def is_device_array(x) -> bool:
    """True for arrays that live on a GPU (CuPy)."""
    return type(x).__module__.split(".")[0] == "cupy"


def array_module(x):
    """``cupy`` for device arrays, ``numpy`` otherwise."""
    if is_device_array(x):
        import cupy

        return cupy
    return np


def to_host(x):
    """A device array copied to a NumPy array; anything else unchanged."""
    if is_device_array(x):
        return x.get()
    return x


def to_device(x):
    """``x`` as a CuPy array (copied to the current device when on the host)."""
    import cupy

    return cupy.asarray(x)


def like(x, reference):
    """``x`` (a host array) on the device ``reference`` lives on."""
    return to_device(x) if is_device_array(reference) else x


# ----------------------------------------------------------------------------- kernel arguments


def device_buffer(x, dtype=np.float64):
    """``x`` as a C-contiguous CuPy array of ``dtype`` (``x`` itself when it already is
    one).  Keep the result alive until the kernel that reads it has run."""
    import cupy

    return cupy.ascontiguousarray(cupy.asarray(x, dtype=dtype))


def pointer(a) -> int:
    """The device address of a CuPy array's data; 0 for ``None`` (an absent output)."""
    return 0 if a is None else int(a.data.ptr)


def stream() -> int:
    """The handle of CuPy's current CUDA stream, on which kernels are launched."""
    import cupy

    return int(cupy.cuda.get_current_stream().ptr)
