// The conventional O(N)-per-spike event loop of `sparseprop bench`, and the procedural
// connectivity generator reimplemented from its specification in README.md.
#include "baseline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace spcli {

// ------------------------------------------------------------------------------------------
// Procedural targets

ProceduralTargets::ProceduralTargets(uint32_t n, uint32_t k, uint64_t seed)
    : n_(n), k_(k), seed_mix_(mix64(seed)) {
  // Room for 4x the values ever held at once (k, or fewer excluded values), load <= 1/4.
  size_t size = 16;
  while (size < 4 * (size_t)k) size *= 2;
  slot_value_.assign(size, 0);
  slot_stamp_.assign(size, 0);
  mask_ = (uint32_t)(size - 1);
}

bool ProceduralTargets::insert(uint32_t v) {
  uint32_t s = (v * 0x9e3779b1u) & mask_;
  for (;;) {
    if (slot_stamp_[s] != stamp_) {
      slot_stamp_[s] = stamp_;
      slot_value_[s] = v;
      return true;
    }
    if (slot_value_[s] == v) return false;
    s = (s + 1) & mask_;
  }
}

void ProceduralTargets::targets(uint32_t j, uint32_t *out) {
  if (++stamp_ == 0) {  // the stamps wrapped: clear the set for real
    std::fill(slot_stamp_.begin(), slot_stamp_.end(), 0u);
    stamp_ = 1;
  }
  const uint64_t h = mix64(seed_mix_ + j);
  const uint32_t m = n_ - 1;             // candidates: every neuron but j
  const uint32_t reject = (0u - m) % m;  // (2^32 - m) mod m
  uint64_t c = 0;
  auto draw = [&]() -> uint32_t {
    for (;;) {
      uint64_t r = mix64(h + (++c) * 0x9e3779b97f4a7c15ull);
      uint64_t p = (r >> 32) * (uint64_t)m;
      if ((uint32_t)p >= reject) return (uint32_t)(p >> 32);
    }
  };
  if (2 * (uint64_t)k_ <= m) {
    for (uint32_t got = 0; got < k_;) {
      uint32_t v = draw();
      if (insert(v)) out[got++] = v >= j ? v + 1 : v;
    }
    return;
  }
  // Dense case: choose the m - k excluded candidates, keep the rest in increasing order.
  for (uint32_t got = 0; got < m - k_;)
    if (insert(draw())) ++got;
  uint32_t got = 0;
  for (uint32_t v = 0; v < m; ++v)
    if (insert(v)) out[got++] = v >= j ? v + 1 : v;  // insert() is true iff not excluded
}

// ------------------------------------------------------------------------------------------
// The O(N) pass

namespace {

constexpr size_t kBlock = 256;  // neurons per running maximum; a multiple of 8

// Advances x[0 .. nblocks * kBlock) to x * mul + add and returns the largest new value; *blk
// is the first block that holds it. Padding at -inf stays -inf (mul > 0).
#if defined(__GNUC__)
typedef double v4d __attribute__((vector_size(32)));

inline __attribute__((always_inline)) double pass_impl(double *x, size_t nblocks, double mul,
                                                       double add, size_t *blk) {
  const v4d vm = {mul, mul, mul, mul}, va = {add, add, add, add};
  const double ninf = -std::numeric_limits<double>::infinity();
  double best = ninf;
  size_t best_blk = 0;
  for (size_t b = 0; b < nblocks; ++b) {
    double *p = x + b * kBlock;
    v4d m0 = {ninf, ninf, ninf, ninf}, m1 = m0;
    for (size_t i = 0; i < kBlock; i += 8) {
      v4d a, c;
      std::memcpy(&a, p + i, sizeof a);
      std::memcpy(&c, p + i + 4, sizeof c);
      a = a * vm + va;
      c = c * vm + va;
      std::memcpy(p + i, &a, sizeof a);
      std::memcpy(p + i + 4, &c, sizeof c);
      m0 = a > m0 ? a : m0;
      m1 = c > m1 ? c : m1;
    }
    m0 = m1 > m0 ? m1 : m0;
    double bm = std::max(std::max(m0[0], m0[1]), std::max(m0[2], m0[3]));
    if (bm > best) {
      best = bm;
      best_blk = b;
    }
  }
  *blk = best_blk;
  return best;
}
#else
inline double pass_impl(double *x, size_t nblocks, double mul, double add, size_t *blk) {
  double best = -std::numeric_limits<double>::infinity();
  size_t best_blk = 0;
  for (size_t b = 0; b < nblocks; ++b) {
    double *p = x + b * kBlock;
    double bm = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < kBlock; ++i) {
      p[i] = p[i] * mul + add;
      bm = p[i] > bm ? p[i] : bm;
    }
    if (bm > best) {
      best = bm;
      best_blk = b;
    }
  }
  *blk = best_blk;
  return best;
}
#endif

double pass_default(double *x, size_t nblocks, double mul, double add, size_t *blk) {
  return pass_impl(x, nblocks, mul, add, blk);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
// The same pass compiled for AVX2 (256-bit vectors); only "avx2", not "fma", so both
// versions round identically.
__attribute__((target("avx2"))) double pass_avx2(double *x, size_t nblocks, double mul, double add,
                                                 size_t *blk) {
  return pass_impl(x, nblocks, mul, add, blk);
}
bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#  define SPCLI_HAVE_AVX2_PASS 1
#endif

double pass(double *x, size_t nblocks, double mul, double add, size_t *blk) {
#ifdef SPCLI_HAVE_AVX2_PASS
  if (have_avx2()) return pass_avx2(x, nblocks, mul, add, blk);
#endif
  return pass_default(x, nblocks, mul, add, blk);
}

}  // namespace

const char *Baseline::kernel_name() {
#ifdef SPCLI_HAVE_AVX2_PASS
  if (have_avx2()) return "avx2";
  return "sse2";
#elif defined(__GNUC__)
  return "generic vectors";
#else
  return "scalar";
#endif
}

// ------------------------------------------------------------------------------------------
// The simulation

Baseline::Baseline(const BaselineSpec &spec, bool use_csr)
    : s_(spec),
      padded_((spec.n + kBlock - 1) / kBlock * kBlock),
      x_(nullptr),
      x_owner_(nullptr, std::free),
      gen_(spec.n, spec.k, spec.seed),
      tbuf_(spec.k) {
  void *mem = nullptr;
  if (posix_memalign(&mem, 64, padded_ * sizeof(double)) != 0) throw std::bad_alloc();
  x_ = static_cast<double *>(mem);
  x_owner_.reset(x_);
  const double I = s_.drive;
  const double pi = 3.14159265358979323846;
  // The engine's initial phases for desc.v0 == NULL (README.md, "Initial state").
  const uint64_t base = mix64(s_.init_seed);
  const double T_over_tau = std::log(I / (I - 1));  // LIF free period / tau
  for (uint32_t i = 0; i < s_.n; ++i) {
    double frac = (double)(mix64(base + i) >> 11) * 0x1p-53;
    x_[i] = s_.qif ? -pi + 2 * pi * frac : I * (1 - std::exp(-frac * T_over_tau));
  }
  for (size_t i = s_.n; i < padded_; ++i) x_[i] = -std::numeric_limits<double>::infinity();
  if (s_.qif) {
    omega_ = 2 * std::sqrt(I);
    c_ = s_.weight / std::sqrt(I);
  }
  if (use_csr) {
    csr_.resize((size_t)s_.n * s_.k);
    for (uint32_t j = 0; j < s_.n; ++j) gen_.targets(j, &csr_[(size_t)j * s_.k]);
  }
}

uint32_t Baseline::step() {
  // (b) of the previous spike and (a) of this one: advance everyone, find the maximum.
  size_t blk = 0;
  const double best = pass(x_, padded_ / kBlock, mul_, add_, &blk);
  const double *p = x_ + blk * kBlock;
  uint32_t j = (uint32_t)(blk * kBlock);
  while (p[j - blk * kBlock] != best) ++j;  // the lowest index among equals

  // (c) The jumps and the reset, applied in the frame before the pending advance to this
  // spike's time (the next pass applies it to all N at once).
  const uint32_t *tg = tbuf_.data();
  if (csr_.empty())
    gen_.targets(j, tbuf_.data());
  else
    tg = &csr_[(size_t)j * s_.k];
  const double tau = s_.tau, I = s_.drive, w = s_.weight;
  if (!s_.qif) {
    // LIF, V(t + dt) = I - (I - V) e with e = exp(-dt/tau); the spiker (largest V) reaches 1.
    double dt = tau * std::log((I - best) / (I - 1));
    if (!(dt > 0)) dt = 0;  // rounding only: best is at most 1 up to an ulp
    const double e = std::exp(-dt / tau);
    mul_ = e;
    add_ = I * (1 - e);
    const double w_pre = w / e;  // V + w/e advances to V(t + dt) + w
    for (uint32_t q = 0; q < s_.k; ++q) x_[tg[q]] += w_pre;
    x_[j] = -add_ / e;  // advances to the reset, 0
    t_ += dt;
  } else {
    // QIF phases advance by omega dt / tau; the spiker (largest phase) reaches pi.
    const double pi = 3.14159265358979323846;
    const double delta = pi - best;
    mul_ = 1;
    add_ = delta;
    for (uint32_t q = 0; q < s_.k; ++q) {
      double &x = x_[tg[q]];
      x = 2 * std::atan(std::tan(0.5 * (x + delta)) + c_) - delta;
    }
    x_[j] = -pi - delta;
    t_ += delta * tau / omega_;
  }
  return j;
}

}  // namespace spcli
