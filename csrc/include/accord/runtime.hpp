// Thread control and build information for the CPU kernels.
#pragma once
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <utility>

namespace accord {
void set_num_threads(int n);
int get_num_threads();
std::string cxx_compiler();
std::string cxx_flags();
int openmp_version();

// A zero-filled array that costs nothing until used: calloc takes fresh zero pages
// from the OS for a large block, so a table of gigabytes is not written up front
// (which would take seconds and delay the kernel's first interrupt poll).
template <class T>
class ZeroedArray {
 public:
  explicit ZeroedArray(std::size_t n)
      : p_(static_cast<T*>(std::calloc(n > 0 ? n : 1, sizeof(T)))), n_(n) {
    if (p_ == nullptr) throw std::bad_alloc();
  }
  T* data() noexcept { return p_.get(); }
  const T* data() const noexcept { return p_.get(); }
  std::size_t size() const noexcept { return n_; }
  T& operator[](std::size_t i) noexcept { return p_.get()[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_.get()[i]; }
  void swap(ZeroedArray& other) noexcept {
    p_.swap(other.p_);
    std::swap(n_, other.n_);
  }

 private:
  struct Free {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T, Free> p_;
  std::size_t n_;
};
}  // namespace accord
