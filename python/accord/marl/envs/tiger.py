"""The multi-agent tiger problem (Nair et al. 2003) as an environment, ``tiger``.

Each agent observes only what it heard (``Discrete(2)``: hear-left, hear-right; the
first observation of an episode is uninformative), not the tiger's position; both
receive the joint reward of :func:`accord.marl.multi_agent_tiger`.  Opening a door
places the tiger afresh, so an episode is a sequence of rounds; it is truncated after
``max_steps`` steps (default 10).
"""

from __future__ import annotations

from ..._validate import real
from ..dec_pomdp import multi_agent_tiger
from .registry import register
from .tabular import DecPOMDPEnv

__all__: list[str] = []

#: Default episode length of ``tiger``.
TIGER_MAX_STEPS = 10


def _tiger_env(
    n_envs: int,
    *,
    listen_accuracy: float = 0.85,
    discount: float = 0.95,
    max_steps: int | None = TIGER_MAX_STEPS,
) -> DecPOMDPEnv:
    """Dec-Tiger (Nair et al. 2003) with ``listen_accuracy`` and ``discount``."""
    model = multi_agent_tiger(
        real("make", "listen_accuracy", listen_accuracy, 0.0, 1.0),
        real("make", "discount", discount, 0.0, 1.0, high_open=True),
    )
    return DecPOMDPEnv(model, n_envs, max_steps=max_steps)


register("tiger", _tiger_env)
