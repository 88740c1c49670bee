"""asv benchmarks of accord.auctions: single and batched sealed-bid auctions (CPU, and CuPy on
the GPU when available), VCG winner determination with HiGHS, repeated auctions with learners."""

from __future__ import annotations

import numpy as np

from accord.auctions.batch import batch_auction
from accord.auctions.bidders import BanditBidder, StrategicBidder
from accord.auctions.combinatorial import vcg, vcg_multi_unit
from accord.auctions.repeated import repeated_auction
from accord.auctions.single import first_price, second_price

from . import common

#: (auctions, bidders) of the batched benchmarks.
SHAPES = {"10000x100": (10_000, 100), "100000x10": (100_000, 10)}


def _bids(shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng([common.SEED, *shape]).random(shape)


def _require_cupy():
    """CuPy with a visible device, else NotImplementedError (asv: skipped)."""
    try:
        import cupy
    except ImportError as exc:
        raise NotImplementedError("cupy is not installed") from exc
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise NotImplementedError("no CUDA device is visible")
    except cupy.cuda.runtime.CUDARuntimeError as exc:
        raise NotImplementedError(f"no usable CUDA device: {exc}") from exc
    return cupy


class SingleAuction:
    """One sealed-bid auction with 100 bidders (the per-call cost)."""

    def setup(self):
        self.bids = _bids((1, 100))[0]
        self.values = _bids((2, 100))[1]

    def time_second_price(self):
        second_price(self.bids, values=self.values)

    def time_first_price_reverse(self):
        first_price(self.bids, reverse=True, reserve=0.5)


class BatchAuction:
    """Many independent auctions as one array operation (NumPy)."""

    params = [list(SHAPES), ["first", "second"]]
    param_names = ["shape", "mechanism"]

    def setup(self, shape, mechanism):
        self.bids = _bids(SHAPES[shape])
        self.values = _bids(SHAPES[shape][::-1]).T.copy()

    def time_batch_auction(self, shape, mechanism):
        batch_auction(self.bids, mechanism=mechanism, reserve=0.25)

    def time_batch_auction_values(self, shape, mechanism):
        batch_auction(self.bids, mechanism=mechanism, values=self.values)


class BatchAuctionCUDA:
    """The same on the GPU: CuPy arrays in, CuPy arrays out."""

    params = [list(SHAPES), ["first", "second"]]
    param_names = ["shape", "mechanism"]

    def setup(self, shape, mechanism):
        self.cupy = _require_cupy()
        self.bids = self.cupy.asarray(_bids(SHAPES[shape]))
        batch_auction(self.bids, mechanism=mechanism)  # warm-up: kernel compilation
        self.cupy.cuda.get_current_stream().synchronize()

    def time_batch_auction(self, shape, mechanism):
        batch_auction(self.bids, mechanism=mechanism, reserve=0.25)
        self.cupy.cuda.get_current_stream().synchronize()


class VCG:
    """VCG with the Clarke pivot (n + 1 integer programs solved by HiGHS)."""

    def setup(self):
        rng = np.random.default_rng([common.SEED, 7])
        self.marginal = -np.sort(-rng.random((20, 5)), axis=1)  # 20 bidders, decreasing
        self.bids = []
        for i in range(12):  # 12 bidders x 3 XOR bids on 8 items
            for _ in range(3):
                items = rng.choice(8, size=int(rng.integers(1, 4)), replace=False)
                self.bids.append((i, [int(j) for j in items], float(rng.random() * len(items))))
        self.asks = self.bids + [(12 + j, [j], 5.0) for j in range(8)]  # backup sellers

    def time_multi_unit(self):
        vcg_multi_unit(self.marginal, 10)

    def time_combinatorial(self):
        vcg(self.bids, n_items=8)

    def time_procurement(self):
        vcg(self.asks, n_items=8, reverse=True)


class RepeatedAuction:
    """200 rounds in 200 parallel second-price markets: a bandit learner and two truthful
    bidders."""

    def time_bandit_vs_truthful(self):
        bidders = [BanditBidder(), StrategicBidder("truthful"), StrategicBidder("truthful")]
        repeated_auction(bidders, 200, markets=200, seed=common.SEED)
