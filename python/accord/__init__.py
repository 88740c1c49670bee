"""accord: a compute engine for multi-agent coordination."""

from ._info import info, set_num_threads
from ._version import __version__

__all__ = ["__version__", "info", "set_num_threads"]
