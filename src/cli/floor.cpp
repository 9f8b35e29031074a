// The floor probe of `sparseprop bench`: a fast procedural target generator and the replay loop.
#include "floor.hpp"

#include <algorithm>
#include <cstring>

#include "baseline.hpp"  // mix64

namespace spcli {

namespace {
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;
constexpr int kDraws = 16;       // draws computed together, then consumed in order
constexpr uint32_t kAhead = 16;  // targets prefetched ahead, as the engine's delivery loop
// The engine's threshold for prefetching targets as they are drawn (core/run.cpp).
constexpr uint64_t kPrefetchDrawnFromBytes = uint64_t(4) << 20;
}  // namespace

FastTargets::FastTargets(uint32_t n, uint32_t k, uint64_t seed)
    : k_(k),
      m_(n - 1),
      reject_((0u - (n - 1)) % (n - 1)),
      seed_mix_(mix64(seed)),
      sparse_(2 * (uint64_t)k <= n - 1),
      out_(k) {
  if (sparse_) {
    // At least 64 bits per target, a power of two: a false hit (settled by a scan of the
    // targets so far) has probability below 1/64.
    uint32_t log2bits = 6;
    while ((uint64_t(1) << log2bits) < 64 * (uint64_t)k) ++log2bits;
    shift_ = 32 - log2bits;
    filter_.assign((size_t(1) << log2bits) / 64, 0);
  } else {
    filter_.assign((m_ + 63) / 64, 0);
  }
}

const uint32_t *FastTargets::targets(uint32_t j, const double *prefetch, uint32_t stride) {
  const uint64_t h = mix64(seed_mix_ + j);
  const uint32_t m = m_, reject = reject_;
  uint64_t *const bits = filter_.data();
  uint32_t *const out = out_.data();
  uint64_t c = 0;  // draws made so far
  if (sparse_) {
    uint32_t got = 0;
    while (got < k_) {
      uint64_t r[kDraws];
      for (int b = 0; b < kDraws; ++b) r[b] = mix64(h + (c + 1 + (uint64_t)b) * kGolden);
      c += kDraws;
      for (int b = 0; b < kDraws && got < k_; ++b) {
        const uint64_t p = (r[b] >> 32) * m;
        if ((uint32_t)p < reject) continue;
        const uint32_t v = (uint32_t)(p >> 32);
        const uint32_t target = v + (v >= j ? 1u : 0u);
        const uint32_t slot = (v * 0x9e3779b1u) >> shift_;
        const uint64_t bit = uint64_t(1) << (slot & 63);
        uint64_t &word = bits[slot >> 6];
        if ((word & bit) && std::find(out, out + got, target) != out + got) continue;
        word |= bit;
        if (prefetch) __builtin_prefetch(&prefetch[(size_t)stride * target], 1);
        out[got++] = target;
      }
    }
    std::memset(bits, 0, filter_.size() * sizeof(uint64_t));
    return out;
  }
  // 2k > m: the m - k excluded candidates are drawn one by one, the others listed in order.
  for (uint32_t got = 0; got < m - k_;) {
    uint64_t p;
    do p = (mix64(h + (++c) * kGolden) >> 32) * m;
    while ((uint32_t)p < reject);
    const uint32_t v = (uint32_t)(p >> 32);
    const uint64_t bit = uint64_t(1) << (v & 63);
    if (bits[v >> 6] & bit) continue;
    bits[v >> 6] |= bit;
    ++got;
  }
  uint32_t w = 0;
  for (uint32_t v = 0; v < m; ++v)
    if (!(bits[v >> 6] & (uint64_t(1) << (v & 63)))) out[w++] = v + (v >= j ? 1u : 0u);
  std::fill(filter_.begin(), filter_.end(), 0);
  return out;
}

void floor_replay(FastTargets &gen, double *u, uint32_t n, uint32_t stride, const uint32_t *src,
                  size_t count, double w) {
  const uint32_t k = gen.k();
  const size_t doubles = (size_t)n * stride;
  double clock = 1.0;
  // (As the engine: prefetched as drawn only when the states are larger than a core's cache.)
  const double *const drawn_prefetch = doubles * sizeof(double) >= kPrefetchDrawnFromBytes
                                           ? u
                                           : nullptr;
  for (size_t s = 0; s < count; ++s) {
    const uint32_t *tg = gen.targets(src[s], drawn_prefetch, stride);
    for (uint32_t q = 0; q < k && q < kAhead; ++q) __builtin_prefetch(&u[(size_t)stride * tg[q]]);
    const double kick = w * clock;
    for (uint32_t q = 0; q < k; ++q) {
      if (q + kAhead < k) __builtin_prefetch(&u[(size_t)stride * tg[q + kAhead]]);
      u[(size_t)stride * tg[q]] -= kick;
    }
    clock *= 1.0000001;  // a different factor per spike, as e^{t/tau} is
    if (clock > 1e300) clock = 1.0;
  }
}

double floor_sum(const double *u, size_t count) {
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += u[i];
  return sum;
}

uint64_t floor_generate(FastTargets &gen, const uint32_t *src, size_t count) {
  const uint32_t k = gen.k();
  uint64_t sum = 0;
  for (size_t s = 0; s < count; ++s) {
    const uint32_t *tg = gen.targets(src[s]);
    for (uint32_t q = 0; q < k; ++q) sum += tg[q];
  }
  return sum;
}

}  // namespace spcli
