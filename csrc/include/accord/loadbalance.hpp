// One round of the load-balancing model of accord.loadbalance: tasks are auctioned one
// after another in a reverse auction among all servers, so each auction sees the loads
// left by the previous ones.  Pure function over raw buffers; accord.loadbalance
// documents the rules, and its other paths (and the tests' per-task reference) must match
// this kernel bit for bit (no FMA contraction here).
#pragma once
#include <cstdint>

namespace accord::loadbalance {

struct AuctionParams {
  double damping;             // bid *= 1 + capacity / damping  (default: 200)
  double max_bid;             // clamp (default: 1000)
  double overload_threshold;  // winner's load ratio above which it seeks a partner
  double partner_threshold;   // a partner's load ratio must be below this
  double reserve_factor;      // reserve = factor * mean winning bid (default: 1.5)
  double ratio_cap;           // load ratio = min(load / capacity, ratio_cap) (default: 1)
};

// n servers, t tasks.  load (n) is updated in place; noise is row-major (t, n).
// state = {reserve, sum of winning bids, number of auctions}, updated in place.
// Outputs (t): winner, partner (-1: no split), winning bid, second-lowest bid (the
// price; the winning bid when n == 1), above (winning bid > reserve before the
// auction), and the reserve each winning bid was compared with.
void auction_round(std::int64_t n, std::int64_t t, double* load, const double* capacity,
                   const double* sensitivity, const double* risk_aversion,
                   const double* target, const std::int64_t* coalition,
                   const double* task_load, const double* noise, double* state,
                   std::int64_t* winner, std::int64_t* partner, double* bid, double* price,
                   bool* above, double* reserve_seen, const AuctionParams& p);

}  // namespace accord::loadbalance
