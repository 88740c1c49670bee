#include "accord/runtime.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "accord/interrupt.hpp"

namespace accord {

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads(): n must be >= 1");
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

std::string cxx_compiler() { return ACCORD_CXX_COMPILER; }
std::string cxx_flags() { return ACCORD_CXX_FLAGS; }
int openmp_version() { return _OPENMP; }

namespace {
std::atomic<InterruptHook> g_interrupt_hook{nullptr};
}

void set_interrupt_hook(InterruptHook hook) noexcept { g_interrupt_hook.store(hook); }
InterruptHook interrupt_hook() noexcept { return g_interrupt_hook.load(); }

std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace accord
