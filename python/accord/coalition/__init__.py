"""Repeated coalition formation under type uncertainty (seed 004)."""

from .model import BCFP, Agreement, Task, members, misinformed_prior, uniform_prior

__all__ = ["BCFP", "Agreement", "Task", "members", "misinformed_prior", "uniform_prior"]
