"""accord: a compute engine for multi-agent coordination."""

from ._info import info, set_num_threads
from ._validate import SlowComputationWarning
from ._version import __version__

__all__ = ["SlowComputationWarning", "__version__", "info", "set_num_threads"]
