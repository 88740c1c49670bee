"""Auctions: sealed-bid single-item auctions, batched evaluation, VCG, bidders and learning.

* :func:`first_price`, :func:`second_price` -- one sealed-bid auction, forward or reverse
  (procurement), with reserve prices and documented tie-breaking (Vickrey 1961; Myerson 1981,
  Riley & Samuelson 1981);
* :func:`batch_auction` -- thousands of independent auctions as one array operation (NumPy on
  the CPU, CuPy on the GPU);
* :func:`vcg`, :func:`vcg_multi_unit` -- VCG with the Clarke pivot for combinatorial XOR bids
  and identical units, winner determination by HiGHS (Clarke 1971, Groves 1973);
* :mod:`~accord.auctions.bidders` -- heuristic task-auction strategies (truthful, competitive,
  conservative, aggressive, adaptive) and learning bidders over bid multipliers;
* :func:`repeated_auction` -- repeated auctions between adapting bidders;
* :mod:`~accord.auctions.theory` -- closed forms for values uniform on [0, 1].
"""

from . import theory
from .batch import BatchOutcome, batch_auction
from .bidders import (
    STRATEGIES,
    BanditBidder,
    Feedback,
    QLearningBidder,
    StrategicBidder,
    make_bidder,
    task_auction,
)
from .combinatorial import VCGOutcome, vcg, vcg_multi_unit
from .repeated import AuctionHistory, repeated_auction
from .single import AuctionOutcome, first_price, second_price

__all__ = [
    "STRATEGIES",
    "AuctionHistory",
    "AuctionOutcome",
    "BanditBidder",
    "BatchOutcome",
    "Feedback",
    "QLearningBidder",
    "StrategicBidder",
    "VCGOutcome",
    "batch_auction",
    "first_price",
    "make_bidder",
    "repeated_auction",
    "second_price",
    "task_auction",
    "theory",
    "vcg",
    "vcg_multi_unit",
]
