// Tests of cooperative interruption (accord/interrupt.hpp) without Python (ctest): a
// hook that reports an interrupt stops long kernels with accord::Interrupted, and
// without a hook the same calls run to the end.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "accord/bimatrix.hpp"
#include "accord/coop.hpp"
#include "accord/interrupt.hpp"
#include "accord/runtime.hpp"
#include "check.hpp"

namespace {

using namespace accord::testing;

std::atomic<int> hook_calls{0};
bool interrupt_now() {
  ++hook_calls;
  return true;
}
bool never() {
  ++hook_calls;
  return false;
}

// Runs `body` under `hook`; returns whether it threw accord::Interrupted, and the
// seconds it took.
template <class Body>
std::pair<bool, double> under_hook(accord::InterruptHook hook, Body body) {
  accord::set_interrupt_hook(hook);
  const auto start = std::chrono::steady_clock::now();
  bool interrupted = false;
  try {
    body();
  } catch (const accord::Interrupted&) {
    interrupted = true;
  }
  accord::set_interrupt_hook(nullptr);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return {interrupted, took.count()};
}

void test_static_share_partitions_the_range() {
  for (std::int64_t count : {0, 1, 7, 64, 1001}) {
    for (int threads : {1, 2, 3, 8}) {
      std::int64_t next = 0;
      for (int t = 0; t < threads; ++t) {
        const accord::Share s = accord::static_share(count, t, threads);
        CHECK(s.begin == next);
        CHECK(s.end >= s.begin);
        CHECK(s.end - s.begin <= count / threads + 1);
        next = s.end;
      }
      CHECK(next == count);
    }
  }
}

void test_zeroed_array_reads_zero() {
  accord::ZeroedArray<double> a(1 << 22), b(3);
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); i += 4096) sum += a[i];
  CHECK(sum == 0.0);
  a[5] = 2.0;
  a.swap(b);
  CHECK(a.size() == 3 && b.size() == (1u << 22) && b[5] == 2.0 && a[0] == 0.0);
}

void test_cancel_without_hook_never_stops() {
  accord::set_interrupt_hook(nullptr);
  accord::Cancel cancel;
  for (int i = 0; i < 1000; ++i) CHECK(!cancel.poll());
  cancel.check();  // does not throw
}

void test_hook_stops_the_voting_dp() {
  // 3,000 players of weights 1..20: the exact DP runs for tens of seconds.
  std::mt19937_64 rng(1);
  std::vector<std::int64_t> w(3000);
  std::int64_t total = 0;
  for (auto& x : w) total += (x = 1 + static_cast<std::int64_t>(rng() % 20));
  std::vector<double> phi(w.size());
  hook_calls = 0;
  const auto [interrupted, seconds] = under_hook(&interrupt_now, [&] {
    accord::coop::voting_shapley(w.data(), static_cast<int>(w.size()), total / 2 + 1,
                                 phi.data());
  });
  CHECK(interrupted);
  CHECK(hook_calls >= 1);
  CHECK(seconds < 1.0);
}

void test_hook_stops_lemke_howson_all_and_a_quiet_hook_does_not() {
  const int m = 200, n = 200;
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> A(m * n), B(m * n);
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  const auto [stopped, seconds] = under_hook(&interrupt_now, [&] {
    accord::bimatrix::lemke_howson_all(A.data(), B.data(), m, n, 10'000'000, 2);
  });
  CHECK(stopped);
  CHECK(seconds < 1.0);
  // A hook that never reports an interrupt leaves the answer as without one.
  hook_calls = 0;
  accord::bimatrix::Equilibria with_hook;
  const auto [quiet_stopped, quiet_seconds] = under_hook(&never, [&] {
    with_hook = accord::bimatrix::lemke_howson_all(A.data(), B.data(), 20, 20, 10'000'000, 2);
  });
  (void)quiet_seconds;
  CHECK(!quiet_stopped);
  const auto plain = accord::bimatrix::lemke_howson_all(A.data(), B.data(), 20, 20, 10'000'000, 2);
  CHECK(with_hook.count == plain.count && with_hook.count >= 1);
  CHECK(with_hook.x == plain.x && with_hook.y == plain.y);
}

}  // namespace

int main() {
  return run_tests(
      "interrupt",
      {{"test_static_share_partitions_the_range", test_static_share_partitions_the_range},
       {"test_zeroed_array_reads_zero", test_zeroed_array_reads_zero},
       {"test_cancel_without_hook_never_stops", test_cancel_without_hook_never_stops},
       {"test_hook_stops_the_voting_dp", test_hook_stops_the_voting_dp},
       {"test_hook_stops_lemke_howson_all_and_a_quiet_hook_does_not",
        test_hook_stops_lemke_howson_all_and_a_quiet_hook_does_not}});
}
