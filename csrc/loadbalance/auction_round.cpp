// Sequential reverse auctions of one round of the load-balancing model of
// accord.loadbalance (accord/loadbalance.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "accord/loadbalance.hpp"

namespace accord::loadbalance {

void auction_round(std::int64_t n, std::int64_t t, double* load, const double* capacity,
                   const double* sensitivity, const double* risk_aversion,
                   const double* target, const std::int64_t* coalition,
                   const double* task_load, const double* noise, double* state,
                   std::int64_t* winner, std::int64_t* partner, double* bid, double* price,
                   bool* above, double* reserve_seen, const AuctionParams& p) {
  const double inf = std::numeric_limits<double>::infinity();
  // Per-server terms that change only when the server's load does:
  // ratio (step 1), sensitivity * ratio (step 2) and the risk factor (step 3).
  std::vector<double> ratio(n), sr(n), risk(n), capf(n);
  auto refresh = [&](std::int64_t i) {
    const double r = std::min(load[i] / capacity[i], p.ratio_cap);
    ratio[i] = r;
    sr[i] = sensitivity[i] * r;
    risk[i] = 1.0 + risk_aversion[i] * std::max(0.0, r - target[i]);
  };
  for (std::int64_t i = 0; i < n; ++i) {
    refresh(i);
    capf[i] = 1.0 + capacity[i] / p.damping;
  }
  double reserve = state[0], win_sum = state[1], win_count = state[2];
  for (std::int64_t k = 0; k < t; ++k) {
    const double L = task_load[k];
    const double* eps = noise + k * n;
    double best = inf, second = inf;
    std::int64_t w = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      // steps 2, 3, 5, 6 in the order of bidding.bids
      const double b = std::min(((sr[i] + L) * risk[i] + eps[i]) * capf[i], p.max_bid);
      if (b < best) {
        second = best;
        best = b;
        w = i;
      } else if (b < second) {
        second = b;
      }
    }
    std::int64_t j = -1;
    if (ratio[w] > p.overload_threshold) {
      double lowest = inf;
      for (std::int64_t i = 0; i < n; ++i) {
        if (i != w && coalition[i] == coalition[w] && ratio[i] < p.partner_threshold &&
            ratio[i] < lowest) {
          lowest = ratio[i];
          j = i;
        }
      }
    }
    if (j < 0) {
      load[w] += L;
    } else {
      load[w] += L / 2;
      load[j] += L / 2;
      refresh(j);
    }
    refresh(w);
    winner[k] = w;
    partner[k] = j;
    bid[k] = best;
    price[k] = n > 1 ? second : best;
    reserve_seen[k] = reserve;
    above[k] = best > reserve;
    win_sum += best;
    win_count += 1.0;
    reserve = p.reserve_factor * (win_sum / win_count);
  }
  state[0] = reserve;
  state[1] = win_sum;
  state[2] = win_count;
}

}  // namespace accord::loadbalance
