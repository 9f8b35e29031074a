// Procedural connectivity: every source projects to exactly k distinct targets, regenerated at
// each use from (seed, source) by a counter-based generator, so it costs no memory. The
// algorithm is part of the file format and documented in README.md ("Connectivity",
// Procedural); it uses integer arithmetic only, so it is the same on every platform.
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

// Reusable scratch for drawing distinct targets without allocating: a bit filter of at least
// 128k bits (cleared after each use) and the k outputs. A clear bit proves a candidate new; a
// set bit (rare: the filter is at most 1/128 full) is settled by scanning the outputs so far.
// When k is more than half the candidates, the filter is an exact bitset over them.
struct TargetScratch {
  uint64_t *filter = nullptr;
  uint32_t filter_mask = 0;  // bits - 1, bits a power of two >= 128k
  uint32_t *out = nullptr;   // k entries

  static uint64_t filter_words(uint32_t k) {
    uint64_t bits = 64;
    while (bits < 128ull * k) bits <<= 1;
    return bits / 64;
  }
};

// Writes the k targets of `source` to scratch.out (in the documented order) and returns k.
// n: neurons; exclude_self: recurrent synapses (candidates are the other n - 1 neurons).
// Requires k <= candidates.
// prefetch (optional): the caller's per-neuron records, `stride` bytes apart. Each target of a
// sparse row starts a load of its record as it is drawn, so that the cache misses of a large
// network overlap the rest of the draws instead of the delivery loop.
uint32_t procedural_targets(uint64_t seed, uint32_t source, uint32_t n, uint32_t k,
                            bool exclude_self, TargetScratch &scratch,
                            const void *prefetch = nullptr, uint32_t stride = 0);

}  // namespace sp
