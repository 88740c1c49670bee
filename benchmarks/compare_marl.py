#!/usr/bin/env python
"""accord.marl planning against one LP per state, in one process.

Sections (``--sections vi,stage_q,envs``; all by default):

vi. Shapley's value iteration on Littman's soccer (762 states, 5 x 5 actions, discount
    0.9, tolerance 1e-8): accord's ``zero_sum_value_iteration`` (all stage games of a
    sweep in one ``minimax_batch`` call) against the same sweeps with one HiGHS LP
    per state (``accord.games.minimax``, the approach of LP-based implementations);
    the LP sweeps are timed over ``--lp-sweeps`` sweeps and scaled to the sweep count,
    and their values are compared with accord's after those sweeps.

stage_q. Nash-Q and CE-Q updates per second on Hu & Wellman's grid game 1 (81 states,
    4 x 4 actions) and on Littman's soccer (5 x 5 actions): accord's ``NashQ`` /
    ``CorrelatedQ`` (utilitarian) against OpenSpiel's ``MultiagentQLearner`` with its
    ``TwoPlayerNashSolver`` (nashpy support enumeration, max-welfare selection) and
    ``CorrelatedEqSolver`` (cvxpy).  Both learn from the same stream of random-action
    transitions; an update is one transition learned by both players' tables (with the
    stage-game solves it needs: OpenSpiel's agents each solve the next state's game to
    back up and the current state's game to act).  Both start from the same random
    tables (standard normal), so that every stage game is a real one (all-zero tables
    would let OpenSpiel's CE solver drop every repeated strategy).  accord is timed with batches of
    ``E`` transitions (one per environment copy) and with ``E = 1``.

envs. Environment steps per second: PettingZoo's ``performance_benchmark`` (5 s of
    random play, one agent turn at a time) on the AEC view of one copy, against
    ``accord.marl.envs.make_vec`` stepping ``--copies`` copies with random actions in one
    array operation per step; one "step" is one joint step of one copy.

    python benchmarks/compare_marl.py
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

import accord
import accord.games as G
from accord.marl import soccer, zero_sum_value_iteration

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import table  # noqa: E402


def section_vi(args) -> None:
    game = soccer()
    t0 = time.perf_counter()
    sol = zero_sum_value_iteration(game, tol=1e-8)
    t_acc = time.perf_counter() - t0
    live = np.flatnonzero(~game.terminal)
    V = np.zeros(game.num_states)
    t0 = time.perf_counter()
    for _ in range(args.lp_sweeps):
        Q = game.stage_payoffs(np.stack([V, -V]))[:, 0]
        new = np.zeros_like(V)
        new[live] = [G.minimax(Q[s])[0] for s in live]
        V = new
    t_lp = (time.perf_counter() - t0) / args.lp_sweeps
    check = zero_sum_value_iteration(game, tol=1e-300, max_iterations=args.lp_sweeps)
    diff = float(np.abs(check.values[0] - V).max())
    per_sweep = t_acc / sol.iterations
    table(
        "vi. soccer value iteration (762 states, 5 x 5 actions)",
        ["solver", "sweeps", "per sweep", "total", "ratio"],
        [
            ["accord (minimax_batch)", sol.iterations, f"{per_sweep * 1e3:.1f} ms",
             f"{t_acc:.2f} s", "1"],
            ["one HiGHS LP per state", sol.iterations, f"{t_lp * 1e3:.1f} ms",
             f"{t_lp * sol.iterations:.1f} s (scaled)", f"{t_lp / per_sweep:.0f}x"],
        ],
        [f"value of the start with A holding the ball: "
         f"{sol.values[0, np.flatnonzero(game.initial)[0]]:.6f}; after {args.lp_sweeps} "
         f"sweeps the two agree to {diff:.0e}"],
    )


def _transitions(game, count, seed):
    """``count`` consecutive random-action transitions of one copy of ``game``."""
    from accord.marl import MarkovGameVecEnv

    env = MarkovGameVecEnv(game, 1, seed=seed, max_steps=100)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        s = int(env.states[0])
        a = rng.integers(0, game.num_actions, size=(1, 2))
        st = env.step(a)
        out.append((s, tuple(int(v) for v in a[0]), st.rewards[0].copy(),
                    int(st.next_states[0]), bool(st.terminated[0] | st.truncated[0])))
    return out


def _start_tables(game, seed=7) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(2, game.num_states, *game.num_actions))


def _openspiel_rate(game, solver_factory, transitions) -> float:
    from open_spiel.python import rl_environment
    from open_spiel.python.algorithms.tabular_multiagent_qlearner import MultiagentQLearner

    ks = list(game.num_actions)
    agents = [MultiagentQLearner(i, 2, ks, solver_factory(), discount_factor=game.discount)
              for i in range(2)]
    legal = [list(range(k)) for k in ks]
    Q0 = _start_tables(game)
    for ag in agents:
        for s in range(game.num_states):
            key = str([[s], [s]])
            for a in range(ks[0]):
                for b in range(ks[1]):
                    for i in range(2):
                        ag._q_values[i][key][(a, b)] = Q0[i, s, a, b]

    def ts(state, rewards, kind):
        return rl_environment.TimeStep(
            observations={"info_state": [[state], [state]], "legal_actions": legal,
                          "current_player": -2},
            rewards=list(rewards), discounts=[game.discount] * 2, step_type=kind)

    first = rl_environment.StepType.FIRST
    mid, last = rl_environment.StepType.MID, rl_environment.StepType.LAST
    t0 = time.perf_counter()
    s0 = transitions[0][0]
    for ag in agents:
        ag.step(ts(s0, [0.0, 0.0], first), actions=[None, None])
    for _s, a, r, nxt, done in transitions:
        step = ts(nxt, r, last if done else mid)
        for ag in agents:
            ag.step(step, actions=a)
        if done:
            for ag in agents:
                ag.step(ts(nxt, [0.0, 0.0], first), actions=[None, None])
    return len(transitions) / (time.perf_counter() - t0)


def _accord_rate(learner_factory, transitions, E, game) -> float:
    learner = learner_factory()
    Q0 = _start_tables(game)
    learner.Q[:] = Q0[: len(learner.Q)]
    learner._solve(np.arange(game.num_states))
    T = len(transitions) // E * E
    s = np.array([t[0] for t in transitions[:T]]).reshape(-1, E)
    a = np.array([t[1] for t in transitions[:T]]).reshape(-1, E, 2)
    r = np.array([t[2] for t in transitions[:T]]).reshape(-1, E, 2)
    nxt = np.array([t[3] for t in transitions[:T]]).reshape(-1, E)
    done = np.array([t[4] for t in transitions[:T]]).reshape(-1, E)
    t0 = time.perf_counter()
    for k in range(len(s)):
        learner.act(nxt[k])
        learner.update(s[k], a[k], r[k], nxt[k], done[k])
    return T / (time.perf_counter() - t0)


def section_stage_q(args) -> None:
    from open_spiel.python.algorithms.tabular_multiagent_qlearner import (
        CorrelatedEqSolver,
        TwoPlayerNashSolver,
    )

    from accord.marl import CorrelatedQ, NashQ
    from accord.marl.grid_games import grid_game_1

    rows = []
    for gname, game in (("grid game 1", grid_game_1()), ("soccer", soccer())):
        S, ks = game.num_states, game.num_actions
        for lname, spiel, acc, n_spiel in (
            ("Nash-Q", TwoPlayerNashSolver,
             lambda S=S, ks=ks, g=game: NashQ(S, ks, g.discount, seed=0), args.spiel_updates),
            ("CE-Q", CorrelatedEqSolver,
             lambda S=S, ks=ks, g=game: CorrelatedQ(S, ks, g.discount, seed=0),
             args.spiel_updates // 4),
        ):
            tr = _transitions(game, max(n_spiel, args.batch * args.batches), 1)
            r_spiel = _openspiel_rate(game, spiel, tr[:n_spiel])
            r_batch = _accord_rate(acc, tr[: args.batch * args.batches], args.batch, game)
            r_one = _accord_rate(acc, tr[: args.single], 1, game)
            rows.append([gname, lname, f"{r_spiel:,.0f}", f"{r_one:,.0f}",
                         f"{r_one / r_spiel:.0f}x", f"{r_batch:,.0f}",
                         f"{r_batch / r_spiel:.0f}x"])
    table(
        "stage_q. Nash-Q / CE-Q updates per second (random-action transitions)",
        ["game", "learner", "OpenSpiel", "accord E=1", "ratio",
         f"accord E={args.batch}", "ratio"],
        rows,
        [f"OpenSpiel timed over {args.spiel_updates} (Nash-Q) / {args.spiel_updates // 4} "
         f"(CE-Q) transitions; accord over {args.batch * args.batches} (E={args.batch}) "
         f"and {args.single} (E=1)"],
    )


def _random_actions(env, rng) -> np.ndarray:
    import gymnasium

    space = env.action_space(env.possible_agents[0])
    shape = (env.n_envs, env.num_agents, *space.shape)
    if isinstance(space, gymnasium.spaces.Discrete):
        return rng.integers(space.start, space.start + space.n, shape[:2])
    return rng.uniform(space.low, space.high, shape)


def _pettingzoo_cycles(env) -> float:
    import contextlib
    import io

    from pettingzoo.test import performance_benchmark

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        performance_benchmark(env)
    line = next(x for x in out.getvalue().splitlines() if "cycles per second" in x)
    return float(line.split()[0])


def section_envs(args) -> None:
    from accord.marl import envs

    cases = [("climbing", {}), ("soccer", {}), ("grid-game-1", {}), ("tiger", {}),
             ("crowd", {"n_agents": 1000}), ("flocking", {"n_agents": 50})]
    rng = np.random.default_rng(0)
    rows = []
    for name, kw in cases:
        pz = _pettingzoo_cycles(envs.aec(name, **kw))
        vec = envs.make_vec(name, args.copies, seed=0, **kw)
        vec.reset(seed=0)
        actions = [_random_actions(vec, rng) for _ in range(8)]
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.env_seconds:
            vec.step(actions[steps % 8])
            steps += 1
        rate = steps * vec.n_envs / (time.perf_counter() - t0)
        label = name + "".join(f" {k}={v}" for k, v in kw.items())
        rows.append([label, f"{pz:,.0f}", f"{rate:,.0f}", f"{rate / pz:.0f}x"])
    table(
        f"envs. joint steps per second (accord: {args.copies} copies per call)",
        ["environment", "PettingZoo benchmark (AEC, 1 copy)", "accord make_vec", "ratio"],
        rows,
        ["random actions in both; PettingZoo's figure is its cycles per second (all agents "
         "act once)"],
    )


SECTIONS = {"vi": section_vi, "stage_q": section_stage_q, "envs": section_envs}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--lp-sweeps", type=int, default=3)
    ap.add_argument("--spiel-updates", type=int, default=400)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--single", type=int, default=2000)
    ap.add_argument("--copies", type=int, default=1024)
    ap.add_argument("--env-seconds", type=float, default=2.0)
    args = ap.parse_args(argv)
    print(f"accord {accord.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    for name in args.sections.split(","):
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
