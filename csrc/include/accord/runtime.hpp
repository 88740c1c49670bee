// Thread control and build information for the CPU kernels.
#pragma once
#include <string>

namespace accord {
void set_num_threads(int n);
int get_num_threads();
std::string cxx_compiler();
std::string cxx_flags();
int openmp_version();
}  // namespace accord
