"""The experiments layer registers the built-in kinds with the runner, lazily."""

import subprocess
import sys

from accord.experiments import KINDS
from accord.runner import get_kind, resolve


def test_importing_experiments_registers_kinds_and_imports_no_system():
    code = (
        "import sys, accord.experiments as e, accord.runner as r; "
        "print(sorted(r.kinds()) == sorted(e.KINDS), "
        "any(m.startswith(('accord.coalition', 'accord.loadbalance', 'matplotlib', 'scipy')) "
        "for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "False"]


def test_every_hook_of_a_builtin_kind_resolves_into_the_experiments_layer():
    for name in KINDS:
        kind = get_kind(name)
        hooks = [kind.run, kind.validate, kind.report, kind.summary]
        for path in filter(None, hooks):
            assert path.startswith(f"accord.experiments.{name}:")
            assert callable(resolve(path))
    assert get_kind("loadbalance").summary is not None
