"""Optional dependencies: the core install is the engine (NumPy, SciPy, highspy); each
subsystem's heavier dependencies are an extra named after it (``pip install "accord[runner]"``).

A subsystem's ``__init__`` calls :func:`require_extra` before importing anything else, so
a missing dependency is reported once, naming the extra that provides it.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["EXTRAS", "MissingExtraError", "available", "require_extra"]

_TOML = () if sys.version_info >= (3, 11) else ("tomli",)  # tomllib before Python 3.11

#: Extra -> the top-level modules it provides (the distributions are in pyproject.toml).
EXTRAS: dict[str, tuple[str, ...]] = {
    "runner": ("pyarrow", "matplotlib", "tqdm", *_TOML),
    "consensus": ("cryptography", *_TOML),
    "loadbalance": ("matplotlib", "cryptography"),
    "marl": ("pettingzoo", "gymnasium"),
    "service": ("coincurve", "chia_rs", "cryptography", *_TOML),
}


class MissingExtraError(ImportError):
    """A subsystem was imported without the extra that provides its dependencies."""


def available(module: str) -> bool:
    """Whether the top-level ``module`` can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require_extra(package: str, extra: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` can be imported.

    ``package`` is the importing subsystem (``"accord.consensus"``); the message names
    the extra and the command that installs it, and the first missing module is the
    exception's ``name``.
    """
    missing = [m for m in EXTRAS[extra] if not available(m)]
    if missing:
        raise MissingExtraError(
            f'{package} needs the {extra!r} extra: pip install "accord[{extra}]" '
            f"(missing: {', '.join(missing)})",
            name=missing[0],
        )
