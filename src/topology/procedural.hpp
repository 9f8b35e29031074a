// Procedural connectivity: every source projects to exactly k distinct targets, regenerated at
// each use from (seed, source) by a counter-based generator, so it costs no memory. The
// algorithm is part of the file format and documented in README.md ("Procedural
// connectivity"); it uses integer arithmetic only, so it is the same on every platform.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

// SplitMix64's output function (a bijection on 64-bit words).
inline uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

// Reusable scratch for drawing distinct targets without allocating: a stamped hash set (or a
// stamped direct table when k is more than half the candidates).
struct TargetScratch {
  uint32_t *slot_value = nullptr;
  uint32_t *slot_stamp = nullptr;
  uint32_t slot_mask = 0;  // slots - 1, slots a power of two >= 2k
  uint32_t stamp = 0;
  uint32_t *out = nullptr;  // k entries
  // For networks up to kBitsetMaxN neurons, a bitset over the candidates answers "already
  // chosen?" with one bit test (it stays in L1/L2); it is cleared after each use.
  uint64_t *chosen = nullptr;

  static constexpr uint32_t kBitsetMaxN = 1u << 22;
  static uint32_t slots_for(uint32_t k) {
    uint32_t s = 2;
    while (s < 2ull * k) s <<= 1;
    return s;
  }
  static uint64_t bitset_words(uint32_t n) { return n <= kBitsetMaxN ? (uint64_t(n) + 63) / 64 : 0; }
};

// Writes the k targets of `source` to scratch.out (in the documented order) and returns k.
// n: neurons; exclude_self: recurrent synapses (candidates are the other n - 1 neurons).
// Requires k <= candidates.
uint32_t procedural_targets(uint64_t seed, uint32_t source, uint32_t n, uint32_t k,
                            bool exclude_self, TargetScratch &scratch);

}  // namespace sp
