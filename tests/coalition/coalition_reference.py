"""Brute-force helpers shared by the coalition tests."""

import numpy as np


def optimal_structure(v, n):
    """Best coalition structure of the table ``v`` by the subset DP (the superadditive
    cover ``cover[S]`` and one optimal partition of the grand coalition)."""
    cover = np.zeros(1 << n)
    arg = np.zeros(1 << n, dtype=np.int64)
    for s in range(1, 1 << n):
        rest = s & (s - 1)                 # s without its lowest member
        best, pick, sub = v[s], s, rest
        while sub:
            if v[s ^ sub] + cover[sub] > best:
                best, pick = v[s ^ sub] + cover[sub], s ^ sub
            sub = (sub - 1) & rest
        cover[s], arg[s] = best, pick
    parts, s = [], (1 << n) - 1
    while s:
        parts.append(int(arg[s]))
        s ^= int(arg[s])
    return cover, parts


def random_beliefs(problem, rng, zero=0.2):
    """Every agent's beliefs: a random distribution over each partner's type set, some
    types ruled out (never the true one)."""
    n, k = problem.n_agents, problem.n_types
    b = np.zeros((n, n, k))
    for i in range(n):
        for j, ts in enumerate(problem.type_sets):
            if i == j:
                b[i, j, problem.true_types[j]] = 1.0
                continue
            w = rng.random(ts.size) * (rng.random(ts.size) > zero)
            w[ts == problem.true_types[j]] += 0.05
            b[i, j, ts] = w / w.sum()
    return b
