"""Every compiled kernel entry point (the functions of ``accord._core``'s coop,
games, bayes, coalition, loadbalance and marl modules) called through its public Python API with
extreme finite values: each call returns finite results or raises ValueError or
TypeError, and never crashes the interpreter.

The cases run in one child interpreter, so that a crash fails this test (naming the
case) instead of killing the test run.  Bounded: a fixed number of small cases.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator

import numpy as np

#: Extreme finite doubles: the largest, the least subnormal, zero, and mixtures.
EXTREMES = np.array([1.7e308, -1.7e308, 5e-324, -5e-324, 0.0, 1.0, -1.0, 1e300, -1e-300])
ROUNDS = 6  # random draws per entry point (plus the all-extreme corners)


def _draw(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.choice(EXTREMES, size=shape)


def _corners(shape) -> Iterator[np.ndarray]:
    for v in (1.7e308, -1.7e308, 5e-324):
        yield np.full(shape, v)
    yield np.where(np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0, 1.7e308, -1.7e308)


def _arrays(rng: np.random.Generator, shape) -> Iterator[np.ndarray]:
    yield from _corners(shape)
    for _ in range(ROUNDS):
        yield _draw(rng, shape)


def cases() -> Iterator[tuple[str, Callable[[], object]]]:
    """(kernel entry point, call through the public API) pairs."""
    import accord.bayes as bayes
    import accord.coop as coop
    import accord.games as G
    from accord.loadbalance import LoadBalanceConfig, simulate

    rng = np.random.default_rng(20260)

    # ---- games: accord._core.games ----------------------------------------------
    for P in _arrays(rng, (2, 2, 3)):
        A, B = P[0].copy(), P[1].copy()
        yield "support_enumeration", lambda A=A, B=B: list(G.support_enumeration(A, B))
        yield "vertex_enumeration", lambda A=A, B=B: list(G.vertex_enumeration(A, B))
        yield "lemke_howson", lambda A=A, B=B: G.lemke_howson(A, B)
        yield "lemke_howson_all", lambda A=A, B=B: G.lemke_howson_all(A, B)
        yield "lemke_howson_batch", lambda P=P: G.lemke_howson_batch(P[None])
        yield (
            "correlated_equilibrium_batch",
            lambda P=P: G.correlated_equilibrium_batch(P[None]),
        )
    for P in _arrays(rng, (3, 2, 2, 2)):
        prof = [np.array([0.5, 0.5])] * 3
        yield "best_response", lambda P=P, s=prof: G.best_response(P, s)
        yield "fictitious_play", lambda P=P: G.fictitious_play(P, 200)
        yield "best_response_iteration", lambda P=P: G.best_response_iteration(P, 50)
        yield "regret_matching", lambda P=P: G.regret_matching(P, 200)
        yield (
            "regret_matching",
            lambda P=P: G.regret_matching(P, 200, variant="conditional", seed=1),
        )
        yield "replicator", lambda P=P: G.replicator_dynamics(P, 100)
        yield "logit_fictitious_play", lambda P=P: G.logit_fictitious_play(P, 100)
        dist = np.full((2, 2, 2), 1 / 8)
        yield "incentive_violation", lambda P=P, d=dist: G.ce_violation(P, d)
        yield "incentive_violation", lambda P=P, d=dist: G.cce_violation(P, d)
    from accord._backend import cpu_kernels

    gains = cpu_kernels("games").incentive_gains  # no public caller: the kernel itself
    for P in _arrays(rng, (2, 2, 2)):
        dist = np.full((1, 2, 2), 0.25)
        yield "incentive_gains", lambda P=P, d=dist: gains(P[None], d, False)
        yield "fictitious_play", lambda P=P: G.fictitious_play(P, 10_000)
        yield "incentive_lp", lambda P=P: G.correlated_equilibrium(P)
        yield "incentive_matrix", lambda P=P: G.correlated_equilibrium(P, objective="welfare")

    # ---- coop: accord._core.coop -------------------------------------------------
    for v in _arrays(rng, (8,)):
        v = v.copy()
        v[0] = 0.0
        x = v[[1, 2, 4]].copy()
        yield "permutations", lambda v=v: coop.shapley(v)
        yield "semivalue_sums", lambda v=v: coop.banzhaf(v)
        yield "semivalue_sums", lambda v=v: coop.semivalue(v, coop.shapley_weights(3))
        yield "permutation_sample_dense", lambda v=v: coop.shapley(v, samples=64, seed=1)
        yield (
            "stratified_sample_dense",
            lambda v=v: coop.shapley(v, samples=64, seed=1, method="stratified"),
        )
        yield "max_excess", lambda v=v, x=x: coop.core_violation(v, x)
    for w in _arrays(rng, (4,)):
        w = np.abs(w)
        q = float(w.sum() / 2) if np.isfinite(w.sum()) else 1e308
        yield "voting_shapley", lambda w=w, q=q: coop.shapley(coop.WeightedVotingGame(w, q))
        yield "voting_banzhaf", lambda w=w, q=q: coop.banzhaf(coop.WeightedVotingGame(w, q))
        yield (
            "permutation_sample_voting",
            lambda w=w, q=q: coop.shapley(coop.WeightedVotingGame(w, q), samples=64, seed=1),
        )
        yield (
            "stratified_sample_voting",
            lambda w=w, q=q: coop.shapley(
                coop.WeightedVotingGame(w, q), samples=64, seed=1, method="stratified"
            ),
        )

    class Additive(coop.CoalitionalGame):
        """A game given by one value per player, evaluated on boolean coalitions."""

        def __init__(self, w: np.ndarray):
            self.n, self.w = len(w), w

        def value(self, coalitions):
            c = np.asarray(coalitions)
            if c.dtype != bool:
                c = (c[..., None] >> np.arange(self.n)) & 1 == 1
            return (c * self.w).sum(axis=-1)

    for w in _arrays(rng, (3,)):
        yield (
            "stratum_subsets",
            lambda w=w: coop.shapley(Additive(w), samples=18, seed=1, method="stratified"),
        )

    # ---- bayes: accord._core.bayes -----------------------------------------------
    half = np.log(np.full((2, 2, 2), 0.5))  # (B, m, K) valid log-marginals
    for lp in _arrays(rng, (2, 2, 2)):
        yield "check_log_marginals", lambda lp=lp: bayes.sample_types(lp, 4, 1)
    yield "sample_types", lambda: bayes.sample_types(half, 16, 1)
    for ll in _arrays(rng, (2, 4)):
        yield "update_enumerated", lambda ll=ll: bayes.update(half, ll, return_joint=True)
        yield "update_sampled", lambda ll=ll: bayes.update(half, ll, samples=4)
    for vals in _arrays(rng, (2, 3, 4)):
        yield "expected_values", lambda v=vals: bayes.expected_values(half, v)
        yield (
            "sample_means",
            lambda v=vals: bayes.expected_values(half, v, samples=bayes.sample_types(half, 4, 1)),
        )
        share = np.full((2, 3), 0.5)
        q = vals[:, 0, 0].copy()
        best = np.zeros((2, 3), bool)
        best[:, 0] = True
        yield "vpi", lambda v=vals, s=share, q=q, b=best: bayes.vpi(half, v, s, q, q, b)
    for lik in _arrays(rng, (2, 3)):
        belief = np.full((2, 3), 1 / 3)
        T = np.full((3, 3), 1 / 3)
        o = np.abs(lik)
        yield "filter_step", lambda b=belief, T=T, o=o: bayes.filter_step(b, T, o)
    for p in (np.array([[1.7e308, 0.0]]), np.array([[5e-324, 1.0]])):
        yield "check_probability_rows", lambda p=p: bayes.filter_step(p, np.eye(2), np.ones((1, 2)))
    probs = np.full((1, 3, 2), 0.5)
    for vals in _arrays(rng, (8, 2, 4)):
        yield "subset_sums", lambda v=vals: bayes.subset_sums(probs, np.array([0, 1]), values=v)
    for p in _arrays(rng, (1, 3, 2)):
        yield "subset_sums", lambda p=p: bayes.subset_sums(p, np.array([0, 1]))
    bad_samples = np.full((2, 4, 2), 2**30, dtype=np.int32)
    yield "first_invalid_sample", lambda: bayes.update(half, np.zeros((2, 4)), samples=bad_samples)

    # ---- coalition: accord._core.coalition ---------------------------------------
    from accord.coalition.estimators import one_step_payoff
    from accord.coalition.model import Agreement

    start = Agreement(np.array([3, 3, 4]), np.array([0, 0, 1]), np.array([1.0, 2.0, 1.0]))
    for own in _arrays(rng, (2, 8, 2)):
        yield "one_step_payoff", lambda o=own: one_step_payoff(o, None, 0, start)
        yield "one_step_payoff", lambda o=own: one_step_payoff(np.abs(o), np.abs(o[0]), 2, start)

    yield from _negotiation_cases(rng, start)
    yield from _revealed_cases(rng, start)
    yield from _lookahead_cases(rng, start)
    from accord.coalition.estimators import form_proposals

    for base in _arrays(rng, (3, 8, 2)):
        yield (
            "form_proposals",
            lambda b=base: form_proposals(
                b, 0, start, np.array([1, 3, 7]), np.array([0, 1, 0]), np.array([0.5, 0.0, 1.0])
            ),
        )

    # ---- marl: accord._core.marl -------------------------------------------------
    yield from _marl_cases(rng)

    # ---- loadbalance: accord._core.loadbalance -----------------------------------
    for cap in ((1.7e308, 1.7e308), (5e-324, 5e-324), (0.0, 1e300)):
        for load in ((1e300, 1e300), (5e-324, 5e-324)):
            yield (
                "auction_round",
                lambda c=cap, t=load: simulate(
                    LoadBalanceConfig(n_servers=3, rounds=3, capacity=c, task_load=t), seed=1
                ),
            )


def _negotiation_cases(rng, start) -> Iterator[tuple[str, Callable[[], object]]]:
    """BRE negotiation (accord.coalition.bre.negotiate) over extreme value tables, for
    Myopic (values alone), OSLA (an added lookahead table) and VPI (cells)."""
    from types import SimpleNamespace

    from accord.coalition.bre import draw_rounds, negotiate

    proposers, draws = draw_rounds(np.random.default_rng(0), 3, 20)
    dist = np.full((3, 8, 2), 0.5)
    for table in _arrays(rng, (3, 8, 2)):
        for method, look, cells in (
            ("myopic", None, None),
            ("osla", np.abs(table), None),
            ("vpi", None, table[None, :, :, None].repeat(2, axis=3)[:1]),
        ):
            stage = SimpleNamespace(
                problem=SimpleNamespace(n_agents=3),
                cell_values=cells,
                dist=dist,
            )
            val = SimpleNamespace(
                method=method,
                stage=stage,
                base=table,
                lookahead=look,
                gamma=0.9,
                vpi_ref=[(1e300, -1e300, (3, 0)), (0.0, 0.0, (3, 1)), (5e-324, 0.0, (4, 0))],
            )
            yield "negotiate", lambda v=val: negotiate(v, start, proposers, draws, 0.5)


def _revealed_cases(rng, start) -> Iterator[tuple[str, Callable[[], object]]]:
    """VPI-over-OSLA's revealed successor values through a type statistic
    (accord.coalition.estimators.revealed_payoffs) over extreme value tables."""
    from accord.coalition.estimators import revealed_payoffs

    dist = np.zeros((8, 4))
    dist[:, 0] = 0.5
    dist[:, 2] = 0.5
    dist[0] = [1.0, 0.0, 0.0, 0.0]
    points = np.array([[0, 1], [1, 0], [0, 1]])
    masks = np.array([1, 3, 7])
    vectors = np.zeros((3, 4, 2), dtype=np.int64)
    vectors[2, :, :] = [[0, 0], [0, 1], [1, 0], [1, 1]]
    vectors[1, :2, 0] = [0, 1]
    compute = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=np.uint8)
    starts = (start.coalition[None], start.action[None], start.share()[None])
    which = np.zeros((3, 2), dtype=np.int64)
    from accord.coalition.estimators import revealed_payoffs_vectors

    offset = np.array([-1, 0, 2, 6, 8, 12, 14, 22])
    unknown = np.array([[-1, -1], [-1, -1], [1, -1], [1, -1], [2, -1], [2, -1], [1, 2], [1, 2]])
    probs = np.full((3, 2), 0.5)
    for values in _arrays(rng, (30,)):
        yield (
            "revealed_payoffs_vectors",
            lambda v=values: revealed_payoffs_vectors(
                probs, (offset, unknown, v), 0, masks, vectors, compute, None, starts, which
            ),
        )
    for values in _arrays(rng, (8, 2, 4)):
        pos = np.abs(values)
        yield (
            "revealed_payoffs",
            lambda v=values: revealed_payoffs(
                dist, v, points, 0, masks, vectors, compute, None, starts, which
            ),
        )
        yield (
            "revealed_payoffs",
            lambda v=pos: revealed_payoffs(
                dist, v, points, 0, masks, vectors, compute, v[:, :, 0], starts, which
            ),
        )


def _lookahead_cases(rng, start) -> Iterator[tuple[str, Callable[[], object]]]:
    """OSLA's W through type statistics (accord.coalition.estimators.lookahead_values)
    over extreme value tables."""
    from accord.coalition.estimators import lookahead_values
    from accord.coalition.valuation import SubsetTables

    probs = np.full((8, 2, 2, 4), 0.5)
    dist = np.zeros((8, 4))
    dist[:, 0] = 0.5
    dist[:, 2] = 0.5
    dist[0] = [1.0, 0.0, 0.0, 0.0]
    beliefs = np.full((3, 2), 0.5)
    starts = (start.coalition[None], start.action[None], start.share()[None])
    masks = np.array([1, 3, 7])
    which = np.zeros((3, 2), dtype=np.int64)
    for values in _arrays(rng, (8, 2, 4)):
        tables = SubsetTables(np.array([0, 1]), probs, values)
        yield (
            "lookahead_values",
            lambda t=tables: lookahead_values(
                beliefs, dist, t, dist, t, 0, masks, None, starts, which
            ),
        )
        yield (
            "lookahead_values",
            lambda t=tables: lookahead_values(
                beliefs,
                dist,
                t,
                dist,
                t,
                1,
                masks[1:],
                np.abs(t.values[:, :, 0]),
                starts,
                which[1:],
            ),
        )


def _marl_cases(rng) -> Iterator[tuple[str, Callable[[], object]]]:
    from accord import marl

    for r in (1.7e308, -1.7e308, 5e-324, 1e300, -1e290):
        rewards = np.full((3, 2), r)
        for name, cls in (
            ("q_update", marl.HystereticQ),
            ("lenient_update", marl.LenientQ),
            ("phc_update", marl.WoLFPHC),
        ):

            def call(cls=cls, rewards=rewards):
                learner = cls(2, (2, 3), 0.9, n_envs=3, seed=0)
                s = np.array([0, 1, 1])
                for _ in range(50):
                    a = learner.act(s)
                    learner.update(s, a, rewards, s[::-1].copy(), np.array([False, True, False]))
                return learner.Q[np.isfinite(learner.Q)], learner.policies()

            yield name, call


def _finite(obj, depth: int = 0) -> bool:
    """Whether every float in obj (arrays, numbers, containers, dataclasses) is finite."""
    if depth > 4 or obj is None or isinstance(obj, (str, bytes, bool)):
        return True
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind not in "fc" or bool(np.isfinite(obj).all())
    if isinstance(obj, (float, np.floating)):
        return bool(np.isfinite(obj))
    if isinstance(obj, dict):
        return all(_finite(v, depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(_finite(v, depth + 1) for v in obj)
    if dataclasses.is_dataclass(obj):
        return all(_finite(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj))
    return True


#: Entry points that still return non-finite values or raise other errors on some
#: of these inputs, with what they do.  They must not crash; the strict test below
#: lists them until their public functions refuse such inputs.
KNOWN: dict[str, str] = {}


def main() -> int:
    warnings.simplefilter("ignore")
    failures = []
    seen = set()
    for name, call in cases():
        seen.add(name)
        print(name, flush=True)  # the last line names the case if the interpreter dies
        try:
            out = call()
        except (ValueError, TypeError):
            continue
        except Exception as err:  # noqa: BLE001 - every other exception is a finding
            failures.append(f"{name}: {type(err).__name__}: {err}")
            continue
        if not _finite(out):
            failures.append(f"{name}: returned non-finite values")
    print("covered", " ".join(sorted(seen)), flush=True)
    for f in failures:
        print("FAIL", f, flush=True)
    return 1 if failures else 0


def _kernel_entry_points() -> set[str]:
    from accord import _core

    names = set()
    for mod in ("coop", "games", "bayes", "coalition", "loadbalance", "marl"):
        m = getattr(_core, mod)
        names |= {n for n in dir(m) if not n.startswith("_") and callable(getattr(m, n))}
    return names


@functools.cache
def _run() -> tuple[int, list[str], str]:
    out = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout.strip().splitlines(), out.stderr


def test_every_kernel_survives_extreme_finite_values():
    rc, lines, err = _run()
    assert rc >= 0, f"the interpreter died (signal {-rc}) in the case {lines[-1:]}"
    assert any(line.startswith("covered") for line in lines), err[-3000:]
    covered = set(next(line for line in lines if line.startswith("covered")).split()[1:])
    assert _kernel_entry_points() <= covered, _kernel_entry_points() - covered
    fails = [line for line in lines if line.startswith("FAIL")]
    unknown = [f for f in fails if f.split()[1].rstrip(":") not in KNOWN]
    assert not unknown, "\n".join(unknown)


def test_every_kernel_returns_finite_or_refuses():
    rc, lines, _ = _run()
    fails = [line for line in lines if line.startswith("FAIL")]
    assert rc == 0 and not fails, "\n".join(fails)


if __name__ == "__main__":
    sys.exit(main())
