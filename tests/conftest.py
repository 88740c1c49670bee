import pytest


def _gpu_available() -> bool:
    try:
        import cupy  # noqa: F401
    except ImportError:
        return False
    from accord import _backend

    return _backend.cuda_device_count() > 0


def pytest_collection_modifyitems(config, items):
    if _gpu_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy, accord._cuda and a visible CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
