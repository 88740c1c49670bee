from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("accord")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
