"""Repeated coalition formation under type uncertainty (Chalkiadakis & Boutilier 2012,
"Sequentially optimal repeated coalition formation under uncertainty", JAAMAS 24(3)).

Bayesian coalition formation problems (:class:`BCFP`), the paper's environments,
Bayesian and classic core checks, BRE and KST negotiation, the Bayesian RL value
estimators (Myopic, MAP, OSLA, VPI, VPI-over-OSLA, fully informed) and the
repeated-formation loop :func:`simulate`.
"""

from .core import (
    believed_payoffs,
    classic_game,
    coalition_values,
    in_classic_core,
    in_strong_bayesian_core,
    in_weak_bayesian_core,
    strong_core_blocking,
    strong_core_configuration,
    weak_core_blocking,
)
from .environments import (
    carpenter_example,
    carpenter_prior,
    good_bad_ugly,
    kst_setting,
    software_company,
)
from .estimators import METHODS
from .kst import kst_round
from .model import BCFP, Agreement, Task, TypeStatistic, members, misinformed_prior, uniform_prior
from .simulate import RunResult, simulate

__all__ = [
    "BCFP",
    "METHODS",
    "Agreement",
    "RunResult",
    "Task",
    "TypeStatistic",
    "believed_payoffs",
    "carpenter_example",
    "carpenter_prior",
    "classic_game",
    "coalition_values",
    "good_bad_ugly",
    "in_classic_core",
    "in_strong_bayesian_core",
    "in_weak_bayesian_core",
    "kst_round",
    "kst_setting",
    "members",
    "misinformed_prior",
    "simulate",
    "software_company",
    "strong_core_blocking",
    "strong_core_configuration",
    "uniform_prior",
    "weak_core_blocking",
]
