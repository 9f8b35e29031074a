// See qif_batch.hpp.
#include "models/qif_batch.hpp"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(SP_HAVE_LIBMVEC_AVX2)
#  include <immintrin.h>
// glibc's vector variants (x86-64 vector ABI, AVX2: four doubles per call). Declared with the
// target attribute: Clang refuses to pass a __m256d to a function declared without AVX.
extern "C" __attribute__((target("avx2"))) __m256d _ZGVdN4v_tan(__m256d);
extern "C" __attribute__((target("avx2"))) __m256d _ZGVdN4v_atan(__m256d);
#endif

namespace sp {
namespace {

void apply_scalar(const double *x, double *y, uint32_t n, const Qif::Kick &kick) {
  for (uint32_t j = 0; j < n; ++j) y[j] = Qif::apply(x[j], kick);
}

#if defined(SP_HAVE_LIBMVEC_AVX2)
// y[j] = f(x[j]) four lanes at a time; the tail goes through the vector path too (its unused
// lanes repeat a real input), so that every input takes the same path.
template <class F>
__attribute__((target("avx2"), always_inline)) inline void in_lanes(const double *x, double *y,
                                                                    uint32_t n, F f) {
  uint32_t j = 0;
  for (; j + 4 <= n; j += 4) _mm256_storeu_pd(y + j, f(_mm256_loadu_pd(x + j)));
  if (j < n) {
    double in[4], out[4];
    for (uint32_t q = 0; q < 4; ++q) in[q] = x[j + (j + q < n ? q : 0)];
    _mm256_storeu_pd(out, f(_mm256_loadu_pd(in)));
    for (uint32_t q = 0; j + q < n; ++q) y[j + q] = out[q];
  }
}

// Qif::apply in lanes: 2 atan(tan(0.5 min(x + off, pi)) + c) - off, the same operations in the
// same order (no fused multiply-adds: the library is built with -ffp-contract=off). (min_pd
// returns its second operand when either is NaN: the phase, so a NaN stays NaN.)
__attribute__((target("avx2"))) void apply_avx2(const double *x, double *y, uint32_t n,
                                                const Qif::Kick &kick) {
  const __m256d off = _mm256_set1_pd(kick.off), c = _mm256_set1_pd(kick.c);
  const __m256d half = _mm256_set1_pd(0.5), two = _mm256_set1_pd(2.0);
  const __m256d pi = _mm256_set1_pd(kPi);
  in_lanes(
      x, y, n, [&](__m256d v) __attribute__((target("avx2"))) {
        v = _ZGVdN4v_tan(_mm256_mul_pd(half, _mm256_min_pd(pi, _mm256_add_pd(v, off))));
        v = _ZGVdN4v_atan(_mm256_add_pd(v, c));
        return _mm256_sub_pd(_mm256_mul_pd(two, v), off);
      });
}

__attribute__((target("avx2"))) void tan_half_avx2(const double *phi, double *t, uint32_t n) {
  const __m256d half = _mm256_set1_pd(0.5);
  in_lanes(
      phi, t, n, [&](__m256d v) __attribute__((target("avx2"))) {
        return _ZGVdN4v_tan(_mm256_mul_pd(half, v));
      });
}

// The path, decided at the first call: -1 not yet, 0 scalar, 1 vector. An atomic so that
// threads deciding at once race benignly (they all store the same value).
std::atomic<int> g_vector_path{-1};

int decide_vector_path() {
  // SPARSEPROP_VECTOR_MATH=off (or 0) forces the scalar path (sparseprop.h, "Experimental").
  const char *env = std::getenv("SPARSEPROP_VECTOR_MATH");
  if (env && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0)) return 0;
  return __builtin_cpu_supports("avx2") ? 1 : 0;
}
#endif

}  // namespace

void qif_tan_half_batch(const double *phi, double *t, uint32_t n) {
#if defined(SP_HAVE_LIBMVEC_AVX2)
  if (qif_batch_vectorised()) {
    tan_half_avx2(phi, t, n);
    return;
  }
#endif
  for (uint32_t j = 0; j < n; ++j) t[j] = std::tan(0.5 * phi[j]);
}

bool qif_batch_vectorised() {
#if defined(SP_HAVE_LIBMVEC_AVX2)
  int path = g_vector_path.load(std::memory_order_relaxed);
  if (path < 0) {
    path = decide_vector_path();
    g_vector_path.store(path, std::memory_order_relaxed);
  }
  return path == 1;
#else
  return false;
#endif
}

void qif_apply_batch(const double *x, double *y, uint32_t n, const Qif::Kick &kick) {
#if defined(SP_HAVE_LIBMVEC_AVX2)
  if (qif_batch_vectorised()) {
    apply_avx2(x, y, n, kick);
    return;
  }
#endif
  apply_scalar(x, y, n, kick);
}

}  // namespace sp
