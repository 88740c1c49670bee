"""Doctests of the documentation pages: ``python -m pytest --doctest-glob="*.rst" docs``."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _print_options():
    """Arrays print with six decimals, as on the pages."""
    with np.printoptions(precision=6, suppress=True):
        yield
