// Blocking of a dense coalition table: mask = (H << L) | l with a low part l of
// L bits that fits in L1, and a high part H iterated by threads.
#pragma once
#include <algorithm>
#include <cstdint>

namespace accord::coop {

constexpr int kLowBits = 8;

inline int low_bits(int n) { return std::min(n, kLowBits); }

}  // namespace accord::coop
