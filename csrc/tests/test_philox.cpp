// Tests of the counter-based generator shared by the CPU and GPU samplers (ctest).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "accord/philox.hpp"
#include "check.hpp"

namespace {

using namespace accord::testing;

void test_philox_known_answers() {
  // Known-answer vectors of the Random123 distribution (kat_vectors).
  const std::uint32_t ctr0[4] = {0, 0, 0, 0}, key0[2] = {0, 0};
  const std::uint32_t want0[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
  const std::uint32_t ctr1[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
  const std::uint32_t key1[2] = {0xa4093822u, 0x299f31d0u};
  const std::uint32_t want1[4] = {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u};
  std::uint32_t out[4];
  accord::philox4x32_10(ctr0, key0, out);
  for (int i = 0; i < 4; ++i) CHECK(out[i] == want0[i]);
  accord::philox4x32_10(ctr1, key1, out);
  for (int i = 0; i < 4; ++i) CHECK(out[i] == want1[i]);
}

}  // namespace

int main() {
  return run_tests("philox", {{"test_philox_known_answers", test_philox_known_answers}});
}
