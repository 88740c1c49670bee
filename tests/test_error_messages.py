"""Bad arguments raise ValueError or TypeError whose message starts with the public
function's name and names the argument, never a raw NumPy, pybind11 or Python error."""

import numpy as np
import pytest

from accord import auctions, bayes, coop, games, loadbalance

TU = coop.TUGame(np.array([0.0, 0, 0, 1, 0, 1, 1, 1]))
G2 = games.prisoners_dilemma()
ARRAY = np.zeros((2, 2, 2))
RAGGED = [[1, 2], [3]]
LP = np.log(np.full((2, 2, 3), 1 / 3))  # bayes log-marginals: B=2 rows, m=2 members, K=3
LL = np.zeros((2, 9))
VALUES = np.zeros((2, 3, 9))
NAN = float("nan")
BID = [10.0, 100.0, 20.0, 1.0, 0.5, 5.0, 0.1]  # load, capacity, ..., task_load, noise
BK = {"damping": 200.0, "max_bid": 1000.0}
CFG = loadbalance.LoadBalanceConfig(n_servers=3, rounds=5)
SERVERS = loadbalance.Servers.random(CFG, np.random.default_rng(0))
CAPS = np.array([[1.0], [0.5]])  # two task bidders' levels of one required skill


def SB():  # noqa: N802 - two fresh strategic bidders
    return [auctions.StrategicBidder("truthful", seed=1), auctions.StrategicBidder("competitive")]


CASES = [
    # string options and flags given an array (whose truth value is ambiguous)
    (lambda: coop.shapley(TU, 10, 1, ARRAY), ValueError, "shapley(): method must be one of"),
    (lambda: coop.shapley(TU, device=ARRAY), ValueError, "shapley(): device must be"),
    (lambda: coop.banzhaf(TU, normalized=ARRAY), TypeError, "banzhaf(): normalized must be True"),
    (lambda: coop.nucleolus(TU, imputation=ARRAY), TypeError, "nucleolus(): imputation must be"),
    (lambda: auctions.first_price([1.0], tie_break=ARRAY), ValueError, "first_price(): tie_break"),
    (lambda: auctions.batch_auction([[1.0]], mechanism=[]), ValueError, "batch_auction(): mech"),
    (lambda: auctions.BanditBidder(algorithm=ARRAY), ValueError, "BanditBidder(): algorithm"),
    (lambda: auctions.vcg([(0, 1, 1.0)], essential=ARRAY), ValueError, "vcg(): essential must"),
    (lambda: loadbalance.LoadBalanceConfig(mode=ARRAY), ValueError, "LoadBalanceConfig(): mode"),
    (lambda: loadbalance.LoadBalancer(auction=ARRAY), ValueError, "LoadBalancer(): auction"),
    (lambda: games.format_nfg(G2, version=ARRAY), ValueError, "format_nfg(): version must be"),
    # a game given as a table: the caller's name, not TUGame's
    (lambda: coop.shapley(np.zeros(7)), ValueError, "shapley(): game must have length 2**n"),
    (lambda: coop.banzhaf(2.5), ValueError, "banzhaf(): game must be 1-dimensional"),
    (lambda: coop.in_core([], [0.0]), ValueError, "in_core(): game must have length"),
    (lambda: coop.semivalue(ARRAY, [1.0]), ValueError, "semivalue(): game must be 1-dimensional"),
    # counts
    (lambda: coop.shapley_weights(2.5), TypeError, "shapley_weights(): n must be an integer"),
    (lambda: coop.shapley_weights(10**30), ValueError, "shapley_weights(): a weight vector"),
    (lambda: coop.banzhaf_weights(-1), ValueError, "banzhaf_weights(): n must be >= 1"),
    (lambda: coop.banzhaf_weights(None), TypeError, "banzhaf_weights(): n must be an integer"),
    (lambda: coop.shapley(TU, 10**30), ValueError, "shapley(): samples is"),
    (lambda: coop.glove_game(10**30, 1), ValueError, "glove_game(): a dense table"),
    (lambda: coop.unanimity_game(10**30, [0]), ValueError, "unanimity_game(): a dense table"),
    (lambda: coop.TUGame.from_function(10**30, abs), ValueError, "TUGame.from_function(): a dense"),
    (lambda: coop.TUGame.from_function(3, None), TypeError, "TUGame.from_function(): f must be"),
    (
        lambda: coop.TUGame.from_function(3, lambda m: m * 1.0, batch_size=0),
        ValueError,
        "TUGame.from_function(): batch_size must be >= 1",
    ),
    (
        lambda: coop.TUGame.from_function(3, lambda m: m * 1.0, batch_size=2.0),
        TypeError,
        "TUGame.from_function(): batch_size must be an integer",
    ),
    (
        lambda: coop.TUGame.from_function(3, lambda m: m + 1.0),
        ValueError,
        "TUGame.from_function(): f(masks)[0] (the empty coalition) must be 0",
    ),
    (lambda: coop.unanimity_game(3, 2), TypeError, "unanimity_game(): carrier must be an iterable"),
    (lambda: coop.airport_game([]), ValueError, "airport_game(): costs must have one entry"),
    (lambda: coop.bankruptcy_game("abc", [1.0]), TypeError, "bankruptcy_game(): estate must be"),
    (lambda: coop.bankruptcy_game(RAGGED, [1.0]), TypeError, "bankruptcy_game(): estate must be"),
    (lambda: coop.bankruptcy_game(1e30, [1.0]), ValueError, "bankruptcy_game(): estate must not"),
    (lambda: coop.bankruptcy_game(1.0, [-1.0, 3.0]), ValueError, "bankruptcy_game(): claims must"),
    (lambda: coop.bankruptcy_game(1.0, []), ValueError, "bankruptcy_game(): claims must have"),
    (
        lambda: coop.WeightedVotingGame([1, 2], RAGGED),
        TypeError,
        "WeightedVotingGame(): quota must be a number",
    ),
    # games: a game given as payoffs is checked under the caller's name
    (lambda: games.best_response([[1, 2], [3]], [[1.0]]), TypeError, "best_response(): game must"),
    (lambda: games.regrets(ARRAY[0], [[1.0]]), ValueError, "regrets(): game must have shape"),
    (lambda: games.format_nfg(np.zeros((3, 2))), ValueError, "format_nfg(): game of shape"),
    (lambda: games.format_nfg(G2, title=None), TypeError, "format_nfg(): title must be a string"),
    (lambda: games.format_nfg(G2, players=3), TypeError, "format_nfg(): players must be a list"),
    (lambda: games.format_nfg(G2, strategies=[1, 2]), TypeError, "format_nfg(): strategies entr"),
    (lambda: games.nash_conv(G2, [[1.0]]), ValueError, "nash_conv(): profile must have"),
    (
        lambda: games.NormalFormGame.from_bimatrix(RAGGED),
        ValueError,
        "NormalFormGame.from_bimatrix(): A must be a rectangular",
    ),
    (
        lambda: games.NormalFormGame.from_bimatrix(np.eye(2), np.eye(2) * 1j),
        TypeError,
        "NormalFormGame.from_bimatrix(): B must be real",
    ),
    (lambda: G2.is_zero_sum(None), TypeError, "NormalFormGame.is_zero_sum(): tol must be"),
    (lambda: G2.is_zero_sum([]), TypeError, "NormalFormGame.is_zero_sum(): tol must be"),
    (lambda: games.blotto_allocations(2.5, 3), TypeError, "blotto_allocations(): coins must be"),
    (lambda: games.blotto_allocations(3, -1), ValueError, "blotto_allocations(): fields must be"),
    (lambda: games.blotto_allocations(10**30, 3), ValueError, "blotto_allocations(): a table"),
    (lambda: games.random_game(2.5), TypeError, "random_game(): actions must be an int"),
    (lambda: games.random_game([10**30, 2]), ValueError, "random_game(): payoffs of shape"),
    (lambda: games.random_game(2, seed=2.5), TypeError, "random_game(): seed must be"),
    (lambda: games.random_game(2, seed=-1), ValueError, "random_game(): seed must be"),
    (lambda: games.random_game(2, dtype="abc"), TypeError, "random_game(): dtype must be"),
    (lambda: games.random_game(2, dtype=np.int64), TypeError, "random_game(): dtype must be"),
    (lambda: games.covariant_game(None, 0.5), TypeError, "covariant_game(): actions must be"),
    (lambda: games.covariant_game(2, 0.5, seed="abc"), TypeError, "covariant_game(): seed must"),
    (lambda: games.incentive_matrix(G2, coarse=ARRAY), TypeError, "incentive_matrix(): coarse"),
    (
        lambda: games.pure_nash_equilibria(G2, tol=10**400),
        ValueError,
        "pure_nash_equilibria(): tol",
    ),
    (lambda: games.regret_matching(G2, 5, inertia=10**400), ValueError, "regret_matching(): inert"),
    (
        lambda: games.logit_fictitious_play(G2, 5, temperature=10**400),
        ValueError,
        "logit_fictitious_play(): temperature",
    ),
    (
        lambda: games.replicator_dynamics(G2, 10**30, record_every=10**30),
        ValueError,
        "replicator_dynamics(): iterations is",
    ),
    (
        lambda: games.fictitious_play(G2, 5, initial=RAGGED),
        ValueError,
        "fictitious_play(): initial",
    ),
    # auctions: task_auction and repeated_auction name themselves, not their helpers
    (lambda: auctions.task_auction(SB(), CAPS, 3), TypeError, "task_auction(): required_skills"),
    (lambda: auctions.task_auction(SB(), "abc"), TypeError, "task_auction(): capabilities"),
    (
        lambda: auctions.task_auction(SB(), CAPS, (0,), reward="x"),
        TypeError,
        "task_auction(): reward",
    ),
    (
        lambda: auctions.task_auction(SB(), CAPS, (0,), complexity=None),
        TypeError,
        "task_auction(): comp",
    ),
    (
        lambda: auctions.task_auction(SB(), CAPS, (0,), complexity=-1),
        ValueError,
        "task_auction(): the",
    ),
    (
        lambda: auctions.task_auction(SB(), CAPS, (0,), mechanism="x"),
        ValueError,
        "task_auction(): mech",
    ),
    (
        lambda: auctions.task_auction(SB(), CAPS, (0,), reserve=-1),
        ValueError,
        "task_auction(): reserve",
    ),
    (
        lambda: auctions.bidders.task_valuations(CAPS, 3.0),
        TypeError,
        "task_valuations(): required_skills",
    ),
    (lambda: auctions.repeated_auction(SB(), 5, reserve="x"), TypeError, "repeated_auction(): res"),
    (lambda: auctions.repeated_auction(SB(), 5, reserve=RAGGED), ValueError, "repeated_auction"),
    (lambda: auctions.repeated_auction(SB(), 10**30), ValueError, "repeated_auction(): the hist"),
    (
        lambda: auctions.repeated_auction(SB(), 5, markets=10**30),
        ValueError,
        "repeated_auction(): the history",
    ),
    (
        lambda: auctions.batch_auction([[1.0, 2.0]], reserve=RAGGED),
        ValueError,
        "batch_auction(): reserve must be a rectangular",
    ),
    (
        lambda: auctions.batch_auction([[1.0, 2.0]], mask=RAGGED),
        ValueError,
        "batch_auction(): mask must be a rectangular",
    ),
    (lambda: auctions.theory.first_price_bid("abc", 3), TypeError, "first_price_bid(): values"),
    (lambda: auctions.theory.first_price_bid(RAGGED, 3), ValueError, "first_price_bid(): values"),
    (lambda: auctions.theory.first_price_bid({}, 3), TypeError, "first_price_bid(): values"),
    (
        lambda: auctions.theory.reverse_first_price_bid("abc", 3),
        TypeError,
        "reverse_first_price_bid(): costs",
    ),
    # loadbalance
    (
        lambda: loadbalance.bid_scalar(*BID[:1], [1.0], *BID[2:], **BK),
        TypeError,
        "bid_scalar(): cap",
    ),
    (lambda: loadbalance.bid_scalar(*BID[:1], 0, *BID[2:], **BK), ValueError, "bid_scalar(): cap"),
    (lambda: loadbalance.bid_scalar(NAN, *BID[1:], **BK), ValueError, "bid_scalar(): load must"),
    (
        lambda: loadbalance.bids([1.0, 2.0], np.ones(3), *BID[2:], **BK),
        ValueError,
        "bids(): load, cap",
    ),
    (lambda: loadbalance.bids(*BID[:1], [0.0], *BID[2:], **BK), ValueError, "bids(): capacity"),
    (lambda: loadbalance.bids(NAN, *BID[1:], **BK), ValueError, "bids(): load must be finite"),
    (lambda: loadbalance.bids(*BID, damping=[1.0], max_bid=1.0), TypeError, "bids(): damping"),
    (lambda: loadbalance.bids(*BID, **BK, ratio_cap=ARRAY), TypeError, "bids(): ratio_cap"),
    (lambda: loadbalance.arrival_rate(None, 5), TypeError, "arrival_rate(): config must be"),
    (lambda: loadbalance.arrival_rate(CFG, NAN), ValueError, "arrival_rate(): round_num must"),
    (lambda: loadbalance.arrival_rate(CFG, "abc"), TypeError, "arrival_rate(): round_num must"),
    (lambda: loadbalance.action_multipliers(NAN), ValueError, "action_multipliers(): learning"),
    (lambda: loadbalance.action_multipliers([]), TypeError, "action_multipliers(): learning"),
    (
        lambda: loadbalance.LoadBalanceConfig.from_dict([1]),
        TypeError,
        "LoadBalanceConfig.from_dict(): params must be a dict",
    ),
    (
        lambda: CFG.memory_bytes("abc"),
        TypeError,
        "LoadBalanceConfig.memory_bytes(): rounds must be an integer",
    ),
    (
        lambda: CFG.memory_bytes(2.7),
        TypeError,
        "LoadBalanceConfig.memory_bytes(): rounds must be an integer",
    ),
    (lambda: loadbalance.LoadBalancer(CFG, seed=2.5), TypeError, "LoadBalancer(): seed must be"),
    (lambda: loadbalance.LoadBalancer(CFG, seed=-1), ValueError, "LoadBalancer(): seed must be"),
    (lambda: loadbalance.simulate(CFG, seed="abc"), TypeError, "simulate(): seed must be"),
    (lambda: loadbalance.simulate("abc"), TypeError, "simulate(): config must be"),
    (lambda: loadbalance.simulate("abc", rounds=3), TypeError, "simulate(): config must be"),
    (lambda: loadbalance.simulate(CFG, servers=1), TypeError, "simulate(): servers must be"),
    (lambda: loadbalance.simulate(CFG, auction="x"), ValueError, "simulate(): auction must be"),
    (lambda: SERVERS.load_ratio(None), TypeError, "Servers.load_ratio(): cap must be"),
    (lambda: SERVERS.load_ratio(NAN), ValueError, "Servers.load_ratio(): cap must be"),
    (lambda: loadbalance.Tasks.of_loads(2.5), ValueError, "Tasks.of_loads(): loads must be"),
    (lambda: loadbalance.Tasks.of_loads("abc"), TypeError, "Tasks.of_loads(): loads must be"),
    (lambda: loadbalance.Tasks.of_loads(RAGGED), ValueError, "Tasks.of_loads(): loads must be"),
    (lambda: loadbalance.SpareCapacityGame("abc"), TypeError, "SpareCapacityGame(): spare must"),
    (lambda: loadbalance.SpareCapacityGame(RAGGED), ValueError, "SpareCapacityGame(): spare must"),
    (
        lambda: loadbalance.SpareCapacityGame([1.0, 2.0], demand="abc"),
        TypeError,
        "SpareCapacityGame(): demand must be",
    ),
    (
        lambda: loadbalance.SpareCapacityGame([1.0, 2.0]).value([1.5]),
        TypeError,
        "SpareCapacityGame.value(): coalitions must be",
    ),
    (
        lambda: loadbalance.SpareCapacityGame([1.0, 2.0]).value([4]),
        ValueError,
        "SpareCapacityGame.value(): coalition masks must",
    ),
    (lambda: loadbalance.coalition_shapley([1.0, 2.0], [0.0], [0, 0]), ValueError, "coalition_sh"),
    (lambda: loadbalance.coalition_shapley("abc", [0.0], [0]), TypeError, "coalition_shapley(): "),
    (lambda: loadbalance.coalition_shapley([1.0], [NAN], [0]), ValueError, "coalition_shapley()"),
    (lambda: loadbalance.coalition_shapley([1.0], [0.0], None), TypeError, "coalition_shapley()"),
    (lambda: loadbalance.coalition_shapley([1.0], [0.0], [0.5]), ValueError, "coalition_shapley"),
    (
        lambda: loadbalance.coalition_shapley([1.0], [0.0], [0], demand=[]),
        TypeError,
        "coalition_shapley(): demand must be",
    ),
    (
        lambda: loadbalance.coalition_shapley([1.0], [0.0], [0], exact_limit=0),
        ValueError,
        "coalition_shapley(): exact_limit must be >= 1",
    ),
    (
        lambda: loadbalance.coalition_shapley([1.0], [0.0], [0], exact_limit=None),
        TypeError,
        "coalition_shapley(): exact_limit must be",
    ),
    (
        lambda: auctions.vcg_multi_unit([[1.0]], 1, marginal=ARRAY),
        TypeError,
        "vcg_multi_unit(): marginal must be True or False",
    ),
    # bayes: ragged integer and boolean arrays
    (lambda: bayes.update(LP, LL, samples=RAGGED), ValueError, "update(): samples must be"),
    (
        lambda: bayes.expected_values(LP, VALUES, samples=RAGGED),
        ValueError,
        "expected_values(): samples must be",
    ),
    (
        lambda: bayes.vpi(LP, VALUES, np.ones((2, 3)), [1.0, 1.0], [0.0, 0.0], RAGGED),
        ValueError,
        "vpi(): is_best must be",
    ),
    (
        lambda: bayes.vpi(
            LP,
            VALUES,
            np.ones((2, 3)),
            [1.0, 1.0],
            [0.0, 0.0],
            np.eye(2, 3, dtype=bool),
            samples=RAGGED,
        ),
        ValueError,
        "vpi(): samples must be",
    ),
]


@pytest.mark.parametrize(("call", "exc", "prefix"), CASES)
def test_bad_argument_message(call, exc, prefix):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(prefix), str(info.value)
