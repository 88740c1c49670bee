"""HiGHS never writes to stdout: every LP and MIP of the package runs silenced."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from accord import coop, games
    from accord.auctions import vcg

    g = coop.TUGame(np.array([0.0, 1.0, 1.0, 3.0]))
    coop.least_core(g)
    coop.nucleolus(g)
    games.minimax(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    games.correlated_equilibrium(games.NormalFormGame(np.array([[[6.0, 2.0], [7.0, 0.0]],
                                                                [[6.0, 7.0], [2.0, 0.0]]])))
    vcg([(0, 0b01, 3.0), (1, 0b10, 2.0), (2, 0b11, 4.0)], n_items=2)
    """
)


def test_no_solver_output_on_stdout():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout == ""
