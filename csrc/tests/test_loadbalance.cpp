// Tests of the load-balancing round kernel against a hand-computed round (ctest).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "accord/loadbalance.hpp"
#include "check.hpp"

namespace {

using namespace accord::testing;

void test_loadbalance_round() {
  // Three servers of capacity 100, sensitivity 10 (server 0: 0), no risk, no noise.
  // Task 1 (load 4): bids (10 r + 4) * 1.5 with r = .7, .1, .2 -> server 0 (6.0) wins but
  // is overloaded (0.7 > 0.6) and splits with server 2 (same coalition, 0.2 < 0.5).
  double load[3] = {70.0, 10.0, 20.0};
  const double cap[3] = {100.0, 100.0, 100.0}, sens[3] = {0.0, 10.0, 10.0};
  const double risk[3] = {0.0, 0.0, 0.0}, target[3] = {0.5, 0.5, 0.5};
  const std::int64_t coal[3] = {0, 1, 0};
  const double tasks[2] = {4.0, 2.0}, noise[6] = {0, 0, 0, 0, 0, 0};
  double state[3] = {100.0, 0.0, 0.0};
  std::int64_t winner[2], partner[2];
  double bid[2], price[2], seen[2];
  bool above[2];
  const accord::loadbalance::AuctionParams p{200.0, 1000.0, 0.6, 0.5, 1.5, 1.0};
  accord::loadbalance::auction_round(3, 2, load, cap, sens, risk, target, coal, tasks, noise, state,
                                     winner, partner, bid, price, above, seen, p);
  CHECK(winner[0] == 0 && partner[0] == 2);
  CHECK(std::abs(bid[0] - 6.0) < 1e-12 && std::abs(price[0] - 7.5) < 1e-12);
  CHECK(load[0] == 73.0 && load[1] == 10.0 && load[2] == 23.0);  // after both tasks
  CHECK(!above[0] && seen[0] == 100.0);
  // the reserve becomes 1.5 x mean winning bid = 9 before task 2; server 0 (bid 3) wins
  CHECK(seen[1] == 9.0 && winner[1] == 0 && partner[1] == 2);
  CHECK(state[2] == 2.0 && std::abs(state[0] - 1.5 * (6.0 + 3.0) / 2) < 1e-12);
}

}  // namespace

int main() {
  return run_tests("loadbalance", {{"test_loadbalance_round", test_loadbalance_round}});
}
