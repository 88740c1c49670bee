#include "accord/runtime.hpp"

#include <omp.h>

#include <stdexcept>

namespace accord {

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads(): n must be >= 1");
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

std::string cxx_compiler() { return ACCORD_CXX_COMPILER; }
std::string cxx_flags() { return ACCORD_CXX_FLAGS; }
int openmp_version() { return _OPENMP; }

}  // namespace accord
