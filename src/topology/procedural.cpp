// The procedural connectivity generator (see procedural.hpp and README.md).
#include "topology/procedural.hpp"

#include <cstring>

namespace sp {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// The counter-based stream of one source: draw c is mix64(h + (c + 1) * golden).
struct Stream {
  uint64_t h;
  uint64_t c = 0;
  uint64_t next() { return mix64(h + (++c) * kGolden); }
};

// An unbiased integer in [0, m) from the stream (Lemire's multiply-and-reject on the high 32
// bits of each draw).
uint32_t uniform_below(Stream &s, uint32_t m) {
  for (;;) {
    uint32_t x = static_cast<uint32_t>(s.next() >> 32);
    uint64_t p = static_cast<uint64_t>(x) * m;
    uint32_t lo = static_cast<uint32_t>(p);
    // The division is needed only in the rare case lo < m.
    if (lo >= m || lo >= static_cast<uint32_t>(0u - m) % m) return static_cast<uint32_t>(p >> 32);
  }
}

}  // namespace

uint32_t procedural_targets(uint64_t seed, uint32_t source, uint32_t n, uint32_t k,
                            bool exclude_self, TargetScratch &sc, const void *prefetch,
                            uint32_t stride) {
  const uint32_t m = exclude_self ? n - 1 : n;
  Stream s{mix64(mix64(seed) + source)};
  uint64_t *const bits = sc.filter;
  // Candidate v maps to neuron v, or v + 1 from the source on when it is excluded (branch-free:
  // which side of the source a draw lands on is a coin toss).
  const uint32_t skip_from = exclude_self ? source : UINT32_MAX;
  auto neuron_of = [&](uint32_t v) { return v + (v >= skip_from ? 1u : 0u); };

  if (2ull * k <= m) {
    // Sparse case: draw until k distinct candidates are accepted, in acceptance order. Draws
    // are made in batches of independent computations (the stream is counter-based), then
    // consumed in order, so the result is the same as drawing one at a time.
    const uint32_t mask = sc.filter_mask;
    const char *const records = static_cast<const char *>(prefetch);
    uint32_t found = 0;
    constexpr int kBatch = 16;
    uint64_t raw[kBatch];
    while (found < k) {
      for (int b = 0; b < kBatch; ++b) raw[b] = mix64(s.h + (s.c + 1 + b) * kGolden);
      s.c += kBatch;
      for (int b = 0; b < kBatch && found < k; ++b) {
        uint64_t p = (raw[b] >> 32) * m;
        uint32_t lo = static_cast<uint32_t>(p);
        if (lo < m && lo < static_cast<uint32_t>(0u - m) % m) continue;  // Lemire rejection
        uint32_t v = static_cast<uint32_t>(p >> 32);
        uint32_t h = (v * 0x9e3779b1u) & mask;
        uint64_t bit = uint64_t(1) << (h & 63);
        uint32_t target = neuron_of(v);
        if (bits[h >> 6] & bit) {
          bool seen = false;
          for (uint32_t q = 0; q < found && !seen; ++q) seen = sc.out[q] == target;
          if (seen) continue;
        }
        bits[h >> 6] |= bit;
        // (For writing: the delivery stores the new state.)
        if (records) __builtin_prefetch(records + uint64_t(target) * stride, 1);
        sc.out[found++] = target;
      }
    }
    // The filter is 2k words: clearing it whole is a few wide stores per word of output.
    std::memset(bits, 0, (uint64_t(mask) + 1) / 8);
    return k;
  }

  // Dense case: draw the m - k excluded candidates (m < 2k, so the filter is an exact bitset
  // over them), keep the rest in order.
  uint32_t excluded = m - k, found = 0;
  while (found < excluded) {
    uint32_t v = uniform_below(s, m);
    uint64_t bit = uint64_t(1) << (v & 63);
    if (bits[v >> 6] & bit) continue;
    bits[v >> 6] |= bit;
    ++found;
  }
  uint32_t w = 0;
  for (uint32_t v = 0; v < m; ++v)
    if (!(bits[v >> 6] & (uint64_t(1) << (v & 63)))) sc.out[w++] = neuron_of(v);
  for (uint32_t i = 0; i <= (m - 1) / 64; ++i) bits[i] = 0;
  return w;
}

}  // namespace sp
