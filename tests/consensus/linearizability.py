"""Linearizability checker for client histories of a replicated key-value store (test oracle).

A history is linearizable (Herlihy & Wing, "Linearizability: a correctness condition for
concurrent objects", ACM TOPLAS 12(3), 1990) if every operation can be given a single point
in time between its invocation and its response such that executing the operations one at a
time, in the order of those points, on a sequential model of the object gives every response
that the clients saw.  An operation that never returned (``complete is None``: timed out,
client crashed) may or may not have taken effect: it may be placed anywhere after its
invocation, or left out, and its result is not checked.

The search is Wing & Gong's ("Testing and verifying concurrent objects", J. Parallel Distrib.
Comput. 17, 1993) depth-first search over orders consistent with real time, in the
"just-in-time linearization" form of Lowe ("Testing for linearizability", Concurrency and
Computation: Practice and Experience 29(4), 2017): an operation is linearized next only if
no unlinearized operation responded before it was invoked, and every visited configuration
(set of linearized operations as an int bitset, model state) is remembered so that it is
expanded at most once.  This is the algorithm of Knossos and of Porcupine (A. Athalye,
https://github.com/anishathalye/porcupine, 2017).  Linearizability is local (Herlihy & Wing's
Theorem 1; Porcupine's "P-compositionality"), so the history is split into one partition per
key, plus one for the single global ledger, and each partition is checked on its own.

Operations (``Op.op``) and results (``Op.result``):

* ``{"op": "set", "key": k, "value": v}`` -> previous value, or None if absent;
* ``{"op": "get", "key": k}`` -> value, or None if absent;
* ``{"op": "increment", "key": k, "amount": a}`` (amount defaults to 1) -> new value (an
  absent key counts as 0); the model fails with an error when the value or the amount is not
  a number;
* ``{"op": "compare_and_set", "key": k, "expected": e, "new": v}`` ->
  ``{"swapped": bool, "value": value after}``; ``expected`` None means "key absent";
* ``{"op": "noop"}`` -> None (trivially linearizable, not checked);
* ``{"op": "append", "record": r}`` -> ``{"index": i, "hash": h}`` and ``{"op": "ledger_head"}``
  -> ``{"length": L, "hash": h}`` on one global ledger whose model state is its length;
  indexes are 0-based (the i-th append gets ``index == i``, i.e. the length before it) and
  hashes are not checked.

A result ``{"error": ...}`` means that the operation had no effect; it is consistent only where
the model also fails (e.g. incrementing a string).  A failure the model cannot produce (say
"not leader") is a violation: drop such operations from the history before checking if they
are known not to have taken effect, or give them ``complete=None`` if that is not known.
Values are compared (and hashed, for the memo) through a canonical JSON encoding, so tuples
and lists are equal and so are ``2`` and ``2.0``; a stored None is the same as an absent key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["LEDGER", "Op", "Result", "check", "is_linearizable"]

_FAIL = object()  # a step whose response the model cannot produce
_ERR = object()  # the model's own failure (no effect)
_DROP = object()  # compiled form of an operation that can be ignored
_INF = math.inf
_KV_OPS = frozenset({"set", "get", "increment", "compare_and_set"})
_LEDGER_OPS = frozenset({"append", "ledger_head"})

# Budget (visited configurations) for each search while shrinking a counterexample.
_SHRINK_BUDGET = 200_000
# Operations completed before the culprit's invocation that are shown as context.
_CONTEXT_BEFORE = 5


class _Ledger:
    """The partition key that stands for the global ledger."""

    _instance: _Ledger | None = None

    def __new__(cls) -> _Ledger:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "LEDGER"


LEDGER = _Ledger()


@dataclass
class Op:
    """One client operation: invoked at ``invoke``, answered ``result`` at ``complete``.

    ``complete is None`` means that no answer came back (then ``result`` is ignored).
    """

    client: int
    invoke: float
    complete: float | None
    op: dict
    result: object = None


@dataclass(frozen=True)
class Result:
    """Outcome of :func:`check`; truthy iff the history is linearizable.

    When not ``ok``: ``key`` is the first partition (a key, or :data:`LEDGER`) that cannot be
    linearized, ``failed_keys`` all of them; ``ops`` is a non-linearizable subset of that
    partition's operations, a counterexample on its own (``check(list(result.ops))`` fails
    too) and 1-minimal once the operations still in flight at the culprit's response are
    treated as pending (then removing any one of them makes it linearizable); ``culprit`` is
    the operation whose response first cannot be explained: the history cut at that response,
    in-flight operations pending, is not linearizable, while every earlier cut is.  A
    1-minimal subset can be terse (a read of a value nobody wrote is a counterexample on its
    own), so ``context`` adds the partition's operations around the culprit: those that overlap
    it in time, that were still pending, and the last few that completed before it.
    """

    ok: bool
    key: object = None
    ops: tuple[Op, ...] = ()
    culprit: Op | None = None
    context: tuple[Op, ...] = ()
    failed_keys: tuple = ()
    explanation: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.explanation or ("linearizable" if self.ok else "not linearizable")


# ----------------------------------------------------------------------------- values


def _norm(v: object) -> object:
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else v
    if isinstance(v, Mapping):
        return {str(k): _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def _canon(v: object) -> str | None:
    """Hashable canonical form of a value: None (absent) or its canonical JSON text."""
    if v is None:
        return None
    return json.dumps(_norm(v), sort_keys=True, separators=(",", ":"), default=repr)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_error(r: object) -> bool:
    return isinstance(r, Mapping) and "error" in r


def _fail_always(state: object) -> object:
    return _FAIL


# ----------------------------------------------------------------------------- model


def _compile(o: Op, pending: bool) -> object:
    """The operation as a step ``state -> new state | _FAIL``, or ``_DROP``.

    A pending operation's step never fails (its result is unknown); pending reads and noops
    are dropped, since they change nothing.
    """
    spec = o.op
    kind = spec["op"]
    r = o.result
    if kind == "noop":
        return _DROP
    if kind == "set":
        new = _canon(spec.get("value"))
        if pending:
            return lambda s: new
        if _is_error(r):
            return _fail_always
        prev = _canon(r)
        return lambda s: new if s == prev else _FAIL
    if kind == "get":
        if pending:
            return _DROP
        if _is_error(r):
            return _fail_always
        want = _canon(r)
        return lambda s: s if s == want else _FAIL
    if kind == "increment":
        amount = spec.get("amount", 1)

        def model(s: str | None) -> object:
            cur = 0 if s is None else json.loads(s)
            if not (_is_number(cur) and _is_number(amount)):
                return _ERR
            return _canon(cur + amount)

        if pending:

            def step(s: str | None) -> object:
                n = model(s)
                return s if n is _ERR else n

            return step
        if _is_error(r):
            return lambda s: s if model(s) is _ERR else _FAIL
        want = _canon(r)

        def step_checked(s: str | None) -> object:
            n = model(s)
            return n if n is not _ERR and n == want else _FAIL

        return step_checked
    if kind == "compare_and_set":
        expected = _canon(spec.get("expected"))
        new = _canon(spec.get("new"))
        if pending:
            return lambda s: new if s == expected else s
        if not isinstance(r, Mapping) or _is_error(r):
            return _fail_always
        swapped = r.get("swapped")
        if swapped is not True and swapped is not False:
            return _fail_always
        has_value = "value" in r
        value = _canon(r.get("value"))

        def cas(s: str | None) -> object:
            did = s == expected
            if did is not swapped:
                return _FAIL
            after = new if did else s
            if has_value and after != value:
                return _FAIL
            return after

        return cas
    if kind == "append":
        if pending:
            return lambda n: n + 1
        index = r.get("index") if isinstance(r, Mapping) and not _is_error(r) else None
        if not _is_number(index):
            return _fail_always
        return lambda n: n + 1 if n == index else _FAIL
    if kind == "ledger_head":
        if pending:
            return _DROP
        length = r.get("length") if isinstance(r, Mapping) and not _is_error(r) else None
        if not _is_number(length):
            return _fail_always
        return lambda n: n if n == length else _FAIL
    raise ValueError(f"unknown operation {kind!r} in {o!r}")


# ----------------------------------------------------------------------------- search


def _search(
    entries: list[tuple[float, float, Callable[[object], object]]],
    init: object,
    budget: int | None = None,
) -> bool | None:
    """Is there a linearization? ``entries`` are (invoke, complete or inf for pending, step).

    Returns None if more than ``budget`` configurations would have to be visited.
    """
    entries = sorted(entries, key=lambda e: (e[0], e[1]))
    inv = [e[0] for e in entries]
    cmp = [e[1] for e in entries]
    steps = [e[2] for e in entries]
    full = (1 << len(entries)) - 1
    required = 0
    for i, c in enumerate(cmp):
        if c != _INF:
            required |= 1 << i
    seen: set[tuple[int, object]] = set()
    stack: list[tuple[int, object]] = [(0, init)]
    while stack:
        mask, state = stack.pop()
        if mask & required == required:
            return True
        rem = full & ~mask
        earliest = _INF  # earliest response among the unlinearized ops scanned so far
        children = []
        while rem:
            low = rem & -rem
            rem ^= low
            i = low.bit_length() - 1
            if inv[i] > earliest:
                break  # this op, and every later-invoked one, must follow an unlinearized op
            if cmp[i] < earliest:
                earliest = cmp[i]
            new = steps[i](state)
            if new is _FAIL:
                continue
            cfg = (mask | low, new)
            if cfg in seen:
                continue
            seen.add(cfg)
            children.append(cfg)
        if budget is not None and len(seen) > budget:
            return None
        stack.extend(reversed(children))  # try the earliest-invoked op first
    return False


def _entries(items: Iterable[tuple[Op, bool]]) -> list[tuple[float, float, Callable]]:
    out = []
    for o, pending in items:
        step = _compile(o, pending)
        if step is _DROP:
            continue
        out.append((o.invoke, _INF if pending else o.complete, step))
    return out


def _linearizable(items: list[tuple[Op, bool]], init: object, budget: int | None = None):
    return _search(_entries(items), init, budget)


# ----------------------------------------------------------------------------- shrinking


def _prefix(ops: list[Op], t: float) -> list[tuple[Op, bool]]:
    """The history as seen at time ``t``: ops still in flight become pending."""
    return [(o, o.complete is None or o.complete > t) for o in ops if o.invoke <= t]


def _shrink(ops: list[Op], init: object) -> tuple[list[tuple[Op, bool]], Op | None]:
    """(1-minimal non-linearizable subset, culprit) of a non-linearizable partition."""
    times = sorted({o.complete for o in ops if o.complete is not None})
    lo, hi = 0, len(times) - 1  # the cut at times[hi] is known to fail
    while lo < hi:
        mid = (lo + hi) // 2
        if _linearizable(_prefix(ops, times[mid]), init) is False:
            hi = mid
        else:
            lo = mid + 1
    t = times[hi]
    items = _prefix(ops, t)
    culprit = next((o for o, p in items if not p and o.complete == t), None)

    def fails(sub: list[tuple[Op, bool]]) -> bool:
        return _linearizable(sub, init, _SHRINK_BUDGET) is False

    # ddmin (Zeller & Hildebrandt 2002), removing complements only.
    n = 2
    while len(items) >= 2:
        size = math.ceil(len(items) / n)
        chunks = [items[k : k + size] for k in range(0, len(items), size)]
        for k in range(len(chunks)):
            rest = [x for j, c in enumerate(chunks) if j != k for x in c]
            if fails(rest):
                items = rest
                n = max(n - 1, 2)
                break
        else:
            if n >= len(items):
                break
            n = min(2 * n, len(items))
    return items, culprit


# ----------------------------------------------------------------------------- API


def _describe(o: Op, pending: bool = False) -> str:
    spec = dict(o.op)
    kind = spec.pop("op", "?")
    args = ", ".join(f"{k}={v!r}" for k, v in spec.items())
    end = "pending" if o.complete is None else repr(o.complete)
    out = "?" if o.complete is None else repr(o.result)
    note = " (in flight at the cut: may or may not have taken effect)" if pending else ""
    if o.complete is None:
        note = " (never returned)"
    return f"client {o.client} [{o.invoke!r}, {end}] {kind}({args}) -> {out}{note}"


def _context(ops: list[Op], culprit: Op | None) -> list[Op]:
    """Operations of the partition around ``culprit``, in invocation order."""
    if culprit is None:
        return []
    t = culprit.complete
    cut = [o for o in ops if o.invoke <= t]
    around = [o for o in cut if o.complete is None or o.complete >= culprit.invoke]
    earlier = [o for o in cut if o.complete is not None and o.complete < culprit.invoke]
    earlier.sort(key=lambda o: o.complete)
    keep = {id(o) for o in around + earlier[-_CONTEXT_BEFORE:]}
    return [o for o in cut if id(o) in keep]


def _validate(o: Op) -> None:
    if not isinstance(o.op, Mapping) or "op" not in o.op:
        raise ValueError(f"operation without an 'op' field: {o!r}")
    kind = o.op["op"]
    if kind not in _KV_OPS and kind not in _LEDGER_OPS and kind != "noop":
        raise ValueError(f"unknown operation {kind!r} in {o!r}")
    if kind in _KV_OPS and "key" not in o.op:
        raise ValueError(f"{kind} without a key: {o!r}")
    if o.complete is not None and o.complete < o.invoke:
        raise ValueError(f"operation completes before it is invoked: {o!r}")


def check(history: Iterable[Op], initial: Mapping | None = None) -> Result:
    """Check a history for linearizability; see the module docstring for the format.

    ``initial`` maps keys to their values before the history (default: every key absent; the
    ledger always starts empty).
    """
    history = list(history)
    init_kv = {_canon(k): _canon(v) for k, v in (initial or {}).items()}
    parts: dict[object, tuple[object, list[Op]]] = {}
    for o in history:
        _validate(o)
        kind = o.op["op"]
        if kind == "noop":
            continue
        if kind in _LEDGER_OPS:
            pid, key = ("ledger",), LEDGER
        else:
            key = o.op["key"]
            pid = ("key", _canon(key))
        parts.setdefault(pid, (key, []))[1].append(o)

    failed = []
    for pid, (key, ops) in parts.items():
        init = 0 if pid == ("ledger",) else init_kv.get(pid[1])
        if not _linearizable([(o, o.complete is None) for o in ops], init):
            failed.append((pid, key, ops, init))
    if not failed:
        return Result(ok=True, explanation=f"linearizable ({len(parts)} partitions)")

    _, key, ops, init = failed[0]
    items, culprit = _shrink(ops, init)
    order = {id(o): k for k, o in enumerate(history)}
    items.sort(key=lambda x: order[id(x[0])])
    what = "the ledger" if key is LEDGER else f"key {key!r}"
    lines = [f"{what}: not linearizable."]
    if culprit is not None:
        lines.append(
            "No linearization of the operations up to the response of "
            f"{_describe(culprit)} explains the responses."
        )
    lines.append(f"A 1-minimal non-linearizable subset ({len(items)} ops):")
    lines += [f"  {_describe(o, p)}" for o, p in items]
    context = _context(ops, culprit)
    if context:
        lines.append(f"Operations on {what} around it ({len(context)}):")
        lines += [f"  {_describe(o)}" for o in context]
    if len(failed) > 1:
        others = ", ".join("LEDGER" if k is LEDGER else repr(k) for _, k, _, _ in failed[1:])
        lines.append(f"Also not linearizable: {others}.")
    return Result(
        ok=False,
        key=key,
        ops=tuple(o for o, _ in items),
        culprit=culprit,
        context=tuple(context),
        failed_keys=tuple(k for _, k, _, _ in failed),
        explanation="\n".join(lines),
    )


def is_linearizable(history: Iterable[Op], initial: Mapping | None = None) -> bool:
    """``check(history, initial).ok``."""
    return check(history, initial).ok
