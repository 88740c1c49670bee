"""Sphinx configuration of the accord documentation.

Build the site with warnings as errors::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The examples on the pages and in the docstrings run as doctests under pytest
(``docs/conftest.py`` sets the print options of the pages)::

    python -m pytest --doctest-modules --doctest-glob="*.rst" --ignore=docs/_build \
        --ignore=docs/conf.py --pyargs accord docs
"""

from __future__ import annotations

import accord

project = "accord"
author = "the accord developers"
copyright = "the accord developers, BSD-3-Clause"  # noqa: A001
release = accord.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.napoleon",
]

root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"accord {release}"
html_static_path: list[str] = []

# The API reference lists exactly the names in each subpackage's ``__all__``, one page each.
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autoclass_content = "class"

# The bibliography lists every work the code cites, most of them from docstrings rather
# than from these pages, so an entry the pages do not reference is expected (duplicate
# keys, the other warning of this kind, are refused by tests/test_references.py).
suppress_warnings = ["ref.citation"]

# One docstring style: NumPy ("Parameters" / "Returns" sections with underlines).
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False
