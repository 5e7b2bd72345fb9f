// Eight floats as one value (GCC's vector extension), the machine's vector registers, and the walk
// over a row's lanes in blocks of them that the register-accumulator sums (norm.cc's channel sums,
// step_math.cc's column sums) share.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ox {

using Floats8 = float __attribute__((vector_size(32)));

// The machine's vector registers, for loops that keep accumulators in them: 32 of 64 bytes with
// AVX-512, else 16 of 32 (AVX2). A wider GCC vector than a register is lowered through the stack
// and general registers, and more accumulators than registers spill.
#ifdef __AVX512F__
constexpr int kVectorBytes = 64;
constexpr int kVectorRegisters = 32;
#else
constexpr int kVectorBytes = 32;
constexpr int kVectorRegisters = 16;
#endif

inline Floats8 load8(const float* p) {
  Floats8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The block of V whole vectors left after the full blocks, V counted down to the one that fits.
template <int V, typename Block>
void lastBlockOf8(int64_t vectors, int64_t c0, Block& block) {
  if constexpr (V > 0) {
    if (vectors == V)
      block(c0, std::integral_constant<int, V>{});
    else
      lastBlockOf8<V - 1>(vectors, c0, block);
  }
}

// Calls block(c0, std::integral_constant<int, V>{}) over lanes [0, n): blocks of Most vectors (8 ·
// Most lanes), then one block of the whole vectors left (V < Most), so each block's V accumulators
// can stay in registers. Returns where the whole vectors end: the last n % 8 lanes are the caller's.
template <int Most = 8, typename Block>
int64_t inBlocksOf8(int64_t n, Block&& block) {
  int64_t c0 = 0;
  for (; n - c0 >= 8 * Most; c0 += 8 * Most) block(c0, std::integral_constant<int, Most>{});
  lastBlockOf8<Most - 1>((n - c0) / 8, c0, block);
  return c0 + (n - c0) / 8 * 8;
}

}  // namespace ox
