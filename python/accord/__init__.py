"""accord: a compute engine for multi-agent coordination."""

from ._version import __version__
from ._info import info, set_num_threads

__all__ = ["__version__", "info", "set_num_threads"]
