"""The ``marl`` experiment kind: parameter checks, the exact measures of learned
policies, runs through the runner, the report and the example configs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

import accord.games as G
from accord.experiments import load, parse_config, report_experiment, run_experiment
from accord.experiments import marl as M
from accord.marl import CorrelatedQ, IndependentQ, MarkovGame, nash_conv, train
from accord.marl.policy_hill_climbing import WoLFPHC
from accord.runner import get_kind, load_config, resolve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "marl"
OK = {"game": "climbing", "learner": "hysteretic-q", "steps": 40, "n_envs": 8, "bins": 4}


@pytest.mark.parametrize(
    ("bad", "msg"),
    [
        (
            {"game": "chess"},
            r"game must be one of climbing, penalty, .*, soccer, grid-game-1, grid-game-2; "
            "got 'chess'",
        ),
        (
            {"learner": "sarsa"},
            r"learner must be one of independent-q, hysteretic-q, lenient-q, .*, "
            "friend-or-foe-q, fictitious-play; got 'sarsa'",
        ),
        ({"game": 3}, "game must be one of"),
        ({"colour": 1}, r"unknown parameter\(s\) \['colour'\]; known: game, learner"),
        ({"learning_rate": 0.7}, "learning_rate is not a hyperparameter of 'hysteretic-q'; its"),
        ({"beta": 0.5, "alpha": 0.1}, r"HystereticQ\(\): beta must be <= alpha"),
        ({"epsilon": 1.5}, r"'hysteretic-q' on game 'climbing': HystereticQ\(\): epsilon"),
        ({"steps": 0}, "steps must be a positive integer; got 0"),
        ({"n_envs": 2.5}, "n_envs must be a positive integer"),
        ({"max_steps": True}, "max_steps must be a positive integer"),
        ({"bins": 50}, "bins must be <= steps"),
        ({"discount": 1.0}, r"discount must be a number in \[0, 1\)"),
        ({"k": -5}, "k is a parameter of the game\\(s\\) penalty, not of 'climbing'"),
        ({"game": "penalty", "k": 3}, "k must be <= 0"),
        ({"game": "penalty", "k": "low"}, "k must be a finite number"),
    ],
)
def test_bad_settings_are_refused_by_name(bad, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        M.validate({**OK, **bad})


def test_missing_names_and_learner_errors_keep_their_type():
    with pytest.raises(ValueError, match="missing parameter 'learner' \\(one of independent-q"):
        M.validate({"game": "climbing"})
    with pytest.raises(ValueError, match="missing parameter 'game'"):
        M.validate({"learner": "minimax-q"})
    with pytest.raises(TypeError, match=r"MinimaxQ\(\): .*epsilon"):
        M.validate({**OK, "learner": "minimax-q", "epsilon": "high"})
    with pytest.raises(ValueError, match=r"NashQ\(\): initial_dropped_label must be in 0\.\.5"):
        M.validate({**OK, "learner": "nash-q", "initial_dropped_label": 6})


def test_games_come_from_the_environment_registry(monkeypatch):
    game, limit = M.make_game({"game": "soccer"})
    assert game.num_states == 762 and game.discount == 0.9 and limit == 1000
    game, limit = M.make_game({"game": "penalty", "k": -100, "max_steps": 25})
    assert game.rewards[0, 0, 0, 2] == -100 and limit == 25
    monkeypatch.setitem(M.GAMES, "no-such-env", M.GameSpec())
    with pytest.raises(ValueError, match="game 'no-such-env': make_vec\\(\\): unknown environment"):
        M.validate({**OK, "game": "no-such-env"})
    monkeypatch.setitem(M.GAMES, "not-markov", M.GameSpec())
    monkeypatch.setattr(M._envs, "make_vec", lambda *a, **k: SimpleNamespace(max_steps=None))
    with pytest.raises(ValueError, match="'not-markov' is not a Markov game"):
        M.validate({**OK, "game": "not-markov"})


def test_hyperparameters_come_from_the_learner_classes():
    assert M.hyperparameters("independent-q") == ("alpha", "epsilon")
    assert M.hyperparameters("hysteretic-q") == ("alpha", "beta", "epsilon")
    assert M.hyperparameters("minimax-q") == ("epsilon", "learning_rate")
    for name in M.LEARNERS:
        M.validate({**OK, "learner": name})
    for name in M.GAMES:
        M.validate({**OK, "game": name, "learner": "independent-q"})


def _matrix_nash_conv(game, x, y):
    A, B = game.payoffs
    return (A @ y).max() - x @ A @ y + (x @ B).max() - x @ B @ y


def _fixed(policies, V=None):
    """A learner that reports fixed ``policies`` (and learned values ``V``)."""
    return SimpleNamespace(policies=lambda: policies, V=V)


@pytest.mark.parametrize("discount", [0.0, 0.5])
@pytest.mark.parametrize("name", ["prisoners-dilemma", "shapley-game", "matching-pennies"])
def test_nash_conv_of_mixed_policies_matches_the_matrix_formula(name, discount):
    """Repeated matrix game: NashConv of a stationary profile is the one-shot NashConv
    divided by 1 - discount; five random mixed profiles per game."""
    nfg = {
        "prisoners-dilemma": G.prisoners_dilemma(),
        "shapley-game": G.shapley_game(),
        "matching-pennies": G.matching_pennies(),
    }[name]
    game, _ = M.make_game({"game": name, "discount": discount})
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, y = (rng.dirichlet(np.ones(k)) for k in nfg.num_actions)
        got = M.evaluate(game, _fixed([x[None], y[None]]), n_envs=4)
        want = _matrix_nash_conv(nfg, x, y) / (1 - discount)
        assert got["nash_conv"] == pytest.approx(want, abs=1e-8)
        assert np.isnan(got["optimal_share"]) and np.isnan(got["value_error"])


def test_per_copy_policies_are_scored_one_by_one():
    """Independent learners on the climbing game, 50 copies, each reporting its greedy
    policy (uniform over ties): the share of copies whose policy earns 11, the mean team
    value and NashConv agree with the one-shot formulas copy by copy."""
    game, limit = M.make_game({"game": "climbing"})
    assert limit == 1 and game.discount == 0.0
    learner = IndependentQ(1, (3, 3), 0.0, n_envs=50, epsilon=0.3, seed=0)
    train(game, learner, steps=60, n_envs=50, seed=1, max_steps=1)
    A = G.climbing_game()
    X, Y = (p[:, 0] for p in learner.policies())
    team = np.einsum("ei,ij,ej->e", X, A.payoffs[0], Y)
    gain = [_matrix_nash_conv(A, x, y) for x, y in zip(X, Y, strict=True)]
    got = M.evaluate(game, learner, n_envs=50)
    assert 0 < (team > 11 - 1e-9).mean() < 1  # the copies differ
    assert got["optimal_share"] == pytest.approx((team > 11 - 1e-9).mean())
    assert got["team_value"] == pytest.approx(team.mean())
    assert got["optimal_value"] == 11.0
    assert got["nash_conv"] == pytest.approx(np.mean(gain))


def test_learners_with_greedy_only_are_scored_by_their_greedy_joint_actions():
    game, _ = M.make_game({"game": "penalty", "k": -100})
    g = np.array([[0, 0], [2, 2], [0, 2], [1, 1]])
    got = M.evaluate(game, SimpleNamespace(greedy=lambda states: g), n_envs=4)
    assert got["optimal_share"] == 0.5 and got["team_value"] == pytest.approx((20 - 100 + 2) / 4)
    # a deviation from (0, 2) gains 110 for each player; (1, 1) is an equilibrium too
    assert got["nash_conv"] == pytest.approx((0 + 0 + 220 + 0) / 4)


@pytest.mark.parametrize("name", ["grid-game-1", "grid-game-2"])
def test_nash_conv_agrees_with_the_dense_diagnostics(name):
    """Against accord.marl.nash_conv (a linear solve per copy and policy iteration):
    4 copies of independent learners, and correlated-Q's joint distribution (whose
    deviations ignore the recommendation)."""
    game, limit = M.make_game({"game": name})
    iq = IndependentQ(game.num_states, game.num_actions, game.discount, n_envs=4, seed=0)
    train(game, iq, steps=300, n_envs=4, seed=1, max_steps=limit)
    want = np.mean([nash_conv(game, [p[e] for p in iq.policies()]).nash_conv for e in range(4)])
    assert M.evaluate(game, iq, n_envs=4)["nash_conv"] == pytest.approx(want, rel=1e-6)
    ce = CorrelatedQ(game.num_states, game.num_actions, game.discount, epsilon=1.0, seed=0)
    train(game, ce, steps=100, n_envs=16, seed=1, max_steps=limit)
    got = M.evaluate(game, ce, n_envs=16)["nash_conv"]
    assert got == pytest.approx(nash_conv(game, ce.policies()).nash_conv, rel=1e-6)


def test_per_copy_mixed_policies_are_scored_one_by_one():
    """WoLF-PHC keeps one mixed policy per copy and player: NashConv is the mean over
    copies of the one-shot formula (matching pennies, 6 copies)."""
    game, _ = M.make_game({"game": "matching-pennies"})
    learner = WoLFPHC(1, (2, 2), 0.0, n_envs=6, seed=0)
    train(game, learner, steps=300, n_envs=6, seed=1, max_steps=1)
    pi = learner.policy[:, :, 0]
    want = [_matrix_nash_conv(G.matching_pennies(), x, y) for x, y in pi]
    assert np.ptp(want) > 0
    assert M.evaluate(game, learner, n_envs=6)["nash_conv"] == pytest.approx(np.mean(want))


def test_soccer_equilibrium_is_unexploitable_and_uniform_play_is_not():
    """Soccer: the strategies of Shapley's value iteration have NashConv 0 and their
    values give value error 0; uniform play is exploitable (a best responder scores)."""
    game, _ = M.make_game({"game": "soccer"})
    ref = M.reference(game)
    start = np.flatnonzero(game.initial)
    assert ref.converged and ref.values[0, start[0]] == pytest.approx(0.2185, abs=1e-4)
    got = M.evaluate(game, _fixed(ref.policy, ref.values[:1]), n_envs=1)
    assert abs(got["nash_conv"]) < 1e-6 and got["value_error"] < 1e-9
    uniform = [np.full((game.num_states, 5), 0.2)] * 2
    got = M.evaluate(game, _fixed(uniform, np.zeros((1, 762))), n_envs=1)
    assert got["nash_conv"] == pytest.approx(nash_conv(game, uniform).nash_conv, rel=1e-6)
    assert got["nash_conv"] > 0.5
    assert got["value_error"] == pytest.approx(np.abs(ref.values[0, start]).mean())
    # two copies evaluated together give each copy's own measure
    both = [np.stack([p, np.full_like(p, 0.2)]) for p in ref.policy]
    assert M.evaluate(game, _fixed(both), n_envs=2)["nash_conv"] == pytest.approx(
        got["nash_conv"] / 2, abs=1e-6
    )


def test_bad_policies_and_huge_player_counts_are_refused():
    game, _ = M.make_game({"game": "climbing"})
    with pytest.raises(TypeError, match="has neither policies\\(\\) nor greedy"):
        M.evaluate(game, object(), n_envs=2)
    u = np.full((1, 3), 1 / 3)
    for bad, msg in [
        ([u], "array per player \\(2\\)"),
        ([u, np.ones((1, 2)) / 2], "policy\\[1\\] must have shape \\(1, 3\\)"),
        ([u, u * 2], "the row of state 0 sums to 2"),
        (np.ones((3, 3)), "joint array of shape \\(1, 3, 3\\)"),
    ]:
        with pytest.raises(ValueError, match=r"evaluate\(\): the learner's policy: .*" + msg):
            M.evaluate(game, _fixed(bad), n_envs=2)
    many = MarkovGame(np.ones((1,) * 26 + (1,)), np.zeros((25, 1) + (1,) * 25), 0.0)
    assert M.evaluate(many, _fixed([np.ones((1, 1))] * 25), n_envs=1)["nash_conv"] == 0.0
    with pytest.raises(ValueError, match="more than 24 players"):
        M.evaluate(many, _fixed([np.ones((2, 1, 1))] * 25), n_envs=2)


def test_public_helpers_check_their_arguments():
    game, _ = M.make_game({"game": "climbing"})
    with pytest.raises(TypeError, match=r"evaluate\(\): game must be a MarkovGame"):
        M.evaluate("climbing", _fixed([np.ones((1, 3)) / 3] * 2), n_envs=1)
    with pytest.raises(ValueError, match=r"evaluate\(\): n_envs must be >= 1"):
        M.evaluate(game, _fixed([np.ones((1, 3)) / 3] * 2), n_envs=0)
    with pytest.raises(ValueError, match=r"make_game\(\): game must be one of climbing"):
        M.make_game({"game": "chess"})
    with pytest.raises(TypeError, match=r"make_game\(\): params must be a dict"):
        M.make_game("climbing")
    with pytest.raises(TypeError, match=r"reference\(\): game must be a MarkovGame"):
        M.reference([[1, -1], [-1, 1]])
    with pytest.raises(ValueError, match=r"hyperparameters\(\): learner must be one of"):
        M.hyperparameters("sarsa")


def test_episodes_are_binned_by_the_step_they_end():
    one = M.run({**OK, "steps": 40, "bins": 10}, seed=1)
    assert one["episodes"] == 40 * 8
    np.testing.assert_array_equal(one["curve_length"], np.ones(10))
    np.testing.assert_array_equal(one["curve_step"], np.arange(4, 41, 4))
    four = M.run({**OK, "steps": 40, "bins": 10, "max_steps": 4}, seed=1)
    assert four["episodes"] == 10 * 8  # one episode per copy in every bin of 4 steps
    np.testing.assert_array_equal(four["curve_length"], np.full(10, 4.0))
    odd = M.run({**OK, "steps": 10, "bins": 3}, seed=1)
    np.testing.assert_array_equal(odd["curve_step"], [4, 7, 10])


def test_runs_are_reproducible():
    params = {**OK, "game": "soccer", "learner": "minimax-q", "steps": 30, "n_envs": 4}
    a, b, c = M.run(params, seed=7), M.run(params, seed=7), M.run(params, seed=8)
    for key, v in a.items():
        if key != "steps_per_second":
            np.testing.assert_array_equal(v, b[key], err_msg=key)
    assert a["episodes"] != c["episodes"] or not np.array_equal(
        a["curve_length"], c["curve_length"], equal_nan=True
    )


def test_hysteretic_learners_reach_the_climbing_optimum_more_often():
    """200 copies each, 1,500 plays, epsilon 0.2: hysteretic Q-learners end on the
    optimal joint action in more copies than independent ones (Matignon et al. 2007)."""
    base = {"game": "climbing", "steps": 1500, "n_envs": 200, "epsilon": 0.2}
    iq = M.run({**base, "learner": "independent-q"}, seed=3)
    hq = M.run({**base, "learner": "hysteretic-q"}, seed=3)
    assert hq["optimal_share"] >= iq["optimal_share"] + 0.1


CONFIG = """
[experiment]
kind = "marl"
name = "tiny"
runs = 2
seed = 11
[settings]
steps = 60
n_envs = 8
bins = 6
epsilon = 0.2
[grid]
game = ["climbing", "matching-pennies"]
learner = ["independent-q", "minimax-q"]
[[extra]]
game = "penalty"
k = -100
learner = ["hysteretic-q"]
[[extra]]
game = "soccer"
learner = "minimax-q"
max_steps = 10
"""


def test_runner_runs_summarises_and_reports(tmp_path, capsys):
    summary = run_experiment(parse_config(CONFIG), tmp_path / "res", executor="serial")
    assert summary.cells == 6 and summary.completed == 12
    table = load(tmp_path / "res")
    assert table.num_rows == 12
    assert all(len(c) == 6 for c in table.column("curve_return").to_pylist())
    out = report_experiment(tmp_path / "res", tmp_path / "fig")
    text = capsys.readouterr().out
    for word in ("hysteretic-q", "minimax-q", "optimal share", "NashConv", "value error"):
        assert word in text
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [
        "curve_climbing.png",
        "curve_matching-pennies.png",
        "curve_penalty-k--100.png",
        "curve_soccer-max_steps-10.png",
        "length_soccer-max_steps-10.png",  # only soccer's episodes differ in length
    ]
    rows = {(r["setting"], r["learner"]): r for r in M.report_rows(table)}
    assert rows[("matching-pennies", "minimax-q")]["runs"] == 2
    assert np.isfinite(rows[("matching-pennies", "minimax-q")]["value_error"][0])
    assert np.isnan(rows[("climbing", "independent-q")]["value_error"][0])
    assert 0 <= rows[("penalty k=-100", "hysteretic-q")]["optimal_share"][0] <= 1
    with pytest.raises(ValueError, match="k is a parameter of the game"):
        run_experiment(
            parse_config(CONFIG.replace("epsilon = 0.2", "k = -5")),
            tmp_path / "bad",
            executor="serial",
        )
    short = table.set_column(
        table.column_names.index("curve_return"),
        "curve_return",
        pa.array([[0.0]] + table.column("curve_return").to_pylist()[1:]),
    )
    with pytest.raises(ValueError, match="learning curves of different lengths"):
        M.report(short, tmp_path / "fig2")
    with pytest.raises(ValueError, match="not .*marl|no 'curve_return'"):
        M.report(table.drop_columns(["curve_return"]), tmp_path / "fig3")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_example_configs_validate(path):
    config = load_config(path)
    assert config.kind == "marl"
    check = resolve(get_kind(config.kind).validate)
    cells = config.labelled_cells()
    assert cells
    for _, params in cells:
        check(params)
