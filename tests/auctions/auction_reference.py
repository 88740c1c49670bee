"""Brute-force references for the auction tests (never used by the package)."""

from __future__ import annotations

import itertools
import math


def single_item(bids, *, mechanism, reserve=None, reverse=False):
    """(winner or None, price or None) by the textbook rule, lowest index among ties,
    written with plain Python loops."""
    n = len(bids)
    best = None
    winner = None
    for i in range(n):
        b = bids[i]
        ok = reserve is None or (b <= reserve if reverse else b >= reserve)
        if not ok:
            continue
        better = best is None or (b < best if reverse else b > best)
        if better:
            best, winner = b, i
    if winner is None:
        return None, None
    if mechanism == "first":
        return winner, bids[winner]
    others = [bids[i] for i in range(n) if i != winner]
    if reverse:
        cands = others + ([reserve] if reserve is not None else [])
        return winner, min(cands)
    cands = others + [reserve if reserve is not None else 0.0]
    return winner, max(cands)


def best_allocation(bids, cap, reverse, exclude=None):
    """Optimal value over all XOR choices (one atom or none per bidder) by enumeration.

    ``bids``: list of (bidder, items tuple with repeats allowed as quantities dict, value);
    here ``items`` is a dict item -> quantity. Returns (objective, chosen atom indices) or
    (inf, None) when a procurement is infeasible."""
    owners = sorted({b for b, _, _ in bids if b != exclude})
    atoms = {i: [k for k, (b, _, _) in enumerate(bids) if b == i] for i in owners}
    best = math.inf if reverse else -math.inf
    best_choice = None
    for choice in itertools.product(*[[None] + atoms[i] for i in owners]):
        used = [0] * len(cap)
        value = 0.0
        for k in choice:
            if k is None:
                continue
            for j, q in bids[k][1].items():
                used[j] += q
            value += bids[k][2]
        if reverse:
            if any(u < c for u, c in zip(used, cap, strict=True)):
                continue
            if value < best:
                best, best_choice = value, choice
        else:
            if any(u > c for u, c in zip(used, cap, strict=True)):
                continue
            if value > best:
                best, best_choice = value, choice
    if best_choice is None and not reverse:
        return 0.0, ()
    return best, best_choice


def vcg_reference(bids, cap, n, reverse=False):
    """(W, W(-i) for each i) by enumeration."""
    total, _ = best_allocation(bids, cap, reverse)
    without = [best_allocation(bids, cap, reverse, exclude=i)[0] for i in range(n)]
    return total, without
