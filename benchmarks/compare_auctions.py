#!/usr/bin/env python
"""batch_auction against a Python loop over second_price, in one process.

Evaluates the same (auctions x bidders) table of U[0,1] bids both ways, checks that winners and
payments agree exactly, and prints the best-of-``--repeat`` times and their ratio; with CuPy
and a visible device, also the GPU time of batch_auction (synchronised).

    python benchmarks/compare_auctions.py                  # 10,000 auctions x 100 bidders
    python benchmarks/compare_auctions.py --auctions 1000 --bidders 10
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from accord.auctions.batch import batch_auction
from accord.auctions.single import second_price


def best_of(fn, repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--auctions", type=int, default=10_000)
    ap.add_argument("--bidders", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    bids = rng.random((args.auctions, args.bidders))
    values = rng.random((args.auctions, args.bidders))

    def loop():
        rows = [second_price(b, values=v, reserve=0.1) for b, v in zip(bids, values, strict=True)]
        return (np.array([r.winner if r.sold else -1 for r in rows]),
                np.array([r.payment for r in rows]))

    def batch():
        return batch_auction(bids, mechanism="second", values=values, reserve=0.1)

    t_loop, (w_loop, p_loop) = best_of(loop, max(1, min(args.repeat, 3)))
    t_batch, out = best_of(batch, args.repeat)
    assert np.array_equal(out.winner, w_loop) and np.array_equal(out.payment, p_loop)

    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"second-price auctions: {args.auctions} x {args.bidders} bidders (values, reserve)")
    print(f"  Python loop over second_price : {t_loop * 1e3:10.2f} ms")
    print(f"  batch_auction (NumPy)         : {t_batch * 1e3:10.2f} ms")
    print(f"  ratio loop / batch            : {t_loop / t_batch:10.1f}x")
    gpu_comparison(bids, values, w_loop, p_loop, t_loop, t_batch, args.repeat)


def gpu_comparison(bids, values, w_loop, p_loop, t_loop, t_batch, repeat) -> None:
    """The same table on the GPU when CuPy and a device are available."""
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("no CUDA device")
    except Exception as exc:  # ImportError, CUDARuntimeError, no device
        print(f"  batch_auction (CuPy, GPU)     : skipped ({type(exc).__name__}: {exc})")
        return
    gb, gv = cupy.asarray(bids), cupy.asarray(values)

    def gpu():
        o = batch_auction(gb, mechanism="second", values=gv, reserve=0.1)
        cupy.cuda.get_current_stream().synchronize()
        return o

    t_gpu, g = best_of(gpu, repeat)
    assert np.array_equal(cupy.asnumpy(g.winner), w_loop)
    assert np.array_equal(cupy.asnumpy(g.payment), p_loop)
    print(f"  batch_auction (CuPy, GPU)     : {t_gpu * 1e3:10.2f} ms  "
          f"({t_loop / t_gpu:.1f}x the loop, {t_batch / t_gpu:.1f}x NumPy)")

if __name__ == "__main__":
    main()
