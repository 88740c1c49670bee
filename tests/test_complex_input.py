"""Every array argument of accord.coop, accord.games and accord.bayes refuses complex,
string and object-of-complex input with a TypeError naming the argument (a float64
conversion would silently drop the imaginary part), and games own their arrays."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import accord.bayes as B
import accord.coop as C
import accord.games as G

TABLE = np.array([0.0, 1.0, 1.0, 3.0])  # a 2-player TU game
PD = G.prisoners_dilemma()
HALF = np.array([0.5, 0.5])
LOGM = np.log(np.full((1, 2, 2), 0.5))  # one row, two members, two types
VALS = np.ones((1, 2, 4))  # (B, A, K**m) for expected_values/vpi
ONE = np.ones(1)


def complexify(a) -> np.ndarray:
    return np.asarray(a, dtype=np.complex128)


def _args(kw: dict, name: str) -> dict:
    out = dict(kw)
    out[name] = complexify(out[name])
    return out


# (call, keyword arguments, the argument made complex)
CASES = [
    (C.TUGame, {"values": TABLE}, "values"),
    (C.WeightedVotingGame, {"weights": [1.0, 2.0], "quota": 2.0}, "weights"),
    (C.WeightedVotingGame, {"weights": [1.0, 2.0], "quota": 2.0}, "quota"),
    (C.airport_game, {"costs": [1.0, 2.0]}, "costs"),
    (C.bankruptcy_game, {"estate": 2.0, "claims": [1.0, 2.0]}, "claims"),
    (C.bankruptcy_game, {"estate": 2.0, "claims": [1.0, 2.0]}, "estate"),
    (C.shapley, {"game": TABLE}, "game"),
    (C.shapley, {"game": TABLE, "samples": 4, "seed": 0}, "game"),
    (C.banzhaf, {"game": TABLE}, "game"),
    (C.semivalue, {"game": TABLE, "weights": HALF}, "game"),
    (C.semivalue, {"game": TABLE, "weights": HALF}, "weights"),
    (C.core_violation, {"game": TABLE, "x": [1.5, 1.5]}, "game"),
    (C.core_violation, {"game": TABLE, "x": [1.5, 1.5]}, "x"),
    (C.in_core, {"game": TABLE, "x": [1.5, 1.5]}, "game"),
    (C.in_core, {"game": TABLE, "x": [1.5, 1.5]}, "x"),
    (C.core_allocation, {"game": TABLE}, "game"),
    (C.least_core, {"game": TABLE}, "game"),
    (C.nucleolus, {"game": TABLE}, "game"),
    (G.NormalFormGame, {"payoffs": PD.payoffs}, "payoffs"),
    (G.pure_nash_equilibria, {"game": PD.payoffs}, "game"),
    (G.incentive_matrix, {"game": PD.payoffs}, "game"),
    (G.correlated_equilibrium, {"game": PD, "objective": np.ones((2, 2))}, "objective"),
    (G.coarse_correlated_equilibrium, {"game": PD, "objective": np.ones((2, 2))}, "objective"),
    (G.ce_violation, {"game": PD, "distribution": np.full((2, 2), 0.25)}, "distribution"),
    (G.cce_violation, {"game": PD, "distribution": np.full((2, 2), 0.25)}, "distribution"),
    (G.fictitious_play, {"game": PD.payoffs, "iterations": 2}, "game"),
    (G.regret_matching, {"game": PD.payoffs, "iterations": 2, "seed": 0}, "game"),
    (G.replicator_dynamics, {"game": PD.payoffs, "iterations": 2}, "game"),
    (G.minimax, {"A": np.eye(2)}, "A"),
    (G.lemke_howson, {"A": np.eye(2), "B": np.eye(2)}, "A"),
    (G.lemke_howson, {"A": np.eye(2), "B": np.eye(2)}, "B"),
    (G.lemke_howson_all, {"A": np.eye(2), "B": np.eye(2)}, "B"),
    (lambda **kw: list(G.support_enumeration(**kw)), {"A": np.eye(2), "B": np.eye(2)}, "A"),
    (lambda **kw: list(G.vertex_enumeration(**kw)), {"A": np.eye(2), "B": np.eye(2)}, "B"),
    (B.sample_types, {"log_marginals": LOGM, "samples": 2, "seed": 0}, "log_marginals"),
    (B.update, {"log_prior": LOGM, "log_likelihood": np.zeros((1, 4))}, "log_prior"),
    (B.update, {"log_prior": LOGM, "log_likelihood": np.zeros((1, 4))}, "log_likelihood"),
    (B.expected_values, {"log_marginals": LOGM, "values": VALS}, "log_marginals"),
    (B.expected_values, {"log_marginals": LOGM, "values": VALS}, "values"),
    (
        B.filter_step,
        {"belief": HALF[None], "transition": np.eye(2)[None], "observation_likelihood": HALF[None]},
        "transition",
    ),
    (
        B.filter_step,
        {"belief": HALF[None], "transition": np.eye(2)[None], "observation_likelihood": HALF[None]},
        "belief",
    ),
]

VPI = {
    "log_marginals": LOGM,
    "values": VALS,
    "share": np.ones((1, 2)),
    "best": ONE,
    "second": np.zeros(1),
    "is_best": np.array([[True, False]]),
}
CASES += [(B.vpi, VPI, k) for k in ("log_marginals", "values", "share", "best", "second")]

PROFILE_FUNCS = [G.best_response, G.expected_payoffs, G.nash_conv, G.regrets]


def _id(case) -> str:
    f, _, name = case
    return f"{getattr(f, '__name__', 'call')}-{name}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_real_input_is_accepted_and_complex_refused(case):
    f, kw, name = case
    f(**kw)  # the real arguments are valid
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: refused before any cast
        with pytest.raises(TypeError, match=rf"\(\): {name}\b.*(complex|real)"):
            f(**_args(kw, name))


@pytest.mark.parametrize("f", PROFILE_FUNCS, ids=lambda f: f.__name__)
def test_complex_profile_refused(f):
    f(PD, [HALF, HALF])
    with pytest.raises(TypeError, match=r"\(\): profile\[1\] must be real"):
        f(PD, [HALF, complexify(HALF)])


@pytest.mark.parametrize(
    "f", [G.best_response_iteration, G.replicator_dynamics], ids=lambda f: f.__name__
)
def test_complex_start_refused(f):
    with pytest.raises(TypeError, match=r"\(\): start\[0\] must be real"):
        f(PD, 2, start=[complexify(HALF), HALF])


def test_shapley_of_complex_table_is_refused_not_truncated():
    with pytest.raises(TypeError, match=r"shapley\(\): game must be real numbers; got complex"):
        C.shapley(np.array([0, 1j, 1, 3]))


def test_object_arrays_of_complex_or_strings_refused():
    with pytest.raises(TypeError, match=r"TUGame\(\): values must be real.*complex"):
        C.TUGame(np.array([0, 1j, 1, 3], dtype=object))
    with pytest.raises(TypeError, match=r"airport_game\(\): costs must be real.*str"):
        C.airport_game(np.array([1.0, "2"], dtype=object))
    with pytest.raises(TypeError, match=r"ce_violation\(\): distribution must be real"):
        G.ce_violation(PD, np.full((2, 2), "0.25"))
    # object arrays of real numbers (Python ints beyond int64, fractions) still work
    assert C.airport_game(np.array([1, 2**70], dtype=object)).n == 2


def test_structured_game_returning_complex_values_is_refused():
    class Complex(C.CoalitionalGame):
        n = 3

        def value(self, coalitions):
            return np.asarray(coalitions, dtype=np.complex128)

    with pytest.raises(TypeError, match=r"shapley\(\): Complex.value\(coalitions\) must be real"):
        C.shapley(Complex(), samples=6, seed=0)
    with pytest.raises(TypeError, match=r"shapley\(\): game.value\(masks\) must be real"):
        C.shapley(Complex())
    with pytest.raises(TypeError, match=r"TUGame.from_function\(\): f\(masks\) must be real"):
        C.TUGame.from_function(2, lambda m: m * 1j)


# ------------------------------------------------------------------------- aliasing


def test_tugame_owns_a_read_only_copy():
    v = TABLE.copy()
    g = C.TUGame(v)
    v[1] = np.nan  # the caller's later edit is not seen
    assert np.all(np.isfinite(g.values))
    np.testing.assert_allclose(C.shapley(g), [1.5, 1.5])
    with pytest.raises(ValueError, match="read-only"):
        g.values[1] = np.nan


def test_tugame_of_a_view_is_not_aliased():
    base = np.zeros(8)
    base[4:] = TABLE
    g = C.TUGame(base[4:])
    base[5] = np.inf
    np.testing.assert_allclose(C.shapley(g), [1.5, 1.5])


def test_normal_form_game_owns_a_read_only_copy():
    P = PD.payoffs.copy()
    g = G.NormalFormGame(P)
    P[0, 0, 0] = np.nan
    assert np.all(np.isfinite(g.payoffs))
    with pytest.raises(ValueError, match="read-only"):
        g.payoffs[0, 0, 0] = np.nan
    P32 = PD.payoffs.astype(np.float32)
    g32 = G.NormalFormGame(P32)
    P32[:] = np.nan
    assert np.all(np.isfinite(g32.payoffs))


def test_weighted_voting_weights_are_owned():
    w = np.array([1.0, 2.0, 3.0])
    g = C.WeightedVotingGame(w, 4.0)
    w[0] = -5.0
    assert g.weights[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        g.weights[0] = -5.0


@pytest.mark.parametrize("game", [C.TUGame(TABLE), C.WeightedVotingGame([1.0, 2.0], 2.0)], ids=repr)
def test_coalitions_are_integer_masks_in_range_or_boolean_rows(game):
    func = type(game).__name__ + r"\.value\(\):"
    for bad in (np.array([1j]), np.array([1.5]), np.array(["1"])):
        with pytest.raises(TypeError, match=func + " coalitions must be integer bitmasks"):
            game.value(bad)
    for bad in (np.array([-1]), np.array([4])):  # no wrap-around, no dropped bits
        with pytest.raises(ValueError, match=func + r" coalition masks must lie in 0..2\*\*2-1"):
            game.value(bad)
    with pytest.raises(ValueError, match=func + " boolean coalitions must have last axis"):
        game.value(np.ones((1, 3), dtype=bool))
    np.testing.assert_array_equal(
        game.value(np.array([3, 0])), game.value(np.array([[1, 1], [0, 0]], bool))
    )


def test_tolerances_are_real_numbers_numpy_scalars_included():
    half = [HALF, HALF]
    with pytest.raises(TypeError, match=r"best_response\(\): tol must be a real number"):
        G.best_response(PD, half, tol=1e-3 + 0j)
    with pytest.raises(TypeError, match=r"in_core\(\): tol must be a real number"):
        C.in_core(TABLE, [1.5, 1.5], tol=np.complex128(1e-9))
    with pytest.raises(ValueError, match=r"in_core\(\): tol must be >= 0"):
        C.in_core(TABLE, [1.5, 1.5], tol=-1.0)
    # NumPy scalars are numbers
    G.best_response(PD, half, tol=np.float32(1e-3))
    assert C.in_core(TABLE, [1.5, 1.5], tol=np.float32(1e-9))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda z: G.prisoners_dilemma(temptation=z), "temptation"),
        (lambda z: G.stag_hunt(stag=z), "stag"),
        (lambda z: G.penalty_game(z), "penalty"),
        (lambda z: G.random_game(2, low=z, high=2.0), "low"),
        (lambda z: G.covariant_game(2, z), "rho"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_classic_game_parameters_are_real(call, name):
    with pytest.raises(TypeError, match=rf"\(\): {name} must be a real number"):
        call(0.5 + 0j)
    with pytest.raises(TypeError, match=rf"\(\): {name} must be a real number"):
        call(np.complex128(0.5))


@pytest.mark.parametrize("f", [G.correlated_equilibrium, G.coarse_correlated_equilibrium])
def test_correlated_tol_is_real(f):
    with pytest.raises(TypeError, match=r"equilibrium\(\): tol must be a real number"):
        f(PD, tol=1e-9 + 0j)
    assert f(PD, tol=np.float32(1e-6)).status


def _first_param(f) -> str | None:
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return None
    return params[0] if params else None


GAME_FUNCS = [
    getattr(mod, n)
    for mod in (C, G)
    for n in mod.__all__
    if inspect.isfunction(getattr(mod, n)) and _first_param(getattr(mod, n)) in ("game", "A")
]
EXTRA = {
    "fictitious_play": (2,),
    "regret_matching": (2,),
    "replicator_dynamics": (2,),
    "logit_fictitious_play": (2,),
    "best_response_iteration": (2,),
    "best_response": ([HALF, HALF],),
    "expected_payoffs": ([HALF, HALF],),
    "nash_conv": ([HALF, HALF],),
    "regrets": ([HALF, HALF],),
    "ce_violation": (np.full((2, 2), 0.25),),
    "cce_violation": (np.full((2, 2), 0.25),),
    "core_violation": ([1.5, 1.5],),
    "in_core": ([1.5, 1.5],),
    "semivalue": (HALF,),
    "lemke_howson": (PD.payoffs[1],),
    "lemke_howson_all": (PD.payoffs[1],),
    "support_enumeration": (PD.payoffs[1],),
    "vertex_enumeration": (PD.payoffs[1],),
}
#: The functions whose game argument is a batch.
BATCHES = {
    "lemke_howson_batch": PD.payoffs[None],
    "minimax_batch": PD.payoffs[None, 0],
    "correlated_equilibrium_batch": PD.payoffs[None],
}


@pytest.mark.parametrize("f", GAME_FUNCS, ids=lambda f: f.__name__)
def test_every_game_function_refuses_a_complex_game(f):
    """Every public function of accord.coop and accord.games whose first argument is a
    game (or a payoff matrix) refuses a complex array there, naming the function."""
    name = _first_param(f)
    is_coop = f.__module__.startswith("accord.coop")
    real = TABLE if is_coop else (PD.payoffs[0] if name == "A" else PD.payoffs)
    real = BATCHES.get(f.__name__, real)
    rest = EXTRA.get(f.__name__, ())
    _run(f, real, *rest)  # valid as given
    named = rf"({f.__name__}\(\): {name}|NormalFormGame\(\): payoffs) .*(complex|real)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match=named):
            _run(f, complexify(real), *rest)


def _run(f, *args):
    out = f(*args)
    if inspect.isgenerator(out):
        list(out)


def test_every_game_function_is_covered():
    names = {f.__name__ for f in GAME_FUNCS}
    assert {"shapley", "nucleolus", "ce_violation", "fictitious_play", "minimax"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize(
    "f, kw, name",
    [
        (B.vpi, {**VPI, "is_best": np.array([[1.0 + 0j, 0.0]])}, "is_best"),
        (
            B.update,
            {
                "log_prior": LOGM,
                "log_likelihood": np.zeros((1, 3)),
                "samples": np.zeros((1, 3, 2), dtype=np.complex128),
            },
            "samples",
        ),
        (
            B.filter_step,
            {
                "belief": HALF[None],
                "transition": np.eye(2)[None],
                "observation_likelihood": complexify(HALF[None]),
            },
            "observation_likelihood",
        ),
    ],
)
def test_bayes_index_and_mask_arguments_refuse_complex(f, kw, name):
    with pytest.raises(TypeError, match=rf"\(\): {name} must be .*complex128"):
        f(**kw)


def test_tables_built_by_the_package_are_not_copied_but_still_read_only():
    made = []

    def f(masks):
        out = masks.astype(np.float64)
        made.append(out)
        return out

    g = C.TUGame.from_function(3, f)
    assert not np.shares_memory(g.values, made[0])  # gathered into the game's own table
    assert g.values.flags.owndata and not g.values.flags.writeable
    for game in (C.airport_game([1.0, 2.0]), C.glove_game(1, 1), C.unanimity_game(2, [0])):
        assert game.values.flags.owndata and not game.values.flags.writeable
