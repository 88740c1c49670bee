// Cooperative interruption of long kernels.
//
// A kernel that can run for more than a few milliseconds creates a `Cancel` on entry
// and calls `poll()` between units of work (a few microseconds of work or more each).
// The host installs one process-wide hook with `set_interrupt_hook`; `poll()` calls it
// from the thread that entered the kernel at most every `kPollIntervalNs`, and once it
// reports an interrupt every thread sees `stopped()`, stops taking new work, and the
// kernel ends with `check()`, which throws `Interrupted`.  Threads of an OpenMP team
// may poll too: only the entering thread runs the hook, the others read the flag.
// Without a hook (the C++ tests) polling costs a clock read.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <thread>

namespace accord {

// Thrown by `Cancel::check()` after the hook reported an interrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

// Returns true when the running kernel should stop.  Called only from the thread that
// entered the kernel, at most every `kPollIntervalNs`; must not throw.
using InterruptHook = bool (*)();

void set_interrupt_hook(InterruptHook hook) noexcept;
InterruptHook interrupt_hook() noexcept;

constexpr std::int64_t kPollIntervalNs = 5'000'000;  // 5 ms

std::int64_t monotonic_ns() noexcept;

// The interruption state of one kernel call.
class Cancel {
 public:
  Cancel() noexcept
      : hook_(interrupt_hook()),
        owner_(std::this_thread::get_id()),
        next_ns_(monotonic_ns() + kPollIntervalNs) {}
  Cancel(const Cancel&) = delete;
  Cancel& operator=(const Cancel&) = delete;

  // True when the kernel should stop; runs the hook when due (entering thread only).
  bool poll() noexcept {
    if (stopped()) return true;
    if (hook_ == nullptr || std::this_thread::get_id() != owner_) return false;
    const std::int64_t now = monotonic_ns();
    if (now < next_ns_) return false;
    next_ns_ = now + kPollIntervalNs;
    if (hook_()) stop_.store(true, std::memory_order_relaxed);
    return stopped();
  }

  // As poll(), but only every `every` calls (for loops of a few nanoseconds a step).
  bool poll_every(std::int64_t i, std::int64_t every) noexcept {
    return (i % every == 0) ? poll() : stopped();
  }

  bool stopped() const noexcept { return stop_.load(std::memory_order_relaxed); }

  // Throws Interrupted when the kernel was stopped (call outside parallel regions).
  void check() const {
    if (stopped()) throw Interrupted();
  }

  // poll(), then check(): a single-threaded loop's one call per step.
  void poll_check() {
    if (poll()) throw Interrupted();
  }

  // For the entering thread once its own tasks of a parallel region are done: keep
  // polling until `busy` (the team's unfinished tasks) is zero, so that a long task
  // of another thread stays interruptible.  Other threads return at once.
  void poll_until_done(const std::atomic<int>& busy) noexcept {
    if (std::this_thread::get_id() != owner_) return;
    while (busy.load() > 0 && !poll()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  std::atomic<bool> stop_{false};
  InterruptHook hook_;
  std::thread::id owner_;
  std::int64_t next_ns_;  // touched by the entering thread only
};

// The contiguous share [begin, end) of `count` iterations that thread `t` of
// `threads` takes under OpenMP's schedule(static): a loop over it can `break` when
// stopped, which an `omp for` cannot.
struct Share {
  std::int64_t begin, end;
};
inline Share static_share(std::int64_t count, int t, int threads) noexcept {
  const std::int64_t per = count / threads, extra = count % threads;
  const std::int64_t begin = t * per + (t < extra ? t : extra);
  return {begin, begin + per + (t < extra ? 1 : 0)};
}

}  // namespace accord
