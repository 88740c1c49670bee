"""Counter-based random numbers for environment copies, vectorised with NumPy.

Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as
1, 2, 3", SC'11), the generator of ``csrc/include/accord/philox.hpp``.  Every number is
a pure function of (key, stream, counter): copy ``e`` of a vectorised environment
draws from stream ``e`` at its own counter, so its trajectory does not depend on how
many other copies run beside it.

A draw of ``uniforms`` consumes one Philox block per two numbers: block ``j`` of a
call starting at counter ``c`` is Philox on the counter words ``(lo(c + j), hi(c + j),
lo(stream), hi(stream))`` with the key words ``(lo(key), hi(key))``; its output words
``(w0, w1)`` and ``(w2, w3)`` give two 53-bit uniforms
``((w0 >> 5) * 2**26 + (w1 >> 6)) / 2**53`` (the conversion of ``accord/bayes.hpp``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["blocks", "normals", "philox4x32_10", "uniforms"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK = 0xFFFFFFFF


#: Below this many blocks the rounds run on Python integers (less overhead than NumPy).
_SMALL = 8


def _philox_words(c0: int, c1: int, c2: int, c3: int, k0: int, k1: int) -> tuple[int, ...]:
    """One Philox4x32-10 block on Python integers."""
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _MASK, (p0 >> 32) ^ c3 ^ k1, p0 & _MASK
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


def philox4x32_10(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 of each row of ``counters`` ``(N, 4)`` (uint32) under ``key``
    (two 32-bit words); returns ``(N, 4)`` uint32 (Salmon et al. 2011, Sec. 5)."""
    c = np.asarray(counters, dtype=np.uint32)
    if c.shape[0] <= _SMALL:
        k = (int(key[0]) & _MASK, int(key[1]) & _MASK)
        rows = [_philox_words(r[0], r[1], r[2], r[3], *k) for r in c.tolist()]
        return np.array(rows, dtype=np.uint32).reshape(-1, 4)
    c0, c1, c2, c3 = (c[:, j].astype(np.uint64) for j in range(4))
    k0, k1 = int(key[0]) & _MASK, int(key[1]) & _MASK
    for _ in range(10):
        p0 = c0 * _M0
        p1 = c2 * _M1
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(_MASK)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(_MASK)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def blocks(draws: int) -> int:
    """Counter blocks that ``uniforms(..., draws)`` consumes per stream."""
    return (int(draws) + 1) // 2


def uniforms(key: int, streams: np.ndarray, counters: np.ndarray, draws: int) -> np.ndarray:
    """``(E, draws)`` float64 uniforms in ``[0, 1)``: row ``e`` is stream ``streams[e]``
    from counter ``counters[e]`` (both ``(E,)`` uint64).

    Pure: the caller advances each counter by :func:`blocks` ``(draws)`` to continue
    the streams.
    """
    s = np.asarray(streams, dtype=np.uint64).reshape(-1)
    c = np.asarray(counters, dtype=np.uint64).reshape(-1)
    E, nb = s.shape[0], blocks(draws)
    if E == 0 or draws == 0:
        return np.zeros((E, int(draws)))
    k = int(key)
    if E * nb <= _SMALL:
        k0, k1 = k & _MASK, (k >> 32) & _MASK
        rows = []
        for stream, start in zip(s.tolist(), c.tolist(), strict=True):
            row: list[float] = []
            for j in range(nb):
                t = start + j
                w = _philox_words(t & _MASK, t >> 32, stream & _MASK, stream >> 32, k0, k1)
                row.append(((w[0] >> 5) * 67108864.0 + (w[1] >> 6)) * (1.0 / 9007199254740992.0))
                row.append(((w[2] >> 5) * 67108864.0 + (w[3] >> 6)) * (1.0 / 9007199254740992.0))
            rows.append(row[: int(draws)])
        return np.array(rows, dtype=np.float64)
    ctr = c[:, None] + np.arange(nb, dtype=np.uint64)[None, :]  # (E, nb)
    words = np.empty((E, nb, 4), dtype=np.uint32)
    words[..., 0] = (ctr & np.uint64(_MASK)).astype(np.uint32)
    words[..., 1] = (ctr >> np.uint64(32)).astype(np.uint32)
    words[..., 2] = (s & np.uint64(_MASK)).astype(np.uint32)[:, None]
    words[..., 3] = (s >> np.uint64(32)).astype(np.uint32)[:, None]
    out = philox4x32_10(words.reshape(-1, 4), (k & _MASK, (k >> 32) & _MASK))
    out = out.reshape(E, nb * 2, 2)
    a = (out[..., 0] >> np.uint32(5)).astype(np.float64)
    b = (out[..., 1] >> np.uint32(6)).astype(np.float64)
    u = (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)
    return u[:, : int(draws)]


def normals(u: np.ndarray) -> np.ndarray:
    """Standard normals from uniforms ``u`` ``(E, 2 m)`` by the Box-Muller transform
    (Box & Muller 1958): pair ``(u[:, 2j], u[:, 2j + 1])`` gives normals ``2j`` and
    ``2j + 1``; returns ``(E, 2 m)``."""
    u1, u2 = u[:, 0::2], u[:, 1::2]
    r = np.sqrt(-2.0 * np.log1p(-u1))  # 1 - u1 is in (0, 1]
    z = np.empty_like(u)
    z[:, 0::2] = r * np.cos(2.0 * np.pi * u2)
    z[:, 1::2] = r * np.sin(2.0 * np.pi * u2)
    return z
