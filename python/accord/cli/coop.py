"""``accord coop ...``: values and solutions of a cooperative (TU) game from a file."""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .._extras import available
from ._args import whole


def _fmt_row(name: str, *cols: str) -> str:
    return f"  {name:<20} " + " ".join(f"{c:>14}" for c in cols)


def _print_vector(title: str, names, values, extra=None, extra_title=None) -> None:
    print(title)
    if extra is not None:
        print(_fmt_row("player", "value", extra_title))
    for i, name in enumerate(names):
        cols = [f"{float(values[i]):.6g}"]
        if extra is not None:
            cols.append(f"{float(extra[i]):.3g}")
        print(_fmt_row(name, *cols))


def _load(path):
    from ..coop.io import load_game

    return load_game(path)


def _json_out(args: argparse.Namespace, result: dict) -> bool:
    """Print ``result`` as JSON when ``--json`` was given; whether it was."""
    if not getattr(args, "json", False):
        return False
    print(json.dumps(result, indent=2))
    return True


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values)]


def _timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def cmd_shapley(args: argparse.Namespace) -> int:
    from ..coop import shapley

    game, names = _load(args.file)
    if args.samples is None:
        phi, dt = _timed(lambda: shapley(game, device=args.device))
        result = {
            "solution": "shapley",
            "method": "exact",
            "n": game.n,
            "players": names,
            "values": _floats(phi),
            "time_s": dt,
        }
        if not _json_out(args, result):
            _print_vector(f"Shapley value (exact, n = {game.n})", names, phi)
    else:
        est, dt = _timed(
            lambda: shapley(
                game,
                samples=args.samples,
                seed=args.seed,
                method=args.method,
                device=args.device,
                progress=available("tqdm") and not args.json,  # a bar when tqdm is installed
            )
        )
        result = {
            "solution": "shapley",
            "method": est.method,
            "samples": est.samples,
            "seed": est.seed,
            "n": game.n,
            "players": names,
            "values": _floats(est.values),
            "stderr": _floats(est.stderr),
            "time_s": dt,
        }
        if not _json_out(args, result):
            _print_vector(
                f"Shapley value ({est.method} sampling, {est.samples} samples, "
                f"seed {est.seed}, n = {game.n})",
                names,
                est.values,
                est.stderr,
                "stderr",
            )
    if not args.json:
        print(f"time: {dt:.4f} s")
    return 0


def cmd_banzhaf(args: argparse.Namespace) -> int:
    from ..coop import banzhaf

    game, names = _load(args.file)
    beta, dt = _timed(lambda: banzhaf(game, normalized=args.normalized, device=args.device))
    kind = "normalized" if args.normalized else "raw"
    result = {
        "solution": "banzhaf",
        "normalized": args.normalized,
        "n": game.n,
        "players": names,
        "values": _floats(beta),
        "time_s": dt,
    }
    if not _json_out(args, result):
        _print_vector(f"Banzhaf index ({kind}, n = {game.n})", names, beta)
        print(f"time: {dt:.4f} s")
    return 0


def _parse_allocation(text: str) -> np.ndarray:
    try:
        return np.array([float(t) for t in text.replace(",", " ").split()])
    except ValueError:
        msg = f"--allocation must be numbers separated by commas; got {text!r}"
        raise ValueError(msg) from None


def cmd_core(args: argparse.Namespace) -> int:
    from ..coop import core_violation, in_core

    game, names = _load(args.file)
    x = _parse_allocation(args.allocation)
    (excess, mask), dt = _timed(lambda: core_violation(game, x, device=args.device))
    inside = in_core(game, x, tol=args.tol, device=args.device)
    members = [names[i] for i in range(game.n) if mask >> i & 1]
    total, grand = float(np.sum(x)), float(game.grand_value())
    result = {
        "solution": "core",
        "n": game.n,
        "players": names,
        "allocation": _floats(x),
        "max_excess": float(excess),
        "blocking_coalition": members,
        "mask": int(mask),
        "allocated": total,
        "grand_value": grand,
        "efficient": abs(total - grand) <= args.tol,
        "in_core": bool(inside),
        "tol": args.tol,
        "time_s": dt,
    }
    if _json_out(args, result):
        return 0
    print(f"allocation  {', '.join(f'{v:g}' for v in x)}")
    print(f"max excess  {excess:.6g} (coalition {{{', '.join(members)}}}, mask {mask})")
    if abs(total - grand) > args.tol:
        gap = abs(total - grand)
        how = (
            f"hands out {gap:.6g} more than the grand coalition earns"
            if total > grand
            else f"leaves {gap:.6g} of it unallocated"
        )
        print(
            f"efficiency  fails: x(N) = {total:.6g} but v(N) = {grand:.6g}, so the "
            f"allocation {how}; a core allocation sums to exactly v(N)"
        )
    else:
        print(f"efficiency  holds: x(N) = v(N) = {grand:.6g}")
    print(f"in core     {'yes' if inside else 'no'} (tol {args.tol:g})")
    print(f"time: {dt:.4f} s")
    return 0


def cmd_nucleolus(args: argparse.Namespace) -> int:
    from ..coop import nucleolus

    game, names = _load(args.file)
    x, dt = _timed(lambda: nucleolus(game, imputation=not args.pre))
    solution = "prenucleolus" if args.pre else "nucleolus"
    result = {
        "solution": solution,
        "n": game.n,
        "players": names,
        "values": _floats(x),
        "time_s": dt,
    }
    if _json_out(args, result):
        return 0
    _print_vector(f"{'pre' if args.pre else ''}nucleolus (n = {game.n})", names, x)
    print(f"time: {dt:.4f} s")
    return 0


def cmd_least_core(args: argparse.Namespace) -> int:
    from ..coop import least_core

    game, names = _load(args.file)
    res, dt = _timed(lambda: least_core(game))
    x, eps = res
    result = {
        "solution": "least-core",
        "n": game.n,
        "players": names,
        "values": _floats(x),
        "eps": float(eps),
        "core_nonempty": bool(eps <= 1e-9),
        "time_s": dt,
        "note": "one point of the least core (a polytope); the nucleolus is a unique point of it",
    }
    if _json_out(args, result):
        return 0
    _print_vector(
        f"least core (n = {game.n}), eps = {eps:.6g}"
        f" ({'core non-empty' if eps <= 1e-9 else 'core empty'}); one point of it:",
        names,
        x,
    )
    print(
        "the least core is a set (a polytope) and the point above is one vertex of it, "
        "chosen by the LP solver; for a unique point of it use "
        f"`accord coop nucleolus {args.file}`"
    )
    print(f"time: {dt:.4f} s")
    return 0


_FILE_HELP = (
    'game file: .json with "values" (a table of 2**n) or "weights" and "quota", '
    'optionally "players"; or .npy (a table)'
)


def add_commands(sub) -> None:
    """Add ``coop shapley|banzhaf|core|nucleolus|least-core`` to the subparsers ``sub``."""
    coop = sub.add_parser("coop", help="cooperative (TU) games").add_subparsers(
        dest="coop_command", required=True, help="the solution concept"
    )
    device = {
        "choices": ["cpu", "cuda"],
        "default": None,
        "help": "where to compute (default: cpu)",
    }

    p = coop.add_parser("shapley", help="Shapley value, exact or sampled")
    p.add_argument("file", help=_FILE_HELP)
    p.add_argument(
        "--samples",
        type=whole(1),
        default=None,
        help="estimate from this many sampled permutations (e.g. 1e6) instead of exactly",
    )
    p.add_argument("--seed", type=whole(), default=0, help="seed of the sampling (default 0)")
    p.add_argument(
        "--method",
        default="permutation",
        choices=["permutation", "antithetic", "stratified"],
        help="sampling scheme (default: permutation)",
    )
    p.add_argument("--device", **device)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_shapley)

    p = coop.add_parser("banzhaf", help="Banzhaf index")
    p.add_argument("file", help=_FILE_HELP)
    p.add_argument(
        "--normalized", action="store_true", help="scale the indices to sum to 1 (default: raw)"
    )
    p.add_argument("--device", **device)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_banzhaf)

    p = coop.add_parser("core", help="is an allocation in the core?")
    p.add_argument("file", help=_FILE_HELP)
    p.add_argument(
        "--allocation",
        required=True,
        help="comma-separated payoffs, one per player (e.g. -50,175,75)",
    )
    p.add_argument(
        "--tol", type=float, default=1e-9, help="tolerance of every constraint (default 1e-9)"
    )
    p.add_argument("--device", **device)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_core)

    p = coop.add_parser("nucleolus", help="nucleolus by a sequence of LPs")
    p.add_argument("file", help=_FILE_HELP)
    p.add_argument("--pre", action="store_true", help="prenucleolus (no individual rationality)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_nucleolus)

    p = coop.add_parser("least-core", help="least core epsilon and one allocation in it")
    p.add_argument("file", help=_FILE_HELP)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_least_core)
